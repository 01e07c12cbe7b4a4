# Secrets in the OS keychain through the C ABI: a real Secret Service (gnome-keyring, unlocked,
# on a session bus this test starts and stops), then a machine where no keychain answers.
# Needs dbus-daemon, gnome-keyring-daemon and secret-tool (scripts/install-deps.sh); without
# them the tests skip with the reason, except under CARTOAUTH_REQUIRE_INTEROP=1 (CI), where
# they fail.

keychain_tools_missing <- function() {
  tools <- c("dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool", "python3")
  missing <- tools[!nzchar(Sys.which(tools))]
  if (!length(missing)) return(FALSE)
  reason <- paste("not installed:", paste(missing, collapse = ", "))
  if (identical(Sys.getenv("CARTOAUTH_REQUIRE_INTEROP"), "1")) stop(reason, call. = FALSE)
  testthat::skip(reason)
}

# Starts dbus-daemon and an unlocked gnome-keyring keeping its files under `home`; points this
# R process at the bus. Returns what stop_keyring() needs.
start_keyring <- function(home) {
  run <- file.path(home, "run")
  dir.create(run, mode = "0700")
  out <- system2("dbus-daemon", c("--session", "--fork", "--print-address=1", "--print-pid=1",
                                  paste0("--address=unix:path=", file.path(home, "bus"))),
                 stdout = TRUE)
  Sys.setenv(DBUS_SESSION_BUS_ADDRESS = out[[1L]])
  # --foreground in the background, so that its pid is known and it can be stopped.
  script <- sprintf(
    "printf %%s ci-pass | HOME=%s XDG_RUNTIME_DIR=%s gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 & echo $!",
    shQuote(home), shQuote(run)
  )
  keyring_pid <- as.integer(system2("sh", c("-c", shQuote(script)), stdout = TRUE))
  # The settle of gnome-keyring's start-up race (a keyring used at once fails now and then).
  for (i in 1:100) {
    owned <- suppressWarnings(system2("dbus-send", c(
      "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
      "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.secrets"
    ), stdout = TRUE, stderr = FALSE))
    if (any(grepl("boolean true", owned))) break
    Sys.sleep(0.1)
  }
  Sys.sleep(1)
  c(dbus = as.integer(out[[2L]]), keyring = keyring_pid)
}

stop_keyring <- function(pids) {
  for (pid in rev(pids)) tools::pskill(pid)
}

# On the bus of `pids`, a stub that owns the Secret Service's name and never answers a call
# (python3-dbus). Returns `pids` with the stub's.
start_silent_stub <- function(pids) {
  stub <- paste(
    "import dbus, sys, time",
    "bus = dbus.SessionBus()",
    "bus.request_name('org.freedesktop.secrets', dbus.bus.NAME_FLAG_DO_NOT_QUEUE)",
    "print('ready', flush=True)",
    "time.sleep(120)",
    sep = "\n"
  )
  ready <- tempfile("stub-ready-")
  script <- sprintf("/usr/bin/python3 -c %s > %s 2>/dev/null & echo $!",
                    shQuote(stub), shQuote(ready))
  pid <- as.integer(system2("sh", c("-c", shQuote(script)), stdout = TRUE))
  for (i in 1:200) {
    if (file.exists(ready) && any(readLines(ready, warn = FALSE) == "ready")) break
    Sys.sleep(0.05)
  }
  unlink(ready)
  c(pids, stub = pid)
}

secret_tool_lookup <- function(item) {
  out <- suppressWarnings(system2("secret-tool", c("lookup", "service", "cartoauth",
                                                  "username", shQuote(item)),
                                  stdout = TRUE, stderr = FALSE))
  if (!is.null(attr(out, "status")) || !length(out)) NA_character_ else paste(out, collapse = "\n")
}

# Every file under `dirs` whose bytes hold `secret` (the test's grep).
files_holding <- function(dirs, secret) {
  files <- list.files(dirs, recursive = TRUE, all.files = TRUE, full.names = TRUE)
  needle <- charToRaw(secret)
  files[vapply(files, function(f) {
    length(grepRaw(needle, readBin(f, "raw", file.info(f)$size), fixed = TRUE)) > 0L
  }, logical(1))]
}

key <- "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"

