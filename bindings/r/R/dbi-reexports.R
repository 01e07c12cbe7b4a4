# DBI's generics that this package defines no method for, re-exported so that
# library(cartoauth) alone gives the whole DBI interface, as RSQLite and RPostgres do (the
# generics it defines methods for are exported with those methods).

#' @importFrom DBI Id
#' @export
DBI::Id

#' @importFrom DBI dbCanConnect
#' @export
DBI::dbCanConnect

#' @importFrom DBI dbExecute
#' @export
DBI::dbExecute

#' @importFrom DBI dbGetQuery
#' @export
DBI::dbGetQuery

#' @importFrom DBI dbIsReadOnly
#' @export
DBI::dbIsReadOnly

#' @importFrom DBI dbQuoteIdentifier
#' @export
DBI::dbQuoteIdentifier

#' @importFrom DBI dbReadTable
#' @export
DBI::dbReadTable

#' @importFrom DBI dbUnquoteIdentifier
#' @export
DBI::dbUnquoteIdentifier

#' @importFrom DBI dbWithTransaction
#' @export
DBI::dbWithTransaction
