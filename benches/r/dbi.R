# DBI through cartoauth (CARTO's SQL API on carto-emulator) against RPostgreSQL straight to
# the emulator's own PostgreSQL, on the same 100,000 rows: dbWriteTable() and dbReadTable().
# Run by benches/r/run.sh, which starts the emulator and passes its info file:
#
#   Rscript benches/r/dbi.R <info.json> wall <rounds>          # wall-clock rounds, interleaved
#   Rscript benches/r/dbi.R <info.json> once <client> <op>     # one operation (for callgrind)
#   Rscript benches/r/dbi.R <info.json> setup <client> <op>    # the same without the operation
#
# client: cartoauth | rpostgresql; op: write | read. Prints one line per measurement.

suppressPackageStartupMessages({
  library(DBI)
  library(cartoauth)
  library(RPostgreSQL)
})
args <- commandArgs(trailingOnly = TRUE)
info <- jsonlite::read_json(args[[1L]])
mode <- args[[2L]]
rows <- as.integer(Sys.getenv("BENCH_R_ROWS", "100000"))

# The rows: an integer id, a double, a short text, a logical and a date per row; fixed seed.
set.seed(1)
data <- data.frame(
  id = seq_len(rows),
  value = stats::runif(rows) * 1000,
  name = sprintf("name %06d", sample.int(rows)),
  flag = stats::runif(rows) < 0.5,
  day = as.Date("2020-01-01") + sample.int(3650, rows, replace = TRUE),
  stringsAsFactors = FALSE
)

key <- Filter(function(k) identical(k$type, "master"), info$accounts$demo$keys)[[1L]]$token
connect <- function(client) {
  if (client == "cartoauth") {
    creds <- carto_credentials(base_url = info$accounts$demo$base_url, api_key = key,
                               allow_non_secure = TRUE)
    dbConnect(carto(), credentials = creds)
  } else {
    con <- dbConnect(PostgreSQL(), host = info$postgres$socket_dir, dbname = "carto", user = "postgres")
    dbExecute(con, "SET search_path = demo, public")
    con
  }
}
table_for <- function(client, op) paste0("bench_", op, "_", client)

# The table each client reads, written by the other path beforehand (same rows).
prepare_read <- function(con, client) {
  dbWriteTable(con, table_for(client, "read"), data, overwrite = TRUE, row.names = FALSE)
}

run <- function(con, client, op) {
  if (op == "write") {
    dbWriteTable(con, table_for(client, "write"), data, overwrite = TRUE, row.names = FALSE)
  } else {
    got <- dbReadTable(con, table_for(client, "read"))
    stopifnot(nrow(got) == rows)
  }
  invisible(NULL)
}

if (mode == "wall") {
  rounds <- as.integer(args[[3L]])
  cons <- list(cartoauth = connect("cartoauth"), rpostgresql = connect("rpostgresql"))
  for (client in names(cons)) prepare_read(cons[[client]], client)
  for (r in seq_len(rounds + 1L)) { # round 0 warms up
    for (op in c("write", "read")) for (client in names(cons)) {
      t <- system.time(run(cons[[client]], client, op), gcFirst = TRUE)
      if (r > 1L)
        cat(sprintf("%s %s %d %.4f %.4f\n", client, op, r - 1L, t[["elapsed"]],
                    t[["user.self"]] + t[["sys.self"]]))
    }
  }
} else {
  client <- args[[3L]]
  op <- args[[4L]]
  con <- connect(client)
  # Only a read needs its table beforehand; both modes do the same, so it cancels out.
  if (op == "read") prepare_read(con, client)
  invisible(gc())
  if (mode == "once") run(con, client, op)
  cat(sprintf("%s %s %s done\n", mode, client, op))
}
