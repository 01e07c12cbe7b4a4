//! CARTO 3's SQL API: `v3/sql/{connection}/query` and its jobs (`v3/sql/{connection}/job`).
//!
//! A query goes by GET while the whole URL stays within CARTO's limit (7000 characters, under
//! Fastly's 8192), as CARTO's own client does, and by POST with a JSON body beyond it. The
//! answer (`{rows, schema, meta}`) becomes the same typed [`crate::ResultSet`] as CARTO 2's.

use super::batch::{JobStatus, WaitOptions};
use super::request::{Body, Request};
use super::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::result::ResultSet;
use serde_json::{json, Value};
use std::time::Instant;

/// The longest URL sent by GET; longer queries go by POST (CARTO's `DEFAULT_MAX_LENGTH_URL`).
pub const MAX_V3_URL_LEN: usize = 7000;
/// The API version parameter CARTO's clients send.
const API_VERSION: &str = "3.4";
/// The `client` parameter: who is calling.
const CLIENT_NAME: &str = "cartoauth";

/// A connection name as one URL path segment: 1 to 256 characters, no slash or control
/// characters (CARTO's names are letters, digits, `_` and `-`; `carto_dw` is the built-in
/// warehouse).
pub(super) fn connection_segment(connection: &str) -> Result<String> {
    let name = connection.trim();
    if name.is_empty()
        || name == "."
        || name == ".."
        || name.len() > 256
        || name
            .chars()
            .any(|c| c.is_control() || c == '/' || c == '\\')
    {
        return Err(Error::invalid_argument(format!(
            "connection {} is not a CARTO connection name (e.g. carto_dw)",
            crate::text::excerpt::quoted(connection)
        )));
    }
    Ok(percent_encoding::utf8_percent_encode(name, SEGMENT).to_string())
}

/// What a path segment escapes: everything but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// `queryParameters`: a JSON array (`$1`, `:1` placeholders) or object (`@name`).
fn parameters(text: Option<&str>) -> Result<Option<Value>> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::invalid_argument(format!(
            "queryParameters is not valid JSON (line {}, column {}): {e}",
            e.line(),
            e.column()
        ))
    })?;
    match value {
        Value::Array(_) | Value::Object(_) => Ok(Some(value)),
        _ => Err(Error::invalid_argument(
            "queryParameters must be a JSON array ($1, :1 placeholders) or object (@name placeholders)",
        )),
    }
}

impl Client {
    /// The request for a SQL API v3 query on `connection`, GET or POST by the URL's length.
    /// `parameters` is JSON text (an array or an object) or `None`.
    pub fn sql_v3_request(
        &self,
        connection: &str,
        query: &str,
        parameters: Option<&str>,
    ) -> Result<Request> {
        if query.trim().is_empty() {
            return Err(Error::invalid_argument("the SQL query is empty"));
        }
        let path = format!("v3/sql/{}/query", connection_segment(connection)?);
        let params = self::parameters(parameters)?;
        let params_text = params.as_ref().map(Value::to_string);
        let mut pairs: Vec<(&str, &str)> = vec![("q", query)];
        if let Some(p) = &params_text {
            pairs.push(("queryParameters", p));
        }
        pairs.push(("v", API_VERSION));
        pairs.push(("client", CLIENT_NAME));
        let mut url = super::transport::target_url(&self.inner.endpoint.base, &path)?;
        url.query_pairs_mut().extend_pairs(pairs.iter().copied());
        if url.as_str().len() <= MAX_V3_URL_LEN {
            let mut request = Request::get(&path);
            for (name, value) in pairs {
                request.add_query(name, value);
            }
            return Ok(request);
        }
        let mut body = json!({"q": query, "v": API_VERSION, "client": CLIENT_NAME});
        if let Some(params) = params {
            body["queryParameters"] = params;
        }
        Ok(Request::post(&path).body(Body::Json(body.to_string())))
    }

    /// Runs a SQL API v3 query and reads the answer into a [`ResultSet`].
    ///
    /// Errors: HTTP errors with CARTO's message (`{"error": ...}`); the result-set errors of
    /// [`ResultSet::from_json`].
    pub fn sql_v3(
        &self,
        connection: &str,
        query: &str,
        parameters: Option<&str>,
    ) -> Result<ResultSet> {
        let request = self.sql_v3_request(connection, query, parameters)?;
        let mut response = self.send(request)?.error_for_status()?;
        let body = response.take_body();
        drop(response);
        ResultSet::from_json(&body)
    }

    /// Starts a SQL API v3 job (a long query the server runs in the background).
    pub fn sql_job_create(
        &self,
        connection: &str,
        query: &str,
        parameters: Option<&str>,
    ) -> Result<SqlJob> {
        if query.trim().is_empty() {
            return Err(Error::invalid_argument("the SQL query is empty"));
        }
        let path = format!("v3/sql/{}/job", connection_segment(connection)?);
        let mut body = json!({"query": query});
        if let Some(params) = self::parameters(parameters)? {
            body["queryParameters"] = params;
        }
        let response = self
            .send(Request::post(&path).body(Body::Json(body.to_string())))?
            .error_for_status()?;
        SqlJob::from_json(&response.json()?, connection)
    }

