//! Exit codes and the one error type of the tool: every failure ends as one line on standard
//! error and a code that says what kind of failure it was.

use cartoauth::ErrorKind;
use std::fmt;

/// The command did what was asked.
pub const OK: u8 = 0;
/// Anything not covered below (a file that cannot be written, a broken terminal, ...).
pub const FAILURE: u8 = 1;
/// Bad command line, or input that was needed but not given (clap also exits with 2).
pub const USAGE: u8 = 2;
/// No credentials, or stored credentials / environment variables that cannot be used.
pub const NO_CREDENTIALS: u8 = 3;
/// CARTO rejected the API key: unknown, revoked, or not of this account (HTTP 401).
pub const KEY_REJECTED: u8 = 4;
/// CARTO could not be reached or gave no usable answer (network, TLS, timeout, 5xx, 429).
pub const UNREACHABLE: u8 = 5;
/// The SQL API rejected the query.
pub const QUERY_FAILED: u8 = 6;
/// CARTO accepted the key but it may not do what was asked: a missing grant, such as a table
/// the key may not read (HTTP 403 "permission denied for table"). Not [`KEY_REJECTED`]: the
/// key is fine, and `status` says so; what is missing is a permission.
pub const NOT_PERMITTED: u8 = 7;
/// The OS keychain was needed and did not answer (within 3 s) or refused: no session bus or
/// Secret Service, a locked keychain, or `--store keychain` where there is none.
pub const KEYCHAIN: u8 = 8;
/// `exec`: the command was found but could not be run.
pub const CANNOT_EXECUTE: u8 = 126;
/// `exec`: the command was not found.
pub const COMMAND_NOT_FOUND: u8 = 127;

/// Every exit code and what it means: the one table behind `--help` and the man pages.
pub const CODES: &[(&str, &str)] = &[
    ("0", "success (status: the key is valid, or was not checked)"),
    ("1", "other failure (e.g. a file that cannot be written)"),
    ("2", "bad command line, or input that is needed is missing"),
    ("3", "no usable credentials (none found, unusable, a CARTO 3 token expired or a sign-in needed)"),
    ("4", "CARTO rejected the API key (unknown, revoked, of another account) or the sign-in"),
    ("5", "CARTO could not be reached or could not tell (network, TLS, timeout, 5xx, 429)"),
    ("6", "sql: CARTO rejected the query"),
    ("7", "the key is valid but lacks a grant for this (HTTP 403, e.g. permission denied for a table)"),
    ("8", "the OS keychain did not answer within 3 s, or refused (none, locked, or --store keychain without one)"),
    ("126", "exec: the command cannot be run"),
    ("127", "exec: the command was not found"),
];

/// What `exec` exits with otherwise.
pub const EXEC_NOTE: &str =
    "exec otherwise exits with the command's own status (128+N when a signal N ended it).";

/// The exit codes, for `--help`.
pub fn help() -> String {
    let mut text = String::from("Exit codes:\n");
    for (code, meaning) in CODES {
        text.push_str(&format!("  {code:<4} {meaning}\n"));
    }
    text.push_str("  ");
    text.push_str(EXEC_NOTE);
    text
}

/// A failure to report: one line for standard error and an exit code.
#[derive(Debug)]
pub struct Failure {
    pub code: u8,
    pub message: String,
}

impl Failure {
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        Failure {
            code,
            message: message.into(),
        }
    }

    pub fn usage(message: impl Into<String>) -> Self {
        Failure::new(USAGE, message)
    }

    /// The same failure with what was being done in front: "saving credentials: ...".
    pub fn context(mut self, doing: &str) -> Self {
        self.message = format!("{doing}: {}", self.message);
        self
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // One line, whatever the message holds (server text included): no terminal escapes.
        f.write_str(&crate::escape::line(&self.message))
    }
}

/// The exit code of a library error. Library messages never contain an API key.
pub fn code_of(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::InvalidArgument => USAGE,
        ErrorKind::MissingAccount
        | ErrorKind::InvalidUsername
        | ErrorKind::InvalidBaseUrl
        | ErrorKind::InsecureBaseUrl
        | ErrorKind::NoDefaultCredentials
        | ErrorKind::NotResolved
        | ErrorKind::InvalidEnvironment
        | ErrorKind::FileNotFound
        | ErrorKind::FileSyntax
        | ErrorKind::FileContent
        | ErrorKind::TokenExpired
        | ErrorKind::SignInRequired
        | ErrorKind::KeychainItemNotFound => NO_CREDENTIALS,
        ErrorKind::KeychainUnavailable | ErrorKind::KeychainTimeout => KEYCHAIN,
        ErrorKind::SignInFailed => KEY_REJECTED,
        ErrorKind::HttpUnauthorized => KEY_REJECTED,
        ErrorKind::HttpForbidden => NOT_PERMITTED,
        ErrorKind::HttpClientError | ErrorKind::HttpNotFound => QUERY_FAILED,
        ErrorKind::HttpRateLimited
        | ErrorKind::HttpServerError
        | ErrorKind::Timeout
        | ErrorKind::Connection
        | ErrorKind::Tls
        | ErrorKind::Protocol => UNREACHABLE,
        _ => FAILURE,
    }
}

impl From<cartoauth::Error> for Failure {
    fn from(e: cartoauth::Error) -> Self {
        let code = code_of(e.kind());
        let message = match e.kind() {
            ErrorKind::HttpForbidden => format!(
                "not permitted: {}; the key is valid but lacks a grant for this (use a key that has it, or ask the account's owner for the grant)",
                e.message()
            ),
            ErrorKind::NotResolved => format!(
                "{}; `cartoauth login` saves some",
                e.message()
            ),
            _ => e.message().to_owned(),
        };
        Failure::new(code, message)
    }
}

pub type Outcome<T = u8> = Result<T, Failure>;
