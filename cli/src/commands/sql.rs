//! `cartoauth sql "QUERY"`: the SQL API's answer on standard output, streamed as it arrives
//! (json, csv, geojson) or as aligned columns (table).

use crate::account;
use crate::args::{Sql, SqlFormat};
use crate::exit::{self, Failure, Outcome};
use crate::table;
use cartoauth::{ErrorKind, Request};
use std::io::{Read, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Queries read from standard input larger than this are refused (the SQL API's own limit is
/// far lower).
const MAX_QUERY_BYTES: u64 = 16 * 1024 * 1024;

pub fn run(args: Sql) -> Outcome {
    let query = if args.query == "-" {
        read_query()?
    } else {
        args.query.clone()
    };
    if query.trim().is_empty() {
        return Err(Failure::usage("the query is empty"));
    }
    let client = account::client(account::credentials(args.account.profile.as_deref())?)?;
    let format = match args.format {
        SqlFormat::Table => None,
        SqlFormat::Json => Some("json"),
        SqlFormat::Csv => Some("csv"),
        SqlFormat::Geojson => Some("geojson"),
    };
    match format {
        Some(format) => stream(&client, &query, format),
        None => {
            let answer = client.sql(&query, None).map_err(query_failure)?.json()?;
            // An error after the answer began (e.g. a statement timeout) comes inside a 200.
            if let Some(error) = answer.get("error") {
                return Err(Failure::new(
                    exit::QUERY_FAILED,
                    format!("the query failed: {error}"),
                ));
            }
            let text = table::render(&answer).map_err(|e| Failure::new(exit::UNREACHABLE, e))?;
            crate::output::write(&text)
        }
    }
}

fn stream(client: &cartoauth::Client, query: &str, format: &str) -> Outcome {
    let closed = Arc::new(AtomicBool::new(false));
    let sink = Stdout {
        closed: closed.clone(),
    };
    let request = Request::sql(query, Some(format)).write_response_to(Box::new(sink));
    match client.send(request).and_then(|r| r.check()) {
        Ok(()) => Ok(exit::OK),
        // The reader went away (`| head`): not an error of ours.
        Err(_) if closed.load(Ordering::Relaxed) => Ok(exit::OK),
        Err(e) => Err(query_failure(e)),
    }
}

fn query_failure(e: cartoauth::Error) -> Failure {
    let failure = Failure::from(e.clone());
    match e.kind() {
        ErrorKind::HttpClientError | ErrorKind::HttpNotFound => {
            Failure::new(exit::QUERY_FAILED, e.message()).context("the query failed")
        }
        _ => failure,
    }
}

fn read_query() -> Outcome<String> {
    let mut query = String::new();
    std::io::stdin()
        .lock()
        .take(MAX_QUERY_BYTES + 1)
        .read_to_string(&mut query)
        .map_err(|e| Failure::usage(format!("reading the query from standard input: {e}")))?;
    if query.len() as u64 > MAX_QUERY_BYTES {
        return Err(Failure::usage(format!(
            "the query on standard input is longer than {MAX_QUERY_BYTES} bytes"
        )));
    }
    Ok(query)
}

/// Standard output for the streamed body; remembers whether the reader closed the pipe.
struct Stdout {
    closed: Arc<AtomicBool>,
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout()
            .lock()
            .write(buf)
            .inspect_err(|e| self.note(e))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stdout()
            .lock()
            .flush()
            .inspect_err(|e| self.note(e))
    }
}

impl Stdout {
    fn note(&self, e: &std::io::Error) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            self.closed.store(true, Ordering::Relaxed);
        }
    }
}
