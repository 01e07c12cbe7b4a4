# Credentials: creation with CARTOframes' rules, properties, equality, display.

"""
    Credentials(username; api_key=nothing, base_url=nothing, allow_non_secure=false)
    Credentials(username, api_key; base_url=nothing, allow_non_secure=false)
    Credentials(; username=nothing, api_key=nothing, base_url=nothing, allow_non_secure=false)

CARTO credentials, created with CARTOframes' rules: from a username the base URL is
`https://{username}.carto.com`; from a base URL the username is derived where possible
(`/user/{u}`, `/u/{u}`, `{u}.carto.com`); no API key means `"default_public"`; the base URL must
be `https://` unless `allow_non_secure=true`; trailing slashes are removed. `nothing` and `""`
count as not given. Throws a [`CartoError`](@ref) (`:CARTO_ERR_MISSING_ACCOUNT`,
`:CARTO_ERR_INVALID_USERNAME`, `:CARTO_ERR_INVALID_BASE_URL`, `:CARTO_ERR_INSECURE_BASE_URL`, ...).

Read-only properties: `username` (`nothing` when unknown), `api_key`, `base_url`,
`allow_non_secure`, `source` (`:explicit`, `:default`, `:environment`, `:file` or `:profile`),
`origin` (where they came from, for people), `path` and `profile` (of the file they were read
from, else `nothing`), `storage` (`:keychain` when the secret is in the OS keychain and the file
refers to the item, `:file` when the file holds it, `nothing` for credentials that were not
stored), `keychain_item` (the item's account name, service "cartoauth") and `warnings` (a
`Vector{String}`, e.g. about a file others can read).

Displaying credentials never shows the API key (only its first characters); `c.api_key` is the
only way to read it. Two credentials are `==` when username, API key and base URL are equal.
`copy(c)` makes a second handle to the same credentials. The handle is released by the garbage
collector or at once by `close(c)`.

```julia
creds = Credentials("johnsmith"; api_key = "your_api_key")
creds = Credentials(base_url = "https://carto.example.com/user/johnsmith", api_key = "...")
```
"""
mutable struct Credentials <: CartoHandle
    ptr::Ptr{Cvoid}
    function Credentials(::_Adopt, ptr::Ptr{Cvoid})
        ptr == C_NULL && throw(ArgumentError("cannot adopt a NULL credentials handle"))
        return _adopt!(new(ptr))
    end
end

_free(::Type{Credentials}, ptr::Ptr{Cvoid}) = C.carto_credentials_free(ptr)

const _OptionalString = Union{AbstractString,Nothing}

function Credentials(
    username::AbstractString;
    api_key::_OptionalString = nothing,
    base_url::_OptionalString = nothing,
    allow_non_secure::Bool = false,
)
    return _new_credentials(username, api_key, base_url, allow_non_secure)
end

function Credentials(
    username::AbstractString,
    api_key::AbstractString;
    base_url::_OptionalString = nothing,
    allow_non_secure::Bool = false,
)
    return _new_credentials(username, api_key, base_url, allow_non_secure)
end

function Credentials(;
    username::_OptionalString = nothing,
    api_key::_OptionalString = nothing,
    base_url::_OptionalString = nothing,
    allow_non_secure::Bool = false,
)
    return _new_credentials(username, api_key, base_url, allow_non_secure)
end

function _new_credentials(username, api_key, base_url, allow_non_secure::Bool)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(
        C.carto_credentials_new(
            _cstring(username, "username"),
            _cstring(api_key, "api_key"),
            _cstring(base_url, "base_url"),
            allow_non_secure,
            out,
        ),
    )
    return Credentials(_Adopt(), out[])
end

# Wraps a handle that a C function just wrote into `out` (on success only).
_take_credentials(out::Ref{Ptr{Cvoid}}) = Credentials(_Adopt(), out[])

"""
    copy(c::Credentials) -> Credentials

A second handle to the same (immutable) credentials; each is released separately.
"""
function Base.copy(credentials::Credentials)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_credentials_clone(credentials, out))
    return _take_credentials(out)
end

# --- Properties ----------------------------------------------------------------------------

const _PROPERTIES = (
    :username,
    :api_key,
    :base_url,
    :allow_non_secure,
    :source,
    :origin,
    :path,
    :profile,
    :storage,
    :keychain_item,
    :warnings,
)

