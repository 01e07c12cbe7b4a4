//! The stable, numbered status codes of the C ABI, and how core errors map onto them.

use crate::error::{Error, ErrorKind};

/// The result of every fallible cartoauth function. Numbers are stable forever: a code is
/// never renumbered or reused. `CARTO_OK` is 0; errors are grouped by hundreds (1xx arguments
/// and handles, 2xx credentials, 3xx files, 4xx-5xx HTTP answers named after the HTTP status,
/// 6xx transport, 7xx result sets). `carto_status_str` describes a code; `carto_last_error`
/// gives the detailed message of the last failure on the calling thread.
#[allow(non_camel_case_types)]
#[repr(i32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum carto_status {
    /// Success.
    CARTO_OK = 0,
    /// A required pointer argument was NULL.
    CARTO_ERR_NULL_ARGUMENT = 100,
    /// A string argument was not valid UTF-8.
    CARTO_ERR_INVALID_UTF8 = 101,
    /// An argument was out of range or malformed.
    CARTO_ERR_INVALID_ARGUMENT = 102,
    /// A handle was not created by cartoauth, was already freed, or is of another type.
    CARTO_ERR_INVALID_HANDLE = 103,
    /// An internal error (a Rust panic) was caught; nothing crossed into the caller.
    CARTO_ERR_PANIC = 104,
    /// Neither a username nor a base URL was given.
    CARTO_ERR_MISSING_ACCOUNT = 200,
    /// The username cannot be part of a CARTO URL.
    CARTO_ERR_INVALID_USERNAME = 201,
    /// The base URL is malformed or not a usable CARTO base URL.
    CARTO_ERR_INVALID_BASE_URL = 202,
    /// The base URL is http:// and allow_non_secure is not set.
    CARTO_ERR_INSECURE_BASE_URL = 203,
    /// No process-wide default credentials are set.
    CARTO_ERR_NO_DEFAULT_CREDENTIALS = 204,
    /// No source in the resolution order produced credentials.
    CARTO_ERR_NOT_RESOLVED = 205,
    /// An environment variable holds an unusable value.
    CARTO_ERR_INVALID_ENVIRONMENT = 206,
    /// The credentials file or profile does not exist.
    CARTO_ERR_FILE_NOT_FOUND = 300,
    /// Reading, writing, renaming or deleting a file failed.
    CARTO_ERR_IO = 301,
    /// The file is not valid JSON (the message gives line and column).
    CARTO_ERR_FILE_SYNTAX = 302,
    /// The file is JSON but not valid credentials (the message names the field).
    CARTO_ERR_FILE_CONTENT = 303,
    /// Another process held the file's lock for too long.
    CARTO_ERR_LOCK_TIMEOUT = 304,
    /// The server answered 400, or a 4xx without a code of its own.
    CARTO_ERR_HTTP_CLIENT_ERROR = 400,
    /// The server answered 401 (wrong API key).
    CARTO_ERR_HTTP_UNAUTHORIZED = 401,
    /// The server answered 403 (the key may not do this).
    CARTO_ERR_HTTP_FORBIDDEN = 403,
    /// The server answered 404 (unknown user or resource).
    CARTO_ERR_HTTP_NOT_FOUND = 404,
    /// The server answered 429 (rate limit or statement timeout).
    CARTO_ERR_HTTP_RATE_LIMITED = 429,
    /// The server answered 5xx.
    CARTO_ERR_HTTP_SERVER_ERROR = 500,
    /// The connect or overall timeout expired.
    CARTO_ERR_TIMEOUT = 600,
    /// Could not connect, or the connection broke (also a truncated body).
    CARTO_ERR_CONNECTION = 601,
    /// TLS failed (untrusted certificate, handshake, unreadable CA bundle).
    CARTO_ERR_TLS = 602,
    /// The progress callback cancelled the transfer.
    CARTO_ERR_CANCELLED = 603,
    /// A read or write callback reported a failure.
    CARTO_ERR_CALLBACK = 604,
    /// The server's answer broke the protocol (bad redirect, unparsable body).
    CARTO_ERR_PROTOCOL = 605,
    /// A result cell cannot be given as the requested type (see carto_result_int64 and co).
    CARTO_ERR_RESULT_TYPE = 700,
    /// A result cell is NULL, so it has no value of the requested type.
    CARTO_ERR_RESULT_NULL = 701,
    /// The answer is not a SQL API JSON result, or a value does not fit its column's type.
    CARTO_ERR_RESULT_FORMAT = 702,
    /// The query failed after rows were sent (the answer ends with an error).
    CARTO_ERR_QUERY_FAILED = 703,
}

use carto_status::*;

