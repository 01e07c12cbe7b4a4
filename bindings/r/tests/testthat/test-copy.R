# COPY FROM a file and COPY TO a file, streamed through the library's read and write
# callbacks (in C: no R code per chunk), against carto-emulator.

copy_rows <- function(n, path = tempfile(fileext = ".csv")) {
  writeLines(c("id,label", sprintf("%d,row %d", seq_len(n), seq_len(n))), path)
  path
}

test_that("copyfrom uploads a file (plain and gzip) into a table the master key created", {
  local_sandbox()
  cl <- emu_client()
  carto_sql("CREATE TABLE r_copy (id int, label text)", client = cl)
  on.exit(carto_sql("DROP TABLE IF EXISTS r_copy", client = cl), add = TRUE)
  src <- copy_rows(20000)
  query <- "COPY r_copy (id, label) FROM STDIN WITH (FORMAT csv, HEADER true)"
  result <- carto_copyfrom(query, src, client = cl, progress = FALSE)
  expect_identical(result$total_rows, 20000L)
  expect_type(result$time, "double")
  expect_invisible(carto_copyfrom(query, src, gzip = TRUE, client = cl, progress = FALSE))
  counts <- carto_sql("select count(*) as n, count(distinct id) as ids, max(label) as top from r_copy",
                      client = cl)
  expect_equal(counts$n, 40000)
  expect_equal(counts$ids, 20000)
  expect_identical(counts$top, "row 9999")

  e <- catch_condition(carto_copyfrom(query, tempfile(), client = cl))
  expect_s3_class(e, "carto_error_io")
  # A small file: with a large one the server may answer 400 and close the connection
  # before the upload ends, which the client sees as carto_error_connection.
  e <- catch_condition(carto_copyfrom("COPY no_such_table FROM STDIN", copy_rows(2), client = cl,
                                      progress = FALSE))
  expect_s3_class(e, "carto_error_client_error")
  expect_match(e$server_message, "no_such_table")
  # a key without write permission on the table
  e <- catch_condition(carto_copyfrom(query, copy_rows(2), credentials = emu_creds("demo_regular"),
                                      progress = FALSE))
  expect_s3_class(e, "carto_error_forbidden")
  expect_match(e$server_message, "permission denied")
})

test_that("copyto streams into a file; a failed download leaves the old file alone", {
  local_sandbox()
  cl <- emu_client()
  dir <- tempfile("copyto-")
  dir.create(dir)
  on.exit(unlink(dir, recursive = TRUE), add = TRUE)
  out <- file.path(dir, "points.csv")
  returned <- carto_copyto(
    "COPY (SELECT cartodb_id, name FROM points_public ORDER BY 1) TO STDOUT WITH (FORMAT csv, HEADER true)",
    out, client = cl, progress = FALSE)
  expect_identical(returned, out)
  expect_identical(read.csv(out)$name, c("Madrid", "Paris", "Berlin"))

  big <- file.path(dir, "big.txt")
  carto_copyto("COPY (SELECT repeat('x', 100) FROM generate_series(1, 20000)) TO STDOUT", big,
               client = cl, progress = FALSE)
  expect_identical(file.size(big), 20000 * 101)

  e <- catch_condition(carto_copyto("COPY (SELECT * FROM nope) TO STDOUT", out, client = cl,
                                    progress = FALSE))
  expect_s3_class(e, "carto_error_client_error")
  expect_identical(read.csv(out)$name, c("Madrid", "Paris", "Berlin")) # untouched
  # a body cut short is a connection error, and nothing is left behind
  e <- catch_condition(carto_request("GET", "api/v2/sql", client = cl,
                                     query = list(q = "select repeat('x', 1000) from generate_series(1, 500)"),
                                     headers = fault_headers(abort_after_bytes = 100000)))
  expect_s3_class(e, "carto_error_connection")
  expect_identical(sort(list.files(dir, all.files = TRUE, no.. = TRUE)), c("big.txt", "points.csv"))

  e <- catch_condition(carto_copyto("COPY (SELECT 1) TO STDOUT", file.path(dir, "no", "x.csv"),
                                    client = cl))
  expect_s3_class(e, "carto_error_io")
  expect_match(conditionMessage(e), "does not exist")
  expect_s3_class(catch_condition(carto_copyto("COPY (SELECT 1) TO STDOUT", dir, client = cl)),
                  "carto_error_io")
})

test_that("a write that fails (a full disk) is carto_error_io and stops the transfer", {
  local_sandbox()
  # /dev/full (Linux) accepts the open and fails every write with ENOSPC; copyto writes
  # through a temporary file, so exercise the C writer directly.
  cl <- emu_client()
  req <- .Call(cartoauth:::C_request_new_copy_to,
               "COPY (SELECT repeat('x', 100) FROM generate_series(1, 20000)) TO STDOUT")
  e <- catch_condition(cartoauth:::.send(cl, req, out_file = list(path = "/dev/full", name = "/dev/full")))
  expect_s3_class(e, "carto_error_io")
  expect_match(conditionMessage(e), "No space left on device")
  expect_false(.Call(cartoauth:::C_request_live, req)) # released by the send
})
