//! A request to a CARTO API: method, path relative to the base URL, query, headers, body, and
//! optional streaming of the response and progress reporting.
//!
//! The rules of a well-formed request (method names, header syntax, no caller `Authorization`
//! header, JSON bodies that parse) live here: the `try_`/`add_`/`set_` methods check them when
//! a part is set, and [`super::Client::send`] checks the whole request again before sending.
//!
//! A request built from data and factories ([`Request::set_body_source`],
//! [`Request::set_response_writer`], [`Request::set_progress`]) is reusable:
//! [`super::Client::send_shared`] sends it by reference, as often and from as many threads as
//! wanted, calling each factory once per send. One-shot parts ([`Body::Reader`],
//! [`Request::write_response_to`], [`Request::on_progress`]) make a request that is sent once,
//! by value.

use std::fmt;
use std::io::{Read, Write};
use std::sync::Arc;

use crate::error::{Error, Result};

/// Bytes moved so far; `*_total` is `None` when unknown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    /// Request body bytes sent (before gzip, when gzip is on).
    pub uploaded: u64,
    /// Request body size, when known.
    pub upload_total: Option<u64>,
    /// Response body bytes received (after decompression).
    pub downloaded: u64,
    /// Response body size from `Content-Length`, when known.
    pub download_total: Option<u64>,
}

/// Called as bytes move; return `false` to cancel the transfer.
pub type ProgressFn = Box<dyn FnMut(Progress) -> bool + Send>;

/// Opens the body's reader afresh for each send of a reusable request.
pub type ReaderFactory = Arc<dyn Fn() -> Box<dyn Read + Send> + Send + Sync>;

/// Gives the sink of a successful response body afresh for each send.
pub type WriterFactory = Arc<dyn Fn() -> Box<dyn Write + Send> + Send + Sync>;

/// Gives a progress callback afresh for each send.
pub type ProgressFactory = Arc<dyn Fn() -> ProgressFn + Send + Sync>;

/// A body streamed from a reader opened at each send.
#[derive(Clone)]
pub(crate) struct BodySource {
    open: ReaderFactory,
    length: Option<u64>,
    content_type: String,
}

/// A request body.
pub enum Body {
    /// No body.
    Empty,
    /// Bytes with a content type.
    Bytes {
        /// The bytes.
        data: Vec<u8>,
        /// The `Content-Type` header.
        content_type: String,
    },
    /// `application/x-www-form-urlencoded` fields.
    Form(Vec<(String, String)>),
    /// `application/json` text; [`Body::json`] checks it at once, and every body is checked
    /// before it is sent.
    Json(String),
    /// A body pulled from a reader as it is sent, in constant memory.
    Reader {
        /// Where the bytes come from.
        reader: Box<dyn Read + Send>,
        /// `Content-Length` when known; otherwise the body is sent chunked.
        length: Option<u64>,
        /// The `Content-Type` header.
        content_type: String,
    },
}

impl Body {
    /// An `application/json` body, if `text` is valid JSON (the error gives line and column).
    pub fn json(text: &str) -> Result<Body> {
        check_json(text)?;
        Ok(Body::Json(text.to_owned()))
    }

    /// Whether the body can be sent again (for retries and redirects).
    pub(crate) fn is_replayable(&self) -> bool {
        !matches!(self, Body::Reader { .. })
    }

    /// A copy for another send; `None` for a one-shot reader.
    fn try_clone(&self) -> Option<Body> {
        Some(match self {
            Body::Empty => Body::Empty,
            Body::Bytes { data, content_type } => Body::Bytes {
                data: data.clone(),
                content_type: content_type.clone(),
            },
            Body::Form(fields) => Body::Form(fields.clone()),
            Body::Json(text) => Body::Json(text.clone()),
            Body::Reader { .. } => return None,
        })
    }
}

/// An HTTP method name: letters only (`GET`, `post`, `PROPFIND`, ...).
pub fn check_method(method: &str) -> Result<()> {
    let method = method.trim();
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(Error::invalid_argument(format!(
            "method {method:?} is not an HTTP method name"
        )));
    }
    Ok(())
}

/// A header a caller may add: an RFC 9110 token as name, a value without CR, LF or NUL, and
/// never `Authorization` (cartoauth sets it from the credentials and keeps it from other hosts).
pub fn check_header(name: &str, value: &str) -> Result<()> {
    if name.trim().eq_ignore_ascii_case("authorization") {
        return Err(Error::invalid_argument(
            "the Authorization header is set by cartoauth from the credentials",
        ));
    }
    let valid_name = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if !valid_name || value.bytes().any(|b| b == b'\r' || b == b'\n' || b == 0) {
        return Err(Error::invalid_argument(format!(
            "{name:?} is not a valid header"
        )));
    }
    Ok(())
}

