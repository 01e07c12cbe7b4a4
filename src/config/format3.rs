//! CARTO 3 credentials files: cartoauth's own, carto-auth's and the CARTO CLI's.
//!
//! | layout | keys | written by |
//! |---|---|---|
//! | carto3 | `api_base_url` with `client_id` + `client_secret` (M2M), or `access_token`, or `"kind": "oauth_user"`; optional `auth_url`, `audience`, `organization`, `allow_non_secure` | carto-auth's `carto_credentials.json` (M2M); this library |
//! | CARTO CLI | `current_profile`, `profiles.{name}.{token, tenant_id, tenant_domain, …}` | the CARTO CLI's `~/.carto_credentials.json` |
//!
//! A CARTO CLI profile's API base URL is `https://{tenant_id}.api.carto.com`; a self-hosted
//! tenant (`onp-…`, with a `tenant_domain`) is `https://{tenant_domain}/api` (inferred from the
//! CLI's documentation, which describes the cloud form only).

use crate::credentials::kind::Platform;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use serde_json::{Map, Value};
use std::path::Path;

/// Whether a document is one of this module's layouts.
pub(crate) fn is_carto3(doc: &Map<String, Value>) -> bool {
    doc.contains_key("api_base_url") || is_cli(doc)
}

/// Whether a document is the CARTO CLI's credentials file.
pub(crate) fn is_cli(doc: &Map<String, Value>) -> bool {
    doc.contains_key("profiles") && !doc.contains_key("api_base_url")
}

fn string(path: &Path, doc: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(_) => Err(Error::file_content(path, Some(key), "expected a string")),
    }
}

fn flag(path: &Path, doc: &Map<String, Value>, key: &str) -> Result<bool> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::file_content(
            path,
            Some(key),
            "expected true or false",
        )),
    }
}

/// Names the file (and field, where one is to blame) in a credentials error.
fn in_file(path: &Path, e: Error) -> Error {
    e.context(path.display())
}

/// The credentials of a carto3 document (`profile` selects a CARTO CLI profile; `None`
/// means its `current_profile`).
pub(crate) fn credentials(
    path: &Path,
    doc: &Map<String, Value>,
    profile: Option<&str>,
    allow_non_secure: bool,
) -> Result<Credentials> {
    if is_cli(doc) {
        return cli_profile(path, doc, profile, allow_non_secure);
    }
    if profile.is_some() {
        return Err(Error::file_content(
            path,
            None,
            "holds one set of credentials, not profiles",
        ));
    }
    let base_url = string(path, doc, "api_base_url")?
        .ok_or_else(|| Error::file_content(path, Some("api_base_url"), "is empty"))?;
    let allow = allow_non_secure || flag(path, doc, "allow_non_secure")?;
    let mut builder = Credentials::builder()
        .base_url(base_url)
        .allow_non_secure(allow);
    if let Some(platform) = string(path, doc, "platform")? {
        let platform = Platform::parse(&platform)
            .map_err(|e| Error::file_content(path, Some("platform"), e.message()))?;
        builder = builder.platform(platform);
    }
    if let Some(url) = string(path, doc, "auth_url")? {
        builder = builder.auth_url(url);
    }
    if let Some(audience) = string(path, doc, "audience")? {
        builder = builder.audience(audience);
    }
    let kind = string(path, doc, "kind")?;
    let client_id = string(path, doc, "client_id")?;
    let client_secret = string(path, doc, "client_secret")?;
    let token = string(path, doc, "access_token")?;
    builder = match (kind.as_deref(), client_secret, token) {
        (Some("oauth_user"), _, _) => {
            let mut b = builder.oauth_user(client_id.as_deref());
            if let Some(org) = string(path, doc, "organization")? {
                b = b.organization(org);
            }
            b
        }
        (None | Some("m2m"), Some(secret), _) => {
            let Some(id) = client_id else {
                return Err(Error::file_content(
                    path,
                    Some("client_id"),
                    "is missing; an M2M client needs client_id and client_secret",
                ));
            };
            builder.m2m_client(id, secret)
        }
        (None | Some("access_token"), None, Some(token)) => builder.access_token(token),
        (Some(other), _, _) if !matches!(other, "m2m" | "access_token") => {
            return Err(Error::file_content(
                path,
                Some("kind"),
                &format!("is {other:?}; expected m2m, access_token or oauth_user"),
            ))
        }
        _ => {
            return Err(Error::file_content(
                path,
                None,
                "has an api_base_url but no credential: add client_id and client_secret (M2M), access_token, or \"kind\": \"oauth_user\"",
            ))
        }
    };
    builder.build().map_err(|e| in_file(path, e))
}

