#!/usr/bin/env python3
"""Self-test of check_ccalls.py: it must catch every kind of mismatch and accept correct code.

Run: python3 bindings/julia/tools/test_check_ccalls.py   (standard library only)

Each test writes a small Julia package (and, for most, a small cbindgen-style header) to a
temporary folder, runs the checker's main() on it and inspects the exit status and output.
The last tests run it on the real header and the real package, which must be clean.
"""

from __future__ import annotations

import contextlib
import io
import re
import tempfile
import textwrap
import unittest
from pathlib import Path

import check_ccalls

HERE = Path(__file__).resolve().parent
REAL_HEADER = HERE.parents[2] / "include" / "cartoauth.h"
REAL_PACKAGE = HERE.parent

# A header in cbindgen's style: attribute macro, C++/C23 enum branches, integer enum typedefs,
# opaque struct typedefs, a callback typedef, declarations over several lines.
HEADER = textwrap.dedent(
    """\
    #ifndef DEMO_H
    #define DEMO_H
    #include <stdbool.h>
    #include <stddef.h>
    #include <stdint.h>
    #if defined(__GNUC__)
    #define CARTO_MUST_USE __attribute__((warn_unused_result))
    #else
    #define CARTO_MUST_USE
    #endif
    /** Keep the stored value. */
    #define CARTO_KEEP -1
    #define CARTO_ABI_VERSION 3
    enum carto_status
    #if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
      : int32_t
    #endif
     {
        /** Success. */
        CARTO_OK = 0,
        CARTO_ERR_IO = 301,
        CARTO_ERR_TIMEOUT = 600,
    };
    #ifndef __cplusplus
    #if __STDC_VERSION__ >= 202311L
    typedef enum carto_status carto_status;
    #else
    typedef int32_t carto_status;
    #endif // __STDC_VERSION__ >= 202311L
    #endif // __cplusplus
    typedef struct carto_thing carto_thing;
    typedef size_t (*carto_write_fn)(void *user_data,
                                     const uint8_t *data,
                                     size_t len);
    #ifdef __cplusplus
    extern "C" {
    #endif // __cplusplus
    /* Makes a thing. */
    CARTO_MUST_USE
    carto_status carto_thing_new(const char *name,
                                 bool flag,
                                 int32_t mode,
                                 size_t capacity,
                                 struct carto_thing **out);
    void carto_thing_free(struct carto_thing *thing);
    CARTO_MUST_USE carto_status carto_thing_name(const struct carto_thing *thing, const char **out);
    CARTO_MUST_USE carto_status carto_thing_path(const struct carto_thing *thing, char **out);
    CARTO_MUST_USE
    carto_status carto_thing_numbers(const struct carto_thing *thing,
                                     uint16_t *out_small,
                                     int64_t *out_big,
                                     uint64_t count,
                                     bool *out_flag);
    CARTO_MUST_USE
    carto_status carto_thing_stream(struct carto_thing *thing,
                                    carto_write_fn write,
                                    void *user_data,
                                    const uint8_t *data,
                                    size_t length);
    const char *carto_version(void);
    uint32_t carto_abi_version(void);
    char *carto_thing_owned(const struct carto_thing *thing);
    void carto_string_free(char *string);
    #ifdef __cplusplus
    }  // extern "C"
    #endif  // __cplusplus
    #endif  /* DEMO_H */
    """
)

# Correct declarations of every fixture function (one variant each).
GOOD = {
    "carto_thing_new": "@ccall lib.carto_thing_new(name::Cstring, flag::Bool, mode::Int32, "
    "capacity::Csize_t, out::Ref{Ptr{Cvoid}})::Int32",
    "carto_thing_free": "@ccall lib.carto_thing_free(thing::Ptr{Cvoid})::Cvoid",
    "carto_thing_name": "@ccall lib.carto_thing_name(thing::Ptr{Cvoid}, out::Ref{Ptr{UInt8}})::Int32",
    "carto_thing_path": "@ccall lib.carto_thing_path(thing::Ptr{Cvoid}, out::Ref{Ptr{UInt8}})::Int32",
    "carto_thing_numbers": "@ccall lib.carto_thing_numbers(thing::Ptr{Cvoid}, small::Ref{UInt16}, "
    "big::Ref{Int64}, count::UInt64, flag::Ref{Bool})::Int32",
    "carto_thing_stream": "@ccall lib.carto_thing_stream(thing::Ptr{Cvoid}, write::Ptr{Cvoid}, "
    "user::Ptr{Cvoid}, data::Ptr{UInt8}, length::Csize_t)::Int32",
    "carto_version": "@ccall lib.carto_version()::Ptr{UInt8}",
    "carto_abi_version": "@ccall lib.carto_abi_version()::UInt32",
    "carto_thing_owned": "@ccall lib.carto_thing_owned(thing::Ptr{Cvoid})::Ptr{UInt8}",
    "carto_string_free": "@ccall lib.carto_string_free(s::Ptr{UInt8})::Cvoid",
}


