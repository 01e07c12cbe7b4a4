#!/usr/bin/env bash
# Results read in chunks as the answer arrives (issue 29), 5 columns (int4, float8, text,
# bool, timestamptz) of generate_series from carto-emulator:
#   C: peak RSS of the reader at BENCH_SMALL_ROWS and BENCH_BIG_ROWS rows (bounded memory:
#      the same within 10 MB), and against the whole-answer parser (carto_client_sql_result);
#      client instructions per row of both (callgrind, at BENCH_CALLGRIND_ROWS rows: the
#      client process only, the emulator is another process), and one paired wall-clock run;
#   R: dbFetch(n = 10000) over both sizes, each chunk dropped (peak RSS; also with gc() after
#      each chunk, which tells R's uncollected garbage from what is kept), and BIG rows into
#      one data frame with carto_sql() against RPostgreSQL reading the same rows straight
#      from the emulator's PostgreSQL (peak RSS and the R process's CPU, user + system).
#
#   benches/reader.sh   # BENCH_SMALL_ROWS=100000 BENCH_BIG_ROWS=1000000 BENCH_CALLGRIND_ROWS=100000
#                       # BENCH_C=1 BENCH_R=1 BENCH_CALLGRIND=1 BENCH_NICE=10
#
# Needs libcartoauth.a in target/r-static/release (bindings/r/check.sh builds it, or
# `cargo rustc --release --lib -p cartoauth-capi --crate-type staticlib --target-dir
# target/r-static`), a built carto-emulator (target/{release,debug}), /usr/bin/time,
# valgrind, and for R: the package installed into BENCH_RLIB (default: installed here into
# target/bench/rlib) and r-cran-rpostgresql.
set -euo pipefail
cd "$(dirname "$0")/.."
small=${BENCH_SMALL_ROWS:-100000}
big=${BENCH_BIG_ROWS:-1000000}
cg_rows=${BENCH_CALLGRIND_ROWS:-100000}
nice_n=${BENCH_NICE:-10}
target=${CARGO_TARGET_DIR:-target}
out="$target/bench/reader"
mkdir -p "$out"
static="$target/r-static/release"
[ -f "$static/libcartoauth.a" ] || { echo "build $static/libcartoauth.a first (see the header of $0)" >&2; exit 1; }
emulator=$( (ls -t "$target"/release/carto-emulator "$target"/debug/carto-emulator 2>/dev/null || true) | head -1)
[ -n "$emulator" ] || { echo "build carto-emulator first (cargo build -p carto-emulator)" >&2; exit 1; }
make -s -C benches/c OUT="$(realpath "$out")" CARTOAUTH_STATIC_DIR="$(realpath "$static")" "$(realpath "$out")/reader_bench"
run() { nice -n "$nice_n" "$@"; }

work=$(mktemp -d)
exec 3> >(exec "$emulator" --fresh --exit-on-stdin-eof --info-file "$work/info.json" >"$work/emulator.log" 2>&1)
trap 'exec 3>&-; sleep 0.5; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do [ -s "$work/info.json" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$work/info.json" "$1"; }
base=$(field 'd["accounts"]["demo"]["base_url"]')
key=$(field '[k["token"] for k in d["accounts"]["demo"]["keys"] if k["type"]=="master"][0]')
socket=$(field 'd["postgres"]["socket_dir"]')
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# "<rows> <checksum> <client CPU s> <wall s> <peak RSS KiB>" of one C run.
measure_c() { # mode rows
  local start end
  start=$(date +%s.%N)
  run /usr/bin/time -f "%M" -o "$work/rss" "$out/reader_bench" "$1" "$base" "$key" "$2" >"$work/run"
  end=$(date +%s.%N)
  echo "$(cat "$work/run") $(echo "$end - $start" | bc) $(cat "$work/rss")"
}
mib() { echo "scale=1; $1 / 1024" | bc; }

if [ "${BENCH_C:-1}" = 1 ]; then
echo "== C =="
r_small=$(measure_c reader "$small"); r_big=$(measure_c reader "$big"); w_big=$(measure_c whole "$big")
[ "$(echo "$r_big" | cut -d' ' -f2)" = "$(echo "$w_big" | cut -d' ' -f2)" ] || { echo "checksums differ: $r_big / $w_big" >&2; exit 1; }
set -- $r_small; echo "reader, $small rows: peak RSS $(mib "$5") MiB (client CPU $3 s, wall $4 s)"
set -- $r_big; rss_big=$5; echo "reader, $big rows: peak RSS $(mib "$5") MiB (client CPU $3 s, wall $4 s)"
set -- $w_big; echo "whole answer, $big rows: peak RSS $(mib "$5") MiB (client CPU $3 s, wall $4 s)"
set -- $r_small; echo "reader peak RSS difference, $big vs $small rows: $(mib $((rss_big - $5))) MiB"

