//! `GET|POST /v3/sql/{connection}/query`: `q` and `queryParameters` from the query string
//! (GET, parameters as JSON text) or the body (POST: JSON, where `queryParameters` is a JSON
//! value, or a form), run on the connection's schema as its account's master role, answered
//! as `{rows, schema, meta}`. The statement timeout and the row cap are CARTO's (one minute,
//! 200,000 rows) unless changed; a failure is `{"error": ...}` with its status.

// Handlers bail out early with finished responses; boxing them would only add noise.
#![allow(clippy::result_large_err)]

use std::sync::Arc;

use axum::body::Body;
use axum::response::Response;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Method, StatusCode};

use crate::api::carto3::access::{allow_api, allow_source, connection, Target};
use crate::api::carto3::authenticate::authenticate;
use crate::api::carto3::params;
use crate::api::format::v3::V3Format;
use crate::api::query::{self, QueryPlan};
use crate::api::sql_api::request_params;
use crate::http::context::Ctx;
use crate::http::errors::{v3_error, ApiError};
use crate::oauth::bearer::Caller;
use crate::pg::db::PooledConn;
use crate::state::carto3::Carto3;
use crate::state::App;

/// A statement with its parameters bound, who sent it and where it runs (shared with jobs).
pub struct Statement {
    pub sql: String,
    pub caller: Caller,
    pub target: Target,
}

/// Authenticates, checks the API, the grant and the connection, and binds the parameters.
/// `query_names` are the parameter names the SQL may come in (`q`; jobs also take `query`).
pub async fn prepare(
    app: &App,
    c3: &Carto3,
    ctx: &Ctx,
    body: Body,
    conn: &str,
    query_names: &[&str],
) -> Result<Statement, Response> {
    let caller = authenticate(c3, ctx, None)?;
    allow_api(ctx, &caller, "sql")?;
    let p = request_params(ctx, body).await.map_err(ApiError::into_v3)?;
    ctx.record_client(p.merged.get_str("client"));
    let Some(q) = query_names
        .iter()
        .find_map(|n| p.merged.get_str(n))
        .filter(|q| !q.trim().is_empty())
    else {
        return Err(v3_error(
            StatusCode::BAD_REQUEST,
            format!("Missing parameter: {}", query_names[0]),
        ));
    };
    allow_source(&caller, conn, &q)?;
    let target = connection(app, c3, &caller, conn)?;
    let values = params::parse(p.merged.0.get("queryParameters"))
        .map_err(|e| v3_error(StatusCode::BAD_REQUEST, e))?;
    let sql =
        params::bind(&q, values.as_ref()).map_err(|e| v3_error(StatusCode::BAD_REQUEST, e))?;
    Ok(Statement {
        sql,
        caller,
        target,
    })
}

/// A connection for `role` with the v3 statement timeout set. A cancelled statement is CARTO
/// 2's 429 "SQL query timeout error" here too; what CARTO 3 answers past its one minute is not
/// documented (unconfirmed).
pub async fn checkout(app: &App, c3: &Carto3, role: &str) -> Result<PooledConn, Response> {
    let pg = app
        .pool
        .get(role)
        .await
        .map_err(|e| ApiError::from_pg(&e).into_v3())?;
    pg.client
        .batch_execute(&format!(
            "SET statement_timeout = {}",
            c3.limits.statement_timeout_ms()
        ))
        .await
        .map_err(|e| ApiError::from_pg(&e).into_v3())?;
    Ok(pg)
}

pub async fn query(
    app: &Arc<App>,
    c3: &Carto3,
    ctx: &Ctx,
    body: Body,
    conn: &str,
) -> Result<Response, Response> {
    if ctx.method != Method::GET && ctx.method != Method::POST {
        return Err(v3_error(StatusCode::METHOD_NOT_ALLOWED, "Use GET or POST"));
    }
    let stmt = prepare(app, c3, ctx, body, conn, &["q"]).await?;
    let pg = checkout(app, c3, &stmt.target.role).await?;
    let plan = QueryPlan {
        sql: stmt.sql,
        formatter: Box::new(V3Format::default()),
        skipfields: Vec::new(),
        forbid_system_tables: false,
        // The docs say results "are capped at 200,000 rows": read as cut there, not refused
        // (unconfirmed).
        max_rows: Some(c3.limits.max_rows()),
    };
    let stream = query::run(pg, plan).await.map_err(ApiError::into_v3)?;
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    // "GET is cached for 1 year; POST is never cached" (CARTO's docs); the headers that say
    // so are inferred.
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static(if ctx.method == Method::GET {
            "public, max-age=31536000"
        } else {
            "no-store"
        }),
    );
    Ok(resp)
}
