#!/usr/bin/env python3
"""Lists import circles between the modules of a Rust crate, nested modules included.

Each .rs file under the crate's source folder is one module (`a/b.rs` and `a/b/mod.rs` are
`a::b`; `lib.rs` and `main.rs` are the crate root, which is not a node). An edge a -> b is a
path in a's code that names module b: `crate::b::…`, `super::…`, `self::…`, a bare path
through one of a's own submodules, and `use` trees with nested `{…}` groups. A path is
resolved to the longest module prefix; when the next name is a re-export (`pub use x::Name`)
of that module, the edge goes to the module the name comes from. A module's `mod x;`
declarations and its re-exports are structure, not dependencies, and are not edges; nor are
comments (doc links included). Code in an inline `mod tests { … }` counts for its file, where
`super::` means the file's own module.

Prints each elementary cycle, their number, and a last line `import-cycles: N passed, N
failed` (one check per crate folder given); exits 1 when any folder has a circle.

Usage: import-cycles.py src [cli/src emulator/src …]
"""
import re
import sys
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def strip_comments_and_strings(text: str) -> str:
    """Removes comments and the contents of string and char literals (they may hold `::`)."""
    out, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while i < n and depth:
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif re.match(r'b?r#*"', text[i : i + 8]):
            m = re.match(r'b?r(#*)"', text[i:])
            end = text.find('"' + m.group(1), i + m.end())
            out.append('""')
            i = n if end < 0 else end + 1 + len(m.group(1))
        elif c == '"' or text.startswith('b"', i):
            i += 2 if c == "b" else 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            out.append('""')
            i += 1
        elif c == "'":
            # A char literal ('x', '\n', '\u{1F600}') or a lifetime ('a): only the first is skipped.
            m = re.match(r"'(\\[^']*|[^\\'])'", text[i:])
            if m:
                out.append("' '")
                i += m.end()
            else:
                out.append(c)
                i += 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def module_path(path: Path, root: Path) -> tuple:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]):
        return ()
    return tuple(parts)


def expand_use_tree(tree: str) -> list:
    """`a::{b, c::{d, self}}` -> [a::b, a::c::d, a::c]; `x as y` keeps x; globs keep the prefix."""
    tree = re.sub(r"\s+", "", tree)

    def split_top(s: str) -> list:
        parts, depth, cur = [], 0, ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            parts.append(cur)
        return parts

    def walk(prefix: list, s: str) -> list:
        s = re.sub(r"as" + IDENT + "$", "", s) if re.search(r"[A-Za-z0-9_]as" + IDENT + "$", s) else s
        brace = s.find("{")
        if brace < 0:
            segs = [p for p in s.split("::") if p]
            if segs and segs[-1] == "*":
                segs.pop()
            if segs == ["self"]:
                return [prefix]
            return [prefix + segs]
        head = [p for p in s[:brace].split("::") if p]
        inner = s[brace + 1 : s.rfind("}")]
        found = []
        for part in split_top(inner):
            found += walk(prefix + head, part)
        return found

    return walk([], tree)


class Crate:
    def __init__(self, root: Path):
        self.root = root
        self.files = {}
        for path in sorted(root.rglob("*.rs")):
            self.files[module_path(path, root)] = strip_comments_and_strings(path.read_text())
        self.modules = set(self.files)
        self.reexports = {m: self.find_reexports(m) for m in self.files}

    def absolute(self, module: tuple, segs: list, inline_depth: int = 0) -> list:
        """A path as written in `module` -> an absolute path from the crate root."""
        if not segs:
            return []
        head, rest = segs[0], segs[1:]
        if head == "crate":
            return rest
        if head in ("self", "super"):
            base = list(module)
            ups = inline_depth
            while segs and segs[0] in ("self", "super"):
                if segs[0] == "super":
                    if ups:
                        ups -= 1
                    elif base:
                        base.pop()
                segs = segs[1:]
            return base + list(segs)
        if module + (head,) in self.modules:
            return list(module + (head,)) + rest
        return []  # an external crate, a std path or a local item

    def find_reexports(self, module: tuple) -> dict:
        names = {}
        for m in re.finditer(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", self.files[module]):
            for segs in expand_use_tree(m.group(1)):
                target = self.absolute(module, segs)
                if target:
                    names[segs[-1]] = target
        return names

    def resolve(self, absolute: list, depth: int = 0) -> tuple:
        """The module an absolute path names, following re-exports of its last module."""
        best = ()
        for i in range(len(absolute), 0, -1):
            if tuple(absolute[:i]) in self.modules:
                best = tuple(absolute[:i])
                break
        rest = absolute[len(best) :]
        if rest and depth < 8:
            target = self.reexports.get(best, {}).get(rest[0])
            if target:
                return self.resolve(target + rest[1:], depth + 1) or best
        return best

    def edges(self, module: tuple) -> set:
        text = self.files[module]
        # Re-exports and module declarations are structure, not dependencies.
        text = re.sub(r"\bpub(?:\([^)]*\))?\s+use\s+[^;]+;", "", text)
        text = re.sub(r"\b(?:pub(?:\([^)]*\))?\s+)?mod\s+" + IDENT + r"\s*;", "", text)
        found = set()
        # Inline modules (`mod tests {`): paths inside them start one level deeper.
        inline_starts = [m.end() for m in re.finditer(r"\bmod\s+" + IDENT + r"\s*\{", text)]
        spans = []
        for start in inline_starts:
            depth, i = 1, start
            while i < len(text) and depth:
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            spans.append((start, i))

        def depth_at(pos: int) -> int:
            return sum(1 for a, b in spans if a <= pos < b)

        for m in re.finditer(r"\buse\s+([^;]+);", text):
            for segs in expand_use_tree(m.group(1)):
                found.add(self.resolve(self.absolute(module, segs, depth_at(m.start()))))
        body = re.sub(r"\buse\s+[^;]+;", "", text)
        for m in re.finditer(r"(?<![\w:])((?:" + IDENT + r"\s*::\s*)+" + IDENT + ")", body):
            segs = [s.strip() for s in m.group(1).split("::")]
            found.add(self.resolve(self.absolute(module, segs, depth_at(m.start()))))
        found.discard(())
        found.discard(module)
        return found

    def graph(self) -> dict:
        return {m: self.edges(m) for m in sorted(self.files) if m}


def cycles(graph: dict) -> list:
    """Elementary cycles, each found once from its smallest node."""
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
    roots = [Path(a) for a in sys.argv[1:]] or [Path("src")]
    failed = 0
    for root in roots:
        graph = Crate(root).graph()
        found = cycles(graph)
        for c in found:
            print(" -> ".join("::".join(m) for m in c + [c[0]]))
        print(f"{len(found)} import circles among {len(graph)} modules in {root}")
        failed += bool(found)
    print(f"import-cycles: {len(roots) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
