# CartoResult: a query's result is read as its answer arrives (R/sql-reader.R), dbFetch(n)
# reading the next n rows from it, so memory holds what was fetched plus a chunk, whatever
# the result's size. A statement (dbSendStatement) and a statement with placeholders (which
# waits for dbBind(); parameters are bound in R, see .bind_sql()) are run whole. A
# connection has one open result at a time, as DBI specifies: a new one closes the previous
# one with a warning, and clearing a result before its end stops the query.

#' @rdname carto
#' @export
setClass("CartoResult", contains = "DBIResult",
         slots = c(connection = "CartoConnection", statement = "character",
                   state = "environment"))

.new_carto_result <- function(conn, statement, is_query, params = NULL, sf = FALSE) {
  .single_string(statement, "statement")
  if (!.is_flag(sf))
    .abort_invalid_argument("'sf' must be TRUE or FALSE")
  if (sf && !requireNamespace("sf", quietly = TRUE))
    .abort_invalid_argument("sf = TRUE needs the sf package, which is not installed")
  .con_client(conn)
  state <- new.env(parent = emptyenv())
  state$valid <- TRUE
  state$is_query <- is_query
  state$sf <- sf # the rows as an sf data frame (R/sql.R's .as_sf())
  state$placeholders <- .placeholders(statement)
  state$data <- NULL
  state$reader <- NULL # a query read as it arrives (.result_open)
  state$pending <- NULL # a chunk read ahead and not handed out yet
  state$ended <- FALSE
  state$empty <- NULL # the result's columns, as a data frame of no rows
  state$position <- 0L
  state$rows_affected <- if (is_query) 0L else NA_integer_
  res <- methods::new("CartoResult", connection = conn, statement = statement, state = state)
  .replace_open_result(conn, state)
  # A result whose request fails is never returned, so nobody could clear it.
  done <- FALSE
  on.exit(if (!done) .close_result_state(state), add = TRUE)
  if (!is.null(params) && (length(params) || .placeholder_count(state$placeholders))) {
    .result_bind(res, params)
  } else if (!.placeholder_count(state$placeholders)) {
    # A CARTO 3 connection's answer is read whole (SQL API v3 has no R reader yet).
    if (is_query && !isTRUE(conn@state$carto3)) .result_open(res, statement)
    else .result_execute(res, statement)
  }
  done <- TRUE
  res
}

# Makes `state` the connection's open result; a previous one still open is closed with a
# warning (DBI: one result set at a time, and forgetting dbClearResult() is a mistake).
.replace_open_result <- function(conn, state) {
  previous <- conn@state$open_result
  if (!is.null(previous) && isTRUE(previous$valid)) {
    warning("closing the open result of this connection: a connection has one result at a ",
            "time (call dbClearResult() when done with a result)", call. = FALSE)
    .close_result_state(previous)
  }
  conn@state$open_result <- state
  invisible(NULL)
}

.close_result_state <- function(state) {
  state$valid <- FALSE
  state$data <- NULL
  state$pending <- NULL
  if (!is.null(state$reader))
    .Call(C_reader_free, state$reader) # stops the query when rows remain
  state$reader <- NULL
  invisible(NULL)
}

.result_state <- function(res) {
  if (!isTRUE(res@state$valid))
    .abort_invalid_argument("the result was cleared (dbClearResult)")
  res@state
}

.result_execute <- function(res, sql) {
  state <- res@state
  df <- .con_run(res@connection, sql)
  total <- attr(df, "total_rows")
  attr(df, "fields") <- NULL
  attr(df, "total_rows") <- NULL
  attr(df, "time") <- NULL
  if (state$sf && state$is_query) df <- .as_sf(df)
  state$data <- df
  state$position <- 0L
  if (!state$is_query)
    state$rows_affected <- if (is.numeric(total) && length(total) == 1L) as.integer(total) else NA_integer_
  invisible(res)
}

# ---- a query read as it arrives ----------------------------------------------------------

.result_open <- function(res, sql) {
  state <- res@state
  conn <- res@connection
  state$bigint <- conn@state$bigint %||% "numeric"
  # int8 is read exactly (bit64) when possible, as .con_run() does.
  state$int64 <- state$bigint != "numeric" || requireNamespace("bit64", quietly = TRUE)
  req <- .Call(C_request_new_sql, sql, "json")
  on.exit(.Call(C_request_free, req), add = TRUE)
  state$client <- .client_for(.con_client(conn), NULL)
  state$sql <- sql
  state$reader <- .reader_open(state$client, req)
  invisible(res)
}

