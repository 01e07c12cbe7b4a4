# carto-emulator, the local CARTO-compatible server of this repository, for the HTTP tests.
#
# The first test that calls emulator() starts one server for the whole run:
#   carto-emulator --fresh --exit-on-stdin-eof --info-file <tmp>/info.json
# through a pipe() whose write end this R process keeps open. Closing it (a finalizer run at
# R exit, or the operating system when R dies) is the server's stdin EOF, so it stops and
# removes its temporary PostgreSQL cluster. Base R only (no processx, no withr).
#
# The binary: CARTO_EMULATOR_BIN; else target/release or target/debug (CARGO_TARGET_DIR
# first) of the repository at CARTOAUTH_REPO_ROOT, or four folders up when the tests run from
# bindings/r/tests/testthat. bindings/r/check.sh exports CARTO_EMULATOR_BIN, because under
# R CMD check the tests run from a copy outside the repository. When it cannot be found or
# started, every test that needs it is skipped with a one-line reason, except when
# CARTOAUTH_REQUIRE_INTEROP=1 (CI, scripts/test-all.sh), where each of them FAILS with the
# reason.

emulator_state <- new.env(parent = emptyenv())

emulator_binary <- function() {
  bin <- Sys.getenv("CARTO_EMULATOR_BIN")
  if (nzchar(bin)) {
    if (!file.exists(bin))
      stop("CARTO_EMULATOR_BIN=", bin, " does not exist", call. = FALSE)
    return(normalizePath(bin))
  }
  roots <- c(Sys.getenv("CARTOAUTH_REPO_ROOT"), file.path(getwd(), "..", "..", "..", ".."))
  roots <- roots[nzchar(roots) & file.exists(file.path(roots, "emulator", "Cargo.toml"))]
  candidates <- character()
  for (root in roots) {
    targets <- file.path(root, "target")
    cargo_target <- Sys.getenv("CARGO_TARGET_DIR")
    if (nzchar(cargo_target))
      targets <- c(if (startsWith(cargo_target, "/")) cargo_target else file.path(root, cargo_target),
                   targets)
    candidates <- c(candidates, file.path(rep(targets, each = 2L), c("release", "debug"),
                                          "carto-emulator"))
  }
  found <- candidates[file.exists(candidates)]
  if (length(found))
    return(normalizePath(found[[1L]]))
  stop("the carto-emulator binary was not found, so the HTTP tests cannot run. Build it ",
       "(cargo build -p carto-emulator) and set CARTO_EMULATOR_BIN to it, or CARTOAUTH_REPO_ROOT ",
       "to the repository; bindings/r/check.sh does this. Looked for: ",
       if (length(candidates)) paste(candidates, collapse = ", ") else "(no repository found)",
       call. = FALSE)
}

stop_emulator <- function() {
  con <- emulator_state$con
  emulator_state$con <- NULL
  if (!is.null(con))
    try(close(con), silent = TRUE) # stdin EOF: the server stops; close() waits for it
  invisible(NULL)
}

# The info file's contents (root_url, admin_token, accounts, ...), starting the server the
# first time. A failure to start is remembered, so later tests skip (or fail) at once.
emulator <- function() {
  if (!is.null(emulator_state$info))
    return(emulator_state$info)
  if (is.null(emulator_state$failure)) {
    started <- tryCatch(start_emulator(), error = function(e) e)
    if (!inherits(started, "error")) {
      emulator_state$info <- started
      return(started)
    }
    emulator_state$failure <- conditionMessage(started)
  }
  if (identical(Sys.getenv("CARTOAUTH_REQUIRE_INTEROP"), "1"))
    stop(emulator_state$failure, call. = FALSE)
  testthat::skip(paste("carto-emulator is not available:",
                       strsplit(emulator_state$failure, "[.:\n]")[[1L]][[1L]]))
}

start_emulator <- function() {
  bin <- emulator_binary()
  dir <- tempfile("carto-emulator-")
  dir.create(dir, mode = "0700")
  info_file <- file.path(dir, "info.json")
  log_file <- file.path(dir, "emulator.log")
  exit_file <- file.path(dir, "exit-status")
  # The shell stays as the parent to record the exit status; the server inherits the pipe
  # as its stdin.
  # --carto3 adds CARTO 3 (issuer, /v3 APIs) and leaves CARTO 2 as it is.
  command <- sprintf("%s --fresh --exit-on-stdin-eof --carto3 --info-file %s >%s 2>&1; echo $? >%s",
                     shQuote(bin), shQuote(info_file), shQuote(log_file), shQuote(exit_file))
  emulator_state$con <- pipe(command, open = "w")
  reg.finalizer(emulator_state, function(e) stop_emulator(), onexit = TRUE)
  deadline <- Sys.time() + 120
  repeat {
    if (file.exists(info_file)) {
      info <- tryCatch(jsonlite::read_json(info_file), error = function(e) NULL)
      if (!is.null(info))
        return(info)
    }
    log <- if (file.exists(log_file)) paste(readLines(log_file, warn = FALSE), collapse = "\n") else ""
    if (file.exists(exit_file) || Sys.time() > deadline) {
      stop_emulator()
      stop(sprintf("carto-emulator (%s) %s: %s", bin,
                   if (file.exists(exit_file)) "exited during startup" else "was not ready within 120 s",
                   log), call. = FALSE)
    }
    Sys.sleep(0.05)
  }
}

emu_root <- function() emulator()$root_url
# CARTO 3: issuer, API base URL, the M2M application, connections (info file's "carto3").
emu_carto3 <- function() emulator()$carto3
emu_base_url <- function(user = "demo") emulator()$accounts[[user]]$base_url
emu_admin_token <- function() emulator()$admin_token

# A key of the demo account by name ("Master", "demo_regular") or type ("master",
# "default", "regular"). Never print it.
emu_key <- function(which = "master", user = "demo") {
  keys <- emulator()$accounts[[user]]$keys
  for (k in keys) if (identical(k$name, which)) return(k$token)
  for (k in keys) if (identical(k$type, which)) return(k$token)
  stop("no key ", which, call. = FALSE)
}

emu_creds <- function(key = "master", user = "demo") {
  carto_credentials(base_url = emu_base_url(user),
                    api_key = if (is.null(key)) NULL else emu_key(key, user),
                    allow_non_secure = TRUE)
}

# A client that does not retry (error tests must see the first answer).
emu_client <- function(key = "master", ...) {
  args <- list(...)
  if (is.null(args$retries)) args$retries <- 0L
  do.call(carto_client, c(list(credentials = emu_creds(key)), args))
}

# Headers that make the emulator inject `fault` into this one request.
fault_headers <- function(...) {
  list(`X-Emulator-Fault` = as.character(jsonlite::toJSON(list(...), auto_unbox = TRUE)),
       `X-Emulator-Token` = emu_admin_token())
}

# The secret keys of the emulator (not the public "default_public", which descriptions
# show on purpose), for redaction checks.
emu_all_keys <- function() {
  keys <- Filter(function(k) !identical(k$type, "default"), emulator()$accounts$demo$keys)
  c(vapply(keys, function(k) k$token, ""), emu_admin_token())
}

expect_no_emulator_key <- function(text) {
  text <- paste(text, collapse = "\n")
  for (key in emu_all_keys()[nchar(emu_all_keys()) >= 8L])
    expect_false(grepl(key, text, fixed = TRUE), label = "an emulator key appears in the output")
  invisible(text)
}
