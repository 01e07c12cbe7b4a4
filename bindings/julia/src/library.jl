# Finding and loading libcartoauth, at run time.
#
# How C functions are called, and why:
#
#   @ccall $(_fp(:carto_x))(arg::T, ...)::R
#
# `__init__` (CartoAuth.jl) calls `load!`, which locates the library, `Libdl.dlopen`s it,
# resolves every function of `C_FUNCTIONS` once with `Libdl.dlsym` and keeps the pointers in a
# Dict that is never modified afterwards; `_fp` reads it. `@ccall` has accepted an interpolated
# function pointer (`$ptr`, checked at run time to be a `Ptr{Cvoid}`) since it was introduced
# in Julia 1.5, and `ccall` on a pointer value is older still, so this works on Julia 1.6.
# The alternatives were rejected:
# - `@ccall libcartoauth.carto_x(...)` with a `const libcartoauth = "<path>"` freezes the path
#   into the precompilation cache, and the library must be found at run time.
# - `@ccall libpath().carto_x(...)` (a non-constant library expression) is documented in recent
#   manuals, but nobody could confirm here (no Julia) that Julia 1.6 evaluates it per call.
# Resolving every symbol up front also means a missing function is reported when the package
# loads, naming the library, instead of in the middle of some later call; and `_fp` takes no
# lock, so a finalizer running inside the garbage collector can use it (`carto_*_free`) without
# any risk of deadlock.

# CARTO_ABI_VERSION (the header's ABI version) and C_FUNCTIONS (every C function, each with
# one @ccall wrapper) are generated into capi.jl by `cargo xtask gen`.

"""
The name of every `carto_status` code of the loaded library, by number. Filled in by `load!`
from `carto_status_name` (codes lie in 0..999), so a code the library returns always has a name.
"""
const STATUS_NAMES = Dict{Int32,Symbol}()

const _LIBRARY = Ref{Ptr{Cvoid}}(C_NULL)
const _LIBRARY_PATH = Ref{String}("")
const _SYMBOLS = Ref{Dict{Symbol,Ptr{Cvoid}}}(Dict{Symbol,Ptr{Cvoid}}())

"""
    library_filename()

The file name of the shared library on this platform (`libcartoauth.so`, `libcartoauth.dylib`,
`cartoauth.dll`).
"""
library_filename() = Sys.iswindows() ? "cartoauth.dll" : string("libcartoauth.", Libdl.dlext)

"""
    default_library_path()

Where `cargo build --release --lib` puts the library when this package is used from its place
in the cartoauth repository: `target/release`, three folders up from this file's directory.
"""
function default_library_path()
    return normpath(joinpath(@__DIR__, "..", "..", "..", "target", "release", library_filename()))
end

"""
    locate_library() -> (path, how)

The library to load, found in this order: `ENV["CARTOAUTH_LIB"]` (the full path of the
library), `ENV["CARTOAUTH_LIB_DIR"]` (the folder holding it), then `default_library_path()`.
A variable that is set but names nothing is an error rather than skipped, so that a typo never
silently loads another library. Throws an `ErrorException` naming everything that was tried.
"""
function locate_library()
    name = library_filename()
    explicit = get(ENV, "CARTOAUTH_LIB", "")
    if !isempty(explicit)
        isfile(explicit) && return (explicit, "CARTOAUTH_LIB")
        error(
            "CartoAuth: CARTOAUTH_LIB is set to \"$explicit\", which is not a file. " *
            "Set it to the full path of $name, or unset it to use CARTOAUTH_LIB_DIR or " *
            "the crate's target/release.",
        )
    end
    folder = get(ENV, "CARTOAUTH_LIB_DIR", "")
    if !isempty(folder)
        path = joinpath(folder, name)
        isfile(path) && return (path, "CARTOAUTH_LIB_DIR")
        error(
            "CartoAuth: CARTOAUTH_LIB_DIR is set to \"$folder\", but $path does not exist. " *
            "Set it to the folder holding $name, or unset it to use the crate's target/release.",
        )
    end
    path = default_library_path()
    isfile(path) && return (path, "the crate's target/release")
    crate = normpath(joinpath(@__DIR__, "..", "..", ".."))
    error(
        "CartoAuth: cannot find the cartoauth library. Tried: CARTOAUTH_LIB (not set), " *
        "CARTOAUTH_LIB_DIR (not set), $path (no such file). Build it with " *
        "`cargo build --release --lib` in $crate, or set CARTOAUTH_LIB to the full path of " *
        "$name (or CARTOAUTH_LIB_DIR to its folder).",
    )
