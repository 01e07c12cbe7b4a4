# Progress callbacks into R during a transfer: the bar, cancelling, and every way R code can
# leave the callback (an error, an interrupt, an outer exiting handler, a restart), none of
# which may jump across the library's frames.

big_copy <- "COPY (SELECT repeat('x', 100) FROM generate_series(1, 20000)) TO STDOUT"

test_that("the progress function sees bytes moving; TRUE shows a bar on stderr", {
  local_sandbox()
  cl <- emu_client()
  out <- tempfile()
  on.exit(unlink(out), add = TRUE)
  seen <- list()
  carto_copyto(big_copy, out, client = cl, progress = function(uploaded, upload_total,
                                                                  downloaded, download_total) {
    seen[[length(seen) + 1L]] <<- c(uploaded, upload_total, downloaded, download_total)
    TRUE
  })
  expect_gt(length(seen), 5L)
  down <- vapply(seen, `[`, 0, 3L)
  expect_false(is.unsorted(down))
  expect_identical(down[[length(down)]], 20000 * 101)
  expect_true(is.na(seen[[1]][[4]])) # COPY TO is chunked: no total

  # cli progress bars: bytes, rate and time for an unknown total; the percentage, rate and
  # time left for a known one; a last line with the total and the rate. cli draws a bar at
  # its ticks (every 0.2 s) once cli.progress_show_after has passed, so the server takes a
  # second here (pg_sleep) while the callback keeps reporting.
  old <- options(cli.progress_show_after = 0)
  on.exit(options(old), add = TRUE)
  slow_copy <- "COPY (SELECT repeat('x', 100) FROM generate_series(1, 20000), pg_sleep(1)) TO STDOUT"
  shown <- paste(capture.output(carto_copyto(slow_copy, out, client = cl, progress = TRUE),
                                type = "message"), collapse = "\n")
  expect_match(shown, paste0("downloading ", basename(out), " .* \\| .*B/s \\| "))
  expect_match(shown, paste0("downloaded ", basename(out), ": 2.0 MB in .*B/s)"))
  # each row's default sleeps: the upload is quick, the server slow
  carto_sql("CREATE TABLE r_progress (id int, label text, slow text DEFAULT pg_sleep(0.25)::text)",
            client = cl)
  on.exit(carto_sql("DROP TABLE r_progress", client = cl), add = TRUE)
  src <- tempfile(fileext = ".csv")
  writeLines(c("id,label", paste0(1:4, ",row")), src)
  shown <- paste(capture.output(
    carto_copyfrom("COPY r_progress (id, label) FROM STDIN WITH (FORMAT csv, HEADER true)", src,
                   client = cl, progress = TRUE),
    type = "message"), collapse = "\n")
  expect_match(shown, paste0("uploading ", basename(src), " +100% \\| .* of .* \\| .*B/s \\| ETA"))
  expect_match(shown, paste0("uploaded ", basename(src), ": "), fixed = TRUE)
  # dbWriteTable() and dbAppendTable() show the rows and the table
  con <- DBI::dbConnect(carto(), client = cl)
  rows <- data.frame(id = 1:4, label = "some text")
  shown <- paste(capture.output(
    DBI::dbWriteTable(con, "r_progress", rows, append = TRUE, progress = TRUE),
    type = "message"), collapse = "\n")
  expect_match(shown, "uploaded 4 rows to \"r_progress\": ", fixed = TRUE)
  shown <- paste(capture.output(
    DBI::dbAppendTable(con, "r_progress", rows, progress = TRUE),
    type = "message"), collapse = "\n")
  expect_match(shown, "uploaded 4 rows to \"r_progress\": ", fixed = TRUE)
  expect_silent(DBI::dbAppendTable(con, "r_progress", rows[1, ], progress = FALSE))
  expect_silent(carto_copyto(big_copy, out, client = cl, progress = FALSE))
})

test_that("returning FALSE cancels: carto_error_cancelled", {
  local_sandbox()
  invisible(gc())
  baseline <- carto_handle_count()
  cl <- emu_client()
  calls <- 0
  e <- catch_condition(carto_copyto(big_copy, tempfile(), client = cl,
                                    progress = function(u, ut, d, dt) {
                                      calls <<- calls + 1
                                      d < 65536
                                    }))
  expect_s3_class(e, "carto_error_cancelled")
  expect_identical(e$status, 603L)
  expect_match(conditionMessage(e), "cancelled")
  calls_at_cancel <- calls
  expect_gt(calls, 0)
  # the same client works afterwards, and nothing leaked
  expect_identical(carto_sql("select 1 as one", client = cl)$one, 1L)
  expect_identical(calls, calls_at_cancel)
  rm(cl)
  invisible(gc())
  expect_identical(carto_handle_count(), baseline)
})

