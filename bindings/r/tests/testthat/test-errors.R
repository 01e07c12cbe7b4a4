# Conditions: one class per status of the header, their fields, and the load-time ABI check.

# The header the package was built against: CARTOAUTH_INCLUDE_DIR (check.sh and CI set it),
# else the source tree's include/ when the tests run from bindings/r/tests/testthat.
header_path <- function() {
  dirs <- c(Sys.getenv("CARTOAUTH_INCLUDE_DIR"), file.path("..", "..", "..", "..", "include"))
  paths <- file.path(dirs[nzchar(dirs)], "cartoauth.h")
  paths <- paths[file.exists(paths)]
  if (length(paths)) paths[[1L]] else NA_character_
}

test_that("the status table covers every code the package was compiled against", {
  compiled <- .Call(cartoauth:::C_status_codes)
  expect_gt(length(compiled), 25L)
  expect_setequal(unname(cartoauth:::.carto_status), compiled)
  codes <- carto_status_codes()
  expect_identical(codes$status, unname(cartoauth:::.carto_status))
  expect_false(any(codes$description == "unknown status code"))
  expect_true(all(nzchar(codes$description)))
  expect_identical(anyDuplicated(codes$class[!is.na(codes$class)]), 0L)
})

test_that("the status names match the header's enum", {
  path <- header_path()
  skip_if(is.na(path), "cartoauth.h not found (set CARTOAUTH_INCLUDE_DIR)")
  lines <- readLines(path)
  hits <- regmatches(lines, regexec("^\\s*(CARTO_(OK|ERR_[A-Z0-9_]+)) = ([0-9]+),", lines))
  hits <- hits[lengths(hits) > 0L]
  from_header <- setNames(as.integer(vapply(hits, `[`, "", 4L)),
                          vapply(hits, `[`, "", 2L))
  expect_identical(from_header[order(from_header)],
                   cartoauth:::.carto_status[order(cartoauth:::.carto_status)])
})

test_that("each status maps to the documented class", {
  expected <- c(
    `100` = "null_argument", `101` = "invalid_utf8", `102` = "invalid_argument",
    `103` = "invalid_handle", `104` = "panic", `200` = "missing_account",
    `201` = "invalid_username", `202` = "invalid_base_url", `203` = "insecure_base_url",
    `204` = "no_default_credentials", `205` = "not_resolved",
    `206` = "invalid_environment", `300` = "file_not_found", `301` = "io",
    `302` = "file_syntax", `303` = "file_content", `304` = "lock_timeout",
    `305` = "keychain_unavailable", `306` = "keychain_timeout",
    `307` = "keychain_item_not_found",
    `400` = "client_error", `401` = "unauthorized", `403` = "forbidden",
    `404` = "not_found", `429` = "rate_limited", `500` = "server_error",
    `600` = "timeout", `601` = "connection", `602` = "tls", `603` = "cancelled",
    `604` = "callback", `605` = "protocol", `800` = "batch_job_failed",
    `801` = "batch_job_cancelled", `802` = "wait_timeout"
  )
  for (code in names(expected)) {
    e <- cartoauth:::.carto_error_condition(as.integer(code), "a message")
    expect_identical(class(e), c(paste0("carto_error_", expected[[code]]), "carto_error",
                                 "error", "condition"))
    expect_identical(e$status, as.integer(code))
    expect_identical(conditionMessage(e), "a message")
  }
  codes <- carto_status_codes()
  expect_identical(codes$class[match(as.integer(names(expected)), codes$status)],
                   paste0("carto_error_", unname(expected)))
})

test_that("statuses this version does not know are carto_error_unknown", {
  e <- cartoauth:::.carto_error_condition(999L, "from a newer library")
  expect_identical(class(e)[1:2], c("carto_error_unknown", "carto_error"))
  expect_identical(e$status, 999L)
  expect_identical(e$status_name, NA_character_)
})

