# carto_credentials(): CARTOframes' creation rules, fields, immutability, equality.

test_that("a username gives the CARTO base URL and the default public key", {
  creds <- carto_credentials(fake_user)
  expect_s3_class(creds, "carto_credentials")
  expect_identical(creds$username, "fake_user")
  expect_identical(creds$base_url, "https://fake_user.carto.com")
  expect_identical(creds$api_key, "default_public")
  expect_false(creds$allow_non_secure)
})

test_that("username and key are stored as given", {
  creds <- carto_credentials(username = fake_user, api_key = fake_key)
  expect_identical(creds$username, fake_user)
  expect_true(identical(creds$api_key, fake_key))
  expect_true(identical(creds[["api_key"]], fake_key))
  expect_identical(creds[["base_url"]], "https://fake_user.carto.com")
})

test_that("a base URL loses its trailing slash and gives the username", {
  creds <- carto_credentials(base_url = fake_base_url, api_key = fake_key)
  expect_identical(creds$base_url, "https://fake_user.carto.com")
  expect_identical(creds$username, "fake_user")
})

test_that("an on-premises base URL gives the username from /user/", {
  creds <- carto_credentials(base_url = onprem_base_url, api_key = fake_key)
  expect_identical(creds$base_url, onprem_base_url)
  expect_identical(creds$username, "fake_user")
  expect_identical(carto_credentials(base_url = paste0(onprem_base_url, "/"))$base_url,
                   onprem_base_url)
})

test_that("a base URL without a username part gives a NULL username", {
  creds <- carto_credentials(base_url = "http://127.0.0.1:8080", allow_non_secure = TRUE)
  expect_null(creds$username)
  expect_identical(creds$base_url, "http://127.0.0.1:8080")
  expect_true(creds$allow_non_secure)
})

test_that("an empty API key counts as not given", {
  expect_identical(carto_credentials(fake_user, api_key = "")$api_key, "default_public")
})

test_that("neither username nor base URL is a missing_account error", {
  e <- catch_condition(carto_credentials())
  expect_s3_class(e, "carto_error_missing_account")
  expect_s3_class(e, "carto_error")
  expect_identical(e$status, 200L)
  expect_identical(e$status_name, "CARTO_ERR_MISSING_ACCOUNT")
  expect_match(conditionMessage(e), "username or a base_url")
  expect_s3_class(catch_condition(carto_credentials(api_key = fake_key)),
                  "carto_error_missing_account")
})

test_that("http needs allow_non_secure", {
  http <- "http://turtleland.com/user/fake_user"
  e <- catch_condition(carto_credentials(base_url = http, api_key = fake_key))
  expect_s3_class(e, "carto_error_insecure_base_url")
  expect_identical(e$status, 203L)
  expect_match(conditionMessage(e), "allow_non_secure", fixed = TRUE)
  expect_match(conditionMessage(e), http, fixed = TRUE)
  creds <- carto_credentials(base_url = http, api_key = fake_key, allow_non_secure = TRUE)
  expect_identical(creds$base_url, http)
  expect_true(creds$allow_non_secure)
})

test_that("invalid usernames and base URLs are refused with their own classes", {
  e <- catch_condition(carto_credentials("bad user!"))
  expect_s3_class(e, "carto_error_invalid_username")
  expect_match(conditionMessage(e), "bad user!", fixed = TRUE)
  e <- catch_condition(carto_credentials(base_url = "not a url"))
  expect_s3_class(e, "carto_error_invalid_base_url")
  expect_match(conditionMessage(e), "not a url", fixed = TRUE)
  expect_s3_class(catch_condition(carto_credentials(base_url = "ftp://fake_user.carto.com")),
                  "carto_error_invalid_base_url")
})

test_that("arguments of the wrong type are invalid_argument errors naming the argument", {
  e <- catch_condition(carto_credentials(username = NA))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_identical(e$status, 102L)
  expect_match(conditionMessage(e), "'username' must be a single string or NULL, not NA")
  expect_match(conditionMessage(catch_condition(carto_credentials(c("a", "b")))),
               "'username'.*length 2")
  expect_match(conditionMessage(catch_condition(carto_credentials(fake_user, api_key = 42))),
               "'api_key'.*double")
  expect_match(conditionMessage(catch_condition(carto_credentials(base_url = character()))),
               "'base_url'.*length 0")
  expect_match(conditionMessage(catch_condition(
    carto_credentials(fake_user, allow_non_secure = NA))),
    "'allow_non_secure' must be TRUE or FALSE, not NA")
  expect_s3_class(catch_condition(carto_credentials(fake_user, allow_non_secure = "yes")),
                  "carto_error_invalid_argument")
})

