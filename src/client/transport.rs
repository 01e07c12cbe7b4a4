//! One attempt of a request on the wire: the URL, where the API key goes, the body, redirects,
//! reading or streaming the answer, and turning transport failures into errors.
//!
//! Key placement lives here and only here. The key is attached only to requests for the base
//! URL's own origin: a redirect to another host, port or scheme goes there without it, and a
//! redirect from https to http is refused. Headers the caller added (a `Cookie`, a token of
//! their own) are held back on such a hop too, as curl and browsers do with credentials: they
//! go only to the origin the request was made for.

use super::failure::{
    abort_error, body_too_large, read_error, transport_failure, writer_error, Failure,
};
use super::options::KeyTransport;
use super::progress::Meter;
use super::request::{Body, Request};
use super::response::{OpenedBody, Response};
use super::wait::Watch;
use crate::error::{Error, ErrorKind, Result};
use crate::token::engine::{Bearer, Lease};
use std::io::{self, Read, Write};
use ureq::http::{self, HeaderValue};
use ureq::{Agent, SendBody};
use url::Url;

const MAX_REDIRECTS: u32 = 10;
/// Error bodies are kept to read CARTO's message; this bounds memory for a hostile server.
const MAX_ERROR_BODY: u64 = 4 << 20;
const CHUNK: usize = 64 * 1024;
/// The largest announced body that is allocated up front: a server may announce a length it
/// never sends, so larger bodies grow as they arrive.
const MAX_PRESIZED_BODY: u64 = 16 << 20;

/// What a request needs to reach the account: the base URL and how to present the key.
pub(crate) struct Endpoint {
    pub base: Url,
    pub transport: KeyTransport,
    /// `Basic base64(username:key)`, precomputed (Basic transport only).
    pub basic_header: Option<zeroize::Zeroizing<String>>,
    pub api_key: zeroize::Zeroizing<String>,
    /// The largest body kept in memory (decompressed); larger ones fail.
    pub max_body_size: u64,
    /// CARTO 3: the Bearer token source; the API key fields are then unused.
    pub bearer: Option<Bearer>,
    /// The key in every form, to notice it in a redirect's location.
    pub secrets: std::sync::Arc<super::secrets::Secrets>,
}

/// `METHOD scheme://host[:port]/path`: what messages show of a request (no userinfo or query
/// string, where a password or key could be).
fn describe(method: &str, url: &Url) -> String {
    format!("{method} {}", crate::text::redact::url(url))
}

/// The URL of `path`, relative to the base URL so that `/user/{u}` is kept.
pub(crate) fn target_url(base: &Url, path: &str) -> Result<Url> {
    let trimmed = path.trim();
    let lower = trimmed.to_ascii_lowercase();
    let url = if lower.starts_with("http://") || lower.starts_with("https://") {
        let url = Url::parse(trimmed)
            .map_err(|e| Error::invalid_argument(format!("invalid URL: {e}")))?;
        if url.origin() != base.origin() {
            return Err(Error::invalid_argument(format!(
                "{} is not on the base URL's host ({}); cartoauth only sends credentials to the account's own origin",
                describe("", &url).trim(),
                base.origin().ascii_serialization()
            )));
        }
        url
    } else {
        let joined = format!(
            "{}/{}",
            base.as_str().trim_end_matches('/'),
            trimmed.trim_start_matches('/')
        );
        Url::parse(&joined).map_err(|e| {
            Error::invalid_argument(format!(
                "invalid request path {}: {e}",
                crate::text::excerpt::quoted(trimmed)
            ))
        })?
    };
    Ok(url)
}

