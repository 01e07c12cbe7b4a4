# The request functions: carto_request, carto_sql, carto_me, validate_key, carto_copyto,
# carto_copyfrom. Each takes `credentials=` or `client=` (or neither: the resolved
# credentials, in the order of resolve_credentials).

# JSON from CARTO. A parse error is reported without quoting the text: bodies such as
# api/v3/me's contain the API key.
function _parse_json(text::AbstractString)
    try
        return JSON.parse(text; dicttype = Dict{String,Any})
    catch err
        err isa InterruptException && rethrow()
        throw(
            CartoError(
                C.CARTO_ERR_PROTOCOL,
                "the server's answer is not valid JSON ($(sizeof(text)) bytes)",
            ),
        )
    end
end

"""
    carto_request(method, path; query=nothing, headers=nothing, body=nothing,
                  content_type=nothing, content_length=nothing, gzip=false, output=nothing,
                  progress=nothing, check=true, credentials=nothing, client=nothing) -> Response

Sends an authenticated request to one of CARTO's APIs (as carto-python's
`APIKeyAuthClient.send`) and returns the [`Response`](@ref).

- `path`: relative to the base URL (`"api/v3/me"` and `"/api/v3/me"` both keep an on-premises
  `/user/{username}`); an absolute URL only on the base URL's own scheme, host and port (the
  key is never sent elsewhere);
- `query`, `headers`: a `Dict`, a `NamedTuple` or pairs; values are converted with `string`
  (vectors are joined with commas). `Authorization` is refused: it comes from the credentials;
- `body`: `nothing`; a `String` (with `content_type = "application/json"` it must be JSON
  text, checked before sending); bytes (`Vector{UInt8}`); a `Dict`/`NamedTuple` of form fields
  (`application/x-www-form-urlencoded`); or an `IO`, streamed in constant memory (chunked
  unless `content_length` is given; never retried). `content_type` defaults to
  `application/octet-stream`;
- `gzip`: compress the request body (`Content-Encoding: gzip`);
- `output`: an `IO` that receives a successful (2xx) body as it arrives, in constant memory
  (the `Response` then has an empty body and `streamed_bytes`);
- `progress`: a function `(uploaded, upload_total, downloaded, download_total) -> ...` called
  as bytes move (totals `nothing` when unknown); returning `false` cancels the transfer
  (`:CARTO_ERR_CANCELLED`);
- `check`: throw a [`CartoError`](@ref) for an HTTP error answer (as
  [`CartoAuth.check`](@ref)); with `check=false` every answer is returned.

A Julia exception thrown by `body`, `output` or `progress` stops the transfer and is rethrown.
Transport failures are `CartoError`s: `:CARTO_ERR_TIMEOUT`, `:CARTO_ERR_CONNECTION`,
`:CARTO_ERR_TLS`, `:CARTO_ERR_CANCELLED`, `:CARTO_ERR_PROTOCOL`. No message contains the key.

```julia
me = carto_request("GET", "api/v3/me")
me.status, CartoAuth.header(me, "Content-Type"), me.text
carto_request("POST", "api/v2/sql"; body = Dict("q" => "SELECT 1"))
carto_request("POST", "api/v2/sql"; body = "{\\"q\\": \\"SELECT 1\\"}", content_type = "application/json")
```
"""
function carto_request(
    method::AbstractString,
    path::AbstractString;
    query = nothing,
    headers = nothing,
    body = nothing,
    content_type::_OptionalString = nothing,
    content_length::Union{Integer,Nothing} = nothing,
    gzip::Bool = false,
    output::Union{IO,Nothing} = nothing,
    progress = nothing,
    check::Bool = true,
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    streamed = body isa IO
    streamed || content_length === nothing ||
        _invalid("content_length is only used with a streamed (IO) body")
    body === nothing && content_type !== nothing && _invalid("content_type needs a body")
    return _with_client(credentials, client) do active
        return _using(_new_request(method, path)) do request
            _add_query!(request, query)
            _add_headers!(request, headers)
            streamed || body === nothing || _set_body!(request, body, content_type)
            gzip && _check(C.carto_request_set_gzip(request, true))
            return _exchange(
                active,
                request;
                check = check,
                input = streamed ? body : nothing,
                output = output,
                progress = progress,
                content_length = content_length,
                content_type = streamed ? content_type : nothing,
            )
        end
    end
end

# --- SQL API ---------------------------------------------------------------------------------

# Formats whose answer is text; other formats than these and json/geojson come back as bytes.
const _TEXT_FORMATS = ("csv", "svg", "kml")

"""
    carto_sql(query; format="json", verbose=false, raw=false, headers=nothing, progress=nothing,
              credentials=nothing, client=nothing, params...)

Runs a query on CARTO's SQL API (as CARTOframes' `SQLClient.query`): GET for queries shorter
than 1024 bytes, POST (a form) for longer ones, as carto-python does.

Returns, by `format`:
- `"json"` (default): a column table, typed by libcartoauth from CARTO's `fields`: a
  `NamedTuple` of vectors (a Tables.jl column table), one per column, each a
  `Vector{Union{Missing,T}}` (`missing` for NULL): `Int32` (int2, int4), `Int64` (int8),
  `Float64` (float, numeric; NaN and ±Inf), `Bool`, `Dates.DateTime` (timestamp,
  timestamptz, UTC), `Dates.Date`, `Vector{UInt8}` (geometry as WKB) and `String` (the rest);
  with `verbose=true` the whole answer, a `Dict{String,Any}` with `"rows"`, `"fields"`
  (column types), `"total_rows"` and `"time"`;
- `"geojson"`: the FeatureCollection as a `Dict{String,Any}`;
- `"csv"`, `"svg"`, `"kml"`: the text, a `String`;
- any other format the server offers (`"shp"`, `"gpkg"`, ...): the bytes, a `Vector{UInt8}`.
With `raw=true`, JSON and GeoJSON come back as the `String` the server sent.

Other keywords are SQL API parameters: `skipfields`, `dp`, `filename`, `page`,
`rows_per_page` (vectors are joined with commas: `skipfields = ["the_geom", "cartodb_id"]`).
`headers`: extra request headers; `progress`: see [`carto_request`](@ref).

HTTP errors throw a [`CartoError`](@ref) with CARTO's message: `:CARTO_ERR_HTTP_CLIENT_ERROR`
(e.g. a syntax error), `:CARTO_ERR_HTTP_UNAUTHORIZED` (wrong key), `:CARTO_ERR_HTTP_FORBIDDEN`
(e.g. "permission denied for table t"), `:CARTO_ERR_HTTP_NOT_FOUND` (unknown user),
`:CARTO_ERR_HTTP_RATE_LIMITED`, `:CARTO_ERR_HTTP_SERVER_ERROR`; transport failures as in
[`carto_request`](@ref).

```julia
table = carto_sql("SELECT cartodb_id, name FROM my_table ORDER BY 1")
table.name[1]
carto_sql("SELECT * FROM my_table"; format = "csv")
carto_sql("SELECT * FROM my_table"; format = "geojson", rows_per_page = 100, page = 0)
```
"""
function carto_sql(
    query::AbstractString;
    format::AbstractString = "json",
    verbose::Bool = false,
    raw::Bool = false,
    headers = nothing,
    progress = nothing,
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
    params...,
)
    return _with_client(credentials, client) do active
        response = if isempty(params) && headers === nothing && progress === nothing
            _sql(active, query, format)
        else
            _using(_sql_request(query, format)) do request
                _add_params!(request, params)
                _add_headers!(request, headers)
                return _exchange(active, request; progress = progress)
            end
        end
        try
            return _sql_result(response, format, verbose, raw)
        finally
            close(response)
        end
    end
end

function _sql(client::Client, query::AbstractString, format::AbstractString)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_client_sql(client, _cstring(query, "query"), _cstring(format, "format"), out))
    return _checked(Response(_Adopt(), out[]))
