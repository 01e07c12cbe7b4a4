# A query's result read in chunks as its answer arrives (carto_result_reader): each chunk is
# a column table of at most `chunk_rows` rows, typed as carto_sql types a whole answer
# (src/result.jl), so memory holds one chunk, never the answer's JSON. The iterator is also
# a Tables.jl source of partitions (`Tables.partitions`), for sinks that write or append one
# table per chunk.

"""
    ResultReader

The C reader of a query's answer (owned by a [`ResultChunks`](@ref)). Closing it before the
end closes the connection, which stops the query on the server.
"""
mutable struct ResultReader <: CartoHandle
    ptr::Ptr{Cvoid}
    ResultReader(::_Adopt, ptr::Ptr{Cvoid}) = _adopt!(new(ptr))
end

_free(::Type{ResultReader}, ptr::Ptr{Cvoid}) = C.carto_result_reader_free(ptr)

"""
    ResultChunks

What [`carto_sql_chunks`](@ref) returns: an iterator of column tables, read as the answer
arrives. `Tables.partitions(chunks)` is the iterator itself. `close(chunks)` stops reading
(and the query); it is closed by itself at the end.
"""
struct ResultChunks
    reader::ResultReader
    chunk_rows::Int
end

"""
    carto_sql_chunks(query; chunk_rows=100_000, credentials=nothing, client=nothing) -> ResultChunks
    carto_sql_chunks(f, query; chunk_rows=100_000, credentials=nothing, client=nothing)

Runs a query on CARTO's SQL API and reads its rows in chunks as the answer arrives: an
iterator of column tables of at most `chunk_rows` rows each, with the columns and element
types of [`carto_sql`](@ref)'s `"json"` answer (an empty result gives one table of no rows).
The whole answer is never in memory, so a result of any size (larger than the client's
`max_body_size` too) reads in full. The query is sent here; HTTP errors throw as in
`carto_sql`. An error that arrives after rows were sent (CARTO reports some at the end of its
answer) throws from the iteration that reaches it (`:CARTO_ERR_QUERY_FAILED`): a result is
never silently cut short. The do-block form closes the reader when `f` returns.

```julia
carto_sql_chunks("SELECT * FROM big_table"; chunk_rows = 50_000) do chunks
    for table in chunks
        process(table.cartodb_id, table.the_geom)
    end
end
# Tables.jl sinks that take partitions, e.g. Arrow.write(path, Tables.partitions(chunks))
```
"""
function carto_sql_chunks(
    query::AbstractString;
    chunk_rows::Integer = 100_000,
    credentials::Union{Credentials,Nothing} = nothing,
    client::Union{Client,Nothing} = nothing,
)
    chunk_rows >= 1 || _invalid("chunk_rows must be at least 1 (got $(chunk_rows))")
    return _with_client(credentials, client) do active
        # The reader keeps what it needs of the client, so it outlives a client made here.
        out = Ref{Ptr{Cvoid}}(C_NULL)
        _check(C.carto_client_sql_reader(active, _cstring(query, "query"), out))
        return ResultChunks(ResultReader(_Adopt(), out[]), Int(chunk_rows))
    end
end

function carto_sql_chunks(f::Function, query::AbstractString; kwargs...)
    chunks = carto_sql_chunks(query; kwargs...)
    try
        return f(chunks)
    finally
        close(chunks)
    end
end

Base.IteratorSize(::Type{ResultChunks}) = Base.SizeUnknown()
Base.eltype(::Type{ResultChunks}) = NamedTuple
Base.close(chunks::ResultChunks) = close(chunks.reader)
Base.isopen(chunks::ResultChunks) = isopen(chunks.reader)

# The next chunk, or `nothing` at the end (the reader is then closed) or once closed.
function Base.iterate(chunks::ResultChunks, state = nothing)
    isopen(chunks.reader) || return nothing
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_result_reader_next(chunks.reader, chunks.chunk_rows, C_NULL, C_NULL, out))
    if out[] == C_NULL
        close(chunks.reader)
        return nothing
    end
    return (_column_table(out[]), nothing)
end

Tables.partitions(chunks::ResultChunks) = chunks
