//! Reading a query's result in chunks of typed rows while its answer arrives (see
//! [`ResultReader`]): the whole result is never in memory at once, and an answer larger than
//! [`super::ClientOptions::max_body_size`] reads in full.
//!
//! The query is sent once; its answer's body stays open and each [`ResultReader::next_chunk`]
//! reads from it what the chunk needs, on the caller's thread, as a call of its own: the
//! client's interrupt hook and the reader's progress callback are asked as bytes arrive and at
//! least every 250 ms while the server sends nothing, and the call ends within
//! [`super::ClientOptions::total_timeout`] (each wait within the idle timeout). The answer's
//! types come after its rows; an answer longer than the read-ahead asks for them with the same
//! query wrapped as `SELECT * FROM (query) LIMIT 0`, which PostgreSQL plans without running
//! (see `crate::result::stream`).

use super::failure::{abort_error, read_error};
use super::progress::Meter;
use super::request::{ProgressFn, Request};
use super::response::OpenedBody;
use super::wait::Watch;
use super::{Client, Response};
use crate::error::{Error, ErrorKind, Result};
use crate::result::stream::{ChunkReader, Input, READ_BLOCK};
use crate::result::{ColumnSpec, ResultSet};
use std::io::Read;
use std::sync::{Arc, Mutex, PoisonError};

/// The rows a synchronous SQL API v3 query returns at most ("Results are capped at 200,000
/// rows", CARTO's documentation).
pub const MAX_V3_ROWS: u64 = 200_000;

/// A query's result, read in chunks of typed rows as its answer arrives. Open one with
/// [`Client::sql_reader`], [`Client::result_reader`] or [`Client::sql_v3_reader`]; dropping it
/// before the end closes the connection, which stops the query on the server.
///
/// Not for several threads at once (it is `Send`: it may move between threads).
pub struct ResultReader {
    client: Client,
    body: OpenedBody,
    chunks: ChunkReader,
    /// How to ask for the columns before the rows.
    probe: ProbeQuery,
    /// Why asking for them failed, for the message when the answer is then too large.
    probe_refusal: Option<String>,
    progress: Option<Arc<Mutex<ProgressFn>>>,
    /// CARTO 3's row cap: an answer of that many rows may have been cut there.
    row_cap: Option<u64>,
}

impl std::fmt::Debug for ResultReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultReader")
            .field("target", &self.body.target)
            .field("rows_read", &self.chunks.rows_read())
            .field("done", &self.chunks.is_done())
            .finish()
    }
}

/// The query to run wrapped in `LIMIT 0` for the answer's columns.
enum ProbeQuery {
    /// A SQL API request (its parameters, `skipfields` included, apply to the probe too).
    V2(Box<Request>),
    V3 {
        connection: String,
        query: String,
        parameters: Option<String>,
    },
}

/// `query` wrapped so that PostgreSQL plans it and returns no row: its columns, nothing run.
/// The new lines keep a trailing `--` comment from swallowing the parenthesis.
fn probe_sql(query: &str) -> String {
    let mut body = query.trim();
    while let Some(rest) = body.strip_suffix(';') {
        body = rest.trim_end();
    }
    format!("SELECT * FROM (\n{body}\n) AS cartoauth_probe LIMIT 0")
}

impl Client {
    /// Opens a SQL API query for reading in chunks ([`ResultReader::next_chunk`]). The query is
    /// sent here (GET or POST as [`Request::sql`] chooses); an HTTP error status is this call's
    /// error, with CARTO's message.
    pub fn sql_reader(&self, query: &str) -> Result<ResultReader> {
        self.result_reader(Request::sql(query, None))
    }

    /// Opens a SQL API request made with [`Request::sql`] (and its parameters: `skipfields`,
    /// `page`, ...) for reading in chunks. Its format must be JSON.
    pub fn result_reader(&self, request: Request) -> Result<ResultReader> {
        self.open_v2_reader(request)?.map_err(|(_, error)| error)
    }

    /// [`Client::result_reader`], but an HTTP error status is not this call's error: the
    /// server's answer is given instead (`Err(response)`, its body read within
    /// `max_body_size`), with CARTO's message and rate limits, for callers that report it
    /// as they report a [`Client::send`] answer ([`Response::check`] is the error).
    pub fn result_reader_or_refusal(
        &self,
        request: Request,
    ) -> Result<std::result::Result<ResultReader, Response>> {
        Ok(self
            .open_v2_reader(request)?
            .map_err(|(response, _)| response))
    }

