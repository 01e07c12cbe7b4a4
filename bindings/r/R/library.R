# The loaded library: versions, location, live handles, and the load-time ABI check.

# The C ABI version (CARTO_ABI_VERSION) this package was written for.
.cartoauth_abi <- 1L

carto_library_info <- function() {
  list(
    version = .Call(C_library_version),
    abi_version = .Call(C_abi_version),
    path = .Call(C_library_path)
  )
}

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
  .check_abi(.Call(C_abi_version), .cartoauth_abi, .Call(C_library_path))
  .carto_status <<- .Call(C_status_codes)
}

# The DLL is deliberately never unloaded: external pointers still alive (in a saved object,
# a closure, ...) carry finalizers that point into it, and unloading it would leave them
# dangling for the next garbage collection.
