# CartoError, and the helpers that turn C statuses into it.

"""
    CartoError(status, name, message)

Thrown by every CartoAuth function that fails. `status` is the library's `carto_status` code
(an `Int32`, stable forever), `name` its name in the C header as a `Symbol`
(e.g. `:CARTO_ERR_FILE_NOT_FOUND`) and `message` the library's detailed message (it names
files, fields and environment variables, and never contains an API key).

```julia
try
    credentials_from_file("/no/such/creds.json")
catch err
    err isa CartoError && err.name === :CARTO_ERR_FILE_NOT_FOUND || rethrow()
end
```
"""
struct CartoError <: Exception
    status::Int32
    name::Symbol
    message::String
end

function CartoError(status::Integer, message::AbstractString)
    return CartoError(Int32(status), status_name(status), String(message))
end

"""
    status_name(status) -> Symbol

The header's name of a status code (`:CARTO_OK`, `:CARTO_ERR_IO`, ...), or
`:CARTO_UNKNOWN_STATUS` for a number the header does not define.
"""
function status_name(status::Integer)
    typemin(Int32) <= status <= typemax(Int32) || return :CARTO_UNKNOWN_STATUS
    return get(C.STATUS_NAMES, Int32(status), :CARTO_UNKNOWN_STATUS)
end

"""
    status_description(status) -> String

The library's short description of a status code ("unknown status code" for unknown ones).
"""
function status_description(status::Integer)
    typemin(Int32) <= status <= typemax(Int32) || return "unknown status code"
    return something(_copy_string(C.carto_status_str(Int32(status))), "")
end

function Base.showerror(io::IO, err::CartoError)
    print(io, "CartoError: ", err.name, " (", err.status, "): ")
    print(io, isempty(err.message) ? status_description(err.status) : err.message)
    return nothing
end

# Throws the CartoError of a failed call. Must run right after that call, on the same task,
# with nothing in between that could yield: the message lives in a per-thread slot of the
# library. (Finalizers that run meanwhile only call `carto_*_free`, which never touches it.)
@inline function _check(status::Int32)
    status == C.CARTO_OK || _throw_last_error(status)
    return nothing
end

@noinline function _throw_last_error(status::Int32)
    throw(CartoError(status, _last_error_message()))
end

# The message of the last failure on this thread (same timing rule as `_check`).
_last_error_message() = something(_copy_string(C.carto_last_error()), "")

# A string argument for a `Cstring` parameter: `nothing` becomes NULL. Julia would throw an
# ArgumentError quoting the whole string (possibly an API key) on an embedded NUL, so that case
# is reported here, naming only the argument.
_cstring(::Nothing, ::AbstractString) = C_NULL

function _cstring(value::AbstractString, argument::AbstractString)
    text = String(value)
    if occursin('\0', text)
        throw(
            CartoError(
                C.CARTO_ERR_INVALID_ARGUMENT,
                "argument '$argument' contains a NUL character, which cannot be passed to C",
            ),
        )
    end
    return text
end

# The only place C strings are read. `borrowed` is NULL (giving `nothing`) or a NUL-terminated
# string the library keeps valid for now: a static string, the last error (until the next
# failing call on this thread), a string owned by a handle that the caller keeps alive with
# `GC.@preserve`, or an owned string not yet released (`_take_string`).
function _copy_string(borrowed::Ptr{UInt8})
    borrowed == C_NULL && return nothing
    # fatou-ignore discouraged-function: validity of the pointer is established by every caller, see above
    return unsafe_string(borrowed)
end

# Copies then releases a string the library handed over as owned (`char **` out-parameters),
# with the library's own carto_string_free (never Libc.free).
function _take_string(owned::Ptr{UInt8})
    owned == C_NULL && return nothing
    try
        return _copy_string(owned)
    finally
        C.carto_string_free(owned)
    end
end
