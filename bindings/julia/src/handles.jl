# What every handle type (Credentials now; Client, Request, Response later) has in common.
#
# A handle type is a `mutable struct T <: CartoHandle` with exactly one field `ptr::Ptr{Cvoid}`,
# an inner constructor `T(::_Adopt, ptr)` that calls `_adopt!`, and a method
# `_free(::Type{T}, ptr)` calling its C `_free` function. Everything else comes from here:
# - `unsafe_convert(Ptr{Cvoid}, handle)`, so the handle object itself is passed to `@ccall`
#   (declared `Ptr{Cvoid}`) and stays rooted by `ccall` for the whole call; a closed handle
#   throws a CartoError (:CARTO_ERR_INVALID_HANDLE) before C is reached;
# - `close` (idempotent; the finalizer too), `isopen`.
#
# Finalizers run inside the garbage collector, possibly on another thread: they only read and
# clear the field and call the C `_free` function, which is thread-safe, ignores NULL and
# already-freed handles, never fails and never changes the calling thread's last error. Two
# `close` calls racing on two threads may both reach `_free`; the library ignores the second.
#
# Strings borrowed from a handle are valid only until it is freed: copy them inside
# `GC.@preserve handle` (see `_borrowed_string`), and never `close` a handle while another
# task is still using it.

"""
    CartoHandle

The supertype of CartoAuth's handle types (objects owning a handle of the C library). Handles
are released by the garbage collector, or at once with `close(handle)`; using a closed handle
throws a `CartoError` with name `:CARTO_ERR_INVALID_HANDLE`.
"""
abstract type CartoHandle end

# The token of the inner constructors that take ownership of a C handle.
struct _Adopt end

function _adopt!(handle::CartoHandle)
    finalizer(close, handle)
    return handle
end

function Base.unsafe_convert(::Type{Ptr{Cvoid}}, handle::CartoHandle)
    ptr = getfield(handle, :ptr)
    ptr == C_NULL && _throw_closed(handle)
    return ptr
end

@noinline function _throw_closed(handle::CartoHandle)
    throw(
        CartoError(
            C.CARTO_ERR_INVALID_HANDLE,
            "this $(nameof(typeof(handle))) object was closed; its handle is no longer valid",
        ),
    )
end

"""
    isopen(handle::CartoHandle) -> Bool

Whether the handle has not been closed yet.
"""
Base.isopen(handle::CartoHandle) = getfield(handle, :ptr) != C_NULL

"""
    close(handle::CartoHandle)

Releases the C handle now instead of waiting for the garbage collector. Closing twice is
harmless; any later use throws a `CartoError` (`:CARTO_ERR_INVALID_HANDLE`).
"""
function Base.close(handle::CartoHandle)
    ptr = getfield(handle, :ptr)
    if ptr != C_NULL
        setfield!(handle, :ptr, C_NULL)
        _free(typeof(handle), ptr)
    end
    return nothing
end

"""
    handle_count() -> Int

The number of live handles of every type in the process (`carto_handle_count`), for leak
checks: it returns to its previous value once every handle created since was released.
"""
handle_count() = Int(C.carto_handle_count())