/// JSON text for an `application/json` body.
pub fn check_json(text: &str) -> Result<()> {
    serde_json::from_str::<serde_json::Value>(text)
        .map(drop)
        .map_err(|e| {
            Error::invalid_argument(format!(
                "the JSON body is not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ))
        })
}

impl fmt::Debug for Body {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Body::Empty => f.write_str("Empty"),
            Body::Bytes { data, content_type } => {
                write!(f, "Bytes({} bytes, {content_type})", data.len())
            }
            Body::Form(fields) => write!(f, "Form({} fields)", fields.len()),
            Body::Json(text) => write!(f, "Json({} bytes)", text.len()),
            Body::Reader { length, .. } => write!(f, "Reader(length {length:?})"),
        }
    }
}

/// One request. Build it, then hand it to [`super::Client::send`].
pub struct Request {
    pub(crate) method: String,
    pub(crate) path: String,
    pub(crate) query: Vec<(String, String)>,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
    pub(crate) gzip: bool,
    pub(crate) sink: Option<Box<dyn Write + Send>>,
    /// A successful answer's body is left open for the caller to read (see
    /// [`super::Client::open`]) instead of being read or streamed into `sink`.
    pub(crate) open_body: bool,
    /// Where the transport leaves that open body.
    pub(crate) opened: Option<super::response::OpenedBody>,
    pub(crate) progress: Option<ProgressFn>,
    /// The caller's word on whether sending this twice is harmless (see
    /// [`Request::idempotent`]); `None` leaves it to the method and the API.
    pub(crate) idempotent: Option<bool>,
    /// When the operation this request is part of must end (a Batch wait's timeout, a key
    /// listing's total time); the call ends then at the latest.
    pub(crate) deadline: Option<std::time::Instant>,
    /// A limit of the body kept in memory below the client's own (a page of a listing).
    pub(crate) max_body_size: Option<u64>,
    /// Reusable parts, turned into `body`, `sink` and `progress` at each send.
    pub(crate) body_source: Option<BodySource>,
    pub(crate) sink_source: Option<WriterFactory>,
    pub(crate) progress_source: Option<ProgressFactory>,
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("method", &self.method)
            .field("path", &self.path)
            .field(
                "query",
                &self.query.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("body", &self.body)
            .field("streams_body", &self.body_source.is_some())
            .field("gzip", &self.gzip)
            .field(
                "streams_response",
                &(self.sink.is_some() || self.sink_source.is_some()),
            )
            .finish()
    }
}

impl Request {
    /// A request with any method (`GET`, `POST`, `DELETE`, ...) to `path`, relative to the base
    /// URL: `api/v2/sql` and `/api/v2/sql` both keep an on-premises `/user/{u}` prefix. An
    /// absolute `https://...` URL is accepted only on the base URL's own scheme, host and port.
    pub fn new(method: &str, path: &str) -> Self {
        Request {
            method: method.trim().to_ascii_uppercase(),
            path: path.to_owned(),
            query: Vec::new(),
            headers: Vec::new(),
            body: Body::Empty,
            gzip: false,
            sink: None,
            open_body: false,
            opened: None,
            progress: None,
            idempotent: None,
            deadline: None,
            max_body_size: None,
            body_source: None,
            sink_source: None,
            progress_source: None,
        }
    }

    /// "METHOD path" for messages, without a query string (it may hold a key).
    pub(crate) fn shown(&self) -> String {
        let path = self.path.split(['?', '#']).next().unwrap_or_default();
        format!("{} {}", self.method, path.trim())
    }

    /// [`Request::new`], refusing a method that is not a name of letters.
    pub fn try_new(method: &str, path: &str) -> Result<Self> {
        check_method(method)?;
        Ok(Request::new(method, path))
    }

    /// A GET request.
    pub fn get(path: &str) -> Self {
        Request::new("GET", path)
    }

    /// A POST request.
    pub fn post(path: &str) -> Self {
        Request::new("POST", path)
    }

