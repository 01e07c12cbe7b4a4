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

carto_me <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  out <- .Call(C_client_me, .client_ptr(cl))
  list(username = out[[1L]] %||% NA_character_, user_id = out[[2L]] %||% NA_character_)
}

carto_validate_key <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  c("unknown", "valid", "invalid")[[.Call(C_client_validate_key, .client_ptr(cl)) + 1L]]
}

# ---- COPY ---------------------------------------------------------------------------------

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
