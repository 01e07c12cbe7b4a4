//! A response: status, headers, body, CARTO's error message and rate-limit headers, and the
//! mapping of its status onto the library's error kinds.

use crate::error::{Error, ErrorKind, Result};
use serde_json::Value;

/// CARTO's rate-limit headers (`Carto-Rate-Limit-Limit/-Remaining/-Reset`, `Retry-After`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RateLimit {
    /// Requests allowed in the window.
    pub limit: Option<i64>,
    /// Requests left in the window.
    pub remaining: Option<i64>,
    /// Seconds until the window resets.
    pub reset: Option<i64>,
    /// Seconds to wait before retrying (on 429).
    pub retry_after: Option<i64>,
}

/// A successful answer whose body is still to be read, by the caller, at its own pace.
pub(crate) struct OpenedBody {
    /// The body, decompressed.
    pub reader: ureq::BodyReader<'static>,
    /// "METHOD scheme://host/path" for messages.
    pub target: String,
    /// `Content-Length`, when the server gave one.
    pub download_total: Option<u64>,
    /// Bytes read so far.
    pub downloaded: u64,
}

/// A received HTTP response.
#[derive(Clone)]
pub struct Response {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
    pub(crate) streamed_bytes: u64,
    pub(crate) attempts: u32,
    /// "METHOD scheme://host/path", without the query string (it may hold a key).
    pub(crate) target: String,
    /// The secrets of the client that received it, kept out of its messages.
    pub(crate) secrets: Option<std::sync::Arc<super::secrets::Secrets>>,
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Response")
            .field("status", &self.status)
            .field("target", &self.target)
            .field("body_len", &self.body.len())
            .field("streamed_bytes", &self.streamed_bytes)
            .field("attempts", &self.attempts)
            .finish()
    }
}

impl Response {
    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// All headers in received order, names lowercase.
    pub fn headers(&self) -> &[(String, String)] {
        &self.headers
    }

    /// The body; empty when it was streamed to a writer.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// Body bytes delivered to the response writer, when streaming.
    pub fn streamed_bytes(&self) -> u64 {
        self.streamed_bytes
    }

    /// How many attempts it took (more than 1 after automatic retries).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// Moves the body out (the C boundary keeps it NUL-terminated in its own buffer).
    pub(crate) fn take_body(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.body)
    }

    /// The body parsed as JSON.
    pub fn json(&self) -> Result<Value> {
        serde_json::from_slice(&self.body).map_err(|e| {
            Error::new(
                ErrorKind::Protocol,
                format!("{} answered a body that is not JSON: {e}", self.target),
            )
        })
    }

    /// The rate-limit headers.
    pub fn rate_limit(&self) -> RateLimit {
        let int = |name: &str| self.header(name).and_then(|v| v.trim().parse::<i64>().ok());
        RateLimit {
            limit: int("carto-rate-limit-limit"),
            remaining: int("carto-rate-limit-remaining"),
            reset: int("carto-rate-limit-reset"),
            retry_after: int("retry-after"),
        }
    }

    /// CARTO's error message: `{"error": [..]}` (SQL API), `{"errors": ..}` (Auth API), or
    /// `None` when the body carries neither. Several messages are joined with "; ".
    pub fn carto_error_message(&self) -> Option<String> {
        let message = Self::carto_error_message_of(&self.body)?;
        Some(self.scrub(&message))
    }

    /// `text` without the secrets of the client that received this answer.
    fn scrub(&self, text: &str) -> String {
        match &self.secrets {
            Some(secrets) => secrets.scrub(text).into_owned(),
            None => text.to_owned(),
        }
    }

    /// CARTO's error message in a body (see [`Response::carto_error_message`]).
    pub(crate) fn carto_error_message_of(body: &[u8]) -> Option<String> {
        let value: Value = serde_json::from_slice(body).ok()?;
        let message = value.get("error").or_else(|| value.get("errors"))?;
        let text = match message {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .iter()
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .collect::<Vec<_>>()
                .join("; "),
            Value::Null => return None,
            other => other.to_string(),
        };
        // Bounded (an error body is kept up to 4 MiB) and redacted before anyone shows it.
        (!text.is_empty()).then(|| crate::text::redact::message(&text))
    }

    /// `Ok(())` for statuses below 400; otherwise the error of the status' kind, with CARTO's
    /// message, e.g. "HTTP 401 Unauthorized: Unauthorized (GET https://u.carto.com/api/v2/sql)".
    pub fn check(&self) -> Result<()> {
        let Some(kind) = kind_of_status(self.status) else {
            return Ok(());
        };
        let detail = self.carto_error_message().unwrap_or_else(|| {
            let text = String::from_utf8_lossy(&self.body);
            let text = text.trim();
            if text.is_empty() || text.len() > 300 || text.starts_with('<') {
                "no error message in the body".to_owned()
            } else {
                self.scrub(&crate::text::redact::message(text))
            }
        });
        let mut message = format!(
            "HTTP {} {}: {detail} ({})",
            self.status,
            reason(self.status),
            self.target
        );
        if self.status == 429 {
            if let Some(after) = self.rate_limit().retry_after {
                message.push_str(&format!("; retry after {after} s"));
            }
        }
        Err(Error::new(kind, message).with_http_status(self.status))
    }

    /// [`Response::check`], keeping the response on success.
    pub fn error_for_status(self) -> Result<Self> {
        self.check().map(|()| self)
    }
}

