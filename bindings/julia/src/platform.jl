# CARTO's platform APIs: Batch SQL jobs, API keys (Auth API) and Data Observatory credentials.
# Each library handle these calls receive is read into plain Julia values at once and released
# in a `finally`; lists come back as vectors of NamedTuples, which Tables.jl reads as tables.

# --- Batch SQL ------------------------------------------------------------------------------

"""
    BatchJob

A CARTO Batch SQL job as the server last reported it: `id`, `status` (`:pending`, `:running`,
`:done`, `:failed`, `:cancelled`, `:skipped`, `:unknown`), `failed_reason` (`nothing` unless it
failed), `queries`, a vector of `(query, status, failed_reason)` NamedTuples (a Tables.jl
table), and `user`, `created_at`, `updated_at` as the server wrote them (ISO 8601 text;
`nothing` when not sent).
"""
struct BatchJob
    id::String
    status::Symbol
    failed_reason::Union{String,Nothing}
    queries::Vector{NamedTuple{(:query, :status, :failed_reason),Tuple{String,Symbol,Union{String,Nothing}}}}
    user::Union{String,Nothing}
    created_at::Union{String,Nothing}
    updated_at::Union{String,Nothing}
end

_job_status(status::Int32) = Symbol(something(_copy_string(C.carto_job_status_str(status)), "unknown"))

# Reads and releases a job handle.
function _take_job(ptr::Ptr{Cvoid})
    try
        id = Ref{Ptr{UInt8}}(C_NULL)
        status = Ref{Int32}(0)
        reason = Ref{Ptr{UInt8}}(C_NULL)
        count = Ref{Csize_t}(0)
        _check(C.carto_batch_job_id(ptr, id))
        _check(C.carto_batch_job_status(ptr, status))
        _check(C.carto_batch_job_failed_reason(ptr, reason))
        _check(C.carto_batch_job_query_count(ptr, count))
        user = Ref{Ptr{UInt8}}(C_NULL)
        created = Ref{Ptr{UInt8}}(C_NULL)
        updated = Ref{Ptr{UInt8}}(C_NULL)
        _check(C.carto_batch_job_describe(ptr, user, created, updated))
        queries = map(0:(Int(count[])-1)) do i
            sql = Ref{Ptr{UInt8}}(C_NULL)
            query_status = Ref{Int32}(0)
            query_reason = Ref{Ptr{UInt8}}(C_NULL)
            _check(C.carto_batch_job_query(ptr, Csize_t(i), sql, query_status, query_reason))
            (
                query = something(_copy_string(sql[]), ""),
                status = _job_status(query_status[]),
                failed_reason = _copy_string(query_reason[]),
            )
        end
        return BatchJob(
            something(_copy_string(id[]), ""),
            _job_status(status[]),
            _copy_string(reason[]),
            queries,
            _copy_string(user[]),
            _copy_string(created[]),
            _copy_string(updated[]),
        )
    finally
        C.carto_batch_job_free(ptr)
    end
end

_job_id(job::BatchJob) = job.id
_job_id(job::AbstractString) = String(job)

