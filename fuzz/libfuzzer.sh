#!/bin/sh
# Coverage-guided fuzzing with libFuzzer and AddressSanitizer (cargo-fuzz 0.13 on a nightly
# toolchain): runs every target (or the ones named) for SECONDS on its corpus, seeded from the
# grammar's seeds and dictionary, and prints executions and crashes per target. Exit status 1
# on a crash; the input is in fuzz/libfuzzer/artifacts/<target>/ (make it a regression test).
# The corpus grows in fuzz/libfuzzer/corpus/ (not checked in) from run to run.
#
# Usage: fuzz/libfuzzer.sh SECONDS [TARGET...]
# Needs: rustup toolchain install nightly; cargo install cargo-fuzz --version ^0.13
set -eu
cd "$(dirname "$0")/.."
seconds=${1:-60}
[ $# -gt 0 ] && shift
targets=${*:-config_file base_url error_body headers redaction result_json batch_job}
dir=fuzz/libfuzzer

cargo run -q --profile fuzz -p cartoauth-fuzz -- write-corpus "$dir/seeds"
for t in $targets; do
    cargo +nightly fuzz build --fuzz-dir "$dir" "$t"
done
# The binaries run as built above, so that sources edited during a long run change nothing.
bin="$dir/target/$(rustc +nightly -vV | sed -n 's/^host: //p')/release"

total=0
crashed=0
for t in $targets; do
    mkdir -p "$dir/corpus/$t" "$dir/artifacts/$t"
    log="$dir/artifacts/$t/last-run.log"
    # -rss_limit_mb: a 2 GiB process is a finding too (a listing that grows without bound).
    if "$bin/$t" "$dir/corpus/$t" "$dir/seeds/$t" \
        -max_total_time="$seconds" -dict="$dir/seeds/tokens.dict" -max_len=65536 \
        -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$dir/artifacts/$t/" >"$log" 2>&1; then
        result="0 crashes"
    else
        result="CRASH (see $log and $dir/artifacts/$t/)"
        crashed=$((crashed + 1))
    fi
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    runs=${runs:-0}
    total=$((total + runs))
    printf '%-12s %12s executions in %s s, %s\n' "$t" "$runs" "$seconds" "$result"
done
printf '%-12s %12s executions, %s targets crashed\n' total "$total" "$crashed"
[ "$crashed" -eq 0 ]
