//! Running one SQL API query on a role's connection and streaming the formatted result.
//!
//! The statement is first `prepare`d (which parses and describes it without running it) to learn
//! column types, then run with the simple protocol to get text values and the command's row
//! count. Multi-statement SQL (GDAL's `BEGIN;INSERT ...;COMMIT;`) cannot be prepared; it runs
//! with untyped columns. The HTTP status is decided by the first event: an error before any row
//! is an error response, while an error after rows were sent is appended to the body (200).

use std::io;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use tokio_postgres::error::SqlState;
use tokio_postgres::{NoTls, SimpleQueryMessage};

use crate::api::format::{Column, Formatter, Summary};
use crate::http::errors::ApiError;
use crate::pg::db::PooledConn;

/// Flush the output buffer to the client past this size.
const FLUSH_BYTES: usize = 64 * 1024;

pub struct QueryPlan {
    pub sql: String,
    pub formatter: Box<dyn Formatter>,
    pub skipfields: Vec<String>,
    /// Non-master keys may not read pg_catalog / information_schema (CARTO's 403).
    pub forbid_system_tables: bool,
    /// Send at most this many rows and stop the query there (CARTO 3's row cap).
    pub max_rows: Option<u64>,
}

enum Msg {
    Data(Bytes),
    Failed(ApiError),
}

/// A started result: its first bytes are known to be a success.
pub type BodyStream = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, io::Error>> + Send>>;

/// Runs the plan; returns the body stream once the outcome of the start is known.
pub async fn run(conn: PooledConn, plan: QueryPlan) -> Result<BodyStream, ApiError> {
    let (tx, mut rx) = mpsc::channel::<Msg>(8);
    tokio::spawn(execute(conn, plan, tx));
    match rx.recv().await {
        None => Err(ApiError::new(
            hyper::StatusCode::INTERNAL_SERVER_ERROR,
            "the query ended without a result",
        )),
        Some(Msg::Failed(e)) => Err(e),
        Some(Msg::Data(first)) => {
            let rest = futures_util::stream::unfold(rx, |mut rx| async move {
                match rx.recv().await? {
                    Msg::Data(b) => Some((Ok(b), rx)),
                    // Cannot happen after data; abort the connection rather than lie.
                    Msg::Failed(_) => Some((Err(io::Error::other("query failed")), rx)),
                }
            });
            Ok(Box::pin(
                futures_util::stream::once(async move { Ok(first) }).chain(rest),
            ))
        }
    }
}

/// Does SQLSTATE say the text holds several statements?
fn is_multi_statement(e: &tokio_postgres::Error) -> bool {
    e.as_db_error().is_some_and(|db| {
        db.code() == &SqlState::SYNTAX_ERROR && db.message().contains("multiple commands")
    })
}

/// Wraps a single query in CARTO's paging: `LIMIT rows_per_page OFFSET page*rows_per_page`.
pub fn paged_sql(sql: &str, rows_per_page: Option<u64>, page: Option<u64>) -> String {
    match rows_per_page {
        Some(limit) => {
            let trimmed = sql.trim().trim_end_matches(';');
            let offset = page.unwrap_or(0).saturating_mul(limit);
            format!("SELECT * FROM ({trimmed}) AS cdbq_1 LIMIT {limit} OFFSET {offset}")
        }
        None => sql.to_string(),
    }
}

/// EXPLAINs the query (extended protocol, so nothing runs) and looks for system relations.
pub async fn touches_system_tables(conn: &PooledConn, sql: &str) -> bool {
    let explain = format!("EXPLAIN (FORMAT JSON, VERBOSE) {sql}");
    let Ok(rows) = conn.client.query(&explain, &[]).await else {
        // Unexplainable statements (DDL, several statements) are left to PostgreSQL's grants.
        return false;
    };
    rows.iter().any(|row| {
        row.try_get::<_, Value>(0)
            .map(|plan| plan_has_system_relation(&plan))
            .unwrap_or(false)
    })
}

fn plan_has_system_relation(v: &Value) -> bool {
    match v {
        Value::Object(m) => {
            let schema = m.get("Schema").and_then(Value::as_str).unwrap_or("");
            let relation = m.get("Relation Name").and_then(Value::as_str);
            if let Some(rel) = relation {
                if ["pg_catalog", "information_schema", "pg_toast"].contains(&schema)
                    || rel.starts_with("pg_")
                {
                    return true;
                }
            }
            m.values().any(plan_has_system_relation)
        }
        Value::Array(items) => items.iter().any(plan_has_system_relation),
        _ => false,
    }
}

fn keep_columns(all: &[Column], skip: &[String]) -> (Vec<usize>, Vec<Column>) {
    let idx: Vec<usize> = (0..all.len())
        .filter(|&i| !skip.contains(&all[i].name))
        .collect();
    let cols = idx.iter().map(|&i| all[i].clone()).collect();
    (idx, cols)
}

fn cancel_and_discard(conn: &mut PooledConn) {
    let token = conn.cancel_token();
    conn.discard = true;
    tokio::spawn(async move {
        let _ = token.cancel_query(NoTls).await;
    });
}

/// COPY FROM STDIN / TO STDOUT needs the COPY API; over the SQL API it would hang the protocol.
pub fn is_stdio_copy(sql: &str) -> bool {
    let upper = sql.trim_start().to_ascii_uppercase();
    upper.starts_with("COPY") && (upper.contains("STDIN") || upper.contains("STDOUT"))
}

