# Shared helpers of the CartoAuth tests.

# CARTOframes' unit-test fixtures, and a long, distinctive key for the redaction tests.
const FAKE_USER = "fake_user"
const FAKE_KEY = "fake_api_key"
const FAKE_BASE_URL = "https://fake_user.carto.com/"
const ONPREM_BASE_URL = "https://turtleland.com/user/fake_user"
const SECRET_KEY = "Wv8kQ2REDACTED5e4d3c2b1a09f8e7d6c5b4a3SECRETKEY"

const CARTO_VARIABLES = [
    "CARTO_USERNAME",
    "CARTO_API_KEY",
    "CARTO_BASE_URL",
    "CARTO_ALLOW_NON_SECURE",
    "CARTO_PROFILE",
    "CARTO_CREDENTIALS_FILE",
]

"""
    sandbox(f)

Runs `f(dir)` with a private, empty configuration folder `dir` in `CARTO_CONFIG_DIR`, none of
the caller's `CARTO_*` variables, secrets saved to the files (`CARTO_CREDENTIAL_STORE=file`) and
no default credentials; everything is restored after.
"""
function sandbox(f)
    dir = mktempdir()
    try
        unset = [name => nothing for name in CARTO_VARIABLES]
        # Secrets in the files the tests look at, never in the keychain of the machine running
        # them (keychain.jl starts a keychain of its own).
        withenv("CARTO_CONFIG_DIR" => dir, "CARTO_CREDENTIAL_STORE" => "file", unset...) do
            unset_default_credentials()
            try
                f(dir)
            finally
                unset_default_credentials()
            end
        end
    finally
        rm(dir; recursive = true, force = true)
    end
    return nothing
end

"The exception `f()` throws, or `nothing`."
function error_of(f)
    try
        f()
    catch err
        return err
    end
    return nothing
end

"The `name` of the CartoError `f()` throws; otherwise what it threw or returned (to show)."
function carto_error_name(f)
    err = error_of(f)
    return err isa CartoError ? err.name : err
end

"Writes `text` to `path`, readable by its owner only, and returns the path."
function write_private(path::AbstractString, text::AbstractString)
    mkpath(dirname(path))
    write(path, text)
    chmod(path, 0o600)
    return path
end

"Whether `text` shows neither `key` nor a long part of it."
function shows_no_key(text::AbstractString, key::AbstractString = SECRET_KEY)
    return !occursin(key, text) && !occursin(key[5:20], text)
end

"Creates credentials nothing refers to, for the garbage collector."
@noinline function make_garbage(count::Integer)
    for index in 1:count
        Credentials("user$index"; api_key = "key-$index")
    end
    return nothing
end

"The number of live handles once every unreachable handle was finalized."
function settled_handle_count()
    GC.gc(true)
    GC.gc(true)
    return CartoAuth.handle_count()
end

"Collects garbage until at most `target` handles are alive (or gives up); returns the count."
function collect_until(target::Integer)
    for _ in 1:50
        GC.gc(true)
        CartoAuth.handle_count() <= target && break
        sleep(0.02) # finalizers queued on other threads get a chance to run
    end
    return CartoAuth.handle_count()
end

"""
    run_julia(code) -> (exitcode, stdout, stderr)

Runs `code` in a fresh Julia process that uses the same environment as this one (so
`using CartoAuth` loads this package) and inherits `ENV` as it is now.
"""
function run_julia(code::AbstractString)
    project = something(Base.active_project(), "@.")
    out = tempname()
    err = tempname()
    try
        cmd = `$(Base.julia_cmd()) --startup-file=no --color=no --project=$project -e $code`
        process = run(pipeline(ignorestatus(cmd); stdout = out, stderr = err))
        return (process.exitcode, read(out, String), read(err, String))
    finally
        rm(out; force = true)
        rm(err; force = true)
    end
end
