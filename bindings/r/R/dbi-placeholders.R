# Placeholders ($1, $2, ...) bound in R: the SQL API has no bound parameters, so each value
# becomes a literal (dbQuoteLiteral()) in place of its placeholder. A value can only stay a
# value if every placeholder found is one PostgreSQL's own lexer (src/backend/parser/scan.l)
# would see as a parameter, and none sits inside a string, quoted identifier, dollar quote or
# comment; so the scanner below follows that lexer's rules:
#   - '...' with '' for a quote; E'...' with backslash escapes; B'...', X'...', N'...',
#     U&'...'; a string followed by whitespace holding a newline and another quote goes on
#     in the same kind (E'a'<newline>'b\'c' is one E string);
#   - "..." and U&"..." identifiers with "" for a quote;
#   - $tag$...$tag$, where a tag is a letter, _ or any non-ASCII character followed by those
#     or digits ($é$ is a tag);
#   - -- to the end of the line, and /* */ comments, which nest;
#   - a $ inside a name is part of the name (a$1 is an identifier), and a number ends where
#     its digits do (1e'x' is 1 and then the E string 'x').
# Where a plain '...' string holds a backslash, its end depends on the server's
# standard_conforming_strings: the statement is scanned both ways, and binding is refused
# when the two disagree on the placeholders (.bind_sql()). An unterminated string or comment
# ends the scan: the server rejects the whole request, so nothing after it can run.

# The placeholders of `sql` as list(start, end, number): character positions of each "$k"
# and its k, with ambiguous = TRUE when they depend on standard_conforming_strings.
.placeholders <- function(sql) {
  none <- list(start = integer(), end = integer(), number = numeric(), ambiguous = FALSE)
  if (!grepl("$", sql, fixed = TRUE))
    return(none)
  cp <- .sql_code_points(sql)
  on <- .sql_scan(cp, standard_strings = TRUE)
  out <- list(start = on$start, end = on$end, number = on$number, ambiguous = FALSE)
  if (on$plain_backslash) {
    off <- .sql_scan(cp, standard_strings = FALSE)
    out$ambiguous <- !identical(on$start, off$start)
  }
  out
}

.placeholder_count <- function(placeholders) length(placeholders$number)

.sql_code_points <- function(sql) {
  cp <- utf8ToInt(enc2utf8(sql))
  if (anyNA(cp))
    .abort_invalid_argument("the statement is not valid UTF-8 text")
  cp
}

# PostgreSQL's identifier characters: letters, _ and every non-ASCII character (the lexer
# takes each byte >= 0x80 as a letter); digits and $ after the first.
.sql_ident_start <- function(c) (c >= 97L && c <= 122L) || (c >= 65L && c <= 90L) || c == 95L || c >= 128L
.sql_digit <- function(c) c >= 48L && c <= 57L

