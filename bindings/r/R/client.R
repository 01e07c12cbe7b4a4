# carto_client: credentials plus options plus a pool of kept-alive connections, wrapping a
# library handle. The options are kept in R as well, only to print them; the library holds
# its own copy. Without a client, the request functions use a cached default client (see
# .client_for()).

.trust_kinds <- c(webpki = 0L, system = 1L, ca_bundle = 2L)
.key_transports <- c(basic = 0L, query = 1L)

# match.arg() with a carto_error_invalid_argument.
.choice <- function(x, choices, arg) {
  if (identical(x, choices))
    return(choices[[1L]])
  if (!is.character(x) || length(x) != 1L || is.na(x) || !(x %in% choices))
    .abort_invalid_argument(sprintf("'%s' must be one of %s", arg,
                                    paste0("\"", choices, "\"", collapse = ", ")))
  x
}

# Seconds (a single non-negative number; Inf or 0 where `none` is allowed) to milliseconds.
.milliseconds <- function(x, arg, none = FALSE) {
  if (!is.numeric(x) || length(x) != 1L || is.na(x) || x < 0)
    .abort_invalid_argument(sprintf("'%s' must be a single non-negative number of seconds", arg))
  if (is.infinite(x)) {
    if (!none)
      .abort_invalid_argument(sprintf("'%s' must be finite", arg))
    return(0)
  }
  ms <- round(x * 1000)
  if (ms < 1 && !(none && x == 0))
    .abort_invalid_argument(sprintf("'%s' must be at least 0.001 seconds", arg))
  if (ms > 2^53)
    .abort_invalid_argument(sprintf("'%s' is too large", arg))
  ms
}

