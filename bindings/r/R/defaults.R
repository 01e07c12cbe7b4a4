# The process-wide default credentials (CARTOframes' set_default_credentials) and resolution.

# Which arguments of the call were given by position (unnamed), in order.
.positional_count <- function(call) {
  arg_names <- names(call)[-1L]
  if (is.null(arg_names)) length(call) - 1L else sum(!nzchar(arg_names))
}

#' The default credentials of the R session
#'
#' @description
#' \code{carto_set_default_credentials()} sets the credentials that
#' \code{\link{carto_resolve_credentials}} (and every request made without explicit
#' credentials) uses before the environment and files, with CARTOframes' argument names and
#' dispatch:
#' \itemize{
#'   \item a \code{carto_credentials} object, first or as \code{credentials};
#'   \item a path ending in \samp{.json} first (or \code{filepath}): the credentials in that
#'     file;
#'   \item a URL starting with \samp{http://} or \samp{https://} first: a base URL, with the
#'     API key second (CARTOframes' positional form \code{(first, second)});
#'   \item any other string first: a username, with the API key second;
#'   \item \code{username}, \code{base_url} and \code{api_key} by name, as for
#'     \code{\link{carto_credentials}};
#'   \item nothing at all: the default credentials file of the config directory
#'     (\samp{cartocreds.json}, else CARTOframes' \samp{creds.json}).
#' }
#' A missing API key means \code{"default_public"}. An API key that could not be used (given
#' with a file, or alone) and combinations of positional and named arguments are errors
#' rather than silently ignored. On error the previous default is kept.
#'
#' \code{carto_get_default_credentials()} returns the default, or \code{NULL} when none is set.
#' Its \code{source} and \code{origin} are those of the credentials that were set (e.g.
#' \code{"file"} and the file's path); \code{\link{resolve_credentials}} reports the default as
#' \code{source == "default"}.
#' \code{carto_unset_default_credentials()} clears it.
#'
#' \code{set_default_credentials()}, \code{get_default_credentials()} and
#' \code{unset_default_credentials()} are CARTOframes' names for the same functions.
#'
#' The default belongs to the R process (it is shared with anything else in the process that
#' uses \samp{libcartoauth}) and is not saved with the session.
#' @usage
#' carto_set_default_credentials(credentials = NULL, username = NULL, base_url = NULL,
#'                               api_key = NULL, filepath = NULL,
#'                               allow_non_secure = FALSE)
#'
#' carto_get_default_credentials()
#'
#' carto_unset_default_credentials()
#' @param credentials A \code{carto_credentials} object or, given first by position, a path
#'   ending in \samp{.json}, a base URL or a username.
#' @param username As for \code{\link{carto_credentials}}; given second by position (after a
#'   base URL or a username), the API key.
#' @param base_url,api_key As for \code{\link{carto_credentials}}.
#' @param filepath A credentials file.
#' @param allow_non_secure \code{TRUE} to accept an \samp{http://} base URL.
#' @section Errors:
#' Those of \code{\link{carto_credentials}} and \code{\link{credentials_from_file}}, and
#' \code{carto_error_invalid_argument} for unusable combinations of arguments.
#' @return
#' \code{carto_set_default_credentials()} returns the credentials now set, invisibly.
#' \code{carto_get_default_credentials()} returns credentials or \code{NULL}.
#' \code{carto_unset_default_credentials()} returns \code{NULL}, invisibly.
#' @examples
#' set_default_credentials("johnsmith", "0123456789abcdef")
#' get_default_credentials()
#'
#' set_default_credentials("https://carto.example.com/user/jo", "0123456789abcdef")
#' get_default_credentials()$username
#'
#' set_default_credentials(carto_credentials("johnsmith"))
#'
#' # From a file:
#' path <- tempfile(fileext = ".json")
#' save_credentials(carto_credentials("johnsmith", "0123456789abcdef"), path)
#' set_default_credentials(path)
#'
#' unset_default_credentials()
#' get_default_credentials()
#' unlink(path)
#' @export
carto_set_default_credentials <- function(credentials = NULL, username = NULL, base_url = NULL,
                                          api_key = NULL, filepath = NULL,
                                          allow_non_secure = FALSE) {
  # The cached client of the request functions holds the previous credentials' key.
  .forget_default_client()
  positional <- .positional_count(sys.call())
  named <- c(filepath = !is.null(filepath), username = !is.null(username),
             base_url = !is.null(base_url), api_key = !is.null(api_key))

  if (inherits(credentials, "carto_credentials")) {
    if (any(named))
      .abort_invalid_argument(paste(
        "a carto_credentials object cannot be combined with other arguments",
        "(username, base_url, api_key, filepath)"
      ))
    .Call(C_default_set, .credentials_ptr(credentials, "credentials"))
    return(invisible(credentials))
  }

  # CARTOframes' positional form: set_default_credentials(first, second), where first is a
  # path ending in .json, a base URL or a username and second the API key. The second
  # positional value lands in `username`.
  if (!is.null(credentials)) {
    if (positional == 0L || !(is.character(credentials) && length(credentials) == 1L &&
                              !is.na(credentials)))
      .abort_invalid_argument(paste(
        "'credentials' must be a carto_credentials object, a path ending in .json,",
        "a base URL (https://...) or a username (the last three given first, by position)"
      ))
    second <- if (positional >= 2L) username else NULL
    if (positional > 2L || any(named[c("filepath", "base_url", "api_key")]) ||
        (positional < 2L && named[["username"]]))
      .abort_invalid_argument(paste(
        "give either the positional form (first, and the API key second) or the named",
        "arguments (username, base_url, api_key, filepath), not both"
      ))
    ptr <- .Call(C_default_set_from, .expand_path(credentials), second, allow_non_secure)
    x <- .new_carto_credentials(ptr)
    .carto_warn(x)
    return(invisible(x))
  }

  if (!is.null(filepath)) {
    if (any(named[c("username", "base_url", "api_key")]))
      .abort_invalid_argument(sprintf(
        "'filepath' holds the credentials; it cannot be combined with %s",
        paste(names(named)[named][-1L], collapse = ", ")
      ))
    ptr <- .Call(C_credentials_load, .expand_path(filepath), NULL)
    x <- .new_carto_credentials(ptr)
    .carto_warn(x)
    .Call(C_default_set, .subset2(x, "ptr"))
    return(invisible(x))
  }

  if (!is.null(username) || !is.null(base_url)) {
    ptr <- .Call(C_credentials_new, username, api_key, base_url, allow_non_secure)
    x <- .new_carto_credentials(ptr)
    .Call(C_default_set, .subset2(x, "ptr"))
    return(invisible(x))
  }

  if (!is.null(api_key))
    .abort_invalid_argument("an API key was given without a username, base URL or file")

  # Nothing given: CARTOframes loads the default credentials file.
  ptr <- .Call(C_default_set_from, NULL, NULL, allow_non_secure)
  x <- .new_carto_credentials(ptr)
  .carto_warn(x)
  invisible(x)
}

