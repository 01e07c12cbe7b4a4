# The SQL API (carto_sql), COPY TO / COPY FROM (carto_copyto, carto_copyfrom), api/v3/me
# (carto_me) and key validation (carto_validate_key). All of them raise carto_error_<kind>
# for HTTP error statuses (carto_request() is the one that returns them).

# An empty data frame with one column per field of CARTO's JSON answer, typed like the
# columns jsonlite makes from rows.
.empty_rows <- function(fields) {
  if (!length(fields))
    return(data.frame())
  columns <- lapply(fields, function(f) {
    type <- if (is.list(f) && is.character(f$type)) f$type else ""
    switch(type, number = numeric(), boolean = logical(), character())
  })
  structure(columns, names = names(fields), class = "data.frame", row.names = integer())
}

.sql_data_frame <- function(res) {
  if (is.raw(res$body))
    .carto_abort(.carto_status[["CARTO_ERR_PROTOCOL"]],
                 "the SQL API answered with a body that is not UTF-8 text")
  parsed <- .parse_json_body(res, simplify = TRUE)
  if (!is.list(parsed) || !("rows" %in% names(parsed)))
    .carto_abort(.carto_status[["CARTO_ERR_PROTOCOL"]],
                 "the SQL API's JSON answer has no \"rows\"")
  fields <- parsed$fields
  if (!is.list(fields))
    fields <- list()
  rows <- parsed$rows
  df <- if (is.data.frame(rows)) {
    rows
  } else if (length(rows) == 0L) {
    .empty_rows(fields)
  } else {
    as.data.frame(do.call(rbind, lapply(rows, as.data.frame, stringsAsFactors = FALSE)))
  }
  attr(df, "fields") <- fields
  attr(df, "total_rows") <- parsed$total_rows
  attr(df, "time") <- parsed$time
  df
}

# The SQL API parameters carto_sql() passes through '...' (the others are its arguments; q,
# format and api_key are set by the request itself). A misspelt name is an error rather
# than a parameter the server silently ignores.
.sql_extra_params <- c("order_by", "sort_order", "callback", "cache_policy")

