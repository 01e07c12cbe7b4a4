#!/usr/bin/env bash
# Interoperability with Python CARTOframes 1.2.4 (from PyPI, in a private venv).
#   tests/interop/run.sh [path/to/libcartoauth.so]   (default: target/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
lib=${1:-$PWD/target/release/libcartoauth.so}
[ -f "$lib" ] || cargo build --release --lib -p cartoauth
python=$(tests/interop/setup-venv.sh)
CARTOAUTH_LIB="$lib" "$python" tests/interop/cartoframes_interop.py
