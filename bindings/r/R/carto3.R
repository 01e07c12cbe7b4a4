# CARTO 3: credentials of each kind, tokens, the browser sign-in (gargle's habits: never a
# prompt when !interactive(), an error naming the non-interactive ways instead), the situation
# report and the SQL API v3. The rules (platforms, token cache, refresh windows, state checks)
# are the library's.

.signin_flows <- c(auto = 0L, browser = 1L, paste = 2L)

# How a script gets CARTO 3 credentials without anyone at the keyboard.
.non_interactive_ways <- paste(
  "In a non-interactive session use CARTO_API_TOKEN with CARTO_API_BASE_URL,",
  "an M2M client (CARTO_M2M_CLIENT_ID and CARTO_M2M_CLIENT_SECRET, or",
  "carto3_credentials(client_id =, client_secret =)), or sign in once interactively",
  "(carto_sign_in(), or `cartoauth login --carto3` in a terminal):",
  "the token is cached and shared until it expires."
)

#' CARTO 3 credentials
#'
#' @description
#' Creates credentials for CARTO 3 (the \samp{/v3} APIs, Bearer tokens) of one of three
#' kinds:
#' \itemize{
#'   \item a token used as given (\code{token}: an API access token, or a token from
#'     elsewhere);
#'   \item a machine-to-machine client (\code{client_id} and \code{client_secret}): tokens are
#'     minted as needed, cached between sessions and processes (one mint for all of them) and
#'     refreshed before they expire;
#'   \item a user who signs in with a browser (\code{sign_in = TRUE}; see
#'     \code{\link{carto_sign_in}}): the token is cached until it expires.
#' }
#' A CARTO 3 token is never sent to a CARTO 2 host: an \code{api_base_url} that does not say
#' CARTO 3 (neither \samp{*.api.carto.com} nor a path ending in \samp{/api}) is refused unless
#' \code{declare_carto3 = TRUE}.
#' @param api_base_url The API base URL (CARTO Workspace > Developers > Credentials), e.g.
#'   \samp{https://gcp-us-east1.api.carto.com}. Default: \env{CARTO_API_BASE_URL}.
#' @param token A token to send as given.
#' @param client_id,client_secret An M2M application's id and secret (never typed in a script:
#'   read them from the environment or a keyring).
#' @param sign_in \code{TRUE} for a user's browser sign-in.
#' @param organization The SSO organization a user signs in through.
#' @param auth_url The OAuth server (default \samp{https://auth.carto.com}).
#' @param declare_carto3 \code{TRUE} when \code{api_base_url} is CARTO 3 although it does not
#'   look it (a self-hosted or local server).
#' @param allow_non_secure \code{TRUE} to accept \samp{http://} URLs (test servers only).
#' @return A \code{carto_credentials} object; printing never shows a token or a secret.
#' @examples
#' \dontrun{
#' creds <- carto3_credentials(client_id = Sys.getenv("CARTO_M2M_CLIENT_ID"),
#'                             client_secret = Sys.getenv("CARTO_M2M_CLIENT_SECRET"))
#' carto_sql_v3("SELECT 1 AS n", credentials = creds)
#' }
#' @export
carto3_credentials <- function(api_base_url = Sys.getenv("CARTO_API_BASE_URL"), token = NULL,
                               client_id = NULL, client_secret = NULL, sign_in = FALSE,
                               organization = NULL, auth_url = NULL, declare_carto3 = FALSE,
                               allow_non_secure = FALSE) {
  .single_string(api_base_url, "api_base_url")
  if (!nzchar(api_base_url))
    .abort_invalid_argument(
      "'api_base_url' is empty: give the CARTO 3 API base URL (or set CARTO_API_BASE_URL)")
  for (flag in c("sign_in", "declare_carto3", "allow_non_secure"))
    if (!isTRUE(get(flag)) && !isFALSE(get(flag)))
      .abort_invalid_argument(sprintf("'%s' must be TRUE or FALSE", flag))
  kinds <- c(access_token = !is.null(token), m2m = !is.null(client_secret),
             oauth_user = isTRUE(sign_in))
  if (sum(kinds) != 1L)
    .abort_invalid_argument(paste(
      "give exactly one of 'token', 'client_secret' (with 'client_id') or sign_in = TRUE"))
  kind <- names(kinds)[kinds]
  ptr <- .Call(C_credentials_new_carto3, kind, api_base_url, token, client_id, client_secret,
               organization, auth_url, declare_carto3, allow_non_secure)
  .new_carto_credentials(ptr)
}

