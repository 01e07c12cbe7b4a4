# Parameters bound in R (R/dbi-placeholders.R): a $k is a placeholder only where PostgreSQL's
# lexer sees a parameter, so no bound value can leave its literal. The attacks below each
# dropped a canary table when the scanner missed E'...' escapes, nested comments or
# non-ASCII dollar-quote tags.

found <- function(sql) cartoauth:::.placeholders(sql)$number

test_that("the scanner follows PostgreSQL's lexer", {
  # the basics
  expect_identical(found("select $1, '$2', \"$3\", $$ $4 $$, $tag$ $5 $tag$ -- $6\n, /* $7 */ $8"),
                   c(1, 8))
  expect_identical(found("select 'it''s $1' || $2"), 2)
  expect_identical(found("select 1"), numeric())
  # E strings: a backslash escapes the quote; E must start the token
  expect_identical(found("select E'it\\'s $1', $2"), 2)
  expect_identical(found("select e'\\\\' || $1"), 1)           # E'\\' is one backslash
  expect_identical(found("select E'a''$1' , $2"), 2)
  expect_identical(found("select somE'x\\' , $1"), 1)          # the name somE, then '...'
  # a string goes on after whitespace with a newline (and comments) in the same kind
  expect_identical(found("select E'a'\n'\\' $1 ', $2"), 2)
  expect_identical(found("select E'a' -- c\n  '\\' $1 ', $2"), 2)
  expect_identical(found("select E'a' '\\' , $1"), 1)           # no newline: a new '...'
  # bit strings end at the first quote; U& strings have no backslash escapes
  expect_identical(found("select B'10', X'ff''$1', $2"), 2)
  expect_identical(found("select U&'d\\0061t' , $1, U&\"$2\""), 1)
  # nested block comments
  expect_identical(found("select /* a /* b */ $1 */ $2"), 2)
  expect_identical(found("select /*/ $1 */ $2"), 2)
  # dollar quotes: any non-ASCII letter in a tag; a tag is not a placeholder
  expect_identical(found("select $\u00e9$ $1 $\u00e9$, $2"), 2)
  expect_identical(found("select $a\u00df1$ $1 $a\u00df$ $2 $a\u00df1$, $3"), 3)
  expect_identical(found("select $_$ $1 $_$ || $2"), 2)
  # a $ inside a name belongs to the name; numbers end with their digits
  expect_identical(found("select a$1, $2"), 2)
  expect_identical(found("select 1e'\\' , $1 '"), numeric())   # 1, then E'\' , $1 '
  expect_identical(found("select 1e5, $1"), 1)
  expect_identical(found("select x$1y, $1::int, 2$2"), c(1, 2))
  # unterminated: the server rejects the whole request, nothing after is a placeholder
  expect_identical(found("select $1, '$2"), 1)
  expect_identical(found("select $1 /* /* */ $2"), 1)
  expect_identical(found("select $1, $q$ $2"), 1)
})

test_that("a plain string with a backslash whose end depends on the server is refused", {
  p <- cartoauth:::.placeholders("select 'a\\' , $1 --'")
  expect_true(p$ambiguous)
  # the same with no quote after the backslash means the same both ways
  expect_false(cartoauth:::.placeholders("select 'C:\\dir' , $1")$ambiguous)
  expect_false(cartoauth:::.placeholders("select E'C:\\\\' , $1")$ambiguous)
})

test_that("the scan is linear in the statement's size", {
  statement <- function(n) paste0("select ", strrep("$1 || $q$ $x$ $q$ || 'a''b' || ", n), "1")
  time <- function(n) { # CPU seconds: other processes on the machine do not count
    sql <- statement(n)
    t <- system.time(p <- cartoauth:::.placeholders(sql))
    t[["user.self"]] + t[["sys.self"]]
  }
  expect_length(found(statement(10)), 10L)
  time(100) # warm up
  small <- max(time(2000), 0.05)
  large <- time(20000)
  expect_lt(large / small, 20) # 10 times the text; a quadratic scan takes 100 times longer
})

test_that("values cannot leave their literal: canary tables survive", {
  local_sandbox()
  con <- DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  canaries <- c("canary_e", "canary_c", "canary_d", "canary_n", "canary_s")
  for (t in canaries) DBI::dbExecute(con, sprintf("CREATE TABLE IF NOT EXISTS %s (a int)", t))
  on.exit(for (t in canaries) DBI::dbExecute(con, sprintf("DROP TABLE IF EXISTS %s", t)),
          add = TRUE, after = FALSE)
  alive <- function(t) DBI::dbExistsTable(con, t)

  # E'...' with a backslash escape: $1 inside it is text
  evil <- "; DROP TABLE canary_e; --"
  df <- DBI::dbGetQuery(con, "SELECT E'it\\'s $1' AS a, $1::text AS b", params = list(evil))
  expect_identical(df$a, "it's $1")
  expect_identical(df$b, evil)
  expect_true(alive("canary_e"))

  # nested comments
  evil <- "*/ AS a; DROP TABLE canary_c; --"
  df <- DBI::dbGetQuery(con, "SELECT 1 /* a /* b */ $1 */ AS a, $1::text AS b", params = list(evil))
  expect_identical(df$a, 1L)
  expect_identical(df$b, evil)
  expect_true(alive("canary_c"))

  # a dollar-quote tag with a non-ASCII letter
  evil <- "$\u00e9$ AS a; DROP TABLE canary_d; --"
  df <- DBI::dbGetQuery(con, "SELECT $\u00e9$ $1 $\u00e9$ AS a, $1::text AS b", params = list(evil))
  expect_identical(df$a, " $1 ")
  expect_identical(df$b, evil)
  expect_true(alive("canary_d"))

  # a negative number after a minus is not a comment: 10-(-5)
  df <- DBI::dbGetQuery(con, "SELECT 10-$1 AS v, 'canary_n' AS t", params = list(-5))
  expect_equal(df$v, 15)
  df <- DBI::dbGetQuery(con, "SELECT 10-$1 AS v", params = list(-5L))
  expect_identical(df$v, 15L)
  expect_true(alive("canary_n"))

  # a backslash in a value is written E'...', which means the same under either
  # standard_conforming_strings
  evil <- "\\'; DROP TABLE canary_s; --"
  expect_identical(as.character(DBI::dbQuoteString(con, evil)), "E'\\\\''; DROP TABLE canary_s; --'")
  expect_identical(DBI::dbGetQuery(con, "SELECT $1::text AS v", params = list(evil))$v, evil)
  expect_true(alive("canary_s"))
  e <- catch_condition(DBI::dbGetQuery(con, "SELECT 'a\\' AS a, $1::text AS b", params = list(1)))
  expect_s3_class(e, "carto_error_invalid_argument")
  expect_match(conditionMessage(e), "standard_conforming_strings", fixed = TRUE)
  # a name with a $ is not a placeholder
  df <- DBI::dbGetQuery(con, "SELECT $1::int AS a$1", params = list(7L))
  expect_identical(names(df), "a$1")
  expect_identical(df[[1L]], 7L)
})