#' A client for CARTO's APIs
#'
#' @description
#' A client holds credentials, options and a pool of kept-alive connections. Pass it to
#' \code{\link{carto_sql}}, \code{\link{carto_request}}, \code{\link{carto_me}},
#' \code{\link{carto_validate_key}}, \code{\link{carto_copyto}} and
#' \code{\link{carto_copyfrom}} with \code{client =} to choose the options, or to reuse
#' connections explicitly.
#'
#' Without \code{client =}, those functions resolve their credentials on every call
#' (\code{\link{resolve_credentials}}: explicit, default, environment, files) and use a
#' cached client with the default options for them (except \code{key_transport = "query"}
#' for credentials without a username, which Basic authentication needs): one client is
#' kept, for the last
#' credentials used, so consecutive calls reuse its connections (one TLS handshake instead
#' of one per call). Other credentials replace it. \code{\link{set_default_credentials}}
#' and \code{\link{unset_default_credentials}} drop it, and a forked child process (for
#' example under \code{parallel::mclapply()}) never reuses its parent's cached client.
#'
#' Printing, formatting, \code{str()}, \code{as.character()} and \code{toString()} never
#' show the API key.
#' @usage
#' carto_client(credentials = NULL, timeout = 300, connect_timeout = 10,
#'            idle_timeout = 120, key_transport = c("basic", "query"),
#'            trust = c("webpki", "system", "ca_bundle"), ca_bundle = NULL,
#'            retries = 2L, retry_wait = 30, user_agent = NULL,
#'            proxy_from_env = TRUE, max_body_size = 256 * 1024^2)
#'
#' \method{$}{carto_client}(x, name)
#' \method{[[}{carto_client}(x, i, ...)
#' \method{format}{carto_client}(x, ...)
#' \method{print}{carto_client}(x, ...)
#' \method{str}{carto_client}(object, ...)
#' \method{as.character}{carto_client}(x, ...)
#' \method{toString}{carto_client}(x, ...)
#' @param credentials A \code{\link{carto_credentials}} object, or \code{NULL} to resolve
#'   the credentials now (see \code{\link{resolve_credentials}}). The client keeps its own
#'   copy.
#' @param timeout The longest time in seconds one attempt may take (connecting, sending,
#'   waiting and receiving the whole answer); \code{0} or \code{Inf} for no limit (for very
#'   large downloads: \code{idle_timeout} still applies).
#' @param connect_timeout The longest time in seconds to connect.
#' @param idle_timeout The longest wait in seconds for any data from the server, including
#'   the first byte of the answer.
#' @param key_transport How the API key travels: \code{"basic"} (an
#'   \samp{Authorization: Basic} header; the key is never in a URL; needs a username) or
#'   \code{"query"} (an \code{api_key} query parameter, as carto-python and GDAL do).
#' @param trust The certificate authorities trusted for \samp{https}: \code{"webpki"} (the
#'   Mozilla roots built into the library), \code{"system"} (the operating system's store)
#'   or \code{"ca_bundle"} (a PEM file, for on-premises installations; the default when
#'   \code{ca_bundle} is given).
#' @param ca_bundle The PEM file of \code{trust = "ca_bundle"}, read when the client is
#'   created.
#' @param retries How many times a request may be tried again: after a 429 or 503 with
#'   \samp{Retry-After}, and after a connection failure (once the request was sent, only for
#'   idempotent methods). Streamed uploads and downloads already delivered are never
#'   retried.
#' @param retry_wait The most seconds spent waiting between attempts, summed.
#' @param user_agent An application name appended to the User-Agent
#'   \samp{cartoauth/<version>}, e.g. \code{"myapp/1.0"}, or \code{NULL}.
#' @param proxy_from_env Whether \env{HTTPS_PROXY}, \env{HTTP_PROXY}, \env{ALL_PROXY} and
#'   \env{NO_PROXY} are used.
#' @param max_body_size The largest answer, in bytes, a request keeps in memory (256 MiB by
#'   default; \code{Inf} for no limit but the machine's memory). A larger answer of
#'   \code{\link{carto_sql}} or a DBI query fails with \code{carto_error_body_too_large};
#'   \code{\link{carto_copyto}} streams to a file and has no limit.
#' @param x,object A client.
#' @param name,i \code{"credentials"} (a new \code{carto_credentials} object) or
#'   \code{"options"} (the options above, as a list).
#' @param ... Ignored.
#' @section Errors:
#' The errors of \code{\link{resolve_credentials}} when \code{credentials} is \code{NULL};
#' \code{carto_error_invalid_argument} for invalid options (e.g. \code{key_transport =
#' "basic"} without a username); \code{carto_error_tls} for an unreadable or empty
#' \code{ca_bundle}.
#' @return
#' An object of class \code{carto_client}. \code{carto_free()} releases it at once (see
#' \code{\link{carto_free}}); the garbage collector does otherwise. A client restored from a
#' saved session (\code{saveRDS()}/\code{readRDS()}) is not usable: using it is an error of
#' class \code{carto_error_invalid_handle}.
#'
#' The client may be used from a single R process at a time: do not use one client in the
#' children of a fork (create one in each).
#' @seealso
#' \code{\link{carto_sql}}, \code{\link{carto_request}}.
#' @examples
#' creds <- carto_credentials("johnsmith", "0123456789abcdef")
#' client <- carto_client(creds, timeout = 60, user_agent = "my-analysis/1.0")
#' client            # the key is masked
#' client$options$timeout
#' carto_free(client)
#'
#' \dontrun{
#' # on-premises, with the company's certificate authority
#' client <- carto_client(
#' carto_credentials(base_url = "https://carto.example.com/user/jo", api_key = "..."),
#' ca_bundle = "/etc/ssl/company-ca.pem"
#' )
#' carto_sql("select count(*) from my_table", client = client)
#' }
#' @export
carto_client <- function(credentials = NULL, timeout = 300, connect_timeout = 10,
                         idle_timeout = 120, key_transport = c("basic", "query"),
                         trust = c("webpki", "system", "ca_bundle"), ca_bundle = NULL,
                         retries = 2L, retry_wait = 30, user_agent = NULL,
                         proxy_from_env = TRUE, max_body_size = 256 * 1024^2) {
  if (!is.null(ca_bundle) && missing(trust))
    trust <- "ca_bundle"
  settings <- .client_settings(timeout, connect_timeout, idle_timeout, key_transport, trust,
                               ca_bundle, retries, retry_wait, user_agent, proxy_from_env,
                               max_body_size)
  # Resolve here (explicit, default, environment, files) so that warnings are signalled
  # and the credentials' origin is known; the client keeps its own copy.
  creds <- resolve_credentials(credentials)
  on.exit(carto_free(creds), add = TRUE)
  .new_carto_client(creds, settings)
}

