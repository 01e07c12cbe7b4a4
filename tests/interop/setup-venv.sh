#!/usr/bin/env bash
# Creates (once) a Python venv with the real CARTO Python clients the interoperability tests
# drive: CARTOframes 1.2.4 and, through it, carto-python 1.11.3. Prints the venv's python.
#   tests/interop/setup-venv.sh [venv dir]   (default: target/venv-cartoframes)
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=${1:-${CARTOAUTH_INTEROP_VENV:-$PWD/target/venv-cartoframes}}
if ! "$venv/bin/python" -c "import cartoframes, carto" 2>/dev/null; then
  python3 -m venv "$venv" >&2
  # six: a dependency of carto-python that CARTOframes 1.2.4's requirements do not pull in.
  "$venv/bin/pip" install -q "cartoframes==1.2.4" "carto==1.11.3" six >&2
fi
echo "$venv/bin/python"
