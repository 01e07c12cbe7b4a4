# Client: credentials, options and a pool of kept-alive connections.

"""
    Client(credentials=nothing; timeout=nothing, connect_timeout=nothing, idle_timeout=nothing,
           key_transport=:basic, trust=nothing, ca_bundle=nothing, retries=nothing,
           max_retry_wait=nothing, user_agent=nothing, proxy_from_env=true,
           total_timeout=nothing, max_body_size=nothing)

A client of CARTO's APIs: credentials, options and a pool of kept-alive connections. The
functions [`carto_sql`](@ref), [`carto_request`](@ref), [`carto_me`](@ref),
[`validate_key`](@ref), [`carto_copyto`](@ref) and [`carto_copyfrom`](@ref) take it as
`client=...`; without one they create a client for the call from `credentials=...` (or the
resolved credentials) and release it afterwards.

`credentials === nothing` resolves them now, in the order of [`resolve_credentials`](@ref).
The client keeps its own copy: changing the default credentials later does not affect it.

Options (`nothing` keeps the library's default; times are in seconds):
- `timeout`: the limit of one attempt, from connecting to the end of the body (default 300);
  `Inf` or `0` removes it (for very large streams; the idle timeout still applies);
- `connect_timeout`: the limit for connecting (default 10);
- `idle_timeout`: the longest wait for any data, including the first byte of the answer
  (default 120);
- `key_transport`: `:basic` (default: `Authorization: Basic`, needs a username; the key never
  appears in a URL) or `:query` (an `api_key` query parameter, as carto-python and GDAL do);
- `trust`: `:webpki` (the Mozilla roots built into the library, the default), `:system` (the
  operating system's store) or `:ca_bundle` (only the certificates of the PEM file
  `ca_bundle`, e.g. an on-premises CA); giving `ca_bundle` alone implies `:ca_bundle`;
- `retries`: how many times a failed attempt is retried (default 2, i.e. 3 attempts; 0
  disables retries): 429/503 answers with `Retry-After`, and connection failures (after the
  request was sent only for idempotent methods); streamed request bodies are never retried;
- `max_retry_wait`: the longest total wait between retries (default 30);
- `user_agent`: an application name appended to the User-Agent `cartoauth/<version>`;
- `proxy_from_env`: whether `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` are used;
- `total_timeout`: the limit of a whole call, every attempt and wait between retries included
  (default 300); `Inf` or `0` removes it; past it the call throws `:CARTO_ERR_TIMEOUT`;
- `max_body_size`: the largest answer kept in memory, in bytes after decompression (default
  256 MiB); a larger one throws `:CARTO_ERR_BODY_TOO_LARGE` (stream it with `output`).

One client may be used by any number of tasks and threads at once. It is released by the
garbage collector or at once by `close(client)`; do not `close` it while another task still
uses it. `client.credentials` gives its credentials; displaying a client never shows the key.

Throws a [`CartoError`](@ref): `:CARTO_ERR_INVALID_ARGUMENT` (a bad option, or the Basic key
transport without a username), `:CARTO_ERR_TLS` (an unreadable CA bundle), the errors of
[`resolve_credentials`](@ref).

```julia
client = Client(Credentials("johnsmith", "your_api_key"); timeout = 60, user_agent = "my-app/1.0")
carto_sql("SELECT count(*) FROM my_table"; client = client)
```
"""
mutable struct Client <: CartoHandle
    ptr::Ptr{Cvoid}
    function Client(::_Adopt, ptr::Ptr{Cvoid})
        ptr == C_NULL && throw(ArgumentError("cannot adopt a NULL client handle"))
        return _adopt!(new(ptr))
    end
end

_free(::Type{Client}, ptr::Ptr{Cvoid}) = C.carto_client_free(ptr)

const _KEY_TRANSPORTS = Dict{Symbol,Int32}(
    :basic => C.CARTO_KEY_TRANSPORT_BASIC,
    :query => C.CARTO_KEY_TRANSPORT_QUERY,
)

const _TRUSTS = Dict{Symbol,Int32}(
    :webpki => C.CARTO_TRUST_WEBPKI,
    :system => C.CARTO_TRUST_SYSTEM,
    :ca_bundle => C.CARTO_TRUST_CA_BUNDLE,
)

# The library's defaults for retries, needed when only one of the two retry options is given.
const _DEFAULT_RETRIES = 2
const _DEFAULT_MAX_RETRY_WAIT = 30

const _OptionalSeconds = Union{Real,Nothing}

