# The process-wide default credentials (CARTOframes' set_default_credentials) and resolution.

set_default_credentials <- function(first = NULL, second = NULL, credentials = NULL,
                                    filepath = NULL, username = NULL, base_url = NULL,
                                    api_key = NULL, allow_non_secure = FALSE) {
  # The cached client of the request functions holds the previous credentials' key.
  .forget_default_client()
  named <- c(filepath = !is.null(filepath), username = !is.null(username),
             base_url = !is.null(base_url), api_key = !is.null(api_key))
  named_given <- paste(names(named)[named], collapse = ", ")

  if (inherits(first, "carto_credentials") || !is.null(credentials)) {
    if (inherits(first, "carto_credentials") && !is.null(credentials))
      .abort_invalid_argument("give the credentials once, as 'first' or as 'credentials'")
    x <- if (inherits(first, "carto_credentials")) first else credentials
    if (!is.null(second) || (!inherits(first, "carto_credentials") && !is.null(first)) || any(named))
      .abort_invalid_argument(paste(
        "a carto_credentials object cannot be combined with other arguments",
        "(second, filepath, username, base_url, api_key)"
      ))
    .Call(C_default_set, .credentials_ptr(x, "credentials"))
    return(invisible(x))
  }

  if (!is.null(first) || !is.null(second)) {
    if (any(named))
      .abort_invalid_argument(sprintf(
        "give either positional arguments (first, second) or named ones, not both (%s)",
        named_given
      ))
    if (!is.null(first) && !(is.character(first) && length(first) == 1L && !is.na(first)))
      .abort_invalid_argument(paste(
        "'first' must be a carto_credentials object, a path ending in .json,",
        "a base URL (https://...) or a username"
      ))
    ptr <- .Call(C_default_set_from, .expand_path(first), second, allow_non_secure)
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

get_default_credentials <- function() {
  ptr <- .Call(C_default_get)
  if (is.null(ptr)) NULL else .new_carto_credentials(ptr)
}

unset_default_credentials <- function() {
  .Call(C_default_unset)
  .forget_default_client()
  invisible(NULL)
}

resolve_credentials <- function(credentials = NULL) {
  explicit <- if (is.null(credentials)) NULL else .credentials_ptr(credentials, "credentials")
  ptr <- .Call(C_resolve, explicit)
  x <- .new_carto_credentials(ptr)
  .carto_warn(x)
  x
}
