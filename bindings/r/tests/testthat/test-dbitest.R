# DBItest, the conformance suite of DBI backends, against carto-emulator. bindings/r/check.sh
# prints its counts as "DBItest: N passed, N failed, N skipped".
#
# DBItest matches each entry against whole test names. Every skipped test names the
# limitation of CARTO's SQL API behind it:
#   SESSION  each request is its own session and transaction: no transactions across calls
#            (dbBegin/dbCommit/dbRollback are errors, so dbWithTransaction is too), and no
#            temporary tables (one would vanish with the request that creates it, so
#            dbWriteTable(temporary = TRUE) is an error). DBItest's tester of bound statements
#            (dbSendStatement + dbBind) writes its table with dbWriteTable(temporary = TRUE),
#            so the bind tests that run a statement cannot run; test-dbi.R binds statements
#            (repeated, multi-row, unequal lengths, return value) on a regular table instead.
#            The tweak temporary_tables = FALSE makes DBItest skip its temporary-table tests
#            (create_temporary_table, temporary_table, remove_table_temporary*) for the same
#            reason.
#   JSON     each row is a JSON object keyed by column name, so a SELECT of several unnamed
#            columns (all named "?column?" by PostgreSQL) returns one of them only, with a
#            warning (carto_warning_collapsed_columns): quote_literal_roundtrip and
#            quote_string_roundtrip select unnamed literals, column_info_consistent_unnamed
#            selects "1.5, 2.5 AS a, 1.5, 3.5" and gets two of its four columns.
#   NAMING   DBItest expects a package name starting with "R" (RSQLite, RPostgres); this
#            package is cartoauth, the library's name.
# Three tests are skipped in test_all() only to run in a second context: DBItest uses one
# connection mode at a time, and the 64-bit tests need two. test_all() connects with
# dbConnect(bigint = "numeric") (the default: doubles, with a warning beyond 2^53); the tests
# that want every digit (data_64_bit_lossless, *roundtrip_64_bit_character) run at the end
# with bigint = "integer64" (int8 read exactly from the JSON text with bit64).
# Dates, times and timestamps are typed (date_typed, time_typed, timestamp_typed): the SQL
# API's `fields` give their types, so they come back as Date, hms and POSIXct.
dbitest_session <- c(
  "begin_commit_return_value", "begin_rollback_return_value", "begin_begin", "begin_commit",
  "begin_write_commit", "begin_rollback", "begin_write_rollback", "begin_write_disconnect",
  "with_transaction_return_value", "with_transaction_error_nested", "with_transaction_success",
  "with_transaction_failure", "with_transaction_break", "with_transaction_side_effects",
  # DBItest's statement bind tester: dbWriteTable(temporary = TRUE)
  "bind_repeated_untouched", "bind_return_value", "bind_multi_row_unequal_length",
  "bind_multi_row_statement", "bind_repeated"
)
dbitest_json <- c(
  # rows are JSON objects: unnamed columns ("?column?") collapse into one
  "quote_literal_roundtrip", "quote_string_roundtrip", "column_info_consistent_unnamed"
)
dbitest_integer64 <- c(
  "data_64_bit_lossless", "append_roundtrip_64_bit_character", "roundtrip_64_bit_character"
)
dbitest_naming <- c("package_name")
dbitest_skips <- c(dbitest_session, dbitest_json, dbitest_naming, dbitest_integer64)

test_that("DBItest runs against carto-emulator", {
  emulator()
  succeed()
})

if (!is.null(tryCatch(emulator(), condition = function(c) NULL))) {
  dbitest_tweaks <- DBItest::tweaks(
    constructor_name = "carto",
    constructor_relax_args = TRUE,
    placeholder_pattern = "$1",
    date_cast = function(x) paste0("date '", x, "'"),
    time_cast = function(x) paste0("time '", x, "'"),
    timestamp_cast = function(x) paste0("timestamp '", x, "'"),
    is_null_check = function(x) paste0("(", x, " IS NULL)"),
    logical_return = function(x) x,
    date_typed = TRUE,
    time_typed = TRUE,
    timestamp_typed = TRUE,
    omit_blob_tests = FALSE,
    temporary_tables = FALSE,
    list_temporary_tables = FALSE,
    strict_identifier = FALSE,
    dbitest_version = "1.7.3"
  )
  DBItest::make_context(carto(), list(credentials = emu_creds(), retries = 0L),
                        tweaks = dbitest_tweaks, name = "cartoauth")
  DBItest::test_all(skip = dbitest_skips)
  DBItest::make_context(carto(), list(credentials = emu_creds(), retries = 0L, bigint = "integer64"),
                        tweaks = dbitest_tweaks, name = "cartoauth, bigint = integer64")
  DBItest::test_some(dbitest_integer64, dblog = FALSE)
}
