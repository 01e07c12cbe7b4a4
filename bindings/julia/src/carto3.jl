# CARTO 3: credentials of each kind, tokens, the browser sign-in, the situation report and the
# SQL API v3. The rules (platforms, the token cache, refresh windows, the state check) are the
# library's; this converts arguments and results.

"""
    carto3_credentials(; api_base_url=ENV["CARTO_API_BASE_URL"], token=nothing,
                       client_id=nothing, client_secret=nothing, sign_in=false,
                       organization=nothing, auth_url=nothing, declare_carto3=false,
                       allow_non_secure=false) -> Credentials

CARTO 3 credentials (the `/v3` APIs, Bearer tokens) of one kind: a `token` sent as given, an
M2M client (`client_id` and `client_secret`: tokens minted as needed, cached between processes
and refreshed before they expire), or a user who signs in with a browser (`sign_in=true`, see
[`sign_in`](@ref)). A token is never sent to a CARTO 2 host: an `api_base_url` that does not
say CARTO 3 (`*.api.carto.com`, a path ending in `/api`) is refused unless `declare_carto3`.
"""
function carto3_credentials(;
    api_base_url::AbstractString = get(ENV, "CARTO_API_BASE_URL", ""),
    token::Union{AbstractString,Nothing} = nothing,
    client_id::Union{AbstractString,Nothing} = nothing,
    client_secret::Union{AbstractString,Nothing} = nothing,
    sign_in::Bool = false,
    organization::Union{AbstractString,Nothing} = nothing,
    auth_url::Union{AbstractString,Nothing} = nothing,
    declare_carto3::Bool = false,
    allow_non_secure::Bool = false,
)
    kinds = (token !== nothing) + (client_secret !== nothing) + sign_in
    kinds == 1 || _invalid("give exactly one of token, client_secret (with client_id) or sign_in=true")
    url = _cstring(api_base_url, "api_base_url")
    out = Ref{Ptr{Cvoid}}(C_NULL)
    status = if token !== nothing
        C.carto_credentials_new_access_token(
            url,
            _cstring(token, "token"),
            declare_carto3,
            allow_non_secure,
            out,
        )
    elseif client_secret !== nothing
        C.carto_credentials_new_m2m(
            url,
            _cstring(client_id, "client_id"),
            _cstring(client_secret, "client_secret"),
            _cstring(auth_url, "auth_url"),
            declare_carto3,
            allow_non_secure,
            out,
        )
    else
        C.carto_credentials_new_oauth_user(
            url,
            _cstring(client_id, "client_id"),
            _cstring(organization, "organization"),
            _cstring(auth_url, "auth_url"),
            declare_carto3,
            allow_non_secure,
            out,
        )
    end
    _check(status)
    return _take_credentials(out)
end

"""
    credential_kind(credentials) -> Symbol

`:api_key` (CARTO 2), `:access_token`, `:oauth_user` or `:m2m`.
"""
function credential_kind(credentials::Credentials)
    kind = Ref{Int32}(0)
    _check(C.carto_credentials_kind(credentials, kind))
    return (:api_key, :access_token, :oauth_user, :m2m)[kind[]+1]
end

_expiry(seconds::Int64) = seconds < 0 ? nothing : Dates.unix2datetime(seconds)

