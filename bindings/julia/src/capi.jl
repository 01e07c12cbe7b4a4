# Constants mirrored from include/cartoauth.h, and one @ccall per C function.
#
# Types used (tools/check_ccalls.py holds the full table and checks every line below):
#   carto_status, carto_source, int32_t -> Int32       bool      -> Bool
#   uint32_t -> UInt32                                 size_t    -> Csize_t
#   const char * (in) -> Cstring (NULL: pass C_NULL)   const char * (returned) -> Ptr{UInt8}
#   struct carto_x * -> Ptr{Cvoid} (pass a handle object: its unsafe_convert keeps it rooted)
#   struct carto_x ** -> Ref{Ptr{Cvoid}}               const char ** / char ** -> Ref{Ptr{UInt8}}
#   bool * -> Ref{Bool}, carto_source * -> Ref{Int32}, size_t * -> Ref{Csize_t}
# Strings come back as Ptr{UInt8}, never Cstring, so that NULL stays visible and owned strings
# cannot be copied by accident without being released with carto_string_free.

# --- Constants (values checked against the header by tools/check_ccalls.py) ----------------

"The name of every `carto_status` code of the header, by number."
const STATUS_NAMES = Dict{Int32,Symbol}(
    0 => :CARTO_OK,
    100 => :CARTO_ERR_NULL_ARGUMENT,
    101 => :CARTO_ERR_INVALID_UTF8,
    102 => :CARTO_ERR_INVALID_ARGUMENT,
    103 => :CARTO_ERR_INVALID_HANDLE,
    104 => :CARTO_ERR_PANIC,
    200 => :CARTO_ERR_MISSING_ACCOUNT,
    201 => :CARTO_ERR_INVALID_USERNAME,
    202 => :CARTO_ERR_INVALID_BASE_URL,
    203 => :CARTO_ERR_INSECURE_BASE_URL,
    204 => :CARTO_ERR_NO_DEFAULT_CREDENTIALS,
    205 => :CARTO_ERR_NOT_RESOLVED,
    206 => :CARTO_ERR_INVALID_ENVIRONMENT,
    300 => :CARTO_ERR_FILE_NOT_FOUND,
    301 => :CARTO_ERR_IO,
    302 => :CARTO_ERR_FILE_SYNTAX,
    303 => :CARTO_ERR_FILE_CONTENT,
    304 => :CARTO_ERR_LOCK_TIMEOUT,
    400 => :CARTO_ERR_HTTP_CLIENT_ERROR,
    401 => :CARTO_ERR_HTTP_UNAUTHORIZED,
    403 => :CARTO_ERR_HTTP_FORBIDDEN,
    404 => :CARTO_ERR_HTTP_NOT_FOUND,
    429 => :CARTO_ERR_HTTP_RATE_LIMITED,
    500 => :CARTO_ERR_HTTP_SERVER_ERROR,
    600 => :CARTO_ERR_TIMEOUT,
    601 => :CARTO_ERR_CONNECTION,
    602 => :CARTO_ERR_TLS,
    603 => :CARTO_ERR_CANCELLED,
    604 => :CARTO_ERR_CALLBACK,
    605 => :CARTO_ERR_PROTOCOL,
)

# The statuses the Julia code tests for by value.
const CARTO_OK = Int32(0)
const CARTO_ERR_INVALID_ARGUMENT = Int32(102)
const CARTO_ERR_INVALID_HANDLE = Int32(103)
const CARTO_ERR_NO_DEFAULT_CREDENTIALS = Int32(204)

# carto_source
const CARTO_SOURCE_EXPLICIT = Int32(0)
const CARTO_SOURCE_DEFAULT = Int32(1)
const CARTO_SOURCE_ENVIRONMENT = Int32(2)
const CARTO_SOURCE_FILE = Int32(3)
const CARTO_SOURCE_PROFILE = Int32(4)

# carto_credentials_save formats, and "keep" for carto_credentials_file_update
const CARTO_FILE_FORMAT_AUTO = Int32(0)
const CARTO_FILE_FORMAT_CARTOCREDS = Int32(1)
const CARTO_FILE_FORMAT_CARTOFRAMES = Int32(2)
const CARTO_KEEP = Int32(-1)

# --- Library-wide ------------------------------------------------------------------------

# uint32_t carto_abi_version(void)
carto_abi_version() = @ccall $(_fp(:carto_abi_version))()::UInt32

# const char *carto_version(void): static, never freed
carto_version() = @ccall $(_fp(:carto_version))()::Ptr{UInt8}

# const char *carto_status_str(int32_t status): static, never freed
carto_status_str(status) = @ccall $(_fp(:carto_status_str))(status::Int32)::Ptr{UInt8}

# const char *carto_last_error(void): borrowed, per thread; copy at once
carto_last_error() = @ccall $(_fp(:carto_last_error))()::Ptr{UInt8}

# void carto_string_free(char *string): releases an owned string; NULL is fine
carto_string_free(str) = @ccall $(_fp(:carto_string_free))(str::Ptr{UInt8})::Cvoid

