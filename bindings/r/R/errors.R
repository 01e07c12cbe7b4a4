# Conditions. Every failure of the library (and every argument the binding refuses) becomes an
# R condition of class c("carto_error_<kind>", "carto_error", "error", "condition") with
# fields `message` (the library's detailed text, read right after the failing call),
# `status` (the integer carto_status) and `status_name` ("CARTO_ERR_FILE_NOT_FOUND").

# Every carto_status code of the loaded library, named as in include/cartoauth.h
# (c(CARTO_OK = 0L, CARTO_ERR_NULL_ARGUMENT = 100L, ...)). .onLoad fills it in from the
# library's carto_status_name, so no code the library can return is ever missing here. Codes
# are stable: never renumbered or reused.
.carto_status <- integer()

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

#' Errors and warnings signalled by cartoauth
#'
#' @description
#' Every failure is an R error condition of class
#' \code{c("carto_error_<kind>", "carto_error", "error", "condition")} with the fields
#' \describe{
#'   \item{\code{message}}{The library's detailed message (it names the file, field or
#'     variable at fault, and never contains an API key).}
#'   \item{\code{status}}{The integer status code of the C library.}
#'   \item{\code{status_name}}{Its name, e.g. \code{"CARTO_ERR_FILE_NOT_FOUND"}.}
#' }
#' Errors of HTTP answers (raised by \code{\link{carto_sql}}, \code{\link{carto_me}},
#' \code{\link{carto_copyto}}, \code{\link{carto_copyfrom}} and, with \code{check = TRUE},
#' \code{\link{carto_request}}) carry four more fields:
#' \describe{
#'   \item{\code{http_status}}{The HTTP status, e.g. \code{403L}.}
#'   \item{\code{server_message}}{CARTO's own message (e.g. \samp{permission denied for
#'     table t}), or \code{NA}.}
#'   \item{\code{rate_limit}}{\code{c(limit, remaining, reset, retry_after)} from CARTO's
#'     rate-limit headers, \code{NA} where absent (see \code{\link{carto_request}}).}
#'   \item{\code{response}}{The \code{carto_response}.}
#' }
#' so callers can handle one kind with
#' \code{tryCatch(..., carto_error_file_not_found = function(e) ...)} and every kind with
#' \code{carto_error = }. The kind is the status name without \samp{CARTO_ERR_} (and
#' \samp{HTTP_}) in lower case; \code{carto_status_codes()} lists them all:
#'
#' \tabular{lll}{
#'   \bold{status} \tab \bold{class} \tab \bold{meaning}\cr
#'   100 \tab \code{carto_error_null_argument} \tab a required argument was missing\cr
#'   101 \tab \code{carto_error_invalid_utf8} \tab a string was not valid UTF-8\cr
#'   102 \tab \code{carto_error_invalid_argument} \tab an argument was invalid\cr
#'   103 \tab \code{carto_error_invalid_handle} \tab an object freed or restored from a
#'     saved session\cr
#'   104 \tab \code{carto_error_panic} \tab an internal error of the library\cr
#'   200 \tab \code{carto_error_missing_account} \tab neither a username nor a base URL\cr
#'   201 \tab \code{carto_error_invalid_username} \tab invalid username\cr
#'   202 \tab \code{carto_error_invalid_base_url} \tab invalid base URL\cr
#'   203 \tab \code{carto_error_insecure_base_url} \tab \samp{http://} without
#'     \code{allow_non_secure}\cr
#'   204 \tab \code{carto_error_no_default_credentials} \tab no default credentials\cr
#'   205 \tab \code{carto_error_not_resolved} \tab no credentials found anywhere\cr
#'   206 \tab \code{carto_error_invalid_environment} \tab an unusable environment variable\cr
#'   300 \tab \code{carto_error_file_not_found} \tab no such credentials file or profile\cr
#'   301 \tab \code{carto_error_io} \tab reading or writing a file failed\cr
#'   302 \tab \code{carto_error_file_syntax} \tab the file is not valid JSON\cr
#'   303 \tab \code{carto_error_file_content} \tab the file is not valid credentials\cr
#'   304 \tab \code{carto_error_lock_timeout} \tab a file lock was held for too long\cr
#'   305 \tab \code{carto_error_keychain_unavailable} \tab no OS keychain answers (none,
#'     locked, refused)\cr
#'   306 \tab \code{carto_error_keychain_timeout} \tab the OS keychain did not answer
#'     within 3 s\cr
#'   307 \tab \code{carto_error_keychain_item_not_found} \tab a file's keychain item is
#'     gone\cr
#'   400 \tab \code{carto_error_client_error} \tab HTTP 400 or another 4xx\cr
#'   401 \tab \code{carto_error_unauthorized} \tab HTTP 401 (wrong API key)\cr
#'   403 \tab \code{carto_error_forbidden} \tab HTTP 403\cr
#'   404 \tab \code{carto_error_not_found} \tab HTTP 404\cr
#'   429 \tab \code{carto_error_rate_limited} \tab HTTP 429\cr
#'   500 \tab \code{carto_error_server_error} \tab HTTP 5xx\cr
#'   600 \tab \code{carto_error_timeout} \tab a timeout expired\cr
#'   601 \tab \code{carto_error_connection} \tab the connection failed or broke\cr
#'   602 \tab \code{carto_error_tls} \tab TLS failed\cr
#'   603 \tab \code{carto_error_cancelled} \tab the transfer was cancelled\cr
#'   604 \tab \code{carto_error_callback} \tab a callback failed\cr
#'   605 \tab \code{carto_error_protocol} \tab the server broke the protocol\cr
#' }
#' A status unknown to this version of the package (from a newer library) gives the class
#' \code{carto_error_unknown} with an \code{NA} \code{status_name}. A library with another
#' ABI version is refused when the package loads, with an error of class
#' \code{carto_error_abi_mismatch}.
#'
#' Warnings carried by loaded credentials (for example, a credentials file that other users
#' can read) are signalled by \code{\link{credentials_from_file}},
#' \code{\link{set_default_credentials}} and \code{\link{resolve_credentials}} as warnings of
#' class \code{c("carto_warning", "warning", "condition")}. Set
#' \code{options(cartoauth.warnings = FALSE)} to silence them; they remain in the
#' credentials' \code{warnings} field.
#' @usage
#' carto_status_codes()
#' @return
#' \code{carto_status_codes()} returns a data frame with columns \code{status},
#' \code{status_name}, \code{class} (\code{NA} for \code{CARTO_OK}) and \code{description}
#' (the library's short description).
#' @examples
#' e <- tryCatch(carto_credentials(), carto_error = function(e) e)
#' class(e)
#' e$status
#' e$status_name
#' conditionMessage(e)
#'
#' head(carto_status_codes())
#' @name carto_error
#' @aliases carto_warning
#' @export
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
