#!/bin/sh
# Builds, checks and tests the R package cartoauth (bindings/r). No network needed.
#
#   bindings/r/check.sh
#
# Expects: R with r-base-dev, r-cran-testthat and r-cran-jsonlite (Debian:
#   apt-get install -y --no-install-recommends r-base-dev r-cran-testthat r-cran-jsonlite),
# and libcartoauth as a static library (configure links it into the package), found in
# this order:
#   1. CARTOAUTH_LIB_DIR holding libcartoauth.a (and CARTOAUTH_INCLUDE_DIR, default
#      <repo>/include);
#   2. ${CARGO_TARGET_DIR:-<repo>/target}/r-static/release, built here with
#      `cargo rustc --release --lib -p cartoauth-capi --crate-type staticlib` (incremental; its own target
#      folder so it never invalidates the cdylib builds; CARTOAUTH_BUILD=no forbids that).
# The tarball is built without the vendored Rust sources (CARTOAUTH_R_VENDOR=no) to stay
# fast; bindings/r/tools/check-tarball.sh checks the self-contained tarball.
# The HTTP tests start carto-emulator (the repository's local CARTO server; it needs
# PostgreSQL with PostGIS, see emulator/README.md), found in this order:
#   1. CARTO_EMULATOR_BIN;
#   2. the newest of ${CARGO_TARGET_DIR:-<repo>/target}/{debug,release}/carto-emulator, as left
#      by `cargo build --workspace --all-targets` (CI builds it first); when neither exists and
#      cargo is available it is built here with `cargo build -p carto-emulator`
#      (CARTOAUTH_BUILD=no forbids that).
# Without an emulator the script stops with the reason: the HTTP tests are never skipped.
#
# Steps: inst/doc's knitted vignette matches its source; R CMD build; R CMD check --no-manual on the tarball, which must end with
# "Status: OK" (no WARNING; no NOTE but the static-linking ones explained below); install the tarball into a temporary library and run
# the testthat suite, printing one line "R: N passed, N failed" (skipped tests and tests
# with warnings count as failed). Exits non-zero if any step fails.
# Set CARTOAUTH_R_KEEP=1 to keep the temporary directory (tarball, check logs).

set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
started=$(date +%s)

say() { echo "check.sh: $*"; }
# A failure before the test run still ends with the summary line, counting one failure.
die() { echo "check.sh: error: $*" >&2; echo "R: 0 passed, 1 failed"; exit 1; }

command -v R >/dev/null 2>&1 || die "R is not installed (apt-get install -y --no-install-recommends r-base-dev r-cran-testthat r-cran-jsonlite)"

