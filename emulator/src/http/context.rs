//! What a handler knows about one request ([`Ctx`]), with the request-body helpers. The state
//! handlers share is `state::App`.

use std::pin::Pin;
use std::sync::Mutex;

use axum::body::Body;
use bytes::Bytes;
use futures_util::TryStreamExt;
use hyper::header::{HeaderMap, CONTENT_ENCODING};
use hyper::{Method, StatusCode, Uri};
use tokio::io::AsyncRead;
use tokio::io::AsyncReadExt;

use crate::http::auth::Transport;
use crate::http::errors::ApiError;
use crate::http::routes::{self, Route};
use crate::pg::accounts::ApiKey;

/// What a handler learned about the request, for headers and the request log.
#[derive(Debug, Default, Clone)]
pub struct ReqInfo {
    pub user: Option<String>,
    pub user_id: Option<String>,
    pub transport: Option<Transport>,
    pub key_name: Option<String>,
    pub key_type: Option<String>,
    /// The `client` parameter, echoed as `Carto-Client`.
    pub client: Option<String>,
    /// CARTO 3: the access token's client, and whether it had expired.
    pub client_id: Option<String>,
    pub token_expired: bool,
    /// The key's rate-limit headers (`Carto-Rate-Limit-*`), when it has a limit.
    pub rate_headers: Vec<(&'static str, String)>,
}

/// One request as handlers see it.
pub struct Ctx {
    pub method: Method,
    pub uri: Uri,
    pub headers: HeaderMap,
    pub route: Route,
    pub path_user: Option<String>,
    pub info: Mutex<ReqInfo>,
}

impl Ctx {
    pub fn record_key(&self, transport: Transport, key: Option<&ApiKey>) {
        let mut i = self.info.lock().unwrap();
        i.transport = Some(transport);
        i.key_name = key.map(|k| k.name.clone());
        i.key_type = key.map(|k| k.key_type.as_str().to_string());
    }

    pub fn record_user(&self, user: &str, id: &str) {
        let mut i = self.info.lock().unwrap();
        i.user = Some(user.to_string());
        i.user_id = Some(id.to_string());
    }

    /// CARTO 3: how the token came, its client and whether it had expired.
    pub fn record_bearer(&self, transport: Transport, client_id: Option<&str>, expired: bool) {
        let mut i = self.info.lock().unwrap();
        i.transport = Some(transport);
        i.client_id = client_id.map(str::to_string);
        i.token_expired = expired;
    }

    pub fn record_client(&self, client: Option<String>) {
        self.info.lock().unwrap().client = client;
    }

    pub fn record_rate_headers(&self, headers: Vec<(&'static str, String)>) {
        self.info.lock().unwrap().rate_headers = headers;
    }

    /// The user a request is for: from the path, else from the Host header.
    pub fn user_name(&self) -> Option<String> {
        self.path_user.clone().or_else(|| {
            routes::request_host(&self.headers, &self.uri).and_then(|h| routes::host_user(&h))
        })
    }

    /// The base URL of the user as this request addressed it (for links in responses).
    pub fn user_base_url(&self, scheme: &str, user: &str) -> String {
        let host = routes::request_host(&self.headers, &self.uri).unwrap_or_default();
        if self.path_user.is_some() {
            format!("{scheme}://{host}/user/{user}")
        } else {
            format!("{scheme}://{host}")
        }
    }

    pub fn raw_query(&self) -> &[u8] {
        self.uri.query().unwrap_or("").as_bytes()
    }
}

/// Reads a whole request body (gunzipping `Content-Encoding: gzip`), up to `limit` bytes.
pub async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let mut reader = body_reader(headers, body);
    let mut out = Vec::new();
    let mut limited = (&mut reader).take(limit as u64 + 1);
    limited
        .read_to_end(&mut out)
        .await
        .map_err(|e| body_error(&e))?;
    if out.len() > limit {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request entity too large (limit {limit} bytes)"),
        ));
    }
    Ok(Bytes::from(out))
}

/// The error of reading a request body: a bad gzip stream, or the client going away.
pub fn body_error(e: &std::io::Error) -> ApiError {
    if e.kind() == std::io::ErrorKind::ConnectionAborted {
        ApiError::bad_request(format!("error reading the request body: {e}"))
    } else {
        ApiError::bad_request(format!("Error while gunzipping: {e}"))
    }
}

/// The request body as a byte reader, gunzipped when the client said so.
pub fn body_reader(headers: &HeaderMap, body: Body) -> Pin<Box<dyn AsyncRead + Send>> {
    let stream = body
        .into_data_stream()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::ConnectionAborted, e));
    let reader = tokio_util::io::StreamReader::new(stream);
    let gzip = headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("gzip"));
    if gzip {
        let mut dec =
            async_compression::tokio::bufread::GzipDecoder::new(tokio::io::BufReader::new(reader));
        dec.multiple_members(true);
        Box::pin(dec)
    } else {
        Box::pin(reader)
    }
}

pub(crate) fn header_str(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}
