# CartoConnection: a carto_client plus a validity flag. Every query is one SQL API request
# made by carto_sql(), so its column types are carto_sql()'s.

#' @rdname carto
#' @export
setClass("CartoConnection", contains = "DBIConnection",
         slots = c(client = "ANY", state = "environment"))

.new_carto_connection <- function(client, owns_client, bigint = "numeric",
                                  connection = "carto_dw") {
  state <- new.env(parent = emptyenv())
  state$bigint <- bigint # how int8 columns come back (dbConnect(bigint =))
  # CARTO 3 credentials query /v3/sql/{connection} (dbConnect(connection =)).
  state$carto3 <- .carto3_fields(client$credentials)$platform == 3L
  state$connection <- connection
  state$valid <- TRUE
  state$owns_client <- owns_client
  state$open_result <- NULL # the state of the one open CartoResult (R/dbi-result.R)
  state$session_tables <- character() # dbplyr's "temporary" tables, dropped at disconnect
  methods::new("CartoConnection", client = client, state = state)
}

# The connection's client; an error naming the call when the connection is closed.
.con_client <- function(con) {
  if (!isTRUE(con@state$valid) || !.client_live(con@client))
    .abort_invalid_argument("the CARTO connection is closed (dbDisconnect) or no longer usable")
  con@client
}

# Runs one SQL API request: a data frame with carto_sql()'s column types, and the
# attributes "fields" and "total_rows" (rows returned, or rows affected by a statement).
.con_run <- function(con, sql) {
  bigint <- con@state$bigint %||% "numeric"
  # int8 is read exactly (bit64) when possible, so that "numeric" can warn of lost precision.
  int64 <- bigint != "numeric" || requireNamespace("bit64", quietly = TRUE)
  out <- if (isTRUE(con@state$carto3)) {
    carto_sql_v3(as.character(sql), connection = con@state$connection,
                 client = .con_client(con), int64 = int64)
  } else {
    carto_sql(as.character(sql), client = .con_client(con), int64 = int64)
  }
  if (is.data.frame(out))
    return(.int8_as(out, bigint))
  # A statement without rows: carto_sql() returns the rows it affected.
  structure(data.frame(), total_rows = out)
}

# int8 columns (bit64::integer64) as dbConnect(bigint =) asks: "numeric" warns when a value
# is beyond 2^53, where doubles lose digits; "integer" overflows to NA silently, as DBI
# specifies.
.int8_as <- function(df, bigint) {
  if (bigint == "integer64") return(df)
  for (i in seq_along(df)) {
    x <- df[[i]]
    if (!inherits(x, "integer64")) next
    df[[i]] <- switch(bigint,
      integer = suppressWarnings(as.integer(x)),
      character = as.character(x),
      numeric = {
        big <- !is.na(x) & abs(x) > bit64::as.integer64(2)^53
        if (any(big))
          warning(sprintf("the int8 column %s has values beyond 2^53, which doubles cannot hold ",
                          sQuote(names(df)[[i]], FALSE)),
                  "exactly; connect with bigint = \"integer64\" to keep every digit", call. = FALSE)
        suppressWarnings(as.numeric(x)) # bit64's own warning would repeat the one above
      })
  }
  df
}

#' @rdname carto
#' @export
setMethod("dbDisconnect", "CartoConnection", function(conn, ...) {
  if (!isTRUE(conn@state$valid)) {
    warning("the CARTO connection was already closed", call. = FALSE)
    return(invisible(FALSE))
  }
  open_result <- conn@state$open_result
  if (!is.null(open_result) && isTRUE(open_result$valid)) {
    warning("the connection had an open result, now closed: call dbClearResult() when done ",
            "with a result", call. = FALSE)
    .close_result_state(open_result)
  }
  .drop_session_tables(conn)
  .close_connection(conn)
  invisible(TRUE)
})

# dbplyr's temporary tables (R/dbplyr.R) are regular tables that live as long as the
# connection: the SQL API has no sessions for real temporary tables.
.add_session_table <- function(conn, table_sql) {
  conn@state$session_tables <- union(conn@state$session_tables, as.character(table_sql))
  invisible(NULL)
}

.drop_session_tables <- function(conn) {
  tables <- conn@state$session_tables
  conn@state$session_tables <- character()
  if (!length(tables)) return(invisible(NULL))
  dropped <- tryCatch({
    .con_run(conn, paste0("DROP TABLE IF EXISTS ", paste(tables, collapse = ", ")))
    TRUE
  }, error = function(e) e)
  if (!isTRUE(dropped))
    warning(sprintf("could not drop the connection's temporary tables (%s): %s",
                    paste(tables, collapse = ", "), conditionMessage(dropped)), call. = FALSE)
  invisible(NULL)
}

