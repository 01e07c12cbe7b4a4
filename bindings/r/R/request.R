# Requests, sending, responses and progress.
#
# A request is an internal external pointer (a library handle with a finalizer), built by one
# function call and released by C_client_send right after sending (its callbacks point into
# that call's C frame). A response handle lives only inside .send(): everything is copied
# into a plain R object of class carto_response and the handle is freed before returning.

.request_where <- c(query = 0L, param = 1L, header = 2L, form = 3L)

`%||%` <- function(a, b) if (is.null(a)) b else a

# One value of a parameter, header or form field as character: strings as they are,
# numbers without scientific notation for whole values, logicals as true/false.
.param_value <- function(v, what) {
  if (is.factor(v))
    v <- as.character(v)
  if (is.character(v)) {
    if (anyNA(v))
      .abort_invalid_argument(sprintf("%s must not be NA", what))
    return(v)
  }
  if (is.logical(v)) {
    if (anyNA(v))
      .abort_invalid_argument(sprintf("%s must not be NA", what))
    return(ifelse(v, "true", "false"))
  }
  if (is.numeric(v)) {
    if (any(!is.finite(v)))
      .abort_invalid_argument(sprintf("%s must be finite numbers", what))
    whole <- v == round(v) & abs(v) < 1e15
    out <- as.character(v)
    out[whole] <- sprintf("%.0f", v[whole])
    return(out)
  }
  .abort_invalid_argument(sprintf("%s must be character, numeric or logical, not %s", what,
                                  class(v)[[1L]]))
}

# Named list or named vector -> list(names, values); NULL elements are dropped, vectors
# repeat the name (or are collapsed with `collapse`).
.pairs <- function(x, arg, collapse = NULL) {
  empty <- list(names = character(), values = character())
  if (is.null(x) || length(x) == 0L)
    return(empty)
  if (!is.list(x) && !is.atomic(x))
    .abort_invalid_argument(sprintf("'%s' must be a named list or a named vector", arg))
  nm <- names(x)
  if (is.null(nm) || anyNA(nm) || !all(nzchar(nm)))
    .abort_invalid_argument(sprintf("every element of '%s' must be named", arg))
  names_out <- character()
  values_out <- character()
  for (i in seq_along(x)) {
    v <- x[[i]]
    if (is.null(v))
      next
    v <- .param_value(v, sprintf("'%s' element %s", arg, sQuote(nm[[i]], FALSE)))
    if (!is.null(collapse))
      v <- paste(v, collapse = collapse)
    names_out <- c(names_out, rep(nm[[i]], length(v)))
    values_out <- c(values_out, v)
  }
  list(names = names_out, values = values_out)
}

.request_add <- function(req, where, x, arg, collapse = NULL) {
  p <- .pairs(x, arg, collapse)
  if (length(p$names))
    .Call(C_request_add, req, .request_where[[where]], p$names, p$values)
  invisible(NULL)
}

.single_string <- function(x, arg) {
  if (!is.character(x) || length(x) != 1L || is.na(x))
    .abort_invalid_argument(sprintf("'%s' must be a single string", arg))
  x
}

.is_json_type <- function(content_type) {
  !is.null(content_type) && grepl("^application/([a-z0-9.+-]*\\+)?json\\b", tolower(content_type))
}

