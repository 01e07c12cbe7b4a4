//! Credentials files whose secret lives in the OS keychain.
//!
//! Such a file keeps every non-secret field in its usual layout and, instead of the secret
//! (`APIKEY`, `api_key`, `key`, `client_secret` or `access_token`), a reference:
//!
//! ```json
//! "keychain": {"service": "cartoauth", "account": "api_key/3fa9c1d2e4b5/7f3a9c0d12e4b5a6"}
//! ```
//!
//! The account is `<kind>/<binding>/<id>`: the kind of secret, 12 hex digits of SHA-256 of
//! where the secret is sent (the base URL for an API key or a token; the OAuth server and
//! client id for an M2M client secret), and a random id (each save makes a new item, so a
//! crash between the keychain and the file never leaves a file naming another secret).
//!
//! A reference is honoured only when it names a `cartoauth` item bound to the file's own
//! destination: a file edited or planted to point at another URL cannot make cartoauth send a
//! stored secret there, and a file can never name another program's keychain item. Loading
//! puts the secret back where the layout expects it and reads the file as usual, so every
//! layout and every route (resolution, profiles, the C ABI) resolves references the same way.

use super::format;
use crate::credentials::kind::Auth;
use crate::credentials::Credentials;
use crate::error::{Error, Result};
use crate::keychain::{self, Keychain};
use serde_json::{Map, Value};
use sha2::Digest;
use std::path::Path;
use zeroize::Zeroizing;

/// The key of the reference in a credentials file.
pub(crate) const KEY: &str = "keychain";

/// What stands in for the secret while a reference is checked (any valid secret would do:
/// nothing is sent while checking).
const PLACEHOLDER: &str = "cartoauth-keychain-reference-placeholder";

/// The field that holds a document's secret in its layout, if its credentials have one.
pub(crate) fn secret_field(path: &Path, doc: &Map<String, Value>) -> Result<Option<&'static str>> {
    if super::format3::is_carto3(doc) {
        let kind = doc.get("kind").and_then(Value::as_str);
        return Ok(match kind {
            Some("oauth_user") => None,
            Some("m2m") => Some("client_secret"),
            Some("access_token") => Some("access_token"),
            _ if doc.contains_key("client_id") || doc.contains_key("client_secret") => {
                Some("client_secret")
            }
            _ => Some("access_token"),
        });
    }
    Ok(Some(match format::detect_layout(path, doc)? {
        format::Layout::CartoCreds => "APIKEY",
        format::Layout::CartoFrames => "api_key",
        format::Layout::Legacy => "key",
    }))
}

/// The secret of `credentials` that a keychain can hold, with its kind and where it is sent;
/// `None` for credentials without one (`default_public`, a user sign-in).
struct Bound {
    kind: &'static str,
    destination: String,
    what: &'static str,
}

fn bound(credentials: &Credentials) -> Option<Bound> {
    match credentials.auth() {
        Auth::ApiKey if credentials.api_key().is_default_public() => None,
        Auth::ApiKey => Some(Bound {
            kind: "api_key",
            destination: credentials.base_url().to_owned(),
            what: "API key",
        }),
        Auth::AccessToken(_) => Some(Bound {
            kind: "access_token",
            destination: credentials.base_url().to_owned(),
            what: "access token",
        }),
        Auth::M2m {
            client_id, server, ..
        } => Some(Bound {
            kind: "client_secret",
            destination: format!("{} client {client_id}", server.url),
            what: "M2M client secret",
        }),
        Auth::OAuthUser { .. } => None,
    }
}

impl Bound {
    /// `<kind>/<binding>/` (the account without its id).
    fn prefix(&self) -> String {
        let hash = sha2::Sha256::digest(format!("{} {}", self.kind, self.destination));
        let binding: String = hash.iter().take(6).map(|b| format!("{b:02x}")).collect();
        format!("{}/{binding}/", self.kind)
    }

    /// What a keychain browser shows: "cartoauth: API key for https://jo.carto.com".
    fn label(&self) -> String {
        format!("cartoauth: {} for {}", self.what, self.destination)
    }
}

/// A secret to put in the keychain: the item's account, label and the secret itself.
pub(crate) struct Item {
    pub account: String,
    pub label: String,
    pub secret: Zeroizing<String>,
    pub field: &'static str,
}

/// The keychain item that would hold the secret of `doc` (as rendered for `credentials`), or
/// `None` when the credentials have no secret to keep.
pub(crate) fn item_for(
    path: &Path,
    credentials: &Credentials,
    doc: &Map<String, Value>,
) -> Result<Option<Item>> {
    let (Some(bound), Some(field)) = (bound(credentials), secret_field(path, doc)?) else {
        return Ok(None);
    };
    let Some(secret) = doc.get(field).and_then(Value::as_str) else {
        return Ok(None);
    };
    Ok(Some(Item {
        account: format!("{}{}", bound.prefix(), keychain::new_item_id()?),
        label: bound.label(),
        secret: Zeroizing::new(secret.to_owned()),
        field,
    }))
}

