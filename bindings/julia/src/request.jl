# Request (an internal handle type), sending, and the callbacks that stream bodies through
# Julia IO objects.
#
# Callbacks. The library calls three kinds of C function pointers while carto_client_send runs,
# on the thread that called it: a writer (response body bytes), a reader (request body bytes)
# and a progress reporter. They are the top-level functions `_write_callback`,
# `_read_callback` and `_progress_callback`, turned into C pointers by `@cfunction` (no
# closures: those are not available on every platform). Their `user_data` is the address of a
# `_Transfer` (pointer_from_objref), which `_send` keeps alive with `GC.@preserve` for the
# whole call; the request handle, which stores that address, is always freed by the caller
# right after the call, so the address never outlives the object.
#
# No Julia exception may unwind through the library's (Rust) frames: every callback runs its
# whole body inside try/catch, remembers the first exception in the `_Transfer`, and returns
# the value that makes the library abort the transfer (carto_client_send then fails with
# CARTO_ERR_CALLBACK or CARTO_ERR_CANCELLED). `_send` rethrows the remembered exception after
# the call returned, so the caller sees the IO's or the progress function's own error.
#
# Threads. While a callback runs, Julia code may yield (a write to a socket or a pipe waits for
# libuv). From Julia 1.7 on, a task that yields may resume on another thread, which would
# continue the library's call on another OS thread than the one that started it. `_send`
# therefore makes the calling task sticky (as `@async` does to its parent) for the duration of
# the call, and restores the previous setting afterwards.

mutable struct Request <: CartoHandle
    ptr::Ptr{Cvoid}
    function Request(::_Adopt, ptr::Ptr{Cvoid})
        ptr == C_NULL && throw(ArgumentError("cannot adopt a NULL request handle"))
        return _adopt!(new(ptr))
    end
end

_free(::Type{Request}, ptr::Ptr{Cvoid}) = C.carto_request_free(ptr)

function _take_request(out::Ref{Ptr{Cvoid}})
    return Request(_Adopt(), out[])
end

function _new_request(method::AbstractString, path::AbstractString)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_request_new(_cstring(method, "method"), _cstring(path, "path"), out))
    return _take_request(out)
end

function _sql_request(query::AbstractString, format::AbstractString)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_request_new_sql(_cstring(query, "query"), _cstring(format, "format"), out))
    return _take_request(out)
end

function _copy_to_request(query::AbstractString)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_request_new_copy_to(_cstring(query, "query"), out))
    return _take_request(out)
end

function _copy_from_request(query::AbstractString)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_request_new_copy_from(_cstring(query, "query"), out))
    return _take_request(out)
end

# Runs `f(request)` and frees the request afterwards, whatever happens.
function _using(f, request::Request)
    try
        return f(request)
    finally
        close(request)
    end
end

# --- Names and values: query parameters, API parameters, headers, form fields --------------

# What may be given as a set of names and values: a Dict, a NamedTuple, pairs.
_pairs(::Nothing) = ()
_pairs(values::AbstractDict) = values
_pairs(values::NamedTuple) = pairs(values)
_pairs(values::Base.Iterators.Pairs) = values
_pairs(values::AbstractVector{<:Pair}) = values
_pairs(values::Tuple{Vararg{Pair}}) = values

function _pairs(values)
    return _invalid(
        "expected a Dict, a NamedTuple or a vector of pairs of names and values, not a " *
        string(typeof(values)),
    )
end

# A value as text: numbers and symbols with `string`, lists (e.g. skipfields) joined by commas.
_text(value::AbstractString) = String(value)
_text(value::AbstractVector) = join((_text(item) for item in value), ",")
_text(value) = string(value)

function _add_each(add::Function, request::Request, values, what::AbstractString)
    for (name, value) in _pairs(values)
        _check(add(request, _cstring(_text(name), "$what name"), _cstring(_text(value), "$what $name")))
    end
    return nothing
end