#' Run a query on CARTO's SQL API
#'
#' @description
#' Sends \code{query} to the SQL API (\samp{api/v2/sql}) of the account and returns its
#' answer: by GET for queries shorter than 1024 bytes, by POST (a form) for longer ones, as
#' carto-python does. HTTP errors are raised as conditions (see Errors).
#' @usage
#' carto_sql(query, format = "json", credentials = NULL, ..., client = NULL,
#'         skipfields = NULL, dp = NULL, page = NULL, rows_per_page = NULL,
#'         filename = NULL, progress = FALSE)
#' @param query The SQL, a single string.
#' @param format \code{"json"} (default), \code{"geojson"}, \code{"csv"} or any other format
#'   the server offers.
#' @param credentials A \code{\link{carto_credentials}} object, or \code{NULL} to resolve
#'   them (see \code{\link{resolve_credentials}}). Not together with \code{client}.
#' @param ... Other SQL API parameters, by name: \code{order_by}, \code{sort_order},
#'   \code{callback} or \code{cache_policy}. Any other name is a
#'   \code{carto_error_invalid_argument} (a misspelt parameter is not sent silently).
#' @param client A \code{\link{carto_client}}, or \code{NULL} for the cached default client
#'   of the credentials.
#' @param skipfields Columns to leave out of the answer (a character vector).
#' @param dp The number of decimal places of geometries (GeoJSON).
#' @param page,rows_per_page Paging: the page number (from 0) and its size.
#' @param filename The file name the server suggests for a download.
#' @param progress \code{TRUE} for a progress display on stderr, \code{FALSE}, or a function
#'   (see \code{\link{carto_copyto}}).
#' @section Errors:
#' An HTTP error status is raised as \code{carto_error_client_error} (400 and other 4xx,
#' e.g. a syntax error), \code{carto_error_unauthorized} (401), \code{carto_error_forbidden}
#' (403, e.g. \samp{permission denied for table t}), \code{carto_error_not_found} (404,
#' e.g. an unknown user), \code{carto_error_rate_limited} (429) or
#' \code{carto_error_server_error} (5xx). Their message is the library's, e.g.
#' \samp{HTTP 403 Forbidden: permission denied for table t (GET https://...)}, and besides
#' \code{status} and \code{status_name} they carry \code{http_status}, \code{server_message}
#' (CARTO's own message, or \code{NA}), \code{rate_limit} (see
#' \code{\link{carto_request}}) and \code{response} (the \code{carto_response}).
#' Transport failures are \code{carto_error_timeout}, \code{carto_error_connection},
#' \code{carto_error_tls} and \code{carto_error_protocol}; credentials problems those of
#' \code{\link{resolve_credentials}}. See \code{\link{carto_error}}.
#' @return
#' \describe{
#'   \item{\code{"json"}}{A data frame of the rows (columns typed by \pkg{jsonlite}: numbers,
#'     strings, logicals; dates and geometries as strings; \code{NULL} as \code{NA}). An
#'     empty answer keeps its columns, typed from CARTO's \code{fields}. The attributes
#'     \code{fields} (CARTO's column types), \code{total_rows} and \code{time} are kept.}
#'   \item{\code{"geojson"}}{The parsed GeoJSON, a list (\code{jsonlite::fromJSON(x,
#'     simplifyVector = FALSE)}).}
#'   \item{\code{"csv"}}{The text, a single string.}
#'   \item{other formats}{The bytes of the answer, a raw vector.}
#' }
#' @seealso
#' \code{\link{carto_request}} for the other APIs, \code{\link{carto_copyto}} for
#' large exports.
#' @examples
#' \dontrun{
#' set_default_credentials("johnsmith", "abcdefg123456")
#' df <- carto_sql("select cartodb_id, name from my_table limit 10")
#' attr(df, "fields")
#' geo <- carto_sql("select * from my_table", format = "geojson")
#' csv <- carto_sql("select * from my_table", format = "csv")
#' carto_sql("select * from my_table order by 1", rows_per_page = 100, page = 2)
#'
#' tryCatch(carto_sql("select * from secret_table"),
#'        carto_error_forbidden = function(e) e$server_message)
#' }
#' @export
carto_sql <- function(query, format = "json", credentials = NULL, ..., client = NULL,
                      skipfields = NULL, dp = NULL, page = NULL, rows_per_page = NULL,
                      filename = NULL, progress = FALSE) {
  .single_string(query, "query")
  .single_string(format, "format")
  extra <- list(...)
  if (length(extra) && (is.null(names(extra)) || !all(nzchar(names(extra)))))
    .abort_invalid_argument(paste(
      "the arguments in '...' are SQL API parameters and must be named,",
      "e.g. carto_sql(q, page = 2)"
    ))
  unknown <- setdiff(names(extra), .sql_extra_params)
  if (length(unknown))
    .abort_invalid_argument(sprintf(
      "unknown SQL API parameter%s %s; the SQL API takes %s",
      if (length(unknown) > 1L) "s" else "", paste(sQuote(unknown, FALSE), collapse = ", "),
      paste(c("skipfields", "dp", "page", "rows_per_page", "filename", .sql_extra_params),
            collapse = ", ")
    ))
  params <- c(
    list(skipfields = if (is.null(skipfields)) NULL else paste(skipfields, collapse = ","),
         dp = dp, page = page, rows_per_page = rows_per_page, filename = filename),
    extra
  )
  kind <- tolower(format)
  cl <- .client_for(client, credentials)
  req <- .Call(C_request_new_sql, query, format)
  on.exit(.Call(C_request_free, req), add = TRUE)
  .request_add(req, "param", params, "...")
  p <- .progress_arg(progress, "download")
  on.exit(p$finish(), add = TRUE)
  res <- .send(cl, req, p$fn, as = if (kind %in% c("json", "geojson", "csv")) "text" else "raw",
               method = "SQL", path = "api/v2/sql")
  .stop_for_response(res)
  switch(kind,
    json = .sql_data_frame(res),
    geojson = .parse_json_body(res, simplify = FALSE),
    csv = if (is.raw(res$body)) rawToChar(res$body) else res$body,
    res$body
  )
}

