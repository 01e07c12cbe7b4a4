# CARTO 3 from Julia without a server: the never-cross rules, one kind per credential, and a
# non-interactive session that is never prompted for a sign-in.

using Test
using CartoAuth

@testset "CARTO 3" begin
    @testset "a token never goes to a CARTO 2 host, nor a key to a CARTO 3 one" begin
        err = try
            carto3_credentials(api_base_url = "https://alice.carto.com", token = "t")
        catch e
            e
        end
        @test err isa CartoError && err.name === :CARTO_ERR_INVALID_ARGUMENT
        @test occursin("CARTO 2 host", err.message)
        @test_throws CartoError Credentials(base_url = "https://gcp-us-east1.api.carto.com", api_key = "k")
        @test_throws CartoError carto3_credentials(api_base_url = "https://x.api.carto.com")
    end

    @testset "kinds, and descriptions that show no secret" begin
        m2m = carto3_credentials(
            api_base_url = "https://gcp-us-east1.api.carto.com",
            client_id = "the-client",
            client_secret = "the-SEKRIT-secret",
        )
        @test credential_kind(m2m) === :m2m
        @test !occursin("SEKRIT", sprint(show, m2m))
        user = carto3_credentials(api_base_url = "https://carto.acme.com/api", sign_in = true)
        @test credential_kind(user) === :oauth_user
    end

    @testset "a non-interactive session is refused a sign-in, not prompted" begin
        user = carto3_credentials(api_base_url = "https://carto.acme.com/api", sign_in = true)
        err = try
            sign_in(credentials = user)
        catch e
            e
        end
        @test err isa CartoError && err.name === :CARTO_ERR_SIGNIN_REQUIRED
        @test occursin("CARTO_M2M_CLIENT_ID", err.message)
    end
end
