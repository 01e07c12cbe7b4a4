#!/bin/sh
# Runs every fuzz target (or the ones named) on stable Rust for SECONDS each and prints
# executions and crashes per target. Exit status 1 if anything crashed (inputs in
# fuzz/crashes/). Coverage-guided fuzzing of the same targets: fuzz/libfuzzer.sh.
# Usage: fuzz/run.sh SECONDS [TARGET...]
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-10}
[ $# -gt 0 ] && shift
# Optimised, with overflow checks and debug assertions (Cargo.toml's fuzz profile).
cargo build --profile fuzz -q -p cartoauth-fuzz
exec target/fuzz/cartoauth-fuzz "$seconds" "$@"
