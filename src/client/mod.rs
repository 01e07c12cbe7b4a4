//! Authenticated requests to CARTO's APIs.
//!
//! A [`Client`] holds credentials, options and one HTTP agent (a pool of kept-alive
//! connections); it is cheap to share: clone it or use it from many threads at once.
//! [`Client::send`] returns any HTTP answer as a [`Response`] (check it with
//! [`Response::check`]); helpers such as [`Client::sql`] return an error for HTTP errors.
//!
//! Logging: cartoauth logs nothing. ureq, underneath, writes the raw bytes of each request
//! (the `Authorization` header included) to the `log` facade at TRACE level; through the C ABI
//! no logger is ever installed, but a Rust program that enables TRACE for `ureq_proto` would
//! record keys.

mod account;
mod api_keys;
mod batch;
mod carto3;
mod dns;
mod do_token;
pub(crate) mod failure;
mod options;
mod progress;
mod reader;
mod request;
mod response;
mod retry;
mod reuse;
mod secrets;
mod sql;
mod sql_v3;
mod transport;
mod wait;

pub use account::{KeyValidity, Me};
pub use api_keys::{ApiKeyInfo, ApiKeyType, Grants, NewApiKey, SchemaGrant, TableGrant};
pub use batch::{BatchJob, BatchJobSpec, BatchQuery, JobStatus, QueryState, WaitFn, WaitOptions};
pub use carto3::{
    AccessToken, Connection, DwToken, MapInstance, MapSource, TokenGrants, TokenStatus,
};
pub use do_token::DoCredentials;
pub(crate) use failure::Abort;
pub use options::{ClientOptions, InterruptHook, KeyTransport, RetryPolicy, Trust};
pub use reader::{ResultReader, MAX_V3_ROWS};
pub use request::{
    check_header, check_json, check_method, Body, Progress, ProgressFactory, ProgressFn,
    ReaderFactory, Request, WriterFactory,
};
pub use response::{RateLimit, Response};
pub use sql::MAX_GET_QUERY_LEN;
pub use sql_v3::{SqlJob, MAX_V3_URL_LEN};

use crate::credentials::kind::CredentialKind;
use crate::credentials::Credentials;
use crate::error::{Error, ErrorKind, Result};
use crate::token::engine::Bearer;
use base64::Engine;
use response::OpenedBody;
use std::sync::Arc;
use std::time::Duration;
use transport::Endpoint;
use ureq::tls::{RootCerts, TlsConfig};
use ureq::unversioned::transport::Connector;
use ureq::Agent;

/// A CARTO client: credentials + options + a connection pool. Thread-safe and cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    agent: Agent,
    endpoint: Endpoint,
    credentials: Credentials,
    options: ClientOptions,
    /// Kept out of every message built from a server's text.
    secrets: Arc<secrets::Secrets>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("credentials", &self.inner.credentials)
            .field("options", &self.inner.options)
            .finish()
    }
}