/// Runs one attempt (following redirects) and returns the response, whatever its status.
pub(crate) fn exchange(
    agent: &Agent,
    endpoint: &Endpoint,
    lease: Option<&Lease>,
    request: &mut Request,
    watch: &Watch,
) -> std::result::Result<Response, Failure> {
    let meter = watch.meter();
    let mut url = target_url(&endpoint.base, &request.path).map_err(Failure::before_sending)?;
    {
        let mut pairs = url.query_pairs_mut();
        for (name, value) in &request.query {
            pairs.append_pair(name, value);
        }
    }
    let mut method = request.method.clone();
    let mut with_body = true;
    let request_limit = request.max_body_size;
    let Request {
        headers,
        body,
        gzip,
        sink,
        open_body,
        opened,
        ..
    } = request;
    let form = match &*body {
        Body::Form(fields) => Some(
            url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(fields)
                .finish()
                .into_bytes(),
        ),
        _ => None,
    };
    meter.restart(body_length(body, form.as_deref()));
    let requested_origin = url.origin();

    for hop in 0..=MAX_REDIRECTS {
        let with_key = url.origin() == endpoint.base.origin();
        let caller_headers: &[(String, String)] = if url.origin() == requested_origin {
            headers
        } else {
            &[]
        };
        let outgoing = if with_body {
            Outgoing::of(body, form.as_deref())
        } else {
            None
        };
        let target = describe(&method, &url);
        let response = send_once(
            agent,
            endpoint,
            lease,
            &target,
            &method,
            &url,
            caller_headers,
            outgoing,
            *gzip,
            with_key,
            *open_body,
            watch,
        )?;
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        match (is_redirect(status), location) {
            (true, Some(_)) if hop == MAX_REDIRECTS => {
                return Err(Failure::after_sending(Error::new(
                    ErrorKind::Protocol,
                    format!(
                        "more than {MAX_REDIRECTS} redirects ({})",
                        describe(&method, &url)
                    ),
                )))
            }
            (true, Some(location)) => {
                let next = url.join(&location).map_err(|e| {
                    Failure::after_sending(Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "{} redirected to an invalid location: {e}",
                            describe(&method, &url)
                        ),
                    ))
                })?;
                // A server may repeat the query string it was sent (with the query key
                // transport, `api_key=...`) in a location on another origin.
                if next.origin() != endpoint.base.origin() && carries_secret(endpoint, &next) {
                    return Err(Failure::after_sending(Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "refusing to follow a redirect to another origin that would carry this client's API key there ({} -> {})",
                            describe(&method, &url),
                            describe("", &next).trim()
                        ),
                    )));
                }
                if url.scheme() == "https" && next.scheme() != "https" {
                    return Err(Failure::after_sending(Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "refusing to follow a redirect from https to {} ({} -> {})",
                            next.scheme(),
                            describe(&method, &url),
                            describe("", &next).trim()
                        ),
                    )));
                }
                let switch_to_get = status == 303
                    || (matches!(status, 301 | 302) && method != "GET" && method != "HEAD");
                if switch_to_get {
                    method = "GET".to_owned();
                    with_body = false;
                } else if with_body && !body.is_replayable() {
                    return Err(Failure::after_sending(Error::new(
                        ErrorKind::Protocol,
                        format!(
                            "{} answered a {status} redirect, which would need the streamed body again",
                            describe(&method, &url)
                        ),
                    )));
                }
                url = next;
            }
            _ => {
                return receive(
                    response,
                    target,
                    sink.as_mut(),
                    open_body.then_some(opened),
                    request_limit.map_or(endpoint.max_body_size, |limit| {
                        limit.min(endpoint.max_body_size)
                    }),
                    meter,
                )
            }
        }
    }
    unreachable!("the loop returns on its last hop")
}

/// Whether `url` holds one of the client's secrets, as written or percent-decoded (a query
/// string's `+` decodes to a space).
fn carries_secret(endpoint: &Endpoint, url: &Url) -> bool {
    let text = url.as_str();
    let plus_as_space = text.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&plus_as_space).decode_utf8_lossy();
    endpoint.secrets.appear_in(text) || endpoint.secrets.appear_in(&decoded)
}

fn is_redirect(status: u16) -> bool {
    matches!(status, 301 | 302 | 303 | 307 | 308)
}

/// The request body size before compression, when known (for progress).
fn body_length(body: &Body, form: Option<&[u8]>) -> Option<u64> {
    match body {
        Body::Empty => None,
        Body::Bytes { data, .. } => Some(data.len() as u64),
        Body::Form(_) => form.map(|f| f.len() as u64),
        Body::Json(text) => Some(text.len() as u64),
        Body::Reader { length, .. } => *length,
    }
}

/// The body of one hop: a reader over it, its length when known, and its content type.
struct Outgoing<'b> {
    source: Box<dyn Read + 'b>,
    length: Option<u64>,
    content_type: &'b str,
}

