//! The Batch SQL API (`/api/v2/sql/job`): master key only; jobs run in the background, one at
//! a time per user as on CARTO, through pending → running → done / failed / cancelled.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::{Method, StatusCode};
use serde_json::{json, Map, Value};
use tokio::sync::mpsc;
use tokio_postgres::{CancelToken, NoTls};

use crate::accounts::KeyType;
use crate::app::{read_body, App, Ctx};
use crate::errors::{json_response, ApiError};
use crate::form::{self, Params};
use crate::provision::pg_message;
use crate::routes::Route;
use crate::sql_api::{check_rate, find_key, find_user};

/// CARTO refuses job payloads above 16 KiB.
const MAX_PAYLOAD: usize = 16 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Running,
    Done,
    Failed,
    Cancelled,
    Skipped,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Running => "running",
            Status::Done => "done",
            Status::Failed => "failed",
            Status::Cancelled => "cancelled",
            Status::Skipped => "skipped",
        }
    }

    /// CARTO's allowed transitions (job-status.js).
    pub fn can_become(self, next: Status) -> bool {
        match self {
            Status::Pending => {
                matches!(next, Status::Running | Status::Cancelled | Status::Skipped)
            }
            Status::Running => matches!(
                next,
                Status::Done | Status::Failed | Status::Cancelled | Status::Pending
            ),
            _ => false,
        }
    }
}

#[derive(Debug, Clone)]
struct QueryItem {
    query: String,
    status: Status,
    failed_reason: Option<String>,
}

#[derive(Clone)]
struct Job {
    id: String,
    user: String,
    role: String,
    /// A job created with a single string keeps `query` a string in its JSON.
    single: bool,
    queries: Vec<QueryItem>,
    status: Status,
    created_at: String,
    updated_at: String,
    failed_reason: Option<String>,
    cancel: Option<CancelToken>,
}

fn now() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

impl Job {
    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("job_id".into(), json!(self.id));
        m.insert("user".into(), json!(self.user));
        let query = if self.single {
            json!(self.queries[0].query)
        } else {
            Value::Array(
                self.queries
                    .iter()
                    .map(|q| {
                        let mut o = Map::new();
                        o.insert("query".into(), json!(q.query));
                        o.insert("status".into(), json!(q.status.as_str()));
                        if let Some(r) = &q.failed_reason {
                            o.insert("failed_reason".into(), json!(r));
                        }
                        Value::Object(o)
                    })
                    .collect(),
            )
        };
        m.insert("query".into(), query);
        m.insert("status".into(), json!(self.status.as_str()));
        m.insert("created_at".into(), json!(self.created_at));
        m.insert("updated_at".into(), json!(self.updated_at));
        if let Some(r) = &self.failed_reason {
            m.insert("failed_reason".into(), json!(r));
        }
        Value::Object(m)
    }

    fn set_status(&mut self, s: Status) {
        self.status = s;
        self.updated_at = now();
    }
}

#[derive(Default)]
pub struct Jobs {
    jobs: Mutex<HashMap<String, Job>>,
    queues: Mutex<HashMap<String, mpsc::UnboundedSender<String>>>,
}

impl Jobs {
    /// Cancels everything still running (at shutdown).
    pub fn cancel_all(&self) {
        for job in self.jobs.lock().unwrap().values_mut() {
            if let Some(t) = job.cancel.take() {
                tokio::spawn(async move {
                    let _ = t.cancel_query(NoTls).await;
                });
            }
        }
    }
}

/// Extracts the job's queries: a string, a list of strings, or a list of `{"query": ...}`.
fn parse_queries(v: Option<&Value>) -> Option<(bool, Vec<String>)> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => Some((true, vec![s.clone()])),
        Value::Array(items) if !items.is_empty() => {
            let qs: Option<Vec<String>> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
                    Value::Object(o) => o
                        .get("query")
                        .and_then(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(String::from),
                    _ => None,
                })
                .collect();
            qs.map(|q| (false, q))
        }
        _ => None,
    }
}