test_that("an R error in the progress function is raised again, intact, after the transfer", {
  local_sandbox()
  invisible(gc())
  baseline <- carto_handle_count()
  cl <- emu_client()
  dir <- tempfile("progress-")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  out <- file.path(dir, "out.txt")
  calls <- 0
  my_error <- structure(class = c("my_progress_error", "error", "condition"),
                        list(message = "the disk is sad", call = NULL))
  e <- catch_condition(carto_copyto(big_copy, out, client = cl,
                                    progress = function(u, ut, d, dt) {
                                      calls <<- calls + 1
                                      if (d > 65536) stop(my_error)
                                      TRUE
                                    }))
  expect_s3_class(e, "my_progress_error")
  expect_identical(conditionMessage(e), "the disk is sad")
  expect_identical(e$transfer_status, 603L)
  expect_match(e$transfer_message, "cancelled")
  after <- calls
  # no partial file, and the callback was not called again after its error
  expect_identical(list.files(dir, all.files = TRUE, no.. = TRUE), character())
  expect_identical(carto_sql("select 2 as two", client = cl)$two, 2L)
  expect_identical(calls, after)
  # a plain stop() keeps its message; a calling handler outside sees it once
  handled <- 0
  e <- catch_condition(withCallingHandlers(
    carto_copyto(big_copy, out, client = cl, progress = function(...) stop("boom")),
    error = function(e) handled <<- handled + 1
  ))
  expect_identical(conditionMessage(e), "boom")
  expect_identical(handled, 1)
  # errors in the upload direction too
  carto_sql("CREATE TABLE r_progress_up (id int, label text)", client = cl)
  src <- file.path(dir, "in.csv")
  writeLines(c("id,label", paste0(1:20000, ",row")), src)
  e <- catch_condition(carto_copyfrom("COPY r_progress_up FROM STDIN WITH (FORMAT csv, HEADER true)",
                                      src, client = cl,
                                      progress = function(u, ...) if (u > 1000) stop("upload boom")))
  expect_identical(conditionMessage(e), "upload boom")
  expect_identical(carto_sql("select count(*) as n from r_progress_up", client = cl)$n, 0) # int8: double
  carto_sql("DROP TABLE r_progress_up", client = cl)
  rm(cl, e)
  invisible(gc())
  expect_identical(carto_handle_count(), baseline)
})

test_that("other ways out of the callback resume once the transfer has stopped", {
  local_sandbox()
  cl <- emu_client()
  out <- tempfile()
  on.exit(unlink(out), add = TRUE)
  # an exiting handler of an outer tryCatch() for a warning
  w <- tryCatch(carto_copyto(big_copy, out, client = cl,
                             progress = function(...) warning("careful")),
                warning = function(w) w)
  expect_s3_class(w, "simpleWarning")
  expect_identical(conditionMessage(w), "careful")
  # a restart established outside
  r <- withRestarts(carto_copyto(big_copy, out, client = cl,
                                 progress = function(...) invokeRestart("give_up", 42)),
                    give_up = function(v) v)
  expect_identical(r, 42)
  # a custom condition caught outside
  got <- tryCatch(carto_copyto(big_copy, out, client = cl,
                               progress = function(...) signalCondition(
                                 structure(class = c("stop_now", "condition"),
                                           list(message = "stop", call = NULL)))),
                  stop_now = function(c) "stopped")
  expect_identical(got, "stopped")
  # a warning that is only muffled does not stop anything
  expect_silent(withCallingHandlers(
    carto_copyto(big_copy, out, client = cl, progress = function(...) warning("noted")),
    warning = function(w) invokeRestart("muffleWarning")))
  expect_identical(file.size(out), 20000 * 101)
  expect_identical(carto_sql("select 3 as three", client = cl)$three, 3L)
})

test_that("a user interrupt (SIGINT) during a transfer stops it and reaches R", {
  local_sandbox()
  cl <- emu_client()
  # from the progress function
  i <- tryCatch(carto_copyto(big_copy, tempfile(), client = cl,
                             progress = function(u, ut, d, dt) {
                               if (d > 65536) {
                                 tools::pskill(Sys.getpid(), tools::SIGINT)
                                 Sys.sleep(1) # the interrupt arrives here
                               }
                               TRUE
                             }),
                interrupt = function(i) "interrupted")
  expect_identical(i, "interrupted")
  # without any progress function: a slow download (the emulator drips 100 bytes every
  # 50 ms, so about 10 s) interrupted after half a second from outside. The whole shell runs
  # in the background: system("sleep; kill", wait = FALSE) would sleep in the foreground,
  # and the kill could then land while system() still ignores SIGINT.
  system2("sh", c("-c", shQuote(sprintf("sleep 0.5; kill -INT %d", Sys.getpid()))),
          wait = FALSE)
  started <- proc.time()[["elapsed"]]
  i <- tryCatch(
    carto_request("GET", "api/v2/sql", client = cl,
                  query = list(q = "select repeat('y', 20000) as y"),
                  headers = fault_headers(drip = list(chunk_bytes = 100, interval_ms = 50))),
    interrupt = function(i) "interrupted")
  if (!identical(i, "interrupted")) # never let the signal land in a later test
    tryCatch(Sys.sleep(3), interrupt = function(i) NULL)
  expect_identical(i, "interrupted")
  elapsed <- proc.time()[["elapsed"]] - started
  expect_gt(elapsed, 0.3) # it arrived during the transfer, not before it
  expect_lt(elapsed, 5)
  expect_identical(carto_sql("select 4 as four", client = cl)$four, 4L)
})

test_that("the progress function may call the library itself", {
  local_sandbox()
  cl <- emu_client()
  inner <- NULL
  carto_copyto(big_copy, tempfile(), client = cl, progress = function(...) {
    if (is.null(inner)) inner <<- carto_sql("select 7 as seven", client = cl)$seven
    TRUE
  })
  expect_identical(inner, 7L)
  # even free the client that is sending (the library keeps it alive until the send ends)
  doomed <- emu_client()
  carto_copyto(big_copy, tempfile(), client = doomed, progress = function(...) {
    carto_free(doomed)
    TRUE
  })
  expect_s3_class(catch_condition(carto_sql("select 1", client = doomed)),
                  "carto_error_invalid_handle")
})

test_that("progress arguments are checked", {
  local_sandbox()
  e <- catch_condition(carto_copyto(big_copy, tempfile(), client = emu_client(), progress = "yes"))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "'progress'")
})
