# Tests of the platform APIs (Batch SQL, API keys, Data Observatory) against carto-emulator;
# http_tests (test/http.jl) calls platform_tests(server). Created keys are deleted.

function platform_tests(server)
    master = demo_client(server)
    regular = demo_client(server; api_key = DEMO_REGULAR_KEY)
    try
        @testset "Batch SQL: a job runs to done" begin
            job = carto_batch_create(
                ["create table jl_batch (n int)", "insert into jl_batch values (1), (2)"];
                client = master,
            )
            @test job.status in (:pending, :running)
            polls = Ref(0)
            done = carto_batch_wait(job; timeout = 30, client = master, progress = j -> (polls[] += 1; true))
            @test polls[] >= 1
            @test done.status === :done
            @test [q.status for q in done.queries] == [:done, :done]
            @test done.user == "demo"
            @test occursin(r"^20[0-9]{2}-[0-9]{2}-[0-9]{2}T", something(done.created_at, ""))
            @test something(done.updated_at, "") >= something(done.created_at, "")
            @test carto_batch_cancel(job; client = master).status === :done
        end

        @testset "Batch SQL: a failing job, a cancelled one, a wait that times out" begin
            job = carto_batch_create(["select 1", "select * from jl_no_such_table", "select 2"]; client = master)
            err = error_of(() -> carto_batch_wait(job; timeout = 30, client = master))
            @test err isa CartoError && err.name === :CARTO_ERR_BATCH_JOB_FAILED
            @test occursin("jl_no_such_table", err.message)
            @test [q.status for q in carto_batch_status(job; client = master).queries] == [:done, :failed, :skipped]

            slow = carto_batch_create("select pg_sleep(60)"; client = master)
            err = error_of(() -> carto_batch_wait(slow; timeout = 0.3, client = master))
            @test err isa CartoError && err.name === :CARTO_ERR_WAIT_TIMEOUT
            err = error_of(() -> carto_batch_wait(slow; timeout = 30, client = master, progress = j -> j.status !== :running))
            @test err isa CartoError && err.name === :CARTO_ERR_CANCELLED
            @test carto_batch_cancel(slow; client = master).status === :cancelled
            err = error_of(() -> carto_batch_wait(slow; timeout = 30, client = master))
            @test err isa CartoError && err.name === :CARTO_ERR_BATCH_JOB_CANCELLED
            err = error_of(() -> carto_batch_create("select 1"; client = regular))
            @test err isa CartoError && err.name === :CARTO_ERR_HTTP_FORBIDDEN
        end

        @testset "API keys: every page, grants, tokens only from create and regenerate" begin
            before = carto_api_keys(; client = master)
            @test before[1].type === :master
            names = ["jl_page_$(lpad(i, 2, '0'))" for i in 1:21]
            try
                for n in names
                    carto_api_key_create(n; apis = ["sql"], client = master)
                end
                all_keys = carto_api_keys(; client = master)
                @test length(all_keys) == length(before) + 21
                @test all(n -> any(k -> k.name == n, all_keys), names)
            finally
                for n in names
                    try
                        carto_api_key_delete(n; client = master)
                    catch
                    end
                end
            end
            new = carto_api_key_create(
                "jl reader";
                apis = ["sql"],
                tables = [(table = "points_private", permissions = ["select"])],
                client = master,
            )
            @test new.key.tables[1].table == "points_private"
            @test !occursin(new.token, sprint(show, new.key))
            renewed = carto_api_key_regenerate("jl reader"; client = master)
            @test renewed.token != new.token
            carto_api_key_delete("jl reader"; client = master)
            err = error_of(() -> carto_api_key("jl reader"; client = master))
            @test err isa CartoError && err.name === :CARTO_ERR_HTTP_NOT_FOUND
        end

        @testset "API keys: a regular key is told it is not the master key" begin
            err = error_of(() -> carto_api_key_create("mine"; apis = ["sql"], client = regular))
            @test err isa CartoError && err.name === :CARTO_ERR_HTTP_FORBIDDEN
            @test occursin("only the account's master key", err.message)
            @test !occursin(DEMO_REGULAR_KEY, err.message)
            @test [k.name for k in carto_api_keys(; client = regular)] == ["demo_regular"]
        end

        @testset "DO credentials" begin
            creds = carto_do_credentials(; client = master)
            @test !isempty(creds.access_token)
            @test creds.bq_project !== nothing
            @test !creds.instant_licensing
            @test !occursin(creds.access_token, sprint(show, creds))
            err = error_of(() -> carto_do_credentials(; client = regular))
            @test err isa CartoError && err.name === :CARTO_ERR_HTTP_FORBIDDEN
        end
    finally
        close(master)
        close(regular)
    end
end