"""
    carto_token(; credentials=nothing, client=nothing) -> (token, expires_at)

A CARTO 3 token valid now (from the token cache, minted first when it holds none that needs no
refresh), for a tool that sends it itself, and its expiry (`Dates.DateTime` UTC, or `nothing`
for a static token that is not a JWT).
"""
function carto_token(;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    return _with_client(credentials, client) do active
        token = Ref{Ptr{UInt8}}(C_NULL)
        expires = Ref{Int64}(-1)
        _check(C.carto_client_access_token(active, token, expires))
        return (something(_take_string(token[]), ""), _expiry(expires[]))
    end
end

"""
    carto_token_expiry(; credentials=nothing, client=nothing) -> Union{DateTime,Nothing}

When the cached CARTO 3 token expires, without asking any server (`nothing`: none cached).
"""
function carto_token_expiry(;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    return _with_client(credentials, client) do active
        expires = Ref{Int64}(-1)
        _check(C.carto_client_token_expiry(active, expires))
        return _expiry(expires[])
    end
end

"""
    sign_out(; credentials=nothing, client=nothing) -> Bool

Forgets the cached CARTO 3 token, here and for every other process; whether one was cached.
"""
function sign_out(; credentials::Union{Credentials,Nothing} = nothing, client::Union{Client,Nothing} = nothing)
    return _with_client(credentials, client) do active
        had = Ref{Bool}(false)
        _check(C.carto_client_forget_token(active, had))
        return had[]
    end
end

# What the keep-waiting callback of carto_signin_wait caught (a Ctrl-C), rethrown after the
# library returned: nothing may unwind through its frames.
mutable struct _Waiting
    failure::Any
end

# carto_signin_wait's callback, every 50 ms: the safepoint is where a Ctrl-C that arrived
# during the ccall surfaces as an InterruptException, which stops the wait.
function _keep_waiting(user_data::Ptr{Cvoid})::Cint
    try
        GC.safepoint()
        return Cint(0)
    catch failure
        # fatou-ignore discouraged-function: user_data is the address of the _Waiting that sign_in preserves for the whole call
        waiting = unsafe_pointer_to_objref(user_data)::_Waiting
        waiting.failure = failure
        return Cint(1)
    end
end

"""
    sign_in(; credentials=nothing, client=nothing, flow=:auto, timeout=300,
            open_browser=true) -> Union{DateTime,Nothing}

Signs the user of CARTO 3 sign-in credentials in (OAuth 2.0 with PKCE): the browser flow waits
for the browser on a listener on this machine; the paste flow (chosen where no browser can
reach it: SSH, CI, Colab, a remote session) reads the address the browser ends on, or the code
it shows, from standard input. The `state` is checked. The token goes to the token cache for
every later session and process. A non-interactive session is never prompted: it gets a
`CartoError` (`:CARTO_ERR_SIGNIN_REQUIRED`) naming the non-interactive ways. Returns when the
token expires.
"""
function sign_in(;
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
    flow::Symbol = :auto,
    timeout::Real = 300,
    open_browser::Bool = true,
)
    codes = (auto = C.CARTO_SIGNIN_AUTO, browser = C.CARTO_SIGNIN_BROWSER, paste = C.CARTO_SIGNIN_PASTE)
    haskey(codes, flow) || _invalid("flow must be :auto, :browser or :paste")
    isinteractive() || throw(
        CartoError(
            C.CARTO_ERR_SIGNIN_REQUIRED,
            "a CARTO 3 sign-in needs someone at the browser, and this Julia session is not " *
            "interactive. Use CARTO_API_TOKEN with CARTO_API_BASE_URL, an M2M client " *
            "(CARTO_M2M_CLIENT_ID and CARTO_M2M_CLIENT_SECRET), or sign in once " *
            "interactively (`cartoauth login --carto3`): the token is cached and shared.",
        ),
    )
    return _with_client(credentials, client) do active
        out = Ref{Ptr{Cvoid}}(C_NULL)
        _check(C.carto_signin_begin(active, codes[flow], out))
        signin = out[]
        try
            url = Ref{Ptr{UInt8}}(C_NULL)
            chosen = Ref{Int32}(0)
            _check(C.carto_signin_authorize_url(signin, url))
            _check(C.carto_signin_flow(signin, chosen))
            address = something(_copy_string(url[]), "")
            expires = Ref{Int64}(-1)
            if chosen[] == C.CARTO_SIGNIN_BROWSER
                @info "Sign in to CARTO in your browser" address
                open_browser && _open_browser(address)
                waiting = _Waiting(nothing)
                callback = @cfunction(_keep_waiting, Cint, (Ptr{Cvoid},))
                milliseconds = UInt64(round(timeout * 1000))
                status = GC.@preserve waiting begin
                    C.carto_signin_wait(signin, milliseconds, callback, pointer_from_objref(waiting), expires)
                end
                status == C.CARTO_OK || (message = _last_error_message())
                waiting.failure === nothing || throw(waiting.failure)
                status == C.CARTO_OK || throw(CartoError(status, message))
            else
                @info "Open this address in a browser and sign in, then paste the address it ends on (or the code)" address
                pasted = readline(stdin)
                _check(C.carto_signin_finish_pasted(signin, _cstring(pasted, "pasted"), expires))
            end
            return _expiry(expires[])
        finally
            C.carto_signin_free(signin)
        end
    end
end

function _open_browser(url::AbstractString)
    command = Sys.isapple() ? `open $url` : Sys.iswindows() ? `cmd /c start "" $url` : `xdg-open $url`
    try
        run(pipeline(command; stdout = devnull, stderr = devnull); wait = false)
    catch
        @info "No browser could be started: open the address yourself"
    end
    return nothing
end

"""
    carto_sitrep() -> Dict

A situation report, without asking any server: the credentials resolution would use (masked)
and where they come from, the sources tried before and those hidden behind them, and for CARTO
3 the token cache and when its token expires. Printed, and returned.
"""
function carto_sitrep()
    json = Ref{Ptr{UInt8}}(C_NULL)
    _check(C.carto_resolve_explained(json))
    report = JSON.parse(something(_take_string(json[]), "{}"))
    credentials = report["credentials"]
    if credentials === nothing
        println("No credentials: ", report["error"])
    else
        println("Credentials: ", credentials["description"])
        println("Platform:    CARTO ", credentials["platform"], " (", credentials["kind"], ")")
        println("From:        ", credentials["origin"])
    end
    token = report["token"]
    if token !== nothing
        println("Token cache: ", something(token["cache"], "none"))
        expires = token["expires_at"]
        println("Token:       ", expires === nothing ? "none cached" : "expires $(Dates.unix2datetime(expires)) UTC")
    end
    println("Sources tried, in order:")
    for source in report["tried"]
        println("  - ", source)
    end
    return report
end

"""
    carto_sql_v3(query; connection="carto_dw", params=nothing, credentials=nothing,
                 client=nothing)

Runs `query` on CARTO 3's SQL API (`/v3/sql/{connection}/query`; GET while the URL stays within
7000 characters, POST beyond) and returns the rows as a column table (a NamedTuple of vectors,
typed from CARTO's schema as [`carto_sql`](@ref) types CARTO 2's). `params` is a vector
(`\$1` placeholders) or a Dict (`@name`), sent as JSON.
"""
function carto_sql_v3(
    query::AbstractString;
    connection::AbstractString = "carto_dw",
    params = nothing,
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    parameters = params === nothing ? nothing : JSON.json(params)
    return _with_client(credentials, client) do active
        out = Ref{Ptr{Cvoid}}(C_NULL)
        _check(
            C.carto_client_sql_v3(
                active,
                _cstring(connection, "connection"),
                _cstring(query, "query"),
                _cstring(parameters, "params"),
                out,
            ),
        )
        return _column_table(out[])
    end
end
