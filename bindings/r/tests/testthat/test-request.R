# carto_request(): any CARTO API, its bodies and answers, and carto_me() /
# carto_validate_key().

test_that("carto_request() returns status, headers, body, error message and rate limits", {
  local_sandbox()
  r <- carto_request("GET", "api/v3/me", credentials = emu_creds())
  expect_s3_class(r, "carto_response")
  expect_identical(r$status, 200L)
  expect_identical(r$method, "GET")
  expect_identical(r$path, "api/v3/me")
  expect_type(r$headers, "character")
  expect_true("content-type" %in% names(r$headers))
  expect_match(r$headers[["content-type"]], "^application/json")
  expect_identical(r$content_type, r$headers[["content-type"]])
  expect_type(r$body, "character") # text: JSON is text
  expect_null(r$error_message)
  expect_identical(names(r$rate_limit), c("limit", "remaining", "reset", "retry_after"))
  expect_identical(r$attempts, 1L)

  parsed <- carto_request("GET", "/api/v3/me", credentials = emu_creds(), as = "json")$body
  expect_identical(parsed$user_data$username, "demo")
  raw <- carto_request("GET", "api/v3/me", credentials = emu_creds(), as = "raw")$body
  expect_type(raw, "raw")
  expect_identical(jsonlite::fromJSON(rawToChar(raw))$user_data$username, "demo")
})

test_that("query parameters: numbers without scientific notation, logicals, vectors", {
  local_sandbox()
  cl <- emu_client()
  r <- carto_request("GET", "api/v2/sql", client = cl, as = "json", check = TRUE,
                     query = list(q = "select cartodb_id from points_public order by 1",
                                  rows_per_page = 1e6, page = 0L, skip = NULL))
  expect_length(r$body$rows, 3L)
  r <- carto_request("GET", "api/v2/sql", client = cl, as = "json", check = TRUE,
                     query = c(q = "select 1 as a, 2 as b", skipfields = "a"))
  expect_identical(names(r$body$rows[[1]]), "b")
})

test_that("bodies: a list as JSON or as a form, a string, raw bytes", {
  local_sandbox()
  cl <- emu_client()
  answer <- function(...) {
    carto_request("POST", "api/v2/sql", client = cl, as = "json", check = TRUE, ...)$body$rows[[1]]
  }
  expect_identical(answer(body = list(q = "select 5 as five"))$five, 5L)
  expect_identical(answer(body = list(q = "select 6 as six"), encode = "form")$six, 6L)
  expect_identical(answer(body = '{"q": "select 7 as seven"}',
                          content_type = "application/json")$seven, 7L)
  expect_identical(answer(body = charToRaw("q=select+8+as+eight"),
                          content_type = "application/x-www-form-urlencoded")$eight, 8L)
  e <- catch_condition(carto_request("POST", "api/v2/sql", client = cl, body = 42))
  expect_s3_class(e, "carto_error_invalid_argument")
})

test_that("the Auth API: create a key with the master key, use it, delete it", {
  local_sandbox()
  master <- emu_client()
  name <- "r_test_key"
  created <- carto_request("POST", "api/v3/api_keys", client = master, check = TRUE, as = "json",
    body = list(name = name, grants = list(
      list(type = "apis", apis = I("sql")),
      list(type = "database", tables = list(
        list(schema = "demo", name = "points_public", permissions = I("select"))
      ))
    )))
  expect_identical(created$status, 201L)
  expect_identical(created$body$name, name)
  expect_identical(created$body$type, "regular")
  token <- created$body$token
  expect_true(is.character(token) && nchar(token) > 10)
  # the response never prints its body, so the new key is not shown
  expect_false(grepl(token, paste(capture.output(print(created)), collapse = "\n"), fixed = TRUE))

  creds <- carto_credentials(base_url = emu_base_url(), api_key = token, allow_non_secure = TRUE)
  expect_true(carto_validate_key(credentials = creds))
  expect_identical(nrow(carto_sql("select * from points_public", credentials = creds)), 3L)
  expect_s3_class(catch_condition(carto_sql("select * from points_private", credentials = creds)),
                  "carto_error_forbidden")

  listed <- carto_request("GET", "api/v3/api_keys", client = master, as = "json", check = TRUE)
  expect_true(name %in% vapply(listed$body$result, function(k) k$name, ""))

  deleted <- carto_request("DELETE", paste0("api/v3/api_keys/", name), client = master)
  expect_lt(deleted$status, 300L)
  expect_false(carto_validate_key(credentials = creds))
  again <- carto_request("DELETE", paste0("api/v3/api_keys/", name), client = master)
  expect_identical(again$status, 404L)
  expect_s3_class(catch_condition(carto_request("DELETE", paste0("api/v3/api_keys/", name),
                                                client = master, check = TRUE)),
                  "carto_error_not_found")
  # only the master key may create keys
  e <- catch_condition(carto_request("POST", "api/v3/api_keys", client = emu_client("demo_regular"),
                                     body = list(name = "nope"), check = TRUE))
  expect_s3_class(e, "carto_error")
  expect_true(e$http_status %in% c(401L, 403L))
})

test_that("carto_me() and carto_validate_key()", {
  local_sandbox()
  me <- carto_me(credentials = emu_creds())
  expect_identical(me$username, "demo")
  expect_identical(me$user_id, emulator()$accounts$demo$user_id)
  # api/v3/me answers any key, but only the master key gets the user id
  me <- carto_me(credentials = emu_creds("demo_regular"))
  expect_identical(me$username, "demo")
  expect_identical(me$user_id, NA_character_)

  valid <- carto_validate_key(credentials = emu_creds())
  expect_identical(as.vector(valid), TRUE)
  expect_match(attr(valid, "detail"), "^valid: ")
  expect_true(carto_validate_key(client = emu_client("demo_regular")))
  wrong <- carto_credentials(base_url = emu_base_url(), api_key = "wadus-wadus-wadus",
                             allow_non_secure = TRUE)
  invalid <- carto_validate_key(credentials = wrong)
  expect_identical(as.vector(invalid), FALSE)
  expect_match(attr(invalid, "detail"), "^invalid: ")
  nowhere <- carto_credentials(base_url = "http://127.0.0.1:1/user/demo", allow_non_secure = TRUE)
  unknown <- carto_validate_key(credentials = nowhere)
  expect_identical(as.vector(unknown), NA)
  expect_match(attr(unknown, "detail"), "^unknown: ")
  # usable directly in if(): isTRUE()/isFALSE() treat NA as neither
  expect_false(isTRUE(unknown) || isFALSE(unknown))
})

test_that("responses print without keys or bodies", {
  local_sandbox()
  r <- carto_request("GET", "api/v2/sql", client = emu_client(key_transport = "query"),
                     query = list(q = "select * from points_private"))
  out <- capture.output(print(r))
  expect_match(out[[1]], "^<carto_response> GET api/v2/sql: HTTP 200$")
  expect_true(any(grepl("body: .* \\(text\\)", out)))
  expect_no_emulator_key(out)
  expect_no_emulator_key(format(r))
  r <- carto_request("GET", "api/v2/sql?api_key=abcdefgh12345", client = emu_client(),
                     query = list(q = "select 1"))
  expect_false(grepl("abcdefgh12345", format(r), fixed = TRUE))
  r <- carto_request("GET", "api/v2/sql", credentials = emu_creds(NULL),
                     query = list(q = "select * from points_private"))
  out <- capture.output(print(r))
  expect_true(any(grepl("error: permission denied for table points_private", out, fixed = TRUE)))
})
