# The process default, credentials files and profiles, and resolution.

# The library takes paths literally; like R's path.expand (and the R package), a leading "~"
# means the home folder here. ("~user" forms are left alone.)
_expand_home(::Nothing) = nothing

function _expand_home(path::AbstractString)
    home = path == "~" || startswith(path, "~/") || (Sys.iswindows() && startswith(path, "~\\"))
    return home ? expanduser(path) : path
end

const _FORMATS = Dict{Symbol,Int32}(
    :auto => C.CARTO_FILE_FORMAT_AUTO,
    :cartocreds => C.CARTO_FILE_FORMAT_CARTOCREDS,
    :cartoframes => C.CARTO_FILE_FORMAT_CARTOFRAMES,
)

# Where a saved secret goes (CARTO_STORE_*).
const _STORES = Dict{Symbol,Int32}(
    :default => C.CARTO_STORE_DEFAULT,
    :auto => C.CARTO_STORE_AUTO,
    :keychain => C.CARTO_STORE_KEYCHAIN,
    :file => C.CARTO_STORE_FILE,
)

function _store_code(store::Symbol, allowed)
    code = get(_STORES, store, nothing)
    if code === nothing || !(store in allowed)
        names = join((":$a" for a in allowed), ", ")
        throw(CartoError(C.CARTO_ERR_INVALID_ARGUMENT, "store :$store is not one of $names"))
    end
    return code
end

# --- The process-wide default ----------------------------------------------------------------

"""
    set_default_credentials(credentials::Credentials)
    set_default_credentials(first, second=nothing; allow_non_secure=false)
    set_default_credentials(; credentials=nothing, filepath=nothing, username=nothing,
                            base_url=nothing, api_key=nothing, allow_non_secure=false)

Makes credentials the process-wide default, used by [`resolve_credentials`](@ref) (and later
by requests) before the environment and the files. Returns the credentials now set. On error
the previous default is kept.

The positional form follows CARTOframes' `set_default_credentials(first, second)`:
- `first` ends in `.json` (any case): that file is loaded (`second` must be `nothing`);
- `first` starts with `http://` or `https://`: a base URL, `second` the API key;
- any other `first`: a username, `second` the API key;
- `first === nothing` (or no argument at all): the default file of [`config_dir`](@ref)
  (`cartocreds.json`, else `creds.json`) is loaded.

A missing API key means `"default_public"`. An API key given with a file, or alone, is an
error (`:CARTO_ERR_INVALID_ARGUMENT`) rather than silently ignored as in CARTOframes.

```julia
set_default_credentials("johnsmith", "your_api_key")
set_default_credentials("https://johnsmith.carto.com", "your_api_key")
set_default_credentials("./carto-project-credentials.json")
set_default_credentials(Credentials("johnsmith"; api_key = "your_api_key"))
set_default_credentials()          # the saved default file
```
"""
function set_default_credentials(credentials::Credentials)
    _check(C.carto_default_credentials_set(credentials))
    return credentials
end

function set_default_credentials(
    first::_OptionalString,
    second::_OptionalString = nothing;
    allow_non_secure::Bool = false,
)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(
        C.carto_default_credentials_set_from(
            _cstring(_expand_home(first), "first"),
            _cstring(second, "second"),
            allow_non_secure,
            out,
        ),
    )
    return _take_credentials(out)
end

function set_default_credentials(;
    credentials::Union{Credentials,Nothing} = nothing,
    filepath::_OptionalString = nothing,
    username::_OptionalString = nothing,
    base_url::_OptionalString = nothing,
    api_key::_OptionalString = nothing,
    allow_non_secure::Bool = false,
)
    account_given = username !== nothing || base_url !== nothing
    sources = count((credentials !== nothing, filepath !== nothing, account_given))
    if sources > 1
        throw(
            CartoError(
                C.CARTO_ERR_INVALID_ARGUMENT,
                "give only one of credentials, filepath, or username/base_url",
            ),
        )
    end
    if credentials !== nothing || filepath !== nothing
        if api_key !== nothing
            throw(
                CartoError(
                    C.CARTO_ERR_INVALID_ARGUMENT,
                    "an API key cannot be combined with credentials or a credentials file",
                ),
            )
        end
        chosen = credentials === nothing ? credentials_from_file(filepath) : credentials
        return set_default_credentials(chosen)
    end
    if account_given
        chosen = Credentials(;
            username = username,
            api_key = api_key,
            base_url = base_url,
            allow_non_secure = allow_non_secure,
        )
        return set_default_credentials(chosen)
    end
    # Nothing but perhaps an API key: the library loads the default file, or refuses a lone key.
    return set_default_credentials(nothing, api_key; allow_non_secure = allow_non_secure)