async fn execute(mut conn: PooledConn, mut plan: QueryPlan, tx: mpsc::Sender<Msg>) {
    let start = Instant::now();
    let sql = plan.sql.clone();
    if is_stdio_copy(&sql) {
        let e = ApiError::bad_request(
            "COPY with STDIN or STDOUT is not supported by the SQL API: use /api/v2/sql/copyfrom or /api/v2/sql/copyto",
        );
        let _ = tx.send(Msg::Failed(e)).await;
        return;
    }
    if plan.forbid_system_tables && touches_system_tables(&conn, &sql).await {
        let _ = tx.send(Msg::Failed(ApiError::system_tables())).await;
        return;
    }
    let described: Option<Vec<Column>> = match conn.client.prepare(&sql).await {
        Ok(stmt) => Some(
            stmt.columns()
                .iter()
                .map(|c| Column::typed(c.name(), c.type_(), c.type_modifier()))
                .collect(),
        ),
        Err(e) if is_multi_statement(&e) => None,
        Err(e) => {
            let _ = tx.send(Msg::Failed(ApiError::from_pg(&e))).await;
            return;
        }
    };
    let stream = match conn.client.simple_query_raw(&sql).await {
        Ok(s) => s,
        Err(e) => {
            if e.as_db_error().is_none() {
                conn.discard = true;
            }
            let _ = tx.send(Msg::Failed(ApiError::from_pg(&e))).await;
            return;
        }
    };
    futures_util::pin_mut!(stream);

    let mut columns: Vec<Column> = described.clone().unwrap_or_default();
    let (mut keep, mut kept) = keep_columns(&columns, &plan.skipfields);
    let mut buf = BytesMut::with_capacity(FLUSH_BYTES);
    let mut started = false;
    let mut streamed: u64 = 0;
    let mut last_count: u64 = 0;
    let mut failure: Option<tokio_postgres::Error> = None;
    let fmt = plan.formatter.as_mut();
    loop {
        let next = tokio::select! {
            m = stream.next() => m,
            _ = tx.closed() => {
                // The client went away: stop PostgreSQL's work too.
                cancel_and_discard(&mut conn);
                return;
            }
        };
        match next {
            Some(Ok(SimpleQueryMessage::RowDescription(desc))) => {
                columns = match &described {
                    Some(d) if d.len() == desc.len() => d.clone(),
                    _ => desc.iter().map(|c| Column::untyped(c.name())).collect(),
                };
                (keep, kept) = keep_columns(&columns, &plan.skipfields);
            }
            Some(Ok(SimpleQueryMessage::Row(row))) => {
                if plan.max_rows.is_some_and(|max| streamed >= max) {
                    // The rest is not wanted: stop PostgreSQL's work and end the result here.
                    cancel_and_discard(&mut conn);
                    break;
                }
                if !started {
                    fmt.begin(&kept, &mut buf);
                    started = true;
                }
                let values: Vec<Option<&str>> = keep.iter().map(|&i| row.get(i)).collect();
                fmt.row(&kept, &values, &mut buf);
                streamed += 1;
                if buf.len() >= FLUSH_BYTES
                    && tx.send(Msg::Data(buf.split().freeze())).await.is_err()
                {
                    cancel_and_discard(&mut conn);
                    return;
                }
            }
            Some(Ok(SimpleQueryMessage::CommandComplete(n))) => last_count = n,
            Some(Ok(_)) => {}
            Some(Err(e)) => {
                // Not a server error (e.g. a COPY sub-protocol we do not speak): the session
                // state is unknown, so never reuse this connection.
                if e.as_db_error().is_none() {
                    conn.discard = true;
                }
                failure = Some(e);
                break;
            }
            None => break,
        }
    }
    let notices = conn.take_notices();
    let late_error = match failure {
        Some(e) if !started => {
            let _ = tx.send(Msg::Failed(ApiError::from_pg(&e))).await;
            return;
        }
        Some(e) => Some(ApiError::from_pg(&e)),
        None => None,
    };
    if !started {
        fmt.begin(&kept, &mut buf);
    }
    // As the SQL API: the command's row count, or the rows streamed when that is 0.
    let total_rows = if last_count > 0 { last_count } else { streamed };
    fmt.finish(
        &Summary {
            elapsed: start.elapsed(),
            columns: &kept,
            total_rows,
            notices: &notices,
            error: late_error.as_ref(),
        },
        &mut buf,
    );
    let _ = tx.send(Msg::Data(buf.freeze())).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stdio_copies_are_recognised() {
        assert!(is_stdio_copy("  copy t to stdout"));
        assert!(is_stdio_copy("COPY t (a) FROM STDIN WITH (FORMAT csv)"));
        assert!(!is_stdio_copy("COPY t TO '/tmp/x'"));
        assert!(!is_stdio_copy("select 'stdin'"));
    }

    #[test]
    fn paging_wraps_and_offsets() {
        assert_eq!(
            paged_sql("select * from t;", Some(10), Some(2)),
            "SELECT * FROM (select * from t) AS cdbq_1 LIMIT 10 OFFSET 20"
        );
        assert_eq!(paged_sql("select 1", None, Some(3)), "select 1");
    }

    #[test]
    fn system_relations_are_found_anywhere_in_a_plan() {
        let plan = json!([{"Plan": {"Node Type": "Hash Join", "Plans": [
            {"Node Type": "Seq Scan", "Relation Name": "points", "Schema": "demo"},
            {"Node Type": "Seq Scan", "Relation Name": "pg_class", "Schema": "pg_catalog"}
        ]}}]);
        assert!(plan_has_system_relation(&plan));
        let user_only = json!([{"Plan": {"Node Type": "Seq Scan", "Relation Name": "points", "Schema": "demo"}}]);
        assert!(!plan_has_system_relation(&user_only));
        let no_rel = json!([{"Plan": {"Node Type": "Result"}}]);
        assert!(!plan_has_system_relation(&no_rel));
    }
}