pub async fn handle(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    match run(app, ctx, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run(app: &Arc<App>, ctx: &Ctx, body: Body) -> Result<Response, ApiError> {
    let user = find_user(app, ctx)?;
    let query = form::parse_urlencoded(ctx.raw_query());
    let (body_params, raw_len) = if ctx.method == Method::GET || ctx.method == Method::HEAD {
        (Params::default(), 0)
    } else {
        let bytes = read_body(&ctx.headers, body, 4 * 1024 * 1024).await?;
        let ctype = ctx
            .headers
            .get(hyper::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        let params = if ctype.starts_with("application/json") {
            form::parse_json_body(&bytes).map_err(ApiError::bad_request)?
        } else if ctype.starts_with("application/x-www-form-urlencoded") {
            form::parse_urlencoded(&bytes)
        } else {
            Params::default()
        };
        (params, bytes.len())
    };
    let merged = Params::merged(&query, &body_params);
    ctx.record_client(merged.get_str("client"));
    let key = find_key(ctx, &user, &query, &body_params)?;
    check_rate(app, ctx, &user, &key.name)?;
    if key.key_type != KeyType::Master {
        return Err(ApiError::permission_denied());
    }
    match (&ctx.route, &ctx.method) {
        (Route::Jobs, &Method::POST) => {
            if raw_len > MAX_PAYLOAD {
                return Err(ApiError::bad_request(format!(
                    "Your payload is too large: {raw_len} bytes. Max size allowed is {MAX_PAYLOAD} bytes (16kb)."
                )));
            }
            let Some((single, queries)) = parse_queries(merged.0.get("query")) else {
                return Err(ApiError::bad_request("You must indicate a valid SQL"));
            };
            let ts = now();
            let job = Job {
                id: crate::accounts::random_uuid(),
                user: user.username.clone(),
                role: user.master_role(),
                single,
                queries: queries
                    .into_iter()
                    .map(|q| QueryItem {
                        query: q,
                        status: Status::Pending,
                        failed_reason: None,
                    })
                    .collect(),
                status: Status::Pending,
                created_at: ts.clone(),
                updated_at: ts,
                failed_reason: None,
                cancel: None,
            };
            let body = job.to_json();
            let id = job.id.clone();
            app.jobs.jobs.lock().unwrap().insert(id.clone(), job);
            enqueue(app, &user.username, id);
            Ok(json_response(StatusCode::CREATED, &body))
        }
        (Route::Job(id), &Method::GET) => {
            let jobs = app.jobs.jobs.lock().unwrap();
            match jobs.get(id).filter(|j| j.user == user.username) {
                Some(j) => Ok(json_response(StatusCode::OK, &j.to_json())),
                None => Err(not_found(id)),
            }
        }
        (Route::Job(id), &Method::DELETE) => {
            let mut jobs = app.jobs.jobs.lock().unwrap();
            let job = jobs
                .get_mut(id)
                .filter(|j| j.user == user.username)
                .ok_or_else(|| not_found(id))?;
            if !job.status.can_become(Status::Cancelled) {
                return Err(ApiError::bad_request(format!(
                    "Cannot set status from {} to cancelled",
                    job.status.as_str()
                )));
            }
            job.set_status(Status::Cancelled);
            for q in job.queries.iter_mut() {
                if matches!(q.status, Status::Pending | Status::Running) {
                    q.status = Status::Cancelled;
                }
            }
            if let Some(t) = job.cancel.take() {
                tokio::spawn(async move {
                    let _ = t.cancel_query(NoTls).await;
                });
            }
            Ok(json_response(StatusCode::OK, &job.to_json()))
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("Cannot {} {}", ctx.method, ctx.uri.path()),
        )),
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::bad_request(format!("Job with id {id} not found"))
}

/// Hands a job to the user's worker, starting the worker on first use.
fn enqueue(app: &Arc<App>, user: &str, id: String) {
    let mut queues = app.jobs.queues.lock().unwrap();
    let tx = queues.entry(user.to_string()).or_insert_with(|| {
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let app = app.clone();
        tokio::spawn(async move {
            while let Some(id) = rx.recv().await {
                run_job(&app, &id).await;
            }
        });
        tx
    });
    let _ = tx.send(id);
}

async fn run_job(app: &Arc<App>, id: &str) {
    let (role, count) = {
        let mut jobs = app.jobs.jobs.lock().unwrap();
        let Some(job) = jobs.get_mut(id) else { return };
        if job.status != Status::Pending {
            return;
        }
        job.set_status(Status::Running);
        (job.role.clone(), job.queries.len())
    };
    let conn = match app.pool.connect(&role).await {
        Ok(c) => c,
        Err(e) => {
            finish_failed(app, id, 0, pg_message(&e));
            return;
        }
    };
    for i in 0..count {
        let sql = {
            let mut jobs = app.jobs.jobs.lock().unwrap();
            let Some(job) = jobs.get_mut(id) else { return };
            if job.status != Status::Running {
                return;
            }
            job.cancel = Some(conn.cancel_token());
            job.queries[i].status = Status::Running;
            job.queries[i].query.clone()
        };
        let result = conn.client.batch_execute(&sql).await;
        let mut jobs = app.jobs.jobs.lock().unwrap();
        let Some(job) = jobs.get_mut(id) else { return };
        job.cancel = None;
        if job.status == Status::Cancelled {
            return;
        }
        match result {
            Ok(()) => job.queries[i].status = Status::Done,
            Err(e) => {
                drop(jobs);
                finish_failed(app, id, i, pg_message(&e));
                return;
            }
        }
    }
    if let Some(job) = app.jobs.jobs.lock().unwrap().get_mut(id) {
        if job.status == Status::Running {
            job.set_status(Status::Done);
        }
    }
}

fn finish_failed(app: &App, id: &str, index: usize, reason: String) {
    let mut jobs = app.jobs.jobs.lock().unwrap();
    let Some(job) = jobs.get_mut(id) else { return };
    if job.status == Status::Cancelled {
        return;
    }
    if let Some(q) = job.queries.get_mut(index) {
        q.status = Status::Failed;
        q.failed_reason = Some(reason.clone());
    }
    for q in job.queries.iter_mut().skip(index + 1) {
        q.status = Status::Skipped;
    }
    job.failed_reason = Some(reason);
    job.set_status(Status::Failed);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_carto() {
        assert!(Status::Pending.can_become(Status::Cancelled));
        assert!(Status::Running.can_become(Status::Cancelled));
        assert!(!Status::Done.can_become(Status::Cancelled));
        assert!(!Status::Failed.can_become(Status::Cancelled));
        assert!(!Status::Cancelled.can_become(Status::Cancelled));
    }

    #[test]
    fn queries_come_as_string_or_list() {
        assert_eq!(
            parse_queries(Some(&json!("select 1"))),
            Some((true, vec!["select 1".to_string()]))
        );
        assert_eq!(
            parse_queries(Some(&json!(["a", {"query": "b"}]))),
            Some((false, vec!["a".to_string(), "b".to_string()]))
        );
        assert_eq!(parse_queries(Some(&json!(""))), None);
        assert_eq!(parse_queries(Some(&json!([]))), None);
        assert_eq!(parse_queries(None), None);
    }

    #[test]
    fn job_json_has_cartos_keys_in_order() {
        let j = Job {
            id: "i".into(),
            user: "demo".into(),
            role: "r".into(),
            single: true,
            queries: vec![QueryItem {
                query: "select 1".into(),
                status: Status::Pending,
                failed_reason: None,
            }],
            status: Status::Pending,
            created_at: "c".into(),
            updated_at: "u".into(),
            failed_reason: None,
            cancel: None,
        };
        let keys: Vec<String> = j.to_json().as_object().unwrap().keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "job_id",
                "user",
                "query",
                "status",
                "created_at",
                "updated_at"
            ]
        );
    }
}
