//! `cartoauth sql "QUERY"`: the SQL API's answer on standard output, streamed as it arrives
//! (json, csv, geojson) or as aligned columns (table).

use crate::account;
use crate::args::{Sql, SqlFormat};
use crate::escape::{self, Style};
use crate::exit::{self, Failure, Outcome};
use crate::table;
use cartoauth::{ErrorKind, Request};
use std::io::{IsTerminal, Read, Write};
use std::sync::{Arc, Mutex};

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
                let error = match error {
                    serde_json::Value::Array(items) if items.len() == 1 => items[0].clone(),
                    other => other.clone(),
                };
                let error = error
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or(error.to_string());
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
    let style = match format {
        "csv" => Style::Text,
        _ => Style::Json,
    };
    // Byte for byte into files and pipes; escaped on a terminal, which would obey a stored
    // escape sequence.
    let to_terminal = std::io::stdout().is_terminal();
    let state = Arc::new(Mutex::new(Sink {
        terminal: to_terminal.then(|| escape::Stream::new(std::io::stdout(), style)),
        last: None,
        closed: false,
    }));
    let request =
        Request::sql(query, Some(format)).write_response_to(Box::new(SharedSink(state.clone())));
    let sent = client.send(request).and_then(|r| r.check());
    let mut sink = state.lock().unwrap_or_else(|e| e.into_inner());
    match sent {
        Ok(()) => {
            // JSON and GeoJSON end without a line break; a shell prompt would follow on the
            // same line.
            let newline = if style == Style::Json && sink.last.is_some_and(|b| b != b'\n') {
                &b"\n"[..]
            } else {
                b""
            };
            match sink.write_all(newline).and_then(|()| sink.finish()) {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Failure::new(
                    exit::FAILURE,
                    format!("writing standard output: {e}"),
                )),
                _ => Ok(exit::OK),
            }
        }
        // The reader went away (`| head`): not an error of ours.
        Err(_) if sink.closed => Ok(exit::OK),
        Err(e) => {
            let _ = sink.finish();
            Err(query_failure(e))
        }
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

/// Where the streamed body goes: standard output, through an escaper on a terminal.
/// Remembers the last byte (for the final line break) and whether the reader closed the pipe.
struct Sink {
    terminal: Option<escape::Stream<std::io::Stdout>>,
    last: Option<u8>,
    closed: bool,
}

impl Sink {
    fn finish(&mut self) -> std::io::Result<()> {
        match &mut self.terminal {
            Some(stream) => stream.finish(),
            None => std::io::stdout().lock().flush(),
        }
    }

    fn note(&mut self, result: std::io::Result<()>) -> std::io::Result<()> {
        if let Err(e) = &result {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                self.closed = true;
            }
        }
        result
    }
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = match &mut self.terminal {
            Some(stream) => stream.write_all(buf),
            None => std::io::stdout().lock().write_all(buf),
        };
        self.note(written)?;
        if let Some(&byte) = buf.last() {
            self.last = Some(byte);
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let flushed = match &mut self.terminal {
            Some(stream) => stream.flush(),
            None => std::io::stdout().lock().flush(),
        };
        self.note(flushed)
    }
}

/// The handle the request writes through; the command keeps the other to finish the output.
struct SharedSink(Arc<Mutex<Sink>>);

impl Write for SharedSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).flush()
    }
}
