#!/usr/bin/env bash
# Rewrites abi/cartoauth.symbols (the exported C API, checked by tests/abi.rs) from
# include/cartoauth.h, after new functions were added. Refuses when a listed function was
# removed or its prototype changed while CARTO_ABI_VERSION (src/ffi/library.rs) stayed the same.
#
#   scripts/update-abi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CARTOAUTH_WRITE_ABI=1 cargo test -q -p cartoauth --test abi -- --exact symbol_list_matches_the_header
cargo test -q -p cartoauth --test abi
git --no-pager diff --stat -- abi/cartoauth.symbols 2>/dev/null || true
