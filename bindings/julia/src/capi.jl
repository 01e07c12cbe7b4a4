# Constants mirrored from include/cartoauth.h, and one @ccall per C function.
#
# Types used (tools/check_ccalls.py holds the full table and checks every line below):
#   carto_status, carto_source, int32_t -> Int32       bool      -> Bool
#   uint32_t -> UInt32                                 size_t    -> Csize_t
#   const char * (in) -> Cstring (NULL: pass C_NULL)   const char * (returned) -> Ptr{UInt8}
#   struct carto_x * -> Ptr{Cvoid} (pass a handle object: its unsafe_convert keeps it rooted)
#   struct carto_x ** -> Ref{Ptr{Cvoid}}               const char ** / char ** -> Ref{Ptr{UInt8}}
#   bool * -> Ref{Bool}, carto_source * -> Ref{Int32}, size_t * -> Ref{Csize_t}
#   uint16_t * -> Ref{UInt16}, uint32_t * -> Ref{UInt32}, int64_t * / uint64_t * -> Ref{(U)Int64}
#   uint64_t -> UInt64, int64_t -> Int64, const uint8_t * -> Ptr{UInt8}, const uint8_t ** ->
#   Ref{Ptr{UInt8}}, carto_key_validity * -> Ref{Int32}
#   carto_write_fn / carto_read_fn / carto_progress_fn, void * -> Ptr{Cvoid} (from @cfunction,
#   and pointer_from_objref of an object the caller keeps alive with GC.@preserve)
# Strings come back as Ptr{UInt8}, never Cstring, so that NULL stays visible and owned strings
# cannot be copied by accident without being released with carto_string_free.

# --- Constants (values checked against the header by tools/check_ccalls.py) ----------------

"""
The name of every `carto_status` code of the loaded library, by number. Filled in by `load!`
from `carto_status_name` (codes lie in 0..999), so a code the library returns always has a name.
"""
const STATUS_NAMES = Dict{Int32,Symbol}()

# The statuses the Julia code tests for by value.
const CARTO_OK = Int32(0)
const CARTO_ERR_INVALID_ARGUMENT = Int32(102)
const CARTO_ERR_INVALID_HANDLE = Int32(103)
const CARTO_ERR_NO_DEFAULT_CREDENTIALS = Int32(204)
const CARTO_ERR_PROTOCOL = Int32(605)
const CARTO_ERR_CANCELLED = Int32(603)
const CARTO_ERR_RESULT_TYPE = Int32(700)
const CARTO_ERR_BATCH_JOB_FAILED = Int32(800)
const CARTO_ERR_BATCH_JOB_CANCELLED = Int32(801)
const CARTO_ERR_WAIT_TIMEOUT = Int32(802)

# carto_source
const CARTO_SOURCE_EXPLICIT = Int32(0)
const CARTO_SOURCE_DEFAULT = Int32(1)
const CARTO_SOURCE_ENVIRONMENT = Int32(2)
const CARTO_SOURCE_FILE = Int32(3)
const CARTO_SOURCE_PROFILE = Int32(4)

# carto_client_options_set_key_transport
const CARTO_KEY_TRANSPORT_BASIC = Int32(0)
const CARTO_KEY_TRANSPORT_QUERY = Int32(1)

# carto_client_options_set_trust
const CARTO_TRUST_WEBPKI = Int32(0)
const CARTO_TRUST_SYSTEM = Int32(1)
const CARTO_TRUST_CA_BUNDLE = Int32(2)

# carto_key_validity (carto_client_validate_key)
const CARTO_KEY_UNKNOWN = Int32(0)
const CARTO_KEY_VALID = Int32(1)
const CARTO_KEY_INVALID = Int32(2)

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

# const char *carto_status_name(int32_t status): static, never freed
carto_status_name(status) = @ccall $(_fp(:carto_status_name))(status::Int32)::Ptr{UInt8}

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

# --- Client options (a handle created, used and freed inside Client(...)) -----------------

carto_client_options_new(out) = @ccall $(_fp(:carto_client_options_new))(out::Ref{Ptr{Cvoid}})::Int32

# Never touches the last error.
function carto_client_options_free(options)
    return @ccall $(_fp(:carto_client_options_free))(options::Ptr{Cvoid})::Cvoid
end

function carto_client_options_set_connect_timeout(options, milliseconds)
    return @ccall $(_fp(:carto_client_options_set_connect_timeout))(
        options::Ptr{Cvoid},
        milliseconds::UInt64,
    )::Int32