#' Who the API key belongs to, and whether it is valid
#'
#' @description
#' \code{carto_me()} asks \samp{api/v3/me} who the key belongs to. \code{carto_validate_key()}
#' asks the server whether the key is valid, as carto-python does (through the Auth API,
#' falling back to a trivial SQL query on servers without it).
#' @usage
#' carto_me(credentials = NULL, client = NULL)
#' carto_validate_key(credentials = NULL, client = NULL)
#' @param credentials A \code{\link{carto_credentials}} object, or \code{NULL} to resolve
#'   them. Not together with \code{client}.
#' @param client A \code{\link{carto_client}}, or \code{NULL} for the cached default client
#'   of the credentials.
#' @section Errors:
#' \code{carto_me()} raises the HTTP and transport errors described in
#' \code{\link{carto_sql}}; the library makes the request itself, so these conditions carry
#' \code{status}, \code{status_name} and the library's message (with CARTO's) but not the
#' \code{http_status}, \code{server_message}, \code{rate_limit} and \code{response} fields
#' (use \code{carto_request("GET", "api/v3/me", check = TRUE)} for those). Both raise the
#' errors of \code{\link{resolve_credentials}}.
#' @return
#' \code{carto_me()}: a list with \code{username} and \code{user_id} (CARTO returns the user
#' id only to the master key; \code{NA} otherwise, and \code{username} is \code{NA} when the
#' server does not say).
#'
#' \code{carto_validate_key()}: \code{TRUE} (valid), \code{FALSE} (invalid), or \code{NA}
#' when the server could not be asked or gave no clear answer (a failed request is
#' \code{NA}, not an error), with the answer in words as the attribute \code{"detail"}
#' (e.g. \code{"invalid: the server rejected the key"}).
#' @examples
#' \dontrun{
#' carto_me()$username
#' if (isFALSE(carto_validate_key())) stop("rotate the key")
#' }
#' @export
carto_me <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  out <- .Call(C_client_me, .client_ptr(cl))
  list(username = out[[1L]] %||% NA_character_, user_id = out[[2L]] %||% NA_character_)
}

# CARTO_KEY_UNKNOWN, _VALID, _INVALID (0, 1, 2) as TRUE/FALSE/NA, the server's answer in
# words as the attribute "detail".
.key_validity <- list(
  list(NA, "unknown: the server could not be asked or gave no clear answer"),
  list(TRUE, "valid: the server accepted the key"),
  list(FALSE, "invalid: the server rejected the key")
)

#' @rdname carto_me
#' @usage NULL
#' @export
carto_validate_key <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  v <- .key_validity[[.Call(C_client_validate_key, .client_ptr(cl)) + 1L]]
  structure(v[[1L]], detail = v[[2L]])
}

# ---- COPY ---------------------------------------------------------------------------------

