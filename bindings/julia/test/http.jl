# Tests of the HTTP functions against the local CARTO server (carto-emulator). runtests.jl
# calls http_tests(server) with a started Emulator (test/emulator.jl), or skips them saying why.
#
# The emulator's built-in `demo` account has fixed keys (emulator/README.md): the master key,
# a regular key, and default_public; tables points_public (3 rows, public), points_private
# (2 rows) and points_writable (1 row). Faults are injected into one request with the headers
# X-Emulator-Fault (a JSON fault) and X-Emulator-Token (the admin token).

const DEMO_MASTER_KEY = "demo_master_key"
const DEMO_REGULAR_KEY = "demo_regular_key"
const WRONG_KEY = "wrong-Wv8kQ2REDACTED5e4d3c2b1a09-key"

# 20000 lines of 100 x and a newline.
const COPY_TO_QUERY = "COPY (SELECT repeat('x', 100) FROM generate_series(1, 20000)) TO STDOUT"
const COPY_TO_BYTES = 20000 * 101

function demo_credentials(server; api_key = DEMO_MASTER_KEY, base_url = server.base_url)
    return Credentials(base_url = base_url, api_key = api_key, allow_non_secure = true)
end

# Clients without retries unless asked, so that injected errors come back at once.
function demo_client(server; api_key = DEMO_MASTER_KEY, retries = 0, options...)
    credentials = demo_credentials(server; api_key = api_key)
    try
        return Client(
            credentials;
            retries = retries,
            user_agent = "cartoauth-julia-tests/1",
            options...,
        )
    finally
        close(credentials)
    end
end

fault_headers(server, fault::AbstractString) =
    Dict("X-Emulator-Fault" => fault, "X-Emulator-Token" => server.admin_token)

# The emulator's request log (admin API, on the same origin as the account, so cartoauth sends
# it), as parsed JSON; `clear_log` empties it.
function request_log(server, client)
    response = carto_request(
        "GET",
        server.root_url * "/_emulator/requests";
        headers = Dict("X-Emulator-Token" => server.admin_token),
        client = client,
    )
    return CartoAuth._parse_json(response.text)
end

function clear_log(server, client)
    carto_request(
        "DELETE",
        server.root_url * "/_emulator/requests";
        headers = Dict("X-Emulator-Token" => server.admin_token),
        client = client,
    )
    return nothing
end

# The log entries of the SQL API of the demo account.
sql_entries(entries) = [entry for entry in entries if entry["path"] == "/user/demo/api/v2/sql"]

"An exception of the tests' own, thrown from inside callbacks."
struct CallbackFailure <: Exception
    origin::String
end

"An IO whose writes fail."
struct ExplodingSink <: IO end
Base.write(::ExplodingSink, ::UInt8) = throw(CallbackFailure("sink"))
Base.unsafe_write(::ExplodingSink, ::Ptr{UInt8}, ::UInt) = throw(CallbackFailure("sink"))

"An IO whose reads fail."
struct ExplodingSource <: IO end
Base.eof(::ExplodingSource) = false
Base.bytesavailable(::ExplodingSource) = 0
Base.read(::ExplodingSource, ::Type{UInt8}) = throw(CallbackFailure("source"))

"The rows COPY FROM reads: `id<TAB>row id` lines."
upload_rows(ids) = join(("$id\trow $id\n" for id in ids))