end

function carto_client_options_set_timeout(options, milliseconds)
    return @ccall $(_fp(:carto_client_options_set_timeout))(
        options::Ptr{Cvoid},
        milliseconds::UInt64,
    )::Int32
end

function carto_client_options_set_idle_timeout(options, milliseconds)
    return @ccall $(_fp(:carto_client_options_set_idle_timeout))(
        options::Ptr{Cvoid},
        milliseconds::UInt64,
    )::Int32
end

function carto_client_options_set_total_timeout(options, milliseconds)
    return @ccall $(_fp(:carto_client_options_set_total_timeout))(
        options::Ptr{Cvoid},
        milliseconds::UInt64,
    )::Int32
end

function carto_client_options_set_max_body_size(options, bytes)
    return @ccall $(_fp(:carto_client_options_set_max_body_size))(
        options::Ptr{Cvoid},
        bytes::UInt64,
    )::Int32
end

function carto_client_options_set_trust(options, trust, ca_bundle_path)
    return @ccall $(_fp(:carto_client_options_set_trust))(
        options::Ptr{Cvoid},
        trust::Int32,
        ca_bundle_path::Cstring,
    )::Int32
end

function carto_client_options_set_key_transport(options, transport)
    return @ccall $(_fp(:carto_client_options_set_key_transport))(
        options::Ptr{Cvoid},
        transport::Int32,
    )::Int32
end

function carto_client_options_set_retry(options, max_attempts, max_wait_ms)
    return @ccall $(_fp(:carto_client_options_set_retry))(
        options::Ptr{Cvoid},
        max_attempts::UInt32,
        max_wait_ms::UInt64,
    )::Int32
end

function carto_client_options_set_user_agent_suffix(options, suffix)
    return @ccall $(_fp(:carto_client_options_set_user_agent_suffix))(
        options::Ptr{Cvoid},
        suffix::Cstring,
    )::Int32
end

function carto_client_options_set_proxy_from_env(options, enabled)
    return @ccall $(_fp(:carto_client_options_set_proxy_from_env))(
        options::Ptr{Cvoid},
        enabled::Bool,
    )::Int32
end

# --- Clients ------------------------------------------------------------------------------

