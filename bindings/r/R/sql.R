# The SQL API (carto_sql), COPY TO / COPY FROM (carto_copyto, carto_copyfrom), api/v3/me
# (carto_me) and key validation (carto_validate_key). All of them raise carto_error_<kind>
# for HTTP error statuses (carto_request() is the one that returns them).

# carto_column_kind of include/cartoauth.h.
.kind_text <- 0L
.kind_timestamp <- 4L
.kind_date <- 5L
.kind_geometry <- 6L

# A geometry column (a list of WKB raw vectors, NULL for NULL, with each cell's SRID) as
# wk::wkb when wk is installed, else the plain list. Its CRS is the field's SRID or, when the
# field has none (an expression: CARTO says -1), the one SRID all its geometries share.
.wkb_column <- function(cells, srid) {
  cell_srids <- unique(stats::na.omit(attr(cells, "srid")))
  attr(cells, "srid") <- NULL
  if (!requireNamespace("wk", quietly = TRUE))
    return(cells)
  if ((is.na(srid) || srid <= 0L) && length(cell_srids) == 1L)
    srid <- cell_srids
  crs <- if (is.na(srid) || srid <= 0L) NULL else paste0("EPSG:", srid)
  wk::new_wk_wkb(cells, crs = crs)
}

# The data frame of a SQL API JSON answer, typed in C from CARTO's fields (src/result.c):
# integer (int2, int4), double or bit64::integer64 (int8), double (float, numeric), logical,
# POSIXct UTC (timestamp, timestamptz), Date, wk::wkb (geometry); then in R from the text the
# others arrive as (R/sql-columns.R): hms (time), blob (bytea), difftime (interval), list
# columns (arrays); character (the rest).
.sql_data_frame <- function(body, int64 = FALSE, sf = FALSE) {
  if (is.character(body))
    body <- charToRaw(enc2utf8(body))
  .sql_frame(.Call(C_result_from_json, body, int64), sf = sf)
}

# The data frame of src/result.c's cr_result_list (a whole answer, or a reader's chunks).
.sql_frame <- function(r, sf = FALSE) {
  columns <- r$columns
  for (i in seq_along(columns)) {
    kind <- r$kinds[[i]]
    if (kind == .kind_timestamp)
      columns[[i]] <- structure(columns[[i]], class = c("POSIXct", "POSIXt"), tzone = "UTC")
    else if (kind == .kind_date)
      columns[[i]] <- structure(columns[[i]], class = "Date")
    else if (kind == .kind_geometry)
      columns[[i]] <- .wkb_column(columns[[i]], r$srids[[i]])
    else if (kind == .kind_text)
      columns[[i]] <- .text_column_as(columns[[i]], r$pgtypes[[i]]) # R/sql-columns.R
  }
  df <- structure(columns, names = names(r$columns), class = "data.frame",
                  row.names = .set_row_names(as.integer(r$rows)))
  fields <- lapply(seq_along(columns), function(i) {
    f <- list(type = r$types[[i]], pgtype = r$pgtypes[[i]])
    if (!is.na(r$srids[[i]])) f$srid <- r$srids[[i]]
    f
  })
  names(fields) <- names(columns)
  total <- r$total_rows
  if (!is.na(total) && total <= .Machine$integer.max)
    total <- as.integer(total)
  attr(df, "fields") <- fields
  attr(df, "total_rows") <- total
  attr(df, "time") <- r$time
  if (length(r$notices))
    attr(df, "notices") <- r$notices
  if (isTRUE(sf))
    df <- .as_sf(df)
  df
}

