# CARTO 3 from R: credentials of each kind, SQL API v3 (also through DBI), tokens, the
# situation report, and gargle's rule that a non-interactive session is never prompted:
# none / environment / file / M2M / expired cache each end in a result or a clear error.

carto3_vars <- c("CARTO_API_TOKEN", "CARTO_API_BASE_URL", "CARTO_M2M_CLIENT_ID",
                 "CARTO_M2M_CLIENT_SECRET", "CARTO_AUTH_URL", "CARTO_PLATFORM",
                 "CARTO_TOKEN_CACHE_DIR", "CARTO_SIGNIN_FLOW", "HOME")

# The sandbox of helper-sandbox.R, plus the CARTO 3 variables, a private token cache and a
# private HOME (where the CARTO CLI's and carto-auth's files would be).
local_carto3_sandbox <- function(frame = parent.frame()) {
  local_sandbox(frame)
  old <- Sys.getenv(carto3_vars, unset = NA, names = TRUE)
  dir <- tempfile("carto3-")
  dir.create(file.path(dir, "home"), recursive = TRUE, mode = "0700")
  do.call(base::on.exit, list(as.call(list(function() {
    restore_env(old)
    unlink(dir, recursive = TRUE)
  })), TRUE, FALSE), envir = frame)
  Sys.unsetenv(carto3_vars)
  Sys.setenv(HOME = file.path(dir, "home"), CARTO_TOKEN_CACHE_DIR = file.path(dir, "tokens"))
  invisible(dir)
}

# Counts calls of readline() and menu() (a prompt) while `code` runs.
count_prompts <- function(code) {
  counter <- new.env()
  counter$n <- 0L
  for (f in c("readline", "menu")) {
    suppressMessages(trace(f, tracer = bquote(.(counter)$n <- .(counter)$n + 1L),
                           print = FALSE, where = if (f == "menu") asNamespace("utils") else baseenv()))
  }
  on.exit({
    suppressMessages(untrace("readline", where = baseenv()))
    suppressMessages(untrace("menu", where = asNamespace("utils")))
  }, add = TRUE)
  force(code)
  counter$n
}

m2m_env <- function() {
  c3 <- emu_carto3()
  m2m <- c3$accounts[[1]]$m2m_clients[[1]]
  Sys.setenv(CARTO_API_BASE_URL = c3$api_base_url, CARTO_PLATFORM = "carto3",
             CARTO_AUTH_URL = sub("/$", "", c3$issuer), CARTO_ALLOW_NON_SECURE = "1")
  m2m
}

test_that("M2M credentials query the SQL API v3 into typed data frames, and never print the secret", {
  local_carto3_sandbox()
  m2m <- m2m_env()
  creds <- carto3_credentials(client_id = m2m$client_id, client_secret = m2m$client_secret,
                              auth_url = Sys.getenv("CARTO_AUTH_URL"), declare_carto3 = TRUE,
                              allow_non_secure = TRUE)
  shown <- c(format(creds), capture.output(print(creds)), capture.output(str(creds)))
  expect_false(any(grepl(m2m$client_secret, shown, fixed = TRUE)))
  df <- carto_sql_v3("select cartodb_id, name, score from points_public order by 1",
                     credentials = creds)
  expect_equal(nrow(df), 3L)
  expect_type(df$name, "character")
  expect_type(df$score, "double")
  df <- carto_sql_v3("select $1::int + 1 as n", params = list(41), credentials = creds)
  expect_equal(df$n, 42)
  token <- carto_token(credentials = creds)
  expect_match(token, "^eyJ")
  expect_s3_class(attr(token, "expires_at"), "POSIXct")
  expect_true(attr(token, "expires_at") > Sys.time())
  expect_equal(as.numeric(carto_token_expiry(credentials = creds)),
               as.numeric(attr(token, "expires_at")))
  expect_error(carto_sql_v3("select * from nope", credentials = creds),
               class = "carto_error_client_error")
  expect_true(carto_sign_out(credentials = creds))
  expect_true(is.na(carto_token_expiry(credentials = creds)))
})

test_that("DBI connects over a CARTO 3 connection", {
  local_carto3_sandbox()
  m2m <- m2m_env()
  Sys.setenv(CARTO_M2M_CLIENT_ID = m2m$client_id, CARTO_M2M_CLIENT_SECRET = m2m$client_secret)
  con <- DBI::dbConnect(carto(), connection = "carto_dw")
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  expect_equal(DBI::dbGetQuery(con, "select count(*) as n from points_public")$n, 3)
  expect_equal(DBI::dbGetQuery(con, "select $1::text as s", params = list("x"))$s, "x")
})

