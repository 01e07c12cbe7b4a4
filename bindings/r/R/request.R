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

# A progress display for one direction: a utils::txtProgressBar when the total is known,
# else a byte count updated at most five times a second; on stderr.
.progress_bar <- function(direction = c("download", "upload")) {
  direction <- match.arg(direction)
  verb <- if (direction == "download") "downloaded" else "uploaded"
  bar <- NULL
  last_shown <- -Inf
  last_done <- 0
  counting <- FALSE
  update <- function(uploaded, upload_total, downloaded, download_total) {
    done <- if (direction == "download") downloaded else uploaded
    total <- if (direction == "download") download_total else upload_total
    last_done <<- done
    if (!is.na(total) && total > 0) {
      if (is.null(bar))
        bar <<- utils::txtProgressBar(min = 0, max = total, style = 3, file = stderr())
      utils::setTxtProgressBar(bar, min(done, total))
    } else if (done > 0) {
      now <- proc.time()[["elapsed"]]
      if (now - last_shown >= 0.2) {
        cat("\r", .format_bytes(done), " ", verb, sep = "", file = stderr())
        last_shown <<- now
        counting <<- TRUE
      }
    }
    TRUE
  }
  finish <- function() {
    if (!is.null(bar)) {
      close(bar)
    } else if (counting) {
      cat("\r", .format_bytes(last_done), " ", verb, "\n", sep = "", file = stderr())
    }
    invisible(NULL)
  }
  list(update = update, finish = finish)
}

# progress: FALSE/NULL (none), TRUE (a progress bar) or a function.
.progress_arg <- function(progress, direction) {
  if (is.null(progress) || isFALSE(progress))
    return(list(fn = NULL, finish = function() invisible(NULL)))
  if (isTRUE(progress)) {
    bar <- .progress_bar(direction)
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
  if (result$status != 0L)
    .carto_abort(result$status, result$message)
  .read_response(ptr, as, method, path)
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

# Keys given in a query string are never shown.
.redact_url <- function(x) {
  gsub("((api_key|map_key)=)[^&#[:space:]]*", "\\1REDACTED", x, ignore.case = TRUE)
}

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
