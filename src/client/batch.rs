//! CARTO's Batch SQL API (`api/v2/sql/job`): long-running queries run by the server in the
//! background. Create a job, read its status, cancel it, or wait for it to finish.
//!
//! CARTO lets only the master key use this API (others get 403).

use super::request::{Body, Request};
use super::Client;
use crate::error::{Error, ErrorKind, Result};
use serde_json::{json, Map, Value};
use std::time::{Duration, Instant};

const JOB_PATH: &str = "api/v2/sql/job";

/// The status of a job or of one of its queries, as CARTO reports it. The numbers are stable
/// (the C ABI hands them out).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum JobStatus {
    /// Queued, not started.
    Pending = 0,
    /// Running now.
    Running = 1,
    /// Finished successfully.
    Done = 2,
    /// A query failed; see the failure reason.
    Failed = 3,
    /// Cancelled by a user (CARTO spells it `cancelled`; carto-python `canceled`).
    Cancelled = 4,
    /// A query that never ran because an earlier one failed (queries of a multi-query job).
    Skipped = 5,
    /// CARTO lost track of the job, or answered a status this library does not know.
    Unknown = 6,
}

impl JobStatus {
    /// Every status, in the order of their numbers.
    pub const ALL: [JobStatus; 7] = [
        JobStatus::Pending,
        JobStatus::Running,
        JobStatus::Done,
        JobStatus::Failed,
        JobStatus::Cancelled,
        JobStatus::Skipped,
        JobStatus::Unknown,
    ];

    /// Parses CARTO's spelling (both `cancelled` and `canceled` are accepted).
    pub fn parse(text: &str) -> JobStatus {
        match text {
            "pending" => JobStatus::Pending,
            "running" => JobStatus::Running,
            "done" => JobStatus::Done,
            "failed" => JobStatus::Failed,
            "cancelled" | "canceled" => JobStatus::Cancelled,
            "skipped" => JobStatus::Skipped,
            _ => JobStatus::Unknown,
        }
    }

    /// CARTO's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            JobStatus::Pending => "pending",
            JobStatus::Running => "running",
            JobStatus::Done => "done",
            JobStatus::Failed => "failed",
            JobStatus::Cancelled => "cancelled",
            JobStatus::Skipped => "skipped",
            JobStatus::Unknown => "unknown",
        }
    }

    /// Whether the job will not change any more (CARTO's final states).
    pub fn is_final(self) -> bool {
        !matches!(self, JobStatus::Pending | JobStatus::Running)
    }
}

/// One query of a job to create, with CARTO's optional hooks: `onsuccess` runs after the query
/// succeeds, `onerror` after it fails (the server substitutes `<%= job_id %>`,
/// `<%= error_message %>`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchQuery {
    /// The SQL.
    pub query: String,
    /// SQL to run when this query succeeds.
    pub onsuccess: Option<String>,
    /// SQL to run when this query fails.
    pub onerror: Option<String>,
}

impl BatchQuery {
    /// A query without hooks.
    pub fn new(query: impl Into<String>) -> Self {
        BatchQuery {
            query: query.into(),
            ..Default::default()
        }
    }
}

/// A job to create: one or more queries, run in order, plus job-level hooks that run when the
/// whole job succeeds or fails.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchJobSpec {
    /// The queries, in order. At least one.
    pub queries: Vec<BatchQuery>,
    /// SQL to run when every query succeeded.
    pub onsuccess: Option<String>,
    /// SQL to run when a query failed.
    pub onerror: Option<String>,
}

impl BatchJobSpec {
    /// More queries than this in one job is a caller's mistake (CARTO caps a job's body at
    /// 16 KiB).
    pub const MAX_QUERIES: usize = 4096;