    fn open_v2_reader(&self, request: Request) -> Result<Opening> {
        let query = request.param_value("q").map(str::to_owned).ok_or_else(|| {
            Error::invalid_argument("a result reader needs a SQL API request with a query (q)")
        })?;
        if let Some(format) = request.param_value("format") {
            if !format.trim().eq_ignore_ascii_case("json") {
                return Err(Error::invalid_argument(format!(
                    "a result reader reads SQL API JSON answers, not format {}",
                    crate::text::excerpt::quoted(format)
                )));
            }
        }
        let mut probe = request.try_clone()?;
        probe.replace_param("q", &probe_sql(&query));
        self.open_reader(request, ProbeQuery::V2(Box::new(probe)), None)
    }

    /// Opens a SQL API v3 query on `connection` for reading in chunks (as
    /// [`Client::sql_v3`] sends it). CARTO caps a synchronous query's answer at
    /// [`MAX_V3_ROWS`] rows: an answer that reaches the cap ends with an error
    /// ([`ErrorKind::QueryFailed`]), since it may have been cut there; run larger queries as a
    /// SQL job into a table, or page them with `LIMIT`/`OFFSET`.
    pub fn sql_v3_reader(
        &self,
        connection: &str,
        query: &str,
        parameters: Option<&str>,
    ) -> Result<ResultReader> {
        let request = self.sql_v3_request(connection, query, parameters)?;
        let probe = ProbeQuery::V3 {
            connection: connection.to_owned(),
            query: query.to_owned(),
            parameters: parameters.map(str::to_owned),
        };
        self.open_reader(request, probe, Some(MAX_V3_ROWS))?
            .map_err(|(_, error)| error)
    }

    fn open_reader(
        &self,
        request: Request,
        probe: ProbeQuery,
        row_cap: Option<u64>,
    ) -> Result<Opening> {
        let (response, body) = self.open(request)?;
        if let Err(error) = response.check() {
            return Ok(Err((response, error)));
        }
        let body = body.ok_or_else(|| {
            Error::new(
                ErrorKind::Protocol,
                format!("{}: the answer's body could not be read", response.target),
            )
        })?;
        Ok(Ok(ResultReader {
            client: self.clone(),
            body,
            chunks: ChunkReader::new(self.inner.options.max_body_size),
            probe,
            probe_refusal: None,
            progress: None,
            row_cap,
        }))
    }
}

/// The reader of a successful answer, or the answer of an HTTP error status with its error.
type Opening = std::result::Result<ResultReader, (Response, Error)>;

impl ResultReader {
    /// The next chunk of at most `max_rows` typed rows (1 or more), read from the answer as it
    /// arrives; `None` once the result has ended. The first call always gives a chunk, of no
    /// rows for an empty result or a statement without rows (its columns and `total_rows` are
    /// there all the same); the chunk with the last rows carries the answer's `total_rows`,
    /// `time`, notices and `meta`. Chunks have the same columns, typed as
    /// [`ResultSet::from_json`] types them.
    ///
    /// Errors: an `error` the answer ends with ([`ErrorKind::QueryFailed`]: CARTO's failure
    /// after rows were sent), an answer that breaks off or changes its columns
    /// ([`ErrorKind::ResultFormat`]), a row larger than `max_body_size` (or, for a statement
    /// whose types cannot be known before its rows, an answer larger than it:
    /// [`ErrorKind::BodyTooLarge`]), and the transport's: timeouts, a broken connection, the
    /// interrupt hook or the progress callback ([`ErrorKind::Cancelled`]). The rows of the
    /// chunk that failed are not given; every later call fails again.
    pub fn next_chunk(&mut self, max_rows: usize) -> Result<Option<ResultSet>> {
        let options = self.client.options();
        let forward = self.progress.clone().map(|shared| -> ProgressFn {
            Box::new(move |p| (shared.lock().unwrap_or_else(PoisonError::into_inner))(p))
        });
        let watch = Watch::new(
            Meter::new(forward, options.interrupt.clone()),
            options.total_timeout,
        );
        let _installed = watch.install();
        let (downloaded, total) = (self.body.downloaded, self.body.download_total);
        watch.meter().update(|p| {
            p.downloaded = downloaded;
            p.download_total = total;
        });
        let ResultReader {
            client,
            body,
            chunks,
            probe,
            probe_refusal,
            progress,
            ..
        } = self;
        let mut input = Watched {
            body,
            watch: &watch,
        };
        let mut ask = || columns_first(client, probe, progress, &watch, probe_refusal);
        let outcome = chunks.next_chunk(&mut input, max_rows, &mut ask);
        drop(watch.meter().take_callback());
        let mut chunk = outcome.map_err(|e| self.explain(e))?;
        if let Some(chunk) = &mut chunk {
            let client = &self.client;
            chunk.rewrite_notices(|message| client.scrub_text(message).into_owned());
        }
        if let Some(cap) = self.row_cap {
            if self.chunks.is_done() && self.chunks.rows_read() >= cap {
                return Err(Error::new(
                    ErrorKind::QueryFailed,
                    format!(
                        "{}: the answer has {} rows, the most CARTO 3's SQL API returns for a query, so the result may have been cut there; run the query as a SQL job into a table, or page it with LIMIT and OFFSET",
                        self.body.target,
                        self.chunks.rows_read()
                    ),
                ));
            }
        }
        Ok(chunk)
    }