"""
    carto_batch_create(queries; onsuccess=nothing, onerror=nothing, credentials=nothing, client=nothing) -> BatchJob

Queues one query (a string) or several (a vector, run in order; the first failure stops the
job) as a CARTO Batch SQL job. `onsuccess`/`onerror` are SQL that CARTO runs after the job
succeeded or after a query failed. Needs the master key (others: `:CARTO_ERR_HTTP_FORBIDDEN`).
"""
function carto_batch_create(
    queries::Union{AbstractString,AbstractVector{<:AbstractString}};
    onsuccess::Union{AbstractString,Nothing} = nothing,
    onerror::Union{AbstractString,Nothing} = nothing,
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    sql = queries isa AbstractString ? [String(queries)] : String[_cstring(q, "queries") for q in queries]
    isempty(sql) && _invalid("'queries' is empty: a batch job needs at least one query")
    for q in sql
        _cstring(q, "queries")
    end
    on_ok = _cstring(onsuccess, "onsuccess")
    on_err = _cstring(onerror, "onerror")
    return _with_client(credentials, client) do active
        out = Ref{Ptr{Cvoid}}(C_NULL)
        GC.@preserve sql begin
            pointers = Ptr{UInt8}[pointer(q) for q in sql]
            _check(C.carto_batch_create(active, pointers, Csize_t(length(sql)), on_ok, on_err, out))
        end
        return _take_job(out[])
    end
end

"""
    carto_batch_status(job; credentials=nothing, client=nothing) -> BatchJob

Reads a job (a `BatchJob` or its id) from the server.
"""
function carto_batch_status(
    job::Union{BatchJob,AbstractString};
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    id = _cstring(_job_id(job), "job")
    return _with_client(credentials, client) do active
        out = Ref{Ptr{Cvoid}}(C_NULL)
        _check(C.carto_batch_status(active, id, out))
        return _take_job(out[])
    end
end

"""
    carto_batch_cancel(job; credentials=nothing, client=nothing) -> BatchJob

Cancels a pending or running job; a finished job is returned as it is.
"""
function carto_batch_cancel(
    job::Union{BatchJob,AbstractString};
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    id = _cstring(_job_id(job), "job")
    return _with_client(credentials, client) do active
        out = Ref{Ptr{Cvoid}}(C_NULL)
        _check(C.carto_batch_cancel(active, id, out))
        return _take_job(out[])
    end
end

"""
    carto_batch_wait(job; timeout=3600, progress=nothing, credentials=nothing, client=nothing) -> BatchJob

Waits until a job is done and returns it: the library polls it (after 0.25 s, then 1.5 times
longer each time, at most every 5 s) and after each poll calls back, which lets an interrupt
stop the wait and calls `progress((id = ..., status = ..., polls = ...))`. Throws a
[`CartoError`](@ref): `:CARTO_ERR_BATCH_JOB_FAILED` with the server's reason,
`:CARTO_ERR_BATCH_JOB_CANCELLED`, `:CARTO_ERR_WAIT_TIMEOUT` after `timeout` seconds (the job goes
on), `:CARTO_ERR_CANCELLED` when `progress` returns `false`.
"""
function carto_batch_wait(
    job::Union{BatchJob,AbstractString};
    timeout::Real = 3600,
    progress = nothing,
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    (isfinite(timeout) && timeout >= 0) || _invalid("'timeout' must be a finite number of seconds, at least 0")
    id = _job_id(job)
    milliseconds = UInt64(min(ceil(Float64(timeout) * 1000), 1.0e15))
    return _with_client(credentials, client) do active
        waiting = _Waiting(id, progress, nothing)
        out = Ref{Ptr{Cvoid}}(C_NULL)
        status = C.CARTO_OK
        message = ""
        GC.@preserve waiting begin
            callback = @cfunction(_wait_callback, Int32, (Ptr{Cvoid}, Int32, UInt32))
            user_data = pointer_from_objref(waiting)
            status = _on_this_thread(
                () -> C.carto_batch_wait(active, id, milliseconds, callback, user_data, out),
            )
            # Read at once: nothing that could touch the last error runs in between.
            status == C.CARTO_OK || (message = _last_error_message())
        end
        waiting.failure === nothing || throw(waiting.failure)
        status == C.CARTO_OK || throw(CartoError(status, message))
        return _take_job(out[])
    end
end

# What the wait's callback needs: the job id, the progress function, and an exception it
# caught (an interrupt, an error of `progress`), rethrown once the library has returned.
mutable struct _Waiting
    id::String
    progress::Any
    failure::Any
end

# Called by the library after each poll, on the waiting thread. No exception may cross the C
# frames: everything is caught, remembered, and answered with "stop". The safepoint is where
# a Ctrl-C that arrived while the library waited surfaces as an InterruptException.
function _wait_callback(user_data::Ptr{Cvoid}, status::Int32, polls::UInt32)
    # fatou-ignore discouraged-function: user_data is the address of a _Waiting that carto_batch_wait preserves for the whole call
    waiting = unsafe_pointer_to_objref(user_data)::_Waiting
    try
        GC.safepoint()
        waiting.failure === nothing || return Int32(1)
        report = waiting.progress
        report === nothing && return Int32(0)
        answer = report((id = waiting.id, status = _job_status(status), polls = Int(polls)))
        return answer === false ? Int32(1) : Int32(0)
    catch failure
        waiting.failure = failure
        return Int32(1)
    end
end

# --- API keys --------------------------------------------------------------------------------

"""
    ApiKey

A CARTO API key as the Auth API describes it, never with its token: `name`, `type`
(`:master`, `:default`, `:regular`), `apis`, `services`, `tables` (a vector of
`(schema, table, permissions)` NamedTuples), `schemas` (`(schema, permissions)`), `created_at`,
`updated_at`.
"""
struct ApiKey
    name::String
    type::Symbol
    apis::Vector{String}
    services::Vector{String}
    tables::Vector{NamedTuple{(:schema, :table, :permissions),Tuple{String,String,Vector{String}}}}
    schemas::Vector{NamedTuple{(:schema, :permissions),Tuple{String,Vector{String}}}}
    created_at::Union{String,Nothing}
    updated_at::Union{String,Nothing}
end

_split_list(text::Union{String,Nothing}) =
    text === nothing || isempty(text) ? String[] : String.(split(text, ','))

# The names of one of a key's grant lists (APIs, data services), read one by one.
function _grant_names(ptr, count, item)
    n = Ref{Csize_t}(0)
    _check(count(ptr, n))
    return map(0:(Int(n[])-1)) do i
        name = Ref{Ptr{UInt8}}(C_NULL)
        _check(item(ptr, Csize_t(i), name))
        something(_copy_string(name[]), "")
    end
end

# Reads a key handle (not released here).
function _read_key(ptr::Ptr{Cvoid})
    name, type, created, updated = (Ref{Ptr{UInt8}}(C_NULL) for _ in 1:4)
    _check(C.carto_api_key_describe(ptr, name, type, created, updated))
    apis = _grant_names(ptr, C.carto_api_key_api_count, C.carto_api_key_api)
    services = _grant_names(ptr, C.carto_api_key_service_count, C.carto_api_key_service)
    n_tables, n_schemas = Ref{Csize_t}(0), Ref{Csize_t}(0)
    _check(C.carto_api_key_grant_counts(ptr, n_tables, n_schemas))
    tables = map(0:(Int(n_tables[])-1)) do i
        s, t, p = (Ref{Ptr{UInt8}}(C_NULL) for _ in 1:3)
        _check(C.carto_api_key_table(ptr, Csize_t(i), s, t, p))
        (
            schema = something(_copy_string(s[]), ""),
            table = something(_copy_string(t[]), ""),
            permissions = _split_list(_copy_string(p[])),
        )
    end
    schemas = map(0:(Int(n_schemas[])-1)) do i
        s, p = Ref{Ptr{UInt8}}(C_NULL), Ref{Ptr{UInt8}}(C_NULL)
        _check(C.carto_api_key_schema(ptr, Csize_t(i), s, p))
        (schema = something(_copy_string(s[]), ""), permissions = _split_list(_copy_string(p[])))
    end
    return ApiKey(
        something(_copy_string(name[]), ""),
        Symbol(something(_copy_string(type[]), "unknown")),
        apis,
        services,
        tables,
        schemas,
        _copy_string(created[]),
        _copy_string(updated[]),
    )
end

function _take_key(ptr::Ptr{Cvoid})
    try
        return _read_key(ptr)
    finally
        C.carto_api_key_free(ptr)
    end
end

"""
    carto_api_keys(; credentials=nothing, client=nothing) -> Vector{NamedTuple}

Every key the client's key may see, over all pages (with the master key every key of the
account; with another key only itself), as rows `(name, type, apis, services, tables,
created_at, updated_at)`: a Tables.jl table. Never holds a token.
"""
function carto_api_keys(;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    return _with_client(credentials, client) do active
        list = Ref{Ptr{Cvoid}}(C_NULL)
        _check(C.carto_api_keys_list(active, list))
        try
            count = Ref{Csize_t}(0)
            _check(C.carto_api_key_list_count(list[], count))
            return map(0:(Int(count[])-1)) do i
                key = Ref{Ptr{Cvoid}}(C_NULL)
                _check(C.carto_api_key_list_get(list[], Csize_t(i), key))
                k = _take_key(key[])
                (
                    name = k.name,
                    type = k.type,
                    apis = k.apis,
                    services = k.services,
                    tables = k.tables,
                    created_at = k.created_at,
                    updated_at = k.updated_at,
                )
            end
        finally
            C.carto_api_key_list_free(list[])
        end
    end
end

"""
    carto_api_key(name; credentials=nothing, client=nothing) -> ApiKey

One key by name (`:CARTO_ERR_HTTP_NOT_FOUND` when unknown or not visible to the client's key).
"""
function carto_api_key(
    name::AbstractString;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    key_name = _cstring(name, "name")
    return _with_client(credentials, client) do active
        out = Ref{Ptr{Cvoid}}(C_NULL)
        _check(C.carto_api_key_get(active, key_name, out))
        return _take_key(out[])
    end
end

# Reads (and releases) a new key and its owned token.
function _take_new_key(key::Ptr{Cvoid}, token::Ptr{UInt8})
    try
        return (key = _read_key(key), token = something(_copy_string(token), ""))
    finally
        C.carto_api_key_free(key)
        C.carto_string_free(token)
    end
end

"""
    carto_api_key_create(name; apis=["sql", "maps"], tables=[], schemas=[], services=[],
                         credentials=nothing, client=nothing) -> NamedTuple

Creates a regular key (master key only; another valid key gets `:CARTO_ERR_HTTP_FORBIDDEN`) and
returns `(key = ApiKey, token = String)`: the only time, with `carto_api_key_regenerate`, a
token is handed out. `tables` holds `(table = "t", permissions = ["select"])` entries (with an
optional `schema`), `schemas` `(schema = "s", permissions = ["create"])`.
"""
function carto_api_key_create(
    name::AbstractString;
    apis::AbstractVector{<:AbstractString} = ["sql", "maps"],
    tables = NamedTuple[],
    schemas = NamedTuple[],
    services::AbstractVector{<:AbstractString} = String[],
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    key_name = _cstring(name, "name")
    isempty(apis) && _invalid("'apis' is empty: a key needs at least one API (sql, maps, do)")
    _permissions(p) = p isa AbstractString ? String(p) : join(p, ",")
    grants = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_grants_new(grants))
    try
        for a in apis
            _check(C.carto_grants_add_api(grants[], _cstring(a, "apis")))
        end
        for s in services
            _check(C.carto_grants_add_service(grants[], _cstring(s, "services")))
        end
        for t in tables
            schema = haskey(t, :schema) ? _cstring(t.schema, "tables.schema") : nothing
            _check(
                C.carto_grants_add_table(
                    grants[],
                    schema,
                    _cstring(t.table, "tables.table"),
                    _cstring(_permissions(t.permissions), "tables.permissions"),
                ),
            )
        end
        for s in schemas
            _check(
                C.carto_grants_add_schema(
                    grants[],
                    _cstring(s.schema, "schemas.schema"),
                    _cstring(_permissions(s.permissions), "schemas.permissions"),
                ),
            )
        end
        return _with_client(credentials, client) do active
            key = Ref{Ptr{Cvoid}}(C_NULL)
            token = Ref{Ptr{UInt8}}(C_NULL)
            _check(C.carto_api_key_create(active, key_name, grants[], key, token))
            return _take_new_key(key[], token[])
        end
    finally
        C.carto_grants_free(grants[])
    end
end

"""
    carto_api_key_regenerate(name; credentials=nothing, client=nothing) -> NamedTuple

Gives a key a new token (master key only) and returns `(key = ApiKey, token = String)`.
"""
function carto_api_key_regenerate(
    name::AbstractString;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    key_name = _cstring(name, "name")
    return _with_client(credentials, client) do active
        key = Ref{Ptr{Cvoid}}(C_NULL)
        token = Ref{Ptr{UInt8}}(C_NULL)
        _check(C.carto_api_key_regenerate(active, key_name, key, token))
        return _take_new_key(key[], token[])
    end
end

"""
    carto_api_key_delete(name; credentials=nothing, client=nothing) -> Nothing

Deletes a regular key (master key only; the master and default keys cannot be deleted).
"""
function carto_api_key_delete(
    name::AbstractString;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    key_name = _cstring(name, "name")
    _with_client(credentials, client) do active
        _check(C.carto_api_key_delete(active, key_name))
    end
    return nothing
end

# --- Data Observatory -------------------------------------------------------------------------

"""
    DoCredentials

The account's Data Observatory credentials (`api/v4/do/token`): `access_token` (a secret: `show`
hides it), `bq_public_project`, `gcp_execution_project`, `bq_project`, `bq_dataset`,
`gcs_bucket` (`nothing` when not sent), `instant_licensing`.
"""
struct DoCredentials
    access_token::String
    bq_public_project::Union{String,Nothing}
    gcp_execution_project::Union{String,Nothing}
    bq_project::Union{String,Nothing}
    bq_dataset::Union{String,Nothing}
    gcs_bucket::Union{String,Nothing}
    instant_licensing::Bool
end

function Base.show(io::IO, c::DoCredentials)
    print(io, "DoCredentials(access_token=<hidden>, bq_project=", repr(c.bq_project))
    print(io, ", bq_dataset=", repr(c.bq_dataset), ", instant_licensing=", c.instant_licensing, ")")
    return nothing
end

"""
    carto_do_credentials(; credentials=nothing, client=nothing) -> DoCredentials

Asks `api/v4/do/token` for the Data Observatory credentials (what CARTOframes'
`get_gcloud_credentials()` and `is_instant_licensing_active()` read). The master key or a key
granted the "do" API may ask; others get `:CARTO_ERR_HTTP_FORBIDDEN`.
"""
function carto_do_credentials(;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    return _with_client(credentials, client) do active
        out = Ref{Ptr{Cvoid}}(C_NULL)
        _check(C.carto_do_credentials_get(active, out))
        try
            token = Ref{Ptr{UInt8}}(C_NULL)
            places = [Ref{Ptr{UInt8}}(C_NULL) for _ in 1:5]
            instant = Ref{Bool}(false)
            _check(C.carto_do_credentials_access_token(out[], token))
            _check(C.carto_do_credentials_places(out[], places[1], places[2], places[3], places[4], places[5]))
            _check(C.carto_do_credentials_instant_licensing(out[], instant))
            values = [_copy_string(p[]) for p in places]
            return DoCredentials(something(_copy_string(token[]), ""), values..., instant[])
        finally
            C.carto_do_credentials_free(out[])
        end
    end
end