function http_tests(server)
    baseline = settled_handle_count()
    master = demo_client(server)
    query_master = demo_client(server; key_transport = :query)

    @testset "Client" begin
        @test master isa Client && isopen(master)
        @test master.credentials.username == "demo"
        @test master.credentials.base_url == server.base_url
        @test propertynames(master) == (:credentials,)
        @test_throws ErrorException master.ptr
        @test_throws ErrorException (master.credentials = demo_credentials(server))

        secret = demo_client(server; api_key = SECRET_KEY)
        for text in (sprint(show, secret), repr(secret), string(secret))
            @test startswith(text, "Client(Credentials(username='demo'")
            @test shows_no_key(text)
        end
        @test shows_no_key(sprint(show, [secret]))
        @test shows_no_key(sprint(show, MIME"text/plain"(), secret))
        close(secret)
        @test sprint(show, secret) == "Client(<closed>)"
        @test carto_error_name(() -> carto_sql("select 1"; client = secret)) ===
              :CARTO_ERR_INVALID_HANDLE

        creds = demo_credentials(server)
        for options in (
            (connect_timeout = 0,),
            (idle_timeout = -1,),
            (timeout = NaN,),
            (connect_timeout = Inf,),
            (retries = -1,),
            (key_transport = :carrier_pigeon,),
            (trust = :everyone,),
            (trust = :ca_bundle,),
            (trust = :system, ca_bundle = "/etc/ssl/certs/ca-certificates.crt"),
            (user_agent = "bad\nagent",),
        )
            @test carto_error_name(() -> Client(creds; options...)) === :CARTO_ERR_INVALID_ARGUMENT
        end
        tls = error_of(() -> Client(creds; ca_bundle = "/no/such/ca.pem"))
        @test tls isa CartoError && tls.name === :CARTO_ERR_TLS
        @test occursin("/no/such/ca.pem", tls.message)
        # Every option accepted together (Inf: no overall limit).
        every = Client(
            creds;
            timeout = Inf,
            connect_timeout = 5,
            idle_timeout = 60,
            key_transport = :query,
            trust = :webpki,
            retries = 1,
            max_retry_wait = 2.5,
            user_agent = "cartoauth-julia-tests/1",
            proxy_from_env = false,
        )
        @test isequal(carto_sql("select 1 as one"; client = every), (one = Union{Missing,Int32}[1],))
        close(every)
        @test Client(creds; trust = :system) isa Client

        # Basic key transport needs a username; the query transport does not.
        anonymous = Credentials(base_url = server.root_url, allow_non_secure = true)
        @test anonymous.username === nothing
        @test carto_error_name(() -> Client(anonymous)) === :CARTO_ERR_INVALID_ARGUMENT
        @test Client(anonymous; key_transport = :query) isa Client

        @test carto_error_name(() -> carto_sql("select 1"; credentials = creds, client = master)) ===
              :CARTO_ERR_INVALID_ARGUMENT
    end

    @testset "SQL: results read in chunks (carto_sql_chunks, Tables.partitions)" begin
        limited = demo_client(server; max_body_size = 1 << 20)
        query = "select g::int4 as i, 'row ' || g || repeat('x', 80) as t from generate_series(1, 60000) g"
        # ~6 MB of JSON through a client that keeps at most 1 MiB of a body in memory
        @test carto_error_name(() -> carto_sql(query; client = limited)) === :CARTO_ERR_BODY_TOO_LARGE
        chunks = carto_sql_chunks(query; client = limited, chunk_rows = 7000)
        @test CartoAuth.Tables.partitions(chunks) === chunks
        seen = 0
        sizes = Int[]
        for table in chunks
            @test keys(table) == (:i, :t)
            @test table.i == Int32.(seen+1:seen+length(table.i))
            @test startswith(table.t[1], "row $(seen + 1)")
            push!(sizes, length(table.i))
            seen += length(table.i)
        end
        @test seen == 60000
        @test sizes[1] == 7000 && all(<=(7000), sizes)
        @test !isopen(chunks) # closed at the end
        @test iterate(chunks) === nothing

        # an empty result is one table of no rows, with its columns
        tables = collect(carto_sql_chunks("select 1::int8 as a where false"; client = master))
        @test length(tables) == 1 && keys(tables[1]) == (:a,) && isempty(tables[1].a)

        # an error after rows were sent throws; it is never a shorter result
        failing = "select g, repeat('y', 200) as pad, 1 / (50000 - g) as boom from generate_series(1, 80000) g"
        @test carto_error_name(() -> foreach(identity, carto_sql_chunks(failing; client = master))) ===
              :CARTO_ERR_QUERY_FAILED

        # closed between chunks (the do-block form): the query stops, the client goes on
        first = carto_sql_chunks("select g from generate_series(1, 10000000) g"; client = master,
                                 chunk_rows = 10) do chunks
            table, _ = iterate(chunks)
            return table.g
        end
        @test first == collect(1:10)
        @test carto_sql("select 1 as one"; client = master).one == Int32[1]
        @test carto_error_name(() -> carto_sql_chunks("select 1"; client = master, chunk_rows = 0)) ===
              :CARTO_ERR_INVALID_ARGUMENT
        @test carto_error_name(() -> carto_sql_chunks("select * from no_such_table"; client = master)) ===
              :CARTO_ERR_HTTP_CLIENT_ERROR
        close(limited)
    end

    @testset "SQL: json, geojson, csv" begin
        for client in (master, query_master)
            rows = carto_sql("select cartodb_id, name from points_private order by 1"; client = client)
            @test rows isa NamedTuple
            @test keys(rows) == (:cartodb_id, :name)
            @test length(rows.cartodb_id) == 2
            @test rows.cartodb_id[1] === Int32(1)
            @test rows.name[1] isa String

            answer = carto_sql(
                "select cartodb_id, name, score, active from points_public order by 1";
                client = client,
                verbose = true,
            )
            @test answer isa Dict{String,Any}
            @test answer["total_rows"] == 3 && length(answer["rows"]) == 3
            @test haskey(answer["fields"], "score") && haskey(answer, "time")

            @test carto_sql("select null::text as nothing_here"; client = client).nothing_here[1] ===
                  missing
            @test isempty(carto_sql("select 1 as one where false"; client = client).one)
            raw = carto_sql("select 42 as answer"; client = client, raw = true)
            @test raw isa String && occursin("\"answer\":42", raw)

            typed = carto_sql(
                "select (-9223372036854775807)::int8 big, 'NaN'::float8 f, true b, " *
                "'1969-12-31 23:59:59.5+00'::timestamptz ts, '1900-01-01'::date d, " *
                "'x'::text t, null::int4 n, ST_SetSRID(ST_MakePoint(1, 2), 4326) g";
                client = client,
            )
            @test typed.big isa Vector{Union{Missing,Int64}} && typed.big[1] == -9223372036854775807
            @test isnan(typed.f[1]) && typed.b[1] === true && typed.t[1] == "x"
            @test typed.ts[1] == CartoAuth.Dates.DateTime(1969, 12, 31, 23, 59, 59, 500)
            @test typed.d[1] == CartoAuth.Dates.Date(1900, 1, 1)
            @test typed.n isa Vector{Union{Missing,Int32}} && ismissing(typed.n[1])
            @test typed.g[1] isa Vector{UInt8} && length(typed.g[1]) == 21

            fc = carto_sql(
                "select cartodb_id, the_geom from points_public order by 1";
                format = "geojson",
                client = client,
            )
            @test fc["type"] == "FeatureCollection" && length(fc["features"]) == 3
            @test fc["features"][1]["geometry"]["type"] == "Point"
            page = carto_sql(
                "select cartodb_id, the_geom from points_public order by 1";
                format = "geojson",
                client = client,
                rows_per_page = 1,
                page = 0,
            )
            @test length(page["features"]) == 1

            csv = carto_sql("select cartodb_id, name from points_public order by 1"; format = "csv", client = client)
            @test csv isa String
            @test startswith(csv, "cartodb_id,name\n1,")
            @test length(split(strip(csv), '\n')) == 4
            skipped = carto_sql(
                "select cartodb_id, name, score from points_public order by 1";
                format = "csv",
                skipfields = ["score", "cartodb_id"],
                client = client,
            )
            @test startswith(skipped, "name\n")
        end

        # The credentials of a call, and the resolved ones when none are given.
        @test carto_sql("select 2 as two"; credentials = demo_credentials(server)).two[1] == 2
        sandbox() do _
            @test carto_error_name(() -> carto_sql("select 1")) === :CARTO_ERR_NOT_RESOLVED
            @test carto_error_name(() -> Client()) === :CARTO_ERR_NOT_RESOLVED
            set_default_credentials(demo_credentials(server))
            @test carto_sql("select 3 as three").three[1] == 3
            @test Client().credentials.source === :default
            unset_default_credentials()
            withenv(
                "CARTO_BASE_URL" => server.base_url,
                "CARTO_API_KEY" => DEMO_MASTER_KEY,
                "CARTO_ALLOW_NON_SECURE" => "1",
            ) do
                @test carto_sql("select 4 as four").four[1] == 4
                @test carto_me().username == "demo"
            end
        end
    end

    @testset "SQL: a long query goes by POST" begin
        long_query = "select 42 as answer" * " "^1400
        for client in (master, query_master)
            clear_log(server, client)
            @test carto_sql(long_query; client = client).answer[1] == 42
            @test carto_sql("select 1 as short"; client = client).short[1] == 1
            entries = sql_entries(request_log(server, client))
            @test [entry["method"] for entry in entries] == ["POST", "GET"]
            @test entries[1]["request_bytes"] > 1024
        end
    end

    @testset "the key travels as asked" begin
        clear_log(server, master)
        carto_sql("select 1"; client = master)
        carto_sql("select 1"; client = query_master)
        entries = sql_entries(request_log(server, master))
        @test [entry["key_transport"] for entry in entries] == ["basic", "query"]
        @test all(entry -> entry["key_name"] == "Master", entries)
        @test !occursin("api_key", entries[1]["query"])
        @test occursin("api_key=REDACTED", entries[2]["query"]) # the emulator redacts its log
        @test all(entry -> occursin("cartoauth-julia-tests/1", entry["user_agent"]), entries)
    end

    @testset "HTTP errors" begin
        for transport in (:basic, :query)
            wrong = demo_client(server; api_key = WRONG_KEY, key_transport = transport)
            err = error_of(() -> carto_sql("select 1"; client = wrong))
            @test err isa CartoError && err.name === :CARTO_ERR_HTTP_UNAUTHORIZED
            @test err.status == 401
            @test occursin("HTTP 401", err.message)
            @test shows_no_key(err.message, WRONG_KEY) && shows_no_key(sprint(showerror, err), WRONG_KEY)
            close(wrong)
        end

        anonymous_client = demo_client(server; api_key = nothing)
        @test anonymous_client.credentials.api_key == "default_public"
        @test length(carto_sql("select * from points_public"; client = anonymous_client).cartodb_id) == 3
        forbidden = error_of(() -> carto_sql("select * from points_private"; client = anonymous_client))
        @test forbidden isa CartoError && forbidden.name === :CARTO_ERR_HTTP_FORBIDDEN
        @test occursin("permission denied for table points_private", forbidden.message)
        syntax = error_of(() -> carto_sql("selct 1"; client = anonymous_client))
        @test syntax isa CartoError && syntax.name === :CARTO_ERR_HTTP_CLIENT_ERROR
        @test occursin("selct", syntax.message)
        @test carto_error_name(() -> carto_sql("select 1"; format = "bogus", client = anonymous_client)) ===
              :CARTO_ERR_HTTP_CLIENT_ERROR
        close(anonymous_client)

        nobody = Credentials(base_url = server.root_url * "/user/nobody", allow_non_secure = true)
        missing_user = error_of(() -> carto_sql("select 1"; credentials = nobody))
        @test missing_user isa CartoError && missing_user.name === :CARTO_ERR_HTTP_NOT_FOUND
        @test occursin("nobody", missing_user.message)
        @test carto_error_name(() -> carto_me(credentials = nobody)) === :CARTO_ERR_HTTP_NOT_FOUND

        for (fault, name) in (
            ("{\"status\":503}", :CARTO_ERR_HTTP_SERVER_ERROR),
            ("{\"status\":500}", :CARTO_ERR_HTTP_SERVER_ERROR),
            ("{\"status\":429,\"retry_after\":7}", :CARTO_ERR_HTTP_RATE_LIMITED),
        )
            err = error_of(() -> carto_sql("select 1"; client = master, headers = fault_headers(server, fault)))
            @test err isa CartoError && err.name === name
        end

        # check=false returns any answer; CartoAuth.check then throws its error.
        limited = carto_request(
            "GET",
            "api/v2/sql";
            query = Dict("q" => "select 1"),
            headers = fault_headers(server, "{\"status\":429,\"retry_after\":7}"),
            check = false,
            client = master,
        )
        @test limited isa Response
        @test limited.status == 429
        @test limited.rate_limit.retry_after == 7
        @test limited.rate_limit.limit isa Int
        @test limited.attempts == 1
        @test limited.error_message isa String
        @test CartoAuth.header(limited, "retry-after") == "7"
        @test CartoAuth.header(limited, "RETRY-AFTER") == "7"
        @test CartoAuth.header(limited, "X-No-Such-Header") === nothing
        @test ("retry-after" => "7") in limited.headers
        @test carto_error_name(() -> CartoAuth.check(limited)) === :CARTO_ERR_HTTP_RATE_LIMITED
        @test startswith(sprint(show, limited), "Response(429")
        close(limited)
        @test sprint(show, limited) == "Response(<closed>)"
        @test carto_error_name(() -> limited.status) === :CARTO_ERR_INVALID_HANDLE

        # Retries: a 429 with Retry-After is retried (3 attempts, about 2 s here).
        patient = demo_client(server; retries = 2, max_retry_wait = 10)
        retried = carto_request(
            "GET",
            "api/v2/sql";
            query = (q = "select 1",),
            headers = fault_headers(server, "{\"status\":429,\"retry_after\":1}"),
            check = false,
            client = patient,
        )
        @test retried.status == 429 && retried.attempts == 3
        close(patient)
    end

    @testset "transport failures" begin
        slow = demo_client(server; timeout = 0.3)
        started = time()
        err = error_of(() -> carto_sql("select 1"; client = slow, headers = fault_headers(server, "{\"delay_ms\":3000}")))
        @test err isa CartoError && err.name === :CARTO_ERR_TIMEOUT
        @test time() - started < 2.5
        close(slow)

        cut = error_of(
            () -> carto_sql(
                "select repeat('x', 1000) from generate_series(1, 500)";
                client = master,
                headers = fault_headers(server, "{\"abort_after_bytes\":100000}"),
            ),
        )
        @test cut isa CartoError && cut.name === :CARTO_ERR_CONNECTION

        nowhere = Credentials(base_url = "http://127.0.0.1:1/user/demo", allow_non_secure = true)
        @test carto_error_name(() -> carto_sql("select 1"; credentials = nowhere)) ===
              :CARTO_ERR_CONNECTION
    end

    @testset "carto_request: methods, bodies, misuse" begin
        me = carto_request("GET", "api/v3/me"; client = master)
        @test me.status == 200
        @test startswith(CartoAuth.header(me, "Content-Type"), "application/json")
        @test CartoAuth._parse_json(me.text)["user_data"]["username"] == "demo"
        @test me.body == Vector{UInt8}(codeunits(me.text))
        @test me.error_message === nothing
        @test me.streamed_bytes == 0
        @test propertynames(me) == (
            :status,
            :headers,
            :body,
            :text,
            :error_message,
            :rate_limit,
            :attempts,
            :streamed_bytes,
        )
        @test_throws ErrorException me.no_such_property
        @test !occursin(DEMO_MASTER_KEY, sprint(show, me)) # the body has the key; show does not
        @test carto_request("GET", "/api/v3/me"; client = master).status == 200

        form = carto_request("POST", "api/v2/sql"; body = Dict("q" => "select 7 as n"), client = master)
        @test CartoAuth._parse_json(form.text)["rows"][1]["n"] == 7
        named = carto_request("POST", "api/v2/sql"; body = (q = "select 6 as n",), client = master)
        @test CartoAuth._parse_json(named.text)["rows"][1]["n"] == 6
        json = carto_request(
            "POST",
            "api/v2/sql";
            body = "{\"q\": \"select 8 as n\"}",
            content_type = "application/json",
            client = master,
        )
        @test CartoAuth._parse_json(json.text)["rows"][1]["n"] == 8
        bytes = carto_request(
            "POST",
            "api/v2/sql";
            body = Vector{UInt8}(codeunits("{\"q\": \"select 9 as n\"}")),
            content_type = "application/json; charset=utf-8",
            client = master,
        )
        @test CartoAuth._parse_json(bytes.text)["rows"][1]["n"] == 9
        streamed_body = carto_request(
            "POST",
            "api/v2/sql";
            body = IOBuffer("{\"q\": \"select 10 as n\"}"),
            content_type = "application/json",
            client = master,
        )
        @test CartoAuth._parse_json(streamed_body.text)["rows"][1]["n"] == 10
        sink = IOBuffer()
        streamed = carto_request("GET", "api/v2/sql"; query = (q = "select 11 as n",), output = sink, client = master)
        received = take!(sink)
        @test streamed.body == UInt8[] && streamed.streamed_bytes == length(received)
        @test occursin("\"n\":11", String(received))
        @test occursin("bytes streamed", sprint(show, streamed))

        for misuse in (
            () -> carto_request("GE T", "api/v3/me"; client = master),
            () -> carto_request("GET", "api/v3/me"; headers = Dict("Authorization" => "Basic eA=="), client = master),
            () -> carto_request("GET", "api/v3/me"; headers = Dict("X-Bad" => "a\r\nInjected: 1"), client = master),
            () -> carto_request("POST", "api/v2/sql"; body = "{\"q\":", content_type = "application/json", client = master),
            () -> carto_request("GET", "https://elsewhere.example/api/v3/me"; client = master),
            () -> carto_request("POST", "api/v2/sql"; body = 42, client = master),
            () -> carto_request("POST", "api/v2/sql"; body = "x", content_length = 1, client = master),
            () -> carto_request("GET", "api/v3/me"; content_type = "text/plain", client = master),
            () -> carto_request("GET", "api/v3/me"; query = 42, client = master),
            () -> carto_request("GET", "api/v3/me"; query = Dict("q" => "a\0b"), client = master),
        )
            @test carto_error_name(misuse) === :CARTO_ERR_INVALID_ARGUMENT
        end
    end

    @testset "carto_me and validate_key" begin
        me = carto_me(client = master)
        @test me.username == "demo"
        @test me.user_id isa String && length(me.user_id) == 36
        regular = carto_me(credentials = demo_credentials(server; api_key = DEMO_REGULAR_KEY))
        @test regular.username == "demo" && regular.user_id === nothing

        @test validate_key(client = master) === :valid
        @test validate_key(client = query_master) === :valid
        @test validate_key(credentials = demo_credentials(server; api_key = DEMO_REGULAR_KEY)) === :valid
        for transport in (:basic, :query)
            wrong = demo_client(server; api_key = WRONG_KEY, key_transport = transport)
            @test validate_key(client = wrong) === :invalid
            close(wrong)
        end
        nowhere = Credentials(base_url = "http://127.0.0.1:1/user/demo", allow_non_secure = true)
        @test validate_key(credentials = nowhere) === :unknown
        @test carto_error_name(() -> carto_me(credentials = nowhere)) === :CARTO_ERR_CONNECTION
    end

    @testset "COPY TO streams into an IO" begin
        sink = IOBuffer()
        @test carto_copyto(sink, COPY_TO_QUERY; client = master) == COPY_TO_BYTES
        data = take!(sink)
        @test length(data) == COPY_TO_BYTES
        @test all(byte -> byte == UInt8('x') || byte == UInt8('\n'), data)
        @test count(==(UInt8('\n')), data) == 20000

        path, file = mktemp()
        try
            written = carto_copyto(
                file,
                "COPY (SELECT cartodb_id, name FROM points_public ORDER BY 1) TO STDOUT WITH (FORMAT csv, HEADER true)";
                client = master,
            )
            close(file)
            @test written == filesize(path)
            @test startswith(read(path, String), "cartodb_id,name\n1,")
        finally
            isopen(file) && close(file)
            rm(path; force = true)
        end

        anonymous_client = demo_client(server; api_key = nothing)
        untouched = IOBuffer()
        err = error_of(() -> carto_copyto(untouched, "COPY (SELECT * FROM points_private) TO STDOUT"; client = anonymous_client))
        @test err isa CartoError && err.name === :CARTO_ERR_HTTP_FORBIDDEN
        @test position(untouched) == 0 # error bodies never reach the IO
        close(anonymous_client)
    end

    @testset "COPY FROM streams from an IO" begin
        carto_sql("CREATE TABLE julia_upload (id int, label text)"; client = master)
        data = upload_rows(1:5000)
        plain = carto_copyfrom(IOBuffer(data), "COPY julia_upload (id, label) FROM STDIN"; client = master)
        @test plain["total_rows"] == 5000
        zipped = carto_copyfrom(
            IOBuffer(upload_rows(5001:10000)),
            "COPY julia_upload (id, label) FROM STDIN";
            gzip = true,
            client = master,
        )
        @test zipped["total_rows"] == 5000
        csv = "id,label\n10001,a\n10002,b\n"
        sized = carto_copyfrom(
            IOBuffer(csv),
            "COPY julia_upload (id, label) FROM STDIN WITH (FORMAT csv, HEADER true)";
            content_length = sizeof(csv),
            client = master,
        )
        @test sized["total_rows"] == 2
        rows = carto_sql("select count(*) as n, max(id) as top from julia_upload"; client = master)
        @test rows.n[1] == 10002 && rows.top[1] == 10002

        bad = error_of(() -> carto_copyfrom(IOBuffer("notanint\tx\n"), "COPY julia_upload (id, label) FROM STDIN"; client = master))
        @test bad isa CartoError && bad.name === :CARTO_ERR_HTTP_CLIENT_ERROR
        @test occursin("notanint", bad.message)
        carto_sql("DROP TABLE julia_upload"; client = master)
    end

    @testset "progress and cancellation" begin
        reports = Tuple{Int,Any,Int,Any}[]
        record = (up, up_total, down, down_total) -> (push!(reports, (up, up_total, down, down_total)); nothing)
        @test carto_copyto(IOBuffer(), COPY_TO_QUERY; client = master, progress = record) == COPY_TO_BYTES
        @test !isempty(reports)
        @test reports[end][3] == COPY_TO_BYTES
        @test issorted([report[3] for report in reports])
        @test all(report -> report[4] === nothing || report[4] isa Int, reports)

        carto_sql("CREATE TABLE julia_progress (id int, label text)"; client = master)
        data = upload_rows(1:5000)
        uploads = Tuple{Int,Any,Int,Any}[]
        carto_copyfrom(
            IOBuffer(data),
            "COPY julia_progress (id, label) FROM STDIN";
            content_length = sizeof(data),
            progress = (reported...) -> push!(uploads, reported),
            client = master,
        )
        @test uploads[end][1] == sizeof(data)
        @test uploads[end][2] == sizeof(data) # the total is known from content_length
        carto_sql("DROP TABLE julia_progress"; client = master)

        # Returning false cancels; only false does.
        calls = Ref(0)
        stop_after_64k = (up, up_total, down, down_total) -> (calls[] += 1; up + down <= 65536)
        sink = IOBuffer()
        err = error_of(() -> carto_copyto(sink, COPY_TO_QUERY; client = master, progress = stop_after_64k))
        @test err isa CartoError && err.name === :CARTO_ERR_CANCELLED
        @test calls[] > 0 && position(sink) < COPY_TO_BYTES
        @test carto_copyto(IOBuffer(), COPY_TO_QUERY; client = master, progress = (args...) -> true) ==
              COPY_TO_BYTES
        cancelled = error_of(() -> carto_sql("select 1"; client = master, progress = (args...) -> false))
        @test cancelled isa CartoError && cancelled.name === :CARTO_ERR_CANCELLED
    end

    @testset "a callback that throws: its exception comes back, nothing crashes" begin
        before = settled_handle_count()
        sink_error = error_of(() -> carto_copyto(ExplodingSink(), COPY_TO_QUERY; client = master))
        @test sink_error == CallbackFailure("sink")

        carto_sql("CREATE TABLE julia_broken (id int, label text)"; client = master)
        source_error = error_of(
            () -> carto_copyfrom(ExplodingSource(), "COPY julia_broken (id, label) FROM STDIN"; client = master),
        )
        @test source_error == CallbackFailure("source")
        @test carto_sql("select count(*) as n from julia_broken"; client = master)[1]["n"] == 0
        carto_sql("DROP TABLE julia_broken"; client = master)

        progress_error = error_of(
            () -> carto_copyto(
                IOBuffer(),
                COPY_TO_QUERY;
                client = master,
                progress = (args...) -> throw(CallbackFailure("progress")),
            ),
        )
        @test progress_error == CallbackFailure("progress")
        typed = error_of(() -> carto_sql("select 1"; client = master, progress = (args...) -> error("boom")))
        @test typed isa ErrorException && typed.msg == "boom"

        # The library and the client still work, and every handle of the failed calls is gone.
        @test carto_sql("select 5 as five"; client = master)[1]["five"] == 5
        @test collect_until(before) <= before
    end

    @testset "tasks and threads share a client" begin
        outcomes = Vector{Bool}(undef, 8)
        @sync for worker in 1:8
            Threads.@spawn begin
                ok = true
                for round in 1:10
                    n = worker * 1000 + round
                    ok &= carto_sql("select $n as n"; client = master)[1]["n"] == n
                    sink = IOBuffer()
                    ok &= carto_copyto(sink, "COPY (SELECT $n) TO STDOUT"; client = master) ==
                          length("$n\n")
                    err = error_of(() -> carto_sql("selct $n"; client = master))
                    ok &= err isa CartoError && err.name === :CARTO_ERR_HTTP_CLIENT_ERROR
                    ok &= occursin("selct", err.message)
                end
                outcomes[worker] = ok
            end
        end
        @test all(outcomes)
    end

    @testset "handles return to the baseline" begin
        close(master)
        close(query_master)
        @test close(master) === nothing # twice
        @test collect_until(baseline) <= baseline
    end
    platform_tests(server)
    return nothing
end