# The kind, platform and client id of credentials.
.carto3_fields <- function(credentials) {
  .Call(C_credentials_carto3_fields, .credentials_ptr(credentials))
}

.as_time <- function(seconds) {
  structure(as.numeric(seconds), class = c("POSIXct", "POSIXt"), tzone = "UTC")
}

#' A CARTO 3 token for another tool
#'
#' @description
#' \code{carto_token()} returns a token valid now (from the token cache, minted first when it
#' holds none that needs no refresh), for a tool that sends it itself (a browser map, an HTTP
#' package). It is valid for at least the refresh window (10 minutes for CARTO's day-long
#' tokens). \code{carto_token_expiry()} says when the cached token expires, without asking
#' any server (\code{NA} when none is cached). \code{carto_sign_out()} forgets the cached
#' token, here and for every other process.
#' @param credentials,client As in \code{\link{carto_sql}}.
#' @return \code{carto_token()}: the token, a string with attribute \code{expires_at}
#'   (\code{POSIXct}). \code{carto_token_expiry()}: a \code{POSIXct}. \code{carto_sign_out()}:
#'   whether a token was cached, invisibly.
#' @export
carto_token <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  t <- .Call(C_client_access_token, .client_ptr(cl))
  structure(t$token, expires_at = .as_time(t$expires_at))
}

#' @rdname carto_token
#' @export
carto_token_expiry <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  .as_time(.Call(C_client_token_expiry, .client_ptr(cl)))
}

#' @rdname carto_token
#' @export
carto_sign_out <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  invisible(.Call(C_client_forget_token, .client_ptr(cl)))
}

#' Sign in to CARTO 3 with a browser
#'
#' @description
#' Signs the user of \code{credentials} (see \code{\link{carto3_credentials}} with
#' \code{sign_in = TRUE}) in with OAuth 2.0 and PKCE. With the browser flow the browser is
#' sent back to a listener on this machine; where no browser can reach it (RStudio Server,
#' Posit Workbench, an SSH session, Colab, a CI job) the paste flow is chosen: you paste the
#' address the browser ends on (or the code it shows). The \code{state} is checked (an answer
#' to another sign-in is refused). The token goes to the token cache, where every later
#' session and process finds it until it expires.
#'
#' In a non-interactive session there is nobody to sign in: the call fails at once
#' (\code{carto_error_signin_required}) with the non-interactive ways to authenticate, and
#' never prompts.
#' @param credentials,client As in \code{\link{carto_sql}}.
#' @param flow \code{"auto"} (default: paste where no browser can reach this machine),
#'   \code{"browser"} or \code{"paste"}.
#' @param timeout Seconds to wait for the browser.
#' @param open_browser Whether to open the address with \code{utils::browseURL()}.
#' @return When the token expires (\code{POSIXct}), invisibly.
#' @export
carto_sign_in <- function(credentials = NULL, client = NULL, flow = "auto", timeout = 300,
                          open_browser = TRUE) {
  flow <- .choice(flow, names(.signin_flows), "flow")
  if (!interactive())
    .carto_abort(.carto_status[["CARTO_ERR_SIGNIN_REQUIRED"]], paste(
      "a CARTO 3 sign-in needs someone at the browser, and this R session is not interactive.",
      .non_interactive_ways))
  cl <- .client_for(client, credentials)
  signin <- .Call(C_signin_begin, .client_ptr(cl), .signin_flows[[flow]])
  on.exit(.Call(C_signin_free, signin), add = TRUE)
  info <- .Call(C_signin_info, signin)
  if (identical(info$flow, "browser")) {
    message("Sign in to CARTO in your browser:\n", info$url)
    if (isTRUE(open_browser)) utils::browseURL(info$url)
    expires <- .Call(C_signin_wait, signin, .milliseconds(timeout, "timeout"))
  } else {
    message("Open this address in a browser and sign in:\n", info$url)
    pasted <- readline("Paste the address the browser ends on (or the code): ")
    expires <- .Call(C_signin_finish, signin, pasted)
  }
  invisible(.as_time(expires))
}