const _SOURCES = Dict{Int32,Symbol}(
    C.CARTO_SOURCE_EXPLICIT => :explicit,
    C.CARTO_SOURCE_DEFAULT => :default,
    C.CARTO_SOURCE_ENVIRONMENT => :environment,
    C.CARTO_SOURCE_FILE => :file,
    C.CARTO_SOURCE_PROFILE => :profile,
)

Base.propertynames(::Credentials, private::Bool = false) = _PROPERTIES

function Base.getproperty(credentials::Credentials, name::Symbol)
    if name === :username
        return _borrowed_string(C.carto_credentials_username, credentials)
    elseif name === :api_key
        return _borrowed_string(C.carto_credentials_api_key, credentials)
    elseif name === :base_url
        return _borrowed_string(C.carto_credentials_base_url, credentials)
    elseif name === :allow_non_secure
        return _allow_non_secure(credentials)
    elseif name === :source
        return _source(credentials)
    elseif name === :origin
        return _borrowed_string(C.carto_credentials_origin, credentials)
    elseif name === :path
        return _borrowed_string(C.carto_credentials_origin_path, credentials)
    elseif name === :profile
        return _borrowed_string(C.carto_credentials_origin_profile, credentials)
    elseif name === :storage
        # "keychain", "file", or nothing for credentials that were not stored.
        storage = _borrowed_string(C.carto_credentials_storage, credentials)
        return storage === nothing ? nothing : Symbol(storage)
    elseif name === :keychain_item
        return _borrowed_string(C.carto_credentials_keychain_item, credentials)
    elseif name === :warnings
        return _warnings(credentials)
    end
    throw(ErrorException("Credentials have no property $name; see propertynames(credentials)"))
end

function Base.setproperty!(::Credentials, name::Symbol, value)
    throw(
        ErrorException(
            "Credentials are immutable (cannot set $name); create new ones with Credentials(...)",
        ),
    )
end

# Calls an accessor that writes a string borrowed from the handle, and copies it while the
# handle is certainly alive (`nothing` for NULL). Used for credentials and responses.
function _borrowed_string(accessor::Function, handle::CartoHandle)
    out = Ref{Ptr{UInt8}}(C_NULL)
    return GC.@preserve handle begin
        _check(accessor(handle, out))
        _copy_string(out[])
    end
end

function _allow_non_secure(credentials::Credentials)
    out = Ref{Bool}(false)
    _check(C.carto_credentials_allow_non_secure(credentials, out))
    return out[]
end

function _source(credentials::Credentials)
    out = Ref{Int32}(-1)
    _check(C.carto_credentials_source(credentials, out))
    return get(_SOURCES, out[], :unknown)
end

function _warnings(credentials::Credentials)
    count = Ref{Csize_t}(0)
    warnings = String[]
    GC.@preserve credentials begin
        _check(C.carto_credentials_warning_count(credentials, count))
        for index in 1:Int(count[])
            out = Ref{Ptr{UInt8}}(C_NULL)
            _check(C.carto_credentials_warning(credentials, Csize_t(index - 1), out))
            push!(warnings, something(_copy_string(out[]), ""))
        end
    end
    return warnings
end

# --- Equality and display ------------------------------------------------------------------

"""
    ==(a::Credentials, b::Credentials)

Whether both have the same username, API key and base URL (as CARTOframes compares; where
they came from and `allow_non_secure` are ignored).
"""
function Base.:(==)(a::Credentials, b::Credentials)
    out = Ref{Bool}(false)
    _check(C.carto_credentials_equal(a, b, out))
    return out[]
end

# Consistent with ==, without feeding the API key to a hash.
function Base.hash(credentials::Credentials, h::UInt)
    return hash(credentials.base_url, hash(credentials.username, hash(:CartoAuthCredentials, h)))
end

# The library's description, in CARTOframes' layout with the key masked; never throws.
function _describe(credentials::Credentials)
    isopen(credentials) || return "Credentials(<closed>)"
    try
        return _borrowed_string(C.carto_credentials_describe, credentials)
    catch err
        err isa CartoError || rethrow()
        return "Credentials(<invalid handle>)"
    end
end

function Base.show(io::IO, credentials::Credentials)
    print(io, _describe(credentials))
    return nothing
end

function Base.show(io::IO, ::MIME"text/plain", credentials::Credentials)
    print(io, _describe(credentials))
    isopen(credentials) || return nothing
    try
        print(io, "\n  from: ", credentials.origin)
        for warning in credentials.warnings
            print(io, "\n  warning: ", warning)
        end
    catch err
        err isa CartoError || rethrow()
    end
    return nothing
end
