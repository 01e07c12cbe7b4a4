# External pointers: finalizers, explicit frees, and objects restored from a saved session.

test_that("finalizers free handles: the count returns to its baseline after gc()", {
  invisible(gc())
  baseline <- carto_handle_count()
  many <- lapply(seq_len(1000), function(i) carto_credentials(paste0("user", i)))
  expect_identical(carto_handle_count(), baseline + 1000)
  rm(many)
  invisible(gc())
  expect_identical(carto_handle_count(), baseline)
  for (i in seq_len(200)) carto_credentials(fake_user, fake_key)$username
  invisible(gc())
  expect_identical(carto_handle_count(), baseline)
})

test_that("every function that returns credentials hands over exactly one handle", {
  local_sandbox()
  invisible(gc())
  baseline <- carto_handle_count()
  save_credentials(carto_credentials(fake_user, fake_key))
  a <- credentials_from_file()
  b <- resolve_credentials()
  cc <- set_default_credentials(fake_user)
  d <- get_default_credentials()
  e <- tryCatch(carto_credentials("bad user!"), carto_error = function(e) NULL)
  invisible(gc())
  # a, b, cc and d; the library's own copy of the default is not a handle
  expect_identical(carto_handle_count(), baseline + 4)
  rm(a, b, cc, d)
  unset_default_credentials()
  invisible(gc())
  expect_identical(carto_handle_count(), baseline)
})

test_that("carto_free() releases now, is idempotent, and later use is an error", {
  invisible(gc())
  baseline <- carto_handle_count()
  creds <- carto_credentials(fake_user, fake_key)
  expect_identical(carto_handle_count(), baseline + 1)
  expect_invisible(carto_free(creds))
  expect_identical(carto_handle_count(), baseline)
  expect_null(carto_free(creds))
  expect_identical(carto_handle_count(), baseline)
  e <- catch_condition(creds$username)
  expect_s3_class(e, "carto_error_invalid_handle")
  expect_identical(e$status, 103L)
  expect_match(conditionMessage(e), "no longer usable")
  expect_match(format(creds), "no longer usable")
  invisible(gc()) # the finalizer of a freed object does nothing
  expect_identical(carto_handle_count(), baseline)
  expect_s3_class(catch_condition(carto_free("creds")), "carto_error_invalid_argument")
})

test_that("an object restored from serialize() is an error to use, never a crash", {
  local_sandbox()
  creds <- carto_credentials(fake_user, fake_key)
  restored <- unserialize(serialize(creds, NULL))
  expect_s3_class(restored, "carto_credentials")
  expect_output(print(restored), "no longer usable")
  expect_match(format(restored), "no longer usable")
  expect_match(toString(restored), "no longer usable")
  for (call in list(
    quote(restored$username),
    quote(restored$api_key),
    quote(restored == creds),
    quote(save_credentials(restored, file.path(carto_config_dir(), "x.json"))),
    quote(set_default_credentials(restored)),
    quote(resolve_credentials(restored))
  )) {
    e <- catch_condition(eval(call))
    expect_s3_class(e, "carto_error_invalid_handle")
  }
  expect_null(get_default_credentials())
  expect_null(carto_free(restored))
  invisible(gc())
  expect_identical(creds$username, fake_user) # the original is untouched
})

test_that("an object saved with saveRDS() and read in another session", {
  local_sandbox()
  rds <- file.path(carto_config_dir(), "creds.rds")
  saveRDS(carto_credentials(fake_user, fake_key), rds)
  run <- run_fresh_r(c(
    "library(cartoauth)",
    sprintf("x <- readRDS(%s)", deparse(rds)),
    "print(x)",
    "r <- tryCatch(x$username, carto_error = function(e) e)",
    "cat('class:', class(r)[1], '\\n')",
    "invisible(gc())",
    "cat('done\\n')"
  ))
  expect_identical(run$status, 0L)
  expect_true("class: carto_error_invalid_handle " %in% run$output)
  expect_true("done" %in% run$output)
  expect_false(any(grepl(fake_key, run$output, fixed = TRUE)))
})

test_that("forged objects are refused", {
  forged <- structure(list(ptr = new("externalptr")), class = "carto_credentials")
  e <- catch_condition(forged$username)
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "expected a carto_credentials object")
  forged <- structure(list(ptr = 42L), class = "carto_credentials")
  expect_s3_class(catch_condition(forged$username), "carto_error_invalid_argument")
  expect_s3_class(catch_condition(carto_free(forged)), "carto_error_invalid_argument")
  expect_match(format(forged), "no longer usable")
})
