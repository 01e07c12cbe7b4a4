#!/usr/bin/env bash
# Installs the Debian/Ubuntu packages cartoauth's build, demo and tests need (only the missing
# ones). Usage: scripts/install-deps.sh [demo|all]   (default: all)
set -euo pipefail

profile=${1:-all}
packages=(gcc g++ make ca-certificates postgresql postgresql-postgis valgrind)
if [ "$profile" = all ]; then
  packages+=(r-base-dev r-cran-testthat r-cran-jsonlite python3 python3-venv python3-pip gdal-bin)
  # tests/install/run.sh: pkg-config and CMake consumers, examples/gdal (GDAL's C++ API)
  packages+=(pkg-config cmake libgdal-dev binutils)
  # tests/install/run.sh: the installed man pages (man, groff) and completions, loaded by
  # bash-completion, zsh and fish as a user's shell would.
  packages+=(man-db groff-base bash-completion zsh fish)
  # carto_sql's typed columns: geometries as wk::wkb or sf, int8 as bit64::integer64 (Suggests
  # of the R package, used by its tests).
  packages+=(r-cran-wk r-cran-sf r-cran-bit64)
  # emulator/tests/carto_auth.rs: a network namespace (unshare, mount: util-linux) whose
  # loopback `ip` brings up, where CARTO's host names lead to the emulator.
  packages+=(iproute2 util-linux)
fi
if [ "$profile" = all ]; then
  # R package: DBI backend, DBItest, dbplyr, roxygen2, the vignette (knitr + markdown), pkg-config
  # for the system-library option, xz for the vendored Rust sources.
  packages+=(r-cran-dbi r-cran-dbitest r-cran-dbplyr r-cran-dplyr r-cran-bit64 r-cran-roxygen2
             r-cran-knitr r-cran-markdown pkg-config xz-utils
             # R CMD check --as-cran: checkbashisms (configure, cleanup), pandoc (README.md), qpdf
             devscripts pandoc qpdf)
  # R DBI backend: time columns as hms, bytea as blob (both also come with r-cran-dbitest);
  # progress bars (rate, time left) with cli, an import of the R package
  packages+=(r-cran-hms r-cran-blob r-cran-cli)
  # The keychain tests: a private session bus (dbus-daemon, dbus-send), a real Secret Service
  # (gnome-keyring), secret-tool to look at what it holds, and python3-dbus for the stub
  # service that never replies.
  packages+=(dbus gnome-keyring libsecret-tools python3-dbus)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing: ${missing[*]}"
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is missing: install Rust 1.89 or newer with rustup (https://rustup.rs), then rerun" >&2
  exit 1
fi
