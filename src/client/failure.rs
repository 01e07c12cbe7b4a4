//! How a request fails: the taxonomy of failed attempts (whether the request may have reached
//! the server), callback aborts carried through ureq's I/O errors, and the messages for each.
//! The transport, the retry policy and interruptible waits all speak these types; keeping them
//! here lets those three depend on this module instead of on each other.

use crate::error::{Error, ErrorKind};
use std::io;

/// A failed attempt and whether the request may have reached the server.
pub(crate) struct Failure {
    pub error: Error,
    /// False when the failure happened before anything was sent (DNS, connect): safe to retry
    /// whatever the method.
    pub request_sent: bool,
    /// True once part of a streamed response reached the caller's writer.
    pub delivered_to_sink: bool,
}

impl Failure {
    pub(super) fn before_sending(error: Error) -> Self {
        Failure {
            error,
            request_sent: false,
            delivered_to_sink: false,
        }
    }

    pub(super) fn after_sending(error: Error) -> Self {
        Failure {
            error,
            request_sent: true,
            delivered_to_sink: false,
        }
    }
}

pub(super) fn body_too_large(target: &str, limit: u64) -> Error {
    Error::new(
        ErrorKind::BodyTooLarge,
        format!(
            "{target}: the answer is larger than {limit} bytes, the limit for bodies kept in memory (max_body_size); stream it to a writer instead (carto_request_set_response_writer, Request::write_response_to)"
        ),
    )
}

pub(super) fn writer_error(e: &io::Error, target: &str) -> Error {
    match abort_of(e) {
        Some(abort) => abort_error(abort, target),
        None => Error::new(
            ErrorKind::Callback,
            format!("the response writer failed during {target}: {e}"),
        ),
    }
}

pub(super) fn cancelled(target: &str) -> Error {
    Error::new(
        ErrorKind::Cancelled,
        format!("the progress callback cancelled {target}"),
    )
}

/// The error of a call the client's interrupt hook stopped.
pub(crate) fn interrupted(target: &str) -> Error {
    Error::new(
        ErrorKind::Cancelled,
        format!("{target} was interrupted (the client's interrupt hook asked to stop)"),
    )
}

/// Why a callback stopped a transfer, carried through `io::Error` across ureq. The C ABI's
/// callback adapters raise the callback variants (through `capi_support`).
#[derive(Debug)]
pub enum Abort {
    /// The progress callback asked to stop.
    Cancelled,
    /// The client's interrupt hook asked to stop (a Ctrl-C in R or Julia, say).
    Interrupted,
    /// The call's total time limit (all attempts and waits) is spent.
    TotalTime(std::time::Duration),
    /// The request body's reader failed (why).
    #[cfg_attr(not(feature = "capi"), allow(dead_code))] // raised by the C ABI's adapters
    ReadCallback(String),
    /// The response's writer failed (why).
    #[cfg_attr(not(feature = "capi"), allow(dead_code))]
    WriteCallback(String),
}

impl std::fmt::Display for Abort {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Abort::Cancelled => f.write_str("cancelled by the progress callback"),
            Abort::Interrupted => f.write_str("interrupted"),
            Abort::TotalTime(limit) => write!(f, "{}", total_time_spent(*limit)),
            Abort::ReadCallback(why) | Abort::WriteCallback(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Abort {}

/// The callback abort carried inside an I/O error, if any.
pub(super) fn abort_of(e: &io::Error) -> Option<&Abort> {
    e.get_ref()?.downcast_ref::<Abort>()
}

/// "gave up after the total time limit ...": why a call stopped at its deadline.
pub(crate) fn total_time_spent(limit: std::time::Duration) -> String {
    format!(
        "gave up: the call's total time limit of {:.1} s (all attempts and waits; total_timeout) is spent",
        limit.as_secs_f64()
    )
}

pub(crate) fn abort_error(abort: &Abort, target: &str) -> Error {
    match abort {
        Abort::Cancelled => cancelled(target),
        Abort::Interrupted => interrupted(target),
        Abort::TotalTime(limit) => Error::new(
            ErrorKind::Timeout,
            format!("{target}: {}", total_time_spent(*limit)),
        ),
        Abort::ReadCallback(why) => Error::new(
            ErrorKind::Callback,
            format!("the request body callback failed during {target}: {why}"),
        ),
        Abort::WriteCallback(why) => Error::new(
            ErrorKind::Callback,
            format!("the response writer failed during {target}: {why}"),
        ),
    }
}

/// A failure of `agent.run`: connect, TLS, sending, or waiting for the response head.
pub(super) fn transport_failure(e: ureq::Error, target: &str) -> Failure {
    use ureq::Timeout;
    let (kind, detail, sent) = match &e {
        ureq::Error::Timeout(Timeout::Connect | Timeout::Resolve) => (
            ErrorKind::Timeout,
            format!("timed out connecting ({e})"),
            false,
        ),
        ureq::Error::Timeout(_) => (ErrorKind::Timeout, format!("timed out ({e})"), true),
        ureq::Error::HostNotFound => (ErrorKind::Connection, "host not found".to_owned(), false),
        ureq::Error::ConnectionFailed => (
            ErrorKind::Connection,
            "connection refused or unreachable".to_owned(),
            false,
        ),
        ureq::Error::Io(io) => {
            if let Some(abort) = abort_of(io) {
                return Failure::after_sending(abort_error(abort, target));
            }
            if is_tls_failure(io) {
                return Failure::before_sending(Error::new(
                    ErrorKind::Tls,
                    crate::text::redact::query_keys(&format!("{target}: TLS failed: {io}")),
                ));
            }
            let refused = matches!(
                io.kind(),
                io::ErrorKind::ConnectionRefused | io::ErrorKind::AddrNotAvailable
            );
            let kind = if io.kind() == io::ErrorKind::TimedOut {
                ErrorKind::Timeout
            } else {
                ErrorKind::Connection
            };
            (kind, format!("connection failed: {io}"), !refused)
        }
        ureq::Error::Tls(_) | ureq::Error::Pem(_) | ureq::Error::Rustls(_) => {
            (ErrorKind::Tls, format!("TLS failed: {e}"), false)
        }
        ureq::Error::Decompress(_, io) if abort_of(io).is_some() => {
            return Failure::after_sending(abort_error(abort_of(io).expect("checked"), target));
        }
        _ => (ErrorKind::Protocol, e.to_string(), true),
    };
    let error = Error::new(
        kind,
        crate::text::redact::query_keys(&format!("{target}: {detail}")),
    );
    Failure {
        error,
        request_sent: sent,
        delivered_to_sink: false,
    }
}

/// TLS errors (e.g. an untrusted certificate) reach us wrapped in I/O errors.
pub(super) fn is_tls_failure(e: &io::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> =
        e.get_ref().map(|inner| inner as _);
    while let Some(err) = source {
        if err.is::<rustls::Error>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// A failure while reading the response body.
pub(super) fn read_error(e: io::Error, target: &str, received: u64) -> Error {
    if let Some(abort) = abort_of(&e) {
        return abort_error(abort, target);
    }
    let inner = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<ureq::Error>());
    let kind = match inner {
        Some(ureq::Error::Timeout(_)) => ErrorKind::Timeout,
        Some(ureq::Error::BodyExceedsLimit(_)) => ErrorKind::Protocol,
        _ if e.kind() == io::ErrorKind::TimedOut => ErrorKind::Timeout,
        _ => ErrorKind::Connection,
    };
    Error::new(
        kind,
        crate::text::redact::query_keys(&format!(
            "{target}: the response body broke off after {received} bytes: {e}"
        )),
    )
}