# The data frame of chunks read from the reader, typed as .con_run() types them.
.result_frame <- function(state, r) {
  df <- .sql_frame(r)
  if (is.null(state$empty)) # the first rows: warn once, as carto_sql() does
    .warn_collapsed_columns(df, state$sql, state$client) # R/sql-collapsed.R
  attr(df, "fields") <- NULL
  attr(df, "total_rows") <- NULL
  attr(df, "time") <- NULL
  attr(df, "notices") <- NULL
  df <- .int8_as(df, state$bigint)
  if (state$sf) df <- .as_sf(df)
  if (is.null(state$empty)) state$empty <- df[0L, , drop = FALSE]
  df
}

# Reads a chunk of one row ahead (kept for the next dbFetch()) unless one is kept already or
# the result has ended: tells the columns before any row is fetched, and whether rows remain.
.result_peek <- function(state) {
  if (is.null(state$pending) && !state$ended) {
    chunk <- .reader_next(state$reader, 1L, state$int64)
    if (is.null(chunk)) state$ended <- TRUE else state$pending <- chunk
  }
  invisible(NULL)
}

# The result's columns as a data frame of no rows.
.result_empty <- function(state) {
  if (is.null(state$empty)) {
    .result_peek(state)
    if (!is.null(state$pending)) .result_frame(state, state$pending)
  }
  state$empty %||% data.frame()
}

# The next `n` rows (Inf: all that remain) from the reader.
.result_fetch <- function(state, n) {
  if (n == 0) return(.result_empty(state))
  parts <- if (is.null(state$pending)) list() else list(state$pending)
  state$pending <- NULL
  read <- if (state$ended) {
    list(result = if (length(parts)) parts[[1L]] else NULL, ended = TRUE)
  } else {
    .reader_read(state$reader, n, state$int64, NULL, parts)
  }
  if (read$ended) state$ended <- TRUE
  if (is.null(read$result)) return(.result_empty(state))
  df <- .result_frame(state, read$result)
  state$position <- state$position + nrow(df)
  df
}

# ---- parameters (placeholders and their binding: R/dbi-placeholders.R) ----------------

.result_bind <- function(res, params) {
  state <- .result_state(res)
  # An atomic vector holds one value per placeholder, as a list of length-one elements would.
  if (is.atomic(params) && !is.null(params) && is.null(dim(params))) params <- as.list(params)
  if (!is.list(params))
    .abort_invalid_argument("'params' must be a list (or a data frame) of parameter values")
  if (!.placeholder_count(state$placeholders))
    .abort_invalid_argument(paste(
      "the statement has no placeholders ($1, $2, ...), so there is nothing to bind;",
      "run it without dbBind()"))
  if (!is.null(names(params)) && any(nzchar(names(params))))
    .abort_invalid_argument("named parameters are not supported; use $1, $2, ... and an unnamed list")
  wanted <- max(0, state$placeholders$number)
  if (length(params) != wanted)
    .abort_invalid_argument(sprintf("the statement has %d placeholder%s but %d parameter%s given",
                                    wanted, if (wanted == 1L) "" else "s", length(params),
                                    if (length(params) == 1L) " was" else "s were"))
  for (p in params) {
    if (!is.atomic(p) && !inherits(p, "blob") && !is.list(p))
      .abort_invalid_argument(sprintf("cannot bind an R object of class %s as a parameter",
                                      paste(sQuote(class(p), FALSE), collapse = "/")))
  }
  if (any(vapply(params, is.factor, TRUE)))
    warning("factor parameters are bound as their labels (character)", call. = FALSE)
  lengths <- unique(vapply(params, length, 0L))
  if (length(lengths) > 1L)
    .abort_invalid_argument("all parameters must have the same length")
  rows <- if (length(lengths)) lengths else 1L
  # One request per row of parameters; the answers are stacked.
  data <- NULL
  affected <- 0L
  for (r in seq_len(rows)) {
    row <- lapply(params, `[`, r)
    .result_execute(res, .bind_sql(res@connection, res@statement, state$placeholders, row))
    data <- if (is.null(data)) state$data else rbind(data, state$data)
    affected <- affected + state$rows_affected
  }
  state$data <- if (is.null(data)) data.frame() else data
  state$position <- 0L
  if (!state$is_query) state$rows_affected <- affected
  invisible(res)
}

# ---- the DBI methods ---------------------------------------------------------------------

