# Results read in chunks as the answer arrives (R/sql-reader.R), against carto-emulator:
# carto_sql() of an answer larger than max_body_size, dbSendQuery() + dbFetch(n) +
# dbHasCompleted(), an error after rows were sent, clearing a result between chunks,
# cancelling from the progress function, and a server that stops sending.

reader_query <- function(n, pad = 80) {
  sprintf(paste(
    "select g::int4 as i, g / 4.0::float8 as f, 'row ' || g || repeat('x', %d) as t,",
    "g %% 3 = 0 as b, timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' as ts",
    "from generate_series(1, %d) g"), pad, n)
}

expect_reader_rows <- function(df, from, to) {
  g <- seq(from, to)
  expect_identical(nrow(df), length(g))
  expect_identical(df$i, as.integer(g))
  expect_identical(df$f, g / 4)
  expect_identical(substr(df$t, 1L, nchar(paste("row", g))), paste("row", g))
  expect_identical(df$b, g %% 3 == 0)
  expect_equal(as.numeric(df$ts), 1577836800 + g)
}

# Fetches chunks of `n` until the result completes or a fetch fails: list(rows, error).
fetch_until_error <- function(res, n) {
  rows <- 0
  error <- tryCatch({
    while (!DBI::dbHasCompleted(res)) rows <- rows + nrow(DBI::dbFetch(res, n = n))
    NULL
  }, error = function(e) e)
  list(rows = rows, error = error)
}

test_that("carto_sql() reads an answer larger than max_body_size in full", {
  local_sandbox()
  cl <- emu_client(max_body_size = 1024^2)
  # ~10 MB of JSON through a client that keeps at most 1 MiB of a body in memory
  df <- carto_sql(reader_query(100000), client = cl)
  expect_reader_rows(df, 1, 100000)
  expect_s3_class(df$ts, "POSIXct")
  expect_identical(attr(df, "total_rows"), 100000L)
  expect_identical(names(attr(df, "fields")), c("i", "f", "t", "b", "ts"))
  # the whole-body path would have refused it
  e <- catch_condition(carto_sql(reader_query(100000), format = "csv", client = cl))
  expect_s3_class(e, "carto_error_body_too_large")
})

test_that("int2/int4 columns stay integer across chunks; one holding R's NA becomes double", {
  local_sandbox()
  cl <- emu_client()
  q <- paste("select case when g = 90000 then -2147483648 else g end::int4 as i",
             "from generate_series(1, 100000) g")
  df <- carto_sql(q, client = cl)
  expect_type(df$i, "double")
  expect_identical(df$i[c(1, 89999, 90000, 100000)], c(1, 89999, -2147483648, 100000))
  df <- carto_sql("select g::int4 as i from generate_series(1, 100000) g", client = cl)
  expect_identical(df$i, 1:100000)
})

test_that("dbSendQuery() + dbFetch(n) read chunks as they arrive; dbHasCompleted() at the end", {
  local_sandbox()
  con <- DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L,
                        max_body_size = 1024^2)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  res <- DBI::dbSendQuery(con, reader_query(25000))
  info <- DBI::dbColumnInfo(res) # before any row is fetched
  expect_identical(info$name, c("i", "f", "t", "b", "ts"))
  expect_identical(info$type, c("integer", "numeric", "character", "logical", "POSIXct"))
  empty <- DBI::dbFetch(res, n = 0)
  expect_identical(nrow(empty), 0L)
  expect_identical(names(empty), info$name)
  expect_false(DBI::dbHasCompleted(res))
  from <- 1
  while (!DBI::dbHasCompleted(res)) {
    chunk <- DBI::dbFetch(res, n = 10000)
    expect_reader_rows(chunk, from, min(from + 9999, 25000))
    from <- from + nrow(chunk)
    expect_equal(DBI::dbGetRowCount(res), from - 1)
  }
  expect_identical(from, 25001)
  expect_identical(nrow(DBI::dbFetch(res)), 0L)
  DBI::dbClearResult(res)

  # fetching exactly the rows there are completes the result
  res <- DBI::dbSendQuery(con, "select g from generate_series(1, 5) g")
  expect_identical(DBI::dbFetch(res, n = 5)$g, 1:5)
  expect_true(DBI::dbHasCompleted(res))
  DBI::dbClearResult(res)

  # the rest at once
  res <- DBI::dbSendQuery(con, reader_query(30000))
  expect_reader_rows(DBI::dbFetch(res, n = 3), 1, 3)
  expect_reader_rows(DBI::dbFetch(res), 4, 30000)
  expect_true(DBI::dbHasCompleted(res))
  DBI::dbClearResult(res)
})

