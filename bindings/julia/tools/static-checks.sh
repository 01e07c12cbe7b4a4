#!/usr/bin/env bash
# Static checks of the Julia package, for CI on machines without Julia.
#
#   bindings/julia/tools/static-checks.sh
#
# 1. a Python venv with pinned fatou, tree-sitter and tree-sitter-julia (created or completed
#    from PyPI when missing; nothing else is downloaded). Location: $JULIA_STATIC_VENV, else
#    ${XDG_CACHE_HOME:-~/.cache}/cartoauth/venv-julia (never inside the repository);
# 2. tools/lint_julia.py: Julia 1.6 compatibility, C called only through the generated layer
#    (src/capi.jl, written by `cargo xtask gen` from include/cartoauth.h and checked by
#    `cargo xtask gen --check`), plus `fatou --no-config lint bindings/julia` as one check;
# 3. tools/parse_julia.py: every .jl file parses with tree-sitter-julia (one check per file);
# 4. lint_julia.py --self-test (one check per case).
#
# Prints each tool's findings, then exactly one final line `julia-static: N passed, N failed`
# (the sum over the steps above; a step that cannot run counts as one failure). Exit status 0
# only when nothing failed.
set -u

tools="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
package="$(dirname "$tools")"
repo="$(cd "$package/../.." && pwd)"
venv="${JULIA_STATIC_VENV:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/cartoauth/venv-julia}"
python="${PYTHON:-python3}"
requirements="fatou==0.24.0 tree-sitter==0.26.1 tree-sitter-julia==0.23.1"

passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }

# Reads "<label>: N passed, M failed" from the last line of a step's output.
tally() {
    local line
    line="$(printf '%s\n' "$1" | tail -n 1)"
    if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed$ ]]; then
        add "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    else
        echo "FAIL $2: no result line"
        add 0 1
    fi
}

# 1. The venv (skipped when it already holds exactly these requirements).
stamp="$venv/.cartoauth-requirements"
if [[ ! -x "$venv/bin/python" || "$(cat "$stamp" 2>/dev/null)" != "$requirements" ]]; then
    echo "setting up $venv ($requirements)"
    if "$python" -m venv "$venv" &&
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $requirements; then
        echo "$requirements" >"$stamp"
    else
        echo "FAIL setup: could not create $venv or install $requirements from PyPI"
    fi
fi
have_venv=0
if [[ -x "$venv/bin/fatou" && "$(cat "$stamp" 2>/dev/null)" == "$requirements" ]]; then
    have_venv=1
fi

# 2. The lint, with fatou's as one of its checks.
if ((have_venv)); then
    out="$("$python" "$tools/lint_julia.py" --package "$package" --fatou "$venv/bin/fatou" 2>&1)"
else
    out="$("$python" "$tools/lint_julia.py" --package "$package" 2>&1)"
    echo "FAIL lint: fatou is not available (see setup)"
    add 0 1
fi
printf '%s\n' "$out"
tally "$out" lint_julia

# 3. A second parser.
if ((have_venv)); then
    out="$("$venv/bin/python" "$tools/parse_julia.py" "$package" 2>&1)"
    printf '%s\n' "$out"
    tally "$out" parse_julia
else
    echo "FAIL parse: tree-sitter-julia is not available (see setup)"
    add 0 1
fi

# 4. The lint's self-test.
out="$("$python" "$tools/lint_julia.py" --self-test 2>&1)"
printf '%s\n' "$out"
tally "$out" self-test

echo "julia-static: $passed passed, $failed failed"
((failed == 0))