impl<'b> Outgoing<'b> {
    fn of(body: &'b mut Body, form: Option<&'b [u8]>) -> Option<Self> {
        let bytes = |data: &'b [u8], content_type: &'b str| Outgoing {
            source: Box::new(io::Cursor::new(data)),
            length: Some(data.len() as u64),
            content_type,
        };
        match body {
            Body::Empty => None,
            Body::Bytes { data, content_type } => Some(bytes(data, content_type)),
            Body::Form(_) => Some(bytes(
                form.unwrap_or_default(),
                "application/x-www-form-urlencoded",
            )),
            Body::Json(text) => Some(bytes(text.as_bytes(), "application/json")),
            Body::Reader {
                reader,
                length,
                content_type,
            } => Some(Outgoing {
                source: Box::new(reader),
                length: *length,
                content_type,
            }),
        }
    }
}

/// Sends the request line, headers and body once; returns the response head.
#[allow(clippy::too_many_arguments)]
fn send_once(
    agent: &Agent,
    endpoint: &Endpoint,
    lease: Option<&Lease>,
    target: &str,
    method: &str,
    url: &Url,
    headers: &[(String, String)],
    outgoing: Option<Outgoing<'_>>,
    gzip: bool,
    with_key: bool,
    open_body: bool,
    watch: &Watch,
) -> std::result::Result<http::Response<ureq::Body>, Failure> {
    let meter = watch.meter();
    // ureq's own limit of the attempt, shortened to what is left of the call's total time:
    // it also bounds what the watch cannot slice (connecting, writing to a stalled server).
    // A body left open is read over later calls, each with its own limits: ureq's would run
    // on from this one.
    let attempt_limit = match (agent.config().timeouts().global, watch.remaining()) {
        _ if open_body => None,
        (Some(attempt), Some(left)) => Some(attempt.min(left)),
        (attempt, left) => attempt.or(left),
    };

    let mut wire_url = url.clone();
    let carto2 = endpoint.bearer.is_none();
    if with_key && carto2 && endpoint.transport == KeyTransport::Query {
        wire_url
            .query_pairs_mut()
            .append_pair("api_key", &endpoint.api_key);
    }
    let invalid = |what: String| Failure::before_sending(Error::invalid_argument(what));
    let mut builder = http::Request::builder()
        .method(method)
        .uri(wire_url.as_str());
    for (name, value) in headers {
        builder = builder.header(name.as_str(), value.as_str());
    }
    if let (true, true, Some(basic)) = (with_key, carto2, &endpoint.basic_header) {
        let mut value = HeaderValue::from_str(basic)
            .map_err(|_| invalid("the username or API key cannot be sent in a header".into()))?;
        value.set_sensitive(true);
        builder = builder.header(http::header::AUTHORIZATION, value);
    }
    // The Bearer token goes to the base URL's origin only, as the key does.
    if let (true, Some(lease)) = (with_key, lease) {
        // Kept out of messages, should a server echo it (the shape of a JWT is redacted
        // anyway; an opaque token is not).
        endpoint.secrets.learn(lease.token.expose());
        builder = builder.header(http::header::AUTHORIZATION, lease.header.clone());
    }
    let Some(Outgoing {
        mut source,
        length,
        content_type,
    }) = outgoing
    else {
        let request = builder
            .body(SendBody::none())
            .map_err(|e| invalid(format!("cannot build {target}: {e}")))?;
        return agent
            .run(limited(agent, request, attempt_limit))
            .map_err(|e| transport_failure(e, target));
    };
    builder = builder.header(http::header::CONTENT_TYPE, content_type);
    if gzip {
        builder = builder.header(http::header::CONTENT_ENCODING, "gzip");
    } else if let Some(length) = length {
        builder = builder.header(http::header::CONTENT_LENGTH, length);
    }
    let mut counted = MeteredReader {
        inner: &mut source,
        meter,
    };
    let mut compressed;
    let reader: &mut dyn Read = if gzip {
        compressed = flate2::read::GzEncoder::new(&mut counted, flate2::Compression::fast());
        &mut compressed
    } else {
        &mut counted
    };
    let request = builder
        .body(SendBody::from_reader(reader))
        .map_err(|e| invalid(format!("cannot build {target}: {e}")))?;
    agent
        .run(limited(agent, request, attempt_limit))
        .map_err(|e| transport_failure(e, target))
}