impl carto_status {
    /// Every code, for tests and `carto_status_str`.
    pub const ALL: [carto_status; 34] = [
        CARTO_OK,
        CARTO_ERR_NULL_ARGUMENT,
        CARTO_ERR_INVALID_UTF8,
        CARTO_ERR_INVALID_ARGUMENT,
        CARTO_ERR_INVALID_HANDLE,
        CARTO_ERR_PANIC,
        CARTO_ERR_MISSING_ACCOUNT,
        CARTO_ERR_INVALID_USERNAME,
        CARTO_ERR_INVALID_BASE_URL,
        CARTO_ERR_INSECURE_BASE_URL,
        CARTO_ERR_NO_DEFAULT_CREDENTIALS,
        CARTO_ERR_NOT_RESOLVED,
        CARTO_ERR_INVALID_ENVIRONMENT,
        CARTO_ERR_FILE_NOT_FOUND,
        CARTO_ERR_IO,
        CARTO_ERR_FILE_SYNTAX,
        CARTO_ERR_FILE_CONTENT,
        CARTO_ERR_LOCK_TIMEOUT,
        CARTO_ERR_HTTP_CLIENT_ERROR,
        CARTO_ERR_HTTP_UNAUTHORIZED,
        CARTO_ERR_HTTP_FORBIDDEN,
        CARTO_ERR_HTTP_NOT_FOUND,
        CARTO_ERR_HTTP_RATE_LIMITED,
        CARTO_ERR_HTTP_SERVER_ERROR,
        CARTO_ERR_TIMEOUT,
        CARTO_ERR_CONNECTION,
        CARTO_ERR_TLS,
        CARTO_ERR_CANCELLED,
        CARTO_ERR_CALLBACK,
        CARTO_ERR_PROTOCOL,
        CARTO_ERR_RESULT_TYPE,
        CARTO_ERR_RESULT_NULL,
        CARTO_ERR_RESULT_FORMAT,
        CARTO_ERR_QUERY_FAILED,
    ];

    /// A static, NUL-terminated description.
    pub(crate) fn description(self) -> &'static str {
        match self {
            CARTO_OK => "success\0",
            CARTO_ERR_NULL_ARGUMENT => "a required argument was NULL\0",
            CARTO_ERR_INVALID_UTF8 => "a string argument was not valid UTF-8\0",
            CARTO_ERR_INVALID_ARGUMENT => "an argument was invalid\0",
            CARTO_ERR_INVALID_HANDLE => "invalid handle (freed, foreign, or of another type)\0",
            CARTO_ERR_PANIC => "internal error (caught panic)\0",
            CARTO_ERR_MISSING_ACCOUNT => "neither a username nor a base URL was given\0",
            CARTO_ERR_INVALID_USERNAME => "invalid username\0",
            CARTO_ERR_INVALID_BASE_URL => "invalid base URL\0",
            CARTO_ERR_INSECURE_BASE_URL => {
                "base URL is not https and allow_non_secure is not set\0"
            }
            CARTO_ERR_NO_DEFAULT_CREDENTIALS => "no default credentials are set\0",
            CARTO_ERR_NOT_RESOLVED => "no credentials found\0",
            CARTO_ERR_INVALID_ENVIRONMENT => "invalid environment variable\0",
            CARTO_ERR_FILE_NOT_FOUND => "credentials file not found\0",
            CARTO_ERR_IO => "file input/output error\0",
            CARTO_ERR_FILE_SYNTAX => "credentials file is not valid JSON\0",
            CARTO_ERR_FILE_CONTENT => "credentials file has invalid content\0",
            CARTO_ERR_LOCK_TIMEOUT => "timed out waiting for a file lock\0",
            CARTO_ERR_HTTP_CLIENT_ERROR => "HTTP 4xx: bad request\0",
            CARTO_ERR_HTTP_UNAUTHORIZED => "HTTP 401: unauthorized (wrong API key)\0",
            CARTO_ERR_HTTP_FORBIDDEN => "HTTP 403: forbidden\0",
            CARTO_ERR_HTTP_NOT_FOUND => "HTTP 404: not found\0",
            CARTO_ERR_HTTP_RATE_LIMITED => "HTTP 429: rate limited or over platform limits\0",
            CARTO_ERR_HTTP_SERVER_ERROR => "HTTP 5xx: server error\0",
            CARTO_ERR_TIMEOUT => "timed out\0",
            CARTO_ERR_CONNECTION => "connection failed or broke\0",
            CARTO_ERR_TLS => "TLS error\0",
            CARTO_ERR_CANCELLED => "cancelled by the progress callback\0",
            CARTO_ERR_CALLBACK => "a callback reported a failure\0",
            CARTO_ERR_PROTOCOL => "the server's answer broke the protocol\0",
            CARTO_ERR_RESULT_TYPE => "the result cell cannot be read as this type\0",
            CARTO_ERR_RESULT_NULL => "the result cell is NULL\0",
            CARTO_ERR_RESULT_FORMAT => "the answer is not a valid SQL API JSON result\0",
            CARTO_ERR_QUERY_FAILED => "the query failed after rows were sent\0",
        }
    }

    /// The code for a raw number, if it is one.
    pub(crate) fn from_raw(code: i32) -> Option<carto_status> {
        Self::ALL.iter().copied().find(|s| *s as i32 == code)
    }
}

