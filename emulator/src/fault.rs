//! A fault to inject, in one definition that the server (which reads it from the admin API or an
//! `X-Emulator-Fault` header) and the test harness (which builds and sends it) share, so the two
//! can never disagree on a field. Build one with the chained setters:
//! `Fault::on("/user/demo/api/v2/sql").status(503).times(1)`.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Slow body delivery: `chunk_bytes` at a time, `interval_ms` apart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Drip {
    /// Bytes per chunk (at least 1).
    pub chunk_bytes: usize,
    /// Pause between chunks.
    pub interval_ms: u64,
}

/// A redirect answer (301, 302, 303, 307 or 308) to `location`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Redirect {
    pub status: u16,
    pub location: String,
}

/// What to do to a response. Every part is optional; they apply in this order: delay, then
/// redirect or forced status (the real handler does not run), else the real handler followed
/// by malformed JSON, then drip and/or abort of the body. Only the parts that are set are
/// serialised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// Route faults: requests whose path starts with this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path_prefix: Option<String>,
    /// Route faults: only this method (any when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    /// Route faults: disarm after this many matching requests (never when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
    /// Wait this long before the response headers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_ms: Option<u64>,
    /// Answer with this status instead of running the request (429, 500, 503, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// For a forced 429: the Retry-After and Carto-Rate-Limit-Reset value (default 1); for a
    /// forced 503: a Retry-After header when set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    /// Replace the body with truncated, invalid JSON (status unchanged).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub malformed_json: bool,
    /// Send the body slowly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub drip: Option<Drip>,
    /// Send this many body bytes, then break the connection (Content-Length stays the full size).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub abort_after_bytes: Option<usize>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redirect: Option<Redirect>,
}

impl Fault {
    /// A fault for requests whose path starts with `path_prefix` (e.g. `/user/demo/api/v2/sql`).
    pub fn on(path_prefix: &str) -> Fault {
        Fault {
            path_prefix: Some(path_prefix.to_string()),
            ..Fault::default()
        }
    }
    /// A fault for a single request (sent as a header); no route.
    pub fn once() -> Fault {
        Fault::default()
    }
    pub fn method(mut self, method: &str) -> Fault {
        self.method = Some(method.to_string());
        self
    }
    /// Disarm after `n` matching requests.
    pub fn times(mut self, n: u32) -> Fault {
        self.count = Some(n);
        self
    }
    pub fn delay(mut self, d: Duration) -> Fault {
        self.delay_ms = Some(d.as_millis() as u64);
        self
    }
    /// Answer with this status instead of running the request (429 carries CARTO's headers).
    pub fn status(mut self, status: u16) -> Fault {
        self.status = Some(status);
        self
    }
    pub fn retry_after(mut self, secs: u64) -> Fault {
        self.retry_after = Some(secs);
        self
    }
    pub fn malformed_json(mut self) -> Fault {
        self.malformed_json = true;
        self
    }
    pub fn drip(mut self, chunk_bytes: usize, interval: Duration) -> Fault {
        self.drip = Some(Drip {
            chunk_bytes,
            interval_ms: interval.as_millis() as u64,
        });
        self
    }
    /// Send `bytes` of the body, then break the connection.
    pub fn abort_after(mut self, bytes: usize) -> Fault {
        self.abort_after_bytes = Some(bytes);
        self
    }
    pub fn redirect(mut self, status: u16, location: &str) -> Fault {
        self.redirect = Some(Redirect {
            status,
            location: location.to_string(),
        });
        self
    }

    /// Whether the server can apply it: a real status, a drip that moves, a redirect with a
    /// redirect status and a location that fits in a header.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(s) = self.status {
            if !(100..=599).contains(&s) {
                return Err(format!("status {s} is not an HTTP status"));
            }
        }
        if let Some(d) = &self.drip {
            if d.chunk_bytes == 0 {
                return Err("drip.chunk_bytes must be at least 1".into());
            }
        }
        if let Some(r) = &self.redirect {
            if ![301, 302, 303, 307, 308].contains(&r.status) {
                return Err(format!(
                    "redirect.status {} is not a redirect status",
                    r.status
                ));
            }
            // What an HTTP header value may hold: tab and visible ASCII.
            if !r
                .location
                .bytes()
                .all(|b| b == b'\t' || (0x20..0x7f).contains(&b))
            {
                return Err("redirect.location is not a valid header value".into());
            }
        }
        if let Some(m) = &self.method {
            if m.is_empty() {
                return Err("method must not be empty".into());
            }
        }
        Ok(())
    }

    /// Whether a route fault applies to a request.
    pub fn matches(&self, method: &str, path: &str) -> bool {
        self.path_prefix
            .as_deref()
            .is_some_and(|p| path.starts_with(p))
            && self
                .method
                .as_deref()
                .is_none_or(|m| m.eq_ignore_ascii_case(method))
    }

    /// Whether the real handler must be skipped.
    pub fn short_circuits(&self) -> bool {
        self.redirect.is_some() || self.status.is_some()
    }

    /// Whether the real handler's body is changed on its way out.
    pub fn reshapes_body(&self) -> bool {
        self.malformed_json || self.drip.is_some() || self.abort_after_bytes.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_what_is_set_is_serialised() {
        let f = Fault::on("/user/demo/api/v2/sql")
            .method("POST")
            .times(2)
            .status(429)
            .retry_after(3);
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            json!({"path_prefix":"/user/demo/api/v2/sql","method":"POST","count":2,"status":429,"retry_after":3})
        );
        let f = Fault::once()
            .drip(4, Duration::from_millis(5))
            .abort_after(10)
            .malformed_json();
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            json!({"malformed_json":true,"drip":{"chunk_bytes":4,"interval_ms":5},"abort_after_bytes":10})
        );
    }

    #[test]
    fn what_the_harness_writes_the_server_reads_back() {
        let all = Fault::on("/x")
            .method("GET")
            .times(1)
            .delay(Duration::from_millis(7))
            .status(503)
            .retry_after(2)
            .malformed_json()
            .drip(3, Duration::from_millis(1))
            .abort_after(9)
            .redirect(307, "http://other.localhost:1/x");
        for f in [all, Fault::once()] {
            let text = serde_json::to_string(&f).unwrap();
            assert_eq!(serde_json::from_str::<Fault>(&text).unwrap(), f);
        }
        assert!(serde_json::from_str::<Fault>(r#"{"bogus":1}"#).is_err());
    }

    #[test]
    fn validation_names_the_bad_part() {
        assert!(Fault::once()
            .status(600)
            .validate()
            .unwrap_err()
            .contains("600"));
        let drip = Fault::once()
            .drip(0, Duration::ZERO)
            .validate()
            .unwrap_err();
        assert!(drip.contains("chunk_bytes"), "{drip}");
        let not_redirect = Fault::once().redirect(200, "/x").validate().unwrap_err();
        assert!(not_redirect.contains("redirect.status"), "{not_redirect}");
        let newline = Fault::once().redirect(302, "/x\r\nSet-Cookie: a=b");
        assert!(newline.validate().unwrap_err().contains("header value"));
        assert!(Fault::once().method("").validate().is_err());
        assert!(Fault::on("/x").redirect(308, "/y").validate().is_ok());
    }

    #[test]
    fn route_faults_match_prefix_and_method() {
        let f = Fault::on("/user/demo/api/v2/sql").method("post");
        assert!(f.matches("POST", "/user/demo/api/v2/sql/job"));
        assert!(!f.matches("GET", "/user/demo/api/v2/sql"));
        assert!(!f.matches("POST", "/user/other"));
        assert!(!Fault::once().matches("GET", "/"));
    }
}
