# The DBI backend against carto-emulator: connect, query, fetch in chunks, statements,
# tables (list, exists, fields, read, write through COPY FROM, remove), quoting, bound
# parameters, transactions (refused) and disconnecting.

emu_con <- function(key = "master") {
  DBI::dbConnect(carto(), credentials = emu_creds(key), retries = 0L)
}

test_that("dbConnect() with credentials, with named fields, or resolved", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  expect_s4_class(con, "CartoConnection")
  expect_true(DBI::dbIsValid(con))
  info <- DBI::dbGetInfo(con)
  expect_identical(info$username, "demo")
  expect_identical(info$host, emu_base_url())
  expect_no_emulator_key(capture.output(show(con)))

  named <- DBI::dbConnect(carto(), base_url = emu_base_url(), api_key = emu_key(),
                          allow_non_secure = TRUE)
  expect_identical(DBI::dbGetQuery(named, "select 1 as one")$one, 1L)
  DBI::dbDisconnect(named)

  # nothing given: the same resolution as carto_sql() (here the default credentials)
  set_default_credentials(emu_creds())
  resolved <- DBI::dbConnect(carto())
  expect_identical(DBI::dbGetInfo(resolved)$username, "demo")
  DBI::dbDisconnect(resolved)
  unset_default_credentials()
  expect_s3_class(catch_condition(DBI::dbConnect(carto())), "carto_error_not_resolved")

  expect_s3_class(catch_condition(DBI::dbConnect(carto(), credentials = emu_creds(),
                                                 username = "x")),
                  "carto_error_invalid_argument")
  e <- catch_condition(DBI::dbConnect(carto(), credentials = emu_creds(), timout = 3))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "'timout'", fixed = TRUE)
})

test_that("dbGetQuery() returns carto_sql()'s data frame without its attributes", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  df <- DBI::dbGetQuery(con, "select name, score from points_public order by cartodb_id")
  expected <- carto_sql("select name, score from points_public order by cartodb_id",
                        credentials = emu_creds())
  attributes(expected)[c("fields", "total_rows", "time")] <- NULL
  expect_identical(df, expected)
  expect_identical(df$name, c("Madrid", "Paris", "Berlin"))
})

test_that("dbSendQuery() / dbFetch() in chunks / dbHasCompleted() / dbClearResult()", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  res <- DBI::dbSendQuery(con, "select name from points_public order by cartodb_id")
  expect_identical(DBI::dbGetStatement(res), "select name from points_public order by cartodb_id")
  expect_false(DBI::dbHasCompleted(res))
  expect_identical(DBI::dbFetch(res, n = 2)$name, c("Madrid", "Paris"))
  expect_identical(DBI::dbGetRowCount(res), 2L)
  expect_false(DBI::dbHasCompleted(res))
  expect_identical(DBI::dbFetch(res, n = 5)$name, "Berlin")
  expect_true(DBI::dbHasCompleted(res))
  expect_identical(nrow(DBI::dbFetch(res)), 0L)
  expect_identical(DBI::dbColumnInfo(res)$name, "name")
  expect_s3_class(catch_condition(DBI::dbFetch(res, n = -2)), "carto_error_invalid_argument")
  DBI::dbClearResult(res)
  expect_false(DBI::dbIsValid(res))
  expect_warning(DBI::dbClearResult(res), "already cleared")
  expect_s3_class(catch_condition(DBI::dbFetch(res)), "carto_error_invalid_argument")
})

test_that("dbExecute() returns the rows affected", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbExecute(con, "DROP TABLE IF EXISTS dbi_exec")
  DBI::dbExecute(con, "CREATE TABLE dbi_exec (a int)")
  on.exit(DBI::dbExecute(con, "DROP TABLE IF EXISTS dbi_exec"), add = TRUE, after = FALSE)
  expect_identical(DBI::dbExecute(con, "INSERT INTO dbi_exec VALUES (1), (2), (3)"), 3L)
  expect_identical(DBI::dbExecute(con, "UPDATE dbi_exec SET a = a + 1 WHERE a > 1"), 2L)
  expect_identical(DBI::dbExecute(con, "DELETE FROM dbi_exec"), 3L)
})

