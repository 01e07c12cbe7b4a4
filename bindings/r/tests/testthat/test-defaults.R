# set_default_credentials(): CARTOframes' dispatch; get/unset.

test_that("no default is NULL, not an error", {
  local_sandbox()
  expect_null(get_default_credentials())
  expect_invisible(unset_default_credentials())
  expect_null(get_default_credentials())
})

test_that("a credentials object, as first or as credentials =", {
  local_sandbox()
  creds <- carto_credentials(fake_user, fake_key)
  expect_invisible(set_default_credentials(creds))
  expect_true(get_default_credentials() == creds)
  unset_default_credentials()
  out <- set_default_credentials(credentials = creds)
  expect_true(out == creds)
  expect_true(get_default_credentials() == creds)
  # the library keeps its own copy: freeing ours does not clear the default
  carto_free(creds)
  expect_identical(get_default_credentials()$username, fake_user)
})

test_that("a username first and the key second", {
  local_sandbox()
  out <- set_default_credentials(fake_user, fake_key)
  expect_identical(out$username, fake_user)
  d <- get_default_credentials()
  expect_identical(d$username, fake_user)
  expect_identical(d$base_url, "https://fake_user.carto.com")
  expect_true(identical(d$api_key, fake_key))
})

test_that("a username alone gives the public key", {
  local_sandbox()
  set_default_credentials(fake_user)
  expect_identical(get_default_credentials()$api_key, "default_public")
})

test_that("a base URL first and the key second", {
  local_sandbox()
  set_default_credentials(onprem_base_url, fake_key)
  d <- get_default_credentials()
  expect_identical(d$base_url, onprem_base_url)
  expect_identical(d$username, "fake_user")
  set_default_credentials(fake_base_url, fake_key)
  expect_identical(get_default_credentials()$base_url, "https://fake_user.carto.com")
})

test_that("an http base URL needs allow_non_secure", {
  local_sandbox()
  http <- "http://turtleland.com/user/fake_user"
  expect_s3_class(catch_condition(set_default_credentials(http, fake_key)),
                  "carto_error_insecure_base_url")
  expect_null(get_default_credentials())
  set_default_credentials(http, fake_key, allow_non_secure = TRUE)
  expect_identical(get_default_credentials()$base_url, http)
  expect_true(get_default_credentials()$allow_non_secure)
})

test_that("a .json path first loads that file", {
  local_sandbox()
  path <- save_credentials(carto_credentials(fake_user, fake_key),
                           file.path(carto_config_dir(), "fake-creds.JSON"))
  out <- set_default_credentials(path)
  expect_identical(out$source, "file")
  expect_identical(normalizePath(out$path), normalizePath(path))
  expect_true(get_default_credentials() == carto_credentials(fake_user, fake_key))
})

test_that("filepath = loads that file, whatever its name", {
  local_sandbox()
  path <- save_credentials(carto_credentials(fake_user, fake_key),
                           file.path(carto_config_dir(), "fake.creds"))
  out <- set_default_credentials(filepath = path)
  expect_identical(out$source, "file")
  expect_true(get_default_credentials() == carto_credentials(fake_user, fake_key))
})

test_that("named username, base_url and api_key", {
  local_sandbox()
  set_default_credentials(username = fake_user, api_key = fake_key)
  expect_true(get_default_credentials() == carto_credentials(fake_user, fake_key))
  set_default_credentials(base_url = onprem_base_url, api_key = fake_key)
  expect_identical(get_default_credentials()$base_url, onprem_base_url)
})

test_that("nothing loads the default file", {
  local_sandbox()
  e <- catch_condition(set_default_credentials())
  expect_s3_class(e, "carto_error_file_not_found")
  expect_match(conditionMessage(e), "cartocreds.json", fixed = TRUE)
  save_credentials(carto_credentials(fake_user, fake_key))
  out <- set_default_credentials()
  expect_identical(out$source, "file")
  expect_identical(basename(out$path), "cartocreds.json")
  expect_identical(get_default_credentials()$username, fake_user)
})