# body: NULL; a raw vector (sent as is); a string (UTF-8 text; JSON text is checked when
# the content type is JSON); a list (JSON, or a form with encode = "form").
.set_body <- function(req, body, content_type, encode) {
  if (!is.null(content_type))
    .single_string(content_type, "content_type")
  if (is.null(body))
    return(invisible(NULL))
  if (is.raw(body)) {
    .Call(C_request_set_body, req, body, content_type)
  } else if (is.character(body)) {
    .single_string(body, "body")
    if (!is.null(content_type) && grepl("^application/json", tolower(content_type))) {
      .Call(C_request_set_json_body, req, body)
    } else {
      .Call(C_request_set_body, req, charToRaw(enc2utf8(body)),
            content_type %||% "text/plain; charset=utf-8")
    }
  } else if (is.list(body)) {
    if (encode == "form") {
      if (!is.null(content_type))
        .abort_invalid_argument("a form body has its own content type; drop 'content_type'")
      .request_add(req, "form", body, "body")
    } else {
      if (!is.null(content_type) && !.is_json_type(content_type))
        .abort_invalid_argument("a list body is sent as JSON; 'content_type' must be a JSON type")
      json <- jsonlite::toJSON(body, auto_unbox = TRUE, null = "null", na = "null",
                               digits = NA)
      .Call(C_request_set_json_body, req, as.character(json))
    }
  } else {
    .abort_invalid_argument(
      "'body' must be NULL, a raw vector, a string or a list (sent as JSON or as a form)"
    )
  }
  invisible(NULL)
}

# ---- progress ---------------------------------------------------------------------------

# Called from C (src/transfer.c) for every progress report: TRUE continues, FALSE cancels,
# and an R error comes back as the condition (to be raised again once the transfer has
# stopped). Anything else that leaves the function (an interrupt, a restart) is handled in C.
.carto_progress <- function(progress, uploaded, upload_total, downloaded, download_total) {
  tryCatch(!isFALSE(progress(uploaded, upload_total, downloaded, download_total)),
           error = function(e) e)
}

.format_bytes <- function(n) {
  units <- c("B", "kB", "MB", "GB", "TB")
  i <- if (n < 1000) 1L else min(length(units), floor(log(n, 1000)) + 1L)
  if (i == 1L) sprintf("%.0f B", n) else sprintf("%.1f %s", n / 1000^(i - 1L), units[[i]])
}

# A progress display for one direction, with the cli package's progress bars (on stderr,
# shown once a transfer has taken 2 s, cli's default): a bar with the percentage, the bytes,
# the rate and the time left when the total is known (uploads), else the bytes, the rate and
# the time so far (COPY TO answers are chunked). `what` names the transfer ("uploading
# my.csv"). The bar belongs to the frame `envir`, and finish() closes it.
.progress_bar <- function(direction = c("download", "upload"), what = NULL, envir = parent.frame()) {
  direction <- match.arg(direction)
  verb <- if (direction == "download") "downloading" else "uploading"
  label <- if (is.null(what)) verb else paste(verb, what)
  # Literal text goes into cli's format as text, never as glue code.
  label <- gsub("\\{", "{{", gsub("\\}", "}}", label))
  id <- NULL
  started <- drawn <- 0
  update <- function(uploaded, upload_total, downloaded, download_total) {
    done <- if (direction == "download") downloaded else uploaded
    total <- if (direction == "download") download_total else upload_total
    now <- proc.time()[["elapsed"]]
    if (is.null(id)) {
      started <<- now
      known <- !is.na(total) && total > 0
      id <<- cli::cli_progress_bar(
        total = if (known) total else NA,
        format = if (known) paste(label, "{cli::pb_percent} | {cli::pb_current_bytes} of",
                                  "{cli::pb_total_bytes} | {cli::pb_rate_bytes} | ETA {cli::pb_eta}",
                                  "{cli::pb_bar}")
                 else paste(label, "{cli::pb_spin} {cli::pb_current_bytes} |",
                            "{cli::pb_rate_bytes} | {cli::pb_elapsed}"),
        format_done = paste(if (direction == "download") "downloaded" else "uploaded",
                            if (is.null(what)) "" else paste0(gsub("\\{", "{{", gsub("\\}", "}}", what)), ":"),
                            "{cli::pb_current_bytes} in {cli::pb_elapsed} ({cli::pb_rate_bytes})"),
        clear = FALSE, auto_terminate = FALSE, .auto_close = FALSE, .envir = envir)
    }
    # Drawn at least every 0.25 s once cli.progress_show_after has passed (cli's own timer
    # also draws it; a finished upload whose answer is slow would otherwise not be).
    due <- now - started >= getOption("cli.progress_show_after", 2) && now - drawn >= 0.25
    if (due) drawn <<- now
    cli::cli_progress_update(id = id, set = done, force = due, .envir = envir)
    TRUE
  }
  finish <- function() {
    if (!is.null(id)) cli::cli_progress_done(id = id, .envir = envir)
    id <<- NULL
    invisible(NULL)
  }
  list(update = update, finish = finish)
}

