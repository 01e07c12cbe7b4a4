#!/usr/bin/env bash
# Builds with `make`, installs into a temporary prefix with `make install` (which must not run
# cargo: it runs with cargo off PATH), then builds programs that see only that prefix (copied
# out of the source tree, found through pkg-config or CMake) and runs them against
# carto-emulator:
#   1. consumer.c with `pkg-config --cflags --libs cartoauth` (shared library);
#   2. cmake/ (C++17, find_package(cartoauth CONFIG REQUIRED) + cartoauth::cartoauth), and the
#      same against a moved copy of the prefix (relocatable) and with cartoauth::cartoauth_static;
#   3. consumer.c linked statically (`pkg-config --static`);
#   4. examples/gdal (GDAL's CARTO driver fed with cartoauth's credentials);
#   5. the cartoauth tool: the installed binary against carto-emulator, its man pages as man
#      finds them, and its completions as bash-completion, zsh and fish load them (--profile
#      completes the saved profiles).
# Also checks the layout (SONAME, links, exported symbols), a staged DESTDIR install with a
# multiarch LIBDIR, that install refuses (and builds nothing) when make has not run, and that
# `make uninstall` leaves no file behind. Prints `N passed, N failed`.
#
#   tests/install/run.sh
set -uo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
target=${CARGO_TARGET_DIR:-$root/target}

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "ok   $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
# check "<name>" command...: runs the command, output to $work/<n>.log, shown on failure.
check() {
  local name=$1 log
  shift
  log=$work/check-$((passed + failed)).log
  if "$@" >"$log" 2>&1; then pass "$name"; else fail "$name"; sed 's/^/     /' "$log"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

work=$(mktemp -d)
prefix=$work/prefix
emulator_pid=
cleanup() {
  [ -n "$emulator_pid" ] && { exec {EMULATOR[1]}>&- 2>/dev/null; wait "$emulator_pid" 2>/dev/null; }
  rm -rf "$work"
}
trap cleanup EXIT

echo "== make: libcartoauth and the cartoauth tool; carto-emulator (release)"
make -s || { fail "make"; finish; }
cargo build --release -q -p carto-emulator || { fail "cargo build -p carto-emulator"; finish; }

# `make install` runs where cargo is not on PATH (sudo's PATH; rustup puts cargo in ~/.cargo/bin):
# PATH is /usr/bin:/bin plus a cargo that only records that it was run.
nocargo=$work/nocargo
mkdir -p "$nocargo"
printf '#!/bin/sh\necho "$*" >> "%s/calls"\nexit 1\n' "$nocargo" >"$nocargo/cargo"
chmod +x "$nocargo/cargo"
without_cargo() { env PATH="$nocargo:/usr/bin:/bin" "$@"; }
no_cargo_run() { [ ! -e "$nocargo/calls" ] || { echo "cargo was run: $(cat "$nocargo/calls")"; false; }; }

echo "== make install PREFIX=$prefix, with PATH=/usr/bin:/bin"
check "make install (PATH=/usr/bin:/bin)" without_cargo make -s install PREFIX="$prefix"
check "make install ran no cargo" no_cargo_run
abi=$(sed -n 's/^#define CARTO_ABI_VERSION //p' include/cartoauth.h)
version=$(sed -n 's/^#define CARTO_VERSION "\(.*\)"/\1/p' include/cartoauth.h)
lib=$prefix/lib

layout() {
  [ -f "$lib/libcartoauth.so.$version" ] && [ ! -L "$lib/libcartoauth.so.$version" ] &&
    [ "$(readlink "$lib/libcartoauth.so.$abi")" = "libcartoauth.so.$version" ] &&
    [ "$(readlink "$lib/libcartoauth.so")" = "libcartoauth.so.$abi" ] &&
    [ -f "$lib/libcartoauth.a" ] && cmp include/cartoauth.h "$prefix/include/cartoauth.h" &&
    [ -f "$lib/pkgconfig/cartoauth.pc" ] && [ -f "$lib/cmake/cartoauth/cartoauthConfig.cmake" ] &&
    [ -f "$lib/cmake/cartoauth/cartoauthConfigVersion.cmake" ]
}
check "installed layout: libcartoauth.so.$version, .so.$abi and .so links, .a, header, .pc, CMake package" layout
share=$prefix/share
tool_layout() {
  [ -x "$prefix/bin/cartoauth" ] && cmp "$target/release/cartoauth" "$prefix/bin/cartoauth" &&
    [ -f "$share/man/man1/cartoauth.1" ] && [ -f "$share/man/man1/cartoauth-login.1" ] &&
    [ -f "$share/bash-completion/completions/cartoauth" ] && [ -f "$share/zsh/site-functions/_cartoauth" ] &&
    [ -f "$share/fish/vendor_completions.d/cartoauth.fish" ]
}
check "installed tool: bin/cartoauth (what make built), man pages, bash/zsh/fish completions" tool_layout
man_pages() { # a page per command --help lists, each rendered without a warning, found by man
  local commands page
  commands=$("$prefix/bin/cartoauth" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && /^  [^ ]/ && $1 != "help" {print $1}')
  [ -n "$commands" ] || return 1
  for page in cartoauth $(printf 'cartoauth-%s ' $commands); do
    MANPATH=$share/man man -w "$page" | grep -qx "$share/man/man1/$page.1" || { echo "man -w $page"; return 1; }
    [ -z "$(groff -man -Tutf8 -ww -z "$share/man/man1/$page.1" 2>&1)" ] || { echo "groff warns on $page"; return 1; }
  done
  MANPATH=$share/man MANWIDTH=100 man cartoauth-sql 2>/dev/null >"$work/sql.man"
  grep -q '^EXIT STATUS' "$work/sql.man" && grep -q 'lacks a grant' "$work/sql.man" && grep -q -- '--format' "$work/sql.man"
}
check "man pages: cartoauth(1) and cartoauth-COMMAND(1) for every command, with EXIT STATUS" man_pages
check "readelf -d: SONAME libcartoauth.so.$abi" \
  bash -c "readelf -d '$lib/libcartoauth.so.$version' | grep -F 'Library soname: [libcartoauth.so.$abi]'"
check "installed .so has no debug info" \
  bash -c "! readelf -S '$lib/libcartoauth.so.$version' | grep -q '\.debug_info'"
exports() {
  diff <(nm -D --defined-only --format=posix "$lib/libcartoauth.so.$version" | cut -d' ' -f1 | sed 's/@.*//' | sort -u) \
    <(grep -v '^#\|^abi ' abi/cartoauth.symbols | sed 's/(.*//; s/.*[ *]//' | sort -u)
}
check "nm -D: exports exactly abi/cartoauth.symbols" exports
echo "     installed libcartoauth.so.$version: $(stat -c %s "$lib/libcartoauth.so.$version") bytes, libcartoauth.a: $(stat -c %s "$lib/libcartoauth.a") bytes"

echo "== starting carto-emulator"
coproc EMULATOR { exec "$target/release/carto-emulator" --fresh --exit-on-stdin-eof --info-file "$work/info.json" 2>"$work/emulator.log"; }
emulator_pid=$EMULATOR_PID
for _ in $(seq 1 600); do
  [ -s "$work/info.json" ] && break
  kill -0 "$emulator_pid" 2>/dev/null || break
  sleep 0.1
done
if [ ! -s "$work/info.json" ]; then
  fail "carto-emulator started"
  cat "$work/emulator.log"
  finish
fi
field() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$work/info.json" "$1"; }
base_url=$(field 'd["accounts"]["demo"]["base_url"]')
master_key=$(field '[k["token"] for k in d["accounts"]["demo"]["keys"] if k["type"]=="master"][0]')
export CARTO_BASE_URL="$base_url" CARTO_API_KEY="$master_key" CARTO_ALLOW_NON_SECURE=1
export CARTO_CONFIG_DIR="$work/config"
unset CARTO_USERNAME CARTO_CREDENTIALS_FILE CARTO_PROFILE

# The consumers: copies outside the source tree, seeing only $prefix.
consumers=$work/consumers
mkdir -p "$consumers"
cp tests/install/consumer.c "$consumers/"
cp -r tests/install/cmake "$consumers/cmake"
cp -r examples/gdal "$consumers/gdal"
rm -f "$consumers/gdal/carto_layers"
unset CPATH C_INCLUDE_PATH CPLUS_INCLUDE_PATH LIBRARY_PATH
export PKG_CONFIG_PATH=$lib/pkgconfig
# runs a program, fails if it fails, prints the key, or does not print $2.
run_ok() {
  local expect=$1 out
  shift
  out=$("$@" 2>&1)
  local status=$?
  echo "$out"
  [ $status -eq 0 ] && grep -qF -- "$expect" <<<"$out" && ! grep -qF -- "$master_key" <<<"$out"
}

cd "$consumers"
echo "== 1. C, pkg-config --cflags --libs cartoauth (shared)"
check "cc consumer.c \$(pkg-config --cflags --libs cartoauth)" \
  bash -c 'cc -std=c11 -Wall -Wextra -Werror -pedantic consumer.c $(pkg-config --cflags --libs cartoauth) -o consumer_shared'
check "consumer_shared NEEDs libcartoauth.so.$abi" \
  bash -c "readelf -d consumer_shared | grep -F 'Shared library: [libcartoauth.so.$abi]'"
check "consumer_shared: api/v3/me and SQL against carto-emulator" \
  run_ok "consumer: ok" env LD_LIBRARY_PATH="$lib" ./consumer_shared demo
check "consumer_shared: a wrong key is refused (HTTP 401)" \
  bash -c "! env CARTO_API_KEY=wrong LD_LIBRARY_PATH='$lib' ./consumer_shared demo 2>&1 | tee /dev/stderr | grep -q 'consumer: ok'"

echo "== 2. C++17, CMake find_package(cartoauth CONFIG REQUIRED)"
cmake_app() { # build dir, prefix, extra cmake args...
  local dir=$1 p=$2
  shift 2
  cmake -S cmake -B "$dir" -DCMAKE_PREFIX_PATH="$p" "$@" >/dev/null && cmake --build "$dir" -- -s
}
check "cmake configure and build (cartoauth::cartoauth)" cmake_app build-shared "$prefix"
check "cmake app NEEDs libcartoauth.so.$abi" \
  bash -c "readelf -d build-shared/app | grep -F 'Shared library: [libcartoauth.so.$abi]'"
check "cmake app: api/v3/me and SQL against carto-emulator" run_ok "cmake consumer: ok" ./build-shared/app demo
moved=$work/moved-prefix
cp -a "$prefix" "$moved"
check "cmake package is relocatable (prefix copied elsewhere)" \
  bash -c "cmake -S cmake -B build-moved -DCMAKE_PREFIX_PATH='$moved' 2>&1 | grep -F 'from $moved/lib/cmake/cartoauth' && cmake --build build-moved -- -s"
rm -rf "$moved"
version_refused() { # the requested version; configuring must fail on the version file
  mkdir -p "version-$1"
  printf 'cmake_minimum_required(VERSION 3.13)\nproject(v LANGUAGES NONE)\nfind_package(cartoauth %s CONFIG REQUIRED)\n' "$1" >"version-$1/CMakeLists.txt"
  ! cmake -S "version-$1" -B "version-$1/build" -DCMAKE_PREFIX_PATH="$prefix" >"version-$1/log" 2>&1 &&
    grep -q 'compatible with requested version "'"$1"'"' "version-$1/log"
}
check "find_package(cartoauth 1.0) is refused for $version (version file)" version_refused 1.0
check "find_package(cartoauth 0.2) is refused for $version (0.y: y is the major)" version_refused 0.2
check "cmake configure and build (cartoauth::cartoauth_static)" cmake_app build-static "$prefix" -DCARTOAUTH_STATIC=ON
check "cmake static app needs no libcartoauth.so" bash -c "! readelf -d build-static/app | grep -q libcartoauth"
check "cmake static app: api/v3/me and SQL against carto-emulator" run_ok "cmake consumer: ok" ./build-static/app demo

echo "== 3. C, pkg-config --static (libcartoauth.a)"
static_libs=$(pkg-config --static --libs cartoauth | sed 's/-lcartoauth\b/-l:libcartoauth.a/')
echo "     pkg-config --static --libs cartoauth: $(pkg-config --static --libs cartoauth)"
check "cc consumer.c \$(pkg-config --static ...) with -l:libcartoauth.a" \
  bash -c "cc -std=c11 -Wall -Wextra -Werror -pedantic consumer.c \$(pkg-config --cflags cartoauth) $static_libs -o consumer_static"
check "consumer_static needs no libcartoauth.so" bash -c "! readelf -d consumer_static | grep -q libcartoauth"
check "consumer_static: api/v3/me and SQL against carto-emulator" run_ok "consumer: ok" ./consumer_static demo

echo "== 4. examples/gdal: GDAL's CARTO driver with cartoauth's credentials"
check "build examples/gdal (pkg-config cartoauth gdal)" make -s -C gdal
check "carto_layers lists the layers and prints points_public (master key)" \
  run_ok "#1 name=Madrid" ./gdal/carto_layers points_public
check "carto_layers lists points_private with the master key" run_ok "points_private" ./gdal/carto_layers
check "carto_layers with the public key sees no private table" \
  bash -c "out=\$(CARTO_API_KEY=default_public ./gdal/carto_layers points_public 2>&1) && echo \"\$out\" && grep -q Madrid <<<\"\$out\" && ! grep -q points_private <<<\"\$out\""

echo "== 5. the installed cartoauth tool: against carto-emulator, and its completions"
tool=$prefix/bin/cartoauth
check "cartoauth status --json: the key is valid" \
  bash -c "'$tool' status --json | tee /dev/stderr | grep -q '\"status\":\"valid\"'"
check "cartoauth login --profile ci (key on standard input)" \
  bash -c "echo '$master_key' | env -u CARTO_BASE_URL -u CARTO_API_KEY '$tool' login --profile ci --with-key --base-url '$base_url'"
check "cartoauth sql with the saved profile" \
  bash -c "env -u CARTO_BASE_URL -u CARTO_API_KEY '$tool' sql -p ci 'select count(*) as n from points_public' -f csv | grep -qx 3"
# Each shell as a user has it, with nothing but the prefix's share/ added to where it looks.
mkdir -p "$work/home"
shell_env() {
  env -i HOME="$work/home" PATH="$prefix/bin:/usr/bin:/bin" CARTO_CONFIG_DIR="$CARTO_CONFIG_DIR" \
    XDG_DATA_DIRS="$share:/usr/share" TERM=dumb "$@"
}
bash_completes() {
  [ -f /usr/share/bash-completion/bash_completion ] || { echo "bash-completion is not installed"; return 1; }
  # shellcheck disable=SC2016 # expanded by the inner bash
  shell_env bash --norc -c 'source /usr/share/bash-completion/bash_completion
    __load_completion cartoauth || exit 1
    fn=$(complete -p cartoauth | sed -n "s/.* -F \([^ ]*\) .*/\1/p")
    COMP_WORDS=(cartoauth status --profile ""); COMP_CWORD=3; COMP_LINE="cartoauth status --profile "
    COMP_POINT=${#COMP_LINE}; COMP_TYPE=9
    "$fn" cartoauth "" --profile; printf "%s\n" "${COMPREPLY[@]}"' | tee /dev/stderr | grep -qx ci
}
check "bash-completion loads completions/cartoauth from XDG_DATA_DIRS; --profile completes 'ci'" bash_completes
fish_completes() {
  command -v fish >/dev/null || { echo "fish is not installed"; return 1; }
  shell_env fish -c 'complete -C "cartoauth status --profile "' | tee /dev/stderr | grep -qx ci &&
    shell_env fish -c 'complete -C "cartoauth log"' | grep -q '^logout'
}
check "fish loads vendor_completions.d/cartoauth.fish; --profile completes 'ci'" fish_completes
zsh_completes() { # an interactive zsh on a pseudo-terminal (zpty): one TAB
  command -v zsh >/dev/null || { echo "zsh is not installed"; return 1; }
  cat >"$work/complete.zsh" <<ZSH
zmodload zsh/zpty
zpty z env -i HOME=$work/home PATH=$prefix/bin:/usr/bin:/bin CARTO_CONFIG_DIR=$CARTO_CONFIG_DIR TERM=dumb zsh -f -i
zpty -w z 'fpath=($share/zsh/site-functions \$fpath); autoload -Uz compinit; compinit -u -D; PS1="> "'
sleep 1
zpty -w -n z \$'cartoauth status --profile \t'
sleep 2
out=
while zpty -r -t z chunk; do out+=\$chunk; done
zpty -d z
print -r -- "\$out"
ZSH
  timeout 30 zsh -f "$work/complete.zsh" | tr -d '\r' | tee /dev/stderr | grep -q 'cartoauth status --profile ci'
}
check "zsh autoloads _cartoauth from site-functions; the first TAB after --profile completes 'ci'" zsh_completes
cd "$root"

echo "== make install before make: refused, nothing built, nothing installed"
refused() {
  local out
  ! out=$(without_cargo make -s install CARGO_TARGET_DIR="$work/never-built" PREFIX="$work/unbuilt" 2>&1) &&
    echo "$out" && grep -q 'run make first' <<<"$out" && [ ! -e "$work/unbuilt" ] && no_cargo_run
}
check "make install without make: 'run make first', no cargo, no files" refused

echo "== staged install: DESTDIR, PREFIX=/usr, multiarch LIBDIR"
stage=$work/stage
multiarch=/usr/lib/x86_64-linux-gnu
check "make install DESTDIR=… PREFIX=/usr LIBDIR=$multiarch (PATH=/usr/bin:/bin)" \
  without_cargo make -s install DESTDIR="$stage" PREFIX=/usr LIBDIR="$multiarch"
check "the staged install ran no cargo" no_cargo_run
check "staged tool: /usr/bin/cartoauth, /usr/share/man/man1/cartoauth.1" \
  bash -c "[ -x '$stage/usr/bin/cartoauth' ] && [ -f '$stage/usr/share/man/man1/cartoauth.1' ]"
check "staged .pc names /usr and \${prefix}/lib/x86_64-linux-gnu" \
  bash -c "grep -qx 'prefix=/usr' '$stage$multiarch/pkgconfig/cartoauth.pc' && grep -qx 'libdir=\${prefix}/lib/x86_64-linux-gnu' '$stage$multiarch/pkgconfig/cartoauth.pc'"
check "staged CMake package finds the header four levels up" \
  grep -q '/../../../../include"' "$stage$multiarch/cmake/cartoauth/cartoauthConfig.cmake"
check "make uninstall DESTDIR=… leaves no file" \
  bash -c "make -s uninstall DESTDIR='$stage' PREFIX=/usr LIBDIR='$multiarch' && [ -z \"\$(find '$stage' ! -type d)\" ]"

echo "== make install-strip"
stripped=$work/stripped
strip_check() {
  without_cargo make -s install-strip PREFIX="$stripped" >/dev/null &&
    ! readelf -S "$stripped/lib/libcartoauth.so.$version" | grep -q '\.symtab' &&
    ! readelf -S "$stripped/bin/cartoauth" | grep -q '\.symtab' && "$stripped/bin/cartoauth" --version &&
    diff <(nm -D --defined-only "$stripped/lib/libcartoauth.so.$version" | wc -l) \
      <(nm -D --defined-only "$lib/libcartoauth.so.$version" | wc -l) &&
    echo "     stripped libcartoauth.so.$version: $(stat -c %s "$stripped/lib/libcartoauth.so.$version") bytes" >&2 &&
    make -s uninstall PREFIX="$stripped" && [ -z "$(find "$stripped" ! -type d)" ]
}
check "make install-strip: no symbol tables (library, tool), the same dynamic exports; uninstall" strip_check

echo "== make uninstall PREFIX=$prefix"
check "make uninstall leaves no file in the prefix (library, tool, man pages, completions)" \
  bash -c "make -s uninstall PREFIX='$prefix' && [ -z \"\$(find '$prefix' ! -type d)\" ]"
finish