end

function _sql_result(response::Response, format::AbstractString, verbose::Bool, raw::Bool)
    kind = lowercase(format)
    if kind == "json" && !verbose && !raw
        return _column_table(response)
    end
    if kind == "json" || kind == "geojson"
        text = _response_text(response)
        raw && return text
        answer = _parse_json(text)
        return answer
    end
    kind in _TEXT_FORMATS && return _response_text(response)
    return _response_body(response)
end

# --- Account -------------------------------------------------------------------------------

"""
    carto_me(; credentials=nothing, client=nothing) -> NamedTuple

Asks `api/v3/me` who the key belongs to: `(username = ..., user_id = ...)`, each a `String`
or `nothing` (CARTO gives the user id only to the master key). HTTP errors throw a
[`CartoError`](@ref) (e.g. `:CARTO_ERR_HTTP_NOT_FOUND` for an unknown user).
"""
function carto_me(;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    return _with_client(credentials, client) do active
        username = Ref{Ptr{UInt8}}(C_NULL)
        user_id = Ref{Ptr{UInt8}}(C_NULL)
        _check(C.carto_client_me(active, username, user_id))
        name = _take_string(username[])
        id = _take_string(user_id[])
        return (username = name, user_id = id)
    end
end

const _VALIDITY = Dict{Int32,Symbol}(
    C.CARTO_KEY_VALID => :valid,
    C.CARTO_KEY_INVALID => :invalid,
    C.CARTO_KEY_UNKNOWN => :unknown,
)

"""
    validate_key(; credentials=nothing, client=nothing) -> Symbol

Asks the server whether the API key is valid (as carto-python does: the Auth API, else a
trivial SQL query): `:valid`, `:invalid`, or `:unknown` when it could not tell (no connection,
a server error, an unknown user). Only an unusable client or credentials throw.
"""
function validate_key(;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    return _with_client(credentials, client) do active
        out = Ref{Int32}(C.CARTO_KEY_UNKNOWN)
        _check(C.carto_client_validate_key(active, out))
        return get(_VALIDITY, out[], :unknown)
    end
end

# --- COPY ------------------------------------------------------------------------------------

"""
    carto_copyto(io::IO, query; progress=nothing, credentials=nothing, client=nothing) -> Int

Runs a `COPY ... TO STDOUT` query on CARTO's COPY API and writes its output to `io` as it
arrives, in constant memory (gigabytes are fine); returns the number of bytes written.
`progress`: see [`carto_request`](@ref). A failure of `io` stops the transfer and is rethrown;
HTTP errors throw a [`CartoError`](@ref) before anything is written.

```julia
open("points.csv", "w") do io
    carto_copyto(io, "COPY (SELECT * FROM points) TO STDOUT WITH (FORMAT csv, HEADER true)")
end
```
"""
function carto_copyto(
    io::IO,
    query::AbstractString;
    progress = nothing,
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    return _with_client(credentials, client) do active
        response = _using(_copy_to_request(query)) do request
            return _exchange(active, request; output = io, progress = progress)
        end
        try
            return _streamed_bytes(response)
        finally
            close(response)
        end
    end
end

"""
    carto_copyfrom(io::IO, query; gzip=false, content_length=nothing, progress=nothing,
                   credentials=nothing, client=nothing) -> Dict{String,Any}

Runs a `COPY table (columns) FROM STDIN` query on CARTO's COPY API with the data read from
`io` until its end, streamed in constant memory (chunked unless `content_length`, the number
of bytes, is given), compressed with gzip when `gzip=true`. Returns CARTO's answer, e.g.
`Dict("total_rows" => 5000, "time" => 0.1)`. A failure of `io` stops the transfer and is
rethrown; HTTP errors (e.g. bad data) throw a [`CartoError`](@ref) with PostgreSQL's message.

```julia
open("points.csv") do io
    carto_copyfrom(io, "COPY points (name, score) FROM STDIN WITH (FORMAT csv, HEADER true)"; gzip = true)
end
```
"""
function carto_copyfrom(
    io::IO,
    query::AbstractString;
    gzip::Bool = false,
    content_length::Union{Integer,Nothing} = nothing,
    progress = nothing,
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    return _with_client(credentials, client) do active
        response = _using(_copy_from_request(query)) do request
            gzip && _check(C.carto_request_set_gzip(request, true))
            return _exchange(
                active,
                request;
                input = io,
                content_length = content_length,
                progress = progress,
            )
        end
        try
            return _parse_json(_response_text(response))
        finally
            close(response)
        end
    end
end