# progress: FALSE/NULL (none), TRUE (a progress bar, see .progress_bar()) or a function.
.progress_arg <- function(progress, direction, what = NULL, envir = parent.frame()) {
  if (is.null(progress) || isFALSE(progress))
    return(list(fn = NULL, finish = function() invisible(NULL)))
  if (isTRUE(progress)) {
    bar <- .progress_bar(direction, what, envir)
    return(list(fn = bar$update, finish = bar$finish))
  }
  if (is.function(progress))
    return(list(fn = progress, finish = function() invisible(NULL)))
  .abort_invalid_argument(paste(
    "'progress' must be TRUE, FALSE or a function(uploaded, upload_total, downloaded,",
    "download_total)"
  ))
}

# ---- sending --------------------------------------------------------------------------

# The progress function's own error, raised again now that the transfer has stopped, with
# what happened to the transfer as two extra fields.
.reraise <- function(condition, status, message) {
  condition$transfer_status <- as.integer(status)
  condition$transfer_message <- message %||% NA_character_
  stop(condition)
}

.is_textual <- function(content_type) {
  if (is.null(content_type))
    return(FALSE)
  type <- tolower(content_type)
  grepl("^text/", type) ||
    grepl("json|xml|javascript|csv|x-www-form-urlencoded", type)
}

# Sends `req` with `client` and returns a carto_response. Transport failures (no answer),
# file failures and errors of the progress function are raised here; HTTP error statuses
# are not (see .stop_for_response()). as: "auto", "text", "raw".
.send <- function(client, req, progress = NULL, out_file = NULL, in_file = NULL,
                  as = "auto", method = NA_character_, path = NA_character_) {
  result <- .Call(C_client_send, .client_ptr(client), req, progress,
                  if (is.null(out_file)) NULL else out_file$path,
                  if (is.null(in_file)) NULL else in_file)
  ptr <- result$response
  if (!is.null(ptr))
    on.exit(.Call(C_response_free, ptr), add = TRUE)
  if (!is.null(result$condition))
    .reraise(result$condition, result$status, result$message)
  if (!is.null(result$write_error))
    .carto_abort(.carto_status[["CARTO_ERR_IO"]], sprintf(
      "cannot write '%s': %s%s", out_file$name, result$write_error,
      if (is.null(result$message)) "" else paste0(" (", result$message, ")")
    ))
  if (!is.null(result$read_error))
    .carto_abort(.carto_status[["CARTO_ERR_IO"]], sprintf(
      "cannot read '%s': %s%s", in_file, result$read_error,
      if (is.null(result$message)) "" else paste0(" (", result$message, ")")
    ))
  if (identical(result$status, .carto_status[["CARTO_ERR_BODY_TOO_LARGE"]]))
    .carto_abort(result$status, .body_too_large_message(client, method, path))
  if (result$status != 0L)
    .carto_abort(result$status, result$message)
  .read_response(ptr, as, method, path)
}

# The library's message names its C and Rust remedies; these are R's.
.body_too_large_message <- function(client, method, path) {
  limit <- .subset2(client, "options")$max_body_size %||% (256 * 1024^2)
  sprintf(paste(
    "%s %s: the answer is larger than %s, the most this client keeps in memory",
    "(max_body_size). Allow more with carto_client(max_body_size = ...) or",
    "DBI::dbConnect(carto(), max_body_size = ...) (Inf: no limit), read it in pages",
    "(carto_sql(page =, rows_per_page =)), or write it to a file with carto_copyto()"),
    method, .redact_url(path), .format_bytes(limit))
}

