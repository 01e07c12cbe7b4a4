#!/usr/bin/env bash
# Creates (once) a Python venv with CARTO's own CARTO 3 client, carto-auth 0.2.0 (PyPI), which
# emulator/tests/carto_auth.rs drives unchanged against carto-emulator. Prints the venv's python.
#   tests/interop/setup-carto-auth-venv.sh [venv dir]   (default: target/venv-carto-auth)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${1:-${CARTOAUTH_CARTO_AUTH_VENV:-$PWD/target/venv-carto-auth}}
if ! "$venv/bin/python" -c "import importlib.metadata as m; assert m.version('carto-auth') == '0.2.0'" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  "$venv/bin/pip" install -q "carto-auth==0.2.0" >&2
fi
echo "$venv/bin/python"
