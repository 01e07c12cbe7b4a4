# carto_sql's JSON answer (or a chunk of carto_sql_chunks, src/reader.jl) as a column table:
# libcartoauth reads the answer into typed columns (carto_result) and each column is copied
# out with one bulk call. The table is a NamedTuple
# of vectors, which Tables.jl accepts as a column table without a dependency.
#
# Element types, by the column's PostgreSQL type; every vector is Vector{Union{Missing,T}}
# (always, so that a column's type does not depend on whether this answer had a NULL):
#   int2, int4 -> Int32; int8, oid -> Int64; float4, float8, numeric -> Float64 (NaN, ±Inf);
#   bool -> Bool; timestamp, timestamptz -> Dates.DateTime (UTC; CARTO sends milliseconds);
#   date -> Dates.Date; geometry, geography -> Vector{UInt8} (WKB); the rest -> String.

const _EPOCH = Dates.DateTime(1970, 1, 1)

function _column_table(response::Response)
    out = Ref{Ptr{Cvoid}}(C_NULL)
    _check(C.carto_result_from_response(response, out))
    return _column_table(out[])
end

# The column table of a result (a whole answer or a reader's chunk), which is freed here.
function _column_table(result::Ptr{Cvoid})
    # Every pointer read below is borrowed from `result`, freed only in the `finally`.
    try
        rows = Ref{Csize_t}(0)
        ncol = Ref{Csize_t}(0)
        _check(C.carto_result_row_count(result, rows))
        _check(C.carto_result_column_count(result, ncol))
        names = Symbol[]
        columns = AbstractVector[]
        for c in 0:(Int(ncol[]) - 1)
            name = Ref{Ptr{UInt8}}(C_NULL)
            ctype = Ref{Ptr{UInt8}}(C_NULL)
            pgtype = Ref{Ptr{UInt8}}(C_NULL)
            kind = Ref{Int32}(0)
            _check(C.carto_result_column_info(result, c, name, ctype, pgtype))
            _check(C.carto_result_column_kind(result, c, kind))
            push!(names, Symbol(_copy_string(name[])))
            push!(columns, _column(result, c, Int(rows[]), kind[], _copy_string(pgtype[])))
        end
        return NamedTuple{Tuple(names)}(Tuple(columns))
    finally
        C.carto_result_free(result)
    end
end

function _column(result::Ptr{Cvoid}, c::Int, n::Int, kind::Int32, pgtype::String)
    nulls = zeros(UInt8, n)
    if kind == C.CARTO_COLUMN_INT
        values = zeros(Int64, n)
        _check(C.carto_result_column_int64(result, c, 0, n, values, nulls))
        T = pgtype in ("int2", "int4") ? Int32 : Int64
        return _with_missing(T, values, nulls)
    elseif kind == C.CARTO_COLUMN_FLOAT
        values = zeros(Float64, n)
        _check(C.carto_result_column_double(result, c, 0, n, values, nulls))
        return _with_missing(Float64, values, nulls)
    elseif kind == C.CARTO_COLUMN_BOOL
        values = zeros(UInt8, n)
        _check(C.carto_result_column_bool(result, c, 0, n, values, nulls))
        return _with_missing(Bool, values, nulls)
    elseif kind == C.CARTO_COLUMN_TIMESTAMP
        values = zeros(Int64, n)
        _check(C.carto_result_column_time_micros(result, c, 0, n, values, nulls))
        out = Vector{Union{Missing,Dates.DateTime}}(missing, n)
        for i in 1:n
            nulls[i] == 0x01 && continue
            if values[i] == typemax(Int64) || values[i] == typemin(Int64)
                throw(CartoError(C.CARTO_ERR_RESULT_TYPE,
                    "row $(i - 1) of column $(c) is ±infinity, which a DateTime cannot hold"))
            end
            out[i] = _EPOCH + Dates.Millisecond(div(values[i], 1000))
        end
        return out
    elseif kind == C.CARTO_COLUMN_DATE
        values = zeros(Int32, n)
        _check(C.carto_result_column_date_days(result, c, 0, n, values, nulls))
        out = Vector{Union{Missing,Dates.Date}}(missing, n)
        for i in 1:n
            nulls[i] == 0x01 || (out[i] = Dates.Date(1970, 1, 1) + Dates.Day(values[i]))
        end
        return out
    elseif kind == C.CARTO_COLUMN_GEOMETRY
        pointers = fill(Ptr{UInt8}(C_NULL), n)
        lengths = zeros(Csize_t, n)
        _check(C.carto_result_column_wkb(result, c, 0, n, pointers, lengths, C_NULL, nulls))
        out = Vector{Union{Missing,Vector{UInt8}}}(missing, n)
        for i in 1:n
            nulls[i] == 0x01 && continue
            wkb = Vector{UInt8}(undef, Int(lengths[i]))
            unsafe_copyto!(pointer(wkb), pointers[i], length(wkb))
            out[i] = wkb
        end
        return out
    else
        pointers = fill(Ptr{UInt8}(C_NULL), n)
        lengths = zeros(Csize_t, n)
        _check(C.carto_result_column_text(result, c, 0, n, pointers, lengths, nulls))
        out = Vector{Union{Missing,String}}(missing, n)
        for i in 1:n
            nulls[i] == 0x01 && continue
            # fatou-ignore discouraged-function: the text is borrowed from `result`, alive until the `finally` below
            out[i] = unsafe_string(pointers[i], Int(lengths[i]))
        end
        return out
    end
end

function _with_missing(::Type{T}, values::Vector, nulls::Vector{UInt8}) where {T}
    out = Vector{Union{Missing,T}}(missing, length(values))
    for i in eachindex(values)
        nulls[i] == 0x01 || (out[i] = T === Bool ? values[i] != 0 : T(values[i]))
    end
    return out
end
