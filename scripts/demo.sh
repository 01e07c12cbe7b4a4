#!/usr/bin/env bash
# The main job, end to end: build libcartoauth and the local CARTO-compatible server, start the
# server, then run the C examples through the C ABI against it, and stop the server.
#
#   scripts/demo.sh ["<SQL query>"]
#
# CARTOAUTH_DEMO_VALGRIND=1 runs the examples under valgrind (as CI does).
set -euo pipefail
cd "$(dirname "$0")/.."

query=${1:-"select cartodb_id, name, round(score::numeric, 2) as score, ST_AsText(the_geom) as wkt from points_public order by cartodb_id"}

scripts/install-deps.sh demo
echo "== building libcartoauth, carto-emulator and the examples (release; a few minutes the first time)"
cargo build --release --lib -p cartoauth-capi
cargo build --release -p carto-emulator
make -s -C examples

workdir=$(mktemp -d)
coproc EMULATOR { exec target/release/carto-emulator --fresh --exit-on-stdin-eof --info-file "$workdir/info.json" 2>"$workdir/emulator.log"; }
stop() {
  exec {EMULATOR[1]}>&- 2>/dev/null || true
  wait "$EMULATOR_PID" 2>/dev/null || true
  rm -rf "$workdir"
}
trap stop EXIT
for _ in $(seq 1 600); do
  [ -s "$workdir/info.json" ] && break
  kill -0 "$EMULATOR_PID" 2>/dev/null || { cat "$workdir/emulator.log" >&2; exit 1; }
  sleep 0.1
done
[ -s "$workdir/info.json" ] || { echo "carto-emulator did not start" >&2; cat "$workdir/emulator.log" >&2; exit 1; }
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$workdir/info.json" "$1"; }
base_url=$(field 'd["accounts"]["demo"]["base_url"]')
master_key=$(field '[k["token"] for k in d["accounts"]["demo"]["keys"] if k["type"]=="master"][0]')
echo "== carto-emulator is up: account demo at $base_url"

run=()
if [ "${CARTOAUTH_DEMO_VALGRIND:-0}" = 1 ]; then
  run=(valgrind -q --error-exitcode=97 --leak-check=full --errors-for-leak-kinds=definite,indirect --show-possibly-lost=no)
fi
export CARTO_BASE_URL="$base_url" CARTO_API_KEY="$master_key" CARTO_ALLOW_NON_SECURE=1
export CARTO_CONFIG_DIR="$workdir/config"  # never touch the user's own credentials files
echo "== examples/credentials: resolve, describe (key masked), save and reload"
"${run[@]}" examples/credentials
echo "== examples/sql \"$query\""
"${run[@]}" examples/sql "$query"
echo "== examples/sql with the public key on a private table (a CARTO 403, exit status 1)"
if CARTO_API_KEY=default_public "${run[@]}" examples/sql "select * from points_private"; then
  echo "expected a 403" >&2
  exit 1
fi
echo "== examples/batch: two queries as one Batch SQL job, waited for"
"${run[@]}" examples/batch "create table demo_batch as select 1 as n" "update demo_batch set n = 2"
echo "== examples/batch with a failing query (the server's reason, exit status 1)"
if "${run[@]}" examples/batch "select * from no_such_table"; then
  echo "expected the job to fail" >&2
  exit 1
fi
echo "== done"