# One pass of the lexer over the code points `cp`. standard_strings: whether '...' keeps
# backslashes (standard_conforming_strings = on, the default) or treats them as escapes.
.sql_scan <- function(cp, standard_strings, mask = FALSE) {
  n <- length(cp)
  at <- function(k) if (k <= n) cp[[k]] else -1L
  dollars <- which(cp == 36L) # where a closing $tag$ may start
  next_dollar <- 1L          # index into `dollars`; only moves forward, as the scan does
  # The placeholders, in vectors that double when full (no quadratic appends).
  start <- end <- integer(8L)
  number <- numeric(8L)
  found <- 0L
  plain_backslash <- FALSE

  # The position after the string whose opening quote is at i, in `kind` "q" (plain), "e"
  # (backslash escapes) or "b" (bit/hex: the first quote ends it); n + 1 if unterminated.
  skip_string <- function(i, kind) {
    j <- i + 1L
    repeat {
      if (j > n) return(n + 1L)
      c <- cp[[j]]
      if (c == 92L && kind == "e") {
        j <- j + 2L
      } else if (c == 39L) {
        if (kind != "b" && at(j + 1L) == 39L) {
          j <- j + 2L
          next
        }
        # The string goes on after whitespace holding a newline (comments allowed) and a
        # quote, in the same kind.
        k <- j + 1L
        newline <- FALSE
        repeat {
          c2 <- at(k)
          if (c2 == 32L || c2 == 9L || c2 == 12L || c2 == 11L) {
            k <- k + 1L
          } else if (c2 == 10L || c2 == 13L) {
            newline <- TRUE
            k <- k + 1L
          } else if (c2 == 45L && at(k + 1L) == 45L) {
            while (k <= n && cp[[k]] != 10L && cp[[k]] != 13L) k <- k + 1L
          } else {
            break
          }
        }
        if (newline && at(k) == 39L) {
          j <- k + 1L
          next
        }
        return(j + 1L)
      } else {
        if (c == 92L) plain_backslash <<- TRUE
        j <- j + 1L
      }
    }
  }
  # The position after the first `tag` (code points) at or after `from`, n + 1 if none.
  # Only the $ signs are tried, each once per statement: the scan goes on after the tag.
  skip_dollar_quote <- function(tag, from) {
    len <- length(tag)
    while (next_dollar <= length(dollars) && dollars[[next_dollar]] < from)
      next_dollar <<- next_dollar + 1L
    while (next_dollar <= length(dollars)) {
      d <- dollars[[next_dollar]]
      last <- d + len - 1L
      if (last > n) break
      if (cp[[last]] == 36L && all(cp[d:last] == tag))
        return(last + 1L)
      next_dollar <<- next_dollar + 1L
    }
    n + 1L
  }
  skip_identifier <- function(i) { # "..." with "" for a quote
    j <- i + 1L
    repeat {
      if (j > n) return(n + 1L)
      if (cp[[j]] == 34L) {
        if (at(j + 1L) == 34L) { j <- j + 2L; next }
        return(j + 1L)
      }
      j <- j + 1L
    }
  }

  # With mask = TRUE, the text with its comments blanked and its literals, quoted names and
  # dollar quotes each turned into a word of x's (same length), for .sql_select_shape().
  masked <- if (mask) cp else NULL
  blank <- function(from, to, with) {
    if (mask && to >= from) masked[from:min(to, n)] <<- with
  }

  i <- 1L
  while (i <= n) {
    c <- cp[[i]]
    nxt <- at(i + 1L)
    from <- i
    if (c == 45L && nxt == 45L) {                                   # -- comment
      while (i <= n && cp[[i]] != 10L && cp[[i]] != 13L) i <- i + 1L
      blank(from, i - 1L, 32L)
    } else if (c == 47L && nxt == 42L) {                            # /* comment */, nested
      depth <- 1L
      i <- i + 2L
      while (i <= n && depth > 0L) {
        if (cp[[i]] == 47L && at(i + 1L) == 42L) {
          depth <- depth + 1L
          i <- i + 2L
        } else if (cp[[i]] == 42L && at(i + 1L) == 47L) {
          depth <- depth - 1L
          i <- i + 2L
        } else {
          i <- i + 1L
        }
      }
      blank(from, i - 1L, 32L)
    } else if (c == 39L) {                                          # '...'
      i <- skip_string(i, if (standard_strings) "q" else "e")
      blank(from, i - 1L, 120L)
    } else if (c == 34L) {                                          # "..."
      i <- skip_identifier(i)
      blank(from, i - 1L, 120L)
    } else if (.sql_ident_start(c)) {
      if ((c == 69L || c == 101L) && nxt == 39L) {                  # E'...'
        i <- skip_string(i + 1L, "e")
        blank(from, i - 1L, 120L)
      } else if ((c == 66L || c == 98L || c == 88L || c == 120L) && nxt == 39L) { # B'', X''
        i <- skip_string(i + 1L, "b")
        blank(from, i - 1L, 120L)
      } else if ((c == 78L || c == 110L) && nxt == 39L) {           # N'...'
        i <- skip_string(i + 1L, if (standard_strings) "q" else "e")
        blank(from, i - 1L, 120L)
      } else if ((c == 85L || c == 117L) && nxt == 38L && at(i + 2L) == 39L) { # U&'...'
        i <- skip_string(i + 2L, "u")
        blank(from, i - 1L, 120L)
      } else if ((c == 85L || c == 117L) && nxt == 38L && at(i + 2L) == 34L) { # U&"..."
        i <- skip_identifier(i + 2L)
        blank(from, i - 1L, 120L)
      } else {                                                      # a name: $ included
        i <- i + 1L
        while (i <= n && (.sql_ident_start(cp[[i]]) || .sql_digit(cp[[i]]) || cp[[i]] == 36L))
          i <- i + 1L
      }
    } else if (.sql_digit(c) || (c == 46L && .sql_digit(nxt))) {    # a number
      while (i <= n && .sql_digit(cp[[i]])) i <- i + 1L
      if (at(i) == 46L && at(i + 1L) != 46L) {
        i <- i + 1L
        while (i <= n && .sql_digit(cp[[i]])) i <- i + 1L
      }
      if (at(i) == 69L || at(i) == 101L) {
        k <- i + 1L
        if (at(k) == 43L || at(k) == 45L) k <- k + 1L
        if (.sql_digit(at(k))) {
          i <- k
          while (i <= n && .sql_digit(cp[[i]])) i <- i + 1L
        }
      }
    } else if (c == 36L && .sql_digit(nxt)) {                       # $k
      j <- i + 1L
      while (j <= n && .sql_digit(cp[[j]])) j <- j + 1L
      if (found == length(start)) {
        length(start) <- length(end) <- length(number) <- 2L * found
      }
      found <- found + 1L
      start[[found]] <- i
      end[[found]] <- j - 1L
      number[[found]] <- as.numeric(intToUtf8(cp[(i + 1L):(j - 1L)]))
      i <- j
    } else if (c == 36L && (nxt == 36L || .sql_ident_start(nxt))) { # $tag$...$tag$
      j <- i + 1L
      while (j <= n && (.sql_ident_start(cp[[j]]) || .sql_digit(cp[[j]]))) j <- j + 1L
      if (at(j) != 36L) {
        i <- i + 1L # not a delimiter: a lone $
        next
      }
      i <- skip_dollar_quote(cp[i:j], j + 1L)
      blank(from, i - 1L, 120L)
    } else {
      i <- i + 1L
    }
  }
  keep <- seq_len(found)
  list(start = start[keep], end = end[keep], number = number[keep],
       plain_backslash = plain_backslash, masked = masked)
}

