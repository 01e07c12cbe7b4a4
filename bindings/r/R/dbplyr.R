# dbplyr glue: a CartoConnection speaks PostgreSQL (registered when dbplyr is loaded, see
# .onLoad in R/library.R, since dbplyr is only suggested).
#
# copy_to() and compute() work with their defaults, without transactions or temporary tables
# (the SQL API has neither across requests):
#   - in_transaction = TRUE (their default) would wrap the write in dbBegin()/dbCommit(),
#     which are errors here; dbWriteTable() is already all-or-nothing (a new table that fails
#     to fill is dropped, an overwritten one is swapped in once complete), so the write runs
#     as it is. Indexes and ANALYZE are separate requests, as they would be anyway.
#   - temporary = TRUE (their default) makes a regular table, which dbDisconnect() drops: it
#     lasts as long as the connection, as a temporary table would, but other sessions see it
#     and it stays if R ends without dbDisconnect().

dbplyr_edition.CartoConnection <- function(con) 2L

sql_translation.CartoConnection <- function(con) {
  dbplyr::sql_translation(dbplyr::simulate_postgres())
}

db_table_temporary.CartoConnection <- function(con, table, temporary) {
  list(table = table, temporary = FALSE)
}

db_copy_to.CartoConnection <- function(con, table, values, ..., temporary = TRUE,
                                       in_transaction = TRUE) {
  table <- NextMethod(temporary = temporary, in_transaction = FALSE)
  if (isTRUE(temporary)) .add_session_table(con, dbplyr::escape(dbplyr::as.sql(table, con = con), con = con))
  table
}

db_compute.CartoConnection <- function(con, table, sql, ..., temporary = TRUE) {
  table <- NextMethod(temporary = temporary)
  if (isTRUE(temporary)) .add_session_table(con, dbplyr::escape(dbplyr::as.sql(table, con = con), con = con))
  table
}

.register_dbplyr <- function() {
  register <- function(...) {
    if (requireNamespace("dbplyr", quietly = TRUE)) {
      ns <- asNamespace("dbplyr")
      for (generic in c("dbplyr_edition", "sql_translation", "db_table_temporary",
                        "db_copy_to", "db_compute"))
        registerS3method(generic, "CartoConnection", get(paste0(generic, ".CartoConnection")),
                         envir = ns)
    }
  }
  if (isNamespaceLoaded("dbplyr")) register()
  setHook(packageEvent("dbplyr", "onLoad"), register)
}