    /// Errors unless a job of `count` queries may be created: 1 to [`Self::MAX_QUERIES`].
    /// (Callers that read the queries from elsewhere, the C ABI, check before reading them.)
    pub fn check_query_count(count: usize) -> Result<()> {
        if count == 0 || count > Self::MAX_QUERIES {
            return Err(Error::invalid_argument(format!(
                "argument 'query_count' is {count}; a job has 1 to {} queries",
                Self::MAX_QUERIES
            )));
        }
        Ok(())
    }

    /// A job of one query.
    pub fn query(sql: impl Into<String>) -> Self {
        Self::queries([sql])
    }

    /// A job of several queries, run one after the other; the first failure stops the job.
    pub fn queries<S: Into<String>>(sqls: impl IntoIterator<Item = S>) -> Self {
        BatchJobSpec {
            queries: sqls.into_iter().map(BatchQuery::new).collect(),
            ..Default::default()
        }
    }

    /// The JSON body CARTO expects: a string for one query, a list for several, and CARTO's
    /// "fallback" form (`{"query": {"query": [...], "onsuccess": ..}}`) when there are hooks.
    fn to_json(&self) -> Result<Value> {
        if self.queries.is_empty() {
            return Err(Error::invalid_argument(
                "a batch job needs at least one query",
            ));
        }
        Self::check_query_count(self.queries.len())?;
        for (i, q) in self.queries.iter().enumerate() {
            if q.query.trim().is_empty() {
                return Err(Error::invalid_argument(format!(
                    "query {i} of the batch job is blank"
                )));
            }
        }
        let has_hooks = self.onsuccess.is_some()
            || self.onerror.is_some()
            || self
                .queries
                .iter()
                .any(|q| q.onsuccess.is_some() || q.onerror.is_some());
        let query = if has_hooks {
            let items = self
                .queries
                .iter()
                .map(|q| {
                    let mut o = Map::new();
                    o.insert("query".into(), json!(q.query));
                    hook(&mut o, "onsuccess", &q.onsuccess);
                    hook(&mut o, "onerror", &q.onerror);
                    Value::Object(o)
                })
                .collect();
            let mut o = Map::new();
            o.insert("query".into(), Value::Array(items));
            hook(&mut o, "onsuccess", &self.onsuccess);
            hook(&mut o, "onerror", &self.onerror);
            Value::Object(o)
        } else if self.queries.len() == 1 {
            json!(self.queries[0].query)
        } else {
            json!(self.queries.iter().map(|q| &q.query).collect::<Vec<_>>())
        };
        Ok(json!({ "query": query }))
    }
}

fn hook(object: &mut Map<String, Value>, name: &str, sql: &Option<String>) {
    if let Some(sql) = sql {
        object.insert(name.into(), json!(sql));
    }
}

/// The state of one query of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryState {
    /// The SQL.
    pub query: String,
    /// Its status (a single-query job reports the job's status here).
    pub status: JobStatus,
    /// The server's message when the query failed.
    pub failed_reason: Option<String>,
}

/// A job as the server last reported it.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchJob {
    /// The job's id (a UUID).
    pub id: String,
    /// The account that owns it.
    pub user: Option<String>,
    /// The job's status.
    pub status: JobStatus,
    /// The server's message when the job failed.
    pub failed_reason: Option<String>,
    /// Each query, in order.
    pub queries: Vec<QueryState>,
    /// When the job was created (server time, as sent).
    pub created_at: Option<String>,
    /// When the job last changed (server time, as sent).
    pub updated_at: Option<String>,
}