# ---- 1. the library ----
target=${CARGO_TARGET_DIR:-$repo/target}
case $target in /*) ;; *) target=$repo/$target ;; esac
if [ -n "${CARTOAUTH_LIB_DIR:-}" ]; then
    [ -f "$CARTOAUTH_LIB_DIR/libcartoauth.a" ] || die "CARTOAUTH_LIB_DIR=$CARTOAUTH_LIB_DIR has no libcartoauth.a"
else
    CARTOAUTH_LIB_DIR=$target/r-static/release
    [ "${CARTOAUTH_BUILD:-yes}" != no ] || [ -f "$CARTOAUTH_LIB_DIR/libcartoauth.a" ] ||
        die "no libcartoauth.a in $CARTOAUTH_LIB_DIR and CARTOAUTH_BUILD=no"
    if [ "${CARTOAUTH_BUILD:-yes}" != no ]; then
        command -v cargo >/dev/null 2>&1 || die "no cargo to build libcartoauth.a"
        say "building libcartoauth.a (cargo rustc --release --lib -p cartoauth-capi --crate-type staticlib)"
        cargo_log=$(mktemp)
        if ! (cd "$repo" && cargo rustc --release --lib -p cartoauth-capi --crate-type staticlib \
                --target-dir "$target/r-static" -- --print native-static-libs) > "$cargo_log" 2>&1; then
            cat "$cargo_log" >&2
            die "cargo could not build libcartoauth.a"
        fi
        native=$(sed -n 's/.*native-static-libs: //p' "$cargo_log" | tail -n 1)
        rm -f "$cargo_log"
        [ -z "$native" ] || { CARTOAUTH_NATIVE_LIBS=$native; export CARTOAUTH_NATIVE_LIBS; }
    fi
    [ -f "$CARTOAUTH_LIB_DIR/libcartoauth.a" ] || die "cargo finished but $CARTOAUTH_LIB_DIR has no libcartoauth.a"
fi
CARTOAUTH_LIB_DIR=$(cd "$CARTOAUTH_LIB_DIR" && pwd)
CARTOAUTH_INCLUDE_DIR=$(cd "${CARTOAUTH_INCLUDE_DIR:-$repo/include}" && pwd)
[ -f "$CARTOAUTH_INCLUDE_DIR/cartoauth.h" ] || die "no cartoauth.h in $CARTOAUTH_INCLUDE_DIR"
export CARTOAUTH_LIB_DIR CARTOAUTH_INCLUDE_DIR
say "libcartoauth from $CARTOAUTH_LIB_DIR, cartoauth.h from $CARTOAUTH_INCLUDE_DIR"

# ---- 1b. carto-emulator, for the HTTP tests ----
newest_emulator() {
    # the most recently built of the debug and release binaries
    ls -t "$target/debug/carto-emulator" "$target/release/carto-emulator" 2>/dev/null | head -n 1
}
if [ -n "${CARTO_EMULATOR_BIN:-}" ]; then
    [ -x "$CARTO_EMULATOR_BIN" ] || die "CARTO_EMULATOR_BIN=$CARTO_EMULATOR_BIN is not an executable file"
else
    CARTO_EMULATOR_BIN=$(newest_emulator)
    if [ -z "$CARTO_EMULATOR_BIN" ]; then
        [ "${CARTOAUTH_BUILD:-yes}" != no ] ||
            die "no carto-emulator in $target/debug or $target/release and CARTOAUTH_BUILD=no; the HTTP tests need it (cargo build -p carto-emulator, or set CARTO_EMULATOR_BIN)"
        command -v cargo >/dev/null 2>&1 ||
            die "no carto-emulator in $target/debug or $target/release and no cargo to build it; the HTTP tests need it (set CARTO_EMULATOR_BIN)"
        say "building carto-emulator (cargo build -p carto-emulator)"
        (cd "$repo" && cargo build -p carto-emulator) || die "cargo build -p carto-emulator failed"
        CARTO_EMULATOR_BIN=$(newest_emulator)
        [ -n "$CARTO_EMULATOR_BIN" ] || die "cargo finished but $target/debug has no carto-emulator"
    fi
fi
CARTOAUTH_REPO_ROOT=$repo
export CARTO_EMULATOR_BIN CARTOAUTH_REPO_ROOT
say "carto-emulator from $CARTO_EMULATOR_BIN"

work=$(mktemp -d "${TMPDIR:-/tmp}/cartoauth-r.XXXXXX")
if [ "${CARTOAUTH_R_KEEP:-0}" = 1 ]; then
    say "keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi
# The checks and tests must never see the caller's CARTO configuration (the tests sandbox
# themselves too; this also covers R CMD check's examples).
unset CARTO_USERNAME CARTO_API_KEY CARTO_BASE_URL CARTO_ALLOW_NON_SECURE CARTO_PROFILE \
      CARTO_CREDENTIALS_FILE
CARTO_CONFIG_DIR=$work/carto-config
export CARTO_CONFIG_DIR

# ---- 2. R CMD build ----
# The vignette is committed knitted (inst/doc; DESCRIPTION: BuildVignettes: false), so that
# R CMD build never compiles the Rust library: it must match its source.
Rscript --vanilla "$here/tools/render-vignette.R" --check > "$work/vignette.log" 2>&1 ||
    { cat "$work/vignette.log"; die "inst/doc is out of date: run Rscript bindings/r/tools/render-vignette.R"; }
cd "$work"
say "R CMD build"
CARTOAUTH_R_VENDOR=no R CMD build "$here" > build.log 2>&1 || { cat build.log; die "R CMD build failed"; }
tarball=$(ls cartoauth_*.tar.gz)

# ---- 3. R CMD check on the tarball ----
say "R CMD check --no-manual $tarball"
check_status=0
R CMD check --no-manual "$tarball" > check.log 2>&1 || check_status=$?
# The NOTEs allowed, both from linking the Rust library statically: "installed package
# size" (libs/ holds the whole library, about 13 MB without debug information, more from
# the repository's release profile, which keeps it), and "compiled code" when the linker
# keeps the Rust standard library's abort()/exit() (reached only by a Rust abort, which the
# library's panic boundary prevents).
notes=$(grep -E '\.\.\. (NOTE|WARNING|ERROR)$' cartoauth.Rcheck/00check.log |
        grep -Ev '^\* checking (compiled code|installed package size) \.\.\. NOTE$' || true)
if [ "$check_status" -ne 0 ] || [ -n "$notes" ] || ! grep -Eq '^Status: (OK|[12] NOTEs?)$' cartoauth.Rcheck/00check.log; then
    cat check.log
    for f in cartoauth.Rcheck/00install.out cartoauth.Rcheck/tests/testthat.Rout.fail; do
        if [ -f "$f" ]; then echo "---- $f ----"; tail -n 80 "$f"; fi
    done
    die "R CMD check did not end with Status: OK (or only the static-linking NOTEs)"
fi
say "R CMD check: $(grep '^Status:' cartoauth.Rcheck/00check.log)"

# ---- 4. install the tarball and run the testthat suite ----
mkdir lib
R CMD INSTALL --library="$work/lib" "$tarball" > install.log 2>&1 || { cat install.log; die "R CMD INSTALL failed"; }
cd "$here/tests/testthat"
summary=$work/summary.txt
tests_status=0
CARTOAUTH_R_SUMMARY=$summary R_LIBS="$work/lib${R_LIBS:+:$R_LIBS}" Rscript --vanilla -e '
  results <- as.data.frame(testthat::test_dir(
    ".", package = "cartoauth", load_package = "installed",
    reporter = testthat::SummaryReporter$new(show_praise = FALSE),
    stop_on_failure = FALSE, stop_on_warning = FALSE))
  # DBItest (test-dbitest.R) has its own line; its skips are its documented skip list.
  dbi <- results$file == "test-dbitest.R"
  dbi_line <- sprintf("DBItest: %d passed, %d failed, %d skipped (the skip list of test-dbitest.R)", sum(results$passed[dbi]),
                      sum(results$failed[dbi]) + sum(results$error[dbi]),
                      sum(results$skipped[dbi]))
  passed <- sum(results$passed)
  failed <- sum(results$failed) + sum(results$error)
  skipped <- sum(results$skipped[!dbi])
  warned <- sum(results$warning)
  if (skipped > 0 || warned > 0)
    cat(sprintf("%d test(s) skipped and %d warning(s): counted as failed\n", skipped, warned))
  failed <- failed + skipped + warned
  writeLines(c(dbi_line, sprintf("R: %d passed, %d failed", passed, failed)),
             Sys.getenv("CARTOAUTH_R_SUMMARY"))
  quit(status = if (failed > 0) 1L else 0L)
' || tests_status=$?
[ -s "$summary" ] || die "the testthat suite did not run to the end"

# The summary line comes last.
if [ "$tests_status" -ne 0 ]; then
    echo "check.sh: error: the testthat suite failed" >&2
    say "done in $(( $(date +%s) - started ))s"
    cat "$summary"
    exit 1
fi
say "done in $(( $(date +%s) - started ))s"
cat "$summary"