#' @rdname carto
#' @param statement An SQL string.
#' @param params A list of values for the placeholders \code{$1}, \code{$2}, ...
#' @param immediate Ignored: every statement is sent at once, in its own request.
#' @param sf \code{TRUE} for the rows as an \pkg{sf} data frame whose geometry is the first
#'   geometry column (as \code{carto_sql(sf = TRUE)}; needs \pkg{sf}).
#' @export
setMethod("dbSendQuery", c("CartoConnection", "character"), function(conn, statement, ..., params = NULL,
                                                                     immediate = NULL, sf = FALSE) {
  .no_other_arguments("dbSendQuery", ...)
  .new_carto_result(conn, statement, is_query = TRUE, params = params, sf = sf)
})

#' @rdname carto
#' @export
setMethod("dbSendStatement", c("CartoConnection", "character"), function(conn, statement, ..., params = NULL,
                                                                         immediate = NULL) {
  .no_other_arguments("dbSendStatement", ...)
  .new_carto_result(conn, statement, is_query = FALSE, params = params)
})

#' @rdname carto
#' @export
setMethod("dbGetQuery", c("CartoConnection", "character"), function(conn, statement, ..., params = NULL,
                                                                    n = -1L, immediate = NULL,
                                                                    sf = FALSE) {
  .no_other_arguments("dbGetQuery", ...)
  res <- dbSendQuery(conn, statement, params = params, sf = sf)
  on.exit(dbClearResult(res), add = TRUE)
  dbFetch(res, n = n)
})

#' @rdname carto
#' @param res A \code{CartoResult}.
#' @export
setMethod("dbBind", "CartoResult", function(res, params, ...) {
  .result_bind(res, params)
})

#' @rdname carto
#' @param n The number of rows to fetch (\code{-1} or \code{Inf}: all that remain).
#' @export
setMethod("dbFetch", "CartoResult", function(res, n = -1, ...) {
  .no_other_arguments("dbFetch", ...)
  state <- .result_state(res)
  if (!is.numeric(n) || length(n) != 1L || is.na(n) || (n < 0 && n != -1) ||
      (is.finite(n) && n != round(n)))
    .abort_invalid_argument("'n' must be a whole number of rows, or -1 / Inf for all of them")
  if (!is.null(state$reader))
    return(.result_fetch(state, if (n < 0) Inf else n))
  if (is.null(state$data))
    .abort_invalid_argument("the statement has placeholders: give their values with dbBind() first")
  if (!state$is_query) {
    warning("dbFetch() of a statement (dbSendStatement) returns no rows; use dbGetRowsAffected()",
            call. = FALSE)
    return(data.frame())
  }
  df <- state$data
  total <- nrow(df)
  from <- state$position
  to <- if (n < 0 || is.infinite(n)) total else min(total, from + n)
  out <- df[seq_len(to - from) + from, , drop = FALSE]
  rownames(out) <- NULL
  state$position <- as.integer(to)
  out
})

#' @rdname carto
#' @export
setMethod("dbHasCompleted", "CartoResult", function(res, ...) {
  state <- .result_state(res)
  if (!is.null(state$reader)) {
    if (is.null(state$pending) && !state$ended && .Call(C_reader_done, state$reader))
      state$ended <- TRUE
    .result_peek(state) # the rows fetched may have been the last ones
    return(is.null(state$pending))
  }
  !is.null(state$data) && state$position >= nrow(state$data)
})

#' @rdname carto
#' @export
setMethod("dbClearResult", "CartoResult", function(res, ...) {
  if (!isTRUE(res@state$valid)) {
    warning("the result was already cleared", call. = FALSE)
    return(invisible(TRUE))
  }
  .close_result_state(res@state)
  invisible(TRUE)
})

#' @rdname carto
#' @export
setMethod("dbIsValid", "CartoResult", function(dbObj, ...) {
  isTRUE(dbObj@state$valid)
})

#' @rdname carto
#' @export
setMethod("dbGetStatement", "CartoResult", function(res, ...) {
  .result_state(res)
  res@statement
})

#' @rdname carto
#' @export
setMethod("dbGetRowCount", "CartoResult", function(res, ...) {
  .result_state(res)$position
})

#' @rdname carto
#' @export
setMethod("dbGetRowsAffected", "CartoResult", function(res, ...) {
  .result_state(res)$rows_affected
})

#' @rdname carto
#' @export
setMethod("dbColumnInfo", "CartoResult", function(res, ...) {
  state <- .result_state(res)
  df <- if (!is.null(state$reader)) .result_empty(state) else state$data
  if (is.null(df)) df <- data.frame()
  data.frame(name = names(df), type = vapply(df, function(x) class(x)[[1L]], ""),
             stringsAsFactors = FALSE, row.names = NULL)
})

#' @rdname carto
#' @export
setMethod("show", "CartoResult", function(object) {
  cat("<CartoResult> ", if (dbIsValid(object)) object@statement else "(cleared)", "\n", sep = "")
  invisible(object)
})
