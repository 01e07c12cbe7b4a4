# Writing tables: CREATE TABLE through the SQL API, rows through COPY FROM (carto_copyfrom).

# One CSV field per element, as PostgreSQL's COPY ... (FORMAT csv) reads it: text is always
# quoted, so that an unquoted empty field is NULL and "" is the empty string.
.csv_field <- function(x, what = "a column") {
  if (is.factor(x)) x <- as.character(x)
  if (inherits(x, "AsIs")) class(x) <- setdiff(class(x), "AsIs")
  quoted <- function(s) paste0("\"", gsub("\"", "\"\"", enc2utf8(s), fixed = TRUE), "\"")
  if (.is_geometry(x)) return(.geometry_csv(x, what)) # hex EWKB (R/dbi-geometry.R)
  out <- if (inherits(x, "integer64")) {
    as.character(x)
  } else if (inherits(x, "POSIXt")) {
    x <- as.POSIXct(x) # POSIXlt is a list: not a blob
    paste0(format(x, "%Y-%m-%d %H:%M:%OS6", tz = "UTC"), "+00")
  } else if (inherits(x, "blob") || (is.list(x) && !is.data.frame(x))) {
    vapply(x, function(b) if (is.null(b)) "" else paste0("\\x", paste(as.character(b), collapse = "")), "")
  } else if (inherits(x, "Date")) {
    format(x, "%Y-%m-%d")
  } else if (inherits(x, "difftime")) {
    .time_text(as.numeric(x, units = "secs")) # a TIME column, as dbDataType() says
  } else if (is.logical(x)) {
    ifelse(x, "true", "false")
  } else if (is.integer(x)) {
    as.character(x)
  } else if (is.double(x)) {
    ifelse(is.nan(x), "NaN", ifelse(is.infinite(x), ifelse(x > 0, "Infinity", "-Infinity"),
                                    sprintf("%.17g", x)))
  } else if (is.character(x)) {
    quoted(x)
  } else {
    .abort_invalid_argument(sprintf("cannot write a column of class %s to CARTO",
                                    paste(sQuote(class(x), FALSE), collapse = "/")))
  }
  missing <- if (is.list(x) && !inherits(x, "integer64")) vapply(x, is.null, TRUE) else is.na(x) & !is.nan(x)
  out[missing] <- ""
  out
}

# An sf (or tibble) data frame as a plain one: its geometry columns stay sfc columns, written
# like any other geometry column.
.plain_data_frame <- function(x) {
  if (identical(class(x), "data.frame")) return(x)
  attr(x, "sf_column") <- NULL
  attr(x, "agr") <- NULL
  class(x) <- "data.frame"
  x
}

# A column for src/csv.c: list(kind, values). Plain integers, doubles, logicals and text (factors
# as their labels) are formatted in C; the other classes as R's .csv_field() text.
.csv_kinds <- c(text = 0L, integer = 1L, double = 2L, logical = 3L, field = 4L)
.csv_column <- function(x, what) {
  if (is.factor(x)) x <- as.character(x)
  if (inherits(x, "AsIs")) class(x) <- setdiff(class(x), "AsIs")
  plain <- is.null(attr(x, "class"))
  kind <- if (.is_geometry(x) || !plain) "field"
          else switch(typeof(x), character = "text", integer = "integer", double = "double",
                      logical = "logical", "field")
  if (kind == "field") x <- .csv_field(x, what)
  list(kind = .csv_kinds[[kind]], values = x)
}

# Seconds since midnight as SQL's time of day, "HH:MM:SS.ffffff".
.time_text <- function(secs) {
  whole <- floor(secs)
  sprintf("%02d:%02d:%09.6f", as.integer(whole %/% 3600), as.integer(whole %% 3600 %/% 60),
          secs - whole + whole %% 60)
}

# Uploads the rows of `value` into the existing table `table` (SQL) with COPY FROM.
# progress: as carto_copyfrom()'s.
.copy_rows <- function(conn, table, value, progress = FALSE) {
  if (!nrow(value)) return(0L)
  file <- tempfile("cartoauth-dbi-", fileext = ".csv")
  on.exit(unlink(file), add = TRUE)
  prepared <- lapply(names(value), function(nm) .csv_column(value[[nm]], sprintf("column %s", sQuote(nm, FALSE))))
  .Call(C_csv_write, lapply(prepared, `[[`, "values"),
        vapply(prepared, `[[`, 0L, "kind"), path.expand(file)) # src/csv.c
  columns <- paste(dbQuoteIdentifier(conn, names(value)), collapse = ", ")
  p <- .progress_arg(progress, "upload", sprintf("%d rows to %s", nrow(value), table))
  on.exit(p$finish(), add = TRUE)
  out <- carto_copyfrom(paste0("COPY ", table, " (", columns, ") FROM STDIN WITH (FORMAT csv)"),
                        file, client = .con_client(conn), progress = p$fn %||% FALSE)
  as.integer(out$total_rows %||% nrow(value))
}

