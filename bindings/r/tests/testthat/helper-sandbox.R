# Every test runs in a sandbox: a private, empty CARTO config directory, none of the CARTO_*
# variables of the caller's environment, and no default credentials; all restored on exit.
# (Written without withr on purpose: base R's on.exit() in a wrapper function.)

carto_env_vars <- c(
  "CARTO_USERNAME", "CARTO_API_KEY", "CARTO_BASE_URL", "CARTO_ALLOW_NON_SECURE",
  "CARTO_PROFILE", "CARTO_CREDENTIALS_FILE", "CARTO_CONFIG_DIR", "CARTO_CREDENTIAL_STORE",
  "DBUS_SESSION_BUS_ADDRESS"
)

restore_env <- function(old) {
  for (name in names(old)) {
    if (is.na(old[[name]])) Sys.unsetenv(name) else do.call(Sys.setenv, as.list(old[name]))
  }
}

# Call at the start of a test: the sandbox lasts until the test ends (an on.exit() handler
# in the test's frame restores everything).
local_sandbox <- function(frame = parent.frame()) {
  old_env <- Sys.getenv(carto_env_vars, unset = NA, names = TRUE)
  old_options <- options(cartoauth.warnings = TRUE)
  dir <- tempfile("carto-config-")
  dir.create(dir, mode = "0700")
  cleanup <- function() {
    unset_default_credentials()
    restore_env(old_env)
    options(old_options)
    unlink(dir, recursive = TRUE)
  }
  do.call(base::on.exit, list(as.call(list(cleanup)), TRUE, FALSE), envir = frame)
  Sys.unsetenv(carto_env_vars)
  # Secrets in the files the tests look at, never in the keychain of the machine running them
  # (test-keychain.R starts a keychain of its own).
  Sys.setenv(CARTO_CONFIG_DIR = dir, CARTO_CREDENTIAL_STORE = "file")
  unset_default_credentials()
  invisible(dir)
}

# Sets environment variables for the rest of the test (local_sandbox() restores every
# CARTO_* variable).
set_env <- function(...) Sys.setenv(...)

# CARTOframes' unit-test fixtures, plus a long, distinctive key for redaction tests.
fake_user <- "fake_user"
fake_key <- "fake_api_key"
fake_base_url <- "https://fake_user.carto.com/"
onprem_base_url <- "https://turtleland.com/user/fake_user"
secret_key <- "Zq9xR3DACTME7f3c1b2a9d8e7f6a5b4c3d2e1f0SECRET"

# A file with exactly these lines, readable only by its owner.
write_private <- function(lines, path = tempfile(fileext = ".json")) {
  writeLines(lines, path)
  Sys.chmod(path, "600")
  path
}

read_json_file <- function(path) jsonlite::read_json(path)

# The condition a call signals (NULL when it signals none); to inspect its fields. A skip
# signalled while the arguments are evaluated (emu_creds() and emu_client() skip when
# carto-emulator is not available, as under a CRAN-like check) skips the test instead of being
# caught as the condition under test.
catch_condition <- function(expr) {
  cnd <- tryCatch({
    expr
    NULL
  }, condition = function(c) c)
  if (inherits(cnd, "skip"))
    testthat::skip(sub("^Reason: ", "", conditionMessage(cnd)))
  cnd
}

# Runs R code in a fresh Rscript process that sees the same library paths; returns its
# output lines and exit status. The child inherits the (sandboxed) environment, plus `env`
# (a named character vector, set only while the child runs: secrets stay out of the script
# and of the command line).
run_fresh_r <- function(lines, env = character()) {
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script), add = TRUE)
  if (length(env)) {
    old_env <- Sys.getenv(names(env), unset = NA, names = TRUE)
    on.exit(restore_env(old_env), add = TRUE)
    do.call(Sys.setenv, as.list(env))
  }
  writeLines(c(sprintf(".libPaths(%s)", paste(deparse(.libPaths()), collapse = "")), lines),
             script)
  old_tests <- Sys.getenv("R_TESTS", unset = NA)
  Sys.unsetenv("R_TESTS") # R CMD check's startup file would be looked up by the child
  on.exit(if (!is.na(old_tests)) Sys.setenv(R_TESTS = old_tests), add = TRUE)
  rscript <- file.path(R.home("bin"), "Rscript")
  output <- suppressWarnings(system2(rscript, c("--vanilla", shQuote(script)),
                                     stdout = TRUE, stderr = TRUE))
  status <- attr(output, "status")
  list(output = output, status = if (is.null(status)) 0L else status)
}
