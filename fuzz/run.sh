#!/bin/sh
# Runs every fuzz target (or the ones named) for SECONDS each and prints executions and
# crashes per target. Exit status 1 if anything crashed (inputs in fuzz/crashes/).
# Usage: fuzz/run.sh SECONDS [TARGET...]
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-10}
[ $# -gt 0 ] && shift
cargo build --release -q -p cartoauth-fuzz
exec target/release/cartoauth-fuzz "$seconds" "$@"
