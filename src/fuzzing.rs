//! Entry points for the fuzz targets of `fuzz/` and the scaling tests (`tests/scaling.rs`): the
//! parsers of untrusted input that are not reachable through the public API without files or a
//! server. Not part of the API: hidden from the docs and free to change.

use crate::client::{RateLimit, Response};
use crate::config::FileFormat;
use crate::credentials::Credentials;
use crate::error::Result;
use std::path::Path;

/// Loads credentials from the text of a credentials file (any layout).
pub fn credentials_from_file_text(text: &str, allow_non_secure: bool) -> Result<Credentials> {
    crate::config::credentials_from_text(Path::new("fuzz.json"), text, allow_non_secure)
}

/// The text `config::save` would write for `credentials` in `format`.
pub fn file_text(credentials: &Credentials, format: FileFormat) -> String {
    String::from_utf8(crate::config::text_of(credentials, format)).expect("JSON is UTF-8")
}

/// CARTO's error message in a response body, as the client reports it.
pub fn carto_error_message(body: &[u8]) -> Option<String> {
    Response::carto_error_message_of(body)
}

/// What the client makes of an answer's status, headers and body: its rate-limit headers and
/// the error the caller would get.
pub fn answer(
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
) -> (RateLimit, Result<()>) {
    let response = Response {
        status,
        headers,
        body,
        streamed_bytes: 0,
        attempts: 1,
        target: "GET https://fuzz.carto.com/api/v2/sql".to_owned(),
        secrets: None,
    };
    (response.rate_limit(), response.check())
}

/// Everything messages go through before they are shown.
pub fn redact_message(text: &str) -> String {
    crate::text::redact::message(text)
}

/// Redaction's scanners without the bound on the text they are given (for scaling tests).
pub fn redact_unbounded(text: &str) -> String {
    crate::text::redact::query_keys(&crate::text::redact::userinfo(text))
}