#' Export a query to a file, import a file into a table (COPY)
#'
#' @description
#' \code{carto_copyto()} runs a \samp{COPY ... TO STDOUT} statement through
#' \samp{api/v2/sql/copyto} and streams the answer into \code{file}, in constant memory (the
#' library writes each chunk to the file as it arrives; no R code runs per chunk unless
#' \code{progress} asks for it). The data goes to a temporary file next to \code{file},
#' renamed into place once complete: a failed export never leaves a truncated file, nor
#' replaces an existing one.
#'
#' \code{carto_copyfrom()} runs a \samp{COPY ... FROM STDIN} statement through
#' \samp{api/v2/sql/copyfrom}, streaming \code{file} as the request body (optionally
#' compressed with gzip on the way), in constant memory.
#' @usage
#' carto_copyto(query, file, credentials = NULL, client = NULL,
#'            progress = interactive())
#' carto_copyfrom(query, file, gzip = FALSE, credentials = NULL, client = NULL,
#'              progress = interactive())
#' @param query The whole COPY statement, e.g.
#'   \code{"COPY (SELECT * FROM t) TO STDOUT WITH (FORMAT csv, HEADER true)"} or
#'   \code{"COPY t (a, b) FROM STDIN WITH (FORMAT csv, HEADER true)"}.
#' @param file The file to write (\code{carto_copyto()}) or read
#'   (\code{carto_copyfrom()}).
#' @param gzip Whether to compress the upload (\samp{Content-Encoding: gzip}).
#' @param credentials A \code{\link{carto_credentials}} object, or \code{NULL} to resolve
#'   them. Not together with \code{client}.
#' @param client A \code{\link{carto_client}}, or \code{NULL} for the cached default client
#'   of the credentials. For very large exports, a client with \code{timeout = Inf} lifts
#'   the overall limit of 300 s (the idle timeout still applies).
#' @param progress \code{TRUE} (the default in interactive sessions) shows the progress on
#'   stderr: a \code{\link[utils]{txtProgressBar}} when the size is known (uploads), a byte
#'   count otherwise (COPY TO answers are chunked). \code{FALSE} shows nothing. A function
#'   \code{function(uploaded, upload_total, downloaded, download_total)} is called as bytes
#'   move (totals are \code{NA} when unknown); it may return \code{FALSE} to cancel the
#'   transfer (\code{carto_error_cancelled}).
#' @details
#' The progress function runs while the library is transferring. Whatever R does in it is
#' kept from crossing the library's frames: an error stops the transfer and is raised again,
#' unchanged (same class and message), once the transfer has stopped, with two more fields,
#' \code{transfer_status} (the library's status, e.g. 603 for cancelled) and
#' \code{transfer_message}; an interrupt (Ctrl-C), a restart or an exiting handler
#' established outside the call also stop the transfer first and then take effect. Every
#' transfer also stops on a user interrupt when no progress function is given. The
#' function may call \pkg{cartoauth} itself.
#' @section Errors:
#' The HTTP and transport errors described in \code{\link{carto_sql}} (e.g.
#' \code{carto_error_client_error} for a bad statement), \code{carto_error_cancelled},
#' \code{carto_error_io} when \code{file} cannot be read or written (for example, a full
#' disk), and whatever error the progress function raised.
#' @return
#' \code{carto_copyto()}: the path of the file, invisibly.
#' \code{carto_copyfrom()}: a list with \code{total_rows} (the rows copied) and \code{time},
#' invisibly.
#' @examples
#' \dontrun{
#' carto_copyto("COPY (SELECT * FROM my_table) TO STDOUT WITH (FORMAT csv, HEADER true)",
#'            "my_table.csv")
#' carto_sql("CREATE TABLE copy_of (cartodb_id int, name text)")
#' carto_copyfrom("COPY copy_of (cartodb_id, name) FROM STDIN WITH (FORMAT csv, HEADER true)",
#'              "names.csv", gzip = TRUE)
#'
#' # a custom progress function that gives up after 1 GB
#' carto_copyto("COPY big TO STDOUT", "big.txt",
#'            progress = function(uploaded, upload_total, downloaded, download_total)
#'              downloaded < 1e9)
#' }
#' @export
carto_copyto <- function(query, file, credentials = NULL, client = NULL,
                         progress = interactive()) {
  .single_string(query, "query")
  target <- path.expand(.single_string(file, "file"))
  dir <- dirname(target)
  if (!dir.exists(dir))
    .carto_abort(.carto_status[["CARTO_ERR_IO"]],
                 sprintf("cannot write '%s': the directory '%s' does not exist", file, dir))
  if (dir.exists(target))
    .carto_abort(.carto_status[["CARTO_ERR_IO"]],
                 sprintf("cannot write '%s': it is a directory", file))
  p <- .progress_arg(progress, "download")
  cl <- .client_for(client, credentials)
  req <- .Call(C_request_new_copy_to, query)
  on.exit(.Call(C_request_free, req), add = TRUE)
  # Written next to the target and renamed into place once complete: a failed download
  # never leaves a truncated file behind, nor destroys an existing one.
  part <- tempfile(pattern = paste0(".", basename(target), "."), tmpdir = dir,
                   fileext = ".part")
  on.exit(unlink(part), add = TRUE)
  on.exit(p$finish(), add = TRUE)
  res <- .send(cl, req, p$fn, out_file = list(path = part, name = file), as = "text",
               method = "COPY TO", path = "api/v2/sql/copyto")
  .stop_for_response(res)
  if (!file.rename(part, target))
    .carto_abort(.carto_status[["CARTO_ERR_IO"]],
                 sprintf("cannot move the downloaded data into '%s'", file))
  invisible(target)
}

#' @rdname carto_copyto
#' @usage NULL
#' @export
carto_copyfrom <- function(query, file, gzip = FALSE, credentials = NULL, client = NULL,
                           progress = interactive()) {
  .single_string(query, "query")
  path <- path.expand(.single_string(file, "file"))
  if (!file.exists(path) || dir.exists(path))
    .carto_abort(.carto_status[["CARTO_ERR_IO"]],
                 sprintf("cannot read '%s': no such file", file))
  if (!isTRUE(gzip) && !isFALSE(gzip))
    .abort_invalid_argument("'gzip' must be TRUE or FALSE")
  p <- .progress_arg(progress, "upload")
  cl <- .client_for(client, credentials)
  req <- .Call(C_request_new_copy_from, query)
  on.exit(.Call(C_request_free, req), add = TRUE)
  .Call(C_request_set_gzip, req, gzip)
  on.exit(p$finish(), add = TRUE)
  res <- .send(cl, req, p$fn, in_file = path, as = "text", method = "COPY FROM",
               path = "api/v2/sql/copyfrom")
  .stop_for_response(res)
  parsed <- .parse_json_body(res, simplify = TRUE)
  invisible(list(total_rows = parsed$total_rows, time = parsed$time))
}
