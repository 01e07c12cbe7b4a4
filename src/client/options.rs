//! How a client talks to CARTO: timeouts, trust, key transport, retries, identification.

use crate::token::{RefreshWindows, TokenCache};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// How the API key travels with each request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyTransport {
    /// `Authorization: Basic base64(username:api_key)`, CARTO's first choice: the key never sits
    /// in a URL that a proxy or server could log. Needs a username.
    #[default]
    Basic,
    /// An `api_key` query parameter, as carto-python and GDAL send it, for servers that only
    /// accept that. Error messages and logs of this library redact it.
    Query,
}

/// Which certificate authorities are trusted for https.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Trust {
    /// The Mozilla root store compiled into the library (same on every platform).
    #[default]
    WebPki,
    /// The operating system's trust store (corporate or on-premises CAs installed there).
    System,
    /// Only the certificates of a PEM bundle file (a private CA of an on-premises install).
    CaBundle(PathBuf),
}

/// When to retry automatically.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, including the first (1 disables retries).
    pub max_attempts: u32,
    /// Upper bound of the time spent waiting between attempts, summed over all retries. A
    /// `Retry-After` longer than what is left is not waited for: the 429 is returned.
    pub max_wait: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            max_wait: Duration::from_secs(30),
        }
    }
}

/// Options of a [`super::Client`]. The defaults never wait forever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Limit for establishing a connection (default 10 s).
    pub connect_timeout: Duration,
    /// Limit for one whole attempt, body included (default 300 s; `None`: no overall limit,
    /// for very large streams; the idle timeout still applies).
    pub timeout: Option<Duration>,
    /// Limit for any single wait for data from the server (default 120 s).
    pub idle_timeout: Duration,
    /// Limit for the whole call: every attempt, redirect and wait between retries (default
    /// 300 s, see `DEFAULT_TOTAL_TIMEOUT` for why; `None`: no limit beyond the per-attempt
    /// ones, for very large streams). Past it the call fails with
    /// [`crate::ErrorKind::Timeout`], even when the server never answers.
    pub total_timeout: Option<Duration>,
    /// Which CAs are trusted.
    pub trust: Trust,
    /// How the API key is sent.
    pub key_transport: KeyTransport,
    /// Automatic retries of rate-limited requests and failed connections.
    pub retry: RetryPolicy,
    /// Appended to the `User-Agent` header `cartoauth/<version>`, e.g. "my-qgis-plugin/2.1".
    pub user_agent_suffix: Option<String>,
    /// Use `HTTPS_PROXY` / `HTTP_PROXY` / `ALL_PROXY` / `NO_PROXY` from the environment
    /// (default true).
    pub proxy_from_env: bool,
    /// Largest response body kept in memory, counted after decompression (default 256 MiB,
    /// see `DEFAULT_MAX_BODY_SIZE` for why); a larger one fails with
    /// [`crate::ErrorKind::BodyTooLarge`]. Bodies streamed to a writer ([`super::Request::write_response_to`]) have no limit.
    pub max_body_size: u64,
    /// Where CARTO 3 tokens (M2M, user sign-in) are kept between processes (default: a file
    /// per token in the user's cache directory, so N processes mint once).
    pub token_cache: TokenCache,
    /// When cached CARTO 3 tokens are refreshed (default: 15 min / 10 min before expiry,
    /// scaled down for short-lived tokens).
    pub refresh_windows: RefreshWindows,
    /// Asked whether to stop, on the calling thread, by every network call of the client (at
    /// least every 250 ms while it waits for a server, and as bytes move) and by its waits
    /// (between retries, between Batch polls); `true` ends the call with
    /// [`crate::ErrorKind::Cancelled`]. Default: none. R and Julia install one that checks for
    /// a Ctrl-C.
    pub interrupt: Option<InterruptHook>,
}

/// 300 s, the same as one attempt's default limit: retries and their waits fit inside the time
/// a single attempt may take, so a server that never answers costs a caller 5 minutes at most
/// (3 attempts of 120 s idle timeout each took 362 s), while a legitimate long query (CARTO's
/// own statement timeouts are shorter) or a large download still fits.
pub(crate) const DEFAULT_TOTAL_TIMEOUT: Duration = Duration::from_secs(300);

/// 256 MiB: far above any answer CARTO's APIs give to a query a program means to keep in memory,
/// far below what would exhaust a desktop's memory when a server (or a gzip bomb) sends an
/// endless body.
pub(crate) const DEFAULT_MAX_BODY_SIZE: u64 = 256 << 20;

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Some(Duration::from_secs(300)),
            idle_timeout: Duration::from_secs(120),
            total_timeout: Some(DEFAULT_TOTAL_TIMEOUT),
            trust: Trust::default(),
            key_transport: KeyTransport::default(),
            retry: RetryPolicy::default(),
            user_agent_suffix: None,
            proxy_from_env: true,
            max_body_size: DEFAULT_MAX_BODY_SIZE,
            token_cache: TokenCache::default(),
            refresh_windows: RefreshWindows::default(),
            interrupt: None,
        }
    }
}

/// A function every call of a client asks whether to stop ([`ClientOptions::interrupt`]).
/// Options compare equal when they share the same hook.
#[derive(Clone)]
pub struct InterruptHook(Arc<dyn Fn() -> bool + Send + Sync>);

impl InterruptHook {
    /// A hook that returns `true` to stop the call it is asked from.
    pub fn new(hook: impl Fn() -> bool + Send + Sync + 'static) -> Self {
        InterruptHook(Arc::new(hook))
    }

    /// Whether the hook asks to stop.
    pub(crate) fn interrupted(&self) -> bool {
        (self.0)()
    }
}

impl std::fmt::Debug for InterruptHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InterruptHook")
    }
}

impl PartialEq for InterruptHook {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for InterruptHook {}

impl ClientOptions {
    /// The `User-Agent` header value.
    pub fn user_agent(&self) -> String {
        let base = concat!("cartoauth/", env!("CARGO_PKG_VERSION"));
        match self.user_agent_suffix.as_deref().map(str::trim) {
            Some(suffix) if !suffix.is_empty() => format!("{base} {suffix}"),
            _ => base.to_owned(),
        }
    }
}
