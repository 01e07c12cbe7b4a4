# carto_sql() against carto-emulator: formats, parameters, GET and POST, and the issue's
# "done means": set_default_credentials(...) then carto_sql("select 1").

test_that("json answers are data frames with CARTO's fields, total_rows and time", {
  local_sandbox()
  df <- carto_sql("select cartodb_id, name, score, active from points_public order by 1",
                  credentials = emu_creds())
  expect_s3_class(df, "data.frame")
  expect_identical(names(df), c("cartodb_id", "name", "score", "active"))
  expect_identical(df$name, c("Madrid", "Paris", "Berlin"))
  expect_equal(df$cartodb_id, 1:3)
  expect_type(df$score, "double")
  expect_type(df$active, "logical")
  expect_identical(attr(df, "total_rows"), 3L)
  expect_true(is.numeric(attr(df, "time")))
  fields <- attr(df, "fields")
  expect_identical(names(fields), names(df))
  expect_identical(fields$name$type, "string")
  expect_identical(fields$cartodb_id$type, "number")
  expect_identical(fields$active$type, "boolean")
})

test_that("an empty answer keeps its typed columns; a statement gives no columns", {
  local_sandbox()
  cl <- emu_client()
  df <- carto_sql("select name, score, active from points_public where false", client = cl)
  expect_identical(nrow(df), 0L)
  expect_identical(names(df), c("name", "score", "active"))
  expect_type(df$name, "character")
  expect_type(df$score, "double")
  expect_type(df$active, "logical")
  expect_identical(attr(df, "total_rows"), 0L)
  # NULL values are NA
  df <- carto_sql("select null::text as t, null::float8 as x, 1 as n", client = cl)
  expect_true(is.na(df$t))
  expect_true(is.na(df$x))
})

test_that("geojson is a parsed list, csv is text, other formats are raw bytes", {
  local_sandbox()
  cl <- emu_client()
  g <- carto_sql("select cartodb_id, the_geom from points_public order by 1", "geojson",
                 client = cl)
  expect_type(g, "list")
  expect_identical(g$type, "FeatureCollection")
  expect_length(g$features, 3L)
  expect_identical(g$features[[1]]$geometry$type, "Point")
  expect_length(g$features[[1]]$geometry$coordinates, 2L)

  csv <- carto_sql("select cartodb_id, name from points_public order by 1", format = "csv",
                   client = cl)
  expect_type(csv, "character")
  expect_length(csv, 1L)
  expect_identical(read.csv(text = csv)$name, c("Madrid", "Paris", "Berlin"))

  # other formats go to the server as they are (their answers are raw bytes); the emulator
  # implements only json, geojson and csv
  e <- catch_condition(carto_sql("select the_geom from points_public", format = "svg", client = cl))
  expect_s3_class(e, "carto_error_client_error")
  expect_identical(e$server_message, "Invalid format: svg")
})

test_that("optional parameters: rows_per_page and page, skipfields, dp, and any in ...", {
  local_sandbox()
  cl <- emu_client()
  q <- "select cartodb_id, name, the_geom from points_public order by cartodb_id"
  page <- carto_sql(q, client = cl, rows_per_page = 1, page = 1)
  expect_identical(page$name, "Paris")
  page <- carto_sql(q, client = cl, rows_per_page = 2, page = 0)
  expect_identical(page$name, c("Madrid", "Paris"))
  skipped <- carto_sql(q, client = cl, skipfields = c("the_geom", "name"))
  expect_identical(names(skipped), "cartodb_id")
  g <- carto_sql("select ST_SetSRID(ST_MakePoint(1.123456789, 2.987654321), 4326) as the_geom",
                 "geojson", client = cl, dp = 2)
  expect_equal(unlist(g$features[[1]]$geometry$coordinates), c(1.12, 2.99))
  # ... passes any other SQL API parameter by name
  same <- carto_sql(q, client = cl, rows_per_page = "1", page = "2")
  expect_identical(same$name, "Berlin")
  e <- catch_condition(carto_sql(q, "json", NULL, 5, client = cl))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "must be named")
})

test_that("a query of 1024 bytes or more goes by POST (form body) and works", {
  local_sandbox()
  long <- paste0("select 42 as answer", strrep(" ", 1500), "")
  expect_gt(nchar(long), 1024)
  df <- carto_sql(long, client = emu_client(), rows_per_page = 1)
  expect_identical(df$answer, 42L)
  log <- carto_request("GET", paste0(emu_root(), "/_emulator/requests"), client = emu_client(),
                       headers = list(`X-Emulator-Token` = emu_admin_token()), as = "json",
                       check = TRUE)
  # the admin API is on the root URL, not the account's: absolute URLs on the same origin
  # are allowed
  methods <- vapply(log$body, function(r) paste(r$method, r$path), "")
  expect_true("POST /user/demo/api/v2/sql" %in% methods)
})

test_that("the issue's done means: set_default_credentials() then carto_sql('select 1')", {
  local_sandbox()
  set_default_credentials(emu_base_url(), emu_key("master"), allow_non_secure = TRUE)
  df <- carto_sql("select 1")
  expect_identical(df[[1]], 1L)
  expect_identical(carto_me()$username, "demo")
  unset_default_credentials()
  expect_s3_class(catch_condition(carto_sql("select 1")), "carto_error_not_resolved")
})

test_that("credentials from the environment are used when nothing else is given", {
  local_sandbox()
  set_env(CARTO_BASE_URL = emu_base_url(), CARTO_API_KEY = emu_key("master"),
          CARTO_ALLOW_NON_SECURE = "true")
  expect_identical(carto_sql("select count(*) as n from points_private")$n, 2) # int8: double
  # the regular key may not read points_private
  set_env(CARTO_API_KEY = emu_key("demo_regular"))
  expect_s3_class(catch_condition(carto_sql("select * from points_private")),
                  "carto_error_forbidden")
})

test_that("a fresh R session: set_default_credentials() and carto_sql() print no key", {
  local_sandbox()
  run <- run_fresh_r(c(
    "library(cartoauth)",
    sprintf("invisible(set_default_credentials(%s, Sys.getenv('R_TEST_CARTO_KEY'), allow_non_secure = TRUE))",
            deparse(emu_base_url())),
    "print(carto_sql('select 1 as one'))",
    "print(get_default_credentials())",
    "print(carto_client())",
    "cat('done\\n')"
  ), env = c(R_TEST_CARTO_KEY = emu_key("master")))
  expect_identical(run$status, 0L)
  expect_true("done" %in% run$output)
  expect_true(any(grepl("^1 +1$", run$output)))
  expect_no_emulator_key(run$output)
})

test_that("a misspelt SQL API parameter is an error that lists the known ones", {
  local_sandbox()
  e <- catch_condition(carto_sql("select 1", credentials = emu_creds(), row_per_page = 1))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "'row_per_page'", fixed = TRUE)
  expect_match(conditionMessage(e), "rows_per_page", fixed = TRUE)
  # the known extra ones still pass through
  df <- carto_sql("select 1 as a", credentials = emu_creds(), cache_policy = "persist")
  expect_equal(df$a, 1)
})