end

"""
    get_default_credentials() -> Union{Credentials,Nothing}

The process-wide default credentials, or `nothing` when none are set.
"""
function get_default_credentials()
    out = Ref{Ptr{Cvoid}}(C_NULL)
    status = C.carto_default_credentials_get(out)
    status == C.CARTO_ERR_NO_DEFAULT_CREDENTIALS && return nothing
    _check(status)
    return _take_credentials(out)
end

"""
    unset_default_credentials()

Clears the process-wide default credentials (never fails).
"""
function unset_default_credentials()
    C.carto_default_credentials_unset()
    return nothing
end

# --- Files and profiles ----------------------------------------------------------------------
#
# A location is (path, profile): both `nothing` means the default files of `config_dir()`;
# a path names a file (a leading `~/` is the home folder); a profile names
# `<config dir>/profiles/<profile>.json`; giving both is an error (`:CARTO_ERR_INVALID_ARGUMENT`).

"""
    credentials_from_file(path=nothing; profile=nothing) -> Credentials

Loads credentials from a file or a profile. Every layout CARTOframes ever wrote is read:
cartocreds (`APIKEY`/`USERNAME`/`USERURL`), CARTOframes 1.x `creds.json`
(`username`/`api_key`/`base_url`/`allow_non_secure`) and the 2019 layouts. With no path and no
profile, reads `cartocreds.json`, else `creds.json`, from [`config_dir`](@ref). A file others
can read loads with a warning (`c.warnings`). Throws a [`CartoError`](@ref):
`:CARTO_ERR_FILE_NOT_FOUND`, `:CARTO_ERR_FILE_SYNTAX` (message with path:line:column),
`:CARTO_ERR_FILE_CONTENT` (message names the field), credentials errors, `:CARTO_ERR_IO`.
"""
function credentials_from_file(
    path::_OptionalString = nothing;
    profile::_OptionalString = nothing,
)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(
        C.carto_credentials_load(
            _cstring(_expand_home(path), "path"),
            _cstring(profile, "profile"),
            out,
        ),
    )
    return _take_credentials(out)
end

"""
    save_credentials(credentials, path=nothing; profile=nothing, format=:auto,
                     store=:default) -> String

Saves credentials atomically, readable only by the owner (mode 0600, folders 0700), and
returns the path written. `format`: `:auto` (cartocreds for files, CARTOframes 1.x for profiles
so that Python can load them), `:cartocreds` or `:cartoframes`. With no path and no profile,
`:cartoframes` writes CARTOframes' own `creds.json` and the others `cartocreds.json`.

`store`: where the secret goes. `:default` (`CARTO_CREDENTIAL_STORE`, else `:auto`), `:auto`
(the OS keychain when one answers, else the file, with a warning logged once per process),
`:keychain` (never the file: a [`CartoError`](@ref) `:CARTO_ERR_KEYCHAIN_UNAVAILABLE` or
`:CARTO_ERR_KEYCHAIN_TIMEOUT` instead), `:file` (the plain file Python CARTOframes reads). With
the keychain the file keeps a reference to the item; [`credentials_from_file`](@ref) resolves
it, [`delete_credentials`](@ref) deletes it, [`move_credentials`](@ref) moves it.
"""
function save_credentials(
    credentials::Credentials,
    path::_OptionalString = nothing;
    profile::_OptionalString = nothing,
    format::Symbol = :auto,
    store::Symbol = :default,
)
    code = get(_FORMATS, format, nothing)
    if code === nothing
        throw(
            CartoError(
                C.CARTO_ERR_INVALID_ARGUMENT,
                "format :$format is not one of :auto, :cartocreds, :cartoframes",
            ),
        )
    end
    store_code = _store_code(store, (:default, :auto, :keychain, :file))
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(
        C.carto_credentials_save_as(
            credentials,
            _cstring(_expand_home(path), "path"),
            _cstring(profile, "profile"),
            code,
            store_code,
            out,
        ),
    )
    saved = _take_credentials(out)
    for warning in saved.warnings
        @warn warning
    end
    return saved.path
end

"""
    move_credentials(path=nothing; profile=nothing, to) -> Credentials

Moves the secret of stored credentials into the OS keychain (`to=:keychain`; the file keeps a
reference to the item) or back into the file in plain text (`to=:file`, as Python CARTOframes
reads it; the item is deleted), keeping the file's layout, other fields and unknown keys.
Returns the credentials as now stored (their `storage` says where).
"""
function move_credentials(
    path::_OptionalString = nothing;
    profile::_OptionalString = nothing,
    to::Symbol,
)
    store_code = _store_code(to, (:keychain, :file))
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(
        C.carto_credentials_move(
            _cstring(_expand_home(path), "path"),
            _cstring(profile, "profile"),
            store_code,
            out,
        ),
    )
    return _take_credentials(out)