.is_flag <- function(x) isTRUE(x) || isFALSE(x)

# row.names as DBI::sqlRownamesToColumn() takes it: NULL, TRUE, FALSE, NA or a column name.
.check_row_names <- function(row.names) {
  ok <- is.null(row.names) ||
    (is.logical(row.names) && length(row.names) == 1L) ||
    (is.character(row.names) && length(row.names) == 1L && !is.na(row.names) && nzchar(row.names))
  if (!ok)
    .abort_invalid_argument(paste(
      "'row.names' must be NULL, TRUE, FALSE, NA or the name of the column for the row names"))
}

# Column names and SQL types: a named character vector, names unique and non-empty.
.check_field_types <- function(types, what) {
  if (!is.character(types) || !length(types) || is.null(names(types)) ||
      anyNA(names(types)) || !all(nzchar(names(types))) || anyNA(types))
    .abort_invalid_argument(sprintf(
      "'%s' must be a named character vector of SQL types, e.g. c(id = \"INTEGER\")", what))
  if (anyDuplicated(names(types)))
    .abort_invalid_argument(sprintf("'%s' names the column %s twice", what,
                                    sQuote(names(types)[anyDuplicated(names(types))], FALSE)))
}

#' @rdname carto
#' @param value A data frame to write.
#' @param overwrite \code{TRUE} to replace an existing table.
#' @param append \code{TRUE} to add the rows to an existing table.
#' @param field.types Named SQL types for some or all columns, or \code{NULL}.
#' @param row.names As in \code{DBI::sqlRownamesToColumn()}; \code{FALSE} by default.
#' @param cartodbfy \code{TRUE} to make the new table a CARTO dataset with
#'   \code{CDB_CartodbfyTable()}.
#' @param progress \code{TRUE} (the default in interactive sessions) to show the upload's
#'   progress (rows, bytes, rate, time left), a function, or \code{FALSE} (as in
#'   \code{\link{carto_copyfrom}}); \code{dbAppendTable()} takes it too.
#' @param factorsAsCharacter Must be \code{TRUE}: factors are written as their labels
#'   (\code{sf::st_write()} passes it).
#' @export
setMethod("dbWriteTable", c("CartoConnection", "character", "data.frame"),
          function(conn, name, value, ..., overwrite = FALSE, append = FALSE,
                   field.types = NULL, row.names = FALSE, temporary = FALSE,
                   cartodbfy = FALSE, progress = interactive(), factorsAsCharacter = TRUE) {
  .no_other_arguments("dbWriteTable", ...)
  .carto_write_table(conn, name, value, overwrite, append, field.types, row.names, temporary,
                     cartodbfy, progress, factorsAsCharacter)
})

#' @rdname carto
#' @export
setMethod("dbWriteTable", c("CartoConnection", "Id", "data.frame"),
          methods::getMethod("dbWriteTable", c("CartoConnection", "character", "data.frame")))


