# The SQL API (carto_sql), COPY TO / COPY FROM (carto_copyto, carto_copyfrom), api/v3/me
# (carto_me) and key validation (carto_validate_key). All of them raise carto_error_<kind>
# for HTTP error statuses (carto_request() is the one that returns them).

# carto_column_kind of include/cartoauth.h.
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
# POSIXct UTC (timestamp, timestamptz), Date, wk::wkb (geometry), character (the rest).
.sql_data_frame <- function(body, int64 = FALSE, sf = FALSE) {
  if (is.character(body))
    body <- charToRaw(enc2utf8(body))
  r <- .Call(C_result_from_json, body, int64)
  columns <- r$columns
  for (i in seq_along(columns)) {
    kind <- r$kinds[[i]]
    if (kind == .kind_timestamp)
      columns[[i]] <- structure(columns[[i]], class = c("POSIXct", "POSIXt"), tzone = "UTC")
    else if (kind == .kind_date)
      columns[[i]] <- structure(columns[[i]], class = "Date")
    else if (kind == .kind_geometry)
      columns[[i]] <- .wkb_column(columns[[i]], r$srids[[i]])
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
    df <- .as_sf(df, r$kinds)
  df
}

# An sf data frame with the first geometry column as its geometry.
.as_sf <- function(df, kinds) {
  if (!requireNamespace("sf", quietly = TRUE))
    .abort_invalid_argument("sf = TRUE needs the sf package, which is not installed")
  geometry <- which(kinds == .kind_geometry)
  if (!length(geometry))
    .abort_invalid_argument("sf = TRUE needs a geometry column, and the result has none")
  for (i in geometry)
    df[[i]] <- sf::st_as_sfc(df[[i]])
  sf::st_as_sf(df, sf_column_name = names(df)[[geometry[[1]]]])
}

#' Run a query on CARTO's SQL API
#'
#' With the default JSON format, returns a data frame whose columns libcartoauth typed in C
#' from CARTO's `fields` (see man/carto_sql.Rd, kept by hand).
#'
#' @param int64 `TRUE` for int8 columns as `bit64::integer64`.
#' @param sf `TRUE` for an sf data frame (first geometry column).
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
  res <- .send(cl, req, p$fn, as = if (kind %in% c("geojson", "csv")) "text" else "raw",
               method = "SQL", path = "api/v2/sql")
  .stop_for_response(res)
  switch(kind,
    json = {
      df <- .sql_data_frame(res$body, int64 = int64, sf = sf)
      # Statements without rows (INSERT, UPDATE, DDL): the rows affected, invisibly.
      if (ncol(df) == 0L) invisible(attr(df, "total_rows")) else df
    },
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
