//! CARTO 3's SQL jobs: `POST /v3/sql/{connection}/job` (`query` or `q`, and
//! `queryParameters`), `GET|DELETE /v3/sql/{connection}/job/{id}` and `GET /v3/sql/jobs`.
//! They run on the Batch API's per-user workers, one statement each, without a timeout.
//!
//! Unconfirmed (reference §4.3): the body and the reply (`{jobId, status, externalId}`) come
//! from a third-party description only; the statuses are the Batch API's (`pending`,
//! `running`, `done`, `failed`, `cancelled`). The emulator accepts both `query` and `q`.

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

use crate::api::batch;
use crate::api::carto3::authenticate::authenticate;
use crate::api::carto3::sql::prepare;
use crate::http::context::Ctx;
use crate::http::errors::{json_response, v3_error};
use crate::state::carto3::Carto3;
use crate::state::jobs::{now, Carto3Job, Hooks, Job, QueryItem, Status};
use crate::state::App;

fn job_json(j: &Job) -> Value {
    let c3 = j.carto3.as_ref().expect("a CARTO 3 job");
    let mut v = json!({
        "jobId": j.id,
        // The warehouse's own id of the job; the emulator's jobs have only one.
        "externalId": j.id,
        "connectionName": c3.connection,
        "query": j.queries[0].query,
        "status": j.status.as_str(),
        "createdAt": j.created_at,
        "updatedAt": j.updated_at,
    });
    if let Some(r) = &j.failed_reason {
        v["error"] = json!(r);
    }
    v
}

fn not_found(id: &str) -> Response {
    v3_error(StatusCode::NOT_FOUND, format!("Job not found: {id}"))
}

/// `POST /v3/sql/{connection}/job`.
pub async fn create(app: &Arc<App>, c3: &Carto3, ctx: &Ctx, body: Body, conn: &str) -> Response {
    if ctx.method != Method::POST {
        return v3_error(StatusCode::METHOD_NOT_ALLOWED, "Use POST to create a job");
    }
    let stmt = match prepare(app, c3, ctx, body, conn, &["query", "q"]).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (caller, target) = (stmt.caller, stmt.target);
    let ts = now();
    let job = Job {
        id: crate::pg::accounts::random_uuid(),
        user: target.user.clone(),
        role: target.role.clone(),
        single: true,
        queries: vec![QueryItem {
            query: stmt.sql,
            status: Status::Pending,
            failed_reason: None,
            hooks: Hooks::default(),
        }],
        status: Status::Pending,
        created_at: ts.clone(),
        updated_at: ts,
        failed_reason: None,
        cancel: None,
        fallback: None,
        carto3: Some(Carto3Job {
            account: caller.account_id().to_string(),
            connection: conn.to_string(),
        }),
    };
    let body = job_json(&job);
    let id = job.id.clone();
    app.jobs.jobs.lock().unwrap().insert(id.clone(), job);
    batch::enqueue(app, &target.user, id);
    json_response(StatusCode::CREATED, &body)
}

/// `GET|DELETE /v3/sql/{connection}/job/{id}`.
pub fn one(c3: &Carto3, app: &App, ctx: &Ctx, conn: &str, id: &str) -> Response {
    let caller = match authenticate(c3, ctx, None) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let mut jobs = app.jobs.jobs.lock().unwrap();
    let Some(job) = jobs.get_mut(id).filter(|j| {
        j.carto3
            .as_ref()
            .is_some_and(|c| c.account == caller.account_id() && c.connection == conn)
    }) else {
        return not_found(id);
    };
    match ctx.method {
        Method::GET => json_response(StatusCode::OK, &job_json(job)),
        Method::DELETE => match batch::cancel(job) {
            Ok(()) => json_response(StatusCode::OK, &job_json(job)),
            Err(e) => v3_error(StatusCode::BAD_REQUEST, e),
        },
        _ => v3_error(StatusCode::METHOD_NOT_ALLOWED, "Use GET or DELETE"),
    }
}

/// `GET /v3/sql/jobs`: the caller's account's jobs, newest first.
pub fn list(c3: &Carto3, app: &App, ctx: &Ctx) -> Response {
    let caller = match authenticate(c3, ctx, None) {
        Ok(c) => c,
        Err(r) => return r,
    };
    let jobs = app.jobs.jobs.lock().unwrap();
    let mut mine: Vec<&Job> = jobs
        .values()
        .filter(|j| {
            j.carto3
                .as_ref()
                .is_some_and(|c| c.account == caller.account_id())
        })
        .collect();
    mine.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(a.id.cmp(&b.id)));
    json_response(
        StatusCode::OK,
        &Value::Array(mine.into_iter().map(job_json).collect()),
    )
}
