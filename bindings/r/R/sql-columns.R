# The R types of the SQL API's text columns that have a better one: the library hands them
# over as the JSON text the SQL API sent (src/result.c), and the column's PostgreSQL type
# (CARTO's `fields`) says what that text holds. carto_sql() and the DBI backend share this, so
# both return the same types.
#
#   time             hms::hms (seconds since midnight; difftime without hms)
#   bytea            blob::blob (a list of raw vectors without blob), from node's Buffer JSON
#   interval         difftime in seconds, from node's postgres-interval object, with
#                    PostgreSQL's extract(epoch) lengths: a month is 30 days, a year 365.25
#   _<type> arrays   a list column: per row a vector of the element type (integer, double,
#                    logical, character, Date, POSIXct), NULL for NULL, nested lists for
#                    arrays of more than one dimension

.text_column_as <- function(x, pgtype) {
  if (identical(pgtype, "time")) return(.time_column(x))
  if (identical(pgtype, "bytea")) return(.bytea_column(x))
  if (identical(pgtype, "interval")) return(.interval_column(x))
  if (startsWith(pgtype, "_")) return(.array_column(x, substring(pgtype, 2L)))
  x
}

.as_hms <- function(secs) {
  if (requireNamespace("hms", quietly = TRUE)) hms::hms(secs)
  else structure(secs, units = "secs", class = "difftime")
}

# "12:34:56.5" (and "24:00:00") to seconds since midnight.
.time_column <- function(x) {
  ok <- !is.na(x) & grepl("^[0-9]+:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?$", x)
  secs <- rep(NA_real_, length(x))
  if (any(ok)) {
    parts <- matrix(as.numeric(unlist(strsplit(x[ok], ":", fixed = TRUE))), nrow = 3L)
    secs[ok] <- colSums(parts * c(3600, 60, 1))
  }
  if (any(!ok & !is.na(x)))
    .abort_invalid_argument(sprintf("a time column holds %s, which is not a time of day",
                                    sQuote(x[!ok & !is.na(x)][[1L]], FALSE)))
  .as_hms(secs)
}

# Node.js writes a Buffer as {"type":"Buffer","data":[0,1,...]}.
.bytea_column <- function(x) {
  cells <- vector("list", length(x))
  present <- which(!is.na(x))
  if (length(present)) {
    digits <- sub('^\\{"type":"Buffer","data":\\[([0-9,]*)\\]\\}$', "\\1", x[present])
    bad <- digits == x[present]
    if (any(bad))
      .abort_invalid_argument(sprintf("a bytea column holds %s, which is not the SQL API's Buffer form",
                                      sQuote(substr(x[present][bad][[1L]], 1L, 60L), FALSE)))
    cells[present] <- lapply(strsplit(digits, ",", fixed = TRUE), function(d) as.raw(as.integer(d)))
  }
  if (requireNamespace("blob", quietly = TRUE)) blob::new_blob(cells) else cells
}

# {"days":1,"hours":2} (only the parts present and non-zero; {} is zero) to seconds.
.interval_column <- function(x) {
  secs <- rep(NA_real_, length(x))
  present <- which(!is.na(x))
  if (length(present)) {
    parsed <- jsonlite::parse_json(paste0("[", paste(x[present], collapse = ","), "]"))
    lengths <- c(years = 365.25 * 86400, months = 30 * 86400, days = 86400, hours = 3600,
                 minutes = 60, seconds = 1, milliseconds = 1e-3)
    secs[present] <- vapply(parsed, function(p) {
      if (!is.list(p) || !all(names(p) %in% names(lengths)))
        .abort_invalid_argument("an interval column holds a value that is not the SQL API's interval object")
      sum(vapply(names(p), function(k) as.numeric(p[[k]]) * lengths[[k]], 0))
    }, 0)
  }
  structure(secs, units = "secs", class = "difftime")
}

# JSON arrays (the SQL API's form of PostgreSQL arrays) as a list column. Arrays the SQL API
# leaves as PostgreSQL's text ("{a,b}", element types node-postgres does not parse) stay text.
.array_column <- function(x, element) {
  present <- which(!is.na(x))
  if (!length(present) || !all(startsWith(x[present], "[")))
    return(if (length(present)) x else vector("list", length(x)))
  parsed <- jsonlite::parse_json(paste0("[", paste(x[present], collapse = ","), "]"))
  json <- element %in% c("json", "jsonb")
  convert <- if (json) .json_texts else .array_element_as(element)
  cells <- vector("list", length(x))
  cells[present] <- lapply(parsed, function(a) .array_cell(a, convert, json))
  cells
}

.array_cell <- function(a, convert, json) {
  if (!json && length(a) && any(vapply(a, is.list, TRUE))) # more than one dimension
    return(lapply(a, .array_cell, convert = convert, json = json))
  convert(a)
}

# Elements of json/jsonb arrays: each as its JSON text.
.json_texts <- function(a) {
  vapply(a, function(e) if (is.null(e)) NA_character_
                        else as.character(jsonlite::toJSON(e, auto_unbox = TRUE, null = "null")), "")
}

# A function turning a list of JSON scalars (NULL for NULL) into the element type's vector.
.array_element_as <- function(element) {
  fill <- function(a, na, cast) {
    out <- rep(na, length(a))
    present <- !vapply(a, is.null, TRUE)
    if (any(present)) out[present] <- cast(unlist(a[present], use.names = FALSE))
    out
  }
  switch(element,
    int2 = , int4 = function(a) fill(a, NA_integer_, as.integer),
    int8 = , float4 = , float8 = , numeric = function(a) fill(a, NA_real_, as.numeric),
    bool = function(a) fill(a, NA, as.logical),
    date = function(a) as.Date(substr(fill(a, NA_character_, as.character), 1L, 10L)),
    timestamp = , timestamptz = function(a)
      as.POSIXct(fill(a, NA_character_, as.character), tz = "UTC", format = "%Y-%m-%dT%H:%M:%OSZ"),
    function(a) fill(a, NA_character_, as.character)
  )
}
