//! How a client talks to CARTO: timeouts, trust, key transport, retries, identification.

use crate::error::{Error, Result};
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

impl Trust {
    /// Trust only the certificates of the PEM file at `path` (`~` is the home directory).
    /// Errors: an empty path. The file itself is read when a client is created.
    pub fn ca_bundle(path: &str) -> Result<Trust> {
        if path.trim().is_empty() {
            return Err(Error::invalid_argument(
                "a CA bundle trust needs the path of a PEM file; it is empty",
            ));
        }
        Ok(Trust::CaBundle(crate::config::expand_home(path)))
    }
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

impl RetryPolicy {
    /// The most attempts a policy may make: 1 plus 100 retries. More would only hide a server
    /// that keeps failing, and each one may wait (`max_wait` bounds the waiting, not the
    /// attempts).
    pub const MAX_ATTEMPTS: u32 = 101;

    /// A policy of `max_attempts` in all (1 disables retries; 1 to [`Self::MAX_ATTEMPTS`])
    /// waiting at most `max_wait` between them, summed.
    pub fn new(max_attempts: u32, max_wait: Duration) -> Result<RetryPolicy> {
        if !(1..=Self::MAX_ATTEMPTS).contains(&max_attempts) {
            return Err(Error::invalid_argument(format!(
                "max_attempts must be from 1 (no retry) to {} (100 retries), not {max_attempts}",
                Self::MAX_ATTEMPTS
            )));
        }
        Ok(RetryPolicy {
            max_attempts,
            max_wait,
        })
    }
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

/// Each setter checks its value and returns an error naming what was wrong; [`Client::new`]
/// checks options built as a struct literal the same way ([`ClientOptions::validate`]).
///
/// [`Client::new`]: super::Client::new
impl ClientOptions {
    /// The connect timeout; errors when it is zero.
    pub fn set_connect_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        positive(timeout, "the connect timeout")?;
        self.connect_timeout = timeout;
        Ok(self)
    }

    /// The limit of one whole attempt (`None`: none; the idle timeout still applies). A zero
    /// limit means none, as in the C ABI.
    pub fn set_timeout(&mut self, timeout: Option<Duration>) -> &mut Self {
        self.timeout = timeout.filter(|t| !t.is_zero());
        self
    }

    /// The idle timeout; errors when it is zero.
    pub fn set_idle_timeout(&mut self, timeout: Duration) -> Result<&mut Self> {
        positive(timeout, "the idle timeout")?;
        self.idle_timeout = timeout;
        Ok(self)
    }

    /// The limit of a whole call (`None`, or zero: none).
    pub fn set_total_timeout(&mut self, timeout: Option<Duration>) -> &mut Self {
        self.total_timeout = timeout.filter(|t| !t.is_zero());
        self
    }

    /// The largest body kept in memory; errors when it is zero.
    pub fn set_max_body_size(&mut self, bytes: u64) -> Result<&mut Self> {
        check_max_body_size(bytes)?;
        self.max_body_size = bytes;
        Ok(self)
    }

    /// Automatic retries (see [`RetryPolicy::new`]).
    pub fn set_retry(&mut self, max_attempts: u32, max_wait: Duration) -> Result<&mut Self> {
        self.retry = RetryPolicy::new(max_attempts, max_wait)?;
        Ok(self)
    }

    /// The application name appended to the User-Agent (`None` or blank: none); errors on
    /// control characters, which would break the header.
    pub fn set_user_agent_suffix(&mut self, suffix: Option<&str>) -> Result<&mut Self> {
        check_user_agent_suffix(suffix)?;
        self.user_agent_suffix = suffix.filter(|s| !s.trim().is_empty()).map(str::to_owned);
        Ok(self)
    }