impl Client {
    /// A client for `credentials`. Fails when the options break a rule
    /// ([`ClientOptions::validate`]) or cannot be honoured (an unreadable CA bundle, Basic key
    /// transport without a username).
    pub fn new(credentials: Credentials, options: ClientOptions) -> Result<Client> {
        options.validate()?;
        let base = url::Url::parse(credentials.base_url())
            .map_err(|e| Error::new(ErrorKind::InvalidBaseUrl, format!("base_url: {e}")))?;
        let api_key = zeroize::Zeroizing::new(credentials.api_key().expose().to_owned());
        let carto2 = credentials.kind() == CredentialKind::ApiKey;
        let basic_credential = match options.key_transport {
            KeyTransport::Basic if carto2 => {
                let username = credentials.username().ok_or_else(|| {
                    Error::invalid_argument(format!(
                        "Basic key transport needs a username, and none is given or can be derived from {}; give the username or use the query key transport",
                        credentials.base_url()
                    ))
                })?;
                let pair = zeroize::Zeroizing::new(format!("{username}:{}", *api_key));
                Some(zeroize::Zeroizing::new(
                    base64::engine::general_purpose::STANDARD.encode(pair.as_bytes()),
                ))
            }
            _ => None,
        };
        let secrets = Arc::new(secrets::Secrets::new(
            &api_key,
            [credentials.access_token(), credentials.client_secret()]
                .into_iter()
                .flatten()
                .map(|secret| secret.expose()),
            basic_credential.as_deref().map(String::as_str),
        ));
        let basic_header = basic_credential
            .as_deref()
            .map(|credential| zeroize::Zeroizing::new(format!("Basic {credential}")));
        let agent = build_agent(&options)?;
        let bearer = if carto2 {
            None
        } else {
            let store =
                crate::token::store_for(&options.token_cache, &crate::env::ProcessEnvironment)?;
            Bearer::for_credentials(&credentials, store, options.refresh_windows, agent.clone())?
        };
        Ok(Client {
            inner: Arc::new(Inner {
                agent,
                endpoint: Endpoint {
                    base,
                    transport: options.key_transport,
                    basic_header,
                    api_key,
                    max_body_size: options.max_body_size,
                    bearer,
                    secrets: Arc::clone(&secrets),
                },
                credentials,
                options,
                secrets,
            }),
        })
    }

    /// A client for the credentials [`crate::resolve`] finds.
    pub fn from_resolution(options: ClientOptions) -> Result<Client> {
        Client::new(crate::resolve(None)?, options)
    }

    /// The client's credentials.
    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    /// The client's options.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// The connection pool, for requests that are not to the base URL (the OAuth server).
    pub(crate) fn agent(&self) -> &Agent {
        &self.inner.agent
    }

    /// Sends a request (retrying as the options allow) and returns the server's answer,
    /// whatever its HTTP status. Errors are a malformed request (see [`Request::validate`])
    /// and transport failures: timeout, connection, TLS, cancellation, callbacks, protocol.
    ///
    /// The progress callback runs on this thread, as bytes move and at least every 250 ms
    /// while the call waits (for the server, or between retries); the whole call ends within
    /// [`ClientOptions::total_timeout`].
    ///
    /// Messages never show the client's key or a token it received, even when the server
    /// echoes one (the answer's [`Response::check`] and [`Response::carto_error_message`]
    /// leave them out too).
    pub fn send(&self, mut request: Request) -> Result<Response> {
        match self.send_attempts(&mut request) {
            Ok(mut response) => {
                response.secrets = Some(Arc::clone(&self.inner.secrets));
                Ok(response)
            }
            Err(error) => Err(self.scrub(error)),
        }
    }

    /// `error` without the secrets this client holds or received.
    pub(crate) fn scrub(&self, error: Error) -> Error {
        self.inner.secrets.scrub_error(error)
    }