    /// A job's status.
    pub fn sql_job_status(&self, connection: &str, job_id: &str) -> Result<SqlJob> {
        let response = self
            .send(Request::get(&job_path(connection, job_id)?))?
            .error_for_status()?;
        SqlJob::from_json(&response.json()?, connection)
    }

    /// Cancels a job; returns its status afterwards.
    pub fn sql_job_cancel(&self, connection: &str, job_id: &str) -> Result<SqlJob> {
        let response = self
            .send(Request::new("DELETE", &job_path(connection, job_id)?))?
            .error_for_status()?;
        match response.json() {
            Ok(doc) if doc.is_object() && !doc.as_object().is_some_and(|o| o.is_empty()) => {
                SqlJob::from_json(&doc, connection)
                    .or_else(|_| self.sql_job_status(connection, job_id))
            }
            _ => self.sql_job_status(connection, job_id),
        }
    }

    /// Polls a job until it ends, with the backoff of `options`. `on_poll` sees every status
    /// and may return `false` to stop waiting ([`ErrorKind::Cancelled`]; the job goes on).
    ///
    /// Errors: [`ErrorKind::BatchJobFailed`] (the server's reason), [`ErrorKind::BatchJobCancelled`],
    /// [`ErrorKind::WaitTimeout`] (the job goes on), and the errors of a status request.
    pub fn sql_job_wait(
        &self,
        connection: &str,
        job_id: &str,
        options: &WaitOptions,
        mut on_poll: Option<&mut dyn FnMut(&SqlJob) -> bool>,
    ) -> Result<SqlJob> {
        if options.initial_interval.is_zero() || options.max_interval < options.initial_interval {
            return Err(Error::invalid_argument(
                "wait options: initial_interval must be above 0 and at most max_interval",
            ));
        }
        let started = Instant::now();
        let mut interval = options.initial_interval;
        loop {
            let job = self.sql_job_status(connection, job_id)?;
            let keep_waiting = on_poll.as_mut().is_none_or(|f| f(&job));
            match job.status {
                JobStatus::Done => return Ok(job),
                JobStatus::Cancelled => {
                    return Err(Error::new(
                        ErrorKind::BatchJobCancelled,
                        format!("SQL job {} was cancelled", job.id),
                    ))
                }
                JobStatus::Failed | JobStatus::Skipped | JobStatus::Unknown => {
                    return Err(Error::new(
                        ErrorKind::BatchJobFailed,
                        format!(
                            "SQL job {} ended {}: {}",
                            job.id,
                            job.status.as_str(),
                            job.error.as_deref().unwrap_or("the server gave no reason")
                        ),
                    ))
                }
                JobStatus::Pending | JobStatus::Running => {}
            }
            if !keep_waiting {
                return Err(Error::new(
                    ErrorKind::Cancelled,
                    format!(
                        "stopped waiting for SQL job {} ({}) at the callback's request; the job goes on",
                        job.id,
                        job.status.as_str()
                    ),
                ));
            }
            let elapsed = started.elapsed();
            if elapsed >= options.timeout {
                return Err(Error::new(
                    ErrorKind::WaitTimeout,
                    format!(
                        "SQL job {} is still {} after {:.1} s; it goes on until it ends or is cancelled",
                        job.id,
                        job.status.as_str(),
                        elapsed.as_secs_f64()
                    ),
                ));
            }
            std::thread::sleep(interval.min(options.timeout - elapsed));
            interval = (interval + interval / 2).min(options.max_interval);
        }
    }
}

fn job_path(connection: &str, job_id: &str) -> Result<String> {
    let valid = !job_id.is_empty()
        && job_id.len() <= 256
        && job_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'));
    if !valid {
        return Err(Error::invalid_argument(format!(
            "job id {} is not a SQL job id (letters, digits, '-', '_', '.', ':')",
            crate::text::excerpt::quoted(job_id)
        )));
    }
    Ok(format!(
        "v3/sql/{}/job/{job_id}",
        connection_segment(connection)?
    ))
}

/// A SQL API v3 job.
#[derive(Debug, Clone, PartialEq)]
pub struct SqlJob {
    /// The job id (`jobId`).
    pub id: String,
    /// The connection it runs on.
    pub connection: String,
    /// Its status.
    pub status: JobStatus,
    /// The warehouse's own id for it (`externalId`), when given.
    pub external_id: Option<String>,
    /// Why it failed, when it did.
    pub error: Option<String>,
    /// The whole answer, as JSON text.
    pub raw: String,
}