.close_connection <- function(conn) {
  conn@state$valid <- FALSE
  if (isTRUE(conn@state$owns_client))
    carto_free(conn@client)
  invisible(NULL)
}

#' @rdname carto
#' @export
setMethod("dbIsValid", "CartoConnection", function(dbObj, ...) {
  isTRUE(dbObj@state$valid) && .client_live(dbObj@client)
})

#' @rdname carto
#' @param conn A \code{CartoConnection}.
#' @export
setMethod("dbGetInfo", "CartoConnection", function(dbObj, ...) {
  creds <- .con_client(dbObj)$credentials
  on.exit(carto_free(creds), add = TRUE)
  list(db.version = "CARTO SQL API v2", dbname = creds$username %||% NA_character_,
       username = creds$username %||% NA_character_, host = creds$base_url, port = NA_integer_)
})

#' @rdname carto
#' @export
setMethod("show", "CartoConnection", function(object) {
  if (!dbIsValid(object)) {
    cat("<CartoConnection> closed\n")
  } else {
    cat("<CartoConnection> ", format(object@client)[[1L]], "\n", sep = "")
  }
  invisible(object)
})

#' @rdname carto
#' @export
setMethod("dbDataType", "CartoConnection", function(dbObj, obj, ...) {
  .sql_type(obj)
})

# ---- transactions: not across SQL API requests ----------------------------------------

.no_transactions <- function() {
  .abort_invalid_argument(paste(
    "CARTO's SQL API runs every request in its own transaction, so a transaction cannot span",
    "several DBI calls; send the statements in one request instead",
    "(e.g. dbExecute(con, \"UPDATE ...; DELETE ...\"), which the SQL API runs atomically)"
  ))
}

#' @rdname carto
#' @export
setMethod("dbBegin", "CartoConnection", function(conn, ...) {
  .con_client(conn)
  .no_transactions()
})

#' @rdname carto
#' @export
setMethod("dbCommit", "CartoConnection", function(conn, ...) {
  .con_client(conn)
  .no_transactions()
})

#' @rdname carto
#' @export
setMethod("dbRollback", "CartoConnection", function(conn, ...) {
  .con_client(conn)
  .no_transactions()
})

# ---- quoting (PostgreSQL's rules) -------------------------------------------------------

# A string literal per element (NA too: callers replace it); none for none. A string with a
# backslash is written E'...' with the backslash doubled, as libpq's PQescapeLiteral does:
# that literal means the same whatever the server's standard_conforming_strings.
.quote_text <- function(s) {
  if (!length(s)) return(character())
  s <- gsub("'", "''", enc2utf8(s), fixed = TRUE)
  escaped <- grepl("\\", s, fixed = TRUE)
  s[escaped] <- gsub("\\", "\\\\", s[escaped], fixed = TRUE)
  paste0(ifelse(escaped, "E'", "'"), s, "'")
}

# Negative numbers in parentheses, so that no literal can join a '-' before it into a
# comment: 10-$1 with -5 is 10-(-5), never 10--5.
.parenthesize_negative <- function(text) {
  negative <- startsWith(text, "-")
  text[negative] <- paste0("(", text[negative], ")")
  text
}

