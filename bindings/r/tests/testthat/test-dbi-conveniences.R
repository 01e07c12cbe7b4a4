# DBI as RPostgres users expect it: a wrong key noticed at connect, tables listed for every
# kind of key, dbplyr's copy_to()/compute() with their defaults, no argument dropped
# silently, the connection usable where a client is, and a body limit R users can raise.

emu_con <- function(key = "master", ...) {
  DBI::dbConnect(carto(), credentials = emu_creds(key), retries = 0L, ...)
}

test_that("a wrong key is an error of dbConnect(), and dbCanConnect() is FALSE", {
  local_sandbox()
  wrong <- carto_credentials(base_url = emu_base_url(), api_key = "not-a-key-of-this-account",
                             allow_non_secure = TRUE)
  e <- catch_condition(DBI::dbConnect(carto(), credentials = wrong, retries = 0L))
  expect_s3_class(e, "carto_error_unauthorized")
  expect_false(DBI::dbCanConnect(carto(), credentials = wrong, retries = 0L))
  expect_true(DBI::dbCanConnect(carto(), credentials = emu_creds(), retries = 0L))
  nobody <- carto_credentials(base_url = paste0(emu_root(), "/user/nobody"),
                              allow_non_secure = TRUE)
  expect_false(DBI::dbCanConnect(carto(), credentials = nobody, retries = 0L))
  # a client given by the caller stays the caller's, also when the check fails
  cl <- carto_client(wrong, retries = 0L)
  on.exit(carto_free(cl), add = TRUE)
  expect_s3_class(catch_condition(DBI::dbConnect(carto(), client = cl)), "carto_error_unauthorized")
  expect_true(cartoauth:::.client_live(cl))
})

test_that("dbListTables() and dbListObjects() work for regular and public keys", {
  local_sandbox()
  for (key in c("master", "regular", "default")) {
    con <- emu_con(key)
    tables <- DBI::dbListTables(con)
    expect_true("points_public" %in% tables, label = key)
    expect_identical("points_private" %in% tables, key == "master", label = key)
    objects <- DBI::dbListObjects(con)
    expect_true(any(objects$is_prefix), label = key)
    expect_true(all(vapply(objects$table[!objects$is_prefix], function(id) id@name[["table"]], "")
                    %in% tables), label = key)
    expect_true(DBI::dbExistsTable(con, "points_public"), label = key)
    DBI::dbDisconnect(con)
  }
})

test_that("dbplyr's copy_to() and compute() work with their defaults", {
  skip_if_not_installed("dbplyr")
  local_sandbox()
  con <- emu_con()
  on.exit(if (DBI::dbIsValid(con)) DBI::dbDisconnect(con), add = TRUE)
  df <- data.frame(id = 1:3, name = c("a", "b", "c"))
  remote <- dplyr::copy_to(con, df, "copy_to_default")
  expect_identical(dplyr::collect(dplyr::arrange(remote, id))$name, c("a", "b", "c"))
  computed <- dplyr::compute(dplyr::filter(remote, id > 1L))
  expect_identical(nrow(dplyr::collect(computed)), 2L)
  kept <- dplyr::copy_to(con, df, "copy_to_kept", temporary = FALSE)
  # "temporary" tables last as long as the connection
  other <- emu_con()
  on.exit(DBI::dbDisconnect(other), add = TRUE)
  expect_true(DBI::dbExistsTable(other, "copy_to_default"))
  DBI::dbDisconnect(con)
  expect_false(DBI::dbExistsTable(other, "copy_to_default"))
  expect_true(DBI::dbExistsTable(other, "copy_to_kept"))
  DBI::dbRemoveTable(other, "copy_to_kept")
  # dbBegin() is still an error: nothing pretends to be a transaction
  expect_s3_class(catch_condition(DBI::dbBegin(other)), "carto_error_invalid_argument")
})

test_that("a new table that cannot be filled is not left behind", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  e <- catch_condition(DBI::dbWriteTable(con, "half_written", data.frame(a = c("1", "x")),
                                         field.types = c(a = "integer")))
  expect_s3_class(e, "carto_error")
  expect_false(DBI::dbExistsTable(con, "half_written"))
})

