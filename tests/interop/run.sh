#!/usr/bin/env bash
# Interoperability with Python CARTOframes 1.2.4 (from PyPI, in a private venv).
#   tests/interop/run.sh [path/to/libcartoauth.so]   (default: target/release)
set -euo pipefail
cd "$(dirname "$0")/../.."
lib=${1:-$PWD/target/release/libcartoauth.so}
[ -f "$lib" ] || cargo build --release --lib -p cartoauth
venv=${CARTOAUTH_INTEROP_VENV:-$PWD/target/venv-cartoframes}
if ! "$venv/bin/python" -c "import cartoframes" 2>/dev/null; then
  python3 -m venv "$venv"
  # six: a dependency of carto-python that CARTOframes 1.2.4's requirements do not pull in.
  "$venv/bin/pip" install -q "cartoframes==1.2.4" six
fi
CARTOAUTH_LIB="$lib" "$venv/bin/python" tests/interop/cartoframes_interop.py