/// The CARTO CLI's file: the named profile, else `current_profile`.
fn cli_profile(
    path: &Path,
    doc: &Map<String, Value>,
    profile: Option<&str>,
    allow_non_secure: bool,
) -> Result<Credentials> {
    let profiles = match doc.get("profiles") {
        Some(Value::Object(p)) => p,
        _ => {
            return Err(Error::file_content(
                path,
                Some("profiles"),
                "expected an object",
            ))
        }
    };
    let name = match profile {
        Some(name) => name.to_owned(),
        None => string(path, doc, "current_profile")?.ok_or_else(|| {
            Error::file_content(
                path,
                Some("current_profile"),
                "is not set; choose a profile (CARTO_PROFILE, or carto auth use)",
            )
        })?,
    };
    let Some(Value::Object(entry)) = profiles.get(&name) else {
        let mut known: Vec<&str> = profiles.keys().map(String::as_str).collect();
        known.sort_unstable();
        return Err(Error::new(
            ErrorKind::FileNotFound,
            format!(
                "{}: there is no CARTO CLI profile '{name}'; profiles: {}",
                path.display(),
                if known.is_empty() {
                    "none".to_owned()
                } else {
                    known.join(", ")
                }
            ),
        ));
    };
    let token = string(path, entry, "token")?.ok_or_else(|| {
        Error::file_content(
            path,
            Some("token"),
            &format!("of profile '{name}' is missing"),
        )
    })?;
    let base_url = cli_base_url(path, &name, entry)?;
    Credentials::builder()
        .base_url(base_url)
        .allow_non_secure(allow_non_secure)
        .access_token(token)
        .build()
        .map_err(|e| in_file(path, e))
}

/// A CLI profile's API base URL (see the module documentation).
fn cli_base_url(path: &Path, name: &str, entry: &Map<String, Value>) -> Result<String> {
    if let Some(url) = string(path, entry, "api_base_url")? {
        return Ok(url);
    }
    let tenant = string(path, entry, "tenant_id")?;
    let domain = string(path, entry, "tenant_domain")?;
    let label_ok = |t: &str| {
        !t.is_empty() && t.len() <= 63 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    };
    match (tenant, domain) {
        (Some(t), Some(d)) if t.starts_with("onp-") => Ok(format!("https://{d}/api")),
        (Some(t), _) if label_ok(&t) => Ok(format!("https://{t}.api.carto.com")),
        (Some(t), _) => Err(Error::file_content(
            path,
            Some("tenant_id"),
            &format!("of profile '{name}' is {t:?}, not a CARTO tenant id"),
        )),
        (None, _) => Err(Error::file_content(
            path,
            Some("tenant_id"),
            &format!("of profile '{name}' is missing, so its API base URL is unknown"),
        )),
    }
}

/// The CARTO CLI profile names of a document, sorted.
pub(crate) fn cli_profile_names(doc: &Map<String, Value>) -> Vec<String> {
    let mut names: Vec<String> = match doc.get("profiles") {
        Some(Value::Object(p)) => p.keys().cloned().collect(),
        _ => Vec::new(),
    };
    names.sort();
    names
}