_add_query!(request::Request, values) = _add_each(C.carto_request_add_query, request, values, "query")
_add_params!(request::Request, values) = _add_each(C.carto_request_add_param, request, values, "parameter")
_add_headers!(request::Request, values) = _add_each(C.carto_request_add_header, request, values, "header")
_add_form!(request::Request, values) = _add_each(C.carto_request_add_form_field, request, values, "form field")

_is_json(content_type::AbstractString) = startswith(lowercase(strip(content_type)), "application/json")

# A body held in memory: bytes, text (JSON text when content_type says so, validated by the
# library) or a form. Streamed bodies (IO) are set by `_send`.
function _set_body!(request::Request, body, content_type::_OptionalString)
    if body isa AbstractString
        if content_type !== nothing && _is_json(content_type)
            _check(C.carto_request_set_json_body(request, _cstring(body, "body")))
        else
            _set_bytes!(request, Vector{UInt8}(codeunits(String(body))), content_type)
        end
    elseif body isa AbstractVector{UInt8}
        _set_bytes!(request, body isa Vector{UInt8} ? body : Vector{UInt8}(body), content_type)
    elseif body isa Union{AbstractDict,NamedTuple,AbstractVector{<:Pair},Tuple{Vararg{Pair}}}
        content_type === nothing || _invalid("a form body has its own content type; do not give content_type")
        _add_form!(request, body)
    else
        _invalid(
            "body must be a String, bytes (Vector{UInt8}), an IO (streamed), or a Dict or " *
            "NamedTuple of form fields, not a $(typeof(body))",
        )
    end
    return nothing
end

function _set_bytes!(request::Request, bytes::Vector{UInt8}, content_type::_OptionalString)
    # ccall roots `bytes` for the call; the library copies them.
    _check(
        C.carto_request_set_body(
            request,
            bytes,
            Csize_t(length(bytes)),
            _cstring(content_type, "content_type"),
        ),
    )
    return nothing
end

# --- Streaming ---------------------------------------------------------------------------

# The state shared by the callbacks of one call of carto_client_send.
mutable struct _Transfer
    input::Union{IO,Nothing}
    output::Union{IO,Nothing}
    progress::Any # a function, or nothing
    chunk::Vector{UInt8} # the reader's buffer, reused
    failure::Any # the first exception a callback caught, or nothing
end

_Transfer(input, output, progress) = _Transfer(input, output, progress, UInt8[], nothing)

# The largest chunk the reader asks of its IO at once.
const _READ_CHUNK = 1 << 20

# `user_data` is always the address of the _Transfer that `_send` keeps alive.
function _transfer(user_data::Ptr{Cvoid})
    # fatou-ignore discouraged-function: user_data is the address of a _Transfer that _send preserves for the whole call
    return unsafe_pointer_to_objref(user_data)::_Transfer
end

function _remember(user_data::Ptr{Cvoid}, failure)
    transfer = _transfer(user_data)
    transfer.failure === nothing && (transfer.failure = failure)
    return nothing
end

# The writer's "stop" value: anything but the length offered.
_write_abort(offered::Csize_t) = offered == 0 ? Csize_t(1) : Csize_t(0)

# carto_write_fn: must return `offered` to continue.
function _write_callback(user_data::Ptr{Cvoid}, data::Ptr{UInt8}, offered::Csize_t)
    try
        transfer = _transfer(user_data)
        transfer.failure === nothing || return _write_abort(offered)
        written = unsafe_write(transfer.output::IO, data, UInt(offered))
        if written != offered
            error("the output IO took $written of $offered bytes")
        end
        return offered
    catch failure
        _remember(user_data, failure)
        return _write_abort(offered)
    end
end

# carto_read_fn: the number of bytes put into `buffer`, 0 at the end, -1 to abort.
function _read_callback(user_data::Ptr{Cvoid}, buffer::Ptr{UInt8}, capacity::Csize_t)
    try
        transfer = _transfer(user_data)
        transfer.failure === nothing || return Int64(-1)
        wanted = Int(min(capacity, Csize_t(_READ_CHUNK)))
        chunk = transfer.chunk
        length(chunk) < wanted && resize!(chunk, wanted)
        count = readbytes!(transfer.input::IO, chunk, wanted)
        if count > 0
            GC.@preserve chunk begin
                unsafe_copyto!(buffer, pointer(chunk), count)
            end
        end
        return Int64(count)
    catch failure
        _remember(user_data, failure)
        return Int64(-1)
    end