# `sql` with each placeholder $k replaced by the literal of params[[k]].
.bind_sql <- function(conn, sql, placeholders, params) {
  if (!.placeholder_count(placeholders)) return(sql)
  if (isTRUE(placeholders$ambiguous))
    .abort_invalid_argument(paste(
      "the statement has a '...' string holding a backslash, and where that string ends",
      "(so which $k are placeholders) depends on the server's standard_conforming_strings;",
      "write the string as E'...' (backslash escapes) or $$...$$, or pass it as a parameter"))
  literals <- vapply(params, function(p) as.character(dbQuoteLiteral(conn, p)), "")
  cp <- .sql_code_points(sql)
  out <- character(2L * length(placeholders$number) + 1L)
  from <- 1L
  for (p in seq_along(placeholders$number)) {
    k <- placeholders$number[[p]]
    if (k < 1 || k > length(literals))
      .abort_invalid_argument(sprintf("the statement uses $%s, but %d parameter%s given",
                                      format(k, scientific = FALSE), length(literals),
                                      if (length(literals) == 1L) " was" else "s were"))
    s <- placeholders$start[[p]]
    if (s > from) out[[2L * p - 1L]] <- intToUtf8(cp[from:(s - 1L)])
    out[[2L * p]] <- literals[[k]]
    from <- placeholders$end[[p]] + 1L
  }
  if (from <= length(cp)) out[[length(out)]] <- intToUtf8(cp[from:length(cp)])
  paste(out, collapse = "")
}