test_that("parameters are bound as literals, so values cannot inject SQL", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  df <- DBI::dbGetQuery(con, "select name from points_public where score > $1 and name <> $2
                              order by cartodb_id", params = list(0, "Paris"))
  expect_identical(df$name, "Madrid")
  evil <- "x'; DROP TABLE points_public; --"
  df <- DBI::dbGetQuery(con, "select $1::text as v, '$1' as literal, \"name\" from points_public
                              where cartodb_id = $2", params = list(evil, 1L))
  expect_identical(df$v, evil)
  expect_identical(df$literal, "$1")
  expect_true("points_public" %in% DBI::dbListTables(con))
  # NULLs, logicals, dates, several rows of parameters
  df <- DBI::dbGetQuery(con, "select $1::int as a, $2 as b, $3 as d",
                        params = list(c(1L, NA), c(TRUE, FALSE), as.Date(c("2020-01-02", NA))))
  expect_identical(df$a, c(1L, NA))
  expect_identical(df$b, c(TRUE, FALSE))
  # (dates travel as JSON strings; carto_sql() decides their R type)
  expect_match(as.character(df$d[[1L]]), "^2020-01-02")
  expect_true(is.na(df$d[[2L]]))
  res <- DBI::dbSendQuery(con, "select $1 + 1 as x")
  expect_s3_class(catch_condition(DBI::dbFetch(res)), "carto_error_invalid_argument")
  DBI::dbBind(res, list(41L))
  expect_identical(DBI::dbFetch(res)$x, 42L)
  DBI::dbClearResult(res)
  expect_s3_class(catch_condition(DBI::dbGetQuery(con, "select $2", params = list(1))),
                  "carto_error_invalid_argument")
})

test_that("quoting follows PostgreSQL", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  expect_identical(as.character(DBI::dbQuoteIdentifier(con, "we\"ird")), "\"we\"\"ird\"")
  expect_identical(as.character(DBI::dbQuoteString(con, c("it's", NA))), c("'it''s'", "NULL"))
  expect_identical(as.character(DBI::dbQuoteLiteral(con, c(TRUE, NA))), c("TRUE", "NULL"))
  expect_identical(as.character(DBI::dbQuoteLiteral(con, 0.1)), "0.10000000000000001")
  expect_identical(as.character(DBI::dbQuoteLiteral(con, as.Date("2020-02-29"))), "'2020-02-29'::date")
  expect_identical(DBI::dbDataType(con, 1L), "INTEGER")
  expect_identical(DBI::dbDataType(carto(), Sys.time()), "TIMESTAMPTZ")
  expect_identical(DBI::dbDataType(con, data.frame(a = "x", b = TRUE)),
                   c(a = "TEXT", b = "BOOLEAN"))
  # round trip of awkward strings through the server
  text <- c("it's", "back\\slash", "\"quoted\"", "na\u00efve \u2603", "")
  got <- DBI::dbGetQuery(con, paste0("select ", DBI::dbQuoteString(con, text), " as s", collapse = " union all "))
  expect_identical(got$s, text)
})

