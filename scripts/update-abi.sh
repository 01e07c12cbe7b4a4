#!/usr/bin/env bash
# Rewrites abi/cartoauth.symbols (the exported C API, checked by capi/tests/abi.rs) from
# include/cartoauth.h, after new functions were added. Refuses when a listed function was
# removed or its prototype changed while CARTO_ABI_VERSION (capi/src/abi_version.rs) stayed the same.
#
#   scripts/update-abi.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CARTOAUTH_WRITE_ABI=1 cargo test -q -p cartoauth-capi --test abi -- --exact symbol_list_matches_the_header
cargo test -q -p cartoauth-capi --test abi
git --no-pager diff --stat -- abi/cartoauth.symbols 2>/dev/null || true
