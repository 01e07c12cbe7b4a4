# carto_sql()'s typed columns (built in C from libcartoauth's result set) against
# carto-emulator: every pgtype the server produces, NULL-only and empty answers, int8 extremes,
# NaN/Infinity, time zones, dates before 1970, geometries, statements without rows.

test_that("each pgtype gets its R type", {
  local_sandbox()
  df <- carto_sql(paste(
    "select 1::int2 a_int2, (-2147483647)::int4 a_int4, 9007199254740993::int8 a_int8,",
    "1.5::float4 a_float4, 'NaN'::float8 a_nan, '-Infinity'::numeric a_minus_inf,",
    "0.1::numeric a_numeric, true a_bool, 'x'::text a_text, 'v'::varchar a_varchar,",
    "'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid a_uuid,",
    "'2020-06-01 12:00:00+02'::timestamptz a_tstz, '1969-12-31 23:59:59.5'::timestamp a_ts,",
    "'1900-01-01'::date a_date, 'infinity'::timestamptz a_inf_ts, '{\"k\": 1}'::json a_json,",
    "array[1, 2] a_array, ST_SetSRID(ST_MakePoint(1, 2), 4326) a_point,",
    "ST_GeomFromText('MULTIPOINT((1 2), (3 4))', 3857) a_multi, 'MULTIPOINT EMPTY'::geometry a_empty"
  ), credentials = emu_creds())
  expect_identical(nrow(df), 1L)
  expect_identical(df$a_int2, 1L)
  expect_identical(df$a_int4, -2147483647L)
  expect_type(df$a_int8, "double")
  expect_identical(df$a_int8, 9007199254740992) # as a double: rounded beyond 2^53
  expect_identical(df$a_float4, 1.5)
  expect_true(is.nan(df$a_nan))
  expect_identical(df$a_minus_inf, -Inf)
  expect_identical(df$a_numeric, 0.1)
  expect_identical(df$a_bool, TRUE)
  expect_identical(df$a_text, "x")
  expect_identical(df$a_varchar, "v")
  expect_identical(df$a_uuid, "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11")
  expect_s3_class(df$a_tstz, "POSIXct")
  expect_identical(attr(df$a_tstz, "tzone"), "UTC")
  expect_identical(format(df$a_tstz, "%Y-%m-%d %H:%M:%S"), "2020-06-01 10:00:00")
  expect_equal(as.numeric(df$a_ts), -0.5)
  expect_identical(df$a_date, as.Date("1900-01-01"))
  expect_identical(as.numeric(df$a_inf_ts), Inf)
  expect_identical(df$a_json, "{\"k\":1}")
  expect_identical(df$a_array, list(c(1L, 2L)))
  expect_s3_class(df$a_point, "wk_wkb")
  expect_identical(wk::wk_crs(df$a_point), "EPSG:4326")
  expect_identical(as.character(wk::as_wkt(df$a_point)), "POINT (1 2)")
  expect_identical(as.character(wk::as_wkt(df$a_multi)), "MULTIPOINT ((1 2), (3 4))")
  expect_identical(as.character(wk::as_wkt(df$a_empty)), "MULTIPOINT EMPTY")
  fields <- attr(df, "fields")
  expect_identical(fields$a_int8, list(type = "number", pgtype = "int8"))
  # An expression has no SRID in its type (CARTO says -1); the CRS comes from the cells.
  expect_identical(fields$a_point$srid, -1L)
  expect_identical(wk::wk_crs(df$a_multi), "EPSG:3857")
})

test_that("int8 as bit64::integer64 is exact, extremes included", {
  local_sandbox()
  df <- carto_sql(paste(
    "select v from (values ((-9223372036854775807)::int8), (9223372036854775807),",
    "(9007199254740993), (null)) t(v)"
  ), credentials = emu_creds(), int64 = TRUE)
  expect_s3_class(df$v, "integer64")
  expect_identical(as.character(df$v),
                   c("-9223372036854775807", "9223372036854775807", "9007199254740993", NA))
})

test_that("NULL-only and empty answers keep typed columns", {
  local_sandbox()
  cl <- emu_client()
  df <- carto_sql(paste(
    "select null::int4 i, null::int8 b, null::float8 f, null::bool l, null::text t,",
    "null::timestamptz ts, null::date d, null::geometry g from generate_series(1, 2)"
  ), client = cl)
  expect_identical(df$i, c(NA_integer_, NA_integer_))
  expect_identical(df$b, c(NA_real_, NA_real_))
  expect_identical(df$l, c(NA, NA))
  expect_identical(df$t, c(NA_character_, NA_character_))
  expect_s3_class(df$ts, "POSIXct")
  expect_true(all(is.na(df$ts)))
  expect_s3_class(df$d, "Date")
  expect_s3_class(df$g, "wk_wkb")
  expect_true(all(is.na(df$g)))
  empty <- carto_sql("select 1::int4 i, now() ts, current_date d, 'x'::text t where false",
                     client = cl)
  expect_identical(nrow(empty), 0L)
  expect_identical(empty$i, integer())
  expect_s3_class(empty$ts, "POSIXct")
  expect_s3_class(empty$d, "Date")
  expect_identical(empty$t, character())
})