impl BatchJob {
    /// Reads CARTO's job JSON.
    pub fn from_json(doc: &Value) -> Result<BatchJob> {
        let text = |name: &str| doc.get(name).and_then(Value::as_str).map(str::to_owned);
        let id = text("job_id").filter(|id| !id.is_empty()).ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                "the Batch SQL API answered a job without a \"job_id\"",
            )
        })?;
        let status = JobStatus::parse(text("status").as_deref().unwrap_or(""));
        // The database's message, which may echo any value: bounded and redacted like every
        // message (a lying server's 5 MB reason is cut to 16 KiB).
        let reason = |v: &Value| {
            v.get("failed_reason")
                .and_then(Value::as_str)
                .map(crate::text::redact::message)
        };
        let failed_reason = reason(doc);
        let item = |v: &Value| match v {
            Value::String(s) => QueryState {
                query: s.clone(),
                status,
                failed_reason: failed_reason.clone(),
            },
            other => QueryState {
                query: other
                    .get("query")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned(),
                status: JobStatus::parse(other.get("status").and_then(Value::as_str).unwrap_or("")),
                failed_reason: reason(other),
            },
        };
        let queries = match doc.get("query") {
            Some(Value::Array(items)) => items.iter().map(item).collect(),
            // The fallback form nests the list: {"query": {"query": [...], "onsuccess": ..}}.
            Some(Value::Object(o)) => match o.get("query") {
                Some(Value::Array(items)) => items.iter().map(item).collect(),
                _ => Vec::new(),
            },
            Some(single @ Value::String(_)) => vec![item(single)],
            _ => Vec::new(),
        };
        Ok(BatchJob {
            id,
            user: text("user"),
            status,
            failed_reason,
            queries,
            created_at: text("created_at"),
            updated_at: text("updated_at"),
        })
    }
}

/// How [`Client::batch_wait`] polls: the first pause, growing by half each poll up to
/// `max_interval`, until `timeout`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// Give up (with [`ErrorKind::WaitTimeout`]) after this long. The job keeps running.
    pub timeout: Duration,
    /// The first pause between two polls.
    pub initial_interval: Duration,
    /// The longest pause between two polls.
    pub max_interval: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(3600),
            initial_interval: Duration::from_millis(250),
            max_interval: Duration::from_secs(5),
        }
    }
}

/// Told about each poll (the job as last seen); returns `false` to stop waiting.
pub type WaitFn<'a> = &'a mut dyn FnMut(&BatchJob) -> bool;

fn job_path(id: &str) -> Result<String> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !valid {
        return Err(Error::invalid_argument(format!(
            "job_id {:?} is not a Batch SQL job id (1 to 128 letters, digits, '-' and '_')",
            id.chars().take(40).collect::<String>()
        )));
    }
    Ok(format!("{JOB_PATH}/{id}"))
}

impl Client {
    /// Creates a Batch SQL job (`POST api/v2/sql/job`); the server queues it and answers at
    /// once with its id and status `pending`.
    pub fn batch_create(&self, spec: &BatchJobSpec) -> Result<BatchJob> {
        let body = spec.to_json()?.to_string();
        let response = self
            .send(Request::post(JOB_PATH).body(Body::Json(body)))?
            .error_for_status()?;
        self.job_of(&response.json()?)
    }

    /// Reads a job's status (`GET api/v2/sql/job/{id}`). An unknown id is an
    /// [`ErrorKind::HttpClientError`] (CARTO answers 400 "Job with id ... not found").
    pub fn batch_status(&self, job_id: &str) -> Result<BatchJob> {
        self.batch_status_until(job_id, None)
    }

    /// [`Client::batch_status`], given up at `deadline`.
    fn batch_status_until(&self, job_id: &str, deadline: Option<Instant>) -> Result<BatchJob> {
        let request = Request::get(&job_path(job_id)?)
            .idempotent(true)
            .until(deadline);
        let response = self.send(request)?.error_for_status()?;
        self.job_of(&response.json()?)
    }

    /// Cancels a pending or running job (`DELETE api/v2/sql/job/{id}`) and returns it. A job
    /// that already finished cannot be cancelled: it is returned as it is (carto-python
    /// also treats "Cannot set status from done to cancelled" as an answer, not a failure).
    pub fn batch_cancel(&self, job_id: &str) -> Result<BatchJob> {
        let path = job_path(job_id)?;
        let response = self.send(Request::new("DELETE", &path))?;
        if response.status() == 400
            && response
                .carto_error_message()
                .is_some_and(|m| m.starts_with("Cannot set status from"))
        {
            return self.batch_status(job_id);
        }
        self.job_of(&response.error_for_status()?.json()?)
    }