# The status table a package calling functions that return carto_status must have.
STATUS_TABLE = "const STATUS = Dict(0 => :CARTO_OK, 301 => :CARTO_ERR_IO, 600 => :CARTO_ERR_TIMEOUT)"


def julia_module(*calls: str, extra: str = STATUS_TABLE) -> str:
    body = "\n".join(f"f{i}(x) = {call}" for i, call in enumerate(calls))
    return f"module Fixture\n{extra}\n{body}\nend\n"


class CheckerCase(unittest.TestCase):
    def run_checker(self, julia: str, header: str = HEADER, args: tuple[str, ...] = ()):
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "include").mkdir()
            (root / "include" / "demo.h").write_text(header)
            (root / "pkg" / "src").mkdir(parents=True)
            (root / "pkg" / "src" / "Fixture.jl").write_text(julia)
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                code = check_ccalls.main(
                    ["--header", str(root / "include" / "demo.h"), "--package", str(root / "pkg"), *args]
                )
        return code, out.getvalue()

    def assert_caught(self, julia: str, *fragments: str, header: str = HEADER):
        code, output = self.run_checker(julia, header)
        self.assertEqual(code, 1, output)
        fails = [line for line in output.splitlines() if line.startswith("FAIL")]
        self.assertTrue(fails, output)
        for fragment in fragments:
            self.assertTrue(any(fragment in line for line in fails), f"{fragment!r} not in:\n{output}")
        self.assertRegex(output.splitlines()[-1], r"^julia-static: \d+ passed, [1-9]\d* failed$")
        return output

    def assert_clean(self, julia: str, header: str = HEADER):
        code, output = self.run_checker(julia, header)
        self.assertEqual(code, 0, output)
        self.assertNotIn("FAIL", output)
        self.assertRegex(output.splitlines()[-1], r"^julia-static: [1-9]\d* passed, 0 failed$")
        return output


class AcceptsCorrectCode(CheckerCase):
    def test_every_fixture_function_declared_correctly(self):
        output = self.assert_clean(julia_module(*GOOD.values()))
        # one per @ccall, one per function (unique), 3 status pairs, the status table, compat
        self.assertIn(f"julia-static: {len(GOOD) * 2 + 3 + 1 + 1} passed, 0 failed", output)

    def test_equivalent_spellings(self):
        self.assert_clean(
            julia_module(
                # Cint for int32_t, Ptr{Ptr{...}} for T**, Cstring as pointee of const char **,
                # Cuint, Culonglong, Cvoid written Nothing, Ptr{Int8} strings.
                "@ccall lib.carto_thing_new(n::Cstring, f::Bool, m::Cint, c::Csize_t, o::Ptr{Ptr{Cvoid}})::Cint",
                "@ccall lib.carto_thing_name(t::Ptr{Cvoid}, o::Ref{Cstring})::Int32",
                "@ccall lib.carto_thing_path(t::Ptr{Cvoid}, o::Ptr{Ptr{Int8}})::Int32",
                "@ccall lib.carto_abi_version()::Cuint",
                "@ccall lib.carto_thing_free(t::Ptr{Cvoid})::Nothing",
                "@ccall lib.carto_version()::Cstring",
                "@ccall lib.carto_thing_numbers(t::Ptr{Cvoid}, a::Ptr{Cushort}, b::Ref{Clonglong}, "
                "c::Culonglong, d::Ptr{Bool})::Int32",
            )
        )

    def test_every_form_of_ccall_and_aliases(self):
        self.assert_clean(
            julia_module(
                "@ccall $(_fp(:carto_thing_free))(t::Ptr{Cvoid})::Cvoid",
                "@ccall libpath().carto_version()::Ptr{UInt8}",
                '@ccall "libdemo".carto_abi_version()::UInt32',
                "@ccall(carto_thing_owned(t::Ptr{Cvoid})::Ptr{UInt8})",
                "@ccall $(_fp(:carto_thing_name))(\n    t::Ptr{Cvoid},\n    o::Ref{Ptr{UInt8}},\n)::Status",
                extra=STATUS_TABLE + "\nconst Status = Int32\n"
                "const C_FUNCTIONS = (:carto_thing_free, :carto_version, :carto_abi_version,\n"
                "    :carto_thing_owned, :carto_thing_name)",
            )
        )

    def test_ccalls_in_comments_and_strings_are_not_code(self):
        output = self.assert_clean(
            julia_module(
                GOOD["carto_version"],
                extra='# @ccall lib.nope(x::Int)::Cvoid\n'
                '"""\n    @ccall lib.nope(x::Int)::Cvoid\n"""\n'
                'doc = "ccall(:nope, Cvoid, ())"\n#= @ccall lib.nope()::Cvoid =#\n'
                "t = x'  # a transpose, not a character\n",
            )
        )
        self.assertIn("julia-static: 3 passed, 0 failed", output)

    def test_uncalled_functions_are_information_only(self):
        output = self.assert_clean(julia_module(GOOD["carto_version"]))
        self.assertIn("info: carto_thing_new is in the header but not called by the package", output)
        self.assertNotIn("info: carto_version", output)