end

"""
    check_abi(found, path, how)

Throws an `ErrorException` unless `found` (the library's `carto_abi_version()`) equals
`CARTO_ABI_VERSION`, saying which side is older and where the library came from.
"""
function check_abi(found::Integer, path::AbstractString, how::AbstractString)
    found == CARTO_ABI_VERSION && return nothing
    if found > CARTO_ABI_VERSION
        relation = "newer than"
        advice =
            "Use the CartoAuth package from the same cartoauth checkout as the library " *
            "(bindings/julia), or point CARTOAUTH_LIB at a library with ABI version " *
            "$CARTO_ABI_VERSION."
    else
        relation = "older than"
        advice =
            "Rebuild the library from the same checkout as this package " *
            "(`cargo build --release --lib`), or point CARTOAUTH_LIB at a newer one."
    end
    error(
        "CartoAuth: the library $path (found via $how) has ABI version $found, $relation " *
        "the ABI version $CARTO_ABI_VERSION this package was written for. $advice",
    )
end

"""
    load!() -> path

Locates and opens the library, resolves every function of `C_FUNCTIONS`, and checks the ABI
version. Called by `CartoAuth.__init__` every time the package is loaded, so nothing about
the library is ever stored in the precompilation cache.
"""
function load!()
    path, how = locate_library()
    handle = try
        Libdl.dlopen(path)
    catch err
        error("CartoAuth: could not load $path (found via $how): $(sprint(showerror, err))")
    end
    symbols = Dict{Symbol,Ptr{Cvoid}}()
    unresolved = Symbol[]
    for name in C_FUNCTIONS
        address = Libdl.dlsym(handle, name; throw_error = false)
        if address === nothing
            push!(unresolved, name)
        else
            symbols[name] = address
        end
    end
    _LIBRARY[] = handle
    _LIBRARY_PATH[] = path
    _SYMBOLS[] = symbols
    if !haskey(symbols, :carto_abi_version)
        error(
            "CartoAuth: $path (found via $how) is not a cartoauth library: it has no " *
            "carto_abi_version function.",
        )
    end
    check_abi(carto_abi_version(), path, how)
    if !isempty(unresolved)
        error(
            "CartoAuth: the library $path (found via $how) lacks functions this package " *
            "calls: $(join(unresolved, ", ")). It is older than the package; rebuild it " *
            "with `cargo build --release --lib`.",
        )
    end
    load_status_names!()
    return path
end

"""
    load_status_names!()

Fills `STATUS_NAMES` from the loaded library: every number in 0..999 that `carto_status_name`
knows (the header's promise is that every code lies in that range).
"""
function load_status_names!()
    empty!(STATUS_NAMES)
    for code in Int32(0):Int32(999)
        name = unsafe_string(carto_status_name(code))
        name == "CARTO_UNKNOWN_STATUS" || (STATUS_NAMES[code] = Symbol(name))
    end
    return STATUS_NAMES
end

"""
    library_path()

The path of the loaded library ("" before `load!`).
"""
library_path() = _LIBRARY_PATH[]

# The cached address of C function `name`. Lock-free and allocation-free (see the top of this
# file); throws only when the library was never loaded.
@inline function _fp(name::Symbol)
    address = get(_SYMBOLS[], name, C_NULL)
    address == C_NULL && _unavailable(name)
    return address
end

@noinline function _unavailable(name::Symbol)
    return error(
        "CartoAuth: C function $name is not available: the cartoauth library is not loaded " *
        "(see the error raised when CartoAuth was loaded).",
    )
end