impl SqlJob {
    /// Reads a job answer (`{jobId, status, externalId, ...}`; `id`/`job_id` are accepted).
    pub fn from_json(doc: &Value, connection: &str) -> Result<SqlJob> {
        let text = |names: &[&str]| {
            names.iter().find_map(|n| match doc.get(*n) {
                Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
                Some(Value::Number(n)) => Some(n.to_string()),
                _ => None,
            })
        };
        let id = text(&["jobId", "id", "job_id"]).ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "the SQL API v3 answered a job without a jobId",
            )
        })?;
        let status = JobStatus::parse(&text(&["status"]).unwrap_or_default().to_ascii_lowercase());
        let error = text(&["error", "failedReason", "failed_reason", "message"]);
        Ok(SqlJob {
            id,
            connection: connection.to_owned(),
            status,
            external_id: text(&["externalId", "external_id"]),
            error,
            raw: doc.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        let credentials = crate::Credentials::builder()
            .base_url("https://gcp-us-east1.api.carto.com")
            .access_token("tok")
            .build()
            .unwrap();
        Client::new(credentials, crate::ClientOptions::default()).unwrap()
    }

    #[test]
    fn queries_go_by_get_up_to_7000_url_characters_then_post_json() {
        let c = client();
        let r = c
            .sql_v3_request("carto_dw", "select 1", Some("[1]"))
            .unwrap();
        assert_eq!(r.method(), "GET");
        assert_eq!(r.path(), "v3/sql/carto_dw/query");
        let names: Vec<&str> = r.query.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(names, ["q", "queryParameters", "v", "client"]);
        // Find the longest query that still fits in a GET.
        let base = c.sql_v3_request("carto_dw", "x", None).unwrap();
        let mut url =
            super::super::transport::target_url(&c.inner.endpoint.base, base.path()).unwrap();
        url.query_pairs_mut().extend_pairs(base.query.iter());
        let room = MAX_V3_URL_LEN - url.as_str().len();
        let fits = "x".repeat(1 + room);
        assert_eq!(
            c.sql_v3_request("carto_dw", &fits, None).unwrap().method(),
            "GET"
        );
        let over = "x".repeat(2 + room);
        let r = c
            .sql_v3_request("carto_dw", &over, Some("{\"a\":1}"))
            .unwrap();
        assert_eq!(r.method(), "POST");
        match &r.body {
            Body::Json(text) => {
                let doc: Value = serde_json::from_str(text).unwrap();
                assert_eq!(doc["q"], over.as_str());
                assert_eq!(doc["queryParameters"], json!({"a": 1}), "a raw JSON value");
                assert_eq!(doc["v"], "3.4");
            }
            other => panic!("{other:?}"),
        }
        // Characters that percent-encode count as their encoded length.
        let spaces = " ".repeat(room / 2);
        assert_eq!(
            c.sql_v3_request("carto_dw", &format!("x{spaces}"), None)
                .unwrap()
                .method(),
            "GET"
        );
        let encoded = "é".repeat(room / 6 + 2);
        assert_eq!(
            c.sql_v3_request("carto_dw", &encoded, None)
                .unwrap()
                .method(),
            "POST"
        );
    }

    #[test]
    fn bad_connections_parameters_and_job_ids_are_refused() {
        let c = client();
        for conn in ["", "a/b", "a\nb", "..", "."] {
            assert!(
                c.sql_v3_request(conn, "select 1", None).is_err(),
                "{conn:?}"
            );
        }
        assert_eq!(
            c.sql_v3_request("my conn", "select 1", None)
                .unwrap()
                .path(),
            "v3/sql/my%20conn/query"
        );
        let err = c.sql_v3_request("c", "select 1", Some("5")).unwrap_err();
        assert!(err.message().contains("array"));
        assert!(c.sql_v3_request("c", "select 1", Some("[1")).is_err());
        assert!(c.sql_v3_request("c", "  ", None).is_err());
        assert!(job_path("c", "../x").is_err());
        assert!(job_path("c", "").is_err());
        assert_eq!(job_path("c", "job-1").unwrap(), "v3/sql/c/job/job-1");
    }

    #[test]
    fn job_answers_are_read_in_either_spelling() {
        let job = SqlJob::from_json(
            &json!({"jobId": "j1", "status": "running", "externalId": "bq-1"}),
            "carto_dw",
        )
        .unwrap();
        assert_eq!((job.id.as_str(), job.status), ("j1", JobStatus::Running));
        assert_eq!(job.external_id.as_deref(), Some("bq-1"));
        let job =
            SqlJob::from_json(&json!({"id": 7, "status": "FAILED", "error": "boom"}), "c").unwrap();
        assert_eq!((job.id.as_str(), job.status), ("7", JobStatus::Failed));
        assert_eq!(job.error.as_deref(), Some("boom"));
        assert!(SqlJob::from_json(&json!({"status": "done"}), "c").is_err());
    }
}
