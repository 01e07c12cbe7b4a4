#!/usr/bin/env python3
"""Lists import circles between the top-level modules of a Rust crate's src/ folder.

An edge a -> b is any `crate::b` path in a.rs (or a/…), including `use crate::{b, c}` groups.
Prints each elementary cycle, their number, and a last line `import-cycles: N passed, N
failed`; exits 1 when there is any circle. Usage: import-cycles.py emulator/src
"""
import re
import sys
from pathlib import Path


def module_of(path: Path, root: Path) -> str:
    first = path.relative_to(root).parts[0]
    return first[:-3] if first.endswith(".rs") else first


def edges(root: Path) -> dict:
    graph = {}
    for path in sorted(root.rglob("*.rs")):
        src = module_of(path, root)
        if src in ("main", "lib"):
            continue
        text = re.sub(r"//[^\n]*", "", path.read_text())
        targets = set(re.findall(r"crate::(\w+)", text))
        for group in re.findall(r"crate::\{([^}]*)\}", text):
            targets |= {m.split("::")[0].strip() for m in group.split(",") if m.strip()}
        graph.setdefault(src, set()).update(t for t in targets if t != src)
    return graph


def cycles(graph: dict) -> list:
    found, nodes = [], sorted(graph)
    for i, start in enumerate(nodes):
        allowed = set(nodes[i:])
        stack = [(start, [start])]
        while stack:
            node, path = stack.pop()
            for nxt in sorted(graph.get(node, ())):
                if nxt == start:
                    found.append(path)
                elif nxt in allowed and nxt not in path:
                    stack.append((nxt, path + [nxt]))
    return found


def main() -> int:
    root = Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    found = cycles(edges(root))
    for c in found:
        print(" -> ".join(c + [c[0]]))
    print(f"{len(found)} import circles in {root}")
    print(f"import-cycles: {0 if found else 1} passed, {1 if found else 0} failed")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
