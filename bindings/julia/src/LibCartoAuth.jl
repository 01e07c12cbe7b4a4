"""
    CartoAuth.LibCartoAuth

The low-level layer of CartoAuth: where `libcartoauth` is found and loaded (`library.jl`),
and the header's constants with one `@ccall` wrapper per C function (`capi.jl`, generated
from `include/cartoauth.h` by `cargo xtask gen` in the cartoauth repository; never edited by
hand). Each wrapper returns exactly what the C function returns: a `carto_status` as `Int32`,
raw pointers, plain numbers. Turning statuses into exceptions, copying and freeing strings and
owning handles is the job of the idiomatic layer in `CartoAuth.jl` and the files it includes.
"""
module LibCartoAuth

using Libdl

include("library.jl")
include("capi.jl")

end # module LibCartoAuth