end

_total(value::Int64) = value < 0 ? nothing : Int(value)

# carto_progress_fn: 0 continues, anything else cancels. The Julia function gets
# (uploaded, upload_total, downloaded, download_total), totals `nothing` when unknown, and
# cancels by returning `false`. It is always installed: the library calls it at least every
# 250 ms even while the server computes, and the safepoint below is where a Ctrl-C that
# arrived during the (uninterruptible) ccall surfaces as an InterruptException, which cancels
# the transfer and is rethrown by `_send`.
function _progress_callback(
    user_data::Ptr{Cvoid},
    uploaded::UInt64,
    upload_total::Int64,
    downloaded::UInt64,
    download_total::Int64,
)
    try
        GC.safepoint()
        transfer = _transfer(user_data)
        transfer.failure === nothing || return Int32(1)
        report = transfer.progress
        report === nothing && return Int32(0)
        answer = report(Int(uploaded), _total(upload_total), Int(downloaded), _total(download_total))
        return answer === false ? Int32(1) : Int32(0)
    catch failure
        _remember(user_data, failure)
        return Int32(1)
    end
end

# Runs `f()` with the current task pinned to its thread (see the top of this file).
function _on_this_thread(f)
    task = current_task()
    sticky = task.sticky
    task.sticky = true
    try
        return f()
    finally
        task.sticky = sticky
    end
end

"""
    _send(client, request; input=nothing, output=nothing, progress=nothing,
          content_length=nothing, content_type=nothing) -> Response

Sends `request`, streaming the request body from `input` and a successful response body to
`output` when given, reporting to `progress`. Returns the answer whatever its HTTP status.
Throws the exception a callback caught, else a CartoError for a failed transfer.
"""
function _send(
    client::Client,
    request::Request;
    input::Union{IO,Nothing} = nothing,
    output::Union{IO,Nothing} = nothing,
    progress = nothing,
    content_length::Union{Integer,Nothing} = nothing,
    content_type::_OptionalString = nothing,
)
    transfer = _Transfer(input, output, progress)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    status = C.CARTO_OK
    message = ""
    GC.@preserve transfer begin
        user_data = pointer_from_objref(transfer)
        if output !== nothing
            writer = @cfunction(_write_callback, Csize_t, (Ptr{Cvoid}, Ptr{UInt8}, Csize_t))
            _check(C.carto_request_set_response_writer(request, writer, user_data))
        end
        if input !== nothing
            reader = @cfunction(_read_callback, Int64, (Ptr{Cvoid}, Ptr{UInt8}, Csize_t))
            total = content_length === nothing ? Int64(-1) : Int64(content_length)
            mime = _cstring(content_type, "content_type")
            _check(C.carto_request_set_body_reader(request, reader, user_data, total, mime))
        end
        reporter = @cfunction(_progress_callback, Int32, (Ptr{Cvoid}, UInt64, Int64, UInt64, Int64))
        _check(C.carto_request_set_progress(request, reporter, user_data))
        status = _on_this_thread(() -> C.carto_client_send(client, request, out))
        # Read at once: nothing that could touch the last error runs in between.
        status == C.CARTO_OK || (message = _last_error_message())
    end
    failure = transfer.failure
    if status != C.CARTO_OK
        failure === nothing || throw(failure)
        throw(CartoError(status, message))
    end
    response = Response(_Adopt(), out[])
    if failure !== nothing
        close(response)
        throw(failure)
    end
    return response
end

# Throws the CartoError of an HTTP error answer (after releasing the response).
function _checked(response::Response)
    status = C.carto_response_check(response)
    if status != C.CARTO_OK
        message = _last_error_message()
        close(response)
        throw(CartoError(status, message))
    end
    return response
end

# Sends and, with `check`, turns HTTP errors into CartoErrors.
function _exchange(client::Client, request::Request; check::Bool = true, options...)
    response = _send(client, request; options...)
    return check ? _checked(response) : response
end