# An sf data frame whose geometries (the wk::wkb columns, with their CRS) are sfc columns,
# the first of them the active one. sf needs wk, so the geometries are wk::wkb here.
.as_sf <- function(df, sf_column = NULL) {
  if (!requireNamespace("sf", quietly = TRUE))
    .abort_invalid_argument("sf = TRUE needs the sf package, which is not installed")
  geometry <- which(vapply(df, inherits, TRUE, "wk_wkb"))
  if (!length(geometry))
    .abort_invalid_argument("sf = TRUE needs a geometry column, and the result has none")
  for (i in geometry)
    df[[i]] <- sf::st_as_sfc(df[[i]])
  sf::st_as_sf(df, sf_column_name = sf_column %||% names(df)[[geometry[[1]]]])
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
#'         filename = NULL, progress = FALSE, int64 = FALSE, sf = FALSE)
#' @param query The SQL, a single string.
#' @param format \code{"json"} (default), \code{"geojson"}, \code{"csv"} or any other format
#'   the server offers.
#' @param credentials A \code{\link{carto_credentials}} object, or \code{NULL} to resolve
#'   them (see \code{\link{resolve_credentials}}). Not together with \code{client}.
#' @param ... Other SQL API parameters, by name: \code{order_by}, \code{sort_order},
#'   \code{callback} or \code{cache_policy}. Any other name is a
#'   \code{carto_error_invalid_argument} (a misspelt parameter is not sent silently).
#' @param client A \code{\link{carto_client}}, a DBI connection from
#'   \code{DBI::dbConnect(carto())} (its client is used), or \code{NULL} for the cached default client
#'   of the credentials.
#' @param skipfields Columns to leave out of the answer (a character vector).
#' @param dp The number of decimal places of geometries (GeoJSON).
#' @param page,rows_per_page Paging: the page number (from 0) and its size.
#' @param filename The file name the server suggests for a download.
#' @param progress \code{TRUE} for a progress display on stderr, \code{FALSE}, or a function
#'   (see \code{\link{carto_copyto}}).
#' @param int64 \code{TRUE} for int8 columns as \code{bit64::integer64} (needs \pkg{bit64});
#'   by default they are doubles (exact up to 2^53).
#' @param sf \code{TRUE} for an \pkg{sf} data frame whose geometry is the first geometry
#'   column (needs \pkg{sf}).
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
#'   \item{\code{"json"}}{A data frame of the rows, each column typed in C by libcartoauth from
#'     CARTO's \code{fields}: integer for int2/int4, double for int8 (or
#'     \code{bit64::integer64} with \code{int64 = TRUE}) and float/numeric, logical for bool,
#'     \code{POSIXct} (UTC) for timestamp and timestamptz, \code{Date} for date,
#'     \code{hms::hms} for time, \code{blob::blob} for bytea, \code{difftime} (seconds; a
#'     month is 30 days, a year 365.25, as in \code{extract(epoch)}) for interval, list
#'     columns of typed vectors for arrays, character for text, varchar, uuid and anything
#'     else; geometries as \code{wk::wkb} vectors with their SRID (or an \pkg{sf} data frame
#'     with \code{sf = TRUE}); \code{NULL} as \code{NA}. Columns with one name collapse into
#'     the last of them in the SQL API's answer, with a warning of class
#'     \code{carto_warning_collapsed_columns} where that can be told (see the README).
#'     Columns keep their type when the result is empty or all \code{NULL}. The attributes
#'     \code{fields} (CARTO's column types), \code{total_rows} and \code{time} are kept. A
#'     statement without rows (INSERT, UPDATE, DDL) returns the number of rows affected,
#'     invisibly.}
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
#' @importFrom stats na.omit
#' @export
carto_sql <- function(query, format = "json", credentials = NULL, ..., client = NULL,
                      skipfields = NULL, dp = NULL, page = NULL, rows_per_page = NULL,
                      filename = NULL, progress = FALSE, int64 = FALSE, sf = FALSE) {
  .single_string(query, "query")
  .single_string(format, "format")
  if (!isTRUE(int64) && !isFALSE(int64))
    .abort_invalid_argument("'int64' must be TRUE or FALSE")
  if (!isTRUE(sf) && !isFALSE(sf))
    .abort_invalid_argument("'sf' must be TRUE or FALSE")
  if (isTRUE(int64) && !requireNamespace("bit64", quietly = TRUE))
    .abort_invalid_argument("int64 = TRUE needs the bit64 package, which is not installed")
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
  if (kind == "json") {
    # Read in chunks as the answer arrives (R/sql-reader.R): the JSON is never in memory.
    reader <- .reader_open(cl, req, p$fn)
    on.exit(.Call(C_reader_free, reader), add = TRUE)
    df <- .sql_frame(.reader_read(reader, Inf, int64, p$fn)$result, sf = sf)
    # Statements without rows (INSERT, UPDATE, DDL): the rows affected, invisibly.
    if (ncol(df) == 0L) return(invisible(attr(df, "total_rows")))
    if (is.null(skipfields)) # (skipfields drops columns on purpose)
      .warn_collapsed_columns(df, query, cl) # R/sql-collapsed.R
    return(df)
  }
  res <- .send(cl, req, p$fn, as = if (kind %in% c("geojson", "csv")) "text" else "raw",
               method = "SQL", path = "api/v2/sql")
  .stop_for_response(res)
  switch(kind,
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
#' @param client A \code{\link{carto_client}}, a DBI connection from
#'   \code{DBI::dbConnect(carto())} (its client is used), or \code{NULL} for the cached default client
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
#' @param client A \code{\link{carto_client}}, a DBI connection from
#'   \code{DBI::dbConnect(carto())} (its client is used), or \code{NULL} for the cached default client
#'   of the credentials. For very large exports, a client with \code{timeout = Inf} lifts
#'   the overall limit of 300 s (the idle timeout still applies).
#' @param progress \code{TRUE} (the default in interactive sessions) shows the progress on
#'   stderr with a \pkg{cli} progress bar once the transfer has taken 2 seconds
#'   (\code{options(cli.progress_show_after =)}): the percentage, bytes, rate and time left
#'   when the size is known (uploads), the bytes, rate and time so far otherwise (COPY TO
#'   answers are chunked), and a last line with the total and the mean rate.
#'   \code{FALSE} shows nothing. A function
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
  p <- .progress_arg(progress, "download", basename(target))
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
  p <- .progress_arg(progress, "upload", basename(path))
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