function Client(
    credentials::Union{Credentials,Nothing} = nothing;
    timeout::_OptionalSeconds = nothing,
    connect_timeout::_OptionalSeconds = nothing,
    idle_timeout::_OptionalSeconds = nothing,
    key_transport::Symbol = :basic,
    trust::Union{Symbol,Nothing} = nothing,
    ca_bundle::_OptionalString = nothing,
    retries::Union{Integer,Nothing} = nothing,
    max_retry_wait::_OptionalSeconds = nothing,
    user_agent::_OptionalString = nothing,
    proxy_from_env::Bool = true,
    total_timeout::_OptionalSeconds = nothing,
    max_body_size::Union{Integer,Nothing} = nothing,
)
    transport = get(_KEY_TRANSPORTS, key_transport, nothing)
    transport === nothing && _invalid("key_transport :$key_transport is not one of :basic, :query")
    trust_code, bundle = _trust(trust, ca_bundle)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    options_out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_client_options_new(options_out))
    options = options_out[]
    try
        if timeout !== nothing
            milliseconds = _milliseconds(timeout, "timeout"; infinite_is_zero = true)
            _check(C.carto_client_options_set_timeout(options, milliseconds))
        end
        if connect_timeout !== nothing
            milliseconds = _milliseconds(connect_timeout, "connect_timeout")
            _check(C.carto_client_options_set_connect_timeout(options, milliseconds))
        end
        if idle_timeout !== nothing
            milliseconds = _milliseconds(idle_timeout, "idle_timeout")
            _check(C.carto_client_options_set_idle_timeout(options, milliseconds))
        end
        _check(C.carto_client_options_set_key_transport(options, transport))
        _check(C.carto_client_options_set_trust(options, trust_code, _cstring(bundle, "ca_bundle")))
        if retries !== nothing || max_retry_wait !== nothing
            attempts = _attempts(something(retries, _DEFAULT_RETRIES))
            most = something(max_retry_wait, _DEFAULT_MAX_RETRY_WAIT)
            _check(C.carto_client_options_set_retry(options, attempts, _milliseconds(most, "max_retry_wait")))
        end
        if user_agent !== nothing
            _check(C.carto_client_options_set_user_agent_suffix(options, _cstring(user_agent, "user_agent")))
        end
        _check(C.carto_client_options_set_proxy_from_env(options, proxy_from_env))
        if total_timeout !== nothing
            milliseconds = _milliseconds(total_timeout, "total_timeout"; infinite_is_zero = true)
            _check(C.carto_client_options_set_total_timeout(options, milliseconds))
        end
        if max_body_size !== nothing
            max_body_size >= 0 || _invalid("max_body_size must be a number of bytes, not $max_body_size")
            _check(C.carto_client_options_set_max_body_size(options, UInt64(max_body_size)))
        end
        explicit = credentials === nothing ? C_NULL : credentials
        _check(C.carto_client_new(explicit, options, out))
    finally
        # Never changes the last error, so a message read by _check above is not disturbed.
        C.carto_client_options_free(options)
    end
    return Client(_Adopt(), out[])
end

@noinline function _invalid(message::AbstractString)
    throw(CartoError(C.CARTO_ERR_INVALID_ARGUMENT, message))
end

function _trust(trust::Union{Symbol,Nothing}, ca_bundle::_OptionalString)
    chosen = trust === nothing ? (ca_bundle === nothing ? :webpki : :ca_bundle) : trust
    code = get(_TRUSTS, chosen, nothing)
    code === nothing && _invalid("trust :$chosen is not one of :webpki, :system, :ca_bundle")
    # Which combinations of trust and ca_bundle are valid is the library's rule
    # (carto_client_options_set_trust): not checked here.
    return (code, ca_bundle === nothing ? nothing : _expand_home(ca_bundle))
end

# Seconds (any Real) to whole milliseconds for the C options, rounded up so that a small
# positive time never becomes 0.
function _milliseconds(seconds::Real, name::AbstractString; infinite_is_zero::Bool = false)
    if isnan(seconds) || seconds < 0
        _invalid("$name must be 0 or more seconds, not $seconds")
    end
    if isinf(seconds)
        infinite_is_zero && return UInt64(0)
        _invalid("$name must be a finite number of seconds")
    end
    milliseconds = ceil(Float64(seconds) * 1000)
    milliseconds > 1.0e15 && _invalid("$name is too large ($seconds seconds)")
    return UInt64(milliseconds)
end

# How many retries may be asked for is the library's rule (carto_client_options_set_retry);
# here only what fits the C argument.
function _attempts(retries::Integer)
    0 <= retries < typemax(UInt32) || _invalid("retries must be a whole number, 0 or more, not $retries")
    return UInt32(retries + 1)
end

# --- Properties and display ----------------------------------------------------------------

Base.propertynames(::Client, private::Bool = false) = (:credentials,)

function Base.getproperty(client::Client, name::Symbol)
    name === :credentials && return _client_credentials(client)
    throw(ErrorException("Client has no property $name; see propertynames(client)"))
end

function Base.setproperty!(::Client, name::Symbol, value)
    throw(
        ErrorException(
            "a Client cannot be changed (cannot set $name); create another with Client(...)",
        ),
    )
end

function _client_credentials(client::Client)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_client_credentials(client, out))
    return _take_credentials(out)
end

# Never throws, never shows the key.
function _describe(client::Client)
    isopen(client) || return "Client(<closed>)"
    try
        credentials = _client_credentials(client)
        try
            return string("Client(", _describe(credentials), ")")
        finally
            close(credentials)
        end
    catch err
        err isa CartoError || rethrow()
        return "Client(<invalid handle>)"
    end
end

function Base.show(io::IO, client::Client)
    print(io, _describe(client))
    return nothing
end

# Runs `f(client)` with the given client, or with a client made for this call from
# `credentials` (or the resolved credentials) and released afterwards.
function _with_client(f, credentials::Union{Credentials,Nothing}, client::Union{Client,Nothing})
    if client !== nothing
        credentials === nothing ||
            _invalid("give either credentials or a client, not both (the client has its own)")
        return f(client)
    end
    owned = Client(credentials)
    try
        return f(owned)
    finally
        close(owned)
    end
end