if [ "${BENCH_CALLGRIND:-1}" = 1 ]; then
  for mode in reader whole; do
    n=$(run valgrind --tool=callgrind --callgrind-out-file=/dev/null "$out/reader_bench" "$mode" "$base" "$key" "$cg_rows" 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "callgrind, $mode, $cg_rows rows: $n instructions in the client process, $((n / cg_rows)) per row"
  done
fi
fi

if [ "${BENCH_R:-1}" = 1 ]; then
  echo "== R =="
  rlib=${BENCH_RLIB:-}
  if [ -z "$rlib" ]; then
    rlib="$target/bench/rlib"
    mkdir -p "$rlib"
    CARTOAUTH_LIB_DIR="$(realpath "$static")" CARTOAUTH_R_VENDOR=no R CMD INSTALL --no-test-load -l "$rlib" bindings/r >"$work/rinstall.log" 2>&1 ||
      { cat "$work/rinstall.log" >&2; exit 1; }
  fi
  export BENCH_BASE="$base" BENCH_KEY="$key" BENCH_SOCKET="$socket"
  # "<R process CPU s (user + sys)> <wall s> <peak RSS KiB> <rows>" of one R run of $1 over $2 rows.
  measure_r() {
    local start end
    start=$(date +%s.%N)
    run /usr/bin/time -f "%U %S %M" -o "$work/rtime" env R_LIBS="$rlib" Rscript --vanilla -e '
      args <- commandArgs(TRUE); how <- args[[1]]; n <- as.integer(args[[2]])
      q <- sprintf(paste("select g::int4 as i, g / 4.0::float8 as f, %s as t, g %% 3 = 0 as b,",
                         "timestamptz %s + g * interval %s as ts from generate_series(1, %d) g"),
                   "$$row $$ || g || $$ of the benchmark$$", "$$2020-01-01 00:00:00+00$$",
                   "$$1 second$$", n)
      rows <- 0
      if (how %in% c("fetch", "fetch_gc")) {
        suppressMessages(library(cartoauth))
        con <- DBI::dbConnect(carto(), base_url = Sys.getenv("BENCH_BASE"), allow_non_secure = TRUE,
                              api_key = Sys.getenv("BENCH_KEY"))
        res <- DBI::dbSendQuery(con, q)
        while (!DBI::dbHasCompleted(res)) {
          rows <- rows + nrow(DBI::dbFetch(res, n = 10000))
          if (how == "fetch_gc") invisible(gc(FALSE)) # what is left is what R keeps, not garbage
        }
        DBI::dbClearResult(res)
      } else if (how == "carto_sql") {
        suppressMessages(library(cartoauth))
        cl <- carto_client(carto_credentials(base_url = Sys.getenv("BENCH_BASE"), allow_non_secure = TRUE,
                                             api_key = Sys.getenv("BENCH_KEY")))
        df <- carto_sql(q, client = cl)
        rows <- nrow(df)
      } else {
        suppressMessages(library(RPostgreSQL))
        con <- DBI::dbConnect(PostgreSQL(), host = Sys.getenv("BENCH_SOCKET"), port = 5432,
                              user = "postgres", dbname = "carto")
        df <- DBI::dbGetQuery(con, q)
        rows <- nrow(df)
      }
      stopifnot(rows == n)
      cat(rows, "\n")' "$1" "$2" >"$work/rrun"
    end=$(date +%s.%N)
    read -r user sys rss <"$work/rtime"
    echo "$(echo "$user + $sys" | bc) $(echo "$end - $start" | bc) $rss $(cat "$work/rrun")"
  }
  set -- $(measure_r fetch "$small"); f_small=$3; echo "dbFetch(n = 10000), $small rows: peak RSS $(mib "$3") MiB (R CPU $1 s, wall $2 s)"
  set -- $(measure_r fetch "$big"); f_big=$3; echo "dbFetch(n = 10000), $big rows: peak RSS $(mib "$3") MiB (R CPU $1 s, wall $2 s)"
  echo "dbFetch peak RSS difference, $big vs $small rows: $(mib $((f_big - f_small))) MiB"
  # The chunks a loop drops are garbage until R's collector runs (its full collections grow
  # further apart as the heap grows): the same loop with gc() after each chunk.
  set -- $(measure_r fetch_gc "$small"); g_small=$3; echo "dbFetch(n = 10000) + gc(), $small rows: peak RSS $(mib "$3") MiB (R CPU $1 s, wall $2 s)"
  set -- $(measure_r fetch_gc "$big"); g_big=$3; echo "dbFetch(n = 10000) + gc(), $big rows: peak RSS $(mib "$3") MiB (R CPU $1 s, wall $2 s)"
  echo "dbFetch + gc() peak RSS difference, $big vs $small rows: $(mib $((g_big - g_small))) MiB"
  set -- $(measure_r carto_sql "$big"); echo "carto_sql, $big rows into one data frame: peak RSS $(mib "$3") MiB, R CPU $1 s, wall $2 s"
  set -- $(measure_r rpostgresql "$big"); echo "RPostgreSQL dbGetQuery, $big rows into one data frame: peak RSS $(mib "$3") MiB, R CPU $1 s, wall $2 s"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