# Checks carto_client()'s options: list(options (as given, for printing), ms (the times in
# milliseconds for the library)).
.client_settings <- function(timeout, connect_timeout, idle_timeout, key_transport, trust,
                             ca_bundle, retries, retry_wait, user_agent, proxy_from_env,
                             max_body_size = 256 * 1024^2) {
  key_transport <- .choice(key_transport, c("basic", "query"), "key_transport")
  trust <- .choice(trust, c("webpki", "system", "ca_bundle"), "trust")
  if (!is.null(ca_bundle) &&
      !(is.character(ca_bundle) && length(ca_bundle) == 1L && !is.na(ca_bundle)))
    .abort_invalid_argument("'ca_bundle' must be the path of a PEM file, or NULL")
  # Which combinations of trust and ca_bundle are valid, and how many retries may be asked
  # for, is the library's rule (carto_client_options_set_trust, _set_retry): not checked here.
  if (!is.numeric(retries) || length(retries) != 1L || is.na(retries) || retries < 0 ||
      retries != round(retries) || retries >= 2^31 - 1)
    .abort_invalid_argument("'retries' must be a whole number, 0 or more")
  if (!is.null(user_agent) &&
      !(is.character(user_agent) && length(user_agent) == 1L && !is.na(user_agent)))
    .abort_invalid_argument("'user_agent' must be a single string (e.g. \"myapp/1.0\") or NULL")
  if (!isTRUE(proxy_from_env) && !isFALSE(proxy_from_env))
    .abort_invalid_argument("'proxy_from_env' must be TRUE or FALSE")
  if (!is.numeric(max_body_size) || length(max_body_size) != 1L || is.na(max_body_size) ||
      max_body_size < 1 || (is.finite(max_body_size) && max_body_size != round(max_body_size)))
    .abort_invalid_argument("'max_body_size' must be a whole number of bytes (at least 1), or Inf")
  list(
    options = list(
      timeout = timeout, connect_timeout = connect_timeout, idle_timeout = idle_timeout,
      key_transport = key_transport, trust = trust,
      ca_bundle = if (is.null(ca_bundle)) NULL else .expand_path(ca_bundle),
      retries = as.integer(retries), retry_wait = retry_wait, user_agent = user_agent,
      proxy_from_env = proxy_from_env, max_body_size = max_body_size
    ),
    ms = list(
      timeout = .milliseconds(timeout, "timeout", none = TRUE),
      connect_timeout = .milliseconds(connect_timeout, "connect_timeout"),
      idle_timeout = .milliseconds(idle_timeout, "idle_timeout"),
      retry_wait = .milliseconds(retry_wait, "retry_wait", none = TRUE)
    )
  )
}

.new_carto_client <- function(creds, settings) {
  o <- settings$options
  ms <- settings$ms
  ptr <- .Call(C_client_new, .subset2(creds, "ptr"), ms$connect_timeout, ms$timeout,
               ms$idle_timeout, .key_transports[[o$key_transport]], .trust_kinds[[o$trust]],
               o$ca_bundle, o$retries + 1L, ms$retry_wait, o$user_agent, o$proxy_from_env,
               min(o$max_body_size, 2^53))
  structure(list(ptr = ptr, options = o, origin = creds$origin), class = "carto_client")
}

.client_live <- function(x) {
  .Call(C_client_live, .subset2(x, "ptr"))
}

.client_ptr <- function(x, arg = "client") {
  if (!inherits(x, "carto_client"))
    .abort_invalid_argument(sprintf("'%s' must be a carto_client object (see carto_client())", arg))
  .subset2(x, "ptr")
}

.client_fields <- c("credentials", "options")

#' @rdname carto_client
#' @usage NULL
#' @method $ carto_client
#' @export
`$.carto_client` <- function(x, name) {
  if (identical(name, "credentials")) {
    ptr <- .Call(C_client_credentials, .client_ptr(x))
    return(.new_carto_credentials(ptr))
  }
  if (identical(name, "options"))
    return(.subset2(x, "options"))
  .abort_invalid_argument(sprintf("carto_client objects have no field %s; the fields are %s",
                                  sQuote(name, FALSE), paste(.client_fields, collapse = ", ")))
}

#' @rdname carto_client
#' @usage NULL
#' @method [[ carto_client
#' @export
`[[.carto_client` <- function(x, i, ...) {
  if (is.numeric(i))
    return(.subset2(x, i))
  `$.carto_client`(x, i)
}

#' @rdname carto_client
#' @usage NULL
#' @method summary carto_client
#' @export
summary.carto_client <- function(object, ...) {
  format(object)
}

#' @rdname carto_client
#' @usage NULL
#' @method names carto_client
#' @export
names.carto_client <- function(x) {
  .client_fields
}

#' @rdname carto_client
#' @usage NULL
#' @method .DollarNames carto_client
#' @export
.DollarNames.carto_client <- function(x, pattern = "") {
  grep(pattern, .client_fields, value = TRUE)
}

.format_seconds <- function(x) {
  if (is.infinite(x) || x == 0) "none" else paste0(format(x), " s")
}

