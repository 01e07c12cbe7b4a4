#!/usr/bin/env bash
# Static checks of the Julia package, for CI on machines without Julia.
#
#   bindings/julia/tools/static-checks.sh
#
# 1. a Python venv with pinned fatou, tree-sitter and tree-sitter-julia (created or completed
#    from PyPI when missing; nothing else is downloaded). Location: $JULIA_STATIC_VENV, else
#    ${XDG_CACHE_HOME:-~/.cache}/cartoauth/venv-julia (never inside the repository);
# 2. tools/check_ccalls.py: every @ccall against include/cartoauth.h, constants, symbol list,
#    Julia 1.6 compatibility, plus `fatou --no-config lint bindings/julia` as one check;
# 3. tools/parse_julia.py: every .jl file parses with tree-sitter-julia (one check per file);
# 4. tools/test_check_ccalls.py: the checker's self-test (one check per test).
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

# 2. The @ccall checker, with fatou's lint as one of its checks.
if ((have_venv)); then
    out="$("$python" "$tools/check_ccalls.py" --header "$repo/include/cartoauth.h" \
        --package "$package" --fatou "$venv/bin/fatou" 2>&1)"
else
    out="$("$python" "$tools/check_ccalls.py" --header "$repo/include/cartoauth.h" \
        --package "$package" 2>&1)"
    echo "FAIL lint: fatou is not available (see setup)"
    add 0 1
fi
printf '%s\n' "$out" | sed 's/^julia-static:/check_ccalls:/'
tally "$out" check_ccalls

# 3. A second parser.
if ((have_venv)); then
    out="$("$venv/bin/python" "$tools/parse_julia.py" "$package" 2>&1)"
    printf '%s\n' "$out"
    tally "$out" parse_julia
else
    echo "FAIL parse: tree-sitter-julia is not available (see setup)"
    add 0 1
fi

# 4. The checker's self-test.
out="$(cd "$tools" && "$python" -m unittest test_check_ccalls 2>&1)"
ran="$(printf '%s\n' "$out" | sed -n 's/^Ran \([0-9]*\) tests\{0,1\} in .*/\1/p')"
if [[ -z "$ran" ]]; then
    printf '%s\n' "$out"
    echo "FAIL self-test: the unit tests did not run"
    add 0 1
elif printf '%s\n' "$out" | grep -q '^OK'; then
    echo "self-test: $ran passed, 0 failed"
    add "$ran" 0
else
    printf '%s\n' "$out" | grep -E '^(FAIL|ERROR):|Error' || true
    summary="$(printf '%s\n' "$out" | grep '^FAILED (')"
    bad=0
    [[ "$summary" =~ failures=([0-9]+) ]] && bad=$((bad + BASH_REMATCH[1]))
    [[ "$summary" =~ errors=([0-9]+) ]] && bad=$((bad + BASH_REMATCH[1]))
    ((bad > 0)) || bad=1
    echo "self-test: $((ran - bad)) passed, $bad failed"
    add "$((ran - bad))" "$bad"
fi

echo "julia-static: $passed passed, $failed failed"
((failed == 0))