test_that("a key saved from R lives in the keychain only, resolves everywhere, and goes with its file", {
  config <- local_sandbox()
  keychain_tools_missing()
  home <- tempfile("carto-home-")
  dir.create(home, mode = "0700")
  pids <- start_keyring(home)
  on.exit({ stop_keyring(pids); unlink(home, recursive = TRUE) }, add = TRUE)
  Sys.setenv(CARTO_CREDENTIAL_STORE = "auto")

  expect_silent(written <- save_credentials(carto_credentials("jo", key), profile = "work"))
  loaded <- credentials_from_file(profile = "work")
  expect_identical(loaded$api_key, key)
  expect_identical(loaded$storage, "keychain")
  item <- loaded$keychain_item
  expect_match(item, "^api_key/[0-9a-f]{12}/[0-9a-f]{16}$")
  expect_identical(secret_tool_lookup(item), key)
  expect_identical(files_holding(c(config, home), key), character())

  # The resolution order resolves it too.
  Sys.setenv(CARTO_PROFILE = "work")
  resolved <- carto_resolve_credentials()
  expect_identical(resolved$api_key, key)
  expect_identical(resolved$storage, "keychain")
  Sys.unsetenv("CARTO_PROFILE")

  # Moved to a plain file for Python CARTOframes, and back.
  moved <- move_credentials(profile = "work", to = "file")
  expect_identical(moved$storage, "file")
  expect_identical(secret_tool_lookup(item), NA_character_)
  expect_length(files_holding(c(config, home), key), 1L)
  moved <- move_credentials(profile = "work", to = "keychain")
  expect_identical(moved$storage, "keychain")
  expect_identical(files_holding(c(config, home), key), character())

  save_credentials(carto_credentials("jo", key), profile = "kept")
  delete_credentials(profile = "work")
  expect_identical(secret_tool_lookup(moved$keychain_item), NA_character_)
  expect_false(file.exists(written))
  expect_identical(files_holding(c(config, home), key), character())
  kept_item <- credentials_from_file(profile = "kept")$keychain_item
  expect_identical(secret_tool_lookup(kept_item), key)

  # The keychain stops answering (a stub holds its name and never replies): reading the kept
  # profile ends within 3.5 s with its own error class, and no key in the message.
  tools::pskill(pids[["keyring"]])
  Sys.sleep(0.2)
  pids <- start_silent_stub(pids[names(pids) != "keyring"])
  started <- proc.time()[["elapsed"]]
  err <- tryCatch(credentials_from_file(profile = "kept"), carto_error = function(e) e)
  expect_lte(proc.time()[["elapsed"]] - started, 3.5)
  expect_s3_class(err, "carto_error_keychain_timeout")
  expect_false(grepl(key, conditionMessage(err), fixed = TRUE))
  started <- proc.time()[["elapsed"]]
  expect_error(save_credentials(carto_credentials("jo", key), profile = "forced",
                                store = "keychain"),
               class = "carto_error_keychain_timeout")
  expect_lte(proc.time()[["elapsed"]] - started, 3.5)
  expect_false(file.exists(credentials_file_path(profile = "forced")))
})

test_that("where no keychain answers, saving warns once and records storage file", {
  config <- local_sandbox()
  Sys.setenv(CARTO_CREDENTIAL_STORE = "auto",
             DBUS_SESSION_BUS_ADDRESS = paste0("unix:path=", file.path(config, "no-bus")))
  creds <- carto_credentials("jo", key)
  started <- proc.time()[["elapsed"]]
  expect_warning(written <- save_credentials(creds, profile = "a"), "plain text",
                 class = "carto_warning")
  expect_lt(proc.time()[["elapsed"]] - started, 1)
  expect_identical(credentials_from_file(profile = "a")$storage, "file")
  expect_error(save_credentials(creds, profile = "k", store = "keychain"),
               class = "carto_error_keychain_unavailable")
  expect_false(file.exists(credentials_file_path(profile = "k")))
  expect_error(move_credentials(profile = "a", to = "keychain"),
               class = "carto_error_keychain_unavailable")
  expect_error(save_credentials(creds, profile = "x", store = "vault"),
               class = "carto_error_invalid_argument")
  expect_error(move_credentials(profile = "a", to = "auto"),
               class = "carto_error_invalid_argument")
})