test_that("tables: list, exist, fields, write (create, append, overwrite, cartodbfy), read, remove", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  on.exit(DBI::dbRemoveTable(con, "dbi_cars", fail_if_missing = FALSE), add = TRUE, after = FALSE)
  DBI::dbRemoveTable(con, "dbi_cars", fail_if_missing = FALSE)
  expect_true(all(c("points_public", "points_private") %in% DBI::dbListTables(con)))
  expect_true(DBI::dbExistsTable(con, "points_public"))
  expect_false(DBI::dbExistsTable(con, "dbi_cars"))
  fields <- DBI::dbListFields(con, "points_public")
  expect_true(all(c("cartodb_id", "name", "score", "active") %in% fields))

  cars <- data.frame(
    model = c("Fiat 128", "Mazda RX4", NA, "quote \"it's\", back\\slash"),
    mpg = c(32.4, 21, NA, 0.1),
    cyl = c(4L, 6L, NA, 8L),
    manual = c(TRUE, FALSE, NA, TRUE),
    stringsAsFactors = FALSE
  )
  expect_true(DBI::dbWriteTable(con, "dbi_cars", cars))
  expect_true(DBI::dbExistsTable(con, "dbi_cars"))
  expect_identical(DBI::dbListFields(con, "dbi_cars"), names(cars))
  back <- DBI::dbGetQuery(con, "select * from dbi_cars")
  back <- back[order(back$cyl), ]
  rownames(back) <- NULL
  expect_identical(back$model, cars$model[order(cars$cyl)])
  expect_identical(back$mpg, cars$mpg[order(cars$cyl)])
  expect_identical(back$cyl, cars$cyl[order(cars$cyl)])
  expect_identical(back$manual, cars$manual[order(cars$cyl)])
  types <- DBI::dbGetQuery(con, "select pg_typeof(model)::text as m, pg_typeof(mpg)::text as g,
                                 pg_typeof(cyl)::text as c, pg_typeof(manual)::text as b
                                 from dbi_cars limit 1")
  expect_identical(unlist(types, use.names = FALSE), c("text", "double precision", "integer", "boolean"))

  # an existing table is neither replaced nor appended to without being asked
  e <- catch_condition(DBI::dbWriteTable(con, "dbi_cars", cars))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "overwrite = TRUE")
  DBI::dbWriteTable(con, "dbi_cars", cars[1:2, ], append = TRUE)
  expect_identical(nrow(DBI::dbReadTable(con, "dbi_cars")), 6L)
  expect_identical(DBI::dbAppendTable(con, "dbi_cars", cars[1, ]), 1L)
  expect_identical(nrow(DBI::dbReadTable(con, "dbi_cars")), 7L)
  DBI::dbWriteTable(con, "dbi_cars", cars[2, c("model", "mpg")], overwrite = TRUE)
  expect_equal(DBI::dbReadTable(con, "dbi_cars"),
               data.frame(model = "Mazda RX4", mpg = 21, stringsAsFactors = FALSE))
  # a failed overwrite keeps the old table (the bad value fails COPY after the new table exists)
  e <- catch_condition(DBI::dbWriteTable(con, "dbi_cars", data.frame(model = "x", mpg = "not a number"),
                                         overwrite = TRUE, field.types = c(mpg = "float8")))
  expect_s3_class(e, "carto_error")
  expect_identical(DBI::dbReadTable(con, "dbi_cars")$model, "Mazda RX4")
  expect_false(any(grepl("_cartoauth_", DBI::dbListTables(con))))

  DBI::dbWriteTable(con, "dbi_cars", cars, overwrite = TRUE, cartodbfy = TRUE)
  expect_true(all(c("cartodb_id", "the_geom", "the_geom_webmercator") %in%
                    DBI::dbListFields(con, "dbi_cars")))
  # cartodb_id is int8 (bigint), a double column like every int8 of carto_sql()
  expect_identical(sort(DBI::dbGetQuery(con, "select cartodb_id from dbi_cars")$cartodb_id),
                   as.double(1:4))

  expect_s3_class(catch_condition(DBI::dbWriteTable(con, "dbi_tmp", cars, temporary = TRUE)),
                  "carto_error_invalid_argument")
  expect_true(DBI::dbRemoveTable(con, "dbi_cars"))
  expect_false(DBI::dbExistsTable(con, "dbi_cars"))
  expect_s3_class(catch_condition(DBI::dbRemoveTable(con, "dbi_cars")), "carto_error")
  expect_true(DBI::dbRemoveTable(con, "dbi_cars", fail_if_missing = FALSE))
})

test_that("transactions are a clear error; a disconnected connection is unusable", {
  local_sandbox()
  con <- emu_con()
  for (f in list(DBI::dbBegin, DBI::dbCommit, DBI::dbRollback)) {
    e <- catch_condition(f(con))
    expect_s3_class(e, "carto_error_invalid_argument")
    expect_match(conditionMessage(e), "own transaction")
  }
  expect_true(DBI::dbDisconnect(con))
  expect_false(DBI::dbIsValid(con))
  expect_warning(DBI::dbDisconnect(con), "already closed")
  e <- catch_condition(DBI::dbGetQuery(con, "select 1"))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "closed")
})

test_that("a connection made from a client leaves the client to its owner", {
  local_sandbox()
  client <- emu_client()
  con <- DBI::dbConnect(carto(), client = client)
  expect_identical(DBI::dbGetQuery(con, "select 2 as two")$two, 2L)
  DBI::dbDisconnect(con)
  expect_identical(carto_sql("select 3 as three", client = client)$three, 3L)
  carto_free(client)
})