#' @rdname carto_client
#' @usage NULL
#' @method format carto_client
#' @export
format.carto_client <- function(x, ...) {
  if (!.client_live(x))
    return("<carto_client: no longer usable (freed, or restored from a saved session)>")
  creds <- x$credentials
  on.exit(carto_free(creds), add = TRUE)
  o <- .subset2(x, "options")
  c(
    paste0("<carto_client> ", .credentials_field(creds, "description")),
    paste0("  credentials from: ", .subset2(x, "origin")),
    paste0("  key transport: ", o$key_transport,
           if (o$key_transport == "basic") " (Authorization header)" else " (api_key parameter)"),
    paste0("  trust: ", o$trust, if (!is.null(o$ca_bundle)) paste0(" (", o$ca_bundle, ")")),
    sprintf("  timeouts: connect %s, overall %s, idle %s", .format_seconds(o$connect_timeout),
            .format_seconds(o$timeout), .format_seconds(o$idle_timeout)),
    sprintf("  retries: %d (waiting at most %s)", o$retries, .format_seconds(o$retry_wait)),
    paste0("  answers kept in memory up to: ",
           if (is.finite(o$max_body_size %||% Inf)) .format_bytes(o$max_body_size) else "no limit"),
    paste0("  user agent: cartoauth/", carto_library_info()$version,
           if (!is.null(o$user_agent) && nzchar(o$user_agent)) paste0(" ", o$user_agent))
  )
}

#' @rdname carto_client
#' @usage NULL
#' @method print carto_client
#' @export
print.carto_client <- function(x, ...) {
  cat(format(x), sep = "\n")
  invisible(x)
}

#' @rdname carto_client
#' @usage NULL
#' @method str carto_client
#' @export
str.carto_client <- function(object, ...) {
  cat(" 'carto_client' ", format(object)[[1L]], "\n", sep = "")
  invisible(NULL)
}

#' @rdname carto_client
#' @usage NULL
#' @method as.character carto_client
#' @export
as.character.carto_client <- function(x, ...) {
  format(x)[[1L]]
}

#' @rdname carto_client
#' @usage NULL
#' @method toString carto_client
#' @export
toString.carto_client <- function(x, ...) {
  format(x)[[1L]]
}

#' @rdname carto_free
#' @usage NULL
#' @method carto_free carto_client
#' @export
carto_free.carto_client <- function(x, ...) {
  .Call(C_client_free, .client_ptr(x))
  invisible(NULL)
}

# ---- the client used when none is given ----------------------------------------------------
#
# Without `client =`, each call resolves its credentials (explicit, default, environment,
# files) and uses a cached client with the default options (the query key transport when the
# credentials have no username) when the cache holds one for the same credentials
# (username, API key, base URL) created by this process; otherwise it creates one and
# caches it instead (one slot). Reusing it keeps connections alive between
# calls (one TLS handshake instead of one per call). The cache is dropped (and its handles
# freed) by set_default_credentials() and unset_default_credentials(), and a forked child
# (parallel::mclapply) never reuses its parent's connections.

.client_cache <- new.env(parent = emptyenv())

.forget_default_client <- function() {
  entry <- .client_cache$entry
  .client_cache$entry <- NULL
  if (!is.null(entry) && identical(entry$pid, Sys.getpid())) {
    carto_free(entry$client)
    carto_free(entry$credentials)
  }
  invisible(NULL)
}

.default_client <- function(credentials = NULL) {
  explicit <- if (is.null(credentials)) NULL else .credentials_ptr(credentials, "credentials")
  ptr <- .Call(C_resolve, explicit)
  creds <- .new_carto_credentials(ptr)
  entry <- .client_cache$entry
  if (!is.null(entry) && identical(entry$pid, Sys.getpid()) && .client_live(entry$client) &&
      .credentials_live(entry$credentials) && creds == entry$credentials) {
    carto_free(creds)
    return(entry$client)
  }
  .carto_warn(creds)
  client <- .new_carto_client(creds, .default_settings(creds))
  if (!is.null(entry) && identical(entry$pid, Sys.getpid())) {
    carto_free(entry$client)
    carto_free(entry$credentials)
  }
  .client_cache$entry <- list(client = client, credentials = creds, pid = Sys.getpid())
  client
}

# carto_client()'s defaults (its formals are the one place they are written), with the
# key in the query string for credentials without a username (Basic needs one).
.default_settings <- function(creds) {
  defaults <- lapply(formals(carto_client)[-1L], eval, baseenv())
  defaults$key_transport <- if (is.null(creds$username)) "query" else "basic"
  do.call(.client_settings, defaults)
}

# The client a request function uses: `client` (a carto_client, or a DBI CartoConnection's),
# or the cached default one for `credentials` (NULL: resolved).
.client_for <- function(client, credentials) {
  if (methods::is(client, "CartoConnection"))
    client <- .con_client(client)
  if (!is.null(client)) {
    .client_ptr(client)
    if (!is.null(credentials))
      .abort_invalid_argument(paste(
        "give either 'client' or 'credentials', not both",
        "(a client carries its own credentials)"
      ))
    return(client)
  }
  .default_client(credentials)
}