test_that("library failures carry status, status_name, message and the user's call", {
  e <- tryCatch(credentials_from_file(file.path(tempdir(), "no-such-file.json")),
                carto_error = function(e) e)
  expect_s3_class(e, "carto_error_file_not_found")
  expect_s3_class(e, "error")
  expect_identical(e$status, 300L)
  expect_identical(e$status_name, "CARTO_ERR_FILE_NOT_FOUND")
  expect_match(conditionMessage(e), "no-such-file.json", fixed = TRUE)
  expect_identical(conditionCall(e)[[1L]], as.name("credentials_from_file"))
  # stop()/try() users see the library's message
  msg <- tryCatch(credentials_from_file(file.path(tempdir(), "no-such-file.json")),
                  error = conditionMessage)
  expect_identical(msg, conditionMessage(e))
})

test_that("a specific class can be caught while others propagate", {
  f <- function(path) tryCatch(credentials_from_file(path),
                               carto_error_file_not_found = function(e) "missing")
  expect_identical(f(file.path(tempdir(), "nope.json")), "missing")
  broken <- write_private("{oops")
  expect_error(f(broken), class = "carto_error_file_syntax")
})

test_that("invalid UTF-8 is refused by the library, not passed on", {
  bad <- rawToChar(as.raw(c(0x66, 0xff, 0x66)))
  Encoding(bad) <- "UTF-8"
  e <- catch_condition(carto_credentials(bad))
  expect_s3_class(e, "carto_error_invalid_utf8")
  expect_identical(e$status, 101L)
  expect_match(conditionMessage(e), "'username' is not valid UTF-8")
  e <- catch_condition(carto_credentials(fake_user, api_key = bad))
  expect_s3_class(e, "carto_error_invalid_utf8")
  expect_match(conditionMessage(e), "'api_key'")
  expect_s3_class(catch_condition(credentials_file_path(bad)), "carto_error_invalid_utf8")
  Encoding(bad) <- "bytes"
  expect_s3_class(catch_condition(carto_credentials(bad)), "carto_error_invalid_utf8")
  ok <- "fake_user"
  Encoding(ok) <- "bytes"
  expect_identical(carto_credentials(ok)$username, "fake_user")
})

test_that("the ABI check refuses another ABI version and names both and the library", {
  expect_true(cartoauth:::.check_abi(1L, 1L))
  e <- catch_condition(cartoauth:::.check_abi(2L, 1L, "/opt/lib/libcartoauth.so"))
  expect_s3_class(e, "carto_error_abi_mismatch")
  expect_s3_class(e, "carto_error")
  expect_match(conditionMessage(e), "ABI version 1", fixed = TRUE)
  expect_match(conditionMessage(e), "has ABI version 2", fixed = TRUE)
  expect_match(conditionMessage(e), "/opt/lib/libcartoauth.so", fixed = TRUE)
})

test_that("the loaded library is the one the package was written for", {
  info <- carto_library_info()
  expect_identical(info$abi_version, 1L)
  expect_identical(.Call(cartoauth:::C_header_abi_version), 1L)
  expect_match(info$version, "^[0-9]+\\.[0-9]+\\.[0-9]+")
  expect_true(file.exists(info$path))
  # linked statically (the default): the library is the package's own shared object;
  # with CARTOAUTH_SYSTEM_LIB=yes, the system's libcartoauth
  if (startsWith(basename(info$path), "libcartoauth")) {
    expect_match(basename(info$path), "^libcartoauth\\.")
  } else {
    expect_match(basename(info$path), "^cartoauth\\.(so|dylib|dll)$")
    expect_identical(normalizePath(dirname(info$path)),
                     normalizePath(system.file("libs", package = "cartoauth")))
  }
  expect_type(carto_handle_count(), "double")
})

test_that("the README's status table lists every status of the library", {
  root <- Sys.getenv("CARTOAUTH_REPO_ROOT")
  readme <- file.path(root, "bindings", "r", "README.md")
  skip_if_not(nzchar(root) && file.exists(readme), "the repository's README is not at hand")
  text <- readLines(readme, warn = FALSE)
  table <- text[grepl("^\\| [0-9]+ \\| `carto_error_", text)]
  cells <- unlist(regmatches(table, gregexpr("\\| [0-9]+ \\| `carto_error_[a-z0-9_]+`", table)))
  documented <- sub("^\\| ([0-9]+) \\| `(.*)`$", "\\1 \\2", cells)
  codes <- carto_status_codes()
  codes <- codes[codes$status != 0L, ]
  # out of date: Rscript bindings/r/tools/status-table.R prints the table to paste
  expect_setequal(documented, paste(codes$status, codes$class))
})