test_that("unknown arguments are errors; sf and progress work", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  e <- catch_condition(DBI::dbGetQuery(con, "select 1 as a", sff = TRUE))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "'sff'", fixed = TRUE)
  expect_match(conditionMessage(e), "sf", fixed = TRUE)
  for (call in list(
    quote(DBI::dbExecute(con, "select 1", bogus = 1)),
    quote(DBI::dbSendQuery(con, "select 1", 2)),
    quote(DBI::dbWriteTable(con, "never_written", data.frame(a = 1), progres = TRUE)),
    quote(DBI::dbAppendTable(con, "points_writable", data.frame(name = "x"), bogus = 1)),
    quote(DBI::dbCreateTable(con, "never_created", c(a = "int"), bogus = 1)),
    quote(DBI::dbReadTable(con, "points_public", bogus = 1)),
    quote(DBI::dbListTables(con, bogus = 1))
  )) {
    expect_s3_class(catch_condition(eval(call)), "carto_error_invalid_argument")
  }
  expect_false(DBI::dbExistsTable(con, "never_written"))
  expect_false(DBI::dbExistsTable(con, "never_created"))
  res <- DBI::dbSendQuery(con, "select 1 as a")
  expect_s3_class(catch_condition(DBI::dbFetch(res, m = 1)), "carto_error_invalid_argument")
  DBI::dbClearResult(res)
  expect_identical(DBI::dbGetQuery(con, "select 1 as a", immediate = TRUE)$a, 1L)

  skip_if_not_installed("sf")
  df <- DBI::dbGetQuery(con, "select name, the_geom from points_public order by cartodb_id",
                        sf = TRUE)
  expect_s3_class(df, "sf")
  expect_identical(sf::st_crs(df)$epsg, 4326L)
  expect_identical(df$name, c("Madrid", "Paris", "Berlin"))
  table <- DBI::dbReadTable(con, "points_public", sf = TRUE)
  expect_s3_class(table, "sf")
  expect_identical(attr(table, "sf_column"), "the_geom")

  calls <- 0L
  DBI::dbWriteTable(con, "progress_written", data.frame(a = 1:100), overwrite = TRUE,
                    progress = function(up, up_total, down, down_total) {
                      calls <<- calls + 1L
                      TRUE
                    })
  on.exit(DBI::dbRemoveTable(con, "progress_written"), add = TRUE, after = FALSE)
  expect_gt(calls, 0L)
  calls <- 0L
  DBI::dbAppendTable(con, "progress_written", data.frame(a = 1:10),
                     progress = function(...) { calls <<- calls + 1L; TRUE })
  expect_gt(calls, 0L)
  expect_identical(DBI::dbGetQuery(con, "select count(*)::int4 as n from progress_written")$n, 110L)
})

test_that("a connection is accepted where a client is", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  df <- carto_sql("select name from points_public order by cartodb_id", client = con)
  expect_identical(df$name, c("Madrid", "Paris", "Berlin"))
  file <- tempfile(fileext = ".csv")
  on.exit(unlink(file), add = TRUE)
  carto_copyto("COPY (SELECT name FROM points_public ORDER BY cartodb_id) TO STDOUT WITH (FORMAT csv)",
               file, client = con, progress = FALSE)
  expect_identical(readLines(file), c("Madrid", "Paris", "Berlin"))
  expect_identical(carto_me(client = con)$username, "demo")
  skip_if_not_installed("sf")
  expect_s3_class(carto_sql("select the_geom from points_public", client = con, sf = TRUE), "sf")
})

test_that("the body limit can be raised from R, and its message says how", {
  local_sandbox()
  sql <- "select repeat('x', 4000) as big from generate_series(1, 10)"
  small <- emu_client(max_body_size = 10000)
  on.exit(carto_free(small), add = TRUE)
  # JSON answers are read in chunks as they arrive, whatever their size; other formats are
  # kept whole
  expect_identical(nrow(carto_sql(sql, client = small)), 10L)
  e <- catch_condition(carto_sql(sql, format = "csv", client = small))
  expect_s3_class(e, "carto_error_body_too_large")
  expect_match(conditionMessage(e), "max_body_size = ", fixed = TRUE)
  expect_match(conditionMessage(e), "carto_copyto()", fixed = TRUE)
  expect_false(grepl("carto_request_set_response_writer|write_response_to", conditionMessage(e)))
  expect_identical(nrow(carto_sql(sql, client = emu_client(max_body_size = 1e6))), 10L)
  expect_identical(emu_client(max_body_size = Inf)$options$max_body_size, Inf)
  expect_s3_class(catch_condition(emu_client(max_body_size = 0)), "carto_error_invalid_argument")
  con <- emu_con(max_body_size = 10000)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  expect_identical(nrow(DBI::dbGetQuery(con, sql)), 10L) # DBI results are read as they arrive
})

test_that("rows are written exactly by the CSV writer (src/csv.c)", {
  local_sandbox()
  con <- emu_con()
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  on.exit(DBI::dbRemoveTable(con, "csv_exact", fail_if_missing = FALSE), add = TRUE, after = FALSE)
  latin1 <- iconv("caf\u00e9", "UTF-8", "latin1")
  df <- data.frame(
    t = c("a \"quoted\", text", "line\nbreak", "", NA, latin1),
    i = c(.Machine$integer.max, -.Machine$integer.max, 0L, NA, 7L),
    d = c(0.1, -1e-300, NaN, NA, Inf),
    l = c(TRUE, FALSE, NA, TRUE, FALSE),
    f = factor(c("x", "y", NA, "x", "y")),
    day = as.Date(c("2020-02-29", NA, "1900-01-01", "2000-01-01", "2038-01-19")),
    stringsAsFactors = FALSE
  )
  df$d[[5L]] <- -Inf
  suppressWarnings(DBI::dbWriteTable(con, "csv_exact", df))
  back <- DBI::dbGetQuery(con, "select * from csv_exact order by i nulls last")
  expected <- df[order(df$i, na.last = TRUE), ]
  rownames(expected) <- NULL
  expect_identical(back$t, enc2utf8(expected$t))
  expect_identical(back$i, expected$i)
  expect_identical(back$d, expected$d)
  expect_identical(back$l, expected$l)
  expect_identical(back$f, as.character(expected$f))
  expect_identical(back$day, expected$day)
  e <- catch_condition(.Call(cartoauth:::C_csv_write, list(1L), 1L, file.path(tempfile(), "no", "dir.csv")))
  expect_s3_class(e, "carto_error_io")
})
