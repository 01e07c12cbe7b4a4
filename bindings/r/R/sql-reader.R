# A query's result read in chunks as its answer arrives (the library's carto_result_reader,
# src/reader.c): carto_sql() and the DBI results read through it, so that memory holds the
# data frame being built plus a chunk, never the answer's JSON. Each read is a wait of its
# own with the progress function (and Ctrl-C); freeing a reader before its end stops the
# query on the server.

# Rows per chunk when reading everything: large enough that the R-level loop costs nothing,
# small enough that a chunk is a few MB.
.reader_chunk_rows <- 65536L

# Opens `req` (a SQL API JSON request, released here) for reading. A refused query raises
# what .stop_for_response() raises for carto_sql()'s answers (http_status, server_message,
# rate_limit, response); transport failures and the progress function's errors as .send().
.reader_open <- function(client, req, progress = NULL, method = "SQL", path = "api/v2/sql") {
  result <- .Call(C_reader_open, .client_ptr(client), req, progress)
  if (!is.null(result$condition))
    .reraise(result$condition, result$status, result$message)
  if (!is.null(result$response)) {
    on.exit(.Call(C_response_free, result$response), add = TRUE)
    .stop_for_response(.read_response(result$response, "raw", method, path))
  }
  if (result$status != 0L)
    .carto_abort(result$status, result$message)
  result$reader
}

# The next chunk of at most `n` rows (the list of src/result.c's cr_result_list), or NULL
# once the result has ended. An error that arrives mid-answer is raised (never a shorter
# result).
.reader_next <- function(reader, n, int64 = FALSE, progress = NULL) {
  result <- .Call(C_reader_next, reader, n, int64, progress)
  if (!is.null(result$condition))
    .reraise(result$condition, result$status, result$message)
  if (result$status != 0L)
    .carto_abort(result$status, result$message)
  result$chunk
}

# Reads until `n` rows (Inf: all) are in hand, after the chunks already in `parts`; returns
# list(result = the chunks bound into one (NULL when there were none), ended = whether the
# result ended). The chunks' columns are moved into the bound one, one column at a time.
.reader_read <- function(reader, n = Inf, int64 = FALSE, progress = NULL, parts = list()) {
  have <- 0
  for (p in parts) have <- have + p$rows
  ended <- FALSE
  while (have < n) {
    chunk <- .reader_next(reader, min(n - have, .reader_chunk_rows), int64, progress)
    if (is.null(chunk)) {
      ended <- TRUE
      break
    }
    parts[[length(parts) + 1L]] <- chunk
    have <- have + chunk$rows
  }
  result <- switch(min(length(parts), 2L) + 1L, NULL, parts[[1L]], .Call(C_result_lists_bind, parts))
  list(result = result, ended = ended)
}
