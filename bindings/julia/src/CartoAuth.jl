"""
    CartoAuth

CARTO credentials for Julia with CARTOframes' semantics: create them, save and load them
(every layout CARTOframes ever wrote, plus named profiles), set a process-wide default, and
resolve the credentials to use from the default, the environment or the files, with where they
came from; then send authenticated requests with them: `carto_sql`, `carto_request`,
`carto_me`, `validate_key`, and streamed COPY with `carto_copyto` / `carto_copyfrom`, through
a `Client`. A thin wrapper over the C ABI of the Rust library `libcartoauth`
(`include/cartoauth.h` in the cartoauth repository).

The library is found when the package is loaded: `ENV["CARTOAUTH_LIB"]` (its full path), else
`ENV["CARTOAUTH_LIB_DIR"]` (its folder), else the repository's `target/release`.

Every failure throws a [`CartoError`](@ref). No API key is ever printed.
"""
module CartoAuth

export Credentials,
    CartoError,
    set_default_credentials,
    get_default_credentials,
    unset_default_credentials,
    credentials_from_file,
    save_credentials,
    update_credentials_file,
    delete_credentials,
    move_credentials,
    credentials_file_path,
    resolve_credentials,
    config_dir,
    profiles,
    Client,
    Response,
    carto_request,
    carto_sql,
    carto_sql_chunks,
    ResultChunks,
    carto_me,
    validate_key,
    carto_copyto,
    carto_copyfrom,
    BatchJob,
    carto_batch_create,
    carto_batch_status,
    carto_batch_cancel,
    carto_batch_wait,
    ApiKey,
    carto_api_keys,
    carto_api_key,
    carto_api_key_create,
    carto_api_key_regenerate,
    carto_api_key_delete,
    DoCredentials,
    carto_do_credentials,
    carto3_credentials,
    credential_kind,
    carto_token,
    carto_token_expiry,
    sign_in,
    sign_out,
    carto_sitrep,
    carto_sql_v3

import Dates
import JSON
import Tables

include("LibCartoAuth.jl")

# The C layer, as `C.carto_...`.
const C = LibCartoAuth

"The ABI version of the C header this package was written for."
const ABI_VERSION = C.CARTO_ABI_VERSION

include("errors.jl")
include("handles.jl")
include("credentials.jl")
include("store.jl")
include("client.jl")
include("response.jl")
include("request.jl")
include("api.jl")
include("platform.jl")
include("result.jl")
include("reader.jl")
include("carto3.jl")

"""
    library_path() -> String

The path of the loaded `libcartoauth`.
"""
library_path() = C.library_path()

"""
    library_version() -> String

The version of the loaded library, e.g. "0.1.0".
"""
library_version() = something(_copy_string(C.carto_version()), "")

function __init__()
    # At load time, never at precompile time: the library path may differ between sessions.
    C.load!()
    return nothing
end

end # module CartoAuth
