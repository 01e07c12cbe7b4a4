# carto_credentials: an S3 object wrapping an external pointer to an immutable library
# handle. Fields are read from the library on access; nothing is cached in R, and the API key
# is only ever returned by x$api_key / x[["api_key"]].

.credentials_fields <- c(
  "username", "api_key", "base_url", "allow_non_secure",
  "source", "origin", "path", "profile", "storage", "keychain_item", "warnings"
)

# Give it an evaluated pointer (`ptr <- .Call(...)` first): a .Call passed as the argument
# would run lazily inside structure(), and its errors would name structure() instead of the
# user's call.
.new_carto_credentials <- function(ptr) {
  structure(list(ptr = ptr), class = "carto_credentials")
}

# The external pointer of a carto_credentials object; `arg` names the argument in errors.
.credentials_ptr <- function(x, arg = "credentials") {
  if (!inherits(x, "carto_credentials"))
    .abort_invalid_argument(
      sprintf("'%s' must be a carto_credentials object (see carto_credentials())", arg)
    )
  .subset2(x, "ptr")
}

.credentials_live <- function(x) {
  .Call(C_credentials_live, .subset2(x, "ptr"))
}

# One field, read from the library. "description" (the masked text from
# carto_credentials_describe) is internal (format() shows it): `$` and `[[` ask for public
# fields only.
.credentials_field <- function(x, name, public = FALSE) {
  known <- if (public) .credentials_fields else c(.credentials_fields, "description")
  if (!is.character(name) || length(name) != 1L || !(name %in% known))
    .abort_invalid_argument(
      sprintf("carto_credentials have no field %s; the fields are %s",
              if (is.character(name) && length(name) == 1L) sQuote(name, FALSE) else "like that",
              paste(.credentials_fields, collapse = ", "))
    )
  .Call(C_credentials_field, .credentials_ptr(x), name)
}