/// The error kind of an HTTP status, `None` below 400.
pub(crate) fn kind_of_status(status: u16) -> Option<ErrorKind> {
    Some(match status {
        0..=399 => return None,
        401 => ErrorKind::HttpUnauthorized,
        403 => ErrorKind::HttpForbidden,
        404 => ErrorKind::HttpNotFound,
        429 => ErrorKind::HttpRateLimited,
        400..=499 => ErrorKind::HttpClientError,
        _ => ErrorKind::HttpServerError,
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        409 => "Conflict",
        413 => "Payload Too Large",
        422 => "Unprocessable Entity",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ if status < 500 => "Client Error",
        _ => "Server Error",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(status: u16, body: &str, headers: &[(&str, &str)]) -> Response {
        Response {
            status,
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: body.as_bytes().to_vec(),
            streamed_bytes: 0,
            attempts: 1,
            target: "GET http://h/api/v2/sql".into(),
            secrets: None,
        }
    }

    #[test]
    fn carto_messages_are_parsed_from_both_shapes() {
        let r = response(
            400,
            r#"{"error":["syntax error at or near \"selct\""]}"#,
            &[],
        );
        assert_eq!(
            r.carto_error_message().as_deref(),
            Some("syntax error at or near \"selct\"")
        );
        let r = response(
            422,
            r#"{"errors":"Validation failed: Name has already been taken","errors_cause":null}"#,
            &[],
        );
        assert_eq!(
            r.carto_error_message().as_deref(),
            Some("Validation failed: Name has already been taken")
        );
        let r = response(500, r#"{"errors":["boom","bang"]}"#, &[]);
        assert_eq!(r.carto_error_message().as_deref(), Some("boom; bang"));
        assert_eq!(response(401, "", &[]).carto_error_message(), None);
    }

    #[test]
    fn statuses_map_to_distinct_kinds() {
        let cases = [
            (200, None),
            (302, None),
            (400, Some(ErrorKind::HttpClientError)),
            (401, Some(ErrorKind::HttpUnauthorized)),
            (403, Some(ErrorKind::HttpForbidden)),
            (404, Some(ErrorKind::HttpNotFound)),
            (422, Some(ErrorKind::HttpClientError)),
            (429, Some(ErrorKind::HttpRateLimited)),
            (500, Some(ErrorKind::HttpServerError)),
            (503, Some(ErrorKind::HttpServerError)),
        ];
        for (status, kind) in cases {
            assert_eq!(kind_of_status(status), kind, "{status}");
            assert_eq!(
                response(status, "", &[]).check().err().map(|e| e.kind()),
                kind
            );
        }
    }

    #[test]
    fn check_messages_carry_status_message_and_target() {
        let err = response(401, r#"{"error":["Unauthorized"]}"#, &[])
            .check()
            .unwrap_err();
        assert_eq!(
            err.message(),
            "HTTP 401 Unauthorized: Unauthorized (GET http://h/api/v2/sql)"
        );
        assert_eq!(err.http_status(), Some(401));
        let err = response(
            429,
            r#"{"error":["You are over platform's limits"],"context":"limit","detail":"rate-limit"}"#,
            &[("Retry-After", "3")],
        )
        .check()
        .unwrap_err();
        assert!(err.message().ends_with("; retry after 3 s"), "{err}");
        let err = response(502, "<html>bad gateway</html>", &[])
            .check()
            .unwrap_err();
        assert!(err.message().contains("no error message"), "{err}");
    }

    #[test]
    fn rate_limit_headers_are_read_case_insensitively() {
        let r = response(
            429,
            "",
            &[
                ("Carto-Rate-Limit-Limit", "2"),
                ("carto-rate-limit-remaining", "0"),
                ("CARTO-RATE-LIMIT-RESET", "1"),
                ("Retry-After", "1"),
            ],
        );
        assert_eq!(
            r.rate_limit(),
            RateLimit {
                limit: Some(2),
                remaining: Some(0),
                reset: Some(1),
                retry_after: Some(1)
            }
        );
        assert_eq!(response(200, "", &[]).rate_limit(), RateLimit::default());
    }
}