class CatchesMismatches(CheckerCase):
    def test_wrong_name(self):
        self.assert_caught(
            julia_module("@ccall lib.carto_thing_nwe(t::Ptr{Cvoid})::Cvoid"),
            "carto_thing_nwe is not a function of the header",
            "did you mean",
        )

    def test_wrong_arity(self):
        self.assert_caught(
            julia_module("@ccall lib.carto_thing_name(t::Ptr{Cvoid})::Int32"),
            "1 argument(s) given, the C function takes 2",
        )
        self.assert_caught(
            julia_module("@ccall lib.carto_abi_version(x::Int32)::UInt32"),
            "1 argument(s) given, the C function takes 0",
        )

    def check_argument(self, function: str, index: int, bad_type: str, *fragments: str):
        good = GOOD[function]
        head, _, rest = good.partition("(")
        args_text, _, ret = rest.rpartition(")")
        args = [a.strip() for a in args_text.split(",")]
        name, _, _ = args[index].partition("::")
        args[index] = f"{name}::{bad_type}"
        bad = f"{head}({', '.join(args)}){ret}"
        return self.assert_caught(julia_module(bad), f"argument {index + 1}", *fragments)

    def test_int64_for_int32(self):
        self.check_argument("carto_thing_new", 2, "Int64", "`int32_t` in C but Int64")

    def test_uint32_or_uint64_or_int_for_size_t(self):
        self.check_argument("carto_thing_new", 3, "UInt32", "`size_t` in C but UInt32")
        self.check_argument("carto_thing_new", 3, "UInt64", "`size_t` in C but UInt64")
        self.check_argument("carto_thing_new", 3, "Int", "`size_t` in C but Int")

    def test_cuchar_for_bool(self):
        self.check_argument("carto_thing_new", 1, "Cuchar", "must be declared Bool")

    def test_cstring_or_single_pointer_for_char_pointer_pointer(self):
        self.check_argument("carto_thing_path", 1, "Cstring", "`char **` in C but Cstring")
        self.check_argument("carto_thing_path", 1, "Ptr{UInt8}", "`char **` in C but Ptr{UInt8}")
        self.check_argument("carto_thing_path", 1, "Ptr{Cvoid}", "`char **` in C but Ptr{Cvoid}")
        # Ref{Cstring} is only for borrowed `const char **`
        self.check_argument("carto_thing_path", 1, "Ref{Cstring}", "pointee")

    def test_pointer_versus_integer(self):
        self.check_argument("carto_thing_new", 0, "Int64", "is not a pointer")
        self.check_argument("carto_thing_new", 2, "Ptr{Int32}", "a pointer type for a C value")
        self.check_argument("carto_thing_free", 0, "UInt64", "is not a pointer")

    def test_wrong_pointees(self):
        self.check_argument("carto_thing_new", 4, "Ref{Ptr{UInt8}}", "pointee")
        self.check_argument("carto_thing_new", 4, "Ref{Cvoid}", "`struct carto_thing **`")
        self.check_argument("carto_thing_numbers", 1, "Ref{Int16}", "different integer")
        self.check_argument("carto_thing_numbers", 2, "Ref{Int32}", "different integer")
        self.check_argument("carto_thing_numbers", 3, "Int64", "`uint64_t` in C but Int64")
        self.check_argument("carto_thing_numbers", 4, "Ref{UInt8}", "Ref{Bool}")
        self.check_argument("carto_thing_stream", 3, "Ptr{Int8}", "different integer")

    def test_cstring_for_mutable_char_pointer(self):
        self.assert_caught(
            julia_module("@ccall lib.carto_string_free(s::Cstring)::Cvoid"),
            "Cstring is for `const char *` input strings",
        )

    def test_handle_type_as_declared_type(self):
        self.assert_caught(
            julia_module(
                "@ccall lib.carto_thing_free(t::Thing)::Cvoid",
                extra="mutable struct Thing\n    ptr::Ptr{Cvoid}\nend\n",
            ),
            "Thing is a mutable struct",
        )

    def test_unknown_julia_type(self):
        self.check_argument("carto_thing_new", 2, "Integer", "unknown Julia type Integer")

    def test_wrong_return_types(self):
        self.assert_caught(
            julia_module("@ccall lib.carto_thing_free(t::Ptr{Cvoid})::Int32"), "returns `void` in C"
        )
        self.assert_caught(
            julia_module("@ccall lib.carto_thing_name(t::Ptr{Cvoid}, o::Ref{Ptr{UInt8}})::Cvoid"),
            "returns `carto_status` in C but Cvoid",
        )
        self.assert_caught(
            julia_module("@ccall lib.carto_abi_version()::UInt64"), "returns `uint32_t` in C but UInt64"
        )
        self.assert_caught(
            julia_module("@ccall lib.carto_thing_owned(t::Ptr{Cvoid})::Cstring"),
            "returns `char *` in C but Cstring",
        )
        self.assert_caught(
            julia_module("@ccall lib.carto_version()::Ref{UInt8}"), "only valid for arguments"
        )

    def test_unverifiable_forms(self):
        self.assert_caught(julia_module("ccall((:carto_version, lib), Ptr{UInt8}, ())"), "plain ccall")
        self.assert_caught(julia_module("@ccall $fptr(t::Ptr{Cvoid})::Cvoid"), "does not say which C function")
        self.assert_caught(
            julia_module("@ccall $(getptr(name))(t::Ptr{Cvoid})::Cvoid"), "one quoted symbol"
        )
        self.assert_caught(julia_module("@ccall lib.carto_thing_free(t)::Cvoid"), "no type annotation")
        self.assert_caught(
            julia_module("@ccall lib.carto_thing_free(t::Ptr{Cvoid}; x::Int32)::Cvoid"), "varargs"
        )
        self.assert_caught(julia_module("@ccall lib.carto_thing_free(t::Ptr{Cvoid})"), "return type")

    def test_one_ccall_per_function(self):
        self.assert_caught(
            julia_module(GOOD["carto_version"], GOOD["carto_version"]), "unique carto_version", "2 times"
        )

    def test_symbol_list_must_match_the_ccalls(self):
        call = "@ccall $(_fp(:carto_version))()::Ptr{UInt8}"
        self.assert_caught(julia_module(call), "no `const C_FUNCTIONS")
        self.assert_caught(
            julia_module(call, extra="const C_FUNCTIONS = (:carto_version, :carto_abi_version)"),
            "never @ccall'ed: carto_abi_version",
        )
        self.assert_caught(
            julia_module(call, GOOD["carto_abi_version"], extra="const C_FUNCTIONS = (:carto_version,)"),
            "not in C_FUNCTIONS (never resolved): carto_abi_version",
        )

    def test_constants_must_equal_the_header(self):
        table = "const STATUS = Dict(0 => :CARTO_OK, 301 => :CARTO_ERR_IO, 600 => :CARTO_ERR_TIMEOUT)"
        self.assert_clean(julia_module(extra=f"{table}\nconst CARTO_KEEP = Int32(-1)\nconst CARTO_ABI_VERSION = UInt32(3)"))
        self.assert_caught(julia_module(extra=f"{table}\nconst CARTO_ABI_VERSION = UInt32(2)"), "CARTO_ABI_VERSION = 2 in Julia, 3 in the header")
        self.assert_caught(julia_module(extra=f"{table}\nconst CARTO_KEEP = 1"), "CARTO_KEEP = 1 in Julia, -1")
        self.assert_caught(julia_module(extra=f"{table}\nconst CARTO_NOPE = 1"), "CARTO_NOPE is not defined")
        self.assert_caught(
            julia_module(
                GOOD["carto_thing_name"],
                extra="const STATUS = Dict(0 => :CARTO_OK, 300 => :CARTO_ERR_IO)",
            ),
            "300 => :CARTO_ERR_IO: the header says 301",
            "missing from the Julia status table: CARTO_ERR_TIMEOUT",
        )

    def test_julia_newer_than_1_6(self):
        self.assert_caught(julia_module(extra="g() = Returns(1)"), "Returns needs Julia 1.7")
        self.assert_caught(julia_module(extra="g(s) = eachsplit(s, ',')"), "eachsplit needs Julia 1.8")
        self.assert_caught(julia_module(extra="g(l) = Base.@lock l 1"), "@lock needs Julia 1.7")
        self.assert_caught(julia_module(extra="@test 1 == 1 skip = true"), "needs Julia 1.7")
        self.assert_caught(julia_module(extra="public = 1"), "`public` is a keyword")
        # Mentions in comments and strings are not uses.
        self.assert_clean(julia_module(GOOD["carto_version"], extra='# Returns(1)\nmsg = "eachsplit(s)"'))

    def test_output_format(self):
        code, output = self.run_checker(
            julia_module("@ccall lib.carto_abi_version()::Int64", GOOD["carto_version"])
        )
        lines = output.splitlines()
        self.assertEqual(code, 1)
        self.assertTrue(any(line.startswith("ok   ccall") for line in lines), output)  # context
        self.assertEqual(sum(1 for line in lines if line.startswith("julia-static:")), 1)
        self.assertRegex(lines[-1], r"^julia-static: \d+ passed, 1 failed$")