test_that("bound statements: repeated, several rows, unequal lengths, invisible return", {
  # DBItest's statement bind tests need temporary tables (see test-dbitest.R); the same
  # behaviour on a regular table.
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbRemoveTable(con, "dbi_bind", fail_if_missing = FALSE)
  on.exit(DBI::dbRemoveTable(con, "dbi_bind", fail_if_missing = FALSE), add = TRUE, after = FALSE)
  DBI::dbWriteTable(con, "dbi_bind", data.frame(a = c(1L, 2L, 2L, 3L, 3L, 3L), b = 0L))
  res <- DBI::dbSendStatement(con, "UPDATE dbi_bind SET b = b + 1 WHERE a = $1")
  expect_identical(DBI::dbGetRowsAffected(res), NA_integer_)
  bound <- withVisible(DBI::dbBind(res, list(2L)))
  expect_false(bound$visible)
  expect_identical(bound$value, res)
  expect_identical(DBI::dbGetRowsAffected(res), 2L)
  DBI::dbBind(res, list(2L)) # again: the statement runs again
  expect_identical(DBI::dbGetRowsAffected(res), 2L)
  DBI::dbBind(res, list(c(1L, 3L))) # one request per row of parameters
  expect_identical(DBI::dbGetRowsAffected(res), 4L)
  expect_warning(expect_identical(DBI::dbFetch(res), data.frame()), "returns no rows")
  DBI::dbClearResult(res)
  expect_identical(DBI::dbGetQuery(con, "select a, b from dbi_bind order by a, b")$b,
                   c(1L, 2L, 2L, 1L, 1L, 1L))
  res <- DBI::dbSendStatement(con, "UPDATE dbi_bind SET b = 0 WHERE a = $1 AND b = $2")
  on.exit(DBI::dbClearResult(res), add = TRUE, after = FALSE)
  expect_s3_class(catch_condition(DBI::dbBind(res, list(1:2, 1L))), "carto_error_invalid_argument")
  expect_s3_class(catch_condition(DBI::dbBind(res, list(1L, data.frame(x = 1)))),
                  "carto_error_invalid_argument")
  expect_warning(DBI::dbBind(res, list(factor("1"), 1L)), "factor")
  expect_identical(DBI::dbGetRowsAffected(res), 1L)
})

test_that("one open result per connection; binding needs placeholders; a failed request leaves none", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  first <- DBI::dbSendQuery(con, "select 1 as a")
  expect_warning(second <- DBI::dbSendQuery(con, "select 2 as a"), "one result at a time")
  expect_false(DBI::dbIsValid(first))
  expect_s3_class(catch_condition(DBI::dbFetch(first)), "carto_error_invalid_argument")
  expect_identical(DBI::dbFetch(second)$a, 2L)
  expect_s3_class(catch_condition(DBI::dbBind(second, list())), "carto_error_invalid_argument")
  DBI::dbClearResult(second)
  # a request that fails closes its result: no warning at the next query or at disconnect
  expect_s3_class(catch_condition(DBI::dbGetQuery(con, "select * from no_such_table")), "carto_error")
  expect_identical(DBI::dbGetQuery(con, "select 3 as a", params = list())$a, 3L)
  other <- emu_con()
  DBI::dbSendQuery(other, "select 1")
  expect_warning(DBI::dbDisconnect(other), "open result")
})

test_that("quoting: empty vectors, SQL kept, NA as NULL, POSIXlt", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  expect_identical(length(DBI::dbQuoteString(con, character())), 0L)
  for (empty in list(integer(), numeric(), character(), logical(), Sys.Date()[0], Sys.time()[0], list()))
    expect_identical(length(DBI::dbQuoteLiteral(con, empty)), 0L)
  quoted <- DBI::dbQuoteString(con, c("a", NA))
  expect_identical(DBI::dbQuoteString(con, quoted), quoted)
  expect_identical(as.character(DBI::dbQuoteString(con, "NULL")), "'NULL'")
  lt <- as.POSIXlt("2020-01-02 03:04:05", tz = "UTC")
  expect_identical(as.character(DBI::dbQuoteLiteral(con, lt)),
                   "'2020-01-02 03:04:05.000000'::timestamptz")
})