/// `request` with ureq's limit of the attempt set to `limit`.
fn limited<S: ureq::AsSendBody>(
    agent: &Agent,
    request: http::Request<S>,
    limit: Option<std::time::Duration>,
) -> http::Request<S> {
    agent
        .configure_request(request)
        .timeout_global(limit)
        .build()
}

/// Reads (or streams, or leaves open in `opened`) the body of the final response.
fn receive(
    response: http::Response<ureq::Body>,
    target: String,
    sink: Option<&mut Box<dyn Write + Send>>,
    opened: Option<&mut Option<OpenedBody>>,
    max_body_size: u64,
    meter: &Meter,
) -> std::result::Result<Response, Failure> {
    let (parts, body) = response.into_parts();
    let status = parts.status.as_u16();
    let headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect();
    let download_total = body.content_length();
    meter.update(|p| p.download_total = download_total);
    let success = (200..300).contains(&status);
    let mut sink = sink.filter(|_| success);
    let mut reader = body.into_with_config().limit(u64::MAX).reader();
    if let (true, Some(opened)) = (success, opened) {
        *opened = Some(OpenedBody {
            reader,
            target: target.clone(),
            download_total,
            downloaded: 0,
        });
        return Ok(Response {
            status,
            headers,
            body: Vec::new(),
            streamed_bytes: 0,
            attempts: 1,
            target,
            secrets: None,
        });
    }
    // Zeroing a 64 KiB buffer cost more than reading a small answer: when the length is known,
    // the buffer is no larger than the answer (a larger or unknown one gets CHUNK).
    let buffer_size = download_total.map_or(CHUNK, |length| {
        usize::try_from(length).map_or(CHUNK, |length| length.clamp(1, CHUNK))
    });
    let mut buffer = vec![0u8; buffer_size];
    // Room for the whole answer and the NUL the C boundary appends, so neither grows it.
    let mut kept = match (&sink, download_total) {
        (None, Some(length)) if length < max_body_size.min(MAX_PRESIZED_BODY) => {
            Vec::with_capacity(length as usize + 1)
        }
        _ => Vec::new(),
    };
    let mut streamed = 0u64;
    let failure = |error, delivered| Failure {
        error,
        request_sent: true,
        delivered_to_sink: delivered,
    };
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let error = read_error(e, &target, meter.state().downloaded);
                return Err(failure(error, streamed > 0));
            }
        };
        match sink.as_mut() {
            Some(sink) => {
                sink.write_all(&buffer[..n])
                    .map_err(|e| failure(writer_error(&e, &target), streamed > 0))?;
                streamed += n as u64;
            }
            // An error body only needs to be long enough to hold CARTO's message.
            None if !success && kept.len() as u64 >= MAX_ERROR_BODY => break,
            // Counted after decompression, so a small gzip bomb stops here too.
            None if kept.len() as u64 + n as u64 > max_body_size => {
                return Err(failure(body_too_large(&target, max_body_size), false));
            }
            None => kept.extend_from_slice(&buffer[..n]),
        }
        meter.update(|p| p.downloaded += n as u64);
        if let Err(abort) = meter.report() {
            return Err(failure(abort_error(&abort, &target), streamed > 0));
        }
    }
    if let Some(sink) = sink.as_mut() {
        sink.flush()
            .map_err(|e| failure(writer_error(&e, &target), streamed > 0))?;
    }
    Ok(Response {
        status,
        headers,
        body: kept,
        streamed_bytes: streamed,
        attempts: 1,
        target,
        secrets: None,
    })
}

/// Counts request body bytes as ureq pulls them, and lets the progress callback cancel.
struct MeteredReader<'r, 'm> {
    inner: &'r mut dyn Read,
    meter: &'m Meter,
}

impl Read for MeteredReader<'_, '_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.update(|p| p.uploaded += n as u64);
        if n > 0 {
            self.meter.report().map_err(io::Error::other)?;
        }
        Ok(n)
    }
}
