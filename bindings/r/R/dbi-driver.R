# The DBI driver: dbConnect(carto(), ...) opens a CartoConnection (R/dbi-connection.R).

#' DBI backend for CARTO's SQL API
#'
#' @description
#' \code{carto()} is the DBI driver of cartoauth: \code{DBI::dbConnect(carto(), ...)} opens
#' a connection that runs each query through CARTO's SQL API (\code{\link{carto_sql}}), so
#' DBI code and \pkg{dbplyr} work against a CARTO account.
#'
#' The credentials are those of \code{credentials} (a \code{\link{carto_credentials}}
#' object), else of \code{username}, \code{base_url} and \code{api_key}, else resolved as
#' \code{\link{carto_sql}} resolves them (the default credentials, the environment, the
#' credentials files: see \code{\link{carto_resolve_credentials}}). A \code{client} can be
#' given instead, and the other arguments (\code{timeout}, \code{retries}, ...) are options
#' of \code{\link{carto_client}}.
#'
#' The SQL API runs each request on its own, in its own transaction, so:
#' \itemize{
#'   \item \code{dbBegin()}, \code{dbCommit()} and \code{dbRollback()} are errors (send one
#'     request with several statements instead: the SQL API runs it as one transaction);
#'   \item temporary tables do not outlive the request that creates them
#'     (\code{dbWriteTable(temporary = TRUE)} is an error);
#'   \item parameters (\code{params =}, \code{dbBind()}) are bound in R: each value is
#'     quoted with \code{dbQuoteLiteral()} and replaces its placeholder \code{$1},
#'     \code{$2}, ... outside literals, identifiers and comments.
#' }
#' Geometry columns (\pkg{sf} objects and \code{sfc}, \code{wk::wkb}, \code{wk::wkt}) are
#' written as PostGIS geometry with their CRS as SRID (\code{geometry(Point,4326)}, ...), by
#' \code{dbWriteTable()}, \code{dbAppendTable()} and \code{sf::st_write(x, con, "t")}, and
#' \code{sf::st_read(con, "t")} finds them again without \code{geometry_column}.
#'
#' \code{dbWriteTable()} creates the table and uploads the rows with COPY FROM (see
#' \code{\link{carto_copyfrom}}); \code{overwrite = TRUE} replaces the table in one request
#' once the new rows are uploaded, and \code{cartodbfy = TRUE} makes it a CARTO dataset
#' (\code{CDB_CartodbfyTable()}: \code{cartodb_id}, \code{the_geom},
#' \code{the_geom_webmercator}). \code{dbListTables()} lists the tables the key can read with
#' \code{SELECT CDB_UserTables()}, which every kind of key may run. Column types are those of
#' \code{\link{carto_sql}}.
#'
#' \code{dbConnect()} runs \code{SELECT 1} with the key, so a wrong key or an unreachable
#' server is its error (and \code{dbCanConnect()} is \code{FALSE}). Every method refuses
#' arguments it does not know; \code{dbGetQuery()}, \code{dbSendQuery()} and
#' \code{dbReadTable()} take \code{sf = TRUE}, \code{dbWriteTable()} and
#' \code{dbAppendTable()} take \code{progress}. A connection can be given as the
#' \code{client} of \code{\link{carto_sql}}, \code{\link{carto_copyto}} and the other request
#' functions. With \pkg{dbplyr}, \code{copy_to()} and \code{compute()} work with their
#' defaults: no transaction is opened (\code{dbWriteTable()} is all-or-nothing by itself), and
#' a "temporary" table is a regular one that \code{dbDisconnect()} drops.
#'
#' @param drv A \code{CartoDriver}, from \code{carto()}.
#' @param credentials A \code{\link{carto_credentials}} object, or \code{NULL}.
#' @param username,base_url,api_key,allow_non_secure As for \code{\link{carto_credentials}},
#'   when \code{credentials} is \code{NULL}; all \code{NULL}: the credentials are resolved.
#' @param client A \code{\link{carto_client}} to use (the connection does not free it), or
#'   \code{NULL}.
#' @param bigint How 64-bit integer (int8) columns are returned: \code{"numeric"} (double,
#'   exact up to 2^53), \code{"integer64"} (\code{bit64::integer64}, needs \pkg{bit64}),
#'   \code{"integer"} (overflowing to \code{NA}) or \code{"character"}.
#' @param connection With CARTO 3 credentials (see \code{\link{carto3_credentials}}), the
#'   connection whose SQL API v3 runs the queries (default \code{"carto_dw"}); unused with
#'   CARTO 2 credentials.
#' @param ... Options of \code{\link{carto_client}} (e.g. \code{timeout = 60}).
#' @return \code{carto()}: a \code{CartoDriver}. \code{dbConnect()}: a
#'   \code{CartoConnection}.
#' @examples
#' \dontrun{
#' con <- DBI::dbConnect(carto(), username = "johnsmith", api_key = "0123456789abcdef")
#' DBI::dbGetQuery(con, "SELECT name FROM points_public WHERE score > $1", params = list(2))
#' DBI::dbWriteTable(con, "cars", datasets::mtcars, cartodbfy = TRUE)
#' DBI::dbDisconnect(con)
#' }
#' @export
carto <- function() {
  methods::new("CartoDriver")
}