# One SQL literal per element: NULL for NA, PostgreSQL's spellings otherwise.
.sql_literal <- function(x) {
  if (!length(x)) return(DBI::SQL(character()))
  if (is.factor(x)) x <- as.character(x)
  if (inherits(x, "AsIs")) class(x) <- setdiff(class(x), "AsIs")
  out <- if (inherits(x, "integer64")) {
    paste0(.parenthesize_negative(as.character(x)), "::int8")
  } else if (inherits(x, "POSIXt")) {
    x <- as.POSIXct(x) # POSIXlt is a list: not a blob
    paste0(.quote_text(format(x, "%Y-%m-%d %H:%M:%OS6", tz = "UTC")), "::timestamptz")
  } else if (inherits(x, "blob") || (is.list(x) && !is.data.frame(x))) {
    vapply(x, function(b) {
      if (is.null(b)) return("NULL")
      if (!is.raw(b)) .abort_invalid_argument("a list to quote must hold raw vectors (blobs)")
      paste0("'\\x", paste(as.character(b), collapse = ""), "'::bytea")
    }, "")
  } else if (inherits(x, "Date")) {
    paste0(.quote_text(format(x, "%Y-%m-%d")), "::date")
  } else if (inherits(x, "difftime")) {
    paste0(.quote_text(paste(as.numeric(x, units = "secs"), "seconds")), "::interval")
  } else if (is.logical(x)) {
    ifelse(x, "TRUE", "FALSE")
  } else if (is.integer(x)) {
    .parenthesize_negative(as.character(x))
  } else if (is.double(x)) {
    ifelse(is.nan(x), "'NaN'::float8",
           ifelse(is.infinite(x), ifelse(x > 0, "'Infinity'::float8", "'-Infinity'::float8"),
                  .parenthesize_negative(sprintf("%.17g", x))))
  } else if (is.character(x)) {
    .quote_text(x)
  } else {
    .abort_invalid_argument(sprintf("cannot quote an R object of class %s as SQL",
                                    paste(sQuote(class(x), FALSE), collapse = "/")))
  }
  missing <- if (is.list(x) && !inherits(x, "integer64")) vapply(x, is.null, TRUE) else is.na(x) & !is.nan(x)
  out[missing] <- "NULL"
  DBI::SQL(unname(out))
}

#' @rdname carto
#' @param x What to quote.
#' @export
setMethod("dbQuoteLiteral", "CartoConnection", function(conn, x, ...) {
  if (is(x, "SQL")) return(x)
  .sql_literal(x)
})

#' @rdname carto
#' @export
setMethod("dbQuoteString", c("CartoConnection", "character"), function(conn, x, ...) {
  out <- .quote_text(x)
  out[is.na(x)] <- "NULL"
  DBI::SQL(out)
})

#' @rdname carto
#' @export
setMethod("dbQuoteString", c("CartoConnection", "SQL"), function(conn, x, ...) {
  x # already quoted
})

# ---- tables -------------------------------------------------------------------------------

# A table name as SQL: character and Id are quoted, SQL is kept.
.table_sql <- function(con, name) {
  if (is(name, "SQL")) return(name)
  if (is.character(name) && (length(name) != 1L || is.na(name) || !nzchar(name)))
    .abort_invalid_argument("a table name must be a single non-missing string, an Id or SQL")
  if (!is.character(name) && !is(name, "Id"))
    .abort_invalid_argument("a table name must be a single non-missing string, an Id or SQL")
  dbQuoteIdentifier(con, name)
}

# A DBI method's `...` holds only what it does not know: an error names it, rather than the
# argument being dropped silently (sf = TRUE, progress = TRUE, a misspelt name).
.no_other_arguments <- function(fun, ...) {
  if (!...length()) return(invisible(NULL))
  method <- sys.function(sys.parent())
  .refuse_arguments(fun, names(list(...)) %||% rep("", ...length()),
                    setdiff(names(formals(method)),
                            c("...", "conn", "res", "statement", "name", "value", "fields")))
}

.refuse_arguments <- function(fun, given, takes) {
  shown <- unique(ifelse(nzchar(given), sQuote(given, FALSE), "an unnamed argument"))
  .abort_invalid_argument(sprintf("%s() has no argument %s%s", fun, paste(shown, collapse = ", "),
                                  if (length(takes)) sprintf(" (it takes %s)", paste(takes, collapse = ", ")) else ""))
}

#' @rdname carto
#' @export
setMethod("dbListTables", "CartoConnection", function(conn, ...) {
  .no_other_arguments("dbListTables", ...)
  # CDB_UserTables() in the select list, as GDAL calls it: every key may run it, and it lists
  # the tables of the account the key can read (the public ones for default_public).
  df <- .con_run(conn, "SELECT CDB_UserTables() AS name")
  as.character(df$name)
})

#' @rdname carto
#' @param check.names \code{TRUE} to make the column names syntactic and unique
#'   (\code{make.names()}), as DBI does.
#' @export
setMethod("dbReadTable", c("CartoConnection", "character"), function(conn, name, ..., row.names = FALSE,
                                                                     check.names = TRUE, sf = FALSE) {
  .no_other_arguments("dbReadTable", ...)
  .check_row_names(row.names)
  if (!.is_flag(check.names))
    .abort_invalid_argument("'check.names' must be TRUE or FALSE")
  out <- dbGetQuery(conn, paste0("SELECT * FROM ", .table_sql(conn, name)), sf = sf)
  sf_column <- attr(out, "sf_column")
  out <- DBI::sqlColumnToRownames(out, row.names)
  if (check.names) {
    fixed <- make.names(names(out), unique = TRUE)
    if (!is.null(sf_column)) attr(out, "sf_column") <- fixed[[match(sf_column, names(out))]]
    names(out) <- fixed
  }
  out
})

