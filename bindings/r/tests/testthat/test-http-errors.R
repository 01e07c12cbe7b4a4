# Every error class of the client against carto-emulator: HTTP statuses (real ones and
# faults injected into one request), transport failures, and the fields the conditions carry.

wrong_key <- "wrong-key-Zq9xR3DACTME7f3c1b2a9d8e7f6a"

test_that("401: a wrong key is carto_error_unauthorized, and the message never shows it", {
  local_sandbox()
  creds <- carto_credentials(base_url = emu_base_url(), api_key = wrong_key,
                             allow_non_secure = TRUE)
  e <- catch_condition(carto_sql("select 1", credentials = creds))
  expect_s3_class(e, "carto_error_unauthorized")
  expect_s3_class(e, "carto_error")
  expect_identical(e$status, 401L)
  expect_identical(e$status_name, "CARTO_ERR_HTTP_UNAUTHORIZED")
  expect_identical(e$http_status, 401L)
  expect_match(conditionMessage(e), "^HTTP 401")
  expect_false(grepl(wrong_key, conditionMessage(e), fixed = TRUE))
  expect_false(grepl("wrong-key", paste(capture.output(print(e)), collapse = "\n"), fixed = TRUE))
  expect_identical(deparse(conditionCall(e)[[1]]), "carto_sql")
  # the same with the key in the query string
  cl <- carto_client(creds, key_transport = "query", retries = 0)
  e <- catch_condition(carto_sql("select 1", client = cl))
  expect_s3_class(e, "carto_error_unauthorized")
  expect_false(grepl("wrong-key", conditionMessage(e), fixed = TRUE))
})

test_that("403: default_public on points_private is carto_error_forbidden with CARTO's message", {
  local_sandbox()
  e <- catch_condition(carto_sql("select * from points_private", credentials = emu_creds(NULL)))
  expect_s3_class(e, "carto_error_forbidden")
  expect_identical(e$status, 403L)
  expect_identical(e$http_status, 403L)
  expect_identical(e$server_message, "permission denied for table points_private")
  expect_match(conditionMessage(e), "permission denied for table points_private", fixed = TRUE)
  expect_s3_class(e$response, "carto_response")
  expect_identical(e$response$status, 403L)
  # the regular key too; the master key may
  e <- catch_condition(carto_sql("select * from points_private", credentials = emu_creds("demo_regular")))
  expect_s3_class(e, "carto_error_forbidden")
  expect_identical(nrow(carto_sql("select * from points_private", credentials = emu_creds())), 2L)
})

test_that("404: an unknown user is carto_error_not_found", {
  local_sandbox()
  creds <- carto_credentials(base_url = paste0(emu_root(), "/user/nobody"),
                             allow_non_secure = TRUE)
  e <- catch_condition(carto_sql("select 1", credentials = creds))
  expect_s3_class(e, "carto_error_not_found")
  expect_identical(e$http_status, 404L)
  e <- catch_condition(carto_me(credentials = creds))
  expect_s3_class(e, "carto_error_not_found")
})

test_that("400: a syntax error is carto_error_client_error with PostgreSQL's message", {
  local_sandbox()
  e <- catch_condition(carto_sql("selct 1", client = emu_client()))
  expect_s3_class(e, "carto_error_client_error")
  expect_identical(e$status, 400L)
  expect_identical(e$http_status, 400L)
  expect_match(e$server_message, "syntax error")
  expect_match(conditionMessage(e), "HTTP 400")
})

test_that("429, 500 and 503 injected into one request through carto_request() headers", {
  local_sandbox()
  cl <- emu_client()
  sql <- list(q = "select 1")

  # check = FALSE (the default): the answer comes back whatever its status
  r <- carto_request("GET", "api/v2/sql", query = sql, client = cl,
                     headers = fault_headers(status = 429, retry_after = 1))
  expect_s3_class(r, "carto_response")
  expect_identical(r$status, 429L)
  expect_equal(r$rate_limit[["retry_after"]], 1)
  expect_match(r$error_message, "limits")

  e <- catch_condition(carto_request("GET", "api/v2/sql", query = sql, client = cl, check = TRUE,
                                     headers = fault_headers(status = 429, retry_after = 1)))
  expect_s3_class(e, "carto_error_rate_limited")
  expect_identical(e$status, 429L)
  expect_identical(e$http_status, 429L)
  expect_identical(names(e$rate_limit), c("limit", "remaining", "reset", "retry_after"))
  expect_equal(e$rate_limit[["retry_after"]], 1)
  expect_match(conditionMessage(e), "retry after 1 s")

  for (status in c(500L, 503L)) {
    e <- catch_condition(carto_request("GET", "api/v2/sql", query = sql, client = cl,
                                       check = TRUE, headers = fault_headers(status = status)))
    expect_s3_class(e, "carto_error_server_error")
    expect_identical(e$status, 500L)
    expect_identical(e$http_status, status)
  }
  r <- carto_request("GET", "api/v2/sql", query = sql, client = cl,
                     headers = fault_headers(status = 503))
  expect_identical(r$status, 503L)
  expect_identical(r$attempts, 1L)
})

