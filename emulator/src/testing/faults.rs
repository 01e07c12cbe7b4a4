//! Fault injection for client reliability tests: armed per route through the admin API, or
//! per request with an `X-Emulator-Fault` header (honoured only with a valid admin token). The
//! fault itself is `carto_emulator::fault::Fault`, shared with the test harness.

use std::sync::Mutex;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use carto_emulator::fault::Fault;
use futures_util::StreamExt;
use hyper::header::{HeaderValue, CONTENT_LENGTH, CONTENT_TYPE, LOCATION};
use hyper::StatusCode;
use serde::Serialize;

use crate::http::errors::ApiError;
use crate::testing::rate_limit::Decision;

/// Largest response body a fault will buffer to reshape it.
const MAX_BUFFERED: usize = 64 * 1024 * 1024;

#[derive(Debug, Clone, Serialize)]
pub struct Armed {
    pub id: u64,
    pub spec: Fault,
    /// Requests left before it disarms (None: until cleared).
    pub remaining: Option<u32>,
}

#[derive(Default)]
pub struct Faults {
    inner: Mutex<(u64, Vec<Armed>)>,
}

impl Faults {
    pub fn arm(&self, spec: Fault) -> Result<u64, String> {
        spec.validate()?;
        if spec.path_prefix.as_deref().is_none_or(str::is_empty) {
            return Err("a route fault needs a non-empty path_prefix".into());
        }
        if spec.count == Some(0) {
            return Err("count must be at least 1".into());
        }
        let mut g = self.inner.lock().unwrap();
        g.0 += 1;
        let id = g.0;
        let remaining = spec.count;
        g.1.push(Armed {
            id,
            spec,
            remaining,
        });
        Ok(id)
    }

    pub fn list(&self) -> Vec<Armed> {
        self.inner.lock().unwrap().1.clone()
    }

    pub fn clear(&self) {
        self.inner.lock().unwrap().1.clear();
    }

    pub fn remove(&self, id: u64) -> bool {
        let mut g = self.inner.lock().unwrap();
        let before = g.1.len();
        g.1.retain(|a| a.id != id);
        g.1.len() != before
    }

    /// The first armed fault matching the request, consuming one of its uses.
    pub fn take_match(&self, method: &str, path: &str) -> Option<Fault> {
        let mut g = self.inner.lock().unwrap();
        let pos = g.1.iter().position(|a| a.spec.matches(method, path))?;
        let spec = g.1[pos].spec.clone();
        if let Some(r) = g.1[pos].remaining.as_mut() {
            *r -= 1;
            if *r == 0 {
                g.1.remove(pos);
            }
        }
        Some(spec)
    }
}

/// The response of a fault that replaces the handler (redirect or forced status).
pub fn short_circuit_response(spec: &Fault) -> Response {
    if let Some(r) = &spec.redirect {
        let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::FOUND);
        let mut resp = status.into_response();
        if let Ok(v) = HeaderValue::from_str(&r.location) {
            resp.headers_mut().insert(LOCATION, v);
        }
        return resp;
    }
    let code = spec.status.unwrap_or(500);
    let status = StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match code {
        429 => {
            let retry = spec.retry_after.unwrap_or(1);
            ApiError::rate_limited(
                Decision {
                    allowed: false,
                    limit: 1,
                    remaining: 0,
                    reset: retry,
                    retry_after: retry,
                }
                .headers(),
            )
            .into_response()
        }
        503 => {
            let mut resp =
                ApiError::new(status, "Service unavailable (injected by carto-emulator)")
                    .into_response();
            // A maintenance 503 may say when to come back; clients retry on it.
            if let Some(after) = spec.retry_after {
                resp.headers_mut()
                    .insert(axum::http::header::RETRY_AFTER, HeaderValue::from(after));
            }
            resp
        }
        _ => ApiError::new(
            status,
            format!("Injected failure {code} (carto-emulator fault)"),
        )
        .into_response(),
    }
}

