#!/usr/bin/env python3
"""Self-test of import-cycles.py: small crates with and without circles, written to a temp dir.

Prints `import-cycles self-test: N passed, N failed`; exits 1 on any failure.
"""
import importlib.util
import tempfile
from pathlib import Path

spec = importlib.util.spec_from_file_location(
    "import_cycles", Path(__file__).with_name("import-cycles.py")
)
ic = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ic)

CASES = {
    # name: (files, expected circles as sorted tuples of module names)
    "super:: between siblings": (
        {
            "lib.rs": "mod a;",
            "a/mod.rs": "mod x; mod y; pub use x::Thing;",
            "a/x.rs": "use super::y::Other; pub struct Thing;",
            "a/y.rs": "use super::x::Thing; pub struct Other;",
        },
        [("a::x", "a::y")],
    ),
    "nested use groups": (
        {
            "lib.rs": "mod p; mod q;",
            "p.rs": "use crate::{q::{self, Inner}, other};",
            "q.rs": "pub struct Inner; fn f() { crate::p::g(); }",
        },
        [("p", "q")],
    ),
    "a re-export leads to the defining module": (
        {
            "lib.rs": "mod c; mod d;",
            "c/mod.rs": "mod inner; pub use inner::Deep;",
            "c/inner.rs": "use crate::d::D; pub struct Deep;",
            "d.rs": "pub struct D; fn f(_: crate::c::Deep) {}",
        },
        [("c::inner", "d")],
    ),
    "a child's own submodule by a bare path": (
        {
            "lib.rs": "mod m;",
            "m/mod.rs": "mod k; fn f() { k::run(); }",
            "m/k.rs": "pub fn run() { super::f2(); }",
        },
        [("m", "m::k")],
    ),
    "comments, strings and test modules do not count": (
        {
            "lib.rs": "mod s; mod t;",
            "s.rs": '// crate::t::x\nconst X: &str = "crate::t::y";\n/// [`crate::t`]\nfn f() {}',
            "t.rs": "use crate::s::f;\n#[cfg(test)]\nmod tests { use super::*; }",
        },
        [],
    ),
    "declarations and re-exports are not dependencies": (
        {
            "lib.rs": "mod u;",
            "u/mod.rs": "mod v; pub use v::V; pub(crate) use v::W;",
            "u/v.rs": "use super::helper; pub struct V; pub struct W;",
        },
        [],
    ),
}


def run_case(files: dict) -> list:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, text in files.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        found = ic.cycles(ic.Crate(root).graph())
        return sorted(tuple(sorted("::".join(m) for m in c)) for c in found)


def main() -> int:
    passed = failed = 0
    for name, (files, expected) in CASES.items():
        got = run_case(files)
        if got == sorted(expected):
            passed += 1
        else:
            failed += 1
            print(f"FAIL {name}: expected {expected}, found {got}")
    print(f"import-cycles self-test: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
