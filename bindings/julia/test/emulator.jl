# The local CARTO server (carto-emulator) for the tests of HTTP requests.

"""
    find_emulator() -> Union{String,Nothing}

The carto-emulator executable: `ENV["CARTO_EMULATOR"]`, else the repository's
`target/release` or `target/debug`, else `carto-emulator` on the PATH.
"""
function find_emulator()
    explicit = get(ENV, "CARTO_EMULATOR", "")
    isempty(explicit) || return isfile(explicit) ? explicit : nothing
    root = normpath(joinpath(@__DIR__, "..", "..", ".."))
    name = Sys.iswindows() ? "carto-emulator.exe" : "carto-emulator"
    for profile in ("release", "debug")
        path = joinpath(root, "target", profile, name)
        isfile(path) && return path
    end
    return Sys.which(name)
end

"""
A running emulator: its process, its root URL, the base URL of its `demo` account and the
token of its admin API (`/_emulator/...`, and per-request faults with `X-Emulator-Fault`).
"""
struct Emulator
    process::Base.Process
    root_url::String
    base_url::String
    admin_token::String
end

"""
    start_emulator(; timeout=180) -> Union{Emulator,String}

Starts a fresh emulator on a free port and waits for the root URL it prints first. Returns the
reason as a `String` when it cannot be found or does not start.
"""
function start_emulator(; timeout::Real = 180)
    exe = find_emulator()
    exe === nothing &&
        return "no carto-emulator executable (set CARTO_EMULATOR, or build it with " *
               "`cargo build --release -p carto-emulator` in the repository)"
    # --exit-on-stdin-eof: the server stops when this process goes away, whatever happens.
    # The admin token is chosen here so that no file has to be read to inject faults.
    admin_token = string("julia-tests-", getpid(), "-", time_ns())
    process = open(`$exe --fresh --port 0 --exit-on-stdin-eof --admin-token $admin_token`, "r+")
    first_line = Ref("")
    reader = @async (first_line[] = readline(process))
    if timedwait(() -> istaskdone(reader), float(timeout)) !== :ok || !startswith(first_line[], "http")
        stop_emulator(process)
        return "carto-emulator ($exe) did not print its URL within $(timeout) s"
    end
    root = rstrip(strip(first_line[]), '/')
    return Emulator(process, root, string(root, "/user/demo"), admin_token)
end

stop_emulator(emulator::Emulator) = stop_emulator(emulator.process)

function stop_emulator(process::Base.Process)
    try
        close(process.in)
    catch
    end
    for _ in 1:100
        process_running(process) || return nothing
        sleep(0.05)
    end
    kill(process)
    wait(process)
    return nothing
end
