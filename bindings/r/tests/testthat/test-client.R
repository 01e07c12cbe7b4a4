# carto_client objects: options, printing without the key, freeing, finalizers, saved
# sessions, and the cached default client of the request functions.

test_that("carto_client() takes CARTOframes-like options and prints them without the key", {
  local_sandbox()
  cl <- carto_client(emu_creds(), timeout = 60, connect_timeout = 2.5, idle_timeout = 30,
                     key_transport = "query", retries = 1, retry_wait = 5,
                     user_agent = "r-tests/1.0")
  expect_s3_class(cl, "carto_client")
  out <- capture.output(print(cl))
  expect_match(out[[1]], "^<carto_client> Credentials\\(username='demo', api_key='demo\u2026'")
  expect_true(any(grepl("key transport: query", out, fixed = TRUE)))
  expect_true(any(grepl("connect 2.5 s, overall 60 s, idle 30 s", out, fixed = TRUE)))
  expect_true(any(grepl("retries: 1 (waiting at most 5 s)", out, fixed = TRUE)))
  expect_true(any(grepl("r-tests/1.0", out, fixed = TRUE)))
  expect_true(any(grepl("credentials from: given by the caller", out, fixed = TRUE)))
  expect_no_emulator_key(out)
  expect_no_emulator_key(capture.output(cl))
  expect_no_emulator_key(format(cl))
  expect_no_emulator_key(capture.output(str(cl)))
  expect_no_emulator_key(as.character(cl))
  expect_no_emulator_key(toString(cl))
  expect_no_emulator_key(capture.output(print(unclass(cl))))
  expect_no_emulator_key(capture.output(dput(cl)))
  expect_identical(cl$options$key_transport, "query")
  expect_identical(cl$options$retries, 1L)
  expect_true(cl$credentials == emu_creds())
  expect_identical(carto_sql("select 1 as one", client = cl)$one, 1L)
  expect_s3_class(catch_condition(cl$nope), "carto_error_invalid_argument")
  expect_true(all(c("credentials", "options") %in% utils:::.DollarNames(cl, "")))

  # an unlimited overall timeout
  expect_match(format(carto_client(emu_creds(), timeout = Inf)), "overall none", all = FALSE)
})

test_that("carto_client() refuses bad options", {
  local_sandbox()
  creds <- emu_creds()
  for (call in list(
    quote(carto_client(creds, timeout = -1)),
    quote(carto_client(creds, timeout = "10")),
    quote(carto_client(creds, connect_timeout = 0)),
    quote(carto_client(creds, connect_timeout = Inf)),
    quote(carto_client(creds, idle_timeout = NA)),
    quote(carto_client(creds, retries = -1)),
    quote(carto_client(creds, retries = 1.5)),
    quote(carto_client(creds, key_transport = "header")),
    quote(carto_client(creds, trust = "ca_bundle")),
    quote(carto_client(creds, trust = "system", ca_bundle = "/tmp/ca.pem")),
    quote(carto_client(creds, user_agent = c("a", "b"))),
    quote(carto_client(creds, user_agent = "bad\nagent")),
    quote(carto_client(creds, proxy_from_env = NA)),
    quote(carto_client("demo"))
  )) {
    expect_s3_class(catch_condition(eval(call)), "carto_error_invalid_argument")
  }
  expect_s3_class(carto_client(creds, trust = "system"), "carto_client")
})

test_that("carto_client() without credentials resolves them now, like the library", {
  local_sandbox()
  expect_s3_class(catch_condition(carto_client()), "carto_error_not_resolved")
  set_env(CARTO_BASE_URL = emu_base_url(), CARTO_API_KEY = emu_key("master"),
          CARTO_ALLOW_NON_SECURE = "1")
  cl <- carto_client()
  expect_match(format(cl)[[2]], "environment")
  Sys.unsetenv(c("CARTO_BASE_URL", "CARTO_API_KEY"))
  # the client keeps its own copy
  expect_identical(carto_me(client = cl)$username, "demo")
})

