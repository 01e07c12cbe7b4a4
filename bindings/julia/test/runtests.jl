# Tests of CartoAuth: julia --project=bindings/julia -e 'using Pkg; Pkg.test()'
# They need the library (cargo build --release --lib, or CARTOAUTH_LIB / CARTOAUTH_LIB_DIR).
# The tests of HTTP requests also start the local CARTO server when it is available.

using Test
using CartoAuth
using CartoAuth: CartoHandle, handle_count

include("helpers.jl")
include("emulator.jl")
# test/http.jl defines http_tests(server::Emulator), the tests of the HTTP functions.
const HTTP_TESTS = joinpath(@__DIR__, "http.jl")
isfile(HTTP_TESTS) && include(HTTP_TESTS)
include("platform.jl")
include("keychain.jl")
include("carto3.jl")

@testset "CartoAuth" begin
    @testset "the library" begin
        @test isfile(CartoAuth.library_path())
        @test occursin(r"^\d+\.\d+\.\d+", CartoAuth.library_version())
        @test CartoAuth.LibCartoAuth.carto_abi_version() == CartoAuth.ABI_VERSION
        symbols = CartoAuth.LibCartoAuth._SYMBOLS[]
        @test all(name -> haskey(symbols, name), CartoAuth.LibCartoAuth.C_FUNCTIONS)

        check_abi = CartoAuth.LibCartoAuth.check_abi
        @test check_abi(CartoAuth.ABI_VERSION, "/lib/x.so", "a test") === nothing
        newer = error_of(() -> check_abi(CartoAuth.ABI_VERSION + 1, "/lib/x.so", "a test"))
        @test newer isa ErrorException
        @test occursin("newer than", newer.msg) && occursin("/lib/x.so", newer.msg)
        @test occursin("a test", newer.msg)
        older = error_of(() -> check_abi(CartoAuth.ABI_VERSION - 1, "/lib/x.so", "a test"))
        @test older isa ErrorException && occursin("older than", older.msg)
    end

    @testset "the library is found at run time" begin
        found = CartoAuth.library_path()
        show_path = "using CartoAuth; print(CartoAuth.library_path())"
        withenv("CARTOAUTH_LIB" => found, "CARTOAUTH_LIB_DIR" => nothing) do
            code, out, err = run_julia(show_path)
            @test code == 0 || err
            @test out == found
        end
        withenv("CARTOAUTH_LIB" => nothing, "CARTOAUTH_LIB_DIR" => dirname(found)) do
            code, out, _ = run_julia(show_path)
            @test code == 0
            @test out == joinpath(dirname(found), basename(found))
        end
        missing_lib = joinpath(mktempdir(), "nothing-here.so")
        withenv("CARTOAUTH_LIB" => missing_lib, "CARTOAUTH_LIB_DIR" => nothing) do
            code, _, err = run_julia("using CartoAuth")
            @test code != 0
            @test occursin("CARTOAUTH_LIB is set to", err) && occursin(missing_lib, err)
        end
        withenv("CARTOAUTH_LIB" => nothing, "CARTOAUTH_LIB_DIR" => dirname(missing_lib)) do
            code, _, err = run_julia("using CartoAuth")
            @test code != 0
            @test occursin("CARTOAUTH_LIB_DIR is set to", err)
        end
    end

    @testset "a session started with no credentials at all" begin
        sandbox() do _
            code, out, err = run_julia("""
                using CartoAuth
                println(get_default_credentials() === nothing)
                try
                    resolve_credentials()
                catch err
                    println(err.name)
                end
                """)
            @test code == 0 || err
            @test split(out) == ["true", "CARTO_ERR_NOT_RESOLVED"]
        end
    end

    @testset "Credentials: CARTOframes' rules" begin
        c = Credentials(FAKE_USER; api_key = FAKE_KEY)
        @test c.username == FAKE_USER
        @test c.api_key == FAKE_KEY
        @test c.base_url == "https://fake_user.carto.com"
        @test c.allow_non_secure === false
        @test Credentials(FAKE_USER, FAKE_KEY) == c
        @test Credentials(username = FAKE_USER, api_key = FAKE_KEY) == c
        @test Credentials(api_key = FAKE_KEY, username = FAKE_USER).base_url == c.base_url

        anonymous = Credentials(FAKE_USER)
        @test anonymous.api_key == "default_public"
        @test anonymous.base_url == "https://fake_user.carto.com"
        @test Credentials(FAKE_USER; api_key = "").api_key == "default_public"

        from_url = Credentials(api_key = FAKE_KEY, base_url = FAKE_BASE_URL)
        @test from_url.base_url == "https://fake_user.carto.com"
        @test from_url.username == FAKE_USER
        @test from_url == c

        onprem = Credentials(FAKE_USER; api_key = FAKE_KEY, base_url = ONPREM_BASE_URL)
        @test onprem.username == FAKE_USER
        @test onprem.base_url == ONPREM_BASE_URL
        @test Credentials(base_url = ONPREM_BASE_URL * "///").base_url == ONPREM_BASE_URL
        @test Credentials(base_url = ONPREM_BASE_URL).username == FAKE_USER

        local_server = Credentials(base_url = "http://127.0.0.1:8080", allow_non_secure = true)
        @test local_server.username === nothing
        @test local_server.allow_non_secure === true

        @test carto_error_name(() -> Credentials(api_key = FAKE_KEY)) ===
              :CARTO_ERR_MISSING_ACCOUNT
        @test carto_error_name(() -> Credentials()) === :CARTO_ERR_MISSING_ACCOUNT
        @test carto_error_name(() -> Credentials(base_url = "http://fake_user.carto.com")) ===
              :CARTO_ERR_INSECURE_BASE_URL
        insecure = error_of(() -> Credentials(base_url = "http://fake_user.carto.com"))
        @test occursin("allow_non_secure", insecure.message)
        @test carto_error_name(() -> Credentials(base_url = "not a url")) ===
              :CARTO_ERR_INVALID_BASE_URL
        @test carto_error_name(() -> Credentials("a/b")) === :CARTO_ERR_INVALID_USERNAME
        @test carto_error_name(() -> Credentials("bad\xffuser")) === :CARTO_ERR_INVALID_UTF8
        nul = error_of(() -> Credentials(FAKE_USER; api_key = "abc\0def"))
        @test nul isa CartoError && nul.name === :CARTO_ERR_INVALID_ARGUMENT
        @test occursin("api_key", nul.message) && !occursin("abc", nul.message)
        @test_throws TypeError Credentials(FAKE_USER; api_key = 42) # keyword types are checked
    end

    @testset "Credentials: properties, provenance, immutability" begin
        c = Credentials(FAKE_USER; api_key = FAKE_KEY)
        @test propertynames(c) == (
            :username,
            :api_key,
            :base_url,
            :allow_non_secure,
            :source,
            :origin,
            :path,
            :profile,
            :warnings,
        )
        @test !(:ptr in propertynames(c, true))
        @test c.source === :explicit
        @test c.origin == "given by the caller"
        @test c.path === nothing
        @test c.profile === nothing
        @test c.warnings == String[]
        @test_throws ErrorException c.ptr
        @test_throws ErrorException c.no_such_property
        @test_throws ErrorException (c.username = "someone_else")
        @test c.username == FAKE_USER
        @test c isa CartoHandle
    end

    @testset "Credentials: equality and copies" begin
        a = Credentials(FAKE_USER; api_key = FAKE_KEY)
        b = Credentials(api_key = FAKE_KEY, base_url = FAKE_BASE_URL)
        other = Credentials(FAKE_USER; api_key = "another")
        @test a == b
        @test a != other
        @test isequal(a, b)
        @test hash(a) == hash(b)
        @test length(Set([a, b, other])) == 2
        # allow_non_secure is not part of equality, as in CARTOframes
        @test Credentials(FAKE_USER; api_key = FAKE_KEY, allow_non_secure = true) == a

        before = settled_handle_count()
        duplicate = copy(a)
        @test handle_count() == before + 1
        @test duplicate == a
        close(a)
        @test duplicate == b # the copy has its own handle
        @test duplicate.api_key == FAKE_KEY
        close(duplicate)
        @test handle_count() == before - 1
    end

    @testset "redaction: the key is never displayed" begin
        c = Credentials(FAKE_USER; api_key = SECRET_KEY)
        shown = sprint(show, c)
        @test shows_no_key(shown)
        @test startswith(shown, "Credentials(username='fake_user', api_key='Wv8k\u2026'")
        @test occursin("base_url='https://fake_user.carto.com'", shown)
        plain = sprint(show, MIME"text/plain"(), c)
        @test shows_no_key(plain)
        @test occursin("given by the caller", plain)
        for text in (
            string(c),
            repr(c),
            sprint(print, c),
            repr(MIME"text/plain"(), c),
            sprint(show, [c]),
            sprint(show, MIME"text/plain"(), [c, c]),
            sprint(show, (credentials = c,)),
            sprint(show, Dict(:c => c)),
            sprint(dump, c),
            summary(c),
            string(propertynames(c)),
        )
            @test shows_no_key(text)
        end
        @test c.api_key == SECRET_KEY # the only way to read it

        short = sprint(show, Credentials(FAKE_USER; api_key = "abc"))
        @test !occursin("abc", short) && occursin("api_key='***'", short)
        @test occursin("api_key='default_public'", sprint(show, Credentials(FAKE_USER)))
        closed = Credentials(FAKE_USER; api_key = SECRET_KEY)
        close(closed)
        @test sprint(show, closed) == "Credentials(<closed>)"
        @test sprint(show, MIME"text/plain"(), closed) == "Credentials(<closed>)"

        for failing in (
            () -> Credentials("bad user!"; api_key = SECRET_KEY),
            () -> Credentials(base_url = "http://fake_user.example.com", api_key = SECRET_KEY),
            () -> set_default_credentials("creds.json", SECRET_KEY),
            () -> Credentials(FAKE_USER; api_key = SECRET_KEY * "\0"),
        )
            err = error_of(failing)
            @test err isa CartoError
            @test shows_no_key(err.message)
            @test shows_no_key(sprint(showerror, err))
        end
    end

    @testset "errors" begin
        err = error_of(() -> credentials_from_file("/no/such/dir/creds.json"))
        @test err isa CartoError
        @test err.status isa Int32 && err.status == 300
        @test err.name === :CARTO_ERR_FILE_NOT_FOUND
        @test occursin("/no/such/dir/creds.json", err.message)
        text = sprint(showerror, err)
        @test startswith(text, "CartoError: CARTO_ERR_FILE_NOT_FOUND (300): ")
        @test occursin(err.message, text)

        @test CartoAuth.status_name(300) === :CARTO_ERR_FILE_NOT_FOUND
        @test CartoAuth.status_name(401) === :CARTO_ERR_HTTP_UNAUTHORIZED
        @test CartoAuth.status_name(-7) === :CARTO_UNKNOWN_STATUS
        @test CartoAuth.status_name(typemax(Int64)) === :CARTO_UNKNOWN_STATUS
        @test CartoAuth.status_description(9999) == "unknown status code"
        # Every status of the header is known to the loaded library too.
        for (status, name) in CartoAuth.LibCartoAuth.STATUS_NAMES
            @test CartoAuth.status_description(status) != "unknown status code" || name
        end
        made = CartoError(102, "")
        @test made.name === :CARTO_ERR_INVALID_ARGUMENT
        @test sprint(showerror, made) ==
              "CartoError: CARTO_ERR_INVALID_ARGUMENT (102): " *
              CartoAuth.status_description(102)

        # Each failure carries its own message, even after successes in between.
        first_err = error_of(() -> Credentials())
        Credentials(FAKE_USER)
        second_err = error_of(() -> Credentials(base_url = "http://x.example.com"))
        @test first_err.name === :CARTO_ERR_MISSING_ACCOUNT
        @test second_err.name === :CARTO_ERR_INSECURE_BASE_URL
        @test first_err.message != second_err.message
    end

    @testset "set_default_credentials: CARTOframes' dispatch" begin
        sandbox() do dir
            @test get_default_credentials() === nothing

            set = set_default_credentials("johnsmith", "key-0123456789")
            @test set isa Credentials && set.username == "johnsmith"
            current = get_default_credentials()
            @test current.api_key == "key-0123456789"

            @test set_default_credentials("johnsmith").api_key == "default_public"
            @test get_default_credentials().api_key == "default_public"

            by_url = set_default_credentials("https://jane.carto.com/", "k2")
            @test by_url.username == "jane"
            @test by_url.base_url == "https://jane.carto.com"
            @test carto_error_name(() -> set_default_credentials("http://jane.carto.com")) ===
                  :CARTO_ERR_INSECURE_BASE_URL
            @test get_default_credentials().username == "jane" # unchanged by the failure
            insecure = set_default_credentials("http://jane.carto.com"; allow_non_secure = true)
            @test insecure.allow_non_secure

            # A Credentials object, positional or by keyword; the default keeps its own copy.
            c = Credentials(FAKE_USER; api_key = FAKE_KEY)
            @test set_default_credentials(c) === c
            close(c)
            @test get_default_credentials() == Credentials(FAKE_USER, FAKE_KEY)
            d = Credentials("dora"; api_key = FAKE_KEY)
            @test set_default_credentials(credentials = d) === d
            @test get_default_credentials().username == "dora"

            # Keyword forms.
            @test set_default_credentials(username = FAKE_USER, api_key = FAKE_KEY) ==
                  Credentials(FAKE_USER, FAKE_KEY)
            @test set_default_credentials(base_url = FAKE_BASE_URL, api_key = FAKE_KEY).username ==
                  FAKE_USER
            @test set_default_credentials(username = "u2").api_key == "default_public"

            # A .json path (any case, trailing blanks) loads that file; a key with it is refused.
            path = save_credentials(Credentials("from_file", "file-key"), joinpath(dir, "p.json"))
            loaded = set_default_credentials(path)
            @test loaded.username == "from_file" && loaded.source === :file
            upper = save_credentials(Credentials("upper", "k"), joinpath(dir, "UPPER.JSON"))
            @test set_default_credentials(upper * "  ").username == "upper"
            @test carto_error_name(() -> set_default_credentials(path, "key")) ===
                  :CARTO_ERR_INVALID_ARGUMENT
            @test get_default_credentials().username == "upper" # unchanged by the failure
            @test set_default_credentials(filepath = path).username == "from_file"
            other_name = save_credentials(Credentials("txt", "k"), joinpath(dir, "creds.txt"))
            @test set_default_credentials(filepath = other_name).username == "txt"

            # Nothing at all loads the default file.
            unset_default_credentials()
            @test carto_error_name(() -> set_default_credentials()) === :CARTO_ERR_FILE_NOT_FOUND
            @test get_default_credentials() === nothing
            save_credentials(Credentials("saved", "saved-key"))
            @test set_default_credentials().username == "saved"
            @test set_default_credentials(nothing).source === :file

            # Keys that CARTOframes would silently drop, and conflicting arguments.
            @test carto_error_name(() -> set_default_credentials(api_key = FAKE_KEY)) ===
                  :CARTO_ERR_INVALID_ARGUMENT
            @test carto_error_name(() -> set_default_credentials(nothing, FAKE_KEY)) ===
                  :CARTO_ERR_INVALID_ARGUMENT
            @test carto_error_name(
                () -> set_default_credentials(credentials = d, username = FAKE_USER),
            ) === :CARTO_ERR_INVALID_ARGUMENT
            @test carto_error_name(
                () -> set_default_credentials(credentials = d, api_key = FAKE_KEY),
            ) === :CARTO_ERR_INVALID_ARGUMENT
            @test carto_error_name(
                () -> set_default_credentials(filepath = path, base_url = FAKE_BASE_URL),
            ) === :CARTO_ERR_INVALID_ARGUMENT
            @test_throws MethodError set_default_credentials(42)

            unset_default_credentials()
            @test get_default_credentials() === nothing
            unset_default_credentials() # twice is fine
            @test get_default_credentials() === nothing
        end
    end

    @testset "files: both layouts round-trip" begin
        sandbox() do dir
            c = Credentials(FAKE_USER; api_key = FAKE_KEY)
            @test carto_error_name(() -> credentials_from_file()) === :CARTO_ERR_FILE_NOT_FOUND

            written = save_credentials(c)
            @test written == joinpath(dir, "cartocreds.json")
            text = read(written, String)
            @test occursin("\"APIKEY\"", text) && occursin("\"USERNAME\"", text)
            @test filemode(written) & 0o777 == 0o600
            loaded = credentials_from_file()
            @test loaded == c
            @test loaded.source === :file
            @test loaded.path == written
            @test loaded.profile === nothing
            @test loaded.warnings == String[]

            frames = save_credentials(c; format = :cartoframes)
            @test frames == joinpath(dir, "creds.json")
            text = read(frames, String)
            @test occursin("\"username\"", text) && occursin("\"api_key\"", text)
            @test occursin("\"base_url\"", text) && occursin("\"allow_non_secure\"", text)
            @test credentials_from_file(frames) == c

            for format in (:auto, :cartocreds, :cartoframes)
                path = joinpath(dir, "nested", "folder", "$(format).json")
                @test save_credentials(c, path; format = format) == path
                @test credentials_from_file(path) == c
                @test filemode(path) & 0o777 == 0o600
            end
            @test filemode(joinpath(dir, "nested")) & 0o777 == 0o700
            @test occursin("\"APIKEY\"", read(joinpath(dir, "nested", "folder", "auto.json"), String))
            @test carto_error_name(() -> save_credentials(c; format = :yaml)) ===
                  :CARTO_ERR_INVALID_ARGUMENT
            @test carto_error_name(
                () -> save_credentials(c, joinpath(dir, "x.json"); profile = "work"),
            ) === :CARTO_ERR_INVALID_ARGUMENT
            @test carto_error_name(
                () -> credentials_from_file(joinpath(dir, "x.json"); profile = "work"),
            ) === :CARTO_ERR_INVALID_ARGUMENT

            # An http base URL round-trips with allow_non_secure.
            insecure = Credentials(base_url = "http://turtleland.com/user/fake_user", allow_non_secure = true)
            path = save_credentials(insecure, joinpath(dir, "insecure.json"); format = :cartoframes)
            @test credentials_from_file(path).allow_non_secure
        end
    end

    @testset "files: every older layout loads" begin
        sandbox() do dir
            expected = Credentials(FAKE_USER, FAKE_KEY)
            layouts = [
                "cartocreds" => """{"APIKEY": "fake_api_key", "USERNAME": "fake_user",
                                    "USERURL": "https://{username}.carto.com/"}""",
                "cartoframes_2019_06" => """{"key": "fake_api_key", "username": "fake_user",
                                             "base_url": "https://fake_user.carto.com/"}""",
                "cartoframes_2019_07" => """{"username": "fake_user", "api_key": "fake_api_key",
                                             "base_url": "https://fake_user.carto.com/"}""",
                "cartoframes_1x" => """{"username": "fake_user", "api_key": "fake_api_key",
                                        "base_url": "https://fake_user.carto.com",
                                        "allow_non_secure": false}""",
                "username_only" => """{"username": "fake_user", "api_key": "fake_api_key"}""",
            ]
            for (name, text) in layouts
                path = write_private(joinpath(dir, "layouts", "$name.json"), text) # not the default files
                loaded = credentials_from_file(path)
                @test loaded == expected || name
                @test loaded.base_url == "https://fake_user.carto.com" || name
            end

            # CARTOframes' creds.json is the default when there is no cartocreds.json.
            write_private(joinpath(dir, "creds.json"), """{"username": "from_creds", "api_key": "k1"}""")
            @test credentials_from_file().username == "from_creds"
            @test basename(credentials_file_path()) == "creds.json"
            write_private(joinpath(dir, "cartocreds.json"), """{"USERNAME": "from_cartocreds", "APIKEY": "k2"}""")
            @test credentials_from_file().username == "from_cartocreds"
        end
    end

    @testset "files: broken files name the file" begin
        sandbox() do dir
            syntax = write_private(joinpath(dir, "syntax.json"), "{\n  \"username\": \"fake_user\",\n  oops\n")
            err = error_of(() -> credentials_from_file(syntax))
            @test err isa CartoError && err.name === :CARTO_ERR_FILE_SYNTAX && err.status == 302
            @test occursin(syntax * ":3:", err.message)
            content = write_private(joinpath(dir, "content.json"), """{"foo": 1}""")
            err = error_of(() -> credentials_from_file(content))
            @test err.name === :CARTO_ERR_FILE_CONTENT && occursin(content, err.message)
            field = write_private(joinpath(dir, "field.json"), """{"username": 3}""")
            @test occursin("\"username\"", error_of(() -> credentials_from_file(field)).message)
            insecure = write_private(
                joinpath(dir, "insecure.json"),
                """{"username": "fake_user", "base_url": "http://x.example.com"}""",
            )
            @test carto_error_name(() -> credentials_from_file(insecure)) ===
                  :CARTO_ERR_INSECURE_BASE_URL
            @test carto_error_name(() -> credentials_from_file(joinpath(dir, "missing.json"))) ===
                  :CARTO_ERR_FILE_NOT_FOUND
        end
    end

    @testset "files: update keeps the layout and unknown keys" begin
        sandbox() do dir
            path = write_private(
                joinpath(dir, "team.json"),
                """{"username": "fake_user", "team": "gis", "api_key": "old-key",
                    "base_url": "https://fake_user.carto.com", "extra": {"nested": [1, 2]}}""",
            )
            @test update_credentials_file(path; api_key = "rotated-key") == path
            text = read(path, String)
            @test occursin("\"team\"", text) && occursin("\"gis\"", text)
            @test occursin("\"nested\"", text)
            @test !occursin("old-key", text)
            @test !occursin("APIKEY", text) # still the CARTOframes layout
            @test findfirst("\"username\"", text)[1] < findfirst("\"team\"", text)[1] <
                  findfirst("\"api_key\"", text)[1] # order kept
            loaded = credentials_from_file(path)
            @test loaded.api_key == "rotated-key" && loaded.username == FAKE_USER

            # The default file, in the cartocreds layout.
            save_credentials(Credentials(FAKE_USER, FAKE_KEY))
            @test update_credentials_file(api_key = "new-default-key") ==
                  joinpath(dir, "cartocreds.json")
            @test occursin("\"APIKEY\"", read(joinpath(dir, "cartocreds.json"), String))
            @test credentials_from_file().api_key == "new-default-key"

            # Profiles, and allow_non_secure with an http base URL.
            save_credentials(Credentials(FAKE_USER, FAKE_KEY); profile = "work")
            update_credentials_file(
                profile = "work",
                base_url = "http://turtleland.com/user/fake_user",
                allow_non_secure = true,
            )
            work = credentials_from_file(profile = "work")
            @test work.allow_non_secure && startswith(work.base_url, "http://")
            update_credentials_file(profile = "work", username = "renamed")
            @test credentials_from_file(profile = "work").allow_non_secure # kept

            # An update that would give invalid credentials writes nothing.
            before = read(path)
            @test carto_error_name(
                () -> update_credentials_file(path; base_url = "http://fake_user.carto.com"),
            ) === :CARTO_ERR_INSECURE_BASE_URL
            @test read(path) == before
            broken = write_private(joinpath(dir, "broken.json"), "{ not json")
            @test carto_error_name(() -> update_credentials_file(broken; api_key = "k")) ===
                  :CARTO_ERR_FILE_SYNTAX
            @test read(broken, String) == "{ not json"
            @test carto_error_name(
                () -> update_credentials_file(joinpath(dir, "absent.json"); api_key = "k"),
            ) === :CARTO_ERR_FILE_NOT_FOUND
        end
    end

    @testset "files: delete" begin
        sandbox() do dir
            c = Credentials(FAKE_USER, FAKE_KEY)
            path = save_credentials(c, joinpath(dir, "credentials.json"))
            @test delete_credentials(path) === nothing
            @test !isfile(path)
            @test carto_error_name(() -> credentials_from_file(path)) === :CARTO_ERR_FILE_NOT_FOUND
            err = error_of(() -> delete_credentials(path))
            @test err isa CartoError && err.name === :CARTO_ERR_FILE_NOT_FOUND

            # No location: both default files go.
            save_credentials(c)
            save_credentials(c; format = :cartoframes)
            @test isfile(joinpath(dir, "cartocreds.json")) && isfile(joinpath(dir, "creds.json"))
            delete_credentials()
            @test !isfile(joinpath(dir, "cartocreds.json")) && !isfile(joinpath(dir, "creds.json"))
            @test carto_error_name(() -> delete_credentials()) === :CARTO_ERR_FILE_NOT_FOUND

            save_credentials(c; profile = "old")
            delete_credentials(profile = "old")
            @test profiles() == String[]
            @test carto_error_name(() -> delete_credentials(profile = "old")) ===
                  :CARTO_ERR_FILE_NOT_FOUND
        end
    end

    @testset "profiles" begin
        sandbox() do dir
            @test profiles() == String[]
            work = Credentials("work-user"; api_key = "workkey-0123456789")
            written = save_credentials(work; profile = "work")
            @test written == joinpath(dir, "profiles", "work.json")
            @test occursin("\"api_key\"", read(written, String)) # CARTOframes layout for Python
            save_credentials(work; profile = "backup")
            @test profiles() == ["backup", "work"]
            loaded = credentials_from_file(profile = "work")
            @test loaded == work
            @test loaded.source === :profile
            @test loaded.profile == "work"
            @test loaded.path == written
            @test occursin("work", loaded.origin)
            @test credentials_file_path(profile = "work") == written

            err = error_of(() -> credentials_from_file(profile = "nope"))
            @test err.name === :CARTO_ERR_FILE_NOT_FOUND
            @test occursin("backup, work", err.message)
            @test carto_error_name(() -> credentials_from_file(profile = "../etc/passwd")) ===
                  :CARTO_ERR_INVALID_ARGUMENT
        end
    end

    @testset "paths and the configuration folder" begin
        sandbox() do dir
            @test config_dir() == dir
            @test credentials_file_path() == joinpath(dir, "cartocreds.json")
            @test credentials_file_path("/somewhere/x.json") == "/somewhere/x.json"
            @test credentials_file_path("~/x.json") == expanduser("~/x.json")
            @test !isfile(joinpath(dir, "cartocreds.json")) # nothing created
        end
    end

    @testset "files others can read load with a warning" begin
        sandbox() do dir
            path = save_credentials(Credentials(FAKE_USER, FAKE_KEY), joinpath(dir, "shared.json"))
            chmod(path, 0o644)
            loaded = credentials_from_file(path)
            @test length(loaded.warnings) == 1
            @test occursin("0644", loaded.warnings[1]) && occursin(path, loaded.warnings[1])
            @test occursin("warning: ", sprint(show, MIME"text/plain"(), loaded))
            chmod(path, 0o600)
            @test credentials_from_file(path).warnings == String[]
        end
    end

    @testset "resolution order and provenance" begin
        sandbox() do dir
            err = error_of(() -> resolve_credentials())
            @test err isa CartoError && err.name === :CARTO_ERR_NOT_RESOLVED
            @test occursin("cartocreds.json", err.message) && occursin("creds.json", err.message)
            @test occursin("CARTO_USERNAME", err.message)

            save_credentials(Credentials("from-file", "filekey-0123456789"); format = :cartoframes)
            r = resolve_credentials()
            @test r.username == "from-file" && r.source === :file
            @test r.path == joinpath(dir, "creds.json")

            withenv("CARTO_USERNAME" => "from-env", "CARTO_API_KEY" => "envkey-0123456789") do
                r = resolve_credentials()
                @test r.username == "from-env" && r.source === :environment
                @test r.api_key == "envkey-0123456789"
                @test occursin("CARTO_USERNAME", r.origin)

                set_default_credentials(Credentials("default-user"))
                r = resolve_credentials()
                @test r.username == "default-user" && r.source === :default

                explicit = Credentials("explicit")
                r = resolve_credentials(explicit)
                @test r.username == "explicit" && r.source === :explicit
                close(explicit)
                @test carto_error_name(() -> resolve_credentials(explicit)) ===
                      :CARTO_ERR_INVALID_HANDLE
                unset_default_credentials()
            end

            withenv("CARTO_API_KEY" => "lonely-key-0123456789") do
                err = error_of(() -> resolve_credentials())
                @test err.name === :CARTO_ERR_INVALID_ENVIRONMENT
                @test occursin("CARTO_API_KEY", err.message)
                @test !occursin("lonely-key-0123456789", err.message)
            end
            withenv("CARTO_API_KEY" => "") do # blank counts as unset
                @test resolve_credentials().username == "from-file"
            end
            withenv("CARTO_BASE_URL" => "http://127.0.0.1:8080/user/local", "CARTO_ALLOW_NON_SECURE" => "1") do
                r = resolve_credentials()
                @test r.username == "local" && r.allow_non_secure && r.source === :environment
            end
            withenv("CARTO_BASE_URL" => "not a url") do
                @test carto_error_name(() -> resolve_credentials()) === :CARTO_ERR_INVALID_ENVIRONMENT
            end
            withenv("CARTO_CREDENTIALS_FILE" => "/no/such/creds.json") do
                err = error_of(() -> resolve_credentials())
                @test err.name === :CARTO_ERR_FILE_NOT_FOUND
                @test occursin("CARTO_CREDENTIALS_FILE", err.message)
            end
            save_credentials(Credentials("profiled", "pkey"); profile = "team")
            withenv("CARTO_PROFILE" => "team") do
                r = resolve_credentials()
                @test r.username == "profiled" && r.source === :profile && r.profile == "team"
            end
            withenv("CARTO_PROFILE" => "nobody") do
                @test carto_error_name(() -> resolve_credentials()) === :CARTO_ERR_FILE_NOT_FOUND
            end
        end
    end

    @testset "close is idempotent and use after close is an error" begin
        c = Credentials(FAKE_USER; api_key = FAKE_KEY)
        @test isopen(c)
        before = settled_handle_count()
        @test close(c) === nothing
        @test handle_count() == before - 1
        @test !isopen(c)
        @test close(c) === nothing # twice
        @test handle_count() == before - 1
        for use in (
            () -> c.username,
            () -> c.api_key,
            () -> c.warnings,
            () -> c == Credentials(FAKE_USER),
            () -> copy(c),
            () -> save_credentials(c, "/tmp/never-written.json"),
            () -> set_default_credentials(c),
            () -> resolve_credentials(c),
        )
            @test carto_error_name(use) === :CARTO_ERR_INVALID_HANDLE
        end
        @test !isfile("/tmp/never-written.json")
        finalize(c) # the finalizer after close does nothing
        @test settled_handle_count() == before - 1
    end

    @testset "finalizers release handles" begin
        baseline = settled_handle_count()

        c = Credentials(FAKE_USER)
        @test handle_count() == baseline + 1
        finalize(c)
        @test handle_count() == baseline
        @test !isopen(c)
        @test carto_error_name(() -> c.username) === :CARTO_ERR_INVALID_HANDLE

        make_garbage(500)
        @test collect_until(baseline) <= baseline

        # A borrowed string is copied while its handle is alive, even when nothing else
        # refers to the handle.
        @test Credentials(FAKE_USER; api_key = FAKE_KEY).api_key == FAKE_KEY
        @test length(Credentials(FAKE_USER).warnings) == 0
        @test collect_until(baseline) <= baseline
    end

    @testset "tasks and threads share handles and keep their own errors" begin
        shared = Credentials(FAKE_USER; api_key = FAKE_KEY)
        outcomes = Vector{Bool}(undef, 8)
        @sync for worker in 1:8
            Threads.@spawn begin
                ok = true
                for round in 1:50
                    mine = Credentials("user$worker"; api_key = "key-$worker-$round")
                    ok &= mine.username == "user$worker" && mine.api_key == "key-$worker-$round"
                    ok &= shared.username == FAKE_USER && shared == copy(shared)
                    err = error_of(() -> Credentials(base_url = "http://w$worker.example.com"))
                    ok &= err isa CartoError && err.name === :CARTO_ERR_INSECURE_BASE_URL
                    ok &= occursin("w$worker.example.com", err.message)
                    close(mine)
                end
                outcomes[worker] = ok
            end
        end
        @test all(outcomes)
        @test shared.api_key == FAKE_KEY
    end

    @testset "secrets in the OS keychain" begin
        keychain_tests()
    end

    @testset "HTTP requests against the local CARTO server" begin
        if !isdefined(CartoAuth, :carto_sql) || !isdefined(@__MODULE__, :http_tests)
            @info "Skipped the tests of HTTP requests: this version of CartoAuth has no " *
                  "carto_sql, carto_request or carto_me yet (phase 2 of issue 6)."
            @test_skip :carto_sql_against_the_local_server
        else
            server = start_emulator()
            if server isa String
                @info "Skipped the tests of HTTP requests: $server"
                @test_skip :carto_sql_against_the_local_server
            else
                try
                    http_tests(server)
                finally
                    stop_emulator(server)
                end
            end
        end
    end
end