test_that("retries: a 429 with Retry-After is tried again, up to the client's retries", {
  local_sandbox()
  cl <- emu_client(retries = 1)
  r <- carto_request("GET", "api/v2/sql", query = list(q = "select 1"), client = cl,
                     headers = fault_headers(status = 429, retry_after = 1))
  expect_identical(r$status, 429L)
  expect_identical(r$attempts, 2L)
  expect_output(print(r), "attempts: 2")
})

test_that("timeouts, refused connections, bad TLS bundles and non-JSON answers", {
  local_sandbox()
  slow <- emu_client(timeout = 0.3)
  started <- proc.time()[["elapsed"]]
  e <- catch_condition(carto_request("GET", "api/v2/sql", query = list(q = "select 1"),
                                     client = slow, headers = fault_headers(delay_ms = 3000)))
  expect_s3_class(e, "carto_error_timeout")
  expect_identical(e$status, 600L)
  expect_lt(proc.time()[["elapsed"]] - started, 2.5)

  nowhere <- carto_credentials(base_url = "http://127.0.0.1:1/user/demo", allow_non_secure = TRUE)
  e <- catch_condition(carto_sql("select 1", credentials = nowhere))
  expect_s3_class(e, "carto_error_connection")

  e <- catch_condition(carto_client(emu_creds(), ca_bundle = "/no/such/ca.pem"))
  expect_s3_class(e, "carto_error_tls")
  expect_match(conditionMessage(e), "/no/such/ca.pem", fixed = TRUE)

  e <- catch_condition(carto_request("GET", "api/v2/sql", query = list(q = "select 1"),
                                     client = emu_client(), as = "json",
                                     headers = fault_headers(malformed_json = TRUE)))
  expect_s3_class(e, "carto_error_protocol")
  expect_match(conditionMessage(e), "not JSON")
})

test_that("the key travels as configured: Basic by default, api_key with key_transport = 'query'", {
  local_sandbox()
  admin <- list(`X-Emulator-Token` = emu_admin_token())
  carto_request("DELETE", paste0(emu_root(), "/_emulator/requests"), client = emu_client(),
                headers = admin, check = TRUE)
  carto_sql("select 1 as b", client = emu_client())
  carto_sql("select 1 as q", client = emu_client(key_transport = "query"))
  log <- carto_request("GET", paste0(emu_root(), "/_emulator/requests"), client = emu_client(),
                       headers = admin, as = "json", check = TRUE)$body
  sql <- Filter(function(r) identical(r$path, "/user/demo/api/v2/sql"), log)
  expect_identical(vapply(sql, function(r) r$key_transport, ""), c("basic", "query"))
  expect_identical(vapply(sql, function(r) r$key_type, ""), c("master", "master"))
  expect_no_emulator_key(capture.output(str(log)))
})

test_that("requests the library refuses before sending are carto_error_invalid_argument", {
  local_sandbox()
  cl <- emu_client()
  e <- catch_condition(carto_request("GET", "api/v3/me", client = cl,
                                     headers = list(Authorization = "Basic eA==")))
  expect_s3_class(e, "carto_error_invalid_argument")
  e <- catch_condition(carto_request("GET", "https://elsewhere.example/api/v3/me", client = cl))
  expect_s3_class(e, "carto_error_invalid_argument")
  e <- catch_condition(carto_request("GE T", "api/v3/me", client = cl))
  expect_s3_class(e, "carto_error_invalid_argument")
  e <- catch_condition(carto_request("GET", "api/v3/me", client = cl, credentials = emu_creds()))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "not both")
  e <- catch_condition(carto_request("GET", "api/v3/me", client = "nope"))
  expect_s3_class(e, "carto_error_invalid_argument")
  e <- catch_condition(carto_request("GET", "api/v3/me", client = cl, query = list(1)))
  expect_s3_class(e, "carto_error_invalid_argument")
  e <- catch_condition(carto_request("GET", "api/v3/me", client = cl, query = list(a = NA)))
  expect_s3_class(e, "carto_error_invalid_argument")
  e <- catch_condition(carto_request("POST", "api/v3/api_keys", client = cl, body = "{",
                                     content_type = "application/json"))
  expect_s3_class(e, "carto_error_invalid_argument")
})