class HeaderParsing(unittest.TestCase):
    def test_fixture_header(self):
        header = check_ccalls.parse_header(HEADER)
        self.assertEqual(set(header.functions), set(GOOD))
        new = header.functions["carto_thing_new"]
        self.assertEqual([name for name, _ in new.params], ["name", "flag", "mode", "capacity", "out"])
        self.assertEqual(new.ret.base, "i32")
        self.assertEqual(header.constants["CARTO_KEEP"], -1)
        self.assertEqual(header.enums["carto_status"]["CARTO_ERR_TIMEOUT"], 600)
        stream = dict(header.functions["carto_thing_stream"].params)
        self.assertEqual(stream["write"].kind, "fnptr")
        self.assertIn("CARTO_MUST_USE", header.attribute_macros)

    def test_real_header(self):
        header = check_ccalls.parse_header(REAL_HEADER.read_text())
        self.assertIn("carto_credentials_new", header.functions)
        self.assertIn("carto_status", header.enums)
        self.assertGreaterEqual(len(header.functions), 30)
        for function in header.functions.values():  # every type understood
            for name, ctype in function.params + [("return", function.ret)]:
                self.assertNotEqual(ctype.kind, "unknown", f"{function.name} {name}: {ctype}")
        params = dict(header.functions["carto_credentials_warning"].params)
        self.assertEqual((params["index"].base, params["index"].depth), ("usize", 0))
        self.assertEqual((params["out"].base, params["out"].depth), ("char", 2))


class RealPackage(CheckerCase):
    def test_the_package_is_clean(self):
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            code = check_ccalls.main(["--header", str(REAL_HEADER), "--package", str(REAL_PACKAGE), "-v"])
        output = out.getvalue()
        self.assertEqual(code, 0, output)
        self.assertRegex(output.splitlines()[-1], r"^julia-static: [1-9]\d* passed, 0 failed$")
        # The package's @ccalls are all recognised (none silently skipped).
        verified = [line for line in output.splitlines() if line.startswith("ok   ccall")]
        self.assertGreaterEqual(len(verified), 30, output)

    def test_a_broken_copy_of_the_package_is_caught(self):
        source = (REAL_PACKAGE / "src" / "capi.jl").read_text()
        broken = re.sub(r"allow_non_secure::Bool", "allow_non_secure::Cuchar", source, count=1)
        self.assertNotEqual(broken, source)
        code, output = self.run_checker(broken, REAL_HEADER.read_text())
        self.assertEqual(code, 1)
        self.assertIn("carto_credentials_new: argument 4 `allow_non_secure`", output)


if __name__ == "__main__":
    unittest.main(verbosity=2)
