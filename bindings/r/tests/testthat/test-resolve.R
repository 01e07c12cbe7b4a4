# resolve_credentials(): the order of the sources and the provenance of the result.

test_that("with no credentials anywhere resolution fails and lists what it tried", {
  local_sandbox()
  e <- catch_condition(resolve_credentials())
  expect_s3_class(e, "carto_error_not_resolved")
  expect_identical(e$status, 205L)
  expect_identical(e$status_name, "CARTO_ERR_NOT_RESOLVED")
  msg <- conditionMessage(e)
  expect_match(msg, "process default", fixed = TRUE)
  expect_match(msg, "CARTO_USERNAME", fixed = TRUE)
  expect_match(msg, file.path(carto_config_dir(), "cartocreds.json"), fixed = TRUE)
  expect_match(msg, file.path(carto_config_dir(), "creds.json"), fixed = TRUE)
  expect_identical(conditionCall(e), quote(resolve_credentials()))
})

test_that("a session started with no credentials at all", {
  local_sandbox()
  run <- run_fresh_r(c(
    "library(cartoauth)",
    "stopifnot(is.null(get_default_credentials()))",
    "r <- tryCatch(resolve_credentials(), carto_error_not_resolved = function(e) e)",
    "cat('class:', class(r)[1], '\\n')",
    "cat('status:', r$status, '\\n')"
  ))
  expect_identical(run$status, 0L)
  expect_true("class: carto_error_not_resolved " %in% run$output)
  expect_true("status: 205 " %in% run$output)
})

test_that("the default files: cartocreds.json first, then creds.json", {
  local_sandbox()
  dir <- carto_config_dir()
  write_private('{"username": "from_creds", "api_key": "k1"}', file.path(dir, "creds.json"))
  r <- resolve_credentials()
  expect_identical(r$username, "from_creds")
  expect_identical(r$source, "file")
  expect_identical(r$path, file.path(dir, "creds.json"))
  write_private('{"USERNAME": "from_cartocreds", "APIKEY": "k2"}',
                file.path(dir, "cartocreds.json"))
  r <- resolve_credentials()
  expect_identical(r$username, "from_cartocreds")
  expect_identical(r$path, file.path(dir, "cartocreds.json"))
  expect_identical(r$origin, file.path(dir, "cartocreds.json"))
})

test_that("a corrupt default file is an error, not skipped", {
  local_sandbox()
  write_private("{oops", file.path(carto_config_dir(), "cartocreds.json"))
  expect_s3_class(catch_condition(resolve_credentials()), "carto_error_file_syntax")
})

test_that("the environment beats the files", {
  local_sandbox()
  save_credentials(carto_credentials("from_file", "k1"))
  set_env(CARTO_USERNAME = fake_user, CARTO_API_KEY = fake_key)
  r <- resolve_credentials()
  expect_identical(r$source, "environment")
  expect_identical(r$username, fake_user)
  expect_true(identical(r$api_key, fake_key))
  expect_match(r$origin, "CARTO_USERNAME", fixed = TRUE)
  expect_match(r$origin, "CARTO_API_KEY", fixed = TRUE)
  expect_null(r$path)
})

test_that("CARTO_BASE_URL, with CARTO_ALLOW_NON_SECURE for http", {
  local_sandbox()
  set_env(CARTO_BASE_URL = onprem_base_url, CARTO_API_KEY = fake_key)
  r <- resolve_credentials()
  expect_identical(r$base_url, onprem_base_url)
  expect_identical(r$username, "fake_user")
  set_env(CARTO_BASE_URL = "http://turtleland.com/user/fake_user")
  e <- catch_condition(resolve_credentials())
  expect_s3_class(e, "carto_error_invalid_environment")
  expect_match(conditionMessage(e), "CARTO_BASE_URL", fixed = TRUE)
  set_env(CARTO_ALLOW_NON_SECURE = "true")
  expect_true(resolve_credentials()$allow_non_secure)
  set_env(CARTO_ALLOW_NON_SECURE = "maybe")
  expect_s3_class(catch_condition(resolve_credentials()), "carto_error_invalid_environment")
})

test_that("CARTO_API_KEY alone is an error naming the variables", {
  local_sandbox()
  set_env(CARTO_API_KEY = fake_key)
  e <- catch_condition(resolve_credentials())
  expect_s3_class(e, "carto_error_invalid_environment")
  expect_identical(e$status, 206L)
  expect_match(conditionMessage(e), "CARTO_USERNAME", fixed = TRUE)
})

test_that("blank variables count as unset", {
  local_sandbox()
  set_env(CARTO_USERNAME = "  ", CARTO_PROFILE = "")
  expect_s3_class(catch_condition(resolve_credentials()), "carto_error_not_resolved")
})

test_that("CARTO_CREDENTIALS_FILE names a file; missing is an error", {
  local_sandbox()
  path <- save_credentials(carto_credentials(fake_user, fake_key),
                           file.path(carto_config_dir(), "elsewhere.json"))
  set_env(CARTO_CREDENTIALS_FILE = path)
  r <- resolve_credentials()
  expect_identical(r$source, "file")
  expect_identical(r$path, path)
  set_env(CARTO_CREDENTIALS_FILE = file.path(carto_config_dir(), "missing.json"))
  expect_s3_class(catch_condition(resolve_credentials()), "carto_error_file_not_found")
})

test_that("CARTO_PROFILE names a profile", {
  local_sandbox()
  save_credentials(carto_credentials(fake_user, fake_key), profile = "work")
  set_env(CARTO_PROFILE = "work")
  r <- resolve_credentials()
  expect_identical(r$source, "profile")
  expect_identical(r$profile, "work")
  expect_identical(r$path, credentials_file_path(profile = "work"))
  set_env(CARTO_PROFILE = "nope")
  e <- catch_condition(resolve_credentials())
  expect_s3_class(e, "carto_error_file_not_found")
  expect_match(conditionMessage(e), "CARTO_PROFILE=nope", fixed = TRUE)
})

test_that("the default beats the environment, and explicit credentials beat everything", {
  local_sandbox()
  set_env(CARTO_USERNAME = "from_env")
  set_default_credentials("from_default")
  r <- resolve_credentials()
  expect_identical(r$username, "from_default")
  expect_identical(r$source, "default")
  mine <- carto_credentials("explicit_user", fake_key)
  r <- resolve_credentials(mine)
  expect_identical(r$source, "explicit")
  expect_true(r == mine)
  expect_s3_class(catch_condition(resolve_credentials("explicit_user")),
                  "carto_error_invalid_argument")
})

test_that("a default loaded from a file keeps its path", {
  local_sandbox()
  path <- save_credentials(carto_credentials(fake_user, fake_key),
                           file.path(carto_config_dir(), "d.json"))
  set_default_credentials(path)
  r <- resolve_credentials()
  expect_identical(r$source, "default")
  expect_identical(r$path, path)
  expect_match(r$origin, path, fixed = TRUE)
})
