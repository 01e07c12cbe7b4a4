#!/usr/bin/env bash
# Typed result sets against the JSON parsers callers used before (issue 13), on one body of
# 100 000 rows of (int4, int8, float8, text, bool, timestamptz, point geometry) fetched from
# carto-emulator:
#   C: carto_result_from_json + bulk column reads  vs  cJSON + the per-cell conversions;
#   R: carto_sql's typed data frame (cartoauth:::.sql_data_frame)  vs  jsonlite::fromJSON.
# Paired rounds (A B, A B, ...; one process per measurement), medians and the median of the
# per-round ratios; peak RSS from /usr/bin/time; instruction counts from callgrind (one run
# each), which the load of a shared machine does not change.
#
#   benches/result.sh            # BENCH_ROWS=100000 BENCH_RUNS=5 BENCH_R=1 BENCH_CALLGRIND=1
#
# Needs target/release/libcartoauth.so (cargo build --release --lib), a built carto-emulator
# (target/{release,debug}), libcjson-dev, curl, /usr/bin/time, valgrind; for R: R with
# jsonlite and wk (the package is installed into target/bench/rlib).
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${BENCH_ROWS:-100000}
runs=${BENCH_RUNS:-5}
target=${CARGO_TARGET_DIR:-target}
out="$target/bench/result"
mkdir -p "$out"
lib="$target/release"
[ -f "$lib/libcartoauth.so" ] || { echo "build $lib/libcartoauth.so first (cargo build --release --lib)" >&2; exit 1; }
emulator=$( (ls -t "$target"/release/carto-emulator "$target"/debug/carto-emulator 2>/dev/null || true) | head -1)
[ -n "$emulator" ] || { echo "build carto-emulator first (cargo build -p carto-emulator)" >&2; exit 1; }
make -s -C benches/c OUT="$(realpath "$out")" CARTOAUTH_LIB_DIR="$(realpath "$lib")" "$(realpath "$out")/result_parse"

work=$(mktemp -d)
exec 3> >(exec "$emulator" --fresh --exit-on-stdin-eof --info-file "$work/info.json" >"$work/emulator.log" 2>&1)
trap 'exec 3>&-; sleep 0.5; rm -rf "$work"' EXIT
for _ in $(seq 1 600); do [ -s "$work/info.json" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$work/info.json" "$1"; }
base=$(field 'd["accounts"]["demo"]["base_url"]')
key=$(field '[k["token"] for k in d["accounts"]["demo"]["keys"] if k["type"]=="master"][0]')
query="select g::int4 i4, g::int8 * 1000003 i8, g / 7.0::float8 f8, 'name ' || g t, g % 2 = 0 b,
 timestamptz '2020-01-01 00:00:00+00' + g * interval '1 second' ts,
 ST_SetSRID(ST_MakePoint(g / 1000.0, -g / 1000.0), 4326) geom from generate_series(1, $rows) g"
body="$out/body.json"
curl -sf -u "demo:$key" -G "$base/api/v2/sql" --data-urlencode "q=$query" -o "$body"
bytes=$(stat -c %s "$body")
echo "body: $rows rows, $bytes bytes; load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# One process per measurement: "<seconds of the parse> <peak RSS KiB>".
measure_c() {
  /usr/bin/time -f "%M" -o "$work/rss" "$out/result_parse" "$1" "$body" 1 >"$work/run"
  echo "$(cut -d' ' -f1 "$work/run") $(cat "$work/rss")"
}
[ "$("$out/result_parse" cartoauth "$body" 1 | cut -d' ' -f2)" = "$("$out/result_parse" cjson "$body" 1 | cut -d' ' -f2)" ] ||
  echo "note: checksums differ (cJSON rounds int8 to doubles); values are checked by the tests" >&2

report() { # name, file of "A_seconds A_rss B_seconds B_rss" lines
  python3 - "$1" "$2" "$bytes" <<'PY'
import statistics as st, sys
name, path, body = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [list(map(float, l.split())) for l in open(path) if l.strip()]
a = [r[0] for r in rows]; b = [r[2] for r in rows]
ratio = st.median(r[2] / r[0] for r in rows)
rss_a = max(r[1] for r in rows) / 1024; rss_b = max(r[3] for r in rows) / 1024
print(f"{name}: cartoauth {st.median(a):.3f} s (min {min(a):.3f}, max {max(a):.3f}), "
      f"other {st.median(b):.3f} s (min {min(b):.3f}, max {max(b):.3f}); "
      f"paired ratio other/cartoauth {ratio:.2f}x; peak RSS cartoauth {rss_a:.1f} MiB "
      f"({rss_a * 1048576 / body:.2f}x the body), other {rss_b:.1f} MiB "
      f"({rss_b * 1048576 / body:.2f}x the body)")
PY
}

: >"$work/c"
"$out/result_parse" cartoauth "$body" 1 >/dev/null; "$out/result_parse" cjson "$body" 1 >/dev/null # warm-up
for _ in $(seq 1 "$runs"); do echo "$(measure_c cartoauth) $(measure_c cjson)" >>"$work/c"; done
report "C, $runs rounds" "$work/c"

if [ "${BENCH_CALLGRIND:-1}" = 1 ]; then
  for who in cartoauth cjson; do
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$out/result_parse" "$who" "$body" 1 2>&1 >/dev/null |
        sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "C instructions (callgrind, whole process incl. reading the file): $who $n"
  done
fi

if [ "${BENCH_R:-1}" = 1 ]; then
  rlib="$target/bench/rlib"
  mkdir -p "$rlib"
  CARTOAUTH_LIB_DIR="$(realpath "$lib")" R CMD INSTALL --preclean --no-test-load -l "$rlib" bindings/r >"$work/rinstall.log" 2>&1 ||
    { cat "$work/rinstall.log" >&2; exit 1; }
  measure_r() {
    /usr/bin/time -f "%M" -o "$work/rss" env R_LIBS="$rlib" Rscript -e '
      suppressMessages({library(cartoauth); library(jsonlite); library(wk)})
      body <- readBin(commandArgs(TRUE)[[2]], "raw", file.size(commandArgs(TRUE)[[2]]))
      t <- system.time(x <- if (commandArgs(TRUE)[[1]] == "cartoauth")
        cartoauth:::.sql_data_frame(body) else jsonlite::fromJSON(rawToChar(body)))
      t <- t[["user.self"]] + t[["sys.self"]] # CPU time: wall time means little on a busy machine
      stopifnot(NROW(if (is.data.frame(x)) x else x$rows) > 0)
      cat(t, "\n")' "$1" "$body" >"$work/run"
    echo "$(cat "$work/run") $(cat "$work/rss")"
  }
  : >"$work/r"
  measure_r cartoauth >/dev/null; measure_r jsonlite >/dev/null
  for _ in $(seq 1 "$runs"); do echo "$(measure_r cartoauth) $(measure_r jsonlite)" >>"$work/r"; done
  report "R, $runs rounds (CPU seconds of the parse; peak RSS of the whole R process)" "$work/r"
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
