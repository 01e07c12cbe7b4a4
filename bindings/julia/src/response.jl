# Response: the server's answer (status, headers, body, CARTO's error message, rate limits).

"""
    Response

The answer to [`carto_request`](@ref): any HTTP status when it was called with `check=false`.
Read-only properties (each reads the library's immutable response, so any task may read it):

- `status::Int`: the HTTP status (200, 401, ...);
- `headers::Vector{Pair{String,String}}`: every header in received order, names lowercase;
- `body::Vector{UInt8}` and `text::String`: a copy of the body (empty when it was streamed to
  `output`);
- `error_message`: CARTO's message from an `{"error": [...]}` or `{"errors": ...}` body, or
  `nothing`;
- `rate_limit`: `(limit, remaining, reset, retry_after)` from CARTO's `Carto-Rate-Limit-*`
  and `Retry-After` headers (seconds), each `nothing` when absent;
- `attempts::Int`: how many attempts the request took (more than 1 after retries);
- `streamed_bytes::Int`: the body bytes written to `output` (0 when not streamed).

`CartoAuth.header(response, name)` gives the first header called `name` (any case) or
`nothing`; `CartoAuth.check(response)` throws the [`CartoError`](@ref) of an HTTP error
(401, 403, 404, 429, other 4xx, 5xx: `:CARTO_ERR_HTTP_UNAUTHORIZED`, ...) with CARTO's message,
and returns the response otherwise. Released by the garbage collector or by `close(response)`.
"""
mutable struct Response <: CartoHandle
    ptr::Ptr{Cvoid}
    function Response(::_Adopt, ptr::Ptr{Cvoid})
        ptr == C_NULL && throw(ArgumentError("cannot adopt a NULL response handle"))
        return _adopt!(new(ptr))
    end
end

_free(::Type{Response}, ptr::Ptr{Cvoid}) = C.carto_response_free(ptr)

const _RESPONSE_PROPERTIES = (
    :status,
    :headers,
    :body,
    :text,
    :error_message,
    :rate_limit,
    :attempts,
    :streamed_bytes,
)

Base.propertynames(::Response, private::Bool = false) = _RESPONSE_PROPERTIES

function Base.getproperty(response::Response, name::Symbol)
    if name === :status
        return _response_status(response)
    elseif name === :headers
        return _response_headers(response)
    elseif name === :body
        return _response_body(response)
    elseif name === :text
        return _response_text(response)
    elseif name === :error_message
        return _borrowed_string(C.carto_response_error_message, response)
    elseif name === :rate_limit
        return _rate_limit(response)
    elseif name === :attempts
        return _response_attempts(response)
    elseif name === :streamed_bytes
        return _streamed_bytes(response)
    end
    throw(ErrorException("Response has no property $name; see propertynames(response)"))
end

function Base.setproperty!(::Response, name::Symbol, value)
    throw(ErrorException("a Response cannot be changed (cannot set $name)"))
end

function _response_status(response::Response)
    out = Ref{UInt16}(0)
    _check(C.carto_response_status(response, out))
    return Int(out[])
end

function _response_headers(response::Response)
    count = Ref{Csize_t}(0)
    headers = Pair{String,String}[]
    GC.@preserve response begin
        _check(C.carto_response_header_count(response, count))
        for index in 1:Int(count[])
            name = Ref{Ptr{UInt8}}(C_NULL)
            value = Ref{Ptr{UInt8}}(C_NULL)
            _check(C.carto_response_header_at(response, Csize_t(index - 1), name, value))
            push!(headers, something(_copy_string(name[]), "") => something(_copy_string(value[]), ""))
        end
    end
    return headers
end

"""
    CartoAuth.header(response::Response, name) -> Union{String,Nothing}

The value of the first header called `name` (compared in any case), or `nothing`.
"""
function header(response::Response, name::AbstractString)
    out = Ref{Ptr{UInt8}}(C_NULL)
    return GC.@preserve response begin
        _check(C.carto_response_header(response, _cstring(name, "name"), out))
        _copy_string(out[])
    end
end

# Calls `f(pointer, length)` on the body borrowed from the response, which stays alive.
function _with_body(f, response::Response)
    data = Ref{Ptr{UInt8}}(C_NULL)
    count = Ref{Csize_t}(0)
    return GC.@preserve response begin
        _check(C.carto_response_body(response, data, count))
        f(data[], Int(count[]))
    end
end

function _response_body(response::Response)
    return _with_body(response) do data, count
        bytes = Vector{UInt8}(undef, count)
        if count > 0
            GC.@preserve bytes begin
                unsafe_copyto!(pointer(bytes), data, count)
            end
        end
        bytes
    end
end

function _response_text(response::Response)
    return _with_body(response) do data, count
        # fatou-ignore discouraged-function: the library lends `count` bytes at `data` while the response is preserved
        count == 0 ? "" : unsafe_string(data, count)
    end
end

_absent_as_nothing(value::Int64) = value < 0 ? nothing : Int(value)

function _rate_limit(response::Response)
    limit = Ref{Int64}(-1)
    remaining = Ref{Int64}(-1)
    reset = Ref{Int64}(-1)
    retry_after = Ref{Int64}(-1)
    _check(C.carto_response_rate_limit(response, limit, remaining, reset, retry_after))
    return (
        limit = _absent_as_nothing(limit[]),
        remaining = _absent_as_nothing(remaining[]),
        reset = _absent_as_nothing(reset[]),
        retry_after = _absent_as_nothing(retry_after[]),
    )
end

function _response_attempts(response::Response)
    out = Ref{UInt32}(0)
    _check(C.carto_response_attempts(response, out))
    return Int(out[])
end

function _streamed_bytes(response::Response)
    out = Ref{UInt64}(0)
    _check(C.carto_response_streamed_bytes(response, out))
    return Int(out[])
end

"""
    CartoAuth.check(response::Response) -> Response

Throws the [`CartoError`](@ref) of an HTTP error answer, with CARTO's message and the method
and URL (never the key): `:CARTO_ERR_HTTP_UNAUTHORIZED` (401), `:CARTO_ERR_HTTP_FORBIDDEN`
(403), `:CARTO_ERR_HTTP_NOT_FOUND` (404), `:CARTO_ERR_HTTP_RATE_LIMITED` (429),
`:CARTO_ERR_HTTP_CLIENT_ERROR` (other 4xx), `:CARTO_ERR_HTTP_SERVER_ERROR` (5xx). Returns the
response when its status is below 400.
"""
function check(response::Response)
    _check(C.carto_response_check(response))
    return response
end

# Never throws.
function _describe(response::Response)
    isopen(response) || return "Response(<closed>)"
    try
        status = _response_status(response)
        content_type = header(response, "Content-Type")
        kept = _with_body((_, count) -> count, response)
        streamed = _streamed_bytes(response)
        text = string("Response(", status)
        content_type === nothing || (text *= string(", ", content_type))
        text *= streamed > 0 ? string(", ", streamed, " bytes streamed") : string(", ", kept, " bytes")
        return text * ")"
    catch err
        err isa CartoError || rethrow()
        return "Response(<invalid handle>)"
    end
end

function Base.show(io::IO, response::Response)
    print(io, _describe(response))
    return nothing
end