test_that("errors name the user's call", {
  e <- catch_condition(carto_credentials(base_url = "not a url"))
  expect_identical(conditionCall(e)[[1L]], as.name("carto_credentials"))
})

test_that("explicit credentials say so", {
  creds <- carto_credentials(fake_user, fake_key)
  expect_identical(creds$source, "explicit")
  expect_identical(creds$origin, "given by the caller")
  expect_null(creds$path)
  expect_null(creds$profile)
  expect_identical(creds$warnings, character())
})

test_that("unknown fields are errors that list the fields", {
  creds <- carto_credentials(fake_user, fake_key)
  e <- catch_condition(creds$apikey)
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "no field 'apikey'.*username, api_key, base_url")
  expect_s3_class(catch_condition(creds[["nope"]]), "carto_error_invalid_argument")
  expect_match(conditionMessage(catch_condition(creds$description)), "no field 'description'")
  expect_s3_class(catch_condition(creds$ptr), "carto_error_invalid_argument")
})

test_that("credentials are immutable", {
  creds <- carto_credentials(fake_user, fake_key)
  e <- catch_condition(creds$username <- "someone_else")
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "immutable: 'username' cannot be changed")
  expect_s3_class(catch_condition(creds[["api_key"]] <- "x"), "carto_error_invalid_argument")
  expect_s3_class(catch_condition(creds["base_url"] <- "x"), "carto_error_invalid_argument")
  expect_identical(creds$username, fake_user)
  expect_true(identical(creds$api_key, fake_key))
})

test_that("field names complete after $", {
  creds <- carto_credentials(fake_user)
  expect_identical(utils::.DollarNames(creds, "^base"), "base_url")
  expect_true(all(c("username", "api_key", "source", "warnings") %in%
                    utils::.DollarNames(creds, "")))
})

test_that("== compares username, key and base URL like CARTOframes", {
  a <- carto_credentials(fake_user, fake_key)
  b <- carto_credentials(base_url = fake_base_url, api_key = fake_key)
  expect_true(a == b)
  expect_false(a != b)
  expect_false(a == carto_credentials(fake_user, "another_key"))
  expect_true(a != carto_credentials(fake_user, "another_key"))
  expect_false(a == carto_credentials("other_user", fake_key))
  expect_false(a == carto_credentials(base_url = onprem_base_url, api_key = fake_key))
  # allow_non_secure is not part of the identity
  expect_true(a == carto_credentials(fake_user, fake_key, allow_non_secure = TRUE))
  expect_false(a == "fake_user")
  expect_true(a != 1)
  expect_s3_class(catch_condition(a < b), "carto_error_invalid_argument")
  expect_s3_class(catch_condition(a + b), "carto_error_invalid_argument")
})

test_that("all.equal() is TRUE for equal credentials and names differences", {
  a <- carto_credentials(fake_user, fake_key)
  expect_true(all.equal(a, carto_credentials(base_url = fake_base_url, api_key = fake_key)))
  expect_true(isTRUE(all.equal(a, carto_credentials(fake_user, fake_key))))
  d <- all.equal(a, carto_credentials(base_url = onprem_base_url, api_key = "another_key"))
  expect_type(d, "character")
  expect_true(any(grepl("base_url: 'https://fake_user.carto.com' vs", d, fixed = TRUE)))
  expect_true(any(grepl("api_key", d, fixed = TRUE)))
  expect_false(any(grepl("another_key", d, fixed = TRUE)))
  expect_false(any(grepl(fake_key, d, fixed = TRUE)))
  expect_identical(all.equal(a, "x"), "current is not a carto_credentials object")
  expect_true(all.equal(list(a), list(carto_credentials(fake_user, fake_key))))
})

test_that("names() lists the fields that $ reads", {
  creds <- carto_credentials(fake_user, fake_key)
  expect_identical(names(creds), c("username", "api_key", "base_url", "allow_non_secure",
                                   "source", "origin", "path", "profile", "storage",
                                   "keychain_item", "warnings"))
  for (field in names(creds)) expect_no_error(creds[[field]])
  expect_identical(summary(creds), format(creds))
  client <- carto_client(creds)
  expect_identical(names(client), c("credentials", "options"))
  carto_free(client)
})

test_that("a resolution failure names the user's call, not an internal structure()", {
  local_sandbox()
  e <- catch_condition(carto_sql("select 1"))
  expect_s3_class(e, "carto_error_not_resolved")
  expect_identical(conditionCall(e)[[1L]], as.name("carto_sql"))
})
