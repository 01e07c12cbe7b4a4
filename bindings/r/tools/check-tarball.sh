#!/bin/sh
# The R package's "done means": the self-contained source tarball, as a user installs it.
#
#   bindings/r/tools/check-tarball.sh
#
# 1. R CMD build bindings/r (its cleanup vendors the Rust dependencies; the vignette's
#    temporary install reuses CARTOAUTH_LIB_DIR when set, to save one Rust build);
# 2. copies the tarball to a scratch folder, and there, with no CARTOAUTH_* / CARGO_TARGET_DIR
#    variable, no crate target/ in sight and an empty R library:
#    install.packages(<tarball>, repos = NULL), library(cartoauth), a query to carto-emulator
#    (CARTO_EMULATOR_BIN, else the repository's target/{debug,release}), and ldd of the
#    package's shared object, which must not name libcartoauth;
# 3. R CMD check --as-cran on the tarball: no ERROR, no WARNING (NOTEs are printed).
# Prints "R tarball: N passed, N failed" last. Set CARTOAUTH_R_KEEP=1 to keep the folder.

set -u
here=$(cd "$(dirname "$0")/.." && pwd)
repo=$(cd "$here/../.." && pwd)
passed=0
failed=0
ok() { echo "check-tarball: ok: $*"; passed=$((passed + 1)); }
bad() { echo "check-tarball: FAILED: $*" >&2; failed=$((failed + 1)); }
finish() { echo "R tarball: $passed passed, $failed failed"; [ "$failed" -eq 0 ]; exit $?; }

work=$(mktemp -d "${TMPDIR:-/tmp}/cartoauth-tarball.XXXXXX")
[ "${CARTOAUTH_R_KEEP:-0}" = 1 ] && echo "check-tarball: keeping $work" || trap 'rm -rf "$work"' EXIT

emulator=${CARTO_EMULATOR_BIN:-$(ls -t "$repo/target/debug/carto-emulator" "$repo/target/release/carto-emulator" 2>/dev/null | head -n 1)}

cd "$work" || exit 1
echo "check-tarball: R CMD build (vendoring the Rust dependencies)"
if ! R CMD build "$here" > build.log 2>&1; then
    cat build.log
    bad "R CMD build"
    finish
fi
tarball=$(ls cartoauth_*.tar.gz)
ok "R CMD build: $tarball ($(du -k "$tarball" | cut -f1) KiB)"
tar -tzf "$tarball" > contents.txt
for f in src/rust/Cargo.toml src/rust/Cargo.lock src/rust/build.rs src/rust/cbindgen.toml \
         src/rust/src/lib.rs src/rust/include/cartoauth.h src/rust/vendor.tar.xz inst/AUTHORS README.md; do
    grep -qx "cartoauth/$f" contents.txt || bad "the tarball has no $f"
done
grep -q '^cartoauth/src/rust/.*emulator' contents.txt && bad "the tarball carries the emulator"
ok "the tarball carries the crate and its vendored dependencies, not the emulator"

# A clean environment: HOME and PATH (for rustup's cargo, R, pkg-config), TMPDIR only.
mkdir lib home
cp "$tarball" home/
clean() {
    env -i HOME="$HOME" PATH="$PATH" TMPDIR="${TMPDIR:-/tmp}" LANG=C.UTF-8 TZ=UTC \
        R_LIBS="$work/lib" R_LIBS_USER="$work/lib" "$@"
}
echo "check-tarball: install.packages() in a clean library (builds the Rust library offline)"
started=$(date +%s)
if clean Rscript -e "install.packages('$work/home/$tarball', repos = NULL, lib = '$work/lib')" > install.log 2>&1 &&
   [ -d lib/cartoauth ]; then
    ok "install.packages() in $(( $(date +%s) - started )) s"
else
    tail -n 60 install.log
    bad "install.packages()"
    finish
fi
so=$(ls lib/cartoauth/libs/*.so 2>/dev/null | head -n 1)
if [ -n "$so" ] && ! ldd "$so" | grep -q libcartoauth; then
    ok "ldd $(basename "$so"): no libcartoauth ($(du -k "$so" | cut -f1) KiB)"
else
    bad "ldd of the package's shared object names libcartoauth (or it is missing)"
fi
if [ -n "$emulator" ] && [ -x "$emulator" ]; then
    clean CARTO_EMULATOR_BIN="$emulator" Rscript -e '
      library(cartoauth)
      info_file <- tempfile(fileext = ".json")
      con <- pipe(sprintf("%s --fresh --exit-on-stdin-eof --info-file %s >/dev/null 2>&1",
                          shQuote(Sys.getenv("CARTO_EMULATOR_BIN")), shQuote(info_file)), open = "w")
      for (i in 1:2400) { if (file.exists(info_file) && file.size(info_file) > 0) break; Sys.sleep(0.05) }
      Sys.sleep(0.2)
      info <- jsonlite::read_json(info_file)
      keys <- info$accounts$demo$keys
      key <- Filter(function(k) identical(k$type, "master"), keys)[[1L]]$token
      creds <- carto_credentials(base_url = info$accounts$demo$base_url, api_key = key,
                                 allow_non_secure = TRUE)
      df <- carto_sql("select name from points_public order by cartodb_id", credentials = creds)
      stopifnot(identical(df$name, c("Madrid", "Paris", "Berlin")))
      db <- DBI::dbConnect(carto(), credentials = creds)
      stopifnot(identical(DBI::dbGetQuery(db, "select 1 as one")$one, 1L))
      cat("queried carto-emulator from", carto_library_info()$path, "\n")
      close(con)
    ' > query.log 2>&1 && ok "library(cartoauth) queries carto-emulator: $(tail -n 1 query.log)" ||
        { cat query.log; bad "querying carto-emulator from the installed tarball"; }
else
    bad "no carto-emulator to query (build it: cargo build -p carto-emulator, or set CARTO_EMULATOR_BIN)"
fi

echo "check-tarball: R CMD check --as-cran (builds the Rust library offline again)"
# Offline here: no clock or URL checks (checkbashisms and pandoc come from install-deps.sh).
clean _R_CHECK_SYSTEM_CLOCK_=0 _R_CHECK_CRAN_INCOMING_REMOTE_=false \
    R CMD check --as-cran --no-manual "home/$tarball" > check.log 2>&1
grep -E '\.\.\. (NOTE|WARNING|ERROR)' -A6 cartoauth.Rcheck/00check.log || true
status=$(grep '^Status:' cartoauth.Rcheck/00check.log)
case $status in
    *ERROR*|*WARNING*) bad "R CMD check --as-cran: $status" ;;
    Status:*) ok "R CMD check --as-cran: $status" ;;
    *) tail -n 40 check.log; bad "R CMD check --as-cran did not finish" ;;
esac
finish