/// Applies malformed JSON, drip and abort to a real response.
pub async fn reshape(spec: &Fault, resp: Response) -> Response {
    let (mut parts, body) = resp.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BUFFERED).await {
        Ok(b) => b,
        Err(e) => {
            return ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("fault injection could not buffer the response: {e}"),
            )
            .into_response()
        }
    };
    let bytes = if spec.malformed_json {
        parts.headers.insert(
            CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        malformed(&bytes)
    } else {
        bytes
    };
    parts
        .headers
        .insert(CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let chunk = spec.drip.as_ref().map(|d| d.chunk_bytes).unwrap_or(8192);
    let interval = Duration::from_millis(spec.drip.as_ref().map(|d| d.interval_ms).unwrap_or(0));
    let limit = spec
        .abort_after_bytes
        .unwrap_or(usize::MAX)
        .min(bytes.len());
    let aborts = spec.abort_after_bytes.is_some_and(|n| n < bytes.len());
    let pieces: Vec<Bytes> = (0..limit)
        .step_by(chunk.max(1))
        .map(|start| bytes.slice(start..(start + chunk).min(limit)))
        .collect();
    let stream = futures_util::stream::iter(pieces.into_iter().enumerate())
        .then(move |(i, piece)| async move {
            if i > 0 && !interval.is_zero() {
                tokio::time::sleep(interval).await;
            }
            Ok::<Bytes, std::io::Error>(piece)
        })
        .chain(
            futures_util::stream::iter(aborts.then_some(())).then(|()| async {
                // Let hyper flush what was sent, then fail the body: hyper drops the
                // connection mid-body, so the client sees a truncated response.
                tokio::time::sleep(Duration::from_millis(50)).await;
                Err(std::io::Error::other(
                    "connection aborted by carto-emulator fault",
                ))
            }),
        );
    Response::from_parts(parts, Body::from_stream(stream))
}

/// Cut a JSON body in half and append junk, so no parser accepts it.
fn malformed(body: &[u8]) -> Bytes {
    let mut out = if body.is_empty() {
        b"{\"rows\":[".to_vec()
    } else {
        body[..body.len() / 2].to_vec()
    };
    out.extend_from_slice(b"<<carto-emulator: malformed JSON");
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(json: &str) -> Fault {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn route_faults_match_prefix_and_method_and_disarm_after_count() {
        let f = Faults::default();
        f.arm(spec(
            r#"{"path_prefix":"/user/demo/api/v2/sql","method":"post","count":2,"status":503}"#,
        ))
        .unwrap();
        assert!(f.take_match("GET", "/user/demo/api/v2/sql").is_none());
        assert!(f.take_match("POST", "/user/other").is_none());
        assert!(f.take_match("POST", "/user/demo/api/v2/sql").is_some());
        assert!(f.take_match("POST", "/user/demo/api/v2/sql/job").is_some());
        assert!(f.take_match("POST", "/user/demo/api/v2/sql").is_none());
        assert!(f.list().is_empty());
    }

    #[test]
    fn invalid_specs_are_rejected() {
        let f = Faults::default();
        assert!(f.arm(spec(r#"{"status":503}"#)).is_err());
        assert!(f
            .arm(spec(
                r#"{"path_prefix":"/","redirect":{"status":200,"location":"/x"}}"#
            ))
            .is_err());
        assert!(f
            .arm(spec(
                r#"{"path_prefix":"/","drip":{"chunk_bytes":0,"interval_ms":1}}"#
            ))
            .is_err());
        assert!(serde_json::from_str::<Fault>(r#"{"bogus":1}"#).is_err());
    }

    #[test]
    fn malformed_bodies_never_parse() {
        for body in [&b""[..], b"{}", br#"{"rows":[{"a":1}],"total_rows":1}"#] {
            assert!(serde_json::from_slice::<serde_json::Value>(&malformed(body)).is_err());
        }
    }
}