.read_response <- function(ptr, as, method, path) {
  meta <- .Call(C_response_meta, ptr)
  headers <- meta$headers
  content_type <- unname(headers[match("content-type", names(headers))])
  if (length(content_type) == 0L || is.na(content_type))
    content_type <- NULL
  as_text <- switch(as, text = TRUE, raw = FALSE, .is_textual(content_type))
  body <- .Call(C_response_body, ptr, as_text)
  structure(
    list(
      method = method, path = path, status = meta$status, headers = headers,
      content_type = content_type, body = body, error_message = meta$error_message,
      rate_limit = meta$rate_limit, attempts = meta$attempts,
      streamed_bytes = meta$streamed_bytes
    ),
    carto_check = list(status = meta$check_status, message = meta$check_message),
    class = "carto_response"
  )
}

# Raises carto_error_<kind> for an HTTP error status (>= 400), with the library's message
# ("HTTP 403 Forbidden: <CARTO's message> (GET <url without query>)") and the fields
# http_status, server_message, rate_limit and response.
.stop_for_response <- function(res) {
  check <- attr(res, "carto_check")
  if (is.null(check) || identical(check$status, 0L))
    return(invisible(res))
  .carto_abort(check$status, check$message %||% sprintf("HTTP %d", res$status),
               http_status = res$status,
               server_message = res$error_message %||% NA_character_,
               rate_limit = res$rate_limit, response = res)
}

# Parses a JSON body. An empty body is NULL. A body that is not JSON is a
# carto_error_protocol for a successful response; an error response keeps its text.
.parse_json_body <- function(res, simplify = FALSE) {
  body <- res$body
  if (is.raw(body)) {
    if (length(body) == 0L)
      return(NULL)
    if (res$status >= 400L)
      return(body)
    .carto_abort(.carto_status[["CARTO_ERR_PROTOCOL"]], sprintf(
      "the answer to %s %s is not UTF-8 text, so not JSON", res$method, res$path
    ))
  }
  if (!nzchar(trimws(body)))
    return(NULL)
  parsed <- tryCatch(jsonlite::fromJSON(body, simplifyVector = simplify),
                     error = function(e) e)
  if (!inherits(parsed, "error"))
    return(parsed)
  if (res$status >= 400L)
    return(body)
  .carto_abort(.carto_status[["CARTO_ERR_PROTOCOL"]], sprintf(
    "the answer to %s %s is not JSON: %s", res$method, res$path, conditionMessage(parsed)
  ))
}

# ---- carto_request ------------------------------------------------------------------------

