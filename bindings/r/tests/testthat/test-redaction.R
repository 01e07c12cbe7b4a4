# The API key never appears in printed or formatted output, nor in messages.

expect_no_key <- function(text, key = secret_key) {
  text <- paste(text, collapse = "\n")
  expect_false(grepl(key, text, fixed = TRUE), label = "the API key appears in the output")
  # not even a long part of it
  if (nchar(key) >= 20L)
    expect_false(grepl(substr(key, 5, 20), text, fixed = TRUE),
                 label = "part of the API key appears in the output")
  invisible(text)
}

test_that("print, format, str, as.character and toString mask the key", {
  creds <- carto_credentials(fake_user, secret_key)
  printed <- expect_no_key(capture.output(print(creds)))
  expect_match(printed, "fake_user", fixed = TRUE)
  expect_match(printed, "Zq9x\u2026", fixed = TRUE) # the first four characters only
  expect_match(printed, "given by the caller", fixed = TRUE)
  expect_no_key(capture.output(creds))       # auto-printing
  expect_no_key(format(creds))
  expect_no_key(capture.output(str(creds)))
  expect_no_key(as.character(creds))
  expect_no_key(toString(creds))
  expect_no_key(paste(format(creds)))
  expect_identical(format(creds), as.character(creds))
  expect_match(format(creds), "^Credentials\\(username='fake_user', api_key='Zq9x")
})

test_that("the key is not reachable through the object's structure either", {
  creds <- carto_credentials(fake_user, secret_key)
  expect_no_key(capture.output(print(unclass(creds))))
  expect_no_key(capture.output(dput(creds)))
  expect_no_key(capture.output(print(list(a = creds, b = 1))))
  expect_no_key(capture.output(str(list(a = creds))))
  expect_no_key(capture.output(summary(creds)))
  expect_no_key(rawToChar(serialize(creds, NULL, ascii = TRUE)))
})

test_that("short keys are fully masked and the public key is shown", {
  expect_no_key(format(carto_credentials(fake_user, "abc")), "abc")
  expect_match(format(carto_credentials(fake_user, "abc")), "api_key='***'", fixed = TRUE)
  expect_match(format(carto_credentials(fake_user)), "api_key='default_public'",
               fixed = TRUE)
})

test_that("error messages and all.equal() do not contain the key", {
  e <- catch_condition(carto_credentials("bad user!", secret_key))
  expect_s3_class(e, "carto_error")
  expect_no_key(conditionMessage(e))
  expect_no_key(capture.output(print(e)))
  e <- catch_condition(carto_credentials(base_url = "http://fake_user.example.com",
                                         api_key = secret_key))
  expect_no_key(conditionMessage(e))
  e <- catch_condition(set_default_credentials("creds.json", secret_key))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_no_key(conditionMessage(e))
  expect_no_key(all.equal(carto_credentials(fake_user, secret_key),
                          carto_credentials(fake_user, "another_key")))
})

test_that("loading, saving and resolving show no key", {
  local_sandbox()
  creds <- carto_credentials(fake_user, secret_key)
  path <- save_credentials(creds, profile = "work")
  expect_no_key(path)
  loaded <- credentials_from_file(profile = "work")
  expect_no_key(capture.output(print(loaded)))
  expect_no_key(loaded$origin)
  # a file readable by others: its warning names the file, not the key
  Sys.chmod(path, "644")
  w <- NULL
  loaded <- withCallingHandlers(credentials_from_file(profile = "work"),
                                warning = function(c) {
                                  w <<- c(w, conditionMessage(c))
                                  invokeRestart("muffleWarning")
                                })
  expect_length(w, 1L)
  expect_no_key(w)
  expect_no_key(capture.output(print(loaded)))
  # a corrupt file holding the key: the syntax error does not quote it
  broken <- write_private(c("{", sprintf('  "api_key": "%s",', secret_key), '  "username": }'))
  e <- catch_condition(credentials_from_file(broken))
  expect_s3_class(e, "carto_error_file_syntax")
  expect_no_key(conditionMessage(e))
  set_env(CARTO_API_KEY = secret_key)
  e <- catch_condition(resolve_credentials())
  expect_s3_class(e, "carto_error_invalid_environment")
  expect_no_key(conditionMessage(e))
})

test_that("a response's path is shown without its query string or userinfo, however the key is spelt", {
  paths <- c(
    "api/v2/sql?q=select%201&api_key=SEKRITvalue1",
    "api/v2/sql?api%5Fkey=SEKRITvalue2",
    "api/v2/sql?apikey=SEKRITvalue3&x=1",
    "api/v2/sql?key= SEKRITvalue4",
    "api/v2/sql?token=\"SEKRITvalue5#frag",
    "https://user:SEKRITpassword@host.example/user/u/api/v2/sql",
    "https:user:SEKRITpassword@host.example/api/v2/sql"
  )
  shown <- vapply(paths, cartoauth:::.redact_url, "")
  expect_false(any(grepl("SEKRIT", shown, fixed = TRUE)))
  expect_identical(unname(shown[[1L]]), "api/v2/sql")
  expect_identical(unname(shown[[6L]]), "https://host.example/user/u/api/v2/sql")
})
