#!/usr/bin/env bash
# Interoperability with Python CARTOframes 1.2.4 (from PyPI, in a private venv), and with
# carto-python 1.11.3's BatchSQLClient, APIKeyManager and DoTokenManager against carto-emulator
# (the newest of target/{release,debug}/carto-emulator, or CARTO_EMULATOR_BIN).
#   tests/interop/run.sh [path/to/libcartoauth.so]   (default: target/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
lib=${1:-$PWD/target/release/libcartoauth.so}
[ -f "$lib" ] || cargo build --release --lib -p cartoauth-capi
python=$(tests/interop/setup-venv.sh)
CARTOAUTH_LIB="$lib" "$python" tests/interop/cartoframes_interop.py
CARTOAUTH_LIB="$lib" "$python" tests/interop/platform_interop.py