#' Send an authenticated request to any CARTO API
#'
#' @description
#' Sends a request to the account's base URL with its credentials (the key travels as the
#' client says: an \samp{Authorization} header by default) and returns the answer, whatever
#' its HTTP status unless \code{check = TRUE}. Redirects are followed; the key is never
#' sent to another host, nor over \samp{http} after \samp{https}.
#' @usage
#' carto_request(method, path, query = list(), body = NULL, credentials = NULL,
#'             headers = list(), client = NULL, content_type = NULL,
#'             encode = c("json", "form"), as = c("auto", "text", "raw", "json"),
#'             check = FALSE, progress = FALSE)
#'
#' \method{format}{carto_response}(x, ...)
#' \method{print}{carto_response}(x, ...)
#' @param method \code{"GET"}, \code{"POST"}, \code{"PUT"}, \code{"DELETE"}, ...
#' @param path Relative to the base URL (\code{"api/v3/me"} and \code{"/api/v3/me"} both
#'   keep an on-premises \samp{/user/<name>} prefix), or an absolute URL on the base URL's
#'   own scheme, host and port.
#' @param query Query parameters: a named list or named vector. Numbers are written
#'   without scientific notation, logicals as \code{true}/\code{false}; a vector repeats
#'   the parameter; \code{NULL} elements are left out.
#' @param body \code{NULL}; a raw vector (sent as it is); a string (sent as UTF-8 text,
#'   \code{text/plain} unless \code{content_type} says otherwise; JSON text is checked when
#'   the content type is \code{application/json}); or a list, sent as JSON
#'   (\code{jsonlite::toJSON(body, auto_unbox = TRUE)}: wrap a length-one vector in
#'   \code{I()} to keep it an array) or, with \code{encode = "form"}, as an
#'   \code{application/x-www-form-urlencoded} form.
#' @param credentials A \code{\link{carto_credentials}} object, or \code{NULL} to resolve
#'   them. Not together with \code{client}.
#' @param headers Request headers, a named list or named vector. \samp{Authorization} is
#'   refused: the library sets it.
#' @param client A \code{\link{carto_client}}, a DBI connection from
#'   \code{DBI::dbConnect(carto())} (its client is used), or \code{NULL} for the cached default client
#'   of the credentials.
#' @param content_type The content type of a raw or string \code{body}.
#' @param encode How a list \code{body} is sent.
#' @param as The \code{body} of the answer: \code{"auto"} (text for textual content types
#'   such as JSON, CSV and \samp{text/*}, raw bytes otherwise), \code{"text"} (a string;
#'   raw bytes when the answer is not UTF-8 text), \code{"raw"}, or \code{"json"} (parsed
#'   with \code{jsonlite::fromJSON(x, simplifyVector = FALSE)}; an empty body is
#'   \code{NULL}).
#' @param check \code{FALSE} (default): any HTTP answer is returned, so the caller can look
#'   at 4xx and 5xx answers. \code{TRUE}: an HTTP error status is raised as
#'   \code{carto_error_<kind>}, exactly as \code{\link{carto_sql}} does.
#' @param progress \code{TRUE} for a progress display on stderr, \code{FALSE}, or a function
#'   (see \code{\link{carto_copyto}}).
#' @param x A \code{carto_response}.
#' @param ... Ignored.
#' @section Errors:
#' Transport failures (no answer) are always raised: \code{carto_error_timeout},
#' \code{carto_error_connection} (also a body cut short), \code{carto_error_tls},
#' \code{carto_error_protocol}, \code{carto_error_cancelled} (the progress function
#' returned \code{FALSE}). Refused arguments are \code{carto_error_invalid_argument}. HTTP
#' error statuses are raised only with \code{check = TRUE}; see \code{\link{carto_sql}} for
#' their classes and fields.
#' @return
#' An object of class \code{carto_response}: a plain list (the library's response is
#' released before \code{carto_request()} returns, so the object can be saved and
#' restored) with
#' \describe{
#'   \item{\code{method}, \code{path}}{As given.}
#'   \item{\code{status}}{The HTTP status, an integer.}
#'   \item{\code{headers}}{A named character vector, names in lower case, in the order
#'     received (a repeated header appears more than once).}
#'   \item{\code{content_type}}{The \samp{content-type} header, or \code{NULL}.}
#'   \item{\code{body}}{See \code{as}. With \code{as = "json"}, an error answer whose body
#'     is not JSON keeps its text; a successful one is a \code{carto_error_protocol}.}
#'   \item{\code{error_message}}{CARTO's error message from an \code{{"error": [...]}} or
#'     \code{{"errors": ...}} body, or \code{NULL}.}
#'   \item{\code{rate_limit}}{A named numeric vector: \code{limit}, \code{remaining},
#'     \code{reset} (seconds) and \code{retry_after} (seconds), from CARTO's
#'     \samp{Carto-Rate-Limit-*} and \samp{Retry-After} headers; \code{NA} when absent.}
#'   \item{\code{attempts}}{How many attempts the request took (more than 1 after
#'     retries).}
#'   \item{\code{streamed_bytes}}{Bytes written to a file by \code{\link{carto_copyto}};
#'     0 otherwise.}
#' }
#' Printing shows the status, content type, body size and CARTO's error message, never
#' the body itself (it may hold a new API key) nor a key.
#' @seealso
#' \code{\link{carto_sql}}, \code{\link{carto_me}}.
#' @examples
#' \dontrun{
#' r <- carto_request("GET", "api/v3/me", as = "json")
#' r$status
#' r$body$user_data$username
#'
#' # the Auth API: create a key that may read one table (needs the master key)
#' key <- carto_request("POST", "api/v3/api_keys", check = TRUE, as = "json",
#' body = list(name = "reader", grants = list(
#'   list(type = "apis", apis = I("sql")),
#'   list(type = "database", tables = list(
#'     list(schema = "johnsmith", name = "my_table", permissions = I("select"))))
#' )))
#' carto_request("DELETE", "api/v3/api_keys/reader", check = TRUE)
#'
#' # look at an error answer instead of raising it
#' r <- carto_request("GET", "api/v2/sql", query = list(q = "select * from secret"))
#' if (r$status == 403) r$error_message
#' }
#' @aliases carto_response
#' @export
carto_request <- function(method, path, query = list(), body = NULL, credentials = NULL,
                          headers = list(), client = NULL, content_type = NULL,
                          encode = c("json", "form"), as = c("auto", "text", "raw", "json"),
                          check = FALSE, progress = FALSE) {
  encode <- .choice(encode, c("json", "form"), "encode")
  as <- .choice(as, c("auto", "text", "raw", "json"), "as")
  if (!isTRUE(check) && !isFALSE(check))
    .abort_invalid_argument("'check' must be TRUE or FALSE")
  .single_string(method, "method")
  .single_string(path, "path")
  cl <- .client_for(client, credentials)
  req <- .Call(C_request_new, method, path)
  on.exit(.Call(C_request_free, req), add = TRUE)
  .request_add(req, "query", query, "query")
  .request_add(req, "header", headers, "headers")
  .set_body(req, body, content_type, encode)
  p <- .progress_arg(progress, "download")
  on.exit(p$finish(), add = TRUE)
  res <- .send(cl, req, p$fn, as = if (as == "json") "text" else as,
               method = toupper(method), path = path)
  if (check)
    .stop_for_response(res)
  if (as == "json")
    res$body <- .parse_json_body(res)
  res
}

