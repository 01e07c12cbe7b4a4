#!/usr/bin/env bash
# cartoauth's benchmark suite, one command:   benches/run.sh
#
# Installs what it needs (Debian packages with apt-get, carto-python 1.11.3 in a venv under
# target/bench), builds libcartoauth (cargo build --release --lib) and the C programs, then runs
# benches/bench.py, which starts nginx on 127.0.0.1, runs the benchmarks, stops nginx and
# writes benches/RESULTS.md. Knobs (environment): see benches/README.md, e.g.
#   BENCH_BYTES=$((64<<20)) BENCH_REQUESTS=1000 BENCH_RUNS=3 benches/run.sh     # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

packages=(gcc make curl nginx-light libcurl4-openssl-dev libcjson-dev time gzip python3 python3-venv ca-certificates valgrind strace)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "== installing: ${missing[*]}" >&2
  $sudo apt-get update -q >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi
command -v cargo >/dev/null || { echo "cargo is missing: install Rust (rustup)" >&2; exit 1; }

target=${CARGO_TARGET_DIR:-$root/target}
bench_dir=$target/bench
venv=$bench_dir/venv
if ! "$venv/bin/python" -c 'import importlib.metadata as m; assert m.version("carto") == "1.11.3"' 2>/dev/null; then
  echo "== installing carto-python 1.11.3 in $venv" >&2
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check 'carto==1.11.3' >&2
fi
# Up-to-date bytecode whatever PYTHONDONTWRITEBYTECODE says: a venv whose .pyc files are stale
# (copied, touched) makes every carto-python run compile its imports again (+2.3 MiB peak RSS).
"$venv/bin/python" -m compileall -q "$venv/lib" >/dev/null

# BENCH_PROFILE=profiling: the same optimised code with line tables, for perf and callgrind.
profile=${BENCH_PROFILE:-release}
echo "== building libcartoauth ($profile) and the benchmark programs" >&2
cargo build --profile "$profile" --lib -p cartoauth-capi -q
make -s -C benches/c OUT="$bench_dir/bin" CARTOAUTH_LIB_DIR="$target/$profile" >&2

export BENCH_BIN=$bench_dir/bin BENCH_VENV_PYTHON=$venv/bin/python BENCH_LIB_DIR=$target/$profile
exec /usr/bin/python3 benches/bench.py