# credentials: a handle or C_NULL (resolve now); options: a handle or C_NULL (defaults).
function carto_client_new(credentials, options, out)
    return @ccall $(_fp(:carto_client_new))(
        credentials::Ptr{Cvoid},
        options::Ptr{Cvoid},
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

# Never touches the last error, so finalizers may call it at any time.
carto_client_free(client) = @ccall $(_fp(:carto_client_free))(client::Ptr{Cvoid})::Cvoid

# Writes a new credentials handle owned by the caller.
function carto_client_credentials(client, out)
    return @ccall $(_fp(:carto_client_credentials))(
        client::Ptr{Cvoid},
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

# The request's callbacks run on this thread, inside this call. `out` is written only when
# an answer (of any HTTP status) was received.
function carto_client_send(client, request, out)
    return @ccall $(_fp(:carto_client_send))(
        client::Ptr{Cvoid},
        request::Ptr{Cvoid},
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_client_sql(client, query, format, out)
    return @ccall $(_fp(:carto_client_sql))(
        client::Ptr{Cvoid},
        query::Cstring,
        format::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

# Both strings written are owned (carto_string_free); either may be NULL.
function carto_client_me(client, out_username, out_user_id)
    return @ccall $(_fp(:carto_client_me))(
        client::Ptr{Cvoid},
        out_username::Ref{Ptr{UInt8}},
        out_user_id::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_client_validate_key(client, out)
    return @ccall $(_fp(:carto_client_validate_key))(
        client::Ptr{Cvoid},
        out::Ref{Int32},
    )::Int32
end

# --- Requests -----------------------------------------------------------------------------

function carto_request_new(method, path, out)
    return @ccall $(_fp(:carto_request_new))(
        method::Cstring,
        path::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_request_new_sql(query, format, out)
    return @ccall $(_fp(:carto_request_new_sql))(
        query::Cstring,
        format::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_request_new_copy_to(copy_query, out)
    return @ccall $(_fp(:carto_request_new_copy_to))(
        copy_query::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_request_new_copy_from(copy_query, out)
    return @ccall $(_fp(:carto_request_new_copy_from))(
        copy_query::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

# Never touches the last error, so finalizers may call it at any time.
carto_request_free(request) = @ccall $(_fp(:carto_request_free))(request::Ptr{Cvoid})::Cvoid

function carto_request_add_query(request, name, value)
    return @ccall $(_fp(:carto_request_add_query))(
        request::Ptr{Cvoid},
        name::Cstring,
        value::Cstring,
    )::Int32
end

function carto_request_add_param(request, name, value)
    return @ccall $(_fp(:carto_request_add_param))(
        request::Ptr{Cvoid},
        name::Cstring,
        value::Cstring,
    )::Int32
end

function carto_request_add_header(request, name, value)
    return @ccall $(_fp(:carto_request_add_header))(
        request::Ptr{Cvoid},
        name::Cstring,
        value::Cstring,
    )::Int32
end

# `data`: a Vector{UInt8} (rooted by ccall for the call; the bytes are copied).
function carto_request_set_body(request, data, length, content_type)
    return @ccall $(_fp(:carto_request_set_body))(
        request::Ptr{Cvoid},
        data::Ptr{UInt8},
        length::Csize_t,
        content_type::Cstring,
    )::Int32
end

function carto_request_add_form_field(request, name, value)
    return @ccall $(_fp(:carto_request_add_form_field))(
        request::Ptr{Cvoid},
        name::Cstring,
        value::Cstring,
    )::Int32
end

function carto_request_set_json_body(request, json)
    return @ccall $(_fp(:carto_request_set_json_body))(
        request::Ptr{Cvoid},
        json::Cstring,
    )::Int32
end

# `read`: a carto_read_fn from @cfunction; `user_data` must stay valid while the request may
# be sent (the caller roots it with GC.@preserve around carto_client_send).
function carto_request_set_body_reader(request, read, user_data, content_length, content_type)
    return @ccall $(_fp(:carto_request_set_body_reader))(
        request::Ptr{Cvoid},
        read::Ptr{Cvoid},
        user_data::Ptr{Cvoid},
        content_length::Int64,
        content_type::Cstring,
    )::Int32
end

function carto_request_set_gzip(request, enabled)
    return @ccall $(_fp(:carto_request_set_gzip))(request::Ptr{Cvoid}, enabled::Bool)::Int32
end

# `write`: a carto_write_fn from @cfunction (C_NULL turns streaming off).
function carto_request_set_response_writer(request, write, user_data)
    return @ccall $(_fp(:carto_request_set_response_writer))(
        request::Ptr{Cvoid},
        write::Ptr{Cvoid},
        user_data::Ptr{Cvoid},
    )::Int32
end

# `progress`: a carto_progress_fn from @cfunction (C_NULL turns reporting off).
function carto_request_set_progress(request, progress, user_data)
    return @ccall $(_fp(:carto_request_set_progress))(
        request::Ptr{Cvoid},
        progress::Ptr{Cvoid},
        user_data::Ptr{Cvoid},
    )::Int32
end

# --- Responses (strings and bytes written here are borrowed from the response) ------------

# Never touches the last error, so finalizers may call it at any time.
carto_response_free(response) = @ccall $(_fp(:carto_response_free))(response::Ptr{Cvoid})::Cvoid

function carto_response_status(response, out)
    return @ccall $(_fp(:carto_response_status))(response::Ptr{Cvoid}, out::Ref{UInt16})::Int32
end

# CARTO_OK below 400, else the HTTP status's carto_status with CARTO's message as last error.
carto_response_check(response) = @ccall $(_fp(:carto_response_check))(response::Ptr{Cvoid})::Int32

function carto_response_header(response, name, out)
    return @ccall $(_fp(:carto_response_header))(
        response::Ptr{Cvoid},
        name::Cstring,
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_response_header_count(response, out)
    return @ccall $(_fp(:carto_response_header_count))(
        response::Ptr{Cvoid},
        out::Ref{Csize_t},
    )::Int32
end

function carto_response_header_at(response, index, out_name, out_value)
    return @ccall $(_fp(:carto_response_header_at))(
        response::Ptr{Cvoid},
        index::Csize_t,
        out_name::Ref{Ptr{UInt8}},
        out_value::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_response_body(response, out_data, out_length)
    return @ccall $(_fp(:carto_response_body))(
        response::Ptr{Cvoid},
        out_data::Ref{Ptr{UInt8}},
        out_length::Ref{Csize_t},
    )::Int32
end

function carto_response_error_message(response, out)
    return @ccall $(_fp(:carto_response_error_message))(
        response::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_response_rate_limit(response, out_limit, out_remaining, out_reset, out_retry_after)
    return @ccall $(_fp(:carto_response_rate_limit))(
        response::Ptr{Cvoid},
        out_limit::Ref{Int64},
        out_remaining::Ref{Int64},
        out_reset::Ref{Int64},
        out_retry_after::Ref{Int64},
    )::Int32
end

function carto_response_attempts(response, out)
    return @ccall $(_fp(:carto_response_attempts))(response::Ptr{Cvoid}, out::Ref{UInt32})::Int32
end

function carto_response_streamed_bytes(response, out)
    return @ccall $(_fp(:carto_response_streamed_bytes))(
        response::Ptr{Cvoid},
        out::Ref{UInt64},
    )::Int32
end

# --- Platform APIs: Batch SQL, API keys, Data Observatory ---------------------------------

function carto_grants_new(out)
    return @ccall $(_fp(:carto_grants_new))(
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_grants_free(grants)
    return @ccall $(_fp(:carto_grants_free))(
        grants::Ptr{Cvoid},
    )::Cvoid
end

function carto_grants_add_api(grants, api)
    return @ccall $(_fp(:carto_grants_add_api))(
        grants::Ptr{Cvoid},
        api::Cstring,
    )::Int32
end

function carto_grants_add_service(grants, service)
    return @ccall $(_fp(:carto_grants_add_service))(
        grants::Ptr{Cvoid},
        service::Cstring,
    )::Int32
end

function carto_grants_add_table(grants, schema, table, permissions)
    return @ccall $(_fp(:carto_grants_add_table))(
        grants::Ptr{Cvoid},
        schema::Cstring,
        table::Cstring,
        permissions::Cstring,
    )::Int32
end

function carto_grants_add_schema(grants, schema, permissions)
    return @ccall $(_fp(:carto_grants_add_schema))(
        grants::Ptr{Cvoid},
        schema::Cstring,
        permissions::Cstring,
    )::Int32
end

function carto_api_keys_list(client, out)
    return @ccall $(_fp(:carto_api_keys_list))(
        client::Ptr{Cvoid},
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_api_key_list_free(list)
    return @ccall $(_fp(:carto_api_key_list_free))(
        list::Ptr{Cvoid},
    )::Cvoid
end

function carto_api_key_list_count(list, out)
    return @ccall $(_fp(:carto_api_key_list_count))(
        list::Ptr{Cvoid},
        out::Ref{Csize_t},
    )::Int32
end

function carto_api_key_list_get(list, index, out)
    return @ccall $(_fp(:carto_api_key_list_get))(
        list::Ptr{Cvoid},
        index::Csize_t,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_api_key_get(client, name, out)
    return @ccall $(_fp(:carto_api_key_get))(
        client::Ptr{Cvoid},
        name::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_api_key_create(client, name, grants, out_key, out_token)
    return @ccall $(_fp(:carto_api_key_create))(
        client::Ptr{Cvoid},
        name::Cstring,
        grants::Ptr{Cvoid},
        out_key::Ref{Ptr{Cvoid}},
        out_token::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_api_key_regenerate(client, name, out_key, out_token)
    return @ccall $(_fp(:carto_api_key_regenerate))(
        client::Ptr{Cvoid},
        name::Cstring,
        out_key::Ref{Ptr{Cvoid}},
        out_token::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_api_key_delete(client, name)
    return @ccall $(_fp(:carto_api_key_delete))(
        client::Ptr{Cvoid},
        name::Cstring,
    )::Int32
end

function carto_api_key_free(key)
    return @ccall $(_fp(:carto_api_key_free))(
        key::Ptr{Cvoid},
    )::Cvoid
end

function carto_api_key_describe(key, out_name, out_type, out_created_at, out_updated_at)
    return @ccall $(_fp(:carto_api_key_describe))(
        key::Ptr{Cvoid},
        out_name::Ref{Ptr{UInt8}},
        out_type::Ref{Ptr{UInt8}},
        out_created_at::Ref{Ptr{UInt8}},
        out_updated_at::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_api_key_apis(key, out_apis, out_services)
    return @ccall $(_fp(:carto_api_key_apis))(
        key::Ptr{Cvoid},
        out_apis::Ref{Ptr{UInt8}},
        out_services::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_api_key_grant_counts(key, out_tables, out_schemas)
    return @ccall $(_fp(:carto_api_key_grant_counts))(
        key::Ptr{Cvoid},
        out_tables::Ref{Csize_t},
        out_schemas::Ref{Csize_t},
    )::Int32
end

function carto_api_key_table(key, index, out_schema, out_table, out_permissions)
    return @ccall $(_fp(:carto_api_key_table))(
        key::Ptr{Cvoid},
        index::Csize_t,
        out_schema::Ref{Ptr{UInt8}},
        out_table::Ref{Ptr{UInt8}},
        out_permissions::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_api_key_schema(key, index, out_schema, out_permissions)
    return @ccall $(_fp(:carto_api_key_schema))(
        key::Ptr{Cvoid},
        index::Csize_t,
        out_schema::Ref{Ptr{UInt8}},
        out_permissions::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_batch_create(client, queries, query_count, onsuccess, onerror, out)
    return @ccall $(_fp(:carto_batch_create))(
        client::Ptr{Cvoid},
        queries::Ptr{Ptr{UInt8}},
        query_count::Csize_t,
        onsuccess::Cstring,
        onerror::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_batch_status(client, job_id, out)
    return @ccall $(_fp(:carto_batch_status))(
        client::Ptr{Cvoid},
        job_id::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_batch_cancel(client, job_id, out)
    return @ccall $(_fp(:carto_batch_cancel))(
        client::Ptr{Cvoid},
        job_id::Cstring,
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_batch_job_free(job)
    return @ccall $(_fp(:carto_batch_job_free))(
        job::Ptr{Cvoid},
    )::Cvoid
end

function carto_batch_job_id(job, out)
    return @ccall $(_fp(:carto_batch_job_id))(
        job::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_batch_job_status(job, out)
    return @ccall $(_fp(:carto_batch_job_status))(
        job::Ptr{Cvoid},
        out::Ref{Int32},
    )::Int32
end

function carto_batch_job_failed_reason(job, out)
    return @ccall $(_fp(:carto_batch_job_failed_reason))(
        job::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_batch_job_query_count(job, out)
    return @ccall $(_fp(:carto_batch_job_query_count))(
        job::Ptr{Cvoid},
        out::Ref{Csize_t},
    )::Int32
end

function carto_batch_job_query(job, index, out_sql, out_status, out_failed_reason)
    return @ccall $(_fp(:carto_batch_job_query))(
        job::Ptr{Cvoid},
        index::Csize_t,
        out_sql::Ref{Ptr{UInt8}},
        out_status::Ref{Int32},
        out_failed_reason::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_job_status_str(status)
    return @ccall $(_fp(:carto_job_status_str))(
        status::Int32,
    )::Ptr{UInt8}
end

function carto_do_credentials_get(client, out)
    return @ccall $(_fp(:carto_do_credentials_get))(
        client::Ptr{Cvoid},
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_do_credentials_free(credentials)
    return @ccall $(_fp(:carto_do_credentials_free))(
        credentials::Ptr{Cvoid},
    )::Cvoid
end

function carto_do_credentials_access_token(credentials, out)
    return @ccall $(_fp(:carto_do_credentials_access_token))(
        credentials::Ptr{Cvoid},
        out::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_do_credentials_places(credentials, out_bq_public_project, out_gcp_execution_project, out_bq_project, out_bq_dataset, out_gcs_bucket)
    return @ccall $(_fp(:carto_do_credentials_places))(
        credentials::Ptr{Cvoid},
        out_bq_public_project::Ref{Ptr{UInt8}},
        out_gcp_execution_project::Ref{Ptr{UInt8}},
        out_bq_project::Ref{Ptr{UInt8}},
        out_bq_dataset::Ref{Ptr{UInt8}},
        out_gcs_bucket::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_do_credentials_instant_licensing(credentials, out)
    return @ccall $(_fp(:carto_do_credentials_instant_licensing))(
        credentials::Ptr{Cvoid},
        out::Ref{Bool},
    )::Int32
end

# --- carto_result (typed result sets) --------------------------------------------------------

# carto_column_kind
const CARTO_COLUMN_TEXT = Int32(0)
const CARTO_COLUMN_BOOL = Int32(1)
const CARTO_COLUMN_INT = Int32(2)
const CARTO_COLUMN_FLOAT = Int32(3)
const CARTO_COLUMN_TIMESTAMP = Int32(4)
const CARTO_COLUMN_DATE = Int32(5)
const CARTO_COLUMN_GEOMETRY = Int32(6)

function carto_result_from_response(response, out)
    return @ccall $(_fp(:carto_result_from_response))(
        response::Ptr{Cvoid},
        out::Ref{Ptr{Cvoid}},
    )::Int32
end

function carto_result_free(result)
    return @ccall $(_fp(:carto_result_free))(result::Ptr{Cvoid})::Cvoid
end

function carto_result_row_count(result, out)
    return @ccall $(_fp(:carto_result_row_count))(result::Ptr{Cvoid}, out::Ref{Csize_t})::Int32
end

function carto_result_column_count(result, out)
    return @ccall $(_fp(:carto_result_column_count))(result::Ptr{Cvoid}, out::Ref{Csize_t})::Int32
end

# The three strings are borrowed from the result.
function carto_result_column_info(result, column, out_name, out_carto_type, out_pgtype)
    return @ccall $(_fp(:carto_result_column_info))(
        result::Ptr{Cvoid},
        column::Csize_t,
        out_name::Ref{Ptr{UInt8}},
        out_carto_type::Ref{Ptr{UInt8}},
        out_pgtype::Ref{Ptr{UInt8}},
    )::Int32
end

function carto_result_column_kind(result, column, out)
    return @ccall $(_fp(:carto_result_column_kind))(
        result::Ptr{Cvoid},
        column::Csize_t,
        out::Ref{Int32},
    )::Int32
end

# Bulk column reads: `values` and `nulls` are caller arrays of `count` elements.
function carto_result_column_int64(result, column, first_row, count, values, nulls)
    return @ccall $(_fp(:carto_result_column_int64))(
        result::Ptr{Cvoid},
        column::Csize_t,
        first_row::Csize_t,
        count::Csize_t,
        values::Ptr{Int64},
        nulls::Ptr{UInt8},
    )::Int32
end

function carto_result_column_double(result, column, first_row, count, values, nulls)
    return @ccall $(_fp(:carto_result_column_double))(
        result::Ptr{Cvoid},
        column::Csize_t,
        first_row::Csize_t,
        count::Csize_t,
        values::Ptr{Float64},
        nulls::Ptr{UInt8},
    )::Int32
end

function carto_result_column_bool(result, column, first_row, count, values, nulls)
    return @ccall $(_fp(:carto_result_column_bool))(
        result::Ptr{Cvoid},
        column::Csize_t,
        first_row::Csize_t,
        count::Csize_t,
        values::Ptr{UInt8},
        nulls::Ptr{UInt8},
    )::Int32
end

function carto_result_column_time_micros(result, column, first_row, count, values, nulls)
    return @ccall $(_fp(:carto_result_column_time_micros))(
        result::Ptr{Cvoid},
        column::Csize_t,
        first_row::Csize_t,
        count::Csize_t,
        values::Ptr{Int64},
        nulls::Ptr{UInt8},
    )::Int32
end

function carto_result_column_date_days(result, column, first_row, count, values, nulls)
    return @ccall $(_fp(:carto_result_column_date_days))(
        result::Ptr{Cvoid},
        column::Csize_t,
        first_row::Csize_t,
        count::Csize_t,
        values::Ptr{Int32},
        nulls::Ptr{UInt8},
    )::Int32
end

# The strings are borrowed from the result (NULL for NULL cells).
function carto_result_column_text(result, column, first_row, count, values, lengths, nulls)
    return @ccall $(_fp(:carto_result_column_text))(
        result::Ptr{Cvoid},
        column::Csize_t,
        first_row::Csize_t,
        count::Csize_t,
        values::Ptr{Ptr{UInt8}},
        lengths::Ptr{Csize_t},
        nulls::Ptr{UInt8},
    )::Int32
end

# The WKB is borrowed from the result (NULL for NULL cells).
function carto_result_column_wkb(result, column, first_row, count, values, lengths, srids, nulls)
    return @ccall $(_fp(:carto_result_column_wkb))(
        result::Ptr{Cvoid},
        column::Csize_t,
        first_row::Csize_t,
        count::Csize_t,
        values::Ptr{Ptr{UInt8}},
        lengths::Ptr{Csize_t},
        srids::Ptr{Int32},
        nulls::Ptr{UInt8},
    )::Int32
end
