# The test sandbox itself: it must really isolate and really clean up, or the other tests
# could pass against the wrong configuration (or touch the user's files).

sandbox_state <- new.env()

test_that("a sandboxed test sees an empty private config and no CARTO_* variables", {
  sandbox_state$before <- Sys.getenv(carto_env_vars, unset = NA, names = TRUE)
  sandbox_state$dir <- local_sandbox()
  expect_identical(carto_config_dir(), sandbox_state$dir)
  expect_identical(list.files(sandbox_state$dir, all.files = TRUE, no.. = TRUE), character())
  expect_true(all(is.na(Sys.getenv(setdiff(carto_env_vars,
                                           c("CARTO_CONFIG_DIR", "CARTO_CREDENTIAL_STORE")),
                                   unset = NA))))
  expect_identical(Sys.getenv("CARTO_CREDENTIAL_STORE"), "file")
  expect_null(get_default_credentials())
  Sys.setenv(CARTO_USERNAME = "leaked_user")
  set_default_credentials("leaked_user")
  save_credentials(carto_credentials("leaked_user"))
})

test_that("everything is restored when the sandboxed test ends", {
  expect_false(dir.exists(sandbox_state$dir))
  expect_identical(Sys.getenv(carto_env_vars, unset = NA, names = TRUE), sandbox_state$before)
  expect_null(get_default_credentials())
})
