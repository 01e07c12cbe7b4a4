#!/usr/bin/env python3
"""A small lint of the Julia package CartoAuth, without Julia.

Usage:
    lint_julia.py [--package DIR] [--fatou EXE]
    lint_julia.py --self-test

The @ccall layer (src/capi.jl) is generated from include/cartoauth.h by `cargo xtask gen`,
which CI checks is up to date, so its types need no checking here. What is checked, one check
per .jl file and rule:
  compat   no Base name or Test form newer than Julia 1.6 (the package supports 1.6; fatou
           checks only syntax), and no variable named `public` (a keyword from 1.11);
  layer    C is called only through the generated layer: no `@ccall` or `ccall(` outside
           src/capi.jl;
  lint     with --fatou: `fatou --no-config lint <package>` exits 0 (one check).
Prints `FAIL ...` lines, then exactly `julia-lint: N passed, N failed`; exits 1 on a failure.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_!]*"

# Names that appeared after Julia 1.6: name -> first version.
NEWER_THAN_1_6 = {
    "Returns": "1.7", "@something": "1.7", "@lock": "1.7", "@atomic": "1.7",
    "@atomicswap": "1.7", "@atomicreplace": "1.7", "@invokelatest": "1.7",
    "@constprop": "1.7", "keepat!": "1.7", "redirect_stdio": "1.7", "ismutabletype": "1.7",
    "current_exceptions": "1.7", "eachsplit": "1.8", "allequal": "1.8", "chopprefix": "1.8",
    "chopsuffix": "1.8", "LazyString": "1.8", "@lazy_str": "1.8", "@assume_effects": "1.8",
    "stack": "1.9", "splat": "1.9", "@kwdef": "1.9 (exported; Base.@kwdef mutable defaults differ)",
    "pkgversion": "1.9", "@allocations": "1.9", "ScopedValue": "1.11", "Lockable": "1.11",
    "logrange": "1.11", "@atomiconce": "1.11", "waitany": "1.12", "waitall": "1.12",
    "OncePerProcess": "1.12",
}

GENERATED = "src/capi.jl"


def mask(text: str) -> str:
    """Blanks comments, strings, commands and char literals, keeping newlines and offsets."""
    out, n, i = list(text), len(text), 0

    def blank(a: int, b: int) -> None:
        for k in range(a, min(b, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        ch = text[i]
        if text.startswith("#=", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("#=", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("=#", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            blank(i, j)
            i = j
        elif ch == "#":
            j = text.find("\n", i)
            j = n if j < 0 else j
            blank(i, j)
            i = j
        elif ch in "\"`":
            delim = ch * 3 if text.startswith(ch * 3, i) else ch
            j = i + len(delim)
            while j < n and not text.startswith(delim, j):
                j += 2 if text[j] == "\\" else 1
            j += len(delim)
            blank(i + len(delim), j - len(delim))
            i = j
        elif ch == "'":
            # A transpose (x', a[i]') follows a value with no space; anything else is a char.
            if i > 0 and (text[i - 1].isalnum() or text[i - 1] in "_)]}'.!"):
                i += 1
                continue
            j = i + 1
            while j < n and text[j] not in "'\n":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, j)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def compat_problems(text: str) -> list[str]:
    masked = mask(text)
    problems = []
    for name, version in NEWER_THAN_1_6.items():
        if name.startswith("@"):
            pattern = r"(?:@|Base\.@)" + re.escape(name[1:]) + r"(?![\w!])"
        else:
            pattern = r"(?<![\w.:@])(?:Base\.)?" + re.escape(name) + r"(?![\w!])\s*[({]"
        for hit in re.finditer(pattern, masked):
            problems.append(f"line {line_of(masked, hit.start())}: {name} needs Julia {version}")
    for hit in re.finditer(r"@test\b[^\n]*?\b(skip|broken)\s*=", masked):
        problems.append(f"line {line_of(masked, hit.start())}: `@test ... {hit.group(1)}=` needs Julia 1.7")
    for hit in re.finditer(r"@test_throws\s+\"", text):
        problems.append(f"line {line_of(text, hit.start())}: `@test_throws \"message\"` needs Julia 1.8")
    for hit in re.finditer(r"^\s*public\s+" + IDENT, masked, re.M):
        problems.append(f"line {line_of(masked, hit.start())}: `public` needs Julia 1.11")
    for hit in re.finditer(r"^\s*public\s*=(?!=)", masked, re.M):
        problems.append(
            f"line {line_of(masked, hit.start())}: `public` is a keyword from Julia 1.11 on; rename the variable"
        )
    return problems


def layer_problems(text: str) -> list[str]:
    masked = mask(text)
    return [
        f"line {line_of(masked, m.start())}: calls C directly; use the wrapper in {GENERATED} "
        "(regenerated by `cargo xtask gen`)"
        for m in re.finditer(r"@ccall(?![\w!])|(?<![\w@.!])(?:Base\.|Core\.)?ccall\s*\(", masked)
    ]


def lint(package: Path, fatou: str | None) -> tuple[int, list[str]]:
    passed, failures = 0, []
    files = sorted(p for p in package.rglob("*.jl") if not any(part.startswith(".") for part in p.parts))
    if not files:
        return 0, [f"no .jl files under {package}"]
    for path in files:
        shown = path.relative_to(package).as_posix()
        text = path.read_text(encoding="utf-8")
        checks = [("compat", compat_problems(text))]
        if shown != GENERATED:
            checks.append(("layer", layer_problems(text)))
        for rule, problems in checks:
            if problems:
                failures += [f"{rule} {shown}: {p}" for p in problems]
            else:
                passed += 1
    if fatou:
        command = [fatou, "--no-config", "--color", "never", "lint", str(package)]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        except (OSError, subprocess.TimeoutExpired) as err:
            failures.append(f"lint: cannot run {' '.join(command)}: {err}")
        else:
            if done.returncode == 0:
                passed += 1
            else:
                output = (done.stdout + done.stderr).strip()
                failures += [f"lint: {line}" for line in output.splitlines()] or [
                    f"lint: fatou exited with status {done.returncode}"
                ]
    return passed, failures


def self_test() -> int:
    """Each rule on a small package: the lint must find exactly what is planted."""
    cases = {
        "clean": ({"src/a.jl": "f(x) = x' + 1  # Returns(1) in a comment\ns = \"@ccall x\"\n"}, 0),
        "newer name": ({"src/a.jl": "g = Returns(1)\n"}, 1),
        "public variable": ({"src/a.jl": "public = 1\n"}, 1),
        "direct ccall": ({"src/a.jl": "h() = ccall(:f, Cint, ())\n"}, 1),
        "generated layer may ccall": ({GENERATED: "f() = @ccall $(p)()::Cvoid\n"}, 0),
    }
    passed = failed = 0
    for name, (files, expected) in cases.items():
        with tempfile.TemporaryDirectory() as tmp:
            for rel, text in files.items():
                path = Path(tmp) / rel
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
            _, failures = lint(Path(tmp), None)
        if len(failures) == expected:
            passed += 1
        else:
            failed += 1
            print(f"FAIL self-test {name}: expected {expected} problems, found {failures}")
    print(f"lint self-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--package", type=Path, default=Path(__file__).resolve().parents[1])
    parser.add_argument("--fatou", help="also run `FATOU --no-config lint PACKAGE`")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args(argv)
    if args.self_test:
        return self_test()
    passed, failures = lint(args.package, args.fatou)
    for failure in failures:
        print(f"FAIL {failure}")
    print(f"julia-lint: {passed} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