    /// Adds a query-string parameter (encoded when sent).
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.add_query(name, value);
        self
    }

    /// Adds an API parameter where the API expects it: a form field when the body is a form
    /// (SQL API POST), otherwise a query-string parameter.
    pub fn param(mut self, name: &str, value: &str) -> Self {
        self.add_param(name, value);
        self
    }

    /// Adds a header; [`Client::send`](super::Client::send) refuses the request if the header
    /// is malformed or `Authorization` (see [`check_header`]; [`Request::add_header`] checks at
    /// once).
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.set_body(body);
        self
    }

    /// Adds a form field (the body becomes a form if it was not one).
    pub fn form_field(mut self, name: &str, value: &str) -> Self {
        self.add_form_field(name, value);
        self
    }

    /// Compresses the request body with gzip (`Content-Encoding: gzip`), as CARTO's COPY FROM
    /// accepts.
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Streams a successful (2xx) response body into `sink` instead of keeping it in memory.
    /// Error bodies are still kept so their CARTO message can be read. One-shot: see
    /// [`Request::set_response_writer`] for a reusable request.
    pub fn write_response_to(mut self, sink: Box<dyn Write + Send>) -> Self {
        self.sink = Some(sink);
        self.sink_source = None;
        self
    }

    /// Reports progress as bytes move; the callback returns `false` to cancel. One-shot: see
    /// [`Request::set_progress`] for a reusable request.
    pub fn on_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self.progress_source = None;
        self
    }

    /// Adds a query-string parameter (encoded when sent).
    pub fn add_query(&mut self, name: &str, value: &str) {
        self.query.push((name.to_owned(), value.to_owned()));
    }

    /// Adds an API parameter where the API expects it (see [`Request::param`]).
    pub fn add_param(&mut self, name: &str, value: &str) {
        let entry = (name.to_owned(), value.to_owned());
        match &mut self.body {
            Body::Form(fields) => fields.push(entry),
            _ => self.query.push(entry),
        }
    }

    /// Adds a header, if [`check_header`] accepts it.
    pub fn add_header(&mut self, name: &str, value: &str) -> Result<()> {
        check_header(name, value)?;
        self.headers.push((name.to_owned(), value.to_owned()));
        Ok(())
    }

    /// Replaces the body.
    pub fn set_body(&mut self, body: Body) {
        self.body = body;
        self.body_source = None;
    }

    /// Replaces the body with JSON text, if it is valid JSON.
    pub fn set_json_body(&mut self, text: &str) -> Result<()> {
        self.set_body(Body::json(text)?);
        Ok(())
    }

    /// Adds a form field (the body becomes a form if it was not one).
    pub fn add_form_field(&mut self, name: &str, value: &str) {
        if !matches!(self.body, Body::Form(_)) {
            self.set_body(Body::Form(Vec::new()));
        }
        if let Body::Form(fields) = &mut self.body {
            fields.push((name.to_owned(), value.to_owned()));
        }
    }

    /// Compresses the request body with gzip (see [`Request::gzip`]).
    pub fn set_gzip(&mut self, on: bool) {
        self.gzip = on;
    }

    /// Streams the body from a reader that `open` gives afresh at each send, in constant
    /// memory. `length` is the `Content-Length` when known (else the body is sent chunked). A
    /// streamed body is never retried and cannot follow a 307/308 redirect.
    pub fn set_body_source(
        &mut self,
        open: ReaderFactory,
        length: Option<u64>,
        content_type: &str,
    ) {
        self.body = Body::Empty;
        self.body_source = Some(BodySource {
            open,
            length,
            content_type: content_type.to_owned(),
        });
    }

    /// Streams each successful (2xx) response body into a sink `open` gives at each send
    /// (`None` keeps bodies in memory again).
    pub fn set_response_writer(&mut self, open: Option<WriterFactory>) {
        self.sink = None;
        self.sink_source = open;
    }

    /// Reports progress through a callback `open` gives at each send (`None`: no reports).
    pub fn set_progress(&mut self, open: Option<ProgressFactory>) {
        self.progress = None;
        self.progress_source = open;
    }

    /// Checks the whole request: method, headers, JSON body.
    pub fn validate(&self) -> Result<()> {
        check_method(&self.method)?;
        for (name, value) in &self.headers {
            check_header(name, value)?;
        }
        if let Body::Json(text) = &self.body {
            check_json(text)?;
        }
        Ok(())
    }

    /// This request for one more send: data copied, factories called. Fails for a request
    /// with a one-shot part (a [`Body::Reader`], [`Request::write_response_to`],
    /// [`Request::on_progress`]), which is sent once, by value.
    pub fn try_clone(&self) -> Result<Request> {
        let one_shot = || {
            Error::invalid_argument(
                "this request has a one-shot reader, writer or progress callback and can be \
                 sent only once; give factories to send it again",
            )
        };
        if self.sink.is_some() || self.progress.is_some() {
            return Err(one_shot());
        }
        let request = Request {
            method: self.method.clone(),
            path: self.path.clone(),
            query: self.query.clone(),
            headers: self.headers.clone(),
            body: self.body.try_clone().ok_or_else(one_shot)?,
            gzip: self.gzip,
            sink: None,
            open_body: self.open_body,
            opened: None,
            progress: None,
            idempotent: self.idempotent,
            deadline: self.deadline,
            max_body_size: self.max_body_size,
            body_source: self.body_source.clone(),
            sink_source: self.sink_source.clone(),
            progress_source: self.progress_source.clone(),
        };
        Ok(request)
    }

    /// Opens the reusable parts for this send (the transport only knows one-shot ones).
    pub(crate) fn open_sources(&mut self) {
        if let Some(source) = self.body_source.take() {
            self.body = Body::Reader {
                reader: (source.open)(),
                length: source.length,
                content_type: source.content_type,
            };
        }
        if let Some(open) = self.sink_source.take() {
            self.sink = Some(open());
        }
        if let Some(open) = self.progress_source.take() {
            self.progress = Some(open());
        }
    }

    /// The value of an API parameter (`q`, `format`, ...), wherever it went: the form body or
    /// the query string (the last one given).
    pub(crate) fn param_value(&self, name: &str) -> Option<&str> {
        let form = match &self.body {
            Body::Form(fields) => fields.as_slice(),
            _ => &[],
        };
        form.iter()
            .chain(&self.query)
            .rfind(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Replaces every value of the API parameter `name` with `value`.
    pub(crate) fn replace_param(&mut self, name: &str, value: &str) {
        let form = match &mut self.body {
            Body::Form(fields) => Some(fields),
            _ => None,
        };
        for (k, v) in form.into_iter().flatten().chain(self.query.iter_mut()) {
            if k == name {
                *v = value.to_owned();
            }
        }
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path as given.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Says whether sending this request twice is harmless. A request that may have reached
    /// the server (it timed out or the connection broke after it was sent) is sent again only
    /// when it is idempotent. Unmarked, a request is idempotent when its method is (GET, HEAD,
    /// PUT, DELETE, OPTIONS, TRACE: RFC 9110) and it is not for CARTO's SQL, Batch, COPY or
    /// Auth APIs: a GET there runs SQL (`q=UPDATE ...`), and creating or deleting a key twice
    /// is not the same as once. Mark a read-only query `true` to let it be retried.
    pub fn idempotent(mut self, idempotent: bool) -> Self {
        self.set_idempotent(idempotent);
        self
    }

    /// Says whether sending this request twice is harmless (see [`Request::idempotent`]).
    pub fn set_idempotent(&mut self, idempotent: bool) {
        self.idempotent = Some(idempotent);
    }

    /// Ends the call at `deadline` at the latest: the operation it is part of ends then.
    pub(crate) fn until(mut self, deadline: Option<std::time::Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Keeps at most `limit` bytes of the answer's body in memory (the client's own limit
    /// still applies when it is lower).
    pub(crate) fn body_limit(mut self, limit: u64) -> Self {
        self.max_body_size = Some(limit);
        self
    }

    /// Whether the request may be sent again after it may have reached the server.
    pub(crate) fn is_idempotent(&self) -> bool {
        self.idempotent.unwrap_or_else(|| {
            let method = matches!(
                self.method.as_str(),
                "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
            );
            method && !runs_sql_or_changes_keys(&self.path)
        })
    }
}

/// Whether `path` (relative, or an absolute URL on the account's origin) is for an API whose
/// requests run SQL or change credentials whatever their method: the SQL API (`api/v1/sql`,
/// `api/v2/sql`, CARTO 3's `v3/sql/{connection}/...`), its Batch and COPY endpoints below it,
/// the Auth API (`api/v3/api_keys`) and CARTO 3's tokens. Segments are compared decoded and
/// without case, as a server would route them.
fn runs_sql_or_changes_keys(path: &str) -> bool {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    path.split('/').any(|segment| {
        let segment = percent_encoding::percent_decode_str(segment).decode_utf8_lossy();
        ["sql", "api_keys", "tokens"]
            .iter()
            .any(|api| segment.trim().eq_ignore_ascii_case(api))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_rule_is_checked_in_core() {
        assert!(Request::try_new("GET", "p").is_ok());
        let e = Request::try_new("GE T", "p").unwrap_err();
        assert!(e.message().contains("not an HTTP method name"), "{e:?}");
        assert!(Request::try_new("  ", "p").is_err());

        let mut r = Request::get("p");
        let e = r.add_header(" authorization", "Basic x").unwrap_err();
        assert!(e.message().contains("Authorization"), "{e:?}");
        assert!(r.add_header("X-Ok", "a\r\nInjected: 1").is_err());
        assert!(r.add_header("Bad Name", "v").is_err());
        assert!(r.add_header("", "v").is_err());
        r.add_header("X-Ok", "v").unwrap();
        assert_eq!(r.headers, [("X-Ok".to_owned(), "v".to_owned())]);

        let e = r.set_json_body("{\"a\": }").unwrap_err();
        assert!(e.message().contains("line 1, column 7"), "{e:?}");
        assert!(Body::json("[1, 2]").is_ok());

        // The by-value builders do not check at once; sending does.
        assert!(Request::get("p")
            .header("Authorization", "x")
            .validate()
            .is_err());
        assert!(Request::post("p")
            .body(Body::Json("{".into()))
            .validate()
            .is_err());
        assert!(Request::new("G3T", "p").validate().is_err());
        assert!(Request::get("p").header("X-A", "1").validate().is_ok());
    }

    #[test]
    fn sql_batch_copy_and_auth_requests_are_not_idempotent_unless_marked() {
        for path in [
            "api/v2/sql",
            "/api/v1/sql",
            "api/v2/sql/copyto",
            "api/v2/sql/job/abc",
            "api/v3/api_keys/k",
            "https://u.carto.com/user/u/api/v2/sql?q=select",
            "api/v2/%73QL",
            "v3/sql/carto_dw/query",
            "v3/tokens/t",
        ] {
            assert!(!Request::get(path).is_idempotent(), "GET {path}");
            assert!(!Request::new("DELETE", path).is_idempotent(), "{path}");
            assert!(
                Request::get(path).idempotent(true).is_idempotent(),
                "{path}"
            );
        }
        assert!(!Request::sql("update t set x = x + 1", None).is_idempotent());
        assert!(!Request::copy_to("COPY t TO STDOUT").is_idempotent());
        assert!(Request::get("api/v3/me").is_idempotent());
        assert!(Request::get("api/v2/sqlx").is_idempotent());
        assert!(Request::new("PUT", "api/v1/map/named/x").is_idempotent());
        assert!(!Request::post("api/v3/me").is_idempotent());
        assert!(!Request::get("api/v3/me").idempotent(false).is_idempotent());
        let marked = Request::sql("select 1", None).idempotent(true);
        assert!(marked.try_clone().unwrap().is_idempotent());
    }

    #[test]
    fn a_request_with_factories_is_sent_again_with_fresh_parts() {
        let opened = Arc::new(AtomicUsize::new(0));
        let counter = opened.clone();
        let mut request = Request::post("api/v2/sql/copyfrom").query("q", "COPY t FROM STDIN");
        request.set_body_source(
            Arc::new(move || {
                counter.fetch_add(1, Ordering::SeqCst);
                Box::new(std::io::Cursor::new(b"1\n".to_vec()))
            }),
            Some(2),
            "text/csv",
        );
        request.set_response_writer(Some(Arc::new(|| Box::new(std::io::sink()))));
        request.set_progress(Some(Arc::new(|| Box::new(|_| true))));
        request.add_param("a", "b");

        let threads: Vec<_> = (0..3)
            .map(|_| {
                let mut copy = request.try_clone().unwrap();
                std::thread::spawn(move || {
                    copy.open_sources();
                    assert!(copy.sink.is_some() && copy.progress.is_some());
                    let Body::Reader {
                        mut reader,
                        length,
                        content_type,
                    } = copy.body
                    else {
                        panic!("the body source was not opened");
                    };
                    let mut text = String::new();
                    reader.read_to_string(&mut text).unwrap();
                    assert_eq!(
                        (text.as_str(), length, content_type.as_str()),
                        ("1\n", Some(2), "text/csv")
                    );
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(opened.load(Ordering::SeqCst), 3);
        assert_eq!(request.query.len(), 2, "the original keeps its parts");
    }

    #[test]
    fn one_shot_parts_make_a_request_that_is_sent_once() {
        let reader = Request::post("p").body(Body::Reader {
            reader: Box::new(std::io::empty()),
            length: None,
            content_type: "text/plain".into(),
        });
        let e = reader.try_clone().unwrap_err();
        assert!(e.message().contains("only once"), "{e:?}");
        assert!(Request::get("p")
            .write_response_to(Box::new(std::io::sink()))
            .try_clone()
            .is_err());
        assert!(Request::get("p")
            .on_progress(Box::new(|_| true))
            .try_clone()
            .is_err());
        let data = Request::post("p")
            .form_field("q", "select 1")
            .header("X-A", "1");
        let copy = data.try_clone().unwrap();
        assert_eq!(format!("{copy:?}"), format!("{data:?}"));
    }
}
