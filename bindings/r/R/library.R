# The loaded library: versions, location, live handles, and the load-time ABI check.

# The C ABI version (CARTO_ABI_VERSION) this package was written for.
.cartoauth_abi <- 1L

#' The libcartoauth in use
#'
#' @description
#' \code{carto_library_info()} describes the loaded \samp{libcartoauth}: its version, its
#' ABI version (which must be the one this package was written for, checked when the
#' package loads) and the file it was loaded from.
#'
#' \code{carto_handle_count()} is the number of live library handles in the process (of
#' every kind, from every user of the library); it returns to its previous value once the
#' objects created since are freed, which makes it useful for leak checks.
#' @usage
#' carto_library_info()
#'
#' carto_handle_count()
#' @return
#' \code{carto_library_info()} returns a list with \code{version} (a string),
#' \code{abi_version} (an integer) and \code{path} (a string, or \code{NULL} when the
#' platform cannot tell). \code{carto_handle_count()} returns a number.
#' @examples
#' carto_library_info()
#'
#' invisible(gc())
#' before <- carto_handle_count()
#' creds <- carto_credentials("johnsmith")
#' carto_handle_count() - before
#' rm(creds)
#' invisible(gc())
#' carto_handle_count() - before
#' @export
carto_library_info <- function() {
  list(
    version = .Call(C_library_version),
    abi_version = .Call(C_abi_version),
    path = .Call(C_library_path)
  )
}

#' @rdname carto_library_info
#' @usage NULL
#' @export
carto_handle_count <- function() {
  .Call(C_handle_count)
}

# Refuses a library whose ABI differs from the one this package was written for.
.check_abi <- function(found, expected = .cartoauth_abi, path = NULL) {
  if (identical(as.integer(found), as.integer(expected)))
    return(invisible(TRUE))
  message <- sprintf(paste(
    "the R package cartoauth was written for ABI version %d of libcartoauth, but the library",
    "loaded%s has ABI version %d. Rebuild the library and reinstall the package from the same",
    "cartoauth checkout (cargo build --release --lib, then R CMD INSTALL bindings/r)."
  ), as.integer(expected), if (is.null(path)) "" else paste0(" from ", path), as.integer(found))
  stop(structure(
    class = c("carto_error_abi_mismatch", "carto_error", "error", "condition"),
    list(message = message, call = NULL, status = NA_integer_, status_name = NA_character_)
  ))
}

.onLoad <- function(libname, pkgname) {
  .register_dbplyr()
  .register_sf()
  # Loaded without its compiled code only by tools/roxygenise.R, to document the R objects.
  if (!exists("C_abi_version", envir = asNamespace(pkgname), inherits = FALSE))
    return(invisible())
  .check_abi(.Call(C_abi_version), .cartoauth_abi, .Call(C_library_path))
  .carto_status <<- .Call(C_status_codes)
}

# The DLL is deliberately never unloaded: external pointers still alive (in a saved object,
# a closure, ...) carry finalizers that point into it, and unloading it would leave them
# dangling for the next garbage collection.
