#!/usr/bin/env bash
# Every check and test suite of cartoauth, as CI runs them. Installs missing Debian packages
# first (scripts/install-deps.sh), so it works on a fresh Debian/Ubuntu machine with Rust.
#
#   scripts/test-all.sh
set -euo pipefail
cd "$(dirname "$0")/.."

# Incremental compilation caches only help a developer's next build; on a clean clone they
# double the disk that target/ takes.
export CARGO_INCREMENTAL=0

section() { printf '\n== %s\n' "$*"; }
started=$(date +%s)

section "system packages"
scripts/install-deps.sh all

section "formatting (cargo fmt --check)"
cargo fmt --all -- --check

section "lints (cargo clippy -D warnings)"
cargo clippy --workspace --all-targets -- -D warnings

section "build (library, carto-emulator, tests)"
cargo build --workspace --all-targets
cargo build --release --lib -p cartoauth-capi

section "generated files are up to date: header, symbol list, Julia and R low-level layers, roxygen (cargo xtask gen --check)"
cargo xtask gen --check

section "Python CARTO clients for the interoperability tests (CARTOframes 1.2.4, carto-python 1.11.3)"
CARTO_PYTHON=$(tests/interop/setup-venv.sh)
section "CARTO's CARTO 3 client for the emulator's interoperability test (carto-auth 0.2.0)"
CARTO_AUTH_PYTHON=$(tests/interop/setup-carto-auth-venv.sh)
# The emulator's carto-python, carto-auth and GDAL tests fail instead of skipping when a client
# is missing.
export CARTO_PYTHON CARTO_AUTH_PYTHON CARTOAUTH_REQUIRE_INTEROP=1

section "Rust and C tests (C under AddressSanitizer + UBSan)"
cargo test --workspace -- --nocapture

section "secrets in a real Secret Service (gnome-keyring on a private bus), no bus, a silent stub"
cargo test -p cartoauth --features keychain --test keychain_secret_service -- --nocapture

section "C tests under valgrind"
CARTOAUTH_C_CHECKER=valgrind cargo test -p cartoauth-capi --test c_api -- --nocapture

section "examples end to end under valgrind (the main job)"
CARTOAUTH_DEMO_VALGRIND=1 scripts/demo.sh

section "install into a prefix; pkg-config, CMake, static and GDAL consumers built from it alone"
tests/install/run.sh

section "interoperability with Python CARTOframes 1.2.4 (files both ways, default paths)"
tests/interop/run.sh

section "R package: R CMD check and testthat against carto-emulator"
bindings/r/check.sh

section "Julia package: static checks (fatou lint, Julia 1.6 compatibility, C only through the generated layer)"
bindings/julia/tools/static-checks.sh

section "no import circles between modules, nested ones included, in every crate"
python3 scripts/test_import_cycles.py
python3 scripts/import-cycles.py src capi/src cli/src emulator/src xtask/src fuzz/src
section "fuzzing smoke: the stable driver, every target for 3 s; libFuzzer too where nightly has cargo-fuzz"
# A fixed seed, so that a run of CI is repeatable and a red one can be reproduced; long runs
# are a developer's job (fuzz/libfuzzer.sh 600), and what they find becomes a test.
echo "fuzzing with the stable-Rust driver (fuzz/run.sh)"
CARTOAUTH_FUZZ_SEED=${CARTOAUTH_FUZZ_SEED:-20261201} fuzz/run.sh 3
if cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzzing coverage-guided with libFuzzer + AddressSanitizer (fuzz/libfuzzer.sh)"
    fuzz/libfuzzer.sh 10
else
    echo "libFuzzer NOT run: no nightly toolchain with cargo-fuzz on this machine (only the stable driver ran)"
fi

section "R package: the self-contained source tarball (vendored Rust, clean install, --as-cran)"
bindings/r/tools/check-tarball.sh

section "all suites passed in $(( $(date +%s) - started )) s"
