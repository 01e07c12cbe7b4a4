//! A request to a CARTO API: method, path relative to the base URL, query, headers, body, and
//! optional streaming of the response and progress reporting.

use std::fmt;
use std::io::{Read, Write};

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
    /// `application/json` text (validated when set).
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
    /// Whether the body can be sent again (for retries and redirects).
    pub(crate) fn is_replayable(&self) -> bool {
        !matches!(self, Body::Reader { .. })
    }
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
    pub(crate) progress: Option<ProgressFn>,
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
            .field("gzip", &self.gzip)
            .field("streams_response", &self.sink.is_some())
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
            progress: None,
        }
    }

    /// "METHOD path" for messages, without a query string (it may hold a key).
    pub(crate) fn shown(&self) -> String {
        let path = self.path.split(['?', '#']).next().unwrap_or_default();
        format!("{} {}", self.method, path.trim())
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
        self.query.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Adds an API parameter where the API expects it: a form field when the body is a form
    /// (SQL API POST), otherwise a query-string parameter.
    pub fn param(mut self, name: &str, value: &str) -> Self {
        match &mut self.body {
            Body::Form(fields) => fields.push((name.to_owned(), value.to_owned())),
            _ => self.query.push((name.to_owned(), value.to_owned())),
        }
        self
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Self {
        self.body = body;
        self
    }

    /// Adds a form field (the body becomes a form if it was not one).
    pub fn form_field(mut self, name: &str, value: &str) -> Self {
        if !matches!(self.body, Body::Form(_)) {
            self.body = Body::Form(Vec::new());
        }
        if let Body::Form(fields) = &mut self.body {
            fields.push((name.to_owned(), value.to_owned()));
        }
        self
    }

    /// Compresses the request body with gzip (`Content-Encoding: gzip`), as CARTO's COPY FROM
    /// accepts.
    pub fn gzip(mut self, on: bool) -> Self {
        self.gzip = on;
        self
    }

    /// Streams a successful (2xx) response body into `sink` instead of keeping it in memory.
    /// Error bodies are still kept so their CARTO message can be read.
    pub fn write_response_to(mut self, sink: Box<dyn Write + Send>) -> Self {
        self.sink = Some(sink);
        self
    }

    /// Reports progress as bytes move; the callback returns `false` to cancel.
    pub fn on_progress(mut self, progress: ProgressFn) -> Self {
        self.progress = Some(progress);
        self
    }

    /// The method.
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path as given.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Methods that may be repeated without changing the result twice (RFC 9110).
    pub(crate) fn is_idempotent(&self) -> bool {
        matches!(
            self.method.as_str(),
            "GET" | "HEAD" | "PUT" | "DELETE" | "OPTIONS" | "TRACE"
        )
    }
}
