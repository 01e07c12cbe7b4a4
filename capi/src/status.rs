//! The stable, numbered status codes of the C ABI, and how core errors map onto them.

use std::ffi::CStr;

use cartoauth_core::{Error, ErrorKind};

/// Expands the declaration in `status_table.rs` into the enum (with its doc comments), `ALL`,
/// and each code's name and description as static C strings. build.rs expands the same
/// declaration with a macro of its own, into the enum cbindgen writes to the header.
macro_rules! status_table {
    (
        $(#[doc = $enum_doc:literal])*
        pub enum $enum_name:ident {
            $(
                $(#[doc = $doc:literal])*
                $name:ident = $number:literal => $description:literal,
            )*
        }
    ) => {
        $(#[doc = $enum_doc])*
        #[allow(non_camel_case_types)]
        #[repr(i32)]
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $enum_name {
            $(
                $(#[doc = $doc])*
                $name = $number,
            )*
        }

        impl $enum_name {
            /// Every code, in the order of the table.
            pub const ALL: &'static [$enum_name] = &[$($enum_name::$name,)*];

            /// The code's name as written in the header ("CARTO_ERR_FILE_NOT_FOUND").
            pub(crate) const fn name(self) -> &'static CStr {
                match self {
                    $($enum_name::$name => const {
                        c_str(concat!(stringify!($name), "\0"))
                    },)*
                }
            }

            /// A short static description ("HTTP 401: unauthorized (wrong API key)").
            pub(crate) const fn description(self) -> &'static CStr {
                match self {
                    $($enum_name::$name => $description,)*
                }
            }
        }
    };
}

/// A NUL-terminated literal as a `CStr`, checked when compiled.
const fn c_str(text: &'static str) -> &'static CStr {
    match CStr::from_bytes_with_nul(text.as_bytes()) {
        Ok(c) => c,
        Err(_) => panic!("a status name is a NUL-terminated identifier"),
    }
}

include!("status_table.rs");

use carto_status::*;

impl carto_status {
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
            ErrorKind::TokenExpired => CARTO_ERR_TOKEN_EXPIRED,
            ErrorKind::SignInRequired => CARTO_ERR_SIGNIN_REQUIRED,
            ErrorKind::SignInFailed => CARTO_ERR_SIGNIN_FAILED,
            ErrorKind::InvalidEnvironment => CARTO_ERR_INVALID_ENVIRONMENT,
            ErrorKind::FileNotFound => CARTO_ERR_FILE_NOT_FOUND,
            ErrorKind::Io => CARTO_ERR_IO,
            ErrorKind::FileSyntax => CARTO_ERR_FILE_SYNTAX,
            ErrorKind::FileContent => CARTO_ERR_FILE_CONTENT,
            ErrorKind::LockTimeout => CARTO_ERR_LOCK_TIMEOUT,
            ErrorKind::KeychainUnavailable => CARTO_ERR_KEYCHAIN_UNAVAILABLE,
            ErrorKind::KeychainTimeout => CARTO_ERR_KEYCHAIN_TIMEOUT,
            ErrorKind::KeychainItemNotFound => CARTO_ERR_KEYCHAIN_ITEM_NOT_FOUND,
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
            ErrorKind::BodyTooLarge => CARTO_ERR_BODY_TOO_LARGE,
            ErrorKind::BatchJobFailed => CARTO_ERR_BATCH_JOB_FAILED,
            ErrorKind::BatchJobCancelled => CARTO_ERR_BATCH_JOB_CANCELLED,
            ErrorKind::WaitTimeout => CARTO_ERR_WAIT_TIMEOUT,
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

    /// CARTO_ERR_INVALID_ARGUMENT with `message`.
    pub(crate) fn invalid(message: impl Into<String>) -> Self {
        FfiError::new(carto_status::CARTO_ERR_INVALID_ARGUMENT, message)
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
    fn codes_are_unique_and_described() {
        let numbers: HashSet<i32> = carto_status::ALL.iter().map(|s| *s as i32).collect();
        assert_eq!(numbers.len(), carto_status::ALL.len());
        for &s in carto_status::ALL {
            assert!(!s.description().is_empty(), "{s:?}");
            assert_eq!(s.name().to_str().unwrap(), format!("{s:?}"));
            assert_eq!(carto_status::from_raw(s as i32), Some(s));
            // Bindings look names up over 0..=999 at load time.
            assert!((0..1000).contains(&(s as i32)), "{s:?}");
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
        assert_eq!(CARTO_ERR_BODY_TOO_LARGE as i32, 606);
    }
}