#' CARTO credentials
#'
#' @description
#' Creates credentials for a CARTO account with CARTOframes' rules: from a username the base
#' URL is \samp{https://{username}.carto.com}; from a base URL the username is derived where
#' possible (\samp{/user/{username}}, \samp{/u/{username}},
#' \samp{{username}.carto.com}); without an API key the key is \code{"default_public"}; the
#' base URL must be \samp{https} unless \code{allow_non_secure} is \code{TRUE}; trailing
#' slashes are removed.
#'
#' Credentials are immutable: their fields can be read but not assigned. Printing,
#' formatting, \code{str()}, \code{as.character()} and \code{toString()} show a description
#' in which the API key is masked (its first four characters and an ellipsis; short keys are
#' masked entirely); only \code{x$api_key} returns the key itself.
#' @usage
#' carto_credentials(username = NULL, api_key = NULL, base_url = NULL,
#'                 allow_non_secure = FALSE)
#'
#' \method{$}{carto_credentials}(x, name)
#' \method{[[}{carto_credentials}(x, i, ...)
#' \method{format}{carto_credentials}(x, ...)
#' \method{print}{carto_credentials}(x, ...)
#' \method{str}{carto_credentials}(object, ...)
#' \method{as.character}{carto_credentials}(x, ...)
#' \method{toString}{carto_credentials}(x, ...)
#' \method{all.equal}{carto_credentials}(target, current, ...)
#' @param username The account's username, a single string, or \code{NULL}.
#' @param api_key The API key, a single string, or \code{NULL} for
#'   \code{"default_public"}.
#' @param base_url The account's base URL (for on-premises installations, e.g.
#'   \samp{https://carto.example.com/user/jo}), or \code{NULL}.
#' @param allow_non_secure \code{TRUE} to accept an \samp{http://} base URL.
#' @param x,object,target,current Credentials.
#' @param name,i A field name (see Value).
#' @param ... Ignored.
#' @section Errors:
#' \code{carto_error_missing_account} (neither a username nor a base URL),
#' \code{carto_error_invalid_username}, \code{carto_error_invalid_base_url},
#' \code{carto_error_insecure_base_url}, \code{carto_error_invalid_utf8} and
#' \code{carto_error_invalid_argument}; see \code{\link{carto_error}}. Using credentials
#' restored from a saved session (\code{saveRDS()}, \code{save()}) or freed with
#' \code{\link{carto_free}} is an error of class \code{carto_error_invalid_handle}.
#' @return
#' \code{carto_credentials()} returns an object of class \code{carto_credentials}. Its fields,
#' read with \code{x$name} or \code{x[["name"]]}, are:
#' \describe{
#'   \item{\code{username}}{The username, or \code{NULL} when it cannot be derived from the
#'     base URL.}
#'   \item{\code{api_key}}{The API key, in full.}
#'   \item{\code{base_url}}{The normalised base URL, without a trailing slash.}
#'   \item{\code{allow_non_secure}}{Whether an \samp{http://} base URL is accepted.}
#'   \item{\code{source}}{Where they came from: \code{"explicit"}, \code{"default"},
#'     \code{"environment"}, \code{"file"} or \code{"profile"}.}
#'   \item{\code{origin}}{The same for people, e.g. the file's path or
#'     \code{"given by the caller"}.}
#'   \item{\code{path}}{The file they were read from, or \code{NULL}.}
#'   \item{\code{profile}}{The profile they were read from, or \code{NULL}.}
#'   \item{\code{storage}}{Where the secret of stored credentials lives: \code{"keychain"}
#'     (the OS keychain; the file refers to the item), \code{"file"} (the file itself, in
#'     plain text), or \code{NULL} for credentials that were not stored.}
#'   \item{\code{keychain_item}}{The keychain item's account name (service
#'     \samp{cartoauth}) for \code{"keychain"} storage, else \code{NULL}.}
#'   \item{\code{warnings}}{A character vector of warnings about where they came from (e.g.
#'     a file that other users can read); empty when there are none.}
#' }
#' Any other name is an error of class \code{carto_error_invalid_argument}, and so is
#' assigning to a field. \code{x == y} and \code{x != y} compare the username, API key and
#' base URL (as CARTOframes does; the origin and \code{allow_non_secure} are ignored);
#' \code{all.equal()} returns \code{TRUE} or describes the differences without showing the
#' keys.
#' @seealso
#' \code{\link{set_default_credentials}}, \code{\link{save_credentials}},
#' \code{\link{resolve_credentials}}.
#' @examples
#' creds <- carto_credentials("johnsmith", "0123456789abcdef")
#' creds                      # the key is masked
#' creds$username
#' creds$base_url
#'
#' # On-premises: the username is derived from the base URL.
#' onprem <- carto_credentials(base_url = "https://carto.example.com/user/jo",
#'                           api_key = "0123456789abcdef")
#' onprem$username
#'
#' # No key: "default_public".
#' carto_credentials("johnsmith")$api_key
#'
#' creds == carto_credentials(base_url = "https://johnsmith.carto.com",
#'                          api_key = "0123456789abcdef")
#'
#' tryCatch(carto_credentials(base_url = "http://carto.example.com/user/jo"),
#'        carto_error_insecure_base_url = function(e) conditionMessage(e))
#' @export
carto_credentials <- function(username = NULL, api_key = NULL, base_url = NULL,
                              allow_non_secure = FALSE) {
  # Call first, wrap after: a failure then names carto_credentials(), not a promise.
  ptr <- .Call(C_credentials_new, username, api_key, base_url, allow_non_secure)
  .new_carto_credentials(ptr)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method $ carto_credentials
#' @export
`$.carto_credentials` <- function(x, name) {
  .credentials_field(x, name, public = TRUE)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method [[ carto_credentials
#' @export
# Character indices are fields; numeric ones reach the underlying list (the pointer), as
# generic code such as summary.default() expects of a list.
`[[.carto_credentials` <- function(x, i, ...) {
  if (is.numeric(i))
    return(.subset2(x, i))
  .credentials_field(x, i, public = TRUE)
}

# The condition has no call: the `*tmp*` of R's replacement calls would only confuse.
.refuse_assignment <- function(name) {
  .abort_invalid_argument(
    sprintf(paste(
      "carto_credentials are immutable: %s cannot be changed.",
      "Create new credentials with carto_credentials(), or change a stored file with",
      "update_credentials_file()"
    ), if (is.character(name) && length(name) == 1L) sQuote(name, FALSE) else "a field"),
    call = NULL
  )
}

#' @rdname carto_credentials
#' @usage NULL
#' @method $<- carto_credentials
#' @export
`$<-.carto_credentials` <- function(x, name, value) {
  .refuse_assignment(name)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method [[<- carto_credentials
#' @export
`[[<-.carto_credentials` <- function(x, i, ..., value) {
  .refuse_assignment(i)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method [<- carto_credentials
#' @export
`[<-.carto_credentials` <- function(x, i, ..., value) {
  .refuse_assignment(if (missing(i)) NULL else i)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method names carto_credentials
#' @export
# summary.default() would pair these names with the underlying list: describe instead.
#' @rdname carto_credentials
#' @usage NULL
#' @method summary carto_credentials
#' @export
summary.carto_credentials <- function(object, ...) {
  format(object)
}

# The fields, as `$` reads them (not the underlying list's "ptr").
names.carto_credentials <- function(x) {
  .credentials_fields
}

#' @rdname carto_credentials
#' @usage NULL
#' @method .DollarNames carto_credentials
#' @export
.DollarNames.carto_credentials <- function(x, pattern = "") {
  grep(pattern, .credentials_fields, value = TRUE)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method format carto_credentials
#' @export
format.carto_credentials <- function(x, ...) {
  if (!.credentials_live(x))
    return("<carto_credentials: no longer usable (freed, or restored from a saved session)>")
  .credentials_field(x, "description")
}

#' @rdname carto_credentials
#' @usage NULL
#' @method print carto_credentials
#' @export
print.carto_credentials <- function(x, ...) {
  if (!.credentials_live(x)) {
    cat(format(x), "\n", sep = "")
    return(invisible(x))
  }
  cat("<carto_credentials> ", format(x), "\n", sep = "")
  cat("  from: ", .credentials_field(x, "origin"), "\n", sep = "")
  for (w in .credentials_field(x, "warnings")) cat("  warning: ", w, "\n", sep = "")
  invisible(x)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method str carto_credentials
#' @export
str.carto_credentials <- function(object, ...) {
  cat(" 'carto_credentials' ", format(object), "\n", sep = "")
  invisible(NULL)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method as.character carto_credentials
#' @export
as.character.carto_credentials <- function(x, ...) {
  format(x)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method toString carto_credentials
#' @export
toString.carto_credentials <- function(x, ...) {
  format(x)
}

#' @rdname carto_credentials
#' @usage NULL
#' @method Ops carto_credentials
#' @export
# == and != compare username, API key and base URL in the library (as CARTOframes does);
# the origin and allow_non_secure are ignored. Other operators are refused.
Ops.carto_credentials <- function(e1, e2) {
  if (!(.Generic %in% c("==", "!=")))
    .abort_invalid_argument(
      sprintf("the operator %s is not defined for carto_credentials", sQuote(.Generic, FALSE))
    )
  if (nargs() == 1L || !inherits(e1, "carto_credentials") || !inherits(e2, "carto_credentials")) {
    equal <- FALSE
  } else {
    equal <- .Call(C_credentials_equal, .subset2(e1, "ptr"), .subset2(e2, "ptr"))
  }
  if (.Generic == "==") equal else !equal
}

#' @rdname carto_credentials
#' @usage NULL
#' @method all.equal carto_credentials
#' @export
all.equal.carto_credentials <- function(target, current, ...) {
  if (!inherits(current, "carto_credentials"))
    return("current is not a carto_credentials object")
  if (target == current)
    return(TRUE)
  differences <- character()
  for (field in c("username", "base_url")) {
    a <- .credentials_field(target, field)
    b <- .credentials_field(current, field)
    if (!identical(a, b))
      differences <- c(differences, sprintf(
        "%s: %s vs %s", field,
        if (is.null(a)) "NULL" else sQuote(a, FALSE),
        if (is.null(b)) "NULL" else sQuote(b, FALSE)
      ))
  }
  if (!identical(.credentials_field(target, "api_key"), .credentials_field(current, "api_key")))
    differences <- c(differences, "api_key: the keys differ (not shown)")
  differences
}

#' Release a library handle now
#'
#' @description
#' Credentials and clients hold handles of the C library, released by the garbage
#' collector when the object is no longer referenced. \code{carto_free()} releases one
#' now, for example to wipe an API key from memory or to close a client's connections
#' without waiting for \code{gc()}. It is
#' idempotent; using the object afterwards is an error of class
#' \code{carto_error_invalid_handle}, as is using an object restored from a saved session
#' (\code{saveRDS()}/\code{readRDS()}, \code{save()}/\code{load()}), whose handle does not
#' survive.
#' @usage
#' carto_free(x, ...)
#'
#' \method{carto_free}{carto_credentials}(x, ...)
#' \method{carto_free}{carto_client}(x, ...)
#' @param x A \code{carto_credentials} or \code{carto_client} object.
#' @param ... Ignored.
#' @return
#' \code{NULL}, invisibly.
#' @examples
#' creds <- carto_credentials("johnsmith", "0123456789abcdef")
#' carto_free(creds)
#' carto_free(creds)     # a no-op
#' creds
#' tryCatch(creds$username, carto_error_invalid_handle = function(e) "freed")
#' @export
carto_free <- function(x, ...) {
  UseMethod("carto_free")
}

#' @rdname carto_free
#' @usage NULL
#' @method carto_free carto_credentials
#' @export
carto_free.carto_credentials <- function(x, ...) {
  .Call(C_credentials_free, .subset2(x, "ptr"))
  invisible(NULL)
}

#' @rdname carto_free
#' @usage NULL
#' @method carto_free default
#' @export
carto_free.default <- function(x, ...) {
  .abort_invalid_argument(
    sprintf("carto_free() does not know how to free an object of class %s",
            paste(sQuote(class(x), FALSE), collapse = "/"))
  )
}