test_that("sf = TRUE gives an sf data frame", {
  local_sandbox()
  df <- carto_sql("select cartodb_id, the_geom from points_public order by 1",
                  credentials = emu_creds(), sf = TRUE)
  expect_s3_class(df, "sf")
  expect_identical(sf::st_crs(df)$epsg, 4326L)
  expect_equal(sf::st_coordinates(df)[1, ], c(X = -3.7038, Y = 40.4168))
  e <- catch_condition(carto_sql("select 1 a", credentials = emu_creds(), sf = TRUE))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "no geometry column|has none")
})

test_that("statements without rows return the rows affected, invisibly", {
  local_sandbox()
  cl <- emu_client()
  expect_invisible(n <- carto_sql(
    "update points_private set name = name where cartodb_id <= 2", client = cl))
  expect_identical(n, 2L)
  e <- catch_condition(carto_sql("select 1", client = cl, int64 = "yes"))
  expect_s3_class(e, "carto_error_invalid_argument")
})

test_that("time, bytea, interval and arrays are typed, and carto_sql() and dbGetQuery() agree", {
  local_sandbox()
  sql <- paste(
    "select '12:34:56.5'::time tm, '\\x00ff10'::bytea b, null::bytea b_null,",
    "'1 year 2 mons 3 days 04:05:06.5'::interval iv, '-1 hours'::interval iv_neg,",
    "'0'::interval iv_zero, array[1, null, 3]::int4[] a_int, array[1.5, 2]::float8[] a_dbl,",
    "array[9007199254740993]::int8[] a_int8, array[true, false] a_bool,",
    "array['x', null, 'it''s']::text[] a_text, '{}'::int4[] a_empty, null::int4[] a_null,",
    "array[[1, 2], [3, 4]] a_2d, array['2020-01-02'::date] a_date,",
    "array['2020-01-02 03:04:05+00'::timestamptz] a_ts, array['{\"k\": [1]}'::json] a_json"
  )
  df <- carto_sql(sql, credentials = emu_creds())
  expect_s3_class(df$tm, "hms")
  expect_equal(as.numeric(df$tm), 12 * 3600 + 34 * 60 + 56.5)
  expect_s3_class(df$b, "blob")
  expect_identical(df$b[[1L]], as.raw(c(0, 255, 16)))
  expect_null(df$b_null[[1L]])
  expect_s3_class(df$iv, "difftime")
  # as PostgreSQL's extract(epoch from interval): a year is 365.25 days, a month 30
  expect_equal(as.numeric(df$iv, units = "secs"),
               365.25 * 86400 + 2 * 30 * 86400 + 3 * 86400 + 4 * 3600 + 5 * 60 + 6.5)
  expect_equal(as.numeric(df$iv_neg, units = "secs"), -3600)
  expect_equal(as.numeric(df$iv_zero, units = "secs"), 0)
  expect_identical(df$a_int, list(c(1L, NA, 3L)))
  expect_identical(df$a_dbl, list(c(1.5, 2)))
  expect_identical(df$a_int8, list(9007199254740992))
  expect_identical(df$a_bool, list(c(TRUE, FALSE)))
  expect_identical(df$a_text, list(c("x", NA, "it's")))
  expect_identical(df$a_empty, list(integer()))
  expect_identical(df$a_null, list(NULL))
  expect_identical(df$a_2d, list(list(1:2, 3:4)))
  expect_identical(df$a_date, list(as.Date("2020-01-02")))
  expect_identical(df$a_ts, list(as.POSIXct("2020-01-02 03:04:05", tz = "UTC")))
  expect_identical(df$a_json, list("{\"k\":[1]}"))

  con <- DBI::dbConnect(carto(), credentials = emu_creds())
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  attributes(df)[c("fields", "total_rows", "time")] <- NULL
  expect_identical(DBI::dbGetQuery(con, sql), df)
})

test_that("columns the SQL API collapses into one are a warning", {
  local_sandbox()
  cl <- emu_client()
  collapsed <- function(sql) {
    w <- NULL
    df <- withCallingHandlers(carto_sql(sql, client = cl), carto_warning_collapsed_columns =
                                function(c) { w <<- c; invokeRestart("muffleWarning") })
    list(df = df, warning = w)
  }
  got <- collapsed("select 1 as a, 2 as a, 3, 4")
  expect_identical(names(got$df), c("a", "?column?"))
  expect_s3_class(got$warning, "carto_warning")
  expect_match(conditionMessage(got$warning), "selects 4 columns, but the answer has 2", fixed = TRUE)
  expect_match(conditionMessage(got$warning), "AS name", fixed = TRUE)
  # a * over a join: PostgreSQL's own description of the columns says which came twice
  got <- collapsed("select * from points_public a join points_public b using (cartodb_id)")
  expect_match(conditionMessage(got$warning), "'name'", fixed = TRUE)
  got <- collapsed("select * from (select 1 as x, 2 as x) q")
  expect_match(conditionMessage(got$warning), "selects 2 columns, but the answer has 1 ('x'", fixed = TRUE)
  # and through DBI
  con <- DBI::dbConnect(carto(), client = cl)
  expect_warning(DBI::dbGetQuery(con, "select 1, 2"), class = "carto_warning_collapsed_columns")
  # no warning when nothing was lost, nor for text that only looks like columns
  for (sql in c("select 1 as a, 2 as b", "select * from points_public",
                "select count(*), 'a, b' as \"x, y\" from points_public",
                "select f.* from points_public f",
                "select array[1, 2] as a, (select 1) as b, coalesce(1, 2) as c")) {
    expect_null(collapsed(sql)$warning, label = sql)
  }
})