/// The document to save for CARTO 3 credentials: carto-auth's layout for an M2M client
/// (so carto-auth's `from_m2m` reads it), the same keys for the other kinds.
pub(crate) fn render(credentials: &Credentials) -> Map<String, Value> {
    use crate::credentials::kind::{self, CredentialKind};
    let mut doc = Map::new();
    doc.insert("api_base_url".into(), credentials.base_url().into());
    match credentials.kind() {
        CredentialKind::M2m => {
            doc.insert(
                "client_id".into(),
                credentials.client_id().unwrap_or_default().into(),
            );
            doc.insert(
                "client_secret".into(),
                credentials
                    .client_secret()
                    .map(|s| s.expose().to_owned())
                    .unwrap_or_default()
                    .into(),
            );
        }
        CredentialKind::AccessToken => {
            doc.insert(
                "access_token".into(),
                credentials
                    .access_token()
                    .map(|s| s.expose().to_owned())
                    .unwrap_or_default()
                    .into(),
            );
        }
        CredentialKind::OAuthUser => {
            doc.insert("kind".into(), "oauth_user".into());
            if let Some(id) = credentials
                .client_id()
                .filter(|id| *id != kind::DEFAULT_OAUTH_CLIENT_ID)
            {
                doc.insert("client_id".into(), id.into());
            }
            if let Some(org) = credentials.organization() {
                doc.insert("organization".into(), org.into());
            }
        }
        CredentialKind::ApiKey => {}
    }
    if let Some(server) = credentials.auth_server() {
        if server.url != kind::DEFAULT_AUTH_URL {
            doc.insert("auth_url".into(), server.url.clone().into());
        }
        if server.audience != kind::DEFAULT_AUDIENCE {
            doc.insert("audience".into(), server.audience.clone().into());
        }
    }
    if credentials.allow_non_secure() {
        doc.insert("allow_non_secure".into(), true.into());
    }
    if Platform::detect(credentials.base_url()) != Platform::Carto3 {
        doc.insert("platform".into(), "carto3".into());
    }
    doc
}

/// carto-auth's `expiration` for a token that expires at `exp`: it computes
/// `(datetime.utcnow() + expires_in).timestamp()`, reading UTC wall time as local time, and
/// compares with `utcnow().timestamp()`, so its files hold `mktime(gmtime(exp))`. Writing the
/// same makes carto-auth expire the token when it really expires, in any time zone.
pub(crate) fn to_carto_auth_clock(exp: i64) -> i64 {
    #[cfg(unix)]
    {
        let t = exp as libc::time_t;
        if t as i64 != exp {
            return exp;
        }
        // SAFETY: gmtime_r and mktime read and write only the two locals passed to them.
        unsafe {
            let mut tm: libc::tm = std::mem::zeroed();
            if libc::gmtime_r(&t, &mut tm).is_null() {
                return exp;
            }
            tm.tm_isdst = -1;
            let local = libc::mktime(&mut tm);
            if local == -1 {
                exp
            } else {
                local as i64
            }
        }
    }
    #[cfg(not(unix))]
    {
        exp
    }
}

/// The real expiry of a carto-auth `expiration` (the inverse of [`to_carto_auth_clock`]: the
/// offset is the local time zone's, so it is measured at that time and applied back).
pub(crate) fn from_carto_auth_clock(expiration: i64) -> i64 {
    expiration - (to_carto_auth_clock(expiration) - expiration)
}