test_that("an error after rows were sent fails the fetch; it is never a shorter result", {
  local_sandbox()
  con <- DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  q <- paste("select g, repeat('y', 200) as pad, 1 / (50000 - g) as boom",
             "from generate_series(1, 80000) g")
  res <- DBI::dbSendQuery(con, q)
  fetched <- fetch_until_error(res, 5000)
  rows <- fetched$rows
  e <- fetched$error
  expect_s3_class(e, "carto_error_query_failed")
  expect_match(conditionMessage(e), "division by zero")
  expect_lt(rows, 50000)
  expect_s3_class(catch_condition(DBI::dbFetch(res, n = 5000)), "carto_error_query_failed")
  DBI::dbClearResult(res)

  e <- catch_condition(carto_sql(q, client = emu_client()))
  expect_s3_class(e, "carto_error_query_failed")
  expect_match(conditionMessage(e), "division by zero")
})

test_that("clearing a result between chunks stops the query; the connection goes on", {
  local_sandbox()
  con <- DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  res <- DBI::dbSendQuery(con, "select g, repeat('p', 100) as pad from generate_series(1, 10000000) g")
  expect_identical(DBI::dbFetch(res, n = 10)$g, 1:10)
  started <- Sys.time()
  DBI::dbClearResult(res)
  expect_identical(DBI::dbGetQuery(con, "select 2 as two")$two, 2L)
  # the 10 million rows were not read to their end
  expect_lt(as.numeric(difftime(Sys.time(), started, units = "secs")), 30)
})

test_that("carto_sql()'s progress function sees the answer arrive and can cancel it", {
  local_sandbox()
  cl <- emu_client()
  seen <- 0
  e <- catch_condition(carto_sql(
    "select g, repeat('p', 100) as pad from generate_series(1, 10000000) g", client = cl,
    progress = function(u, ut, d, dt) {
      seen <<- d
      d < 2 * 1024^2
    }))
  expect_s3_class(e, "carto_error_cancelled")
  expect_gte(seen, 2 * 1024^2)
  expect_identical(carto_sql("select 1 as one", client = cl)$one, 1L)
})

test_that("a refused query keeps the server's answer in the condition", {
  local_sandbox()
  con <- DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  e <- catch_condition(DBI::dbSendQuery(con, "select * from no_such_table_reader"))
  expect_s3_class(e, "carto_error_client_error")
  expect_identical(e$http_status, 400L)
  expect_match(e$server_message, "no_such_table_reader")
})

test_that("a server that stops sending times out", {
  local_sandbox()
  con <- DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L, idle_timeout = 20)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  # The next SQL API answer (~6 MB, more than the reader reads ahead): its first 4.5 MiB,
  # then nothing for a minute.
  fault <- jsonlite::toJSON(list(path_prefix = "/user/demo/api/v2/sql", count = 1L,
                                 drip = list(chunk_bytes = 4608L * 1024L, interval_ms = 60000L)),
                            auto_unbox = TRUE)
  armed <- system2("curl", c("-sf", "-o", "/dev/null", "-X", "POST",
                             "-H", shQuote(paste("Authorization: Bearer", emu_admin_token())),
                             "-H", shQuote("Content-Type: application/json"),
                             "--data", shQuote(fault),
                             shQuote(paste0(emu_root(), "/_emulator/faults"))))
  expect_identical(armed, 0L)
  res <- DBI::dbSendQuery(con, reader_query(25000, pad = 200))
  fetched <- fetch_until_error(res, 2000)
  rows <- fetched$rows
  e <- fetched$error
  expect_s3_class(e, "carto_error_timeout")
  expect_gt(rows, 0)
  expect_lt(rows, 25000)
  DBI::dbClearResult(res)
})
