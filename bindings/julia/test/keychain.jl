# Secrets in the OS keychain through the C ABI: a machine where no keychain answers, then a
# real Secret Service (gnome-keyring, unlocked, on a session bus this test starts and stops),
# then a stub that owns the Secret Service's name and never replies. runtests.jl calls
# keychain_tests(). Needs dbus-daemon, dbus-send, gnome-keyring-daemon, secret-tool and python3
# with python3-dbus (scripts/install-deps.sh); without them the tests are skipped with the
# reason, except under CARTOAUTH_REQUIRE_INTEROP=1 (CI), where they fail.

const KEYCHAIN_KEY = "7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b"
const KEYCHAIN_TOOLS = ["dbus-daemon", "dbus-send", "gnome-keyring-daemon", "secret-tool", "python3"]

"A session bus of the test's own, with the processes on it (stopped by `stop_bus`)."
struct TestBus
    address::String
    processes::Vector{Base.Process}
end

"Waits until `path` holds a line, and returns it (or errors after 10 s)."
function first_line(path::AbstractString, what::AbstractString)
    for _ in 1:200
        if isfile(path)
            lines = readlines(path)
            isempty(lines) || return strip(lines[1])
        end
        sleep(0.05)
    end
    error("$what did not start within 10 s")
end

function start_bus(dir::AbstractString)
    address_file = joinpath(dir, "bus-address")
    socket = joinpath(dir, "bus")
    daemon = run(
        pipeline(
            `dbus-daemon --session --nofork --print-address=1 --address=unix:path=$socket`;
            stdout = address_file,
            stderr = devnull,
        );
        wait = false,
    )
    return TestBus(first_line(address_file, "dbus-daemon"), [daemon])
end

"The name of the Secret Service is owned on `bus`."
function secrets_owned(bus::TestBus)
    cmd = addenv(
        `dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets`,
        "DBUS_SESSION_BUS_ADDRESS" => bus.address,
    )
    return occursin("boolean true", read(ignorestatus(cmd), String))
end

"Starts an unlocked gnome-keyring keeping its keyrings under `home` on `bus`."
function start_keyring!(bus::TestBus, home::AbstractString)
    run_dir = joinpath(home, "run")
    mkpath(run_dir)
    chmod(run_dir, 0o700)
    password = joinpath(home, "password")
    write(password, "ci-pass") # --unlock reads it from standard input, to its end
    cmd = addenv(
        `gnome-keyring-daemon --foreground --unlock --components=secrets`,
        "DBUS_SESSION_BUS_ADDRESS" => bus.address,
        "HOME" => home,
        "XDG_RUNTIME_DIR" => run_dir,
    )
    keyring = run(pipeline(cmd; stdin = password, stdout = devnull, stderr = devnull); wait = false)
    push!(bus.processes, keyring)
    for _ in 1:400
        secrets_owned(bus) && break
        sleep(0.05)
    end
    # The settle of gnome-keyring's start-up race: a keyring used at once fails now and then.
    sleep(1)
    return keyring
end

"Starts, on `bus`, a stub that owns the Secret Service's name and never answers a call."
function start_silent_stub!(bus::TestBus, dir::AbstractString)
    script = join(
        [
            "import dbus, sys, time",
            "bus = dbus.SessionBus()",
            "bus.request_name('org.freedesktop.secrets', dbus.bus.NAME_FLAG_DO_NOT_QUEUE)",
            "print('ready', flush=True)",
            "time.sleep(120)",
        ],
        "\n",
    )
    ready = joinpath(dir, "stub-ready")
    cmd = addenv(`/usr/bin/python3 -c $script`, "DBUS_SESSION_BUS_ADDRESS" => bus.address)
    stub = run(pipeline(cmd; stdout = ready, stderr = devnull); wait = false)
    push!(bus.processes, stub)
    first_line(ready, "the silent Secret Service stub (python3-dbus)") == "ready" ||
        error("the stub did not start")
    return stub
end

function stop_bus(bus::TestBus)
    for process in reverse(bus.processes) # the services first, then the bus
        process_running(process) && kill(process)
        wait(process)
    end
end

"The secret of cartoauth's item `item` as secret-tool finds it on the current bus, or nothing."
function secret_tool_lookup(item::AbstractString)
    out = IOBuffer()
    process = run(pipeline(ignorestatus(`secret-tool lookup service cartoauth username $item`); stdout = out, stderr = devnull))
    found = String(take!(out))
    return success(process) && !isempty(found) ? found : nothing
end

"Every file under `dirs` whose bytes hold `secret` (the test's grep)."
function files_holding(dirs, secret::AbstractString)
    found = String[]
    for dir in dirs, (root, _, files) in walkdir(dir), file in files
        path = joinpath(root, file)
        isfile(path) && !islink(path) && occursin(secret, String(read(path))) && push!(found, path)
    end
    return found
end

