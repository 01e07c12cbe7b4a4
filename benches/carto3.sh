#!/usr/bin/env bash
# CARTO 3 benchmarks (see benches/CARTO3.md): the in-process cost of attaching a cached token
# (wall time, and instructions per attach from callgrind), `cartoauth token` with a warm
# cache, and, with --soak, the 10-minute token soak with carto-auth 0.2.0 beside it.
#
#   benches/carto3.sh [--soak]
#
# Needs what the tests need (PostgreSQL with PostGIS for carto-emulator) and valgrind; runs
# at nice 10. The soak's carto-auth half needs tests/interop/setup-carto-auth-venv.sh's venv
# (created here) and, as root, network namespaces (unshare).
set -euo pipefail
cd "$(dirname "$0")/.."
soak=no
[[ "${1:-}" == "--soak" ]] && soak=yes

echo "== build (release)"
nice -n 10 cargo build --release -p carto-emulator -p cartoauth-cli
nice -n 10 cargo bench --no-run --bench carto3 --bench carto3_soak 2>&1 | tail -n 2
bench_bin() {
  # The newest bench executable of that name (cargo bench builds it under target/release/deps).
  ls -t target/release/deps/"$1"-* 2>/dev/null | grep -v '\.d$' | head -n 1
}
carto3=$(bench_bin carto3)

echo "== attach: wall time"
nice -n 10 "$carto3" attach 1000000

echo "== attach: instructions (callgrind, 100000 and 200000 attaches; the difference is theirs)"
for n in 100000 200000; do
  CARTO3_BENCH_ONLY=$n nice -n 10 valgrind --tool=callgrind --callgrind-out-file=target/carto3-callgrind.$n \
    "$carto3" attach 2>&1 | grep -E "Collected" || true
done
i1=$(callgrind_annotate target/carto3-callgrind.100000 | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
i2=$(callgrind_annotate target/carto3-callgrind.200000 | awk '/PROGRAM TOTALS/ {gsub(",", "", $1); print $1}')
echo "attach: $(( (i2 - i1) / 100000 )) instructions per attach (callgrind: $i1 for 100000, $i2 for 200000)"

echo "== cartoauth token, warm cache"
nice -n 10 "$carto3" cli target/release/cartoauth 50

if [[ $soak == yes ]]; then
  echo "== soak (10 minutes for cartoauth, then 10 for carto-auth)"
  CARTO_AUTH_PYTHON=$(tests/interop/setup-carto-auth-venv.sh) nice -n 10 "$(bench_bin carto3_soak)"
fi
