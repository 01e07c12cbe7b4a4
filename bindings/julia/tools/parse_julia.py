#!/usr/bin/env python3
"""Parse every .jl file of the package with tree-sitter-julia and fail on ERROR/MISSING nodes.

Usage: parse_julia.py [DIR]   (default: the package, one folder up from this script)

A second, independent parser next to fatou: a file must parse cleanly with both. Needs the PyPI
packages `tree-sitter` and `tree-sitter-julia` (tools/static-checks.sh installs them in its
venv). Prints one line per problem, then `parse: N passed, N failed` (one check per file).
"""

from __future__ import annotations

import sys
from pathlib import Path

import tree_sitter_julia
from tree_sitter import Language, Parser


def problems(tree) -> list[str]:
    found = []
    stack = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            row, column = node.start_point
            kind = "MISSING " + node.type if node.is_missing else "ERROR"
            found.append(f"{row + 1}:{column + 1}: {kind}")
        elif node.has_error:
            stack.extend(node.children)
    return sorted(found, key=lambda s: tuple(int(x) for x in s.split(":")[:2]))


def main(argv: list[str]) -> int:
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    parser = Parser(Language(tree_sitter_julia.language()))
    passed = failed = 0
    for path in sorted(root.rglob("*.jl")):
        if any(part.startswith(".") for part in path.relative_to(root).parts):
            continue
        tree = parser.parse(path.read_bytes())
        found = problems(tree)
        if found:
            failed += 1
            for problem in found:
                print(f"FAIL parse {path.relative_to(root)}:{problem}")
        else:
            passed += 1
    print(f"parse: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
