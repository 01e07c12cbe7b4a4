#!/usr/bin/env python3
"""Check every @ccall of the Julia package CartoAuth against include/cartoauth.h, without Julia.

Usage:
    check_ccalls.py [--header FILE] [--package DIR] [--fatou EXE] [--verbose]

Defaults: the header three folders up (../../../include/cartoauth.h) and the package one folder
up (bindings/julia) from this script. Python 3.11 standard library only; no network.

What is checked (each line is one check; N passed / N failed count them):
  ccall      every `@ccall` in every .jl file of the package: the C function exists in the
             header, has the same number of arguments, and each argument type and the return
             type match (table below). Plain `ccall(...)` is refused: it cannot be verified.
  unique     one hand-written `@ccall` per C function.
  symbols    the `const C_FUNCTIONS = (...)` list (the symbols resolved at load time) names
             exactly the functions that are `@ccall`ed (only when the package has the list, or
             uses the `$(_fp(:name))` form, which needs it).
  constant   every Julia `const CARTO_X = ...` and every `N => :CARTO_X` pair equals the
             header's #define or enum value, and, when the package calls functions returning
             carto_status, every code of that enum appears in a `N => :CARTO_X` pair (so
             CartoError can name every status), unless the package takes the names from the
             library (it calls carto_status_name).
  compat     each file uses no Base name or Test form newer than Julia 1.6 (a short denylist;
             fatou only checks new syntax), and no variable named `public` (a keyword later).
  lint       with --fatou: `fatou --no-config lint <package>` exits 0.
Header functions that the package never calls are listed as `info:` lines (not failures).

Output: `FAIL ...` lines always; `ok ...` lines with --verbose or when anything failed; `info:`
lines; and, always last, exactly `julia-static: N passed, N failed`. Exit status 1 on any
failure, 2 on a usage error (unreadable header or package).

Forms of @ccall understood:
  @ccall $(_fp(:carto_x))(args...)::R     (this package: a cached dlsym pointer; the one quoted
                                           symbol inside the interpolation names the function)
  @ccall lib.carto_x(args...)::R, @ccall libfn().carto_x(args...)::R, @ccall carto_x(args...)::R
  @ccall(<any of the above>)
An interpolated pointer without a quoted symbol, varargs (`;`) and arguments without a type
annotation are failures.

Type mapping (C parameter or return type -> accepted Julia types in @ccall):
  C                                  Julia
  void (return)                      Cvoid, Nothing
  bool                               Bool                  (Cuchar/UInt8: refused, use Bool)
  int8_t / uint8_t                   Int8 / UInt8, Cuchar
  int16_t / uint16_t                 Int16, Cshort / UInt16, Cushort
  int32_t, int, enum typedefs        Int32, Cint           (carto_status, carto_source)
  uint32_t, unsigned int             UInt32, Cuint
  int64_t, long long                 Int64, Clonglong      (Int refused: not 64-bit everywhere)
  uint64_t, unsigned long long       UInt64, Culonglong
  size_t, uintptr_t                  Csize_t, UInt, Cuintptr_t   (UInt64 refused: not portable)
  ssize_t, ptrdiff_t, intptr_t       Cssize_t, Cptrdiff_t, Cintptr_t, Int
  long / unsigned long               Clong / Culong
  float / double                     Float32, Cfloat / Float64, Cdouble
  const char * (argument)            Cstring, Ptr{UInt8}, Ptr{Int8}, Ptr{Cchar}
  const char * (return)              Cstring, Ptr{UInt8}, Ptr{Int8}, Ptr{Cchar}
  char * (argument or return)        Ptr{UInt8}, Ptr{Int8}, Ptr{Cchar}  (Cstring refused: it is
                                     for input strings; owned strings must reach _string_free)
  struct T *, const struct T *       Ptr{Cvoid}  (pass the handle object as the value: its
                                     unsafe_convert(Ptr{Cvoid}, h) roots it for the call). A
                                     handle type itself (a mutable struct) as the declared type
                                     is refused: ccall would pass the address of the Julia object.
  void *                             Ptr{Cvoid}
  function-pointer typedef           Ptr{Cvoid}  (e.g. from @cfunction)
  S * (S a scalar above, incl. bool  Ref{J} or Ptr{J}, J accepted for S (Ref{Int32} for
       and enum typedefs)            carto_source *, Ref{Bool} for bool *, Ref{Csize_t} ...)
  T ** (T a struct or void)          Ref{Ptr{Cvoid}}, Ptr{Ptr{Cvoid}}
  char ** / const char **            Ref{Ptr{UInt8}}, Ptr{Ptr{UInt8}} (or Int8/Cchar); for
                                     const char ** also Ref{Cstring}, Ptr{Cstring}
  deeper pointers                    Ptr{...}/Ref{...} around the rule one level down
  struct by value, arrays            refused (not verifiable)
Aliases the package defines with `const A = <type>` are resolved first. `Ref{...}` is refused
as a return type. A pointer-to-pointer never matches a single pointer (Cstring for char **,
Ptr{Cvoid} for T **) and a pointer never matches an integer.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

# --------------------------------------------------------------------------------------------
# C header
# --------------------------------------------------------------------------------------------

# C scalar spellings -> class. Classes are compared; names are for messages.
C_SCALARS = {
    "void": "void",
    "bool": "bool",
    "_Bool": "bool",
    "int8_t": "i8",
    "uint8_t": "u8",
    "int16_t": "i16",
    "uint16_t": "u16",
    "int32_t": "i32",
    "uint32_t": "u32",
    "int64_t": "i64",
    "uint64_t": "u64",
    "size_t": "usize",
    "uintptr_t": "usize",
    "ssize_t": "isize",
    "ptrdiff_t": "isize",
    "intptr_t": "isize",
    "char": "char",
    "signed char": "i8",
    "unsigned char": "u8",
    "short": "i16",
    "short int": "i16",
    "unsigned short": "u16",
    "unsigned short int": "u16",
    "int": "i32",
    "signed": "i32",
    "signed int": "i32",
    "unsigned": "u32",
    "unsigned int": "u32",
    "long": "long",
    "long int": "long",
    "unsigned long": "ulong",
    "unsigned long int": "ulong",
    "long long": "i64",
    "long long int": "i64",
    "unsigned long long": "u64",
    "unsigned long long int": "u64",
    "float": "f32",
    "double": "f64",
}

QUALIFIERS = {"const", "volatile", "restrict", "__restrict", "extern", "static", "inline"}


@dataclass(frozen=True)
class CType:
    """A C type reduced to what an FFI declaration must agree with."""

    kind: str  # "scalar", "struct", "fnptr"
    base: str  # scalar class ("i32", "char", "void", ...), struct name or typedef name
    depth: int  # pointer levels (a function-pointer typedef counts as one)
    const_base: bool  # `const` applies to the pointee base (const char *)
    spelling: str  # as written in the header, for messages

    def inner(self) -> "CType":
        """The pointee: one `*` less."""
        spelling = self.spelling[:-1].rstrip() if self.spelling.endswith("*") else self.spelling
        return CType(self.kind, self.base, self.depth - 1, self.const_base, spelling)


@dataclass
class CFunction:
    name: str
    ret: CType
    params: list[tuple[str, CType]]
    line: int


@dataclass
class Header:
    functions: dict[str, CFunction] = field(default_factory=dict)
    constants: dict[str, int] = field(default_factory=dict)  # #define and enum members
    enums: dict[str, dict[str, int]] = field(default_factory=dict)
    int_typedefs: dict[str, str] = field(default_factory=dict)  # name -> scalar class
    struct_typedefs: dict[str, str] = field(default_factory=dict)  # name -> struct name
    fnptr_typedefs: set[str] = field(default_factory=set)
    attribute_macros: set[str] = field(default_factory=set)


def _strip_c_comments(text: str) -> str:
    """Replaces comments by spaces, keeping newlines (so line numbers stay right)."""
    out = []
    i, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            out.append(" " * (end - i))
            i = end
        elif text[i] == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i : j + 1])
            i = j + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _int_literal(text: str) -> int | None:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    m = re.fullmatch(r"(-?)\s*(0[xX][0-9a-fA-F]+|\d+)[uUlL]*", text)
    if not m:
        return None
    return int(m.group(1) + m.group(2), 0)


def _split_top(text: str, sep: str) -> list[str]:
    """Splits at `sep` outside (), {}, []."""
    parts, depth, cur = [], 0, []
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == sep and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def parse_header(text: str) -> Header:
    header = Header()
    clean = _strip_c_comments(text)
    lines = clean.split("\n")
    # Preprocessor: record #defines, then blank every directive line (continuations too).
    code_lines = []
    continued = False
    for line in lines:
        stripped = line.strip()
        if continued or stripped.startswith("#"):
            m = re.match(r"#\s*define\s+(\w+)(\s+(.*))?$", stripped)
            if m and not continued:
                value = _int_literal(m.group(3) or "")
                if value is not None:
                    header.constants[m.group(1)] = value
                elif m.group(3) is None or "__attribute__" in (m.group(3) or ""):
                    header.attribute_macros.add(m.group(1))
            continued = stripped.endswith("\\")
            code_lines.append("")
        else:
            code_lines.append(line)
    # Macros defined in several #if branches (CARTO_MUST_USE) count as attributes.
    for m in re.finditer(r"#\s*define\s+(\w+)\s*(__attribute__.*)?$", clean, re.M):
        if m.group(1) not in header.constants:
            header.attribute_macros.add(m.group(1))
    code = "\n".join(code_lines)
    code = re.sub(r'extern\s+"C"\s*\{', " ", code)

    # Statements at brace depth 0, ended by ';' (a lone '}' left by extern "C" is dropped).
    statements: list[tuple[str, int]] = []
    depth, line = 0, 1
    start_line = 1
    buf: list[str] = []
    for ch in code:
        if ch == "\n":
            line += 1
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        if ch == ";" and depth == 0:
            statement = "".join(buf).strip()
            if statement:
                statements.append((statement, start_line))
            buf = []
            start_line = line
            continue
        if not buf and ch.isspace():
            start_line = line
            continue
        if not buf:
            start_line = line
        buf.append(ch)

    # First pass: types.
    for statement, _ in statements:
        s = " ".join(statement.split())
        m = re.fullmatch(r"enum\s+(\w+)\s*(?::\s*[\w\s]+)?\{(.*)\}", s)
        if m:
            members, value = {}, -1
            for item in _split_top(m.group(2), ","):
                item = item.strip()
                if not item:
                    continue
                name, _, expr = item.partition("=")
                parsed = _int_literal(expr) if expr else None
                value = parsed if parsed is not None else value + 1
                members[name.strip()] = value
            header.enums[m.group(1)] = members
            header.constants.update(members)
            continue
        m = re.fullmatch(r"typedef\s+struct\s+(\w+)\s+(\w+)", s)
        if m:
            header.struct_typedefs[m.group(2)] = m.group(1)
            continue
        m = re.fullmatch(r"typedef\s+struct\s*(\w*)\s*\{.*\}\s*(\w+)", s)
        if m:
            header.struct_typedefs[m.group(2)] = m.group(1) or m.group(2)
            continue
        m = re.fullmatch(r"typedef\s+.+\(\s*\*\s*(\w+)\s*\)\s*\(.*\)", s)
        if m:
            header.fnptr_typedefs.add(m.group(1))
            continue
        m = re.fullmatch(r"typedef\s+enum\s+(\w+)\s+(\w+)", s)
        if m:
            # C23 branch; the integer typedef of the other branch wins when present.
            header.int_typedefs.setdefault(m.group(2), "i32")
            continue
        m = re.fullmatch(r"typedef\s+([\w\s]+?)\s+(\w+)", s)
        if m and " ".join(m.group(1).split()) in C_SCALARS:
            header.int_typedefs[m.group(2)] = C_SCALARS[" ".join(m.group(1).split())]
            continue

    # Second pass: function declarations.
    for statement, start_line in statements:
        s = " ".join(statement.split())
        if s.startswith(("typedef", "enum", "struct", "union")) and "(" not in s.split("{")[0]:
            continue
        if s.startswith("typedef"):
            continue
        m = re.fullmatch(r"(.+?)\b(\w+)\s*\((.*)\)", s)
        if not m:
            continue
        prefix, name, params_text = m.group(1), m.group(2), m.group(3)
        words = [w for w in re.findall(r"\w+|\*", prefix) if w not in header.attribute_macros]
        ret = _ctype(words, header, prefix)
        params: list[tuple[str, CType]] = []
        if params_text.strip() not in ("", "void"):
            for index, param in enumerate(_split_top(params_text, ",")):
                params.append(_parse_param(param.strip(), index, header))
        header.functions[name] = CFunction(name, ret, params, start_line)
    return header


C_TYPE_WORDS = {
    "void", "bool", "_Bool", "char", "short", "int", "long", "signed", "unsigned", "float",
    "double", "struct", "union", "enum",
} | QUALIFIERS


def _parse_param(param: str, index: int, header: Header) -> tuple[str, CType]:
    m = re.fullmatch(r"(.+?)\(\s*\*\s*(\w*)\s*\)\s*\(.*\)", param)
    if m:  # an inline function pointer parameter
        return (m.group(2) or f"arg{index + 1}", CType("fnptr", "fnptr", 1, False, param))
    words = ["*" if w == "[]" else w for w in re.findall(r"\w+|\*|\[\]", param)]
    name = f"arg{index + 1}"
    # The last word is the parameter's name when it is an identifier that is not a type word
    # and what precedes it still names a type (`size_t index`, not `carto_status` alone).
    if words and re.fullmatch(r"\w+", words[-1]) and words[-1] not in C_TYPE_WORDS:
        rest = [w for w in words[:-1] if w != "*" and w not in QUALIFIERS]
        if rest and rest not in (["struct"], ["union"], ["enum"]):
            name = words[-1]
            words = words[:-1]
    return (name, _ctype(words, header, param))


def _ctype(words: list[str], header: Header, spelling: str) -> CType:
    del spelling  # rebuilt below, without attribute macros or the parameter's name
    depth = words.count("*")
    first_star = words.index("*") if "*" in words else len(words)
    const_base = "const" in words[:first_star]
    names = [w for w in words if w != "*" and w not in QUALIFIERS]
    spelling = ("const " if const_base else "") + " ".join(names) + (" " + "*" * depth if depth else "")
    if names and names[0] in ("struct", "union", "enum"):
        tag = names[1] if len(names) > 1 else "?"
        if names[0] == "enum":
            return CType("scalar", header.int_typedefs.get(tag, "i32"), depth, const_base, spelling)
        return CType("struct", tag, depth, const_base, spelling)
    joined = " ".join(names)
    if joined in C_SCALARS:
        return CType("scalar", C_SCALARS[joined], depth, const_base, spelling)
    if joined in header.int_typedefs:
        return CType("scalar", header.int_typedefs[joined], depth, const_base, spelling)
    if joined in header.struct_typedefs:
        return CType("struct", header.struct_typedefs[joined], depth, const_base, spelling)
    if joined in header.fnptr_typedefs:
        return CType("fnptr", joined, depth + 1, const_base, spelling)
    return CType("unknown", joined, depth, const_base, spelling)


# --------------------------------------------------------------------------------------------
# Julia sources
# --------------------------------------------------------------------------------------------

J_SCALARS = {
    "Cvoid": "void",
    "Nothing": "void",
    "Bool": "bool",
    "Int8": "i8",
    "UInt8": "u8",
    "Cuchar": "u8",
    "Cchar": "char",
    "Int16": "i16",
    "Cshort": "i16",
    "UInt16": "u16",
    "Cushort": "u16",
    "Int32": "i32",
    "Cint": "i32",
    "UInt32": "u32",
    "Cuint": "u32",
    "Int64": "i64",
    "Clonglong": "i64",
    "UInt64": "u64",
    "Culonglong": "u64",
    "Csize_t": "usize",
    "UInt": "usize",
    "Cuintptr_t": "usize",
    "Cssize_t": "isize",
    "Cptrdiff_t": "isize",
    "Cintptr_t": "isize",
    "Int": "isize",
    "Clong": "long",
    "Culong": "ulong",
    "Float32": "f32",
    "Cfloat": "f32",
    "Float64": "f64",
    "Cdouble": "f64",
}
J_SPECIAL = {"Cstring", "Cwstring", "Ptr", "Ref", "Any"}

# The Julia spelling suggested for each C scalar class.
SUGGEST = {
    "void": "Cvoid",
    "bool": "Bool",
    "i8": "Int8",
    "u8": "UInt8",
    "i16": "Int16",
    "u16": "UInt16",
    "i32": "Int32",
    "u32": "UInt32",
    "i64": "Int64",
    "u64": "UInt64",
    "usize": "Csize_t",
    "isize": "Cssize_t",
    "long": "Clong",
    "ulong": "Culong",
    "f32": "Float32",
    "f64": "Float64",
    "char": "Cchar",
}

# Names that appeared after Julia 1.6 (the package supports 1.6): name -> first version.
NEWER_THAN_1_6 = {
    "Returns": "1.7",
    "@something": "1.7",
    "@lock": "1.7",
    "@atomic": "1.7",
    "@atomicswap": "1.7",
    "@atomicreplace": "1.7",
    "@invokelatest": "1.7",
    "@constprop": "1.7",
    "keepat!": "1.7",
    "redirect_stdio": "1.7",
    "ismutabletype": "1.7",
    "current_exceptions": "1.7",
    "eachsplit": "1.8",
    "allequal": "1.8",
    "chopprefix": "1.8",
    "chopsuffix": "1.8",
    "LazyString": "1.8",
    "@lazy_str": "1.8",
    "@assume_effects": "1.8",
    "stack": "1.9",
    "splat": "1.9",
    "@kwdef": "1.9 (exported; Base.@kwdef mutable defaults differ)",
    "pkgversion": "1.9",
    "@allocations": "1.9",
    "ScopedValue": "1.11",
    "Lockable": "1.11",
    "logrange": "1.11",
    "@atomiconce": "1.11",
    "waitany": "1.12",
    "waitall": "1.12",
    "OncePerProcess": "1.12",
}


@dataclass
class JType:
    name: str
    params: list["JType"]

    def __str__(self) -> str:
        if not self.params:
            return self.name
        return f"{self.name}{{{','.join(str(p) for p in self.params)}}}"


@dataclass
class CCall:
    file: str
    line: int
    name: str | None
    problem: str | None  # a parse problem (the call cannot be verified)
    args: list[tuple[str, str]]  # (value expression, declared type text)
    ret: str


@dataclass
class JuliaPackage:
    ccalls: list[CCall] = field(default_factory=list)
    plain_ccalls: list[tuple[str, int]] = field(default_factory=list)
    function_list: list[str] | None = None
    function_list_where: tuple[str, int] | None = None
    uses_fp: bool = False
    constants: list[tuple[str, int, str, int]] = field(default_factory=list)  # file, line, name, value
    status_pairs: list[tuple[str, int, str, int]] = field(default_factory=list)
    aliases: dict[str, str] = field(default_factory=dict)
    mutable_structs: set[str] = field(default_factory=set)
    compat: list[tuple[str, list[str]]] = field(default_factory=list)  # file, problems


def mask_julia(text: str) -> str:
    """Blanks comments, strings, command literals and char literals (keeping newlines and
    offsets), so that later scans only see code."""
    out = list(text)
    n = len(text)
    i = 0

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
            prev = i - 1
            while prev >= 0 and text[prev] in " \t":
                prev -= 1
            is_transpose = prev >= 0 and (
                text[prev].isalnum() or text[prev] in "_)]}'." or text[prev] == "!"
            ) and prev == i - 1
            if is_transpose:
                i += 1
                continue
            j = i + 1
            while j < n and text[j] != "'" and text[j] != "\n":
                j += 2 if text[j] == "\\" else 1
            blank(i + 1, j)
            i = j + 1
        else:
            i += 1
    return "".join(out)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _match_close(text: str, start: int) -> int:
    """Index of the bracket closing the one at `start` (or -1)."""
    pairs = {"(": ")", "{": "}", "[": "]"}
    stack = [pairs[text[start]]]
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch in pairs:
            stack.append(pairs[ch])
        elif ch in ")}]":
            if not stack or ch != stack[-1]:
                return -1
            stack.pop()
            if not stack:
                return i
        i += 1
    return -1


IDENT = r"[A-Za-z_][A-Za-z_0-9!]*"


def _parse_ccall_expr(masked: str, pos: int, end_limit: int | None = None) -> tuple[CCall, int]:
    """Parses `spec(args...)::Ret` starting at `pos`. Returns the call and the end offset."""
    n = len(masked) if end_limit is None else end_limit
    i = pos
    while i < n and masked[i] in " \t":
        i += 1
    name: str | None = None
    problem: str | None = None
    # The function specification.
    if i < n and masked[i] == "$":
        i += 1
        if i < n and masked[i] == "(":
            close = _match_close(masked, i)
            if close < 0:
                return CCall("", 0, None, "unbalanced parentheses after $", [], ""), n
            inside = masked[i + 1 : close]
            symbols = re.findall(r"(?<![\w:]):(" + IDENT + ")", inside)
            if len(symbols) == 1:
                name = symbols[0]
            else:
                problem = (
                    "the interpolated function pointer does not name its C function with one "
                    "quoted symbol, e.g. $(_fp(:carto_x))"
                )
            i = close + 1
        else:
            m = re.compile(IDENT).match(masked, i)
            problem = "an interpolated pointer variable does not say which C function it calls"
            i = m.end() if m else i
    else:
        # lib.name, libfn().name, name: scan dotted parts until the argument list.
        last_ident = None
        while i < n:
            m = re.compile(IDENT).match(masked, i)
            if m:
                last_ident = m.group(0)
                i = m.end()
                continue
            if masked[i] == "(":
                close = _match_close(masked, i)
                if close >= 0 and close + 1 < n and masked[close + 1] == ".":
                    i = close + 2
                    continue
                break
            if masked[i] == ".":
                i += 1
                continue
            if masked[i] == '"':  # "lib".name (string blanked by the mask)
                j = masked.find('"', i + 1)
                i = j + 1 if j > 0 else n
                continue
            break
        name = last_ident
        if name is None:
            problem = "cannot find the C function name"
    if i >= n or masked[i] != "(":
        return CCall("", 0, name, problem or "no argument list after the function name", [], ""), i
    close = _match_close(masked, i)
    if close < 0:
        return CCall("", 0, name, "unbalanced argument list", [], ""), n
    args_text = masked[i + 1 : close]
    j = close + 1
    m = re.compile(r"\s*::\s*").match(masked, j)
    if not m:
        return CCall("", 0, name, problem or "no return type annotation `::T`", [], ""), j
    j = m.end()
    t = re.compile(IDENT + r"(\s*\.\s*" + IDENT + r")*").match(masked, j)
    if not t:
        return CCall("", 0, name, problem or "cannot read the return type", [], ""), j
    j = t.end()
    if j < n and masked[j] == "{":
        close_t = _match_close(masked, j)
        j = close_t + 1 if close_t > 0 else n
    ret = masked[t.start() : j]
    args: list[tuple[str, str]] = []
    if _top_level_has(args_text, ";"):
        problem = problem or "varargs (`;`) cannot be verified against the header"
    for part in _split_top(args_text, ","):
        if not part.strip():
            continue
        pieces = _rsplit_top(part, "::")
        if pieces is None:
            problem = problem or f"argument `{part.strip()}` has no type annotation"
            args.append((part.strip(), ""))
        else:
            args.append((pieces[0].strip(), pieces[1].strip()))
    return CCall("", 0, name, problem, args, ret), j


def _top_level_has(text: str, token: str) -> bool:
    depth = 0
    for k, ch in enumerate(text):
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(token, k):
            return True
    return False


def _rsplit_top(text: str, token: str) -> tuple[str, str] | None:
    depth, found = 0, -1
    k = 0
    while k < len(text):
        ch = text[k]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith(token, k):
            found = k
            k += len(token)
            continue
        k += 1
    if found < 0:
        return None
    return text[:found], text[found + len(token) :]


def scan_julia(path: str, text: str, package: JuliaPackage) -> None:
    masked = mask_julia(text)
    # @ccall sites.
    for m in re.finditer(r"@ccall(?![\w!])", masked):
        pos = m.end()
        if pos < len(masked) and masked[pos] == "(":
            close = _match_close(masked, pos)
            call, _ = _parse_ccall_expr(masked, pos + 1, close if close > 0 else None)
        else:
            call, _ = _parse_ccall_expr(masked, pos)
        call.file, call.line = path, _line_of(masked, m.start())
        package.ccalls.append(call)
        if re.match(r"\(?\s*\$\(\s*_fp\s*\(", masked[m.end() : m.end() + 80]):
            package.uses_fp = True
    # Plain ccall(...) cannot be verified.
    for m in re.finditer(r"(?<![\w@.!])(?:Base\.|Core\.)?ccall\s*\(", masked):
        package.plain_ccalls.append((path, _line_of(masked, m.start())))
    # The list of symbols resolved at load time.
    m = re.search(r"\bconst\s+C_FUNCTIONS\s*=\s*\(", masked)
    if m:
        close = _match_close(masked, m.end() - 1)
        inside = masked[m.end() : close]
        package.function_list = re.findall(r":(" + IDENT + ")", inside)
        package.function_list_where = (path, _line_of(masked, m.start()))
    # Constants mirrored from the header.
    for m in re.finditer(
        r"\bconst\s+(CARTO_\w+)\s*=\s*(?:(?:U?Int(?:8|16|32|64)|C\w+)\s*\(\s*)?(-?\s*(?:0x[0-9a-fA-F]+|\d+))\s*\)?",
        masked,
    ):
        value = int(m.group(2).replace(" ", ""), 0)
        package.constants.append((path, _line_of(masked, m.start()), m.group(1), value))
    for m in re.finditer(r"(-?\d+)\s*=>\s*:(CARTO_\w+)", masked):
        package.status_pairs.append((path, _line_of(masked, m.start()), m.group(2), int(m.group(1))))
    # Type aliases and handle types.
    for m in re.finditer(r"\bconst\s+(" + IDENT + r")\s*=\s*([^\n]+)", masked):
        rhs = m.group(2).strip()
        if re.fullmatch(r"[A-Za-z_][\w.]*(\{[\w\s.,{}]*\})?", rhs):
            package.aliases[m.group(1)] = rhs
    for m in re.finditer(r"\bmutable\s+struct\s+(" + IDENT + ")", masked):
        package.mutable_structs.add(m.group(1))
    # Names newer than Julia 1.6.
    problems = []
    for name, version in NEWER_THAN_1_6.items():
        if name.startswith("@"):
            pattern = r"(?:@|Base\.@)" + re.escape(name[1:]) + r"(?![\w!])"
        else:
            pattern = r"(?<![\w.:@])(?:Base\.)?" + re.escape(name) + r"(?![\w!])\s*[({]"
        for hit in re.finditer(pattern, masked):
            problems.append(f"line {_line_of(masked, hit.start())}: {name} needs Julia {version}")
    for hit in re.finditer(r"@test\b[^\n]*?\b(skip|broken)\s*=", masked):
        problems.append(
            f"line {_line_of(masked, hit.start())}: `@test ... {hit.group(1)}=` needs Julia 1.7"
        )
    for hit in re.finditer(r"@test_throws\s+\"", text):
        problems.append(
            f"line {_line_of(text, hit.start())}: `@test_throws \"message\"` needs Julia 1.8"
        )
    for hit in re.finditer(r"^\s*public\s+" + IDENT, masked, re.M):
        problems.append(f"line {_line_of(masked, hit.start())}: `public` needs Julia 1.11")
    for hit in re.finditer(r"^\s*public\s*=(?!=)", masked, re.M):
        problems.append(
            f"line {_line_of(masked, hit.start())}: `public` is a keyword from Julia 1.11 on; "
            "rename the variable"
        )
    package.compat.append((path, problems))


def parse_jtype(text: str, aliases: dict[str, str], seen: frozenset[str] = frozenset()) -> JType:
    text = "".join(text.split())
    m = re.fullmatch(r"([A-Za-z_][\w.]*)(\{(.*)\})?", text)
    if not m:
        raise ValueError(f"cannot read the Julia type `{text}`")
    name = m.group(1).split(".")[-1]
    params = []
    if m.group(3) is not None:
        params = [parse_jtype(p, aliases, seen) for p in _split_top(m.group(3), ",") if p]
    if not params and name in aliases and name not in seen:
        return parse_jtype(aliases[name], aliases, seen | {name})
    return JType(name, params)


# --------------------------------------------------------------------------------------------
# Matching
# --------------------------------------------------------------------------------------------


def suggest(ct: CType, position: str) -> str:
    """The Julia types accepted for C type `ct` (for messages)."""
    if ct.depth == 0:
        if ct.kind != "scalar":
            return "nothing (by-value structs cannot be verified)"
        alts = sorted(k for k, v in J_SCALARS.items() if v == ct.base)
        return ", ".join(alts)
    if ct.depth == 1:
        if ct.kind in ("struct", "fnptr") or (ct.kind == "scalar" and ct.base == "void"):
            return "Ptr{Cvoid}"
        if ct.base == "char":
            strings = "Ptr{UInt8}, Ptr{Int8}, Ptr{Cchar}"
            return ("Cstring, " + strings) if ct.const_base else strings
        scalar = SUGGEST.get(ct.base, ct.base)
        return f"Ref{{{scalar}}}, Ptr{{{scalar}}}" if position == "arg" else f"Ptr{{{scalar}}}"
    inner = suggest(ct.inner(), "inner").split(", ")
    forms = [f"Ptr{{{t}}}" for t in inner]
    if position == "arg":
        forms = [f"Ref{{{t}}}" for t in inner] + forms
    return ", ".join(forms)


def match(ct: CType, jt: JType, position: str, handles: set[str]) -> str | None:
    """None when Julia type `jt` may declare C type `ct` at `position` ("arg", "ret" or
    "inner", the pointee of an outer pointer); else the reason it may not."""
    if jt.name in handles:
        return (
            f"{jt.name} is a mutable struct: declared as a ccall type, Julia passes the address "
            "of the Julia object, not the C handle; declare Ptr{Cvoid} and pass the object"
        )
    known = jt.name in J_SCALARS or jt.name in J_SPECIAL
    if not known:
        return f"unknown Julia type {jt}"
    if ct.kind == "unknown":
        return f"the C type `{ct.spelling}` is not understood by the checker"
    if ct.depth == 0:
        if ct.kind != "scalar":
            return f"`{ct.spelling}` is passed by value, which cannot be verified"
        if jt.params or jt.name not in J_SCALARS:
            return "a pointer type for a C value"
        got = J_SCALARS[jt.name]
        if got == ct.base:
            return None
        if "void" in (got, ct.base):
            return "void and a value do not match"
        if ct.base == "bool" and got == "u8":
            return "C `bool` must be declared Bool (not an 8-bit integer)"
        return f"{jt} is a different integer/float type"
    # Pointers from here on.
    if jt.name == "Cstring":
        if ct.depth == 1 and ct.base == "char" and ct.kind == "scalar":
            if ct.const_base:
                return None
            return "Cstring is for `const char *` input strings; `char *` needs Ptr{UInt8}"
        return "Cstring is a single `char *`, not this pointer"
    if jt.name in J_SCALARS:
        return f"{jt} is not a pointer"
    if jt.name not in ("Ptr", "Ref") or len(jt.params) != 1:
        return f"{jt} is not a pointer type"
    if jt.name == "Ref" and position != "arg":
        return "Ref{...} is only valid for arguments (use Ptr{...})"
    pointee = jt.params[0]
    if ct.depth == 1:
        if ct.kind in ("struct", "fnptr") or ct.base == "void":
            if pointee.name == "Cvoid" and not pointee.params:
                if jt.name == "Ref":
                    return "use Ptr{Cvoid} (Ref{Cvoid} is not a pointer to a C object)"
                return None
            return f"`{ct.spelling}` must be declared Ptr{{Cvoid}}"
        if ct.base == "char":
            if jt.name == "Ptr" and pointee.name in ("UInt8", "Int8", "Cchar") and not pointee.params:
                return None
            return "a C string pointer must be Ptr{UInt8} (or Cstring for `const char *`)"
        if pointee.params or pointee.name not in J_SCALARS:
            return f"`{ct.spelling}` points to a scalar; {pointee} is not one"
        if J_SCALARS[pointee.name] != ct.base:
            if ct.base == "bool" and J_SCALARS[pointee.name] == "u8":
                return "C `bool *` must be declared Ref{Bool} or Ptr{Bool}"
            return f"{pointee} is a different integer/float type than `{ct.spelling}` points to"
        return None
    # Pointer to pointer: the pointee must match one level down.
    reason = match(ct.inner(), pointee, "inner", handles)
    if reason is None:
        return None
    return f"pointee: {reason}"


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


@dataclass
class Report:
    results: list[tuple[bool, str]] = field(default_factory=list)
    infos: list[str] = field(default_factory=list)

    def add(self, ok: bool, text: str) -> None:
        self.results.append((ok, text))

    @property
    def passed(self) -> int:
        return sum(1 for ok, _ in self.results if ok)

    @property
    def failed(self) -> int:
        return sum(1 for ok, _ in self.results if not ok)


def check(header: Header, package: JuliaPackage, report: Report) -> None:
    handles = package.mutable_structs
    called: dict[str, list[CCall]] = {}
    for call in package.ccalls:
        where = f"{call.file}:{call.line}"
        if call.problem:
            report.add(False, f"ccall {where}: {call.name or '?'}: {call.problem}")
            if call.name:
                called.setdefault(call.name, []).append(call)
            continue
        assert call.name is not None
        called.setdefault(call.name, []).append(call)
        cfn = header.functions.get(call.name)
        if cfn is None:
            close = [f for f in header.functions if f.startswith(call.name[: max(6, len(call.name) // 2)])]
            hint = f" (did you mean {', '.join(sorted(close)[:3])}?)" if close else ""
            report.add(False, f"ccall {where}: {call.name} is not a function of the header{hint}")
            continue
        problems = []
        if len(call.args) != len(cfn.params):
            problems.append(
                f"{len(call.args)} argument(s) given, the C function takes {len(cfn.params)}"
            )
        for index, ((value, jtext), (pname, ct)) in enumerate(zip(call.args, cfn.params)):
            try:
                jt = parse_jtype(jtext, package.aliases)
            except ValueError as err:
                problems.append(f"argument {index + 1} `{pname}`: {err}")
                continue
            reason = match(ct, jt, "arg", handles)
            if reason:
                problems.append(
                    f"argument {index + 1} `{pname}` is `{ct.spelling}` in C but {jt} in Julia: "
                    f"{reason} (accepted: {suggest(ct, 'arg')})"
                )
        try:
            jret = parse_jtype(call.ret, package.aliases)
            reason = match(cfn.ret, jret, "ret", handles)
            if reason:
                problems.append(
                    f"returns `{cfn.ret.spelling}` in C but {jret} in Julia: {reason} "
                    f"(accepted: {suggest(cfn.ret, 'ret')})"
                )
        except ValueError as err:
            problems.append(f"return type: {err}")
        if problems:
            for problem in problems:
                report.add(False, f"ccall {where}: {call.name}: {problem}")
        else:
            report.add(True, f"ccall {where}: {call.name} ({len(cfn.params)} argument(s))")

    for path, line in package.plain_ccalls:
        report.add(False, f"ccall {path}:{line}: plain ccall(...) cannot be verified; use @ccall")

    for name, calls in sorted(called.items()):
        if len(calls) > 1:
            sites = ", ".join(f"{c.file}:{c.line}" for c in calls)
            report.add(False, f"unique {name}: @ccall'ed {len(calls)} times ({sites}); keep one wrapper")
        else:
            report.add(True, f"unique {name}")

    if package.function_list is not None or package.uses_fp:
        if package.function_list is None:
            report.add(False, "symbols: the $(_fp(:name)) form is used but there is no `const C_FUNCTIONS = (...)` list")
        else:
            listed = set(package.function_list)
            path, line = package.function_list_where or ("?", 0)
            missing = sorted(set(called) - listed)
            extra = sorted(listed - set(called))
            dupes = sorted({n for n in package.function_list if package.function_list.count(n) > 1})
            if missing:
                report.add(False, f"symbols {path}:{line}: @ccall'ed but not in C_FUNCTIONS (never resolved): {', '.join(missing)}")
            if extra:
                report.add(False, f"symbols {path}:{line}: in C_FUNCTIONS but never @ccall'ed: {', '.join(extra)}")
            if dupes:
                report.add(False, f"symbols {path}:{line}: listed twice: {', '.join(dupes)}")
            if not (missing or extra or dupes):
                report.add(True, f"symbols {path}:{line}: C_FUNCTIONS lists the {len(listed)} @ccall'ed functions")

    for path, line, name, value in package.constants:
        if name not in header.constants:
            report.add(False, f"constant {path}:{line}: {name} is not defined by the header")
        elif header.constants[name] != value:
            report.add(False, f"constant {path}:{line}: {name} = {value} in Julia, {header.constants[name]} in the header")
        else:
            report.add(True, f"constant {path}:{line}: {name} = {value}")
    # A package that receives carto_status values must be able to name every one of them.
    returns_status = any(
        call.name in header.functions
        and header.functions[call.name].ret.spelling == "carto_status"
        for call in package.ccalls
    )
    statuses = header.enums.get("carto_status", {}) if returns_status else {}
    seen = {}
    for path, line, name, value in package.status_pairs:
        seen[name] = value
        if name not in header.constants:
            report.add(False, f"constant {path}:{line}: {value} => :{name}: {name} is not defined by the header")
        elif header.constants[name] != value:
            report.add(False, f"constant {path}:{line}: {value} => :{name}: the header says {header.constants[name]}")
        else:
            report.add(True, f"constant {path}:{line}: {value} => :{name}")
    # A package that asks the library for the names (carto_status_name, at load time) needs no
    # table of its own: the library names every code it can return.
    names_from_library = any(call.name == "carto_status_name" for call in package.ccalls)
    if statuses and names_from_library:
        report.add(True, f"constant: the {len(statuses)} carto_status names come from carto_status_name")
    elif statuses:
        absent = [n for n in statuses if n not in seen]
        if absent:
            report.add(False, f"constant: carto_status codes missing from the Julia status table: {', '.join(absent)}")
        else:
            report.add(True, f"constant: all {len(statuses)} carto_status codes have a name in Julia")

    for path, problems in package.compat:
        if problems:
            for problem in problems:
                report.add(False, f"compat {path}: {problem}")
        else:
            report.add(True, f"compat {path}: nothing newer than Julia 1.6")

    for name in sorted(set(header.functions) - set(called)):
        report.infos.append(f"info: {name} is in the header but not called by the package")


def run_fatou(fatou: str, package_dir: Path, report: Report) -> None:
    command = [fatou, "--no-config", "--color", "never", "lint", str(package_dir)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as err:
        report.add(False, f"lint: cannot run {' '.join(command)}: {err}")
        return
    if done.returncode == 0:
        report.add(True, f"lint: {' '.join(command[1:])}: {done.stdout.strip() or 'clean'}")
    else:
        for out_line in (done.stdout + done.stderr).strip().splitlines():
            report.add(False, f"lint: {out_line}")
        if not (done.stdout + done.stderr).strip():
            report.add(False, f"lint: fatou exited with status {done.returncode}")


def julia_files(package_dir: Path) -> list[Path]:
    files = []
    for root, dirs, names in os.walk(package_dir):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        files += [Path(root) / n for n in sorted(names) if n.endswith(".jl")]
    return files


def main(argv: list[str] | None = None) -> int:
    here = Path(__file__).resolve().parent
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--header", type=Path, default=here.parents[2] / "include" / "cartoauth.h")
    parser.add_argument("--package", type=Path, default=here.parent)
    parser.add_argument("--fatou", help="run `FATOU --no-config lint PACKAGE` as one more check")
    parser.add_argument("--verbose", "-v", action="store_true", help="print passing checks too")
    args = parser.parse_args(argv)

    try:
        header = parse_header(args.header.read_text(encoding="utf-8"))
    except OSError as err:
        print(f"cannot read the header: {err}")
        print("julia-static: 0 passed, 1 failed")
        return 2
    files = julia_files(args.package)
    if not files:
        print(f"no .jl files under {args.package}")
        print("julia-static: 0 passed, 1 failed")
        return 2
    package = JuliaPackage()
    for path in files:
        shown = os.path.relpath(path, args.package)
        scan_julia(shown, path.read_text(encoding="utf-8"), package)

    report = Report()
    check(header, package, report)
    if args.fatou:
        run_fatou(args.fatou, args.package, report)

    verbose = args.verbose or report.failed > 0
    for ok, text in report.results:
        if not ok:
            print(f"FAIL {text}")
        elif verbose:
            print(f"ok   {text}")
    for info in report.infos:
        print(info)
    print(f"julia-static: {report.passed} passed, {report.failed} failed")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
