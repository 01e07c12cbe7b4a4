# carto_credentials: an S3 object wrapping an external pointer to an immutable library
# handle. Fields are read from the library on access; nothing is cached in R, and the API key
# is only ever returned by x$api_key / x[["api_key"]].

.credentials_fields <- c(
  "username", "api_key", "base_url", "allow_non_secure",
  "source", "origin", "path", "profile", "warnings"
)

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

carto_credentials <- function(username = NULL, api_key = NULL, base_url = NULL,
                              allow_non_secure = FALSE) {
  # Call first, wrap after: a failure then names carto_credentials(), not a promise.
  ptr <- .Call(C_credentials_new, username, api_key, base_url, allow_non_secure)
  .new_carto_credentials(ptr)
}

`$.carto_credentials` <- function(x, name) {
  .credentials_field(x, name, public = TRUE)
}

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

`$<-.carto_credentials` <- function(x, name, value) {
  .refuse_assignment(name)
}

`[[<-.carto_credentials` <- function(x, i, ..., value) {
  .refuse_assignment(i)
}

`[<-.carto_credentials` <- function(x, i, ..., value) {
  .refuse_assignment(if (missing(i)) NULL else i)
}

.DollarNames.carto_credentials <- function(x, pattern = "") {
  grep(pattern, .credentials_fields, value = TRUE)
}

format.carto_credentials <- function(x, ...) {
  if (!.credentials_live(x))
    return("<carto_credentials: no longer usable (freed, or restored from a saved session)>")
  .credentials_field(x, "description")
}

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

str.carto_credentials <- function(object, ...) {
  cat(" 'carto_credentials' ", format(object), "\n", sep = "")
  invisible(NULL)
}

as.character.carto_credentials <- function(x, ...) {
  format(x)
}

toString.carto_credentials <- function(x, ...) {
  format(x)
}

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

carto_free <- function(x, ...) {
  UseMethod("carto_free")
}

carto_free.carto_credentials <- function(x, ...) {
  .Call(C_credentials_free, .subset2(x, "ptr"))
  invisible(NULL)
}

carto_free.default <- function(x, ...) {
  .abort_invalid_argument(
    sprintf("carto_free() does not know how to free an object of class %s",
            paste(sQuote(class(x), FALSE), collapse = "/"))
  )
}