    /// Polls a job until it finishes, pausing `initial_interval`, then half as long again each
    /// time, up to `max_interval`. Returns the job when it is `done`. A job that failed is an
    /// [`ErrorKind::BatchJobFailed`] error with the server's reason; a cancelled one
    /// [`ErrorKind::BatchJobCancelled`]; running past `timeout` [`ErrorKind::WaitTimeout`];
    /// `on_poll` returning `false` while the job is pending or running
    /// [`ErrorKind::Cancelled`]. Stopping waiting never cancels the job itself (use
    /// [`Client::batch_cancel`]).
    pub fn batch_wait(
        &self,
        job_id: &str,
        options: &WaitOptions,
        mut on_poll: Option<WaitFn<'_>>,
    ) -> Result<BatchJob> {
        if options.initial_interval.is_zero() || options.max_interval < options.initial_interval {
            return Err(Error::invalid_argument(
                "wait options: initial_interval must be above 0 and at most max_interval",
            ));
        }
        let started = Instant::now();
        // Each poll ends with the wait: a server that never answers one cannot hold the wait
        // past its timeout.
        let deadline = started.checked_add(options.timeout);
        let mut interval = options.initial_interval;
        loop {
            let job = match self.batch_status_until(job_id, deadline) {
                Err(e)
                    if e.kind() == ErrorKind::Timeout
                        && deadline.is_some_and(|d| Instant::now() >= d) =>
                {
                    return Err(Error::new(
                        ErrorKind::WaitTimeout,
                        format!(
                            "gave up waiting for batch job {job_id} after {:.1} s: the status poll got no answer in time ({}); the job goes on on the server until it ends or is cancelled",
                            started.elapsed().as_secs_f64(),
                            e.message()
                        ),
                    ))
                }
                other => other?,
            };
            // The callback sees every poll, the last one too; its "stop" matters only while
            // the job has not finished (a finished job is reported as such).
            let keep_waiting = on_poll.as_mut().is_none_or(|on_poll| on_poll(&job));
            match job.status {
                JobStatus::Done => return Ok(job),
                JobStatus::Failed | JobStatus::Unknown | JobStatus::Skipped => {
                    return Err(job_failed(&job))
                }
                JobStatus::Cancelled => {
                    return Err(Error::new(
                        ErrorKind::BatchJobCancelled,
                        format!("batch job {} was cancelled", job.id),
                    ))
                }
                JobStatus::Pending | JobStatus::Running => {}
            }
            if !keep_waiting {
                return Err(Error::new(
                    ErrorKind::Cancelled,
                    format!(
                        "stopped waiting for batch job {} (status {}) at the callback's request; the job goes on",
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
                        "batch job {} is still {} after waiting {:.1} s; it goes on on the server until it ends or is cancelled",
                        job.id,
                        job.status.as_str(),
                        elapsed.as_secs_f64()
                    ),
                ));
            }
            self.pause(
                interval.min(options.timeout - elapsed),
                &format!("waiting for batch job {}", job.id),
            )?;
            interval = (interval + interval / 2).min(options.max_interval);
        }
    }
}

impl Client {
    /// A job from the Batch SQL API's JSON, its failure reasons without this client's secrets.
    fn job_of(&self, doc: &Value) -> Result<BatchJob> {
        let mut job = BatchJob::from_json(doc)?;
        let scrub = |reason: &mut Option<String>| {
            if let Some(text) = reason {
                *text = self.scrub_text(text).into_owned();
            }
        };
        scrub(&mut job.failed_reason);
        for query in &mut job.queries {
            scrub(&mut query.failed_reason);
        }
        Ok(job)
    }
}