# size_t carto_handle_count(void)
carto_handle_count() = @ccall $(_fp(:carto_handle_count))()::Csize_t

# --- Credentials handles -----------------------------------------------------------------

function carto_credentials_new(username, api_key, base_url, allow_non_secure, out)
    return @ccall $(_fp(:carto_credentials_new))(
        username::Cstring,
        api_key::Cstring,
        base_url::Cstring,
        allow_non_secure::Bool,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

# Never touches the last error, so finalizers may call it at any time.
function carto_credentials_free(credentials)
    return @ccall $(_fp(:carto_credentials_free))(credentials::Ptr{Cvoid})::Cvoid
end

function carto_credentials_clone(credentials, out)
    return @ccall $(_fp(:carto_credentials_clone))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

# The string accessors below write a string borrowed from the handle (NULL for "none").
function carto_credentials_username(credentials, out)
    return @ccall $(_fp(:carto_credentials_username))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_api_key(credentials, out)
    return @ccall $(_fp(:carto_credentials_api_key))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_base_url(credentials, out)
    return @ccall $(_fp(:carto_credentials_base_url))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_allow_non_secure(credentials, out)
    return @ccall $(_fp(:carto_credentials_allow_non_secure))(
        credentials::Ptr{Cvoid},
        out::Ref{Bool},
    )::Int32
end

function carto_credentials_describe(credentials, out)
    return @ccall $(_fp(:carto_credentials_describe))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_equal(a, b, out)
    return @ccall $(_fp(:carto_credentials_equal))(
        a::Ptr{Cvoid},
        b::Ptr{Cvoid},
        out::Ref{Bool},
    )::Int32
end

function carto_credentials_source(credentials, out)
    return @ccall $(_fp(:carto_credentials_source))(
        credentials::Ptr{Cvoid},
        out::Ref{Int32},
    )::Int32
end

function carto_credentials_origin(credentials, out)
    return @ccall $(_fp(:carto_credentials_origin))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_origin_path(credentials, out)
    return @ccall $(_fp(:carto_credentials_origin_path))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_origin_profile(credentials, out)
    return @ccall $(_fp(:carto_credentials_origin_profile))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_warning_count(credentials, out)
    return @ccall $(_fp(:carto_credentials_warning_count))(
        credentials::Ptr{Cvoid},
        out::Ref{Csize_t},
    )::Int32
end

function carto_credentials_warning(credentials, index, out)
    return @ccall $(_fp(:carto_credentials_warning))(
        credentials::Ptr{Cvoid},
        index::Csize_t,
        out::Ref{Ptr{UInt8}},
    )::Int32
end

# --- Files and profiles (strings written to `out`/`out_path` here are owned) -------------

function carto_credentials_load(path, profile, out)
    return @ccall $(_fp(:carto_credentials_load))(
        path::Cstring,
        profile::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_credentials_save(credentials, path, profile, format, out_path)
    return @ccall $(_fp(:carto_credentials_save))(
        credentials::Ptr{Cvoid},
        path::Cstring,
        profile::Cstring,
        format::Int32,
        out_path::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_file_update(
    path,
    profile,
    username,
    api_key,
    base_url,
    allow_non_secure,
    out_path,
)
    return @ccall $(_fp(:carto_credentials_file_update))(
        path::Cstring,
        profile::Cstring,
        username::Cstring,
        api_key::Cstring,
        base_url::Cstring,
        allow_non_secure::Int32,
        out_path::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_credentials_file_delete(path, profile)
    return @ccall $(_fp(:carto_credentials_file_delete))(
        path::Cstring,
        profile::Cstring,
    )::Int32
end

function carto_credentials_file_path(path, profile, out)
    return @ccall $(_fp(:carto_credentials_file_path))(
        path::Cstring,
        profile::Cstring,
        out::Ref{Ptr{UInt8}},
    )::Int32
end

carto_config_dir(out) = @ccall $(_fp(:carto_config_dir))(out::Ref{Ptr{UInt8}})::Int32

carto_profiles_list(out) = @ccall $(_fp(:carto_profiles_list))(out::Ref{Ptr{UInt8}})::Int32

# --- The process default and resolution ---------------------------------------------------

function carto_default_credentials_set(credentials)
    return @ccall $(_fp(:carto_default_credentials_set))(credentials::Ptr{Cvoid})::Int32
end

function carto_default_credentials_set_from(first_arg, second_arg, allow_non_secure, out)
    return @ccall $(_fp(:carto_default_credentials_set_from))(
        first_arg::Cstring,
        second_arg::Cstring,
        allow_non_secure::Bool,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_default_credentials_get(out)
    return @ccall $(_fp(:carto_default_credentials_get))(out::Ref{Ptr{Cvoid}})::Int32
end

# Never fails; does not change the last error.
function carto_default_credentials_unset()
    return @ccall $(_fp(:carto_default_credentials_unset))()::Cvoid
end

function carto_resolve(explicit_credentials, out)
    return @ccall $(_fp(:carto_resolve))(
        explicit_credentials::Ptr{Cvoid},
        out::Ref{Ptr{Cvoid}},
    )::Int32
end