impl From<ErrorKind> for carto_status {
    fn from(kind: ErrorKind) -> Self {
        match kind {
            ErrorKind::InvalidArgument => CARTO_ERR_INVALID_ARGUMENT,
            ErrorKind::MissingAccount => CARTO_ERR_MISSING_ACCOUNT,
            ErrorKind::InvalidUsername => CARTO_ERR_INVALID_USERNAME,
            ErrorKind::InvalidBaseUrl => CARTO_ERR_INVALID_BASE_URL,
            ErrorKind::InsecureBaseUrl => CARTO_ERR_INSECURE_BASE_URL,
            ErrorKind::NoDefaultCredentials => CARTO_ERR_NO_DEFAULT_CREDENTIALS,
            ErrorKind::NotResolved => CARTO_ERR_NOT_RESOLVED,
            ErrorKind::InvalidEnvironment => CARTO_ERR_INVALID_ENVIRONMENT,
            ErrorKind::FileNotFound => CARTO_ERR_FILE_NOT_FOUND,
            ErrorKind::Io => CARTO_ERR_IO,
            ErrorKind::FileSyntax => CARTO_ERR_FILE_SYNTAX,
            ErrorKind::FileContent => CARTO_ERR_FILE_CONTENT,
            ErrorKind::LockTimeout => CARTO_ERR_LOCK_TIMEOUT,
            ErrorKind::HttpClientError => CARTO_ERR_HTTP_CLIENT_ERROR,
            ErrorKind::HttpUnauthorized => CARTO_ERR_HTTP_UNAUTHORIZED,
            ErrorKind::HttpForbidden => CARTO_ERR_HTTP_FORBIDDEN,
            ErrorKind::HttpNotFound => CARTO_ERR_HTTP_NOT_FOUND,
            ErrorKind::HttpRateLimited => CARTO_ERR_HTTP_RATE_LIMITED,
            ErrorKind::HttpServerError => CARTO_ERR_HTTP_SERVER_ERROR,
            ErrorKind::Timeout => CARTO_ERR_TIMEOUT,
            ErrorKind::Connection => CARTO_ERR_CONNECTION,
            ErrorKind::Tls => CARTO_ERR_TLS,
            ErrorKind::Cancelled => CARTO_ERR_CANCELLED,
            ErrorKind::Callback => CARTO_ERR_CALLBACK,
            ErrorKind::Protocol => CARTO_ERR_PROTOCOL,
            ErrorKind::ResultType => CARTO_ERR_RESULT_TYPE,
            ErrorKind::ResultNull => CARTO_ERR_RESULT_NULL,
            ErrorKind::ResultFormat => CARTO_ERR_RESULT_FORMAT,
            ErrorKind::QueryFailed => CARTO_ERR_QUERY_FAILED,
        }
    }
}

/// A failure on its way to the caller: a status and a message (never holding a key).
#[derive(Debug, Clone)]
pub(crate) struct FfiError {
    pub status: carto_status,
    pub message: String,
}

impl FfiError {
    pub(crate) fn new(status: carto_status, message: impl Into<String>) -> Self {
        FfiError {
            status,
            message: message.into(),
        }
    }
}

impl From<Error> for FfiError {
    fn from(e: Error) -> Self {
        FfiError::new(e.kind().into(), e.message())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn codes_are_unique_and_descriptions_nul_terminated() {
        let numbers: HashSet<i32> = carto_status::ALL.iter().map(|s| *s as i32).collect();
        assert_eq!(numbers.len(), carto_status::ALL.len());
        for s in carto_status::ALL {
            let d = s.description();
            assert!(d.ends_with('\0') && !d[..d.len() - 1].contains('\0'));
            assert_eq!(carto_status::from_raw(s as i32), Some(s));
        }
        assert_eq!(carto_status::from_raw(7), None);
    }

    #[test]
    fn stable_numbers_never_change() {
        // Bindings hard-code these; a change here is an ABI break.
        assert_eq!(CARTO_OK as i32, 0);
        assert_eq!(CARTO_ERR_NULL_ARGUMENT as i32, 100);
        assert_eq!(CARTO_ERR_INVALID_HANDLE as i32, 103);
        assert_eq!(CARTO_ERR_PANIC as i32, 104);
        assert_eq!(CARTO_ERR_NOT_RESOLVED as i32, 205);
        assert_eq!(CARTO_ERR_FILE_NOT_FOUND as i32, 300);
        assert_eq!(CARTO_ERR_HTTP_UNAUTHORIZED as i32, 401);
        assert_eq!(CARTO_ERR_HTTP_RATE_LIMITED as i32, 429);
        assert_eq!(CARTO_ERR_PROTOCOL as i32, 605);
        assert_eq!(CARTO_ERR_RESULT_TYPE as i32, 700);
        assert_eq!(CARTO_ERR_QUERY_FAILED as i32, 703);
    }
}