#' @rdname carto
#' @export
setMethod("dbReadTable", c("CartoConnection", "Id"),
          methods::getMethod("dbReadTable", c("CartoConnection", "character")))

#' @rdname carto
#' @param name A table name: a string, a \code{DBI::Id} or \code{DBI::SQL}.
#' @export
setMethod("dbExistsTable", c("CartoConnection", "character"), function(conn, name, ...) {
  table <- .table_sql(conn, name)
  df <- .con_run(conn, paste0("SELECT to_regclass(", dbQuoteString(conn, as.character(table)),
                              ") IS NOT NULL AS found"))
  isTRUE(as.logical(df$found))
})

#' @rdname carto
#' @export
setMethod("dbListFields", c("CartoConnection", "character"), function(conn, name, ...) {
  df <- .con_run(conn, paste0("SELECT * FROM ", .table_sql(conn, name), " LIMIT 0"))
  names(df)
})

#' @rdname carto
#' @param temporary Must be \code{FALSE}: temporary tables end with the request that makes
#'   them.
#' @param fail_if_missing \code{FALSE} to drop the table only if it exists.
#' @export
setMethod("dbRemoveTable", c("CartoConnection", "character"), function(conn, name, ..., temporary = FALSE,
                                                       fail_if_missing = TRUE) {
  .no_temporary(temporary)
  .con_run(conn, paste0("DROP TABLE ", if (!isTRUE(fail_if_missing)) "IF EXISTS ",
                        .table_sql(conn, name)))
  invisible(TRUE)
})

.no_temporary <- function(temporary) {
  if (!isFALSE(temporary))
    .abort_invalid_argument(paste(
      "temporary tables are not available through CARTO's SQL API:",
      "each request has its own session, so the table would vanish at once"))
}

# The same for Id names (DBI has defaults for Id that would otherwise be chosen).

#' @rdname carto
#' @export
setMethod("dbExistsTable", c("CartoConnection", "Id"),
          methods::getMethod("dbExistsTable", c("CartoConnection", "character")))

#' @rdname carto
#' @export
setMethod("dbListFields", c("CartoConnection", "Id"),
          methods::getMethod("dbListFields", c("CartoConnection", "character")))

#' @rdname carto
#' @export
setMethod("dbRemoveTable", c("CartoConnection", "Id"),
          methods::getMethod("dbRemoveTable", c("CartoConnection", "character")))

#' @rdname carto
#' @param prefix \code{NULL}: the tables of \code{dbListTables()} and the schemas the key can
#'   use (as prefixes); or a schema, \code{DBI::Id(schema = "...")}: its tables.
#' @export
setMethod("dbListObjects", "CartoConnection", function(conn, prefix = NULL, ...) {
  .no_other_arguments("dbListObjects", ...)
  if (is.null(prefix)) {
    tables <- lapply(dbListTables(conn), function(x) DBI::Id(table = x))
    # pg_namespace is a system table, which the SQL API lets only the master key read (a
    # 403 before running anything); the other keys get the schemas of their search path.
    schemas <- tryCatch(.con_run(conn, paste(
      "SELECT nspname AS name FROM pg_namespace WHERE has_schema_privilege(oid, 'USAGE')",
      "AND nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY nspname"
    ))$name, carto_error_forbidden = function(e)
      .con_run(conn, "SELECT unnest(current_schemas(false)) AS name")$name)
    schemas <- as.character(schemas)
    ids <- c(tables, lapply(schemas, function(s) DBI::Id(schema = s)))
    is_prefix <- rep(c(FALSE, TRUE), c(length(tables), length(schemas)))
  } else {
    if (!is(prefix, "Id") || !identical(names(prefix@name), "schema"))
      .abort_invalid_argument("'prefix' must be NULL or a schema, DBI::Id(schema = \"...\")")
    schema <- prefix@name[["schema"]]
    names <- as.character(.con_run(conn, paste0(
      "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ",
      dbQuoteString(conn, schema), " ORDER BY table_name"
    ))$name)
    ids <- lapply(names, function(t) DBI::Id(schema = schema, table = t))
    is_prefix <- rep(FALSE, length(ids))
  }
  out <- data.frame(table = I(unname(ids)), stringsAsFactors = FALSE)
  out$is_prefix <- is_prefix
  out
})
