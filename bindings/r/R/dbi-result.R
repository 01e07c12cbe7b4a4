# CartoResult: the SQL API answers a request in one piece, so a result holds the whole
# answer and dbFetch() hands it out in chunks. A statement with placeholders waits for
# dbBind() (parameters are bound in R, see .bind_sql()). A connection has one open result at
# a time, as DBI specifies: a new one closes the previous one with a warning.

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
    .result_execute(res, statement)
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
  df <- .result_state(res)$data
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