test_that("an API key that would be ignored is an error and keeps the previous default", {
  local_sandbox()
  set_default_credentials("previous_user")
  path <- save_credentials(carto_credentials(fake_user, fake_key),
                           file.path(carto_config_dir(), "other.json"))
  for (call in list(
    quote(set_default_credentials(path, fake_key)),
    quote(set_default_credentials(fake_user, api_key = fake_key)),
    quote(set_default_credentials(api_key = fake_key)),
    quote(set_default_credentials(filepath = path, api_key = fake_key))
  )) {
    e <- catch_condition(eval(call))
    expect_s3_class(e, "carto_error_invalid_argument")
    expect_identical(get_default_credentials()$username, "previous_user")
  }
})

test_that("conflicting or malformed arguments are refused", {
  local_sandbox()
  creds <- carto_credentials(fake_user, fake_key)
  bad <- list(
    quote(set_default_credentials(creds, fake_key)),
    quote(set_default_credentials(creds, credentials = creds)),
    quote(set_default_credentials(creds, username = fake_user)),
    quote(set_default_credentials(fake_user, credentials = creds)),
    quote(set_default_credentials(fake_user, username = fake_user)),
    quote(set_default_credentials(filepath = "x.json", username = fake_user)),
    quote(set_default_credentials(list(fake_user))),
    quote(set_default_credentials(NA_character_)),
    quote(set_default_credentials(credentials = "fake_user"))
  )
  for (call in bad) {
    e <- catch_condition(eval(call))
    expect_s3_class(e, "carto_error_invalid_argument")
  }
  expect_null(get_default_credentials())
  expect_match(conditionMessage(catch_condition(set_default_credentials(list()))),
               "carto_credentials object, a path ending in .json")
})

test_that("the default is used by resolution, and unset clears it", {
  local_sandbox()
  set_default_credentials(fake_user, fake_key)
  r <- resolve_credentials()
  expect_identical(r$source, "default")
  expect_match(r$origin, "default")
  unset_default_credentials()
  expect_null(get_default_credentials())
  expect_s3_class(catch_condition(resolve_credentials()), "carto_error_not_resolved")
})

test_that("CARTOframes' argument names: credentials, username, base_url, api_key", {
  local_sandbox()
  creds <- carto_credentials(fake_user, fake_key)
  expect_true(set_default_credentials(credentials = creds) == creds)
  out <- set_default_credentials(username = fake_user, base_url = onprem_base_url,
                                 api_key = fake_key)
  expect_identical(out$base_url, onprem_base_url)
  expect_identical(get_default_credentials()$username, fake_user)
  # the positional form binds the key to the second place whatever its name
  out <- set_default_credentials(fake_base_url, fake_key)
  expect_true(identical(out$api_key, fake_key))
  # a third positional value has no meaning in CARTOframes' form
  expect_s3_class(catch_condition(set_default_credentials(fake_user, fake_key, "x")),
                  "carto_error_invalid_argument")
})

test_that("the carto_ names and the CARTOframes names are the same functions", {
  pairs <- list(
    c("carto_set_default_credentials", "set_default_credentials"),
    c("carto_get_default_credentials", "get_default_credentials"),
    c("carto_unset_default_credentials", "unset_default_credentials"),
    c("carto_resolve_credentials", "resolve_credentials"),
    c("carto_credentials_from_file", "credentials_from_file"),
    c("carto_save_credentials", "save_credentials"),
    c("carto_update_credentials_file", "update_credentials_file"),
    c("carto_delete_credentials", "delete_credentials"),
    c("carto_move_credentials", "move_credentials"),
    c("carto_credentials_file_path", "credentials_file_path")
  )
  # functions only: the DBI methods and classes are exported too
  exports <- getNamespaceExports("cartoauth")
  exports <- exports[!startsWith(exports, ".") &
                       !(exports %in% c(getNamespaceExports("DBI"), "show"))]
  for (p in pairs) {
    expect_true(all(p %in% exports))
    expect_identical(getExportedValue("cartoauth", p[[1L]]),
                     getExportedValue("cartoauth", p[[2L]]))
  }
  # every export other than the aliases has the carto_ prefix
  aliases <- vapply(pairs, `[[`, "", 2L)
  expect_identical(setdiff(exports[!startsWith(exports, "carto")], aliases), character())
})
