# Columns the SQL API collapses. Its JSON answer keys every row by column name, so of several
# columns with one name (unnamed ones are all "?column?") only the last reaches the client,
# with nothing in the answer to say so. carto_sql() (and so every DBI query) warns when it can
# tell: the last statement's top-level SELECT list has more items than the answer has columns,
# or, for a * over several sources (a join, a list of tables, a subquery), PostgreSQL's own
# description of the columns (a COPY header of the query with LIMIT 0, which runs nothing)
# has more names than the answer.

# The shape of the last statement's top-level SELECT list: list(width (items), star (an item
# is * or x.*), several_sources (its FROM has a join, a comma or a parenthesis), statement
# (that statement's text)); NULL when the last statement has no such list.
.sql_select_shape <- function(sql) {
  cp <- .sql_code_points(sql)
  masked <- .sql_scan(cp, standard_strings = TRUE, mask = TRUE)$masked
  # The last statement with any text.
  semis <- which(masked == 59L)
  bounds <- cbind(c(1L, semis + 1L), c(semis - 1L, length(masked)))
  text_in <- vapply(seq_len(nrow(bounds)), function(k) {
    b <- bounds[k, ]
    b[[2L]] >= b[[1L]] && any(masked[b[[1L]]:b[[2L]]] > 32L)
  }, TRUE)
  if (!any(text_in)) return(NULL)
  b <- bounds[max(which(text_in)), ]
  codes <- masked[b[[1L]]:b[[2L]]]
  text <- tolower(intToUtf8(codes))
  depth <- cumsum(codes == 40L | codes == 91L) - cumsum(codes == 41L | codes == 93L)
  words <- gregexpr("[\\p{L}_][\\p{L}\\p{N}_$]*", text, perl = TRUE)[[1L]]
  if (words[[1L]] < 0) return(NULL)
  word <- substring(text, words, words + attr(words, "match.length") - 1L)
  top <- depth[words] == 0L
  word <- word[top]
  at <- as.integer(words[top])
  select <- match("select", word)
  if (is.na(select)) return(NULL)
  ends <- c("from", "into", "where", "group", "having", "window", "order", "limit", "offset",
            "fetch", "for", "union", "intersect", "except")
  after <- seq_along(word) > select
  end_word <- which(after & word %in% ends)[1L]
  list_from <- at[[select]] + 6L
  list_to <- if (is.na(end_word)) length(codes) else at[[end_word]] - 1L
  # DISTINCT [ON (...)] and ALL come before the list.
  lead <- which(after & at < list_to)
  if (length(lead) && word[[lead[[1L]]]] %in% c("distinct", "all")) {
    list_from <- at[[lead[[1L]]]] + nchar(word[[lead[[1L]]]])
    if (length(lead) > 1L && word[[lead[[2L]]]] == "on") {
      open <- which(codes == 40L & seq_along(codes) > at[[lead[[2L]]]])[1L]
      close <- which(codes == 41L & depth == 0L & seq_along(codes) > open)[1L]
      if (!is.na(close)) list_from <- close + 1L
    }
  }
  if (list_to < list_from) return(NULL)
  commas <- which(codes == 44L & depth == 0L)
  commas <- commas[commas >= list_from & commas <= list_to]
  item_bounds <- cbind(c(list_from, commas + 1L), c(commas - 1L, list_to))
  items <- trimws(substring(text, item_bounds[, 1L], item_bounds[, 2L]))
  star <- any(grepl("(^|\\.)\\s*\\*$", items))
  several <- FALSE
  if (!is.na(end_word) && word[[end_word]] == "from") {
    stop_word <- which(seq_along(word) > end_word & word %in% setdiff(ends, c("from", "into")))[1L]
    from_to <- if (is.na(stop_word)) length(codes) else at[[stop_word]] - 1L
    range <- seq_len(max(0L, from_to - at[[end_word]] - 3L)) + at[[end_word]] + 3L
    several <- any((codes[range] == 44L & depth[range] == 0L) |  # a, b
                     (codes[range] == 40L & depth[range] == 1L)) || # (subquery), f(...)
      any(word[seq_along(word) > end_word & at <= from_to] == "join")
  }
  list(width = length(items), star = star, several_sources = several,
       statement = intToUtf8(cp[b[[1L]]:b[[2L]]]))
}

# Warns (class carto_warning_collapsed_columns) when `df`, the answer to `query`, lost columns.
# Statements longer than 32 KiB are not looked at (the scan is R code, linear but not free).
.warn_collapsed_columns <- function(df, query, client) {
  if (nchar(query, type = "bytes") > 32768L) return(invisible(NULL))
  shape <- tryCatch(.sql_select_shape(query), error = function(e) NULL)
  if (is.null(shape)) return(invisible(NULL))
  if (!shape$star) {
    if (shape$width > ncol(df))
      .warn_collapsed(sprintf("the query selects %d columns, but the answer has %d", shape$width,
                              ncol(df)))
    return(invisible(NULL))
  }
  # * alone over one table: a table's names are unique.
  if (!shape$several_sources && shape$width == 1L) return(invisible(NULL))
  described <- .described_columns(client, shape$statement)
  if (length(described) > ncol(df)) {
    repeated <- unique(described[duplicated(described)])
    .warn_collapsed(sprintf("the query selects %d columns, but the answer has %d (%s %s)",
                            length(described), ncol(df), paste(sQuote(repeated, FALSE), collapse = ", "),
                            if (length(repeated) > 1L) "come more than once" else "comes more than once"))
  }
  invisible(NULL)
}

.warn_collapsed <- function(what) {
  warning(structure(class = c("carto_warning_collapsed_columns", "carto_warning", "warning", "condition"),
                    list(message = paste0(what, ": the SQL API keys each row by column name, so of ",
                                          "several columns with one name (unnamed ones are all ",
                                          "\"?column?\") only the last is kept; give each column ",
                                          "its own name (... AS name)"),
                         call = .user_call())))
}

# The names of the columns of `statement` (a query) as PostgreSQL describes them, or NULL when
# it cannot say. COPY's header keeps every name; LIMIT 0 fetches no row, so nothing runs.
.described_columns <- function(client, statement) {
  tryCatch({
    req <- .Call(C_request_new_copy_to, paste0(
      "COPY (SELECT * FROM (", statement, "\n) AS cartoauth_columns LIMIT 0) TO STDOUT ",
      "WITH (FORMAT csv, HEADER true)"))
    on.exit(.Call(C_request_free, req), add = TRUE)
    res <- .send(client, req, as = "text", method = "COPY TO", path = "api/v2/sql/copyto")
    if (res$status >= 400L || !is.character(res$body) || !nzchar(res$body)) return(NULL)
    header <- utils::read.csv(text = res$body, header = FALSE, nrows = 1L, colClasses = "character",
                              check.names = FALSE, na.strings = character())
    as.character(unlist(header[1L, ], use.names = FALSE))
  }, error = function(e) NULL)
}