# ---- the response object ------------------------------------------------------------------

# A response shows its path without the query string and fragment (where keys and tokens
# travel, under any spelling: api_key, api%5Fkey, apikey, key, ...) and without the userinfo
# of an absolute URL, as the library's own messages do.
.redact_url <- function(x) {
  x <- sub("[?#].*$", "", x)
  sub("^([A-Za-z][A-Za-z0-9+.-]*:/*)[^/]*@", "\\1", x)
}

#' @rdname carto_request
#' @usage NULL
#' @method format carto_response
#' @export
format.carto_response <- function(x, ...) {
  sprintf("<carto_response> %s %s: HTTP %d", x$method, .redact_url(x$path), x$status)
}

.describe_body <- function(body) {
  if (is.null(body))
    return("empty")
  if (is.raw(body))
    return(sprintf("%s (raw)", .format_bytes(length(body))))
  if (is.character(body) && length(body) == 1L)
    return(sprintf("%s (text)", .format_bytes(nchar(body, type = "bytes"))))
  sprintf("parsed JSON (%s)", class(body)[[1L]])
}

#' @rdname carto_request
#' @usage NULL
#' @method print carto_response
#' @export
print.carto_response <- function(x, ...) {
  cat(format(x), "\n", sep = "")
  if (!is.null(x$content_type))
    cat("  content type: ", x$content_type, "\n", sep = "")
  cat("  body: ", if (x$streamed_bytes > 0) sprintf("%s streamed to a file",
                                                    .format_bytes(x$streamed_bytes))
      else .describe_body(x$body), "\n", sep = "")
  if (!is.null(x$error_message))
    cat("  error: ", x$error_message, "\n", sep = "")
  rl <- x$rate_limit[!is.na(x$rate_limit)]
  if (length(rl))
    cat("  rate limit: ", paste(names(rl), rl, sep = " ", collapse = ", "), "\n", sep = "")
  if (isTRUE(x$attempts > 1L))
    cat("  attempts: ", x$attempts, "\n", sep = "")
  invisible(x)
}
