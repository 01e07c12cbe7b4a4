//! The Batch SQL API (`/api/v2/sql/job`): master key only; jobs run in the background, one at
//! a time per user as on CARTO, through pending → running → done / failed / cancelled.

use std::sync::Arc;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use hyper::{Method, StatusCode};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_postgres::NoTls;

use crate::api::sql_api::{check_rate, find_key, find_user};
use crate::http::context::{read_body, Ctx};
use crate::http::errors::{json_response, ApiError};
use crate::http::form::{self, Params};
use crate::http::routes::Route;
use crate::pg::accounts::KeyType;
use crate::pg::provision::pg_message;
use crate::state::jobs::{now, Hooks, Job, QueryItem, Status};
use crate::state::App;

/// CARTO refuses job payloads above 16 KiB.
const MAX_PAYLOAD: usize = 16 * 1024;

/// Extracts the job's queries: a string, a list of strings, or a list of `{"query": ...}`.
#[cfg(test)]
fn parse_queries(v: Option<&Value>) -> Option<(bool, Vec<String>)> {
    let (single, items, _) = parse_job_queries(v)?;
    Some((single, items.into_iter().map(|(q, _)| q).collect()))
}

/// As [`parse_queries`], plus CARTO's fallback form `{"query": [{"query", "onsuccess",
/// "onerror"}, ..], "onsuccess", "onerror"}` with its hooks (the job's hooks are `Some`).
#[allow(clippy::type_complexity)]
fn parse_job_queries(v: Option<&Value>) -> Option<(bool, Vec<(String, Hooks)>, Option<Hooks>)> {
    match v? {
        Value::String(s) if !s.trim().is_empty() => {
            Some((true, vec![(s.clone(), Hooks::default())], None))
        }
        Value::Array(items) if !items.is_empty() => {
            let qs: Option<Vec<(String, Hooks)>> = items
                .iter()
                .map(|i| match i {
                    Value::String(s) if !s.trim().is_empty() => Some((s.clone(), Hooks::default())),
                    Value::Object(o) => o
                        .get("query")
                        .and_then(Value::as_str)
                        .filter(|s| !s.trim().is_empty())
                        .map(|q| (q.to_string(), Hooks::of(o))),
                    _ => None,
                })
                .collect();
            qs.map(|q| (false, q, None))
        }
        Value::Object(o) => {
            let (_, items, _) = parse_job_queries(o.get("query").filter(|q| q.is_array()))?;
            Some((false, items, Some(Hooks::of(o))))
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
            let Some((single, queries, fallback)) = parse_job_queries(merged.0.get("query")) else {
                return Err(ApiError::bad_request("You must indicate a valid SQL"));
            };
            let ts = now();
            let job = Job {
                id: crate::pg::accounts::random_uuid(),
                user: user.username.clone(),
                role: user.master_role(),
                single,
                queries: queries
                    .into_iter()
                    .map(|(q, hooks)| QueryItem {
                        query: q,
                        status: Status::Pending,
                        failed_reason: None,
                        hooks,
                    })
                    .collect(),
                status: Status::Pending,
                created_at: ts.clone(),
                updated_at: ts,
                failed_reason: None,
                cancel: None,
                fallback,
                carto3: None,
            };
            let body = job.to_json();
            let id = job.id.clone();
            app.jobs.jobs.lock().unwrap().insert(id.clone(), job);
            enqueue(app, &user.username, id);
            Ok(json_response(StatusCode::CREATED, &body))
        }
        (Route::Job(id), &Method::GET) => {
            let jobs = app.jobs.jobs.lock().unwrap();
            match jobs
                .get(id)
                .filter(|j| j.user == user.username && j.carto3.is_none())
            {
                Some(j) => Ok(json_response(StatusCode::OK, &j.to_json())),
                None => Err(not_found(id)),
            }
        }
        (Route::Job(id), &Method::DELETE) => {
            let mut jobs = app.jobs.jobs.lock().unwrap();
            let job = jobs
                .get_mut(id)
                .filter(|j| j.user == user.username && j.carto3.is_none())
                .ok_or_else(|| not_found(id))?;
            cancel(job).map_err(ApiError::bad_request)?;
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

/// Cancels a pending or running job (and its running statement); why not otherwise.
pub fn cancel(job: &mut Job) -> Result<(), String> {
    if !job.status.can_become(Status::Cancelled) {
        return Err(format!(
            "Cannot set status from {} to cancelled",
            job.status.as_str()
        ));
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
    Ok(())
}

/// Hands a job to the user's worker, starting the worker on first use.
pub fn enqueue(app: &Arc<App>, user: &str, id: String) {
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
        // The lock is released before any hook runs (a guard must not live across an await).
        let next = {
            let mut jobs = app.jobs.jobs.lock().unwrap();
            let Some(job) = jobs.get_mut(id) else { return };
            job.cancel = None;
            if job.status == Status::Cancelled {
                return;
            }
            match result {
                Ok(()) => {
                    job.queries[i].status = Status::Done;
                    Ok(job.queries[i].hooks.onsuccess.clone())
                }
                Err(e) => Err((
                    pg_message(&e),
                    job.queries[i].hooks.onerror.clone(),
                    job.fallback.as_ref().and_then(|h| h.onerror.clone()),
                )),
            }
        };
        match next {
            Ok(hook) => run_hook(&conn, id, hook, "").await,
            Err((reason, query_hook, job_hook)) => {
                finish_failed(app, id, i, reason.clone());
                run_hook(&conn, id, query_hook, &reason).await;
                run_hook(&conn, id, job_hook, &reason).await;
                return;
            }
        }
    }
    let job_hook = {
        let mut jobs = app.jobs.jobs.lock().unwrap();
        let Some(job) = jobs.get_mut(id) else { return };
        if job.status != Status::Running {
            return;
        }
        job.set_status(Status::Done);
        job.fallback.as_ref().and_then(|h| h.onsuccess.clone())
    };
    run_hook(&conn, id, job_hook, "").await;
}

/// Runs a fallback hook; like CARTO, its failure does not change the job's status.
async fn run_hook(conn: &crate::pg::db::Conn, id: &str, sql: Option<String>, error: &str) {
    if let Some(sql) = sql {
        let _ = conn
            .client
            .batch_execute(&Hooks::sql(&sql, id, error))
            .await;
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
    use serde_json::json;

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
        let (single, items, hooks) = parse_job_queries(Some(&json!(
            {"query": [{"query": "a", "onerror": "e"}], "onsuccess": "s"}
        )))
        .unwrap();
        assert!(!single);
        assert_eq!(items[0].1.onerror.as_deref(), Some("e"));
        assert_eq!(hooks.unwrap().onsuccess.as_deref(), Some("s"));
        assert_eq!(parse_queries(Some(&json!(""))), None);
        assert_eq!(parse_queries(Some(&json!([]))), None);
        assert_eq!(parse_queries(None), None);
    }
}
