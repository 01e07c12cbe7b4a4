"""
    CartoAuth.LibCartoAuth

The low-level layer of CartoAuth: where `libcartoauth` is found and loaded (`library.jl`),
the constants mirrored from `include/cartoauth.h` and one hand-written `@ccall` per C function
the package uses (`capi.jl`). Each wrapper returns exactly what the C function returns: a
`carto_status` as `Int32`, raw pointers, plain numbers. Turning statuses into exceptions,
copying and freeing strings and owning handles is the job of the idiomatic layer in
`CartoAuth.jl` and the files it includes.

`tools/check_ccalls.py` verifies every `@ccall` here against the header without Julia.
"""
module LibCartoAuth

using Libdl

include("library.jl")
include("capi.jl")

end # module LibCartoAuth