    /// Server text without the secrets this client holds or received.
    pub(crate) fn scrub_text<'t>(&self, text: &'t str) -> std::borrow::Cow<'t, str> {
        self.inner.secrets.scrub(text)
    }

    /// Sleeps `pause` between two calls of a longer operation (`doing`, for the message),
    /// asking the interrupt hook every 250 ms.
    pub(crate) fn pause(&self, pause: Duration, doing: &str) -> Result<()> {
        let watch = wait::Watch::new(
            progress::Meter::new(None, self.inner.options.interrupt.clone()),
            None,
        );
        watch
            .sleep(pause)
            .map_err(|abort| failure::abort_error(&abort, doing))
    }

    /// Remembers a secret the server handed over, to keep it out of later messages.
    pub(crate) fn learn_secret(&self, secret: &str) {
        self.inner.secrets.learn(secret);
    }

    /// Sends a request as [`Client::send`] does and leaves a successful answer's body open,
    /// to be read at the caller's pace (errors keep their body, for CARTO's message). Each
    /// read of the body is a call of its own, with its own limits.
    pub(crate) fn open(&self, mut request: Request) -> Result<(Response, Option<OpenedBody>)> {
        request.open_body = true;
        let response = self.send_attempts(&mut request);
        match response {
            Ok(mut response) => {
                response.secrets = Some(Arc::clone(&self.inner.secrets));
                let opened = request.opened.take();
                Ok((response, opened))
            }
            Err(error) => Err(self.scrub(error)),
        }
    }

    /// [`Client::send`] before the answer and errors are tied to the client's secrets.
    fn send_attempts(&self, request: &mut Request) -> Result<Response> {
        request.validate()?;
        check_platform(request, &self.inner.credentials)?;
        request.open_sources();
        let policy = self.inner.options.retry;
        // A call made for a longer operation (a Batch wait, a key listing) ends with it.
        let limit = match (self.inner.options.total_timeout, request.deadline) {
            (limit, None) => limit,
            (limit, Some(deadline)) => {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                Some(limit.map_or(left, |limit| limit.min(left)))
            }
        };
        let watch = wait::Watch::new(
            progress::Meter::new(
                request.progress.take(),
                self.inner.options.interrupt.clone(),
            ),
            limit,
        );
        let _installed = watch.install();
        let mut waited = Duration::ZERO;
        let mut attempt = 1;
        let mut reminted = false;
        loop {
            // A CARTO 3 token is chosen afresh for each attempt (a retry may come after the
            // token's refresh window opened); minting retries on its own, so its failure ends
            // the call.
            let bearer = self.inner.endpoint.bearer.as_ref();
            let lease = bearer.map(|b| b.attach(&watch)).transpose()?;
            let outcome = transport::exchange(
                &self.inner.agent,
                &self.inner.endpoint,
                lease.as_deref(),
                request,
                &watch,
            )
            .map_err(|mut failure| {
                // ureq's attempt limit was shortened to the call's deadline: say which one hit.
                if let (ErrorKind::Timeout, Some(Abort::TotalTime(limit))) =
                    (failure.error.kind(), watch.expired())
                {
                    failure.error = Error::new(
                        ErrorKind::Timeout,
                        format!("{}: {}", request.shown(), failure::total_time_spent(limit)),
                    );
                }
                failure
            });
            // 401 to a cached token: it expired early or was revoked. The server ran nothing,
            // so the request may go once more, with a new token.
            if let (Ok(response), Some(bearer), Some(lease)) = (&outcome, bearer, &lease) {
                if response.status() == 401
                    && !reminted
                    && request.body.is_replayable()
                    && bearer.refused(lease)
                {
                    reminted = true;
                    continue;
                }
            }
            let wait = retry::next_wait(
                &policy,
                attempt,
                waited,
                match &outcome {
                    Ok(response) => retry::Outcome::Answered(response),
                    Err(failure) => retry::Outcome::Failed(failure),
                },
                request.body.is_replayable(),
                request.is_idempotent(),
            );
            match (outcome, wait) {
                (outcome, None) => {
                    return outcome
                        .map(|mut response| {
                            response.attempts = attempt;
                            response
                        })
                        .map_err(|failure| failure.error)
                }
                (outcome, Some(wait)) => {
                    if watch.remaining().is_some_and(|left| left <= wait) {
                        // No time for another attempt: the last answer or failure stands.
                        return outcome
                            .map(|mut response| {
                                response.attempts = attempt;
                                response
                            })
                            .map_err(|failure| failure.error);
                    }
                    let target = request.shown();
                    watch
                        .sleep(wait)
                        .map_err(|abort| failure::abort_error(&abort, &target))?;
                    waited += wait;
                    attempt += 1;
                }
            }
        }
    }

    /// Sends a reusable request (see [`Request::try_clone`]): it stays with the caller, to be
    /// sent again or from other threads at the same time.
    pub fn send_shared(&self, request: &Request) -> Result<Response> {
        self.send(request.try_clone()?)
    }

    /// Runs a SQL API query and returns the answer, or the HTTP error with CARTO's message.
    pub fn sql(&self, query: &str, format: Option<&str>) -> Result<Response> {
        self.send(Request::sql(query, format))?.error_for_status()
    }
}