#' Where CARTO credentials come from: a situation report
#'
#' @description
#' Reports, without asking any server, the credentials resolution would use (masked), where
#' they come from, the sources tried before and the ones hidden behind them, and for CARTO 3
#' the token cache and when its token expires. Like gargle's \code{gargle_oauth_sitrep()}.
#' @return A list (\code{credentials}, \code{error}, \code{tried}, \code{shadowed},
#'   \code{token}), printed and returned invisibly.
#' @export
carto_sitrep <- function() {
  json <- .Call(C_resolve_explained)
  report <- jsonlite::fromJSON(json, simplifyVector = FALSE)
  lines <- character()
  c <- report$credentials
  if (is.null(c)) {
    lines <- c(lines, paste0("No credentials: ", report$error))
  } else {
    lines <- c(lines,
               paste0("Credentials: ", c$description),
               paste0("Platform:    CARTO ", c$platform, " (", c$kind, ")"),
               paste0("From:        ", c$origin))
    for (w in c$warnings) lines <- c(lines, paste0("Warning:     ", w))
  }
  t <- report$token
  if (!is.null(t)) {
    lines <- c(lines, paste0("Token cache: ", t$cache %||% "none"))
    lines <- c(lines, paste0("Token:       ", if (is.null(t$expires_at)) "none cached" else
      format(.as_time(t$expires_at), "expires %Y-%m-%d %H:%M:%S UTC")))
  }
  lines <- c(lines, "Sources tried, in order:", paste0("  - ", unlist(report$tried)))
  if (length(report$shadowed))
    lines <- c(lines, "Found but not used:", paste0("  - ", unlist(report$shadowed)))
  cat(lines, sep = "\n")
  invisible(report)
}

#' Run a query on CARTO 3's SQL API
#'
#' @description
#' Sends \code{query} to \samp{/v3/sql/{connection}/query} with the token of CARTO 3
#' credentials (GET while the URL stays within CARTO's 7000 characters, POST beyond) and
#' returns the rows as a data frame typed from CARTO's schema, as \code{\link{carto_sql}}
#' does for CARTO 2.
#' @param query The SQL, a single string.
#' @param connection The connection (\code{"carto_dw"}: CARTO's Data Warehouse).
#' @param params Query parameters: a list or vector (\code{$1}, \code{$2} placeholders) or a
#'   named list (\code{@name}), sent as JSON.
#' @param credentials,client,int64,sf As in \code{\link{carto_sql}}.
#' @return A data frame.
#' @export
carto_sql_v3 <- function(query, connection = "carto_dw", params = NULL, credentials = NULL,
                         client = NULL, int64 = FALSE, sf = FALSE) {
  .single_string(query, "query")
  .single_string(connection, "connection")
  if (!isTRUE(int64) && !isFALSE(int64))
    .abort_invalid_argument("'int64' must be TRUE or FALSE")
  json <- if (is.null(params)) NULL else
    as.character(jsonlite::toJSON(params, auto_unbox = TRUE, digits = NA, null = "null"))
  cl <- .client_for(client, credentials)
  r <- .Call(C_client_sql_v3, .client_ptr(cl), connection, query, json, int64)
  .sql_frame(r, sf = sf)
}
