// The one declaration of the C ABI's status codes: each line gives a code's name, its stable
// number and its carto_status_str description; its doc comment lands in the header. Included
// by capi/src/status.rs (the enum, ALL, names, descriptions) and by xtask (the enum cbindgen
// puts in include/cartoauth.h, and the other generated files). Adding a status is adding one line (and its doc comment) here,
// then mapping its core error in status.rs if it has one.
status_table! {
    /// The result of every fallible cartoauth function. Numbers are stable forever: a code is
    /// never renumbered or reused. `CARTO_OK` is 0; errors are grouped by hundreds (1xx arguments
    /// and handles, 2xx credentials, 3xx files, 4xx-5xx HTTP answers named after the HTTP status,
    /// 6xx transport). `carto_status_str` describes a code; `carto_last_error` gives the detailed
    /// message of the last failure on the calling thread.
    pub enum carto_status {
        /// Success.
        CARTO_OK = 0 => c"success",
        /// A required pointer argument was NULL.
        CARTO_ERR_NULL_ARGUMENT = 100 => c"a required argument was NULL",
        /// A string argument was not valid UTF-8.
        CARTO_ERR_INVALID_UTF8 = 101 => c"a string argument was not valid UTF-8",
        /// An argument was out of range or malformed.
        CARTO_ERR_INVALID_ARGUMENT = 102 => c"an argument was invalid",
        /// A handle was not created by cartoauth, was already freed, or is of another type.
        CARTO_ERR_INVALID_HANDLE = 103 => c"invalid handle (freed, foreign, or of another type)",
        /// An internal error (a Rust panic) was caught; nothing crossed into the caller.
        CARTO_ERR_PANIC = 104 => c"internal error (caught panic)",
        /// Neither a username nor a base URL was given.
        CARTO_ERR_MISSING_ACCOUNT = 200 => c"neither a username nor a base URL was given",
        /// The username cannot be part of a CARTO URL.
        CARTO_ERR_INVALID_USERNAME = 201 => c"invalid username",
        /// The base URL is malformed or not a usable CARTO base URL.
        CARTO_ERR_INVALID_BASE_URL = 202 => c"invalid base URL",
        /// The base URL is http:// and allow_non_secure is not set.
        CARTO_ERR_INSECURE_BASE_URL = 203 => c"base URL is not https and allow_non_secure is not set",
        /// No process-wide default credentials are set.
        CARTO_ERR_NO_DEFAULT_CREDENTIALS = 204 => c"no default credentials are set",
        /// No source in the resolution order produced credentials.
        CARTO_ERR_NOT_RESOLVED = 205 => c"no credentials found",
        /// An environment variable holds an unusable value.
        CARTO_ERR_INVALID_ENVIRONMENT = 206 => c"invalid environment variable",
        /// A CARTO 3 token that cannot be refreshed (a static token, a user's sign-in) has
        /// expired or is about to; get a new token or sign in again.
        CARTO_ERR_TOKEN_EXPIRED = 207 => c"the CARTO 3 token has expired",
        /// A CARTO 3 user must sign in (again): no usable token is cached.
        CARTO_ERR_SIGNIN_REQUIRED = 208 => c"a CARTO 3 sign-in is required",
        /// A CARTO 3 sign-in failed (state mismatch, refusal, malformed callback).
        CARTO_ERR_SIGNIN_FAILED = 209 => c"the CARTO 3 sign-in failed",
        /// The credentials file or profile does not exist.
        CARTO_ERR_FILE_NOT_FOUND = 300 => c"credentials file not found",
        /// Reading, writing, renaming or deleting a file failed.
        CARTO_ERR_IO = 301 => c"file input/output error",
        /// The file is not valid JSON (the message gives line and column).
        CARTO_ERR_FILE_SYNTAX = 302 => c"credentials file is not valid JSON",
        /// The file is JSON but not valid credentials (the message names the field).
        CARTO_ERR_FILE_CONTENT = 303 => c"credentials file has invalid content",
        /// Another process held the file's lock for too long.
        CARTO_ERR_LOCK_TIMEOUT = 304 => c"timed out waiting for a file lock",
        /// The OS keychain was needed (a file refers to an item in it, or CARTO_STORE_KEYCHAIN
        /// was chosen) and none answers: no session bus or Secret Service, a locked keychain,
        /// or the keychain refused.
        CARTO_ERR_KEYCHAIN_UNAVAILABLE = 305 => c"the OS keychain is not available",
        /// The OS keychain did not answer within its timeout (3 s).
        CARTO_ERR_KEYCHAIN_TIMEOUT = 306 => c"the OS keychain did not answer in time",
        /// A credentials file refers to a keychain item that does not exist (deleted outside
        /// cartoauth, or a file from another machine); log in again.
        CARTO_ERR_KEYCHAIN_ITEM_NOT_FOUND = 307 => c"the keychain item of the credentials file does not exist",
        /// The server answered 400, or a 4xx without a code of its own.
        CARTO_ERR_HTTP_CLIENT_ERROR = 400 => c"HTTP 4xx: bad request",
        /// The server answered 401 (wrong API key).
        CARTO_ERR_HTTP_UNAUTHORIZED = 401 => c"HTTP 401: unauthorized (wrong API key)",
        /// The server answered 403 (the key may not do this).
        CARTO_ERR_HTTP_FORBIDDEN = 403 => c"HTTP 403: forbidden",
        /// The server answered 404 (unknown user or resource).
        CARTO_ERR_HTTP_NOT_FOUND = 404 => c"HTTP 404: not found",
        /// The server answered 429 (rate limit or statement timeout).
        CARTO_ERR_HTTP_RATE_LIMITED = 429 => c"HTTP 429: rate limited or over platform limits",
        /// The server answered 5xx.
        CARTO_ERR_HTTP_SERVER_ERROR = 500 => c"HTTP 5xx: server error",
        /// The connect or overall timeout expired.
        CARTO_ERR_TIMEOUT = 600 => c"timed out",
        /// Could not connect, or the connection broke (also a truncated body).
        CARTO_ERR_CONNECTION = 601 => c"connection failed or broke",
        /// TLS failed (untrusted certificate, handshake, unreadable CA bundle).
        CARTO_ERR_TLS = 602 => c"TLS error",
        /// The progress callback cancelled the transfer.
        CARTO_ERR_CANCELLED = 603 => c"cancelled by the progress callback",
        /// A read or write callback reported a failure.
        CARTO_ERR_CALLBACK = 604 => c"a callback reported a failure",
        /// The server's answer broke the protocol (bad redirect, unparsable body).
        CARTO_ERR_PROTOCOL = 605 => c"the server's answer broke the protocol",
        /// A response body to be kept in memory was larger than the client's max_body_size
        /// (carto_client_options_set_max_body_size); stream it with a write callback instead.
        CARTO_ERR_BODY_TOO_LARGE = 606 => c"the response body is larger than max_body_size; stream it with a write callback",
        /// A result cell cannot be given as the requested type (see carto_result_int64 and co).
        CARTO_ERR_RESULT_TYPE = 700 => c"the result cell cannot be read as this type",
        /// A result cell is NULL, so it has no value of the requested type.
        CARTO_ERR_RESULT_NULL = 701 => c"the result cell is NULL",
        /// The answer is not a SQL API JSON result, or a value does not fit its column's type.
        CARTO_ERR_RESULT_FORMAT = 702 => c"the answer is not a valid SQL API JSON result",
        /// The query failed after rows were sent (the answer ends with an error).
        CARTO_ERR_QUERY_FAILED = 703 => c"the query failed after rows were sent",
        /// A Batch SQL job failed (carto_last_error holds the server's reason).
        CARTO_ERR_BATCH_JOB_FAILED = 800 => c"the batch SQL job failed",
        /// A Batch SQL job was cancelled while it was being waited for.
        CARTO_ERR_BATCH_JOB_CANCELLED = 801 => c"the batch SQL job was cancelled",
        /// Waiting for a Batch SQL job took longer than allowed (the job goes on).
        CARTO_ERR_WAIT_TIMEOUT = 802 => c"timed out waiting for the batch SQL job",
    }
}
