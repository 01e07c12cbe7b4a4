//! CARTO's error responses: `{"error":[msg], "detail"?, "hint"?, "context"?}` for the SQL API
//! with its status rules (403 for any "permission denied", 429 for limits and timeouts).

use axum::response::{IntoResponse, Response};
use hyper::header::{HeaderName, HeaderValue, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::StatusCode;
use serde_json::{json, Map, Value};
use tokio_postgres::error::SqlState;

pub const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub body: Value,
    pub headers: Vec<(&'static str, String)>,
}

impl ApiError {
    /// An SQL API error; any message mentioning "permission denied" is a 403, as in CARTO.
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        let message = message.into();
        let status = if message.contains("permission denied") {
            StatusCode::FORBIDDEN
        } else {
            status
        };
        ApiError {
            status,
            body: json!({ "error": [message] }),
            headers: Vec::new(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, message)
    }

    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "Unauthorized")
    }

    pub fn permission_denied() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "permission denied")
    }

    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden")
    }

    pub fn unknown_user(user: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            format!(
                "Sorry, we can't find CARTO user '{user}'. Please check that you have entered the correct domain."
            ),
        )
    }

    pub fn system_tables() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "system tables are forbidden")
    }

    /// CARTO's 429 for a spent rate limit, with the limiter's headers.
    pub fn rate_limited(headers: Vec<(&'static str, String)>) -> ApiError {
        let mut e = ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({
                "error": ["You are over platform's limits. Please contact us to know more details"],
                "context": "limit",
                "detail": "rate-limit"
            }),
            headers: Vec::new(),
        };
        e.headers.extend(headers);
        e
    }

    pub fn statement_timeout() -> ApiError {
        ApiError {
            status: StatusCode::TOO_MANY_REQUESTS,
            body: json!({
                "error": ["You are over platform's limits: SQL query timeout error. Refactor your query before running again or contact CARTO support for more details."],
                "context": "limit",
                "detail": "datasource"
            }),
            headers: Vec::new(),
        }
    }

    /// Maps a PostgreSQL error: cancellations (statement timeout) are CARTO's 429 datasource
    /// error; other server errors carry PostgreSQL's message, detail and hint.
    pub fn from_pg(e: &tokio_postgres::Error) -> ApiError {
        match e.as_db_error() {
            Some(db) if db.code() == &SqlState::QUERY_CANCELED => ApiError::statement_timeout(),
            Some(db) => {
                let mut err = ApiError::new(StatusCode::BAD_REQUEST, db.message());
                if let Value::Object(m) = &mut err.body {
                    if let Some(d) = db.detail() {
                        m.insert("detail".into(), Value::String(d.into()));
                    }
                    if let Some(h) = db.hint() {
                        m.insert("hint".into(), Value::String(h.into()));
                    }
                }
                err
            }
            None => ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("database error: {e}"),
            ),
        }
    }

    /// The messages as one string (CARTO 3's `error` is a string).
    pub fn message(&self) -> String {
        match self.body.get("error") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|m| m.as_str().map_or_else(|| m.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join("; "),
            Some(Value::String(s)) => s.clone(),
            _ => self.status.to_string(),
        }
    }

    /// The same failure in CARTO 3's shape, `{"error": "...", "status": N}`.
    pub fn into_v3(self) -> Response {
        let mut resp = v3_error(self.status, self.message());
        apply_headers(&mut resp, &self.headers);
        resp
    }

    /// The `error` array's content, for appending to a response that already started.
    pub fn messages(&self) -> Value {
        self.body.get("error").cloned().unwrap_or(json!([]))
    }

    /// A JSONP error is delivered with status 200 inside the callback.
    pub fn into_jsonp(self, callback: &str) -> Response {
        let body = format!("{callback}({});", self.body);
        let mut resp = (StatusCode::OK, body).into_response();
        set_json_headers(&mut resp);
        apply_headers(&mut resp, &self.headers);
        resp
    }
}

fn set_json_headers(resp: &mut Response) {
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    h.insert(CONTENT_DISPOSITION, HeaderValue::from_static("inline"));
}

pub fn apply_headers(resp: &mut Response, headers: &[(&'static str, String)]) {
    for (k, v) in headers {
        // from_bytes accepts CARTO's mixed-case spelling and normalises it.
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(k.as_bytes()),
            HeaderValue::from_str(v),
        ) {
            resp.headers_mut().insert(name, value);
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, self.body.to_string()).into_response();
        set_json_headers(&mut resp);
        apply_headers(&mut resp, &self.headers);
        resp
    }
}

/// The Auth API's error shape: `{"errors": "...", "errors_cause": null}`.
pub fn auth_api_error(status: StatusCode, message: impl Into<String>) -> Response {
    let mut m = Map::new();
    m.insert("errors".into(), Value::String(message.into()));
    m.insert("errors_cause".into(), Value::Null);
    let mut resp = (status, Value::Object(m).to_string()).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    resp
}

/// The Auth API answers unauthenticated requests with 401 and an empty body.
pub fn empty_unauthorized() -> Response {
    StatusCode::UNAUTHORIZED.into_response()
}

/// CARTO 3's error shape: JSON with a string `error` (and the status), which CARTO's clients
/// turn into their message (reference §4.8).
pub fn v3_error(status: StatusCode, message: impl Into<String>) -> Response {
    json_response(
        status,
        &serde_json::json!({"error": message.into(), "status": status.as_u16()}),
    )
}

/// A JSON success response.
pub fn json_response(status: StatusCode, body: &Value) -> Response {
    let mut resp = (status, body.to_string()).into_response();
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_denied_is_always_403() {
        let e = ApiError::bad_request("permission denied for table points_private");
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert_eq!(
            e.body,
            json!({"error":["permission denied for table points_private"]})
        );
        assert_eq!(
            ApiError::bad_request("syntax error at or near \"x\"").status,
            StatusCode::BAD_REQUEST
        );
    }

    #[test]
    fn limit_errors_have_context_and_detail() {
        let e = ApiError::rate_limited(vec![("Retry-After", "1".into())]);
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.body["detail"], "rate-limit");
        assert_eq!(e.headers, [("Retry-After", "1".to_string())]);
        let t = ApiError::statement_timeout();
        assert_eq!(t.body["detail"], "datasource");
        assert_eq!(t.body["context"], "limit");
        assert!(t.headers.is_empty());
    }
}