    /// The error of a call, without the client's secrets and with why the answer had to be
    /// read whole when it was too large for that.
    fn explain(&self, error: Error) -> Error {
        let error = match (&self.probe_refusal, error.kind()) {
            (Some(why), ErrorKind::BodyTooLarge) => error.context(format!(
                "asking for the answer's columns first failed ({why})"
            )),
            _ => error,
        };
        self.client.scrub(error)
    }

    /// Calls `progress` as the answer's bytes arrive during each later [`Self::next_chunk`]
    /// (`downloaded` counts from the start of the answer), and at least every 250 ms while it
    /// waits; `false` cancels that call ([`ErrorKind::Cancelled`]). `None` removes it.
    pub fn set_progress(&mut self, progress: Option<ProgressFn>) {
        self.progress = progress.map(|p| Arc::new(Mutex::new(p)));
    }

    /// Rows handed out so far.
    pub fn rows_read(&self) -> u64 {
        self.chunks.rows_read()
    }

    /// Whether the result has been read to its end (or the reader stopped at an error): no
    /// chunk comes any more.
    pub fn is_done(&self) -> bool {
        self.chunks.is_done()
    }
}

/// The answer's body, read within the watch of the current call.
struct Watched<'a> {
    body: &'a mut OpenedBody,
    watch: &'a Watch,
}

impl Input for Watched<'_> {
    fn read_into(&mut self, buf: &mut Vec<u8>) -> Result<usize> {
        let start = buf.len();
        buf.resize(start + READ_BLOCK, 0);
        let read = self.body.reader.read(&mut buf[start..]);
        let n = match read {
            Ok(n) => n,
            Err(e) => {
                buf.truncate(start);
                return Err(read_error(e, &self.body.target, self.body.downloaded));
            }
        };
        buf.truncate(start + n);
        self.body.downloaded += n as u64;
        let downloaded = self.body.downloaded;
        self.watch.meter().update(|p| p.downloaded = downloaded);
        self.watch
            .check()
            .map_err(|abort| abort_error(&abort, &self.body.target))?;
        Ok(n)
    }
}

/// Runs the query wrapped in `LIMIT 0` for the answer's columns. An HTTP error status (a
/// statement that cannot be wrapped, a token granted only the query's own text) means they
/// cannot be known first: `Ok(None)`, and the answer is read whole.
fn columns_first(
    client: &Client,
    probe: &ProbeQuery,
    progress: &Option<Arc<Mutex<ProgressFn>>>,
    watch: &Watch,
    refusal: &mut Option<String>,
) -> Result<Option<Vec<ColumnSpec>>> {
    let request = match probe {
        ProbeQuery::V2(request) => request.try_clone()?,
        ProbeQuery::V3 {
            connection,
            query,
            parameters,
        } => client.sql_v3_request(connection, &probe_sql(query), parameters.as_deref())?,
    };
    let mut request = request.until(watch.deadline());
    if let Some(shared) = progress.clone() {
        request = request.on_progress(Box::new(move |p| {
            (shared.lock().unwrap_or_else(PoisonError::into_inner))(p)
        }));
    }
    let response = client.send(request)?;
    if let Err(e) = response.check() {
        *refusal = Some(e.message().to_owned());
        return Ok(None);
    }
    let answer = ResultSet::from_json(response.body())
        .map_err(|e| e.context("the answer to the query for the result's columns (LIMIT 0)"))?;
    Ok(Some(answer.columns().iter().map(ColumnSpec::of).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_wraps_the_query_whole() {
        assert_eq!(
            probe_sql("select 1 ;  ;\n"),
            "SELECT * FROM (\nselect 1\n) AS cartoauth_probe LIMIT 0"
        );
        // A trailing comment ends at its line, before the parenthesis.
        assert_eq!(
            probe_sql("select 1 -- the answer"),
            "SELECT * FROM (\nselect 1 -- the answer\n) AS cartoauth_probe LIMIT 0"
        );
    }

    #[test]
    fn only_sql_api_json_requests_are_read_in_chunks() {
        let creds = crate::Credentials::new(
            Some("demo"),
            Some("k"),
            Some("https://demo.carto.com"),
            false,
        )
        .unwrap();
        let client = Client::new(creds, Default::default()).unwrap();
        let e = client
            .result_reader(Request::sql("select 1", Some("csv")))
            .unwrap_err();
        assert!(e.message().contains("not format \"csv\""), "{e}");
        let e = client
            .result_reader(Request::get("api/v2/sql"))
            .unwrap_err();
        assert!(e.message().contains("with a query (q)"), "{e}");
    }
}