test_that("tables: row names, column subsets, time columns, argument errors", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  DBI::dbRemoveTable(con, "dbi_rows", fail_if_missing = FALSE)
  on.exit(DBI::dbRemoveTable(con, "dbi_rows", fail_if_missing = FALSE), add = TRUE, after = FALSE)
  cars <- head(datasets::mtcars[, c("mpg", "cyl")], 3)
  DBI::dbWriteTable(con, "dbi_rows", cars, row.names = TRUE)
  expect_identical(DBI::dbListFields(con, "dbi_rows"), c("row_names", "mpg", "cyl"))
  expect_equal(DBI::dbReadTable(con, "dbi_rows", row.names = TRUE), cars)
  expect_s3_class(catch_condition(DBI::dbWriteTable(con, "dbi_rows", cars, row.names = letters)),
                  "carto_error_invalid_argument")
  expect_s3_class(catch_condition(DBI::dbWriteTable(con, "dbi_rows", cars, overwrite = TRUE,
                                                    field.types = c(mpg = "REAL", mpg = "REAL"))),
                  "carto_error_invalid_argument")
  expect_s3_class(catch_condition(DBI::dbCreateTable(con, "dbi_x", cars, row.names = TRUE)),
                  "carto_error_invalid_argument")
  expect_s3_class(catch_condition(DBI::dbCreateTable(con, NA, cars)), "carto_error_invalid_argument")
  expect_false(DBI::dbExistsTable(con, "dbi_x"))
  # a subset of the columns, in another order; the others are NULL
  DBI::dbAppendTable(con, "dbi_rows", data.frame(cyl = 8, row_names = "extra"))
  out <- DBI::dbGetQuery(con, "select * from dbi_rows where row_names = 'extra'")
  expect_identical(out$cyl, 8)
  expect_true(is.na(out$mpg))
  expect_warning(DBI::dbAppendTable(con, "dbi_rows", data.frame(row_names = factor("f"))), "factor")
  # time of day: TIME columns, read back as hms
  times <- data.frame(t = hms::hms(c(0, 3661.5, NA)))
  DBI::dbWriteTable(con, "dbi_rows", times, overwrite = TRUE)
  expect_identical(DBI::dbGetQuery(con, "select format_type(atttypid, atttypmod) as type from pg_attribute where attrelid = 'dbi_rows'::regclass and attname = 't'")$type,
                   "time without time zone")
  back <- DBI::dbReadTable(con, "dbi_rows")
  expect_s3_class(back$t, "hms")
  expect_equal(as.numeric(back$t), c(0, 3661.5, NA))
})

test_that("dbConnect(bigint =) decides how int8 comes back; bytea is a blob", {
  local_sandbox()
  query <- "select 1234567890123456789::int8 as big, 5::int8 as small, null::int8 as none"
  as_mode <- function(bigint) {
    con <- DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L, bigint = bigint)
    on.exit(DBI::dbDisconnect(con))
    DBI::dbGetQuery(con, query)
  }
  expect_warning(numeric <- as_mode("numeric"), "beyond 2\\^53")
  expect_identical(numeric$small, 5)
  exact <- as_mode("integer64")
  expect_s3_class(exact$big, "integer64")
  expect_identical(as.character(exact$big), "1234567890123456789")
  expect_true(is.na(exact$none))
  expect_identical(as_mode("character")$big, "1234567890123456789")
  integer <- as_mode("integer")
  expect_identical(integer$small, 5L)
  expect_true(is.na(integer$big))
  expect_s3_class(catch_condition(DBI::dbConnect(carto(), credentials = emu_creds(), bigint = "int")),
                  "carto_error_invalid_argument")
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  blobs <- DBI::dbGetQuery(con, "select b from (values ('\\x00ff'::bytea), (''::bytea), (null)) as t(b)")$b
  expect_s3_class(blobs, "blob")
  expect_identical(lapply(seq_along(blobs), function(i) blobs[[i]]),
                   list(as.raw(c(0, 255)), raw(0), NULL))
})

test_that("dbListObjects() lists tables and schemas, and a schema's tables", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  objects <- DBI::dbListObjects(con)
  tables <- vapply(objects$table[!objects$is_prefix], function(id) id@name[["table"]], "")
  expect_setequal(tables, DBI::dbListTables(con))
  schemas <- vapply(objects$table[objects$is_prefix], function(id) id@name[["schema"]], "")
  expect_true("demo" %in% schemas)
  in_demo <- DBI::dbListObjects(con, prefix = DBI::Id(schema = "demo"))
  expect_true(any(vapply(in_demo$table, function(id) identical(id@name[["table"]], "points_public"), TRUE)))
  expect_false(any(in_demo$is_prefix))
  expect_s3_class(catch_condition(DBI::dbListObjects(con, prefix = "demo")),
                  "carto_error_invalid_argument")
})