test_that("clients are freed by carto_free() and by the garbage collector", {
  local_sandbox()
  invisible(gc())
  baseline <- carto_handle_count()
  creds <- emu_creds()
  many <- lapply(seq_len(200), function(i) carto_client(creds))
  expect_identical(carto_handle_count(), baseline + 1 + 200)
  rm(many)
  invisible(gc())
  expect_identical(carto_handle_count(), baseline + 1)

  cl <- carto_client(creds)
  expect_invisible(carto_free(cl))
  expect_null(carto_free(cl))
  expect_identical(carto_handle_count(), baseline + 1)
  e <- catch_condition(carto_sql("select 1", client = cl))
  expect_s3_class(e, "carto_error_invalid_handle")
  expect_match(conditionMessage(e), "no longer usable")
  expect_match(format(cl), "no longer usable")
  expect_output(print(cl), "no longer usable")

  # requests and responses never outlive the call that made them, whatever happened
  cl <- carto_client(creds, retries = 0)
  before <- carto_handle_count()
  for (i in 1:20) carto_sql("select 1", client = cl)
  for (i in 1:5) catch_condition(carto_sql("selct 1", client = cl))
  catch_condition(carto_copyto("COPY (SELECT 1) TO STDOUT", tempfile(), client = cl,
                               progress = function(...) stop("x")))
  carto_request("GET", "api/v3/me", client = cl, as = "json")
  expect_identical(carto_handle_count(), before)
  rm(cl, creds)
  invisible(gc())
  expect_identical(carto_handle_count(), baseline)
})

test_that("a client restored from a saved session is an error to use, never a crash", {
  local_sandbox()
  cl <- carto_client(emu_creds())
  restored <- unserialize(serialize(cl, NULL))
  expect_s3_class(restored, "carto_client")
  expect_match(format(restored), "no longer usable")
  for (call in list(
    quote(carto_sql("select 1", client = restored)),
    quote(carto_request("GET", "api/v3/me", client = restored)),
    quote(carto_me(client = restored)),
    quote(carto_validate_key(client = restored)),
    quote(carto_copyto("COPY (SELECT 1) TO STDOUT", tempfile(), client = restored)),
    quote(restored$credentials)
  )) {
    expect_s3_class(catch_condition(eval(call)), "carto_error_invalid_handle")
  }
  expect_null(carto_free(restored))
  expect_identical(carto_sql("select 1 as one", client = cl)$one, 1L) # the original works

  rds <- tempfile(fileext = ".rds")
  on.exit(unlink(rds), add = TRUE)
  saveRDS(cl, rds)
  run <- run_fresh_r(c(
    "library(cartoauth)",
    sprintf("x <- readRDS(%s)", deparse(rds)),
    "print(x)",
    "r <- tryCatch(carto_sql('select 1', client = x), carto_error = function(e) e)",
    "cat('class:', class(r)[1], '\\n')",
    "invisible(gc())",
    "cat('done\\n')"
  ))
  expect_identical(run$status, 0L)
  expect_true("class: carto_error_invalid_handle " %in% run$output)
  expect_true("done" %in% run$output)
  expect_no_emulator_key(run$output)
})

test_that("without a client, one cached client per credentials is reused", {
  local_sandbox()
  cache <- cartoauth:::.client_cache
  creds <- emu_creds()
  carto_sql("select 1", credentials = creds)
  first <- cache$entry$client
  expect_s3_class(first, "carto_client")
  carto_sql("select 1", credentials = emu_creds()) # equal credentials, another object
  expect_identical(cache$entry$client, first)
  invisible(gc())
  count <- carto_handle_count()
  for (i in 1:10) carto_sql("select 1", credentials = creds)
  invisible(gc())
  expect_identical(carto_handle_count(), count) # no handle left per call

  # other credentials: a new client replaces (and frees) the cached one
  carto_sql("select 1", credentials = emu_creds("demo_regular"))
  expect_false(identical(cache$entry$client, first))
  expect_match(format(first), "no longer usable")
  # carto_free() on the caller's credentials does not affect the cache
  carto_free(creds)
  expect_identical(carto_sql("select 5 as five", credentials = emu_creds("demo_regular"))$five, 5L)

  # changing or removing the default credentials forgets the cached client
  set_default_credentials(emu_base_url(), emu_key("master"), allow_non_secure = TRUE)
  expect_null(cache$entry)
  carto_sql("select 1")
  expect_s3_class(cache$entry$client, "carto_client")
  invisible(gc())
  count <- carto_handle_count()
  unset_default_credentials()
  expect_null(cache$entry)
  expect_identical(carto_handle_count(), count - 2) # the client and its credentials
})

test_that("credentials without a username: the default client sends the key as api_key", {
  local_sandbox()
  creds <- carto_credentials(base_url = emu_root(), api_key = "no-user-key-0123456789",
                             allow_non_secure = TRUE)
  expect_null(creds$username)
  # Basic authentication needs a username: an explicit client must choose the query transport
  e <- catch_condition(carto_client(creds))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "query key transport")
  expect_s3_class(carto_client(creds, key_transport = "query"), "carto_client")
  # the request is sent (the emulator has no account at its root: 404), not refused
  e <- catch_condition(carto_sql("select 1", credentials = creds))
  expect_s3_class(e, "carto_error_not_found")
  expect_identical(cartoauth:::.client_cache$entry$client$options$key_transport, "query")
  expect_false(grepl("no-user-key", conditionMessage(e), fixed = TRUE))
})
