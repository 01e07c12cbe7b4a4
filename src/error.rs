//! The crate's one error type.
//!
//! Every message names what was wrong and where (argument, environment variable, file path and
//! line/column or field). No message ever contains an API key or a password: every message
//! passes through [`crate::text::redact::message`] when it is stored here (URL userinfo and secret
//! query parameters removed), and credentials are never formatted with their key.

use std::fmt;
use std::io;
use std::path::Path;

/// A `Result` whose error is [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What kind of failure happened. Stable across releases: the C boundary maps each kind onto a
/// numbered status code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
// Exhaustive for the C ABI crate (feature `capi`), so that a new kind cannot compile until it
// has a status code there.
#[cfg_attr(not(feature = "capi"), non_exhaustive)]
pub enum ErrorKind {
    /// An argument was out of range or malformed (the message says which).
    InvalidArgument,
    /// Neither a username nor a base URL was given.
    MissingAccount,
    /// A username that cannot be part of a CARTO URL.
    InvalidUsername,
    /// A base URL that cannot be parsed or is not a CARTO base URL.
    InvalidBaseUrl,
    /// An `http://` base URL without `allow_non_secure`.
    InsecureBaseUrl,
    /// No process-wide default credentials are set.
    NoDefaultCredentials,
    /// Nothing in the resolution chain produced credentials.
    NotResolved,
    /// A CARTO 3 token that cannot be refreshed (a static token, a user's sign-in) has expired
    /// or is about to.
    TokenExpired,
    /// A CARTO 3 user must sign in (again): there is no usable token in the cache.
    SignInRequired,
    /// A CARTO 3 sign-in failed: the `state` did not match, the user refused, or the
    /// callback was malformed.
    SignInFailed,
    /// An environment variable holds an unusable value.
    InvalidEnvironment,
    /// A credentials file (or profile) does not exist.
    FileNotFound,
    /// Reading, writing, renaming or deleting a file failed.
    Io,
    /// A file is not valid JSON (line and column in the message).
    FileSyntax,
    /// A file is valid JSON but not a credentials file (field and reason in the message).
    FileContent,
    /// Another process held the file's lock for too long.
    LockTimeout,
    /// The OS keychain was required (a file refers to an item in it, or the keychain store
    /// was chosen) and none answers: no session bus or Secret Service, a locked keychain, no
    /// keychain support compiled in, or the keychain refused.
    KeychainUnavailable,
    /// The OS keychain did not answer within its timeout (3 s).
    KeychainTimeout,
    /// A credentials file refers to a keychain item that does not exist (deleted outside
    /// cartoauth, or the file comes from another machine).
    KeychainItemNotFound,
    /// The server answered 400 (or another 4xx without a kind of its own).
    HttpClientError,
    /// The server answered 401.
    HttpUnauthorized,
    /// The server answered 403.
    HttpForbidden,
    /// The server answered 404.
    HttpNotFound,
    /// The server answered 429.
    HttpRateLimited,
    /// The server answered 5xx.
    HttpServerError,
    /// A connect or overall timeout expired.
    Timeout,
    /// The connection could not be made or broke (refused, reset, DNS, truncated body).
    Connection,
    /// TLS failed (certificate not trusted, handshake error, bad CA bundle).
    Tls,
    /// A progress callback asked to stop the transfer.
    Cancelled,
    /// A read or write callback reported a failure.
    Callback,
    /// The server's answer did not follow the protocol (bad redirect, unparsable body).
    Protocol,
    /// A response body to be kept in memory was larger than the client's limit
    /// ([`crate::ClientOptions::max_body_size`]); stream it to a writer instead.
    BodyTooLarge,
    /// A Batch SQL job failed (the message holds the server's reason).
    BatchJobFailed,
    /// A Batch SQL job was cancelled while it was being waited for.
    BatchJobCancelled,
    /// Waiting for a Batch SQL job took longer than allowed (the job goes on).
    WaitTimeout,
    /// A result cell cannot be given as the requested type (text as int64, 2^60 as double).
    ResultType,
    /// A result cell is NULL, so it has no value of the requested type.
    ResultNull,
    /// The answer is not a SQL API JSON result, or a value does not fit its column's type.
    ResultFormat,
    /// The query failed after rows were sent (the answer ends with an `error`).
    QueryFailed,
}

/// An error with its kind and a message that is safe to show (no API key).
#[derive(Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    http_status: Option<u16>,
}

impl Error {
    /// An error of `kind` with a message; URL userinfo and secret query parameters in it are
    /// redacted. Callers still never format a key into it.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error {
            kind,
            message: crate::text::redact::message(&message.into()),
            http_status: None,
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The human-readable message (never contains an API key).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status code when the error is an HTTP answer.
    pub fn http_status(&self) -> Option<u16> {
        self.http_status
    }

    pub(crate) fn with_http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    pub(crate) fn invalid_argument(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidArgument, message)
    }

    /// An I/O failure on `path` while doing `action` ("read", "create directory", ...).
    pub(crate) fn io(action: &str, path: &Path, source: &io::Error) -> Self {
        if source.kind() == io::ErrorKind::NotFound && action == "read" {
            return Error::file_not_found(path);
        }
        Error::new(
            ErrorKind::Io,
            format!(
                "cannot {action} {}: {source}",
                crate::text::excerpt::path(path)
            ),
        )
    }

    pub(crate) fn file_not_found(path: &Path) -> Self {
        Error::new(
            ErrorKind::FileNotFound,
            format!(
                "there is no credentials file at {}",
                crate::text::excerpt::path(path)
            ),
        )
    }

    pub(crate) fn file_content(path: &Path, field: Option<&str>, reason: &str) -> Self {
        let message = match field {
            Some(field) => format!(
                "{}: field \"{field}\": {reason}",
                crate::text::excerpt::path(path)
            ),
            None => format!("{}: {reason}", crate::text::excerpt::path(path)),
        };
        Error::new(ErrorKind::FileContent, message)
    }

    /// The same error with its message rewritten by `f` (and redacted again).
    pub(crate) fn map_message(mut self, f: impl FnOnce(&str) -> String) -> Self {
        self.message = crate::text::redact::message(&f(&self.message));
        self
    }

    /// Appends what to do about it ("...; log in again").
    pub(crate) fn with_hint(mut self, hint: &str) -> Self {
        self.message = crate::text::redact::message(&format!("{}; {hint}", self.message));
        self
    }

    /// Prefixes the message with context ("while loading profile x: ...").
    pub(crate) fn context(mut self, context: impl fmt::Display) -> Self {
        self.message = crate::text::redact::message(&format!("{context}: {}", self.message));
        self
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("http_status", &self.http_status)
            .finish()
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_never_keep_secret_parameters_or_passwords() {
        let e = Error::new(
            ErrorKind::Connection,
            "GET https://u:PASSW0RD@h/api?apikey=S3CRET&api%5Fkey=S3CRET failed",
        );
        assert!(!e.message().contains("S3CRET"), "{}", e.message());
        assert!(!e.message().contains("PASSW0RD"), "{}", e.message());
        let e = Error::new(ErrorKind::Io, "x").context("https://u:PASSW0RD@h/?key=S3CRET");
        assert!(!e.message().contains("S3CRET") && !e.message().contains("PASSW0RD"));
        assert!(!format!("{e:?}").contains("S3CRET"));
    }
}