.carto_write_table <- function(conn, name, value, overwrite, append, field.types, row.names,
                               temporary, cartodbfy, progress = FALSE, factorsAsCharacter = TRUE) {
  for (flag in c("overwrite", "append", "temporary", "cartodbfy", "factorsAsCharacter"))
    if (!.is_flag(get(flag)))
      .abort_invalid_argument(sprintf("'%s' must be TRUE or FALSE", flag))
  if (!factorsAsCharacter)
    .abort_invalid_argument("factors are written as their labels: factorsAsCharacter must be TRUE")
  .no_temporary(temporary)
  if (overwrite && append)
    .abort_invalid_argument("give 'overwrite' or 'append', not both")
  if (append && !is.null(field.types))
    .abort_invalid_argument("'field.types' only applies to a new table, not with append = TRUE")
  if (!is.null(field.types)) {
    .check_field_types(field.types, "field.types")
    if (!all(names(field.types) %in% names(value)))
      .abort_invalid_argument(sprintf(
        "'field.types' names columns that 'value' does not have: %s",
        paste(sQuote(setdiff(names(field.types), names(value)), FALSE), collapse = ", ")))
  }
  .check_row_names(row.names)
  table <- .table_sql(conn, name)
  value <- DBI::sqlRownamesToColumn(.plain_data_frame(value), row.names)
  exists <- dbExistsTable(conn, name)
  if (exists && !overwrite && !append)
    .abort_invalid_argument(sprintf(
      "the table %s exists; give overwrite = TRUE to replace it or append = TRUE to add rows",
      table))
  if (append && exists) {
    .copy_rows(conn, table, value, progress)
    return(invisible(TRUE))
  }
  types <- .sql_type(value)
  if (!is.null(field.types)) types[names(field.types)] <- field.types
  if (!exists) {
    # A new table that cannot be filled is dropped: the write happens entirely or not at all.
    dbCreateTable(conn, name, types)
    filled <- FALSE
    on.exit(if (!filled) try(dbRemoveTable(conn, name, fail_if_missing = FALSE), silent = TRUE),
            add = TRUE)
    .copy_rows(conn, table, value, progress)
    filled <- TRUE
  } else {
    # Replaced in one request once the new rows are in: a failed upload keeps the old table.
    bare <- if (is(name, "Id")) name@name[["table"]] else as.character(name)
    scratch_name <- paste0(substr(bare, 1L, 40L), "_cartoauth_", paste(sample(c(letters, 0:9), 10L, TRUE), collapse = ""))
    scratch <- if (is(name, "Id") && !is.na(name@name["schema"]))
      DBI::Id(schema = name@name[["schema"]], table = scratch_name) else scratch_name
    dbCreateTable(conn, scratch, types)
    ok <- FALSE
    on.exit(if (!ok) try(dbRemoveTable(conn, scratch, fail_if_missing = FALSE), silent = TRUE), add = TRUE)
    .copy_rows(conn, .table_sql(conn, scratch), value, progress)
    .con_run(conn, paste0("DROP TABLE ", table, "; ALTER TABLE ", .table_sql(conn, scratch),
                          " RENAME TO ", dbQuoteIdentifier(conn, bare)))
    ok <- TRUE
  }
  if (cartodbfy)
    .con_run(conn, paste0("SELECT CDB_CartodbfyTable(current_schema()::text, ",
                          dbQuoteString(conn, as.character(table)), "::regclass)"))
  invisible(TRUE)
}

#' @rdname carto
#' @param fields Column names and SQL types (a named character vector), or a data frame.
#' @export
setMethod("dbCreateTable", c("CartoConnection", "ANY"), function(conn, name, fields, ..., row.names = NULL,
                                                       temporary = FALSE) {
  .no_other_arguments("dbCreateTable", ...)
  if (!is.null(row.names))
    .abort_invalid_argument("dbCreateTable() takes no row names (row.names must be NULL)")
  if (!.is_flag(temporary))
    .abort_invalid_argument("'temporary' must be TRUE or FALSE")
  .no_temporary(temporary)
  if (is.data.frame(fields)) fields <- .sql_type(fields)
  .check_field_types(fields, "fields")
  columns <- paste(dbQuoteIdentifier(conn, names(fields)), fields, collapse = ", ")
  .con_run(conn, paste0("CREATE TABLE ", .table_sql(conn, name), " (", columns, ")"))
  invisible(TRUE)
})

#' @rdname carto
#' @export
setMethod("dbAppendTable", "CartoConnection", function(conn, name, value, ..., row.names = NULL) {
  # progress: carto_copyfrom()'s (DBI's generic ends with row.names, so it comes in `...`).
  extra <- list(...)
  given <- names(extra) %||% rep("", length(extra))
  if (any(given != "progress"))
    .refuse_arguments("dbAppendTable", given[given != "progress"], c("row.names", "progress"))
  progress <- if (length(extra)) extra$progress else interactive()
  if (!is.null(row.names))
    .abort_invalid_argument("dbAppendTable() takes no row names (row.names must be NULL)")
  if (!is.data.frame(value))
    .abort_invalid_argument("'value' must be a data frame")
  if (any(vapply(value, is.factor, TRUE)))
    warning("factor columns are appended as their labels (character)", call. = FALSE)
  invisible(.copy_rows(conn, .table_sql(conn, name), .plain_data_frame(value), progress))
})