#' @rdname carto
#' @export
setClass("CartoDriver", contains = "DBIDriver")

#' @rdname carto
#' @export
setMethod("dbConnect", "CartoDriver", function(drv, credentials = NULL, username = NULL,
                                               base_url = NULL, api_key = NULL,
                                               allow_non_secure = FALSE, client = NULL,
                                               bigint = "numeric", connection = "carto_dw",
                                               ...) {
  bigint <- .check_bigint(bigint)
  .single_string(connection, "connection")
  named <- !is.null(username) || !is.null(base_url) || !is.null(api_key)
  if (!is.null(client)) {
    .client_ptr(client)
    if (!is.null(credentials) || named || length(list(...)))
      .abort_invalid_argument(
        "give either 'client' or credentials and client options, not both")
    return(.checked_connection(.new_carto_connection(client, owns_client = FALSE, bigint = bigint,
                                                     connection = connection)))
  }
  if (!is.null(credentials) && named)
    .abort_invalid_argument(
      "give either 'credentials' or username, base_url and api_key, not both")
  creds <- if (named) {
    carto_credentials(username, api_key, base_url, allow_non_secure)
  } else {
    carto_resolve_credentials(credentials)
  }
  on.exit(carto_free(creds), add = TRUE)
  options <- list(...)
  settings <- if (length(options)) {
    defaults <- lapply(formals(carto_client)[-1L], eval, baseenv())
    unknown <- setdiff(names(options), names(defaults))
    if (is.null(names(options)) || length(unknown))
      .abort_invalid_argument(sprintf(
        "dbConnect(carto(), ...) takes credentials and carto_client() options (%s), not %s",
        paste(names(defaults), collapse = ", "),
        paste(sQuote(unknown, FALSE), collapse = ", ")))
    defaults$key_transport <- if (is.null(creds$username)) "query" else "basic"
    do.call(.client_settings, utils::modifyList(defaults, options))
  } else {
    .default_settings(creds)
  }
  .checked_connection(.new_carto_connection(.new_carto_client(creds, settings),
                                            owns_client = TRUE, bigint = bigint,
                                            connection = connection))
})

# The connection once the server has run a query with its key: a wrong key, an unknown
# account or an unreachable server is an error of dbConnect() (so dbCanConnect() is FALSE),
# not of the first query. The connection is closed when the check fails.
.checked_connection <- function(con) {
  ok <- FALSE
  on.exit(if (!ok) .close_connection(con), add = TRUE)
  .con_run(con, "SELECT 1")
  ok <- TRUE
  con
}

.check_bigint <- function(bigint) {
  choices <- c("numeric", "integer64", "integer", "character")
  if (!is.character(bigint) || length(bigint) != 1L || !(bigint %in% choices))
    .abort_invalid_argument(sprintf("'bigint' must be one of %s",
                                    paste(dQuote(choices, FALSE), collapse = ", ")))
  if (bigint == "integer64" && !requireNamespace("bit64", quietly = TRUE))
    .abort_invalid_argument("bigint = \"integer64\" needs the bit64 package, which is not installed")
  bigint
}

#' @rdname carto
#' @param dbObj,object A cartoauth DBI object.
#' @export
setMethod("dbGetInfo", "CartoDriver", function(dbObj, ...) {
  list(driver.version = utils::packageVersion("cartoauth"),
       client.version = package_version(carto_library_info()$version))
})

#' @rdname carto
#' @export
setMethod("dbIsValid", "CartoDriver", function(dbObj, ...) TRUE)

#' @rdname carto
#' @export
setMethod("show", "CartoDriver", function(object) {
  cat("<CartoDriver> CARTO's SQL API through libcartoauth ", carto_library_info()$version,
      "\n", sep = "")
  invisible(object)
})

#' @rdname carto
#' @param obj An R object (a vector or a data frame) whose SQL type is wanted.
#' @export
setMethod("dbDataType", "CartoDriver", function(dbObj, obj, ...) {
  .sql_type(obj)
})

# PostgreSQL's type for an R vector (a data frame: one per column).
.sql_type <- function(obj, what = "the value") {
  if (is.data.frame(obj))
    return(vapply(names(obj), function(nm) .sql_type(obj[[nm]], sprintf("column %s", sQuote(nm, FALSE))), ""))
  if (.is_geometry(obj)) return(.geometry_sql_type(obj, what)) # R/dbi-geometry.R
  if (inherits(obj, "integer64")) return("BIGINT")
  if (inherits(obj, "blob") || (is.list(obj) && all(vapply(obj, function(x) is.null(x) || is.raw(x), TRUE))))
    return("BYTEA")
  if (inherits(obj, "POSIXt")) return("TIMESTAMPTZ")
  if (inherits(obj, "Date")) return("DATE")
  if (inherits(obj, "difftime")) return("TIME") # as DBI's default; hms is a difftime
  if (is.factor(obj)) return("TEXT")
  if (inherits(obj, "AsIs")) return(.sql_type(structure(obj, class = setdiff(class(obj), "AsIs"))))
  switch(typeof(obj),
    logical = "BOOLEAN",
    integer = "INTEGER",
    double = "DOUBLE PRECISION",
    character = "TEXT",
    .abort_invalid_argument(sprintf("no SQL type for an R object of class %s",
                                    paste(sQuote(class(obj), FALSE), collapse = "/")))
  )
}
