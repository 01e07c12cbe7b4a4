//! The COPY API: `copyfrom` streams the request body (chunked, optionally gzip) into
//! `COPY ... FROM STDIN`; `copyto` streams `COPY ... TO STDOUT` to the client. Both run in
//! constant memory whatever the size.

use std::io;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::{SinkExt, StreamExt};
use hyper::header::{HeaderValue, CONNECTION, CONTENT_DISPOSITION, CONTENT_TYPE};
use hyper::{Method, StatusCode};
use serde_json::json;
use tokio_postgres::NoTls;

use crate::api::sql_api::{check_rate, find_key, find_user, sql_request};
use crate::http::context::{body_error, body_reader, Ctx};
use crate::http::errors::{json_response, ApiError};
use crate::http::form::{self, Params};
use crate::pg::db::PooledConn;
use crate::state::App;

/// Returns the connection to the pool only if the COPY finished; otherwise it is cancelled and
/// closed, since it is in the middle of a COPY.
struct CopyGuard {
    conn: PooledConn,
    finished: bool,
}

impl Drop for CopyGuard {
    fn drop(&mut self) {
        if !self.finished {
            self.conn.discard = true;
            let token = self.conn.cancel_token();
            tokio::spawn(async move {
                let _ = token.cancel_query(NoTls).await;
            });
        }
    }
}

fn check_copy_sql(q: Option<String>) -> Result<String, ApiError> {
    let q = q
        .filter(|q| !q.trim().is_empty())
        .ok_or_else(|| ApiError::bad_request("SQL is missing"))?;
    if !q.trim_start().to_ascii_uppercase().starts_with("COPY ") {
        return Err(ApiError::bad_request("SQL must start with COPY"));
    }
    Ok(q)
}

pub async fn copy_from(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    match run_copy_from(app, ctx, body).await {
        Ok(r) => r,
        Err(e) => {
            // A refusal may leave the upload unread, and then the server drops the connection
            // after answering. Saying so keeps a client from reusing it for its next request
            // (which would otherwise race the close and fail without an answer).
            let mut response = e.into_response();
            response
                .headers_mut()
                .insert(CONNECTION, HeaderValue::from_static("close"));
            response
        }
    }
}

async fn run_copy_from(app: &Arc<App>, ctx: &Ctx, body: Body) -> Result<Response, ApiError> {
    let user = find_user(app, ctx)?;
    // No body parser here: the body is the data, so q and the key come from the query string.
    let query = form::parse_urlencoded(ctx.raw_query());
    ctx.record_client(query.get_str("client"));
    let key = find_key(ctx, &user, &query, &Params::default())?;
    check_rate(app, ctx, &user, &key.name)?;
    if !key.has_api("sql") {
        return Err(ApiError::forbidden());
    }
    if ctx.method != Method::POST && ctx.method != Method::PUT {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            format!("Cannot {} {}", ctx.method, ctx.uri.path()),
        ));
    }
    let sql = check_copy_sql(query.get_str("q"))?;
    let start = Instant::now();
    let conn = app
        .pool
        .get(&key.role)
        .await
        .map_err(|e| ApiError::from_pg(&e))?;
    let mut guard = CopyGuard {
        conn,
        finished: false,
    };
    let sink = guard
        .conn
        .client
        .copy_in::<_, Bytes>(&sql)
        .await
        .map_err(|e| ApiError::from_pg(&e))?;
    futures_util::pin_mut!(sink);
    let reader = body_reader(&ctx.headers, body);
    let mut chunks = tokio_util::io::ReaderStream::with_capacity(reader, 64 * 1024);
    while let Some(chunk) = chunks.next().await {
        match chunk {
            Ok(bytes) => sink.send(bytes).await.map_err(|e| ApiError::from_pg(&e))?,
            Err(e) => {
                // Dropping the sink aborts the COPY (CopyFail); the guard closes the connection.
                return Err(body_error(&e));
            }
        }
    }
    let rows = sink
        .as_mut()
        .finish()
        .await
        .map_err(|e| ApiError::from_pg(&e))?;
    guard.finished = true;
    if rows == 0 {
        return Err(ApiError::bad_request("No rows copied"));
    }
    let secs = start.elapsed().as_millis() as f64 / 1000.0;
    Ok(json_response(
        StatusCode::OK,
        &json!({ "time": crate::api::format::values::js_number(secs), "total_rows": rows }),
    ))
}

/// encodeURIComponent, for the attachment's file name.
fn encode_uri_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub async fn copy_to(app: &Arc<App>, ctx: &Ctx, body: Body) -> Response {
    match run_copy_to(app, ctx, body).await {
        Ok(r) => r,
        Err(e) => e.into_response(),
    }
}

async fn run_copy_to(app: &Arc<App>, ctx: &Ctx, body: Body) -> Result<Response, ApiError> {
    let (_user, p, key) = sql_request(app, ctx, body).await?;
    let sql = check_copy_sql(p.merged.get_str("q"))?;
    let filename = p
        .merged
        .get_str("filename")
        .filter(|f| !f.is_empty())
        .unwrap_or_else(|| "carto-sql-copyto.dmp".into());
    let conn = app
        .pool
        .get(&key.role)
        .await
        .map_err(|e| ApiError::from_pg(&e))?;
    let stream = conn
        .client
        .copy_out(&sql)
        .await
        .map_err(|e| ApiError::from_pg(&e))?;
    let guard = CopyGuard {
        conn,
        finished: false,
    };
    // Coalesce the one-message-per-row CopyData frames into larger writes.
    let chunks = Box::pin(stream).ready_chunks(256);
    let body_stream =
        futures_util::stream::unfold((chunks, guard), |(mut chunks, mut guard)| async move {
            match chunks.next().await {
                Some(items) => {
                    let mut buf = BytesMut::new();
                    for item in items {
                        match item {
                            Ok(b) => buf.extend_from_slice(&b),
                            Err(e) => {
                                // Headers are gone already: break the connection, not the data.
                                return Some((Err(io::Error::other(e)), (chunks, guard)));
                            }
                        }
                    }
                    Some((Ok(buf.freeze()), (chunks, guard)))
                }
                None => {
                    guard.finished = true;
                    drop(guard);
                    None
                }
            }
        });
    let mut resp = Response::new(Body::from_stream(body_stream));
    let h = resp.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename={}",
        encode_uri_component(&filename)
    )) {
        h.insert(CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_sql_must_be_a_copy() {
        assert_eq!(
            check_copy_sql(None).unwrap_err().body["error"][0],
            "SQL is missing"
        );
        assert_eq!(
            check_copy_sql(Some("select 1".into())).unwrap_err().body["error"][0],
            "SQL must start with COPY"
        );
        assert!(check_copy_sql(Some("  copy t from stdin".into())).is_ok());
    }

    #[test]
    fn file_names_are_uri_encoded() {
        assert_eq!(
            encode_uri_component("/tmp/output.dmp"),
            "%2Ftmp%2Foutput.dmp"
        );
        assert_eq!(encode_uri_component("a b"), "a%20b");
    }
}