/// Refuses a request for the other platform's API: CARTO 2's APIs live under `api/`
/// (`api/v2/sql`, `api/v3/me`, `api/v4/do/token`) relative to a CARTO 2 base URL, CARTO 3's
/// under `v3/` relative to an API base URL. Absolute URLs are not classified.
fn check_platform(request: &Request, credentials: &Credentials) -> Result<()> {
    let path = request.path.trim().trim_start_matches('/');
    let wanted = if path.starts_with("api/") {
        crate::Platform::Carto2
    } else if path.starts_with("v3/") {
        crate::Platform::Carto3
    } else {
        return Ok(());
    };
    if wanted == credentials.platform() {
        return Ok(());
    }
    let shown = request.shown();
    Err(Error::invalid_argument(match wanted {
        crate::Platform::Carto2 => format!(
            "{shown} is a CARTO 2 API request, and these are CARTO 3 credentials ({}); use the CARTO 3 calls (SQL API v3: sql_v3)",
            credentials.base_url()
        ),
        crate::Platform::Carto3 => format!(
            "{shown} is a CARTO 3 API request, and these are CARTO 2 credentials ({}); give CARTO 3 credentials (an API base URL with a token, an M2M client or a sign-in)",
            credentials.base_url()
        ),
    }))
}

/// ureq's socket buffers (its default is 128 KiB). Kept below glibc's mmap threshold (128 KiB):
/// an mmap-ed buffer starts 16 bytes into a page, so the kernel's `rep movs` copy from a
/// page-aligned source (file pages, sendfile-ed socket data) into it runs at a fraction of its
/// speed on some CPUs (AMD EPYC: 2x the client CPU of an upload). A heap buffer has no such
/// fixed offset. Larger than ureq's 64 KiB response-header limit, which must fit.
const TRANSFER_BUFFER: usize = 120 * 1024;

fn build_agent(options: &ClientOptions) -> Result<Agent> {
    let roots = match &options.trust {
        Trust::WebPki => RootCerts::WebPki,
        Trust::System => RootCerts::PlatformVerifier,
        Trust::CaBundle(path) => RootCerts::new_with_certs(&read_ca_bundle(path)?),
    };
    let config = Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0) // followed by transport.rs, which decides where the key may go
        .user_agent(options.user_agent())
        .timeout_connect(Some(options.connect_timeout))
        .timeout_global(options.timeout)
        .timeout_per_read(Some(options.idle_timeout))
        .timeout_per_write(Some(options.idle_timeout))
        .max_idle_connections(64)
        .max_idle_connections_per_host(16)
        .input_buffer_size(TRANSFER_BUFFER)
        .output_buffer_size(TRANSFER_BUFFER)
        .tls_config(TlsConfig::builder().root_certs(roots).build())
        .proxy(if options.proxy_from_env {
            ureq::Proxy::try_from_env()
        } else {
            None
        })
        .build();
    Ok(Agent::with_parts(
        config,
        // Ticking cuts waits into slices for the progress callback and the total time limit;
        // CheckOnTake spares a kept-alive connection one of ureq's two liveness checks.
        ureq::unversioned::transport::DefaultConnector::default()
            .chain(wait::TickingConnector)
            .chain(reuse::CheckOnTakeConnector),
        dns::CachingResolver::default(),
    ))
}

fn read_ca_bundle(path: &std::path::Path) -> Result<Vec<ureq::tls::Certificate<'static>>> {
    let pem = std::fs::read(path).map_err(|e| {
        Error::new(
            ErrorKind::Tls,
            format!(
                "cannot read the CA bundle {}: {e}",
                crate::text::excerpt::path(path)
            ),
        )
    })?;
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        match item {
            Ok(ureq::tls::PemItem::Certificate(cert)) => certs.push(cert),
            Ok(_) => {}
            Err(e) => {
                return Err(Error::new(
                    ErrorKind::Tls,
                    format!(
                        "the CA bundle {} is not valid PEM: {e}",
                        crate::text::excerpt::path(path)
                    ),
                ))
            }
        }
    }
    if certs.is_empty() {
        return Err(Error::new(
            ErrorKind::Tls,
            format!(
                "the CA bundle {} holds no certificate",
                crate::text::excerpt::path(path)
            ),
        ));
    }
    Ok(certs)
}