/// The token of a carto-auth token cache (`{"api_base_url", "access_token", "expiration"}`)
/// as CARTO 3 access-token credentials, with its expiry (the JWT's `exp`; carto-auth's own
/// `expiration`, corrected for its time-zone defect, only for a token that is not a JWT).
pub(crate) fn carto_auth_token(
    path: &Path,
    doc: &Map<String, Value>,
    allow_non_secure: bool,
) -> Result<(Credentials, Option<i64>)> {
    let base_url = string(path, doc, "api_base_url")?
        .ok_or_else(|| Error::file_content(path, Some("api_base_url"), "is missing"))?;
    let token = string(path, doc, "access_token")?
        .ok_or_else(|| Error::file_content(path, Some("access_token"), "is missing"))?;
    let exp = crate::credentials::jwt::Claims::of(&token)
        .and_then(|c| c.exp)
        .or_else(|| {
            doc.get("expiration")
                .and_then(Value::as_i64)
                .map(from_carto_auth_clock)
        });
    let credentials = Credentials::builder()
        .base_url(base_url)
        .allow_non_secure(allow_non_secure)
        .access_token(token)
        .build()
        .map_err(|e| in_file(path, e))?;
    Ok((credentials, exp))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::credentials::kind::CredentialKind;
    use serde_json::json;

    fn load(value: Value, profile: Option<&str>) -> Result<Credentials> {
        credentials(
            Path::new("/x/c.json"),
            value.as_object().unwrap(),
            profile,
            false,
        )
    }

    #[test]
    fn carto_auths_credentials_file_is_an_m2m_client() {
        let c = load(
            json!({"api_base_url": "https://gcp-us-east1.api.carto.com",
                   "client_id": "cid", "client_secret": "csecret"}),
            None,
        )
        .unwrap();
        assert_eq!(c.kind(), CredentialKind::M2m);
        assert_eq!(c.client_id(), Some("cid"));
        assert_eq!(c.base_url(), "https://gcp-us-east1.api.carto.com");
        let back = render(&c);
        assert_eq!(
            Value::Object(back),
            json!({"api_base_url": "https://gcp-us-east1.api.carto.com",
                   "client_id": "cid", "client_secret": "csecret"})
        );
    }

    #[test]
    fn tokens_users_and_their_options_round_trip() {
        for doc in [
            json!({"api_base_url": "https://h/api", "access_token": "tok"}),
            json!({"api_base_url": "https://h/api", "kind": "oauth_user", "organization": "ACME"}),
            json!({"api_base_url": "http://127.0.0.1:9/x", "client_id": "c", "client_secret": "s",
                   "auth_url": "http://127.0.0.1:9", "audience": "aud", "allow_non_secure": true,
                   "platform": "carto3"}),
        ] {
            let c = load(doc.clone(), None).unwrap();
            assert_eq!(Value::Object(render(&c)), doc);
        }
    }

    #[test]
    fn incomplete_files_name_the_field() {
        for (doc, field) in [
            (
                json!({"api_base_url": "https://h/api", "client_secret": "s"}),
                "client_id",
            ),
            (json!({"api_base_url": "https://h/api"}), "credential"),
            (
                json!({"api_base_url": "", "access_token": "t"}),
                "api_base_url",
            ),
            (
                json!({"api_base_url": "https://h/api", "kind": "robot", "client_secret": "s"}),
                "kind",
            ),
        ] {
            let err = load(doc, None).unwrap_err();
            assert!(err.message().contains(field), "{field}: {err}");
            assert!(err.message().contains("/x/c.json"), "{err}");
        }
    }

    #[test]
    fn carto_auths_clock_is_undone() {
        for exp in [1_700_000_000, 1_720_000_000, 2_000_000_000] {
            // Exact away from daylight-saving changes, which these instants are not near.
            assert_eq!(from_carto_auth_clock(to_carto_auth_clock(exp)), exp);
        }
    }

    #[test]
    fn the_carto_cli_file_gives_its_current_or_named_profile() {
        let doc = json!({"current_profile": "production", "profiles": {
            "production": {"token": "tok1", "tenant_id": "gcp-us-east1", "user_email": "a@b"},
            "onprem": {"token": "tok2", "tenant_id": "onp-acme-prod", "tenant_domain": "carto.acme.com"},
            "broken": {"tenant_id": "gcp-us-east1"}}});
        let c = load(doc.clone(), None).unwrap();
        assert_eq!(c.base_url(), "https://gcp-us-east1.api.carto.com");
        assert_eq!(c.access_token().unwrap().expose(), "tok1");
        let c = load(doc.clone(), Some("onprem")).unwrap();
        assert_eq!(c.base_url(), "https://carto.acme.com/api");
        let err = load(doc.clone(), Some("staging")).unwrap_err();
        assert!(
            err.message().contains("broken, onprem, production"),
            "{err}"
        );
        let err = load(doc, Some("broken")).unwrap_err();
        assert!(err.message().contains("token"), "{err}");
        let evil = json!({"current_profile": "p", "profiles": {"p": {"token": "t", "tenant_id": "x.evil.com/"}}});
        assert!(load(evil, None).is_err());
        let v2_host = json!({"api_base_url": "https://alice.carto.com", "access_token": "t"});
        assert!(load(v2_host, None)
            .unwrap_err()
            .message()
            .contains("CARTO 2 host"));
    }
}
