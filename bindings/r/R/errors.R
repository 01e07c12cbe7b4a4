# Conditions. Every failure of the library (and every argument the binding refuses) becomes an
# R condition of class c("carto_error_<kind>", "carto_error", "error", "condition") with
# fields `message` (the library's detailed text, read right after the failing call),
# `status` (the integer carto_status) and `status_name` ("CARTO_ERR_FILE_NOT_FOUND").

# Every carto_status of include/cartoauth.h (tests compare this table with the header the
# package was compiled against). Codes are stable: never renumbered or reused.
.carto_status <- c(
  CARTO_OK = 0L,
  CARTO_ERR_NULL_ARGUMENT = 100L,
  CARTO_ERR_INVALID_UTF8 = 101L,
  CARTO_ERR_INVALID_ARGUMENT = 102L,
  CARTO_ERR_INVALID_HANDLE = 103L,
  CARTO_ERR_PANIC = 104L,
  CARTO_ERR_MISSING_ACCOUNT = 200L,
  CARTO_ERR_INVALID_USERNAME = 201L,
  CARTO_ERR_INVALID_BASE_URL = 202L,
  CARTO_ERR_INSECURE_BASE_URL = 203L,
  CARTO_ERR_NO_DEFAULT_CREDENTIALS = 204L,
  CARTO_ERR_NOT_RESOLVED = 205L,
  CARTO_ERR_INVALID_ENVIRONMENT = 206L,
  CARTO_ERR_FILE_NOT_FOUND = 300L,
  CARTO_ERR_IO = 301L,
  CARTO_ERR_FILE_SYNTAX = 302L,
  CARTO_ERR_FILE_CONTENT = 303L,
  CARTO_ERR_LOCK_TIMEOUT = 304L,
  CARTO_ERR_HTTP_CLIENT_ERROR = 400L,
  CARTO_ERR_HTTP_UNAUTHORIZED = 401L,
  CARTO_ERR_HTTP_FORBIDDEN = 403L,
  CARTO_ERR_HTTP_NOT_FOUND = 404L,
  CARTO_ERR_HTTP_RATE_LIMITED = 429L,
  CARTO_ERR_HTTP_SERVER_ERROR = 500L,
  CARTO_ERR_TIMEOUT = 600L,
  CARTO_ERR_CONNECTION = 601L,
  CARTO_ERR_TLS = 602L,
  CARTO_ERR_CANCELLED = 603L,
  CARTO_ERR_CALLBACK = 604L,
  CARTO_ERR_PROTOCOL = 605L,
  CARTO_ERR_RESULT_TYPE = 700L,
  CARTO_ERR_RESULT_NULL = 701L,
  CARTO_ERR_RESULT_FORMAT = 702L,
  CARTO_ERR_QUERY_FAILED = 703L
)

# The <kind> of each code: its name without CARTO_ERR_ (and HTTP_), in lower case, e.g.
# CARTO_ERR_HTTP_UNAUTHORIZED -> "unauthorized", CARTO_ERR_FILE_NOT_FOUND -> "file_not_found".
.carto_kind <- function(name) tolower(sub("^CARTO_(ERR_)?(HTTP_)?", "", name))

# The condition for a status code. Codes this version does not know (a newer library) get
# the kind "unknown" and an NA status_name. `...` adds fields (the HTTP ones: http_status,
# server_message, rate_limit, response).
.carto_error_condition <- function(status, message, call = NULL, ...) {
  status <- as.integer(status)
  i <- match(status, .carto_status)
  status_name <- if (is.na(i)) NA_character_ else names(.carto_status)[[i]]
  kind <- if (is.na(i)) "unknown" else .carto_kind(status_name)
  structure(
    class = c(paste0("carto_error_", kind), "carto_error", "error", "condition"),
    c(list(message = message, call = call, status = status, status_name = status_name),
      list(...))
  )
}

# The call to show in a condition: the innermost frame that is not one of the package's
# internal helpers (whose names start with a dot), i.e. the exported function or S3 method
# the user called.
.user_call <- function() {
  calls <- sys.calls()
  for (call in rev(calls)) {
    head <- call[[1L]]
    if (is.name(head) && startsWith(as.character(head), "."))
      next
    return(call)
  }
  NULL
}

# Called by the C glue (src/common.c) to signal a failure; the R code of the client
# functions calls it too, with extra fields.
.carto_abort <- function(status, message, call, ...) {
  if (missing(call)) call <- .user_call()
  stop(.carto_error_condition(status, message, call, ...))
}

# Refusals decided in R (wrong arguments or combinations of them, immutability).
.abort_invalid_argument <- function(message, call) {
  if (missing(call)) call <- .user_call()
  stop(.carto_error_condition(.carto_status[["CARTO_ERR_INVALID_ARGUMENT"]], message, call))
}

# Warnings carried by loaded credentials (e.g. a credentials file other users can read) are
# signalled as warnings of class c("carto_warning", "warning", "condition") by the functions
# that load credentials. options(cartoauth.warnings = FALSE) silences them; they stay readable
# in x$warnings either way.
.carto_warn <- function(x) {
  call <- .user_call()
  if (!isTRUE(getOption("cartoauth.warnings", TRUE)))
    return(invisible(x))
  for (text in .credentials_field(x, "warnings")) {
    warning(structure(
      class = c("carto_warning", "warning", "condition"),
      list(message = text, call = call)
    ))
  }
  invisible(x)
}

# Every status code, its condition class and the library's description of it.
carto_status_codes <- function() {
  names <- names(.carto_status)
  data.frame(
    status = unname(.carto_status),
    status_name = names,
    class = ifelse(names == "CARTO_OK", NA_character_, paste0("carto_error_", .carto_kind(names))),
    description = vapply(.carto_status, function(s) .Call(C_status_str, s), ""),
    stringsAsFactors = FALSE,
    row.names = NULL
  )
}
