# dbplyr glue: a CartoConnection speaks PostgreSQL (registered when dbplyr is loaded, see
# .onLoad in R/library.R, since dbplyr is only suggested).

dbplyr_edition.CartoConnection <- function(con) 2L

sql_translation.CartoConnection <- function(con) {
  dbplyr::sql_translation(dbplyr::simulate_postgres())
}

.register_dbplyr <- function() {
  register <- function(...) {
    if (requireNamespace("dbplyr", quietly = TRUE)) {
      registerS3method("dbplyr_edition", "CartoConnection", dbplyr_edition.CartoConnection,
                       envir = asNamespace("dbplyr"))
      registerS3method("sql_translation", "CartoConnection", sql_translation.CartoConnection,
                       envir = asNamespace("dbplyr"))
    }
  }
  if (isNamespaceLoaded("dbplyr")) register()
  setHook(packageEvent("dbplyr", "onLoad"), register)
}