end

"""
    update_credentials_file(path=nothing; profile=nothing, username=nothing, api_key=nothing,
                            base_url=nothing, allow_non_secure=nothing) -> String

Changes a saved file in place (e.g. to rotate its API key), keeping its layout, its other
fields, their order and any unknown keys; `nothing` keeps a value. The result must still be
valid credentials, or nothing is written. Returns the path written.
"""
function update_credentials_file(
    path::_OptionalString = nothing;
    profile::_OptionalString = nothing,
    username::_OptionalString = nothing,
    api_key::_OptionalString = nothing,
    base_url::_OptionalString = nothing,
    allow_non_secure::Union{Bool,Nothing} = nothing,
)
    flag = allow_non_secure === nothing ? C.CARTO_KEEP : Int32(allow_non_secure)
    out = Ref{Ptr{UInt8}}(C_NULL)
    _check(
        C.carto_credentials_file_update(
            _cstring(_expand_home(path), "path"),
            _cstring(profile, "profile"),
            _cstring(username, "username"),
            _cstring(api_key, "api_key"),
            _cstring(base_url, "base_url"),
            flag,
            out,
        ),
    )
    return _take_string(out[])
end

"""
    delete_credentials(path=nothing; profile=nothing)

Deletes a credentials file or profile; with no path and no profile, both default files
(`cartocreds.json` and `creds.json`). Nothing to delete is a [`CartoError`](@ref) with name
`:CARTO_ERR_FILE_NOT_FOUND`, so "already gone" can be told from a failure.
"""
function delete_credentials(path::_OptionalString = nothing; profile::_OptionalString = nothing)
    _check(
        C.carto_credentials_file_delete(
            _cstring(_expand_home(path), "path"),
            _cstring(profile, "profile"),
        ),
    )
    return nothing
end

"""
    credentials_file_path(path=nothing; profile=nothing) -> String

The file a location designates: the path itself, the profile's file, or the default file that
[`credentials_from_file`](@ref) would read. Nothing is read or created.
"""
function credentials_file_path(
    path::_OptionalString = nothing;
    profile::_OptionalString = nothing,
)
    out = Ref{Ptr{UInt8}}(C_NULL)
    _check(
        C.carto_credentials_file_path(
            _cstring(_expand_home(path), "path"),
            _cstring(profile, "profile"),
            out,
        ),
    )
    return _take_string(out[])
end

"""
    config_dir() -> String

The configuration folder: `ENV["CARTO_CONFIG_DIR"]`, else CARTOframes' own
(`~/.config/cartoframes` on Linux, `~/Library/Application Support/cartoframes` on macOS).
"""
function config_dir()
    out = Ref{Ptr{UInt8}}(C_NULL)
    _check(C.carto_config_dir(out))
    return _take_string(out[])
end

"""
    profiles() -> Vector{String}

The names of the saved profiles, sorted.
"""
function profiles()
    out = Ref{Ptr{UInt8}}(C_NULL)
    _check(C.carto_profiles_list(out))
    listing = something(_take_string(out[]), "")
    return isempty(listing) ? String[] : String[String(name) for name in split(listing, '\n')]
end

# --- Resolution ------------------------------------------------------------------------------

"""
    resolve_credentials(credentials=nothing) -> Credentials

The credentials to use, in this order: `credentials` when given; the process default
([`set_default_credentials`](@ref)); the environment (`CARTO_USERNAME` and/or `CARTO_BASE_URL`
with `CARTO_API_KEY` and `CARTO_ALLOW_NON_SECURE`, else `CARTO_CREDENTIALS_FILE`, else
`CARTO_PROFILE`); the default files of [`config_dir`](@ref). The result tells where it came
from (`c.source`, `c.origin`, `c.path`, `c.profile`) and carries warnings (`c.warnings`).

A source that is named but broken is an error, not skipped. When nothing is found, the
[`CartoError`](@ref) (`:CARTO_ERR_NOT_RESOLVED`) lists every place tried.
"""
function resolve_credentials(credentials::Union{Credentials,Nothing} = nothing)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    explicit = credentials === nothing ? C_NULL : credentials
    _check(C.carto_resolve(explicit, out))
    return _take_credentials(out)
end
