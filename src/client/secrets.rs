//! The secrets a client holds (its API key, the Basic credential made of it) and the ones it
//! has received (a Data Observatory token, the token of a key it created), so that no message
//! built from a server's text shows them: a server may echo the key it was sent
//! (`{"error":["Invalid API key <key>"]}`), or a token it handed out, in any error body.
//!
//! [`Secrets::scrub`] replaces every occurrence, in every form a server may write it in
//! (as sent, percent-encoded, JSON-escaped, Base64 in a Basic header), with `REDACTED`.

use crate::error::Error;
use std::borrow::Cow;
use std::sync::{Mutex, PoisonError};
use zeroize::Zeroizing;

const REDACTED: &str = "REDACTED";

/// Secrets shorter than this are not looked for: replacing every "k" of a message would hide
/// the message, and a key that short is no secret anyway.
const MIN_SECRET_LEN: usize = 4;

/// The most received secrets remembered; the oldest are forgotten first (the client's own key
/// is always kept).
const MAX_RECEIVED: usize = 32;

/// The texts to look for, wiped when the client is dropped.
pub(crate) struct Secrets {
    own: Vec<Zeroizing<String>>,
    received: Mutex<Vec<Zeroizing<String>>>,
}

impl Secrets {
    /// The secrets of a client with `api_key` (and, for CARTO 3, a static access token or
    /// an M2M client secret), sent as `basic_credential` (the Base64 part of its
    /// `Authorization: Basic` header) when it has one.
    pub(crate) fn new<'s>(
        api_key: &str,
        others: impl IntoIterator<Item = &'s str>,
        basic_credential: Option<&str>,
    ) -> Secrets {
        let mut own = Vec::new();
        if api_key != crate::credentials::secret::DEFAULT_PUBLIC_KEY {
            add_forms(&mut own, api_key);
        }
        for secret in others {
            add_forms(&mut own, secret);
        }
        if let Some(credential) = basic_credential {
            add_forms(&mut own, credential);
        }
        Secrets {
            own,
            received: Mutex::new(Vec::new()),
        }
    }

    /// Remembers a secret the server just handed over (a token), to keep it out of later
    /// messages too.
    pub(crate) fn learn(&self, secret: &str) {
        let mut received = self.received.lock().unwrap_or_else(PoisonError::into_inner);
        // Called for every request that carries a Bearer token: usually known already.
        if received.iter().any(|known| **known == *secret) {
            return;
        }
        let mut forms = Vec::new();
        add_forms(&mut forms, secret);
        for form in forms {
            if received.iter().any(|known| **known == *form) {
                continue;
            }
            if received.len() >= MAX_RECEIVED {
                received.remove(0);
            }
            received.push(form);
        }
    }

    /// `text` with every secret replaced by `REDACTED`.
    pub(crate) fn scrub<'t>(&self, text: &'t str) -> Cow<'t, str> {
        let received = self.received.lock().unwrap_or_else(PoisonError::into_inner);
        let mut text = Cow::Borrowed(text);
        // Longest first: a form that contains another (a key inside its Basic credential's
        // source) is replaced whole.
        let mut forms: Vec<&str> = self
            .own
            .iter()
            .chain(received.iter())
            .map(|s| s.as_str())
            .collect();
        forms.sort_by_key(|form| std::cmp::Reverse(form.len()));
        for form in forms {
            if text.contains(form) {
                text = Cow::Owned(text.replace(form, REDACTED));
            }
        }
        text
    }

    /// Whether `text` holds one of the secrets.
    pub(crate) fn appear_in(&self, text: &str) -> bool {
        matches!(self.scrub(text), Cow::Owned(_))
    }

    /// `error` with its message scrubbed.
    pub(crate) fn scrub_error(&self, error: Error) -> Error {
        if !self.appear_in(error.message()) {
            return error;
        }
        error.map_message(|message| self.scrub(message).into_owned())
    }
}

/// `secret` as sent, percent-encoded (as in a URL or a form) and JSON-escaped, each once.
fn add_forms(forms: &mut Vec<Zeroizing<String>>, secret: &str) {
    if secret.len() < MIN_SECRET_LEN {
        return;
    }
    let encoded = percent_encoding::utf8_percent_encode(secret, percent_encoding::NON_ALPHANUMERIC)
        .to_string();
    let json = serde_json::to_string(secret).unwrap_or_default();
    let json = json
        .strip_prefix('"')
        .and_then(|j| j.strip_suffix('"'))
        .unwrap_or(secret)
        .to_owned();
    for form in [secret.to_owned(), encoded, json] {
        if !forms.iter().any(|known| **known == form) {
            forms.push(Zeroizing::new(form));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn every_form_of_the_key_and_of_received_tokens_is_replaced() {
        let secrets = Secrets::new("k3y/w1th+odd\"chars", [], Some("dXNlcjprM3k="));
        for text in [
            "Invalid API key k3y/w1th+odd\"chars",
            "Invalid API key k3y%2Fw1th%2Bodd%22chars",
            r#"{"error":"k3y/w1th+odd\"chars"}"#,
            "Authorization: Basic dXNlcjprM3k=",
        ] {
            let shown = secrets.scrub(text);
            assert!(shown.contains(REDACTED), "{text} -> {shown}");
            assert!(
                !shown.contains("k3y") && !shown.contains("dXNlcjprM3k="),
                "{text} -> {shown}"
            );
        }
        assert!(matches!(secrets.scrub("nothing here"), Cow::Borrowed(_)));
        secrets.learn("ya29.do-token");
        let error = Error::new(
            ErrorKind::HttpServerError,
            "HTTP 500: token ya29.do-token expired",
        );
        let shown = secrets.scrub_error(error);
        assert_eq!(shown.message(), "HTTP 500: token REDACTED expired");
        assert_eq!(shown.kind(), ErrorKind::HttpServerError);
    }

    #[test]
    fn public_and_tiny_keys_are_not_looked_for_and_received_ones_are_bounded() {
        let secrets = Secrets::new("default_public", ["m2m-client-s3cret"], None);
        assert_eq!(secrets.scrub("got m2m-client-s3cret"), "got REDACTED");
        assert_eq!(secrets.scrub("key default_public"), "key default_public");
        let secrets = Secrets::new("k", [], None);
        assert_eq!(secrets.scrub("a key"), "a key");
        for i in 0..100 {
            secrets.learn(&format!("token-{i:04}"));
        }
        let received = secrets.received.lock().unwrap().len();
        assert!(received <= MAX_RECEIVED, "{received}");
        assert_eq!(secrets.scrub("token-0099"), REDACTED);
    }
}