#' @rdname carto_set_default_credentials
#' @usage NULL
#' @export
carto_get_default_credentials <- function() {
  ptr <- .Call(C_default_get)
  if (is.null(ptr)) NULL else .new_carto_credentials(ptr)
}

#' @rdname carto_set_default_credentials
#' @usage NULL
#' @export
carto_unset_default_credentials <- function() {
  .Call(C_default_unset)
  .forget_default_client()
  invisible(NULL)
}

#' Find the credentials to use, and where they came from
#'
#' @description
#' Returns the credentials to use, looking in this order:
#' \enumerate{
#'   \item \code{credentials}, when given;
#'   \item the default set with \code{\link{set_default_credentials}};
#'   \item the environment: \env{CARTO_USERNAME} and/or \env{CARTO_BASE_URL} (with
#'     \env{CARTO_API_KEY} and \env{CARTO_ALLOW_NON_SECURE}); else \env{CARTO_CREDENTIALS_FILE}
#'     (a file); else \env{CARTO_PROFILE} (a profile); blank values count as unset;
#'   \item the default files of the config directory (\code{\link{carto_config_dir}}):
#'     \samp{cartocreds.json}, then CARTOframes' \samp{creds.json}.
#' }
#' A source that is named but broken is an error rather than skipped (for example
#' \env{CARTO_API_KEY} without \env{CARTO_USERNAME} or \env{CARTO_BASE_URL}, a missing
#' \env{CARTO_CREDENTIALS_FILE}, a corrupt default file); a missing default file is skipped.
#'
#' The result's fields \code{source}, \code{origin}, \code{path}, \code{profile} and
#' \code{warnings} say where the credentials came from (see \code{\link{carto_credentials}}).
#' Warnings are also signalled as \code{carto_warning} conditions (see
#' \code{\link{carto_error}}).
#'
#' \code{resolve_credentials()} is the same function under CARTOframes' name.
#' @usage
#' carto_resolve_credentials(credentials = NULL)
#' @param credentials \code{NULL} or \code{carto_credentials} to use as they are.
#' @section Errors:
#' \code{carto_error_not_resolved} when no source has credentials (its message lists every
#' place tried), \code{carto_error_invalid_environment}, and the file errors of
#' \code{\link{credentials_from_file}}.
#' @return
#' An object of class \code{carto_credentials}.
#' @examples
#' old <- Sys.getenv(c("CARTO_CONFIG_DIR", "CARTO_USERNAME", "CARTO_API_KEY"), unset = NA)
#' Sys.setenv(CARTO_CONFIG_DIR = tempfile("carto-config-"),
#'          CARTO_USERNAME = "johnsmith", CARTO_API_KEY = "0123456789abcdef")
#'
#' creds <- resolve_credentials()
#' creds$source
#' creds$origin
#'
#' Sys.unsetenv(c("CARTO_USERNAME", "CARTO_API_KEY"))
#' tryCatch(resolve_credentials(),
#'        carto_error_not_resolved = function(e) "no credentials anywhere")
#'
#' for (v in names(old)) if (is.na(old[[v]])) Sys.unsetenv(v) else
#' do.call(Sys.setenv, as.list(old[v]))
#' @export
carto_resolve_credentials <- function(credentials = NULL) {
  explicit <- if (is.null(credentials)) NULL else .credentials_ptr(credentials, "credentials")
  ptr <- .Call(C_resolve, explicit)
  x <- .new_carto_credentials(ptr)
  .carto_warn(x)
  x
}

# CARTOframes' names, kept as aliases of the carto_ ones.

#' @rdname carto_set_default_credentials
#' @usage NULL
#' @export
set_default_credentials <- carto_set_default_credentials
#' @rdname carto_set_default_credentials
#' @usage NULL
#' @export
get_default_credentials <- carto_get_default_credentials
#' @rdname carto_set_default_credentials
#' @usage NULL
#' @export
unset_default_credentials <- carto_unset_default_credentials
#' @rdname carto_resolve_credentials
#' @usage NULL
#' @export
resolve_credentials <- carto_resolve_credentials