function keychain_tests()
    missing_tools = filter(tool -> Sys.which(tool) === nothing, KEYCHAIN_TOOLS)
    if !isempty(missing_tools)
        reason = "not installed: " * join(missing_tools, ", ")
        get(ENV, "CARTOAUTH_REQUIRE_INTEROP", "") == "1" && error(reason)
        @info "Skipped the keychain tests: $reason"
        @test_skip :keychain_round_trip
        return nothing
    end

    @testset "where no keychain answers, saving warns once and records storage :file" begin
        sandbox() do dir
            withenv(
                "CARTO_CREDENTIAL_STORE" => "auto",
                "DBUS_SESSION_BUS_ADDRESS" => "unix:path=$(joinpath(dir, "no-bus"))",
            ) do
                creds = Credentials("jo", KEYCHAIN_KEY)
                started = time()
                written = @test_logs (:warn, r"plain text") save_credentials(creds; profile = "a")
                @test time() - started < 1
                @test isfile(written)
                @test credentials_from_file(; profile = "a").storage === :file
                # Announced once per process.
                @test_logs save_credentials(creds; profile = "b")
                err = error_of(() -> save_credentials(creds; profile = "k", store = :keychain))
                @test err isa CartoError && err.name === :CARTO_ERR_KEYCHAIN_UNAVAILABLE
                @test !isfile(credentials_file_path(; profile = "k"))
                err = error_of(() -> move_credentials(; profile = "a", to = :keychain))
                @test err isa CartoError && err.name === :CARTO_ERR_KEYCHAIN_UNAVAILABLE
                @test carto_error_name(() -> save_credentials(creds; profile = "x", store = :vault)) ===
                      :CARTO_ERR_INVALID_ARGUMENT
                @test carto_error_name(() -> move_credentials(; profile = "a", to = :auto)) ===
                      :CARTO_ERR_INVALID_ARGUMENT
            end
        end
    end

    @testset "a key saved from Julia lives in the keychain only, resolves everywhere, goes with its file" begin
        sandbox() do config
            home = mktempdir()
            bus = start_bus(home)
            try
                start_keyring!(bus, home)
                withenv("CARTO_CREDENTIAL_STORE" => "auto", "DBUS_SESSION_BUS_ADDRESS" => bus.address) do
                    written = @test_logs save_credentials(Credentials("jo", KEYCHAIN_KEY); profile = "work")
                    loaded = credentials_from_file(; profile = "work")
                    @test loaded.path == written
                    @test loaded.api_key == KEYCHAIN_KEY
                    @test loaded.storage === :keychain
                    item = loaded.keychain_item
                    @test occursin(r"^api_key/[0-9a-f]{12}/[0-9a-f]{16}$", item)
                    @test secret_tool_lookup(item) == KEYCHAIN_KEY
                    @test isempty(files_holding((config, home), KEYCHAIN_KEY))
                    @test shows_no_key(sprint(show, loaded), KEYCHAIN_KEY)

                    # The resolution order resolves it too.
                    withenv("CARTO_PROFILE" => "work") do
                        resolved = resolve_credentials()
                        @test resolved.api_key == KEYCHAIN_KEY
                        @test resolved.storage === :keychain
                    end

                    # Moved to a plain file for Python CARTOframes, and back.
                    moved = move_credentials(; profile = "work", to = :file)
                    @test moved.storage === :file
                    @test secret_tool_lookup(item) === nothing
                    @test length(files_holding((config, home), KEYCHAIN_KEY)) == 1
                    moved = move_credentials(; profile = "work", to = :keychain)
                    @test moved.storage === :keychain
                    @test secret_tool_lookup(moved.keychain_item) == KEYCHAIN_KEY
                    @test isempty(files_holding((config, home), KEYCHAIN_KEY))

                    save_credentials(Credentials("jo", KEYCHAIN_KEY); profile = "kept")
                    delete_credentials(; profile = "work")
                    @test secret_tool_lookup(moved.keychain_item) === nothing
                    @test !isfile(written)
                    kept = credentials_from_file(; profile = "kept")
                    @test secret_tool_lookup(kept.keychain_item) == KEYCHAIN_KEY
                    @test isempty(files_holding((config, home), KEYCHAIN_KEY))

                    # The keychain stops answering: a stub holds its name and never replies.
                    keyring = pop!(bus.processes)
                    kill(keyring)
                    wait(keyring)
                    start_silent_stub!(bus, home)
                    started = time()
                    err = error_of(() -> credentials_from_file(; profile = "kept"))
                    @test time() - started <= 3.5
                    @test err isa CartoError && err.name === :CARTO_ERR_KEYCHAIN_TIMEOUT
                    @test shows_no_key(err.message, KEYCHAIN_KEY)
                    started = time()
                    err = error_of(() -> save_credentials(Credentials("jo", KEYCHAIN_KEY); profile = "forced", store = :keychain))
                    @test time() - started <= 3.5
                    @test err isa CartoError && err.name === :CARTO_ERR_KEYCHAIN_TIMEOUT
                    @test !isfile(credentials_file_path(; profile = "forced"))
                end
            finally
                stop_bus(bus)
                rm(home; recursive = true, force = true)
            end
        end
    end
    return nothing
end