fn job_failed(job: &BatchJob) -> Error {
    let reason = job
        .failed_reason
        .clone()
        .or_else(|| job.queries.iter().find_map(|q| q.failed_reason.clone()))
        .unwrap_or_else(|| "the server gave no reason".to_owned());
    Error::new(
        ErrorKind::BatchJobFailed,
        format!(
            "batch job {} ended {}: {}",
            job.id,
            job.status.as_str(),
            reason
        ),
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_job_has_one_to_max_queries() {
        assert!(BatchJobSpec::check_query_count(1).is_ok());
        assert!(BatchJobSpec::check_query_count(BatchJobSpec::MAX_QUERIES).is_ok());
        for count in [0, BatchJobSpec::MAX_QUERIES + 1] {
            let e = BatchJobSpec::check_query_count(count).unwrap_err();
            assert!(e.to_string().contains("1 to 4096 queries"), "{e}");
        }
        let too_many = BatchJobSpec::queries(vec!["select 1"; BatchJobSpec::MAX_QUERIES + 1]);
        assert!(too_many.to_json().is_err());
    }

    use super::*;

    #[test]
    fn bodies_follow_carto_forms() {
        let one = BatchJobSpec::query("select 1").to_json().unwrap();
        assert_eq!(one, json!({"query": "select 1"}));
        let two = BatchJobSpec::queries(["a", "b"]).to_json().unwrap();
        assert_eq!(two, json!({"query": ["a", "b"]}));
        let mut hooked = BatchJobSpec::queries(["a"]);
        hooked.onerror = Some("e".into());
        hooked.queries[0].onsuccess = Some("s".into());
        assert_eq!(
            hooked.to_json().unwrap(),
            json!({"query": {"query": [{"query": "a", "onsuccess": "s"}], "onerror": "e"}})
        );
    }

    #[test]
    fn empty_and_blank_jobs_are_refused_before_sending() {
        let e = BatchJobSpec::default().to_json().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        let e = BatchJobSpec::queries(["select 1", "  "])
            .to_json()
            .unwrap_err();
        assert!(e.message().contains("query 1"), "{e}");
    }

    #[test]
    fn job_json_of_every_shape_is_read() {
        let single = BatchJob::from_json(&json!({"job_id": "j", "status": "failed",
            "query": "select x", "failed_reason": "column \"x\" does not exist"}))
        .unwrap();
        assert_eq!(single.status, JobStatus::Failed);
        assert_eq!(single.queries.len(), 1);
        assert_eq!(single.queries[0].status, JobStatus::Failed);
        let multi = BatchJob::from_json(&json!({"job_id": "j", "status": "cancelled",
            "query": [{"query": "a", "status": "done"}, {"query": "b", "status": "skipped"}]}))
        .unwrap();
        assert_eq!(multi.status, JobStatus::Cancelled);
        assert_eq!(multi.queries[1].status, JobStatus::Skipped);
        let fallback = BatchJob::from_json(&json!({"job_id": "j", "status": "weird",
            "query": {"query": [{"query": "a", "status": "done"}], "onerror": "e"}}))
        .unwrap();
        assert_eq!(fallback.status, JobStatus::Unknown);
        assert_eq!(fallback.queries[0].query, "a");
        let e = BatchJob::from_json(&json!({"status": "done"})).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Protocol);
    }

    #[test]
    fn ids_cannot_escape_the_job_path() {
        assert_eq!(
            job_path("de305d54-75b4").unwrap(),
            "api/v2/sql/job/de305d54-75b4"
        );
        for bad in [
            "",
            "../../api/v3/api_keys",
            "a?api_key=x",
            "a b",
            &"x".repeat(200),
        ] {
            let e = job_path(bad).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad}");
        }
    }

    #[test]
    fn final_states_are_carto_s() {
        for s in [JobStatus::Pending, JobStatus::Running] {
            assert!(!s.is_final());
        }
        for s in [
            JobStatus::Done,
            JobStatus::Failed,
            JobStatus::Cancelled,
            JobStatus::Unknown,
        ] {
            assert!(s.is_final());
        }
        assert_eq!(JobStatus::parse("canceled"), JobStatus::Cancelled);
    }
}