test_that("no credentials: a situation report and clear errors, no prompt", {
  local_carto3_sandbox()
  prompts <- count_prompts({
    report <- NULL
    out <- capture.output(report <- carto_sitrep())
    expect_null(report$credentials)
    expect_match(paste(out, collapse = "\n"), "No credentials")
    expect_true(any(grepl("carto_credentials.json", unlist(report$tried), fixed = TRUE)))
    expect_error(carto_sql_v3("select 1"), class = "carto_error_not_resolved")
    expect_error(carto_sign_in(credentials = carto3_credentials(
      api_base_url = "https://gcp-us-east1.api.carto.com", sign_in = TRUE)),
      "CARTO_M2M_CLIENT_ID", class = "carto_error_signin_required")
  })
  expect_equal(prompts, 0L)
})

test_that("environment, file and M2M situations resolve and answer without a prompt", {
  local_carto3_sandbox()
  m2m <- m2m_env()
  prompts <- count_prompts({
    # environment: an M2M client in CARTO_M2M_CLIENT_ID / _SECRET
    Sys.setenv(CARTO_M2M_CLIENT_ID = m2m$client_id, CARTO_M2M_CLIENT_SECRET = m2m$client_secret)
    expect_equal(carto_sql_v3("select 1 as n")$n, 1)
    out <- capture.output(report <- carto_sitrep())
    expect_equal(report$credentials$kind, "m2m")
    expect_false(is.null(report$token$expires_at))
    expect_false(any(grepl(m2m$client_secret, out, fixed = TRUE)))
    # environment: a token in CARTO_API_TOKEN
    token <- carto_token()
    Sys.unsetenv(c("CARTO_M2M_CLIENT_ID", "CARTO_M2M_CLIENT_SECRET"))
    Sys.setenv(CARTO_API_TOKEN = token)
    expect_equal(carto_sql_v3("select 2 as n")$n, 2)
    Sys.unsetenv("CARTO_API_TOKEN")
    # file: carto-auth's carto_credentials.json
    file <- tempfile(fileext = ".json")
    jsonlite::write_json(list(api_base_url = emu_carto3()$api_base_url, client_id = m2m$client_id,
                              client_secret = m2m$client_secret, platform = "carto3",
                              allow_non_secure = TRUE), file, auto_unbox = TRUE)
    Sys.chmod(file, "600") # a secret: private, or the library warns
    Sys.setenv(CARTO_CREDENTIALS_FILE = file)
    expect_equal(carto_sql_v3("select 3 as n")$n, 3)
    Sys.unsetenv("CARTO_CREDENTIALS_FILE")
  })
  expect_equal(prompts, 0L)
})

test_that("an expired cache: an expired token and a user without a sign-in fail, no prompt", {
  local_carto3_sandbox()
  m2m_env()
  enc <- function(x) gsub("=+$", "", chartr("+/", "-_", jsonlite::base64_enc(x)))
  expired <- paste(enc('{"alg":"RS256"}'),
                   enc(sprintf('{"exp":%d,"sub":"auth0|x"}', as.integer(Sys.time()) - 60)),
                   enc("sig"), sep = ".")
  prompts <- count_prompts({
    Sys.setenv(CARTO_API_TOKEN = expired)
    expect_error(carto_sql_v3("select 1"), class = "carto_error_token_expired")
    Sys.unsetenv("CARTO_API_TOKEN")
    user <- carto3_credentials(api_base_url = emu_carto3()$api_base_url, sign_in = TRUE,
                               auth_url = Sys.getenv("CARTO_AUTH_URL"), declare_carto3 = TRUE,
                               allow_non_secure = TRUE)
    expect_error(carto_sql_v3("select 1", credentials = user),
                 class = "carto_error_signin_required")
    expect_error(carto_sign_in(credentials = user), "non-interactive|not interactive",
                 class = "carto_error_signin_required")
  })
  expect_equal(prompts, 0L)
})

test_that("tokens are never sent to a CARTO 2 host, nor keys to a CARTO 3 one", {
  local_carto3_sandbox()
  expect_error(carto3_credentials(api_base_url = "https://alice.carto.com", token = "t"),
               "CARTO 2 host", class = "carto_error_invalid_argument")
  expect_error(carto_credentials(base_url = "https://gcp-us-east1.api.carto.com", api_key = "k"),
               "Bearer", class = "carto_error_invalid_argument")
  expect_error(carto3_credentials(api_base_url = "https://x.api.carto.com"),
               class = "carto_error_invalid_argument")
})