    /// Every rule of the setters, for options built as a struct literal: zero connect or idle
    /// timeouts, a zero body limit, retries out of range, a User-Agent suffix with control
    /// characters and a CA bundle without a path are errors naming the option.
    pub fn validate(&self) -> Result<()> {
        positive(self.connect_timeout, "the connect timeout")?;
        positive(self.idle_timeout, "the idle timeout")?;
        check_max_body_size(self.max_body_size)?;
        RetryPolicy::new(self.retry.max_attempts, self.retry.max_wait)?;
        check_user_agent_suffix(self.user_agent_suffix.as_deref())?;
        if let Trust::CaBundle(path) = &self.trust {
            Trust::ca_bundle(&path.to_string_lossy())?;
        }
        Ok(())
    }

    /// The `User-Agent` header value.
    pub fn user_agent(&self) -> String {
        let base = concat!("cartoauth/", env!("CARGO_PKG_VERSION"));
        match self.user_agent_suffix.as_deref().map(str::trim) {
            Some(suffix) if !suffix.is_empty() => format!("{base} {suffix}"),
            _ => base.to_owned(),
        }
    }
}

fn positive(duration: Duration, what: &str) -> Result<()> {
    if duration.is_zero() {
        return Err(Error::invalid_argument(format!(
            "{what} must be more than 0 ms"
        )));
    }
    Ok(())
}

fn check_max_body_size(bytes: u64) -> Result<()> {
    if bytes == 0 {
        return Err(Error::invalid_argument(
            "the maximum body size must be more than 0 bytes",
        ));
    }
    Ok(())
}

fn check_user_agent_suffix(suffix: Option<&str>) -> Result<()> {
    if suffix.is_some_and(|s| s.chars().any(char::is_control)) {
        return Err(Error::invalid_argument(
            "the User-Agent suffix contains control characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn refused(result: Result<impl Sized>) -> String {
        let e = result.err().expect("refused");
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        e.to_string()
    }

    #[test]
    fn setters_refuse_what_the_client_cannot_honour() {
        let mut o = ClientOptions::default();
        assert!(refused(o.set_connect_timeout(Duration::ZERO)).contains("connect timeout"));
        assert!(refused(o.set_idle_timeout(Duration::ZERO)).contains("idle timeout"));
        assert!(refused(o.set_max_body_size(0)).contains("maximum body size"));
        assert!(refused(o.set_retry(0, Duration::ZERO)).contains("max_attempts"));
        assert!(refused(o.set_retry(102, Duration::ZERO)).contains("not 102"));
        assert!(refused(o.set_user_agent_suffix(Some("app\r\nX-Evil: 1"))).contains("control"));
        assert!(refused(Trust::ca_bundle(" ")).contains("PEM"));
        // Refused values leave the options as they were.
        assert_eq!(o, ClientOptions::default());
        o.set_retry(101, Duration::from_secs(1)).unwrap();
        o.set_user_agent_suffix(Some("  ")).unwrap();
        assert_eq!(
            (o.retry.max_attempts, o.user_agent_suffix.clone()),
            (101, None)
        );
        o.set_timeout(Some(Duration::ZERO));
        assert_eq!(o.timeout, None);
    }

    #[test]
    fn validate_holds_struct_literals_to_the_same_rules() {
        assert!(ClientOptions::default().validate().is_ok());
        let literal = |change: fn(&mut ClientOptions)| {
            let mut o = ClientOptions::default();
            change(&mut o);
            refused(o.validate())
        };
        assert!(literal(|o| o.connect_timeout = Duration::ZERO).contains("connect timeout"));
        assert!(literal(|o| o.idle_timeout = Duration::ZERO).contains("idle timeout"));
        assert!(literal(|o| o.max_body_size = 0).contains("body size"));
        assert!(literal(|o| o.retry.max_attempts = 0).contains("max_attempts"));
        assert!(literal(|o| o.user_agent_suffix = Some("a\nb".into())).contains("control"));
        assert!(literal(|o| o.trust = Trust::CaBundle(PathBuf::new())).contains("PEM"));
    }
}