/// Takes the secret out of `doc` and puts the reference to `account` in its place.
pub(crate) fn externalize(doc: &mut Map<String, Value>, field: &str, account: &str) {
    if let Some(Value::String(mut secret)) = doc.remove(field) {
        zeroize::Zeroize::zeroize(&mut secret);
    }
    doc.insert(
        KEY.to_owned(),
        serde_json::json!({"service": keychain::SERVICE, "account": account}),
    );
}

/// The account a document refers to, without checking it (`None`: no reference).
pub(crate) fn account_of(path: &Path, doc: &Map<String, Value>) -> Result<Option<String>> {
    let Some(reference) = doc.get(KEY) else {
        return Ok(None);
    };
    let service = reference.get("service").and_then(Value::as_str);
    let account = reference.get("account").and_then(Value::as_str);
    match (service, account) {
        (Some(keychain::SERVICE), Some(account)) if !account.is_empty() && account.len() <= 256 => {
            Ok(Some(account.to_owned()))
        }
        (Some(other), Some(_)) if other != keychain::SERVICE => Err(Error::file_content(
            path,
            Some(KEY),
            &format!(
                "names the keychain service {}; cartoauth reads only its own items (service \"{}\")",
                crate::text::excerpt::quoted(other),
                keychain::SERVICE
            ),
        )),
        _ => Err(Error::file_content(
            path,
            Some(KEY),
            &format!(
                "expected {{\"service\": \"{}\", \"account\": \"<item>\"}}",
                keychain::SERVICE
            ),
        )),
    }
}

/// The document with `secret` put back in `field` (the reference removed).
pub(crate) fn with_secret(
    doc: &Map<String, Value>,
    field: &str,
    secret: &str,
) -> Map<String, Value> {
    let mut doc = doc.clone();
    doc.remove(KEY);
    doc.insert(field.to_owned(), secret.into());
    doc
}

/// Wipes the secret a materialised document holds.
pub(crate) fn wipe(doc: &mut Map<String, Value>, field: &str) {
    if let Some(Value::String(secret)) = doc.get_mut(field) {
        zeroize::Zeroize::zeroize(secret);
    }
}

/// A checked reference: its account and the field its secret belongs in.
pub(crate) struct Reference {
    pub account: String,
    pub field: &'static str,
}

/// Checks `doc`'s reference against the file's own credentials (see the module
/// documentation). `read` builds credentials from a document with its secret in place.
pub(crate) fn check(
    path: &Path,
    doc: &Map<String, Value>,
    read: &dyn Fn(&Map<String, Value>) -> Result<Credentials>,
) -> Result<Option<Reference>> {
    let Some(account) = account_of(path, doc)? else {
        return Ok(None);
    };
    let Some(field) = secret_field(path, doc)? else {
        return Err(Error::file_content(
            path,
            Some(KEY),
            "refers to a keychain item, but these credentials (a user sign-in) keep no secret",
        ));
    };
    if doc.get(field).is_some_and(|v| !v.is_null()) {
        return Err(Error::file_content(
            path,
            Some(field),
            &format!("is given together with a keychain reference (\"{KEY}\"); keep one"),
        ));
    }
    let credentials = read(&with_secret(doc, field, PLACEHOLDER))?;
    let Some(bound) = bound(&credentials) else {
        return Err(Error::file_content(
            path,
            Some(KEY),
            "refers to a keychain item, but these credentials keep no secret",
        ));
    };
    let id = account.strip_prefix(&bound.prefix());
    if !id.is_some_and(|id| id.len() == 16 && id.bytes().all(|b| b.is_ascii_hexdigit())) {
        return Err(Error::file_content(
            path,
            Some(KEY),
            &format!(
                "names the keychain item {}, which was not made for the {} of {} (the file was edited or copied from other credentials); log in again",
                crate::text::excerpt::quoted(&account),
                bound.what,
                bound.destination
            ),
        ));
    }
    Ok(Some(Reference { account, field }))
}

/// The secret of a checked reference, from the keychain.
pub(crate) fn fetch(
    path: &Path,
    reference: &Reference,
    keychain: &Keychain,
) -> Result<Zeroizing<String>> {
    keychain.get(&reference.account).map_err(|failure| {
        keychain
            .error(
                &format!(
                    "{}: reading the secret of keychain item {}",
                    crate::text::excerpt::path(path),
                    reference.account
                ),
                &failure,
            )
            .with_hint(match failure {
                keychain::Failure::NoEntry => "log in again (cartoauth login) to store a new one",
                keychain::Failure::TimedOut => "unlock the keychain, or try again",
                _ => "start or unlock the keychain (a desktop session's Secret Service), or log in again to store the secret elsewhere",
            })
    })
}

/// Credentials from a document that refers to a keychain item: the secret fetched, put in
/// place, and the credentials read as any file's.
pub(crate) fn resolve(
    path: &Path,
    doc: &Map<String, Value>,
    reference: &Reference,
    keychain: &Keychain,
    read: &dyn Fn(&Map<String, Value>) -> Result<Credentials>,
) -> Result<Credentials> {
    let secret = fetch(path, reference, keychain)?;
    let mut full = with_secret(doc, reference.field, &secret);
    let credentials = read(&full);
    wipe(&mut full, reference.field);
    credentials
}
