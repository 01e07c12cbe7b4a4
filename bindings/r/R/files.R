# Credentials files and profiles. A location is `path` (a file) or `profile` (a name under
# <config dir>/profiles); neither means the default files of the config directory
# (cartocreds.json, then CARTOframes' creds.json).

# "~/x.json" works as R users expect; anything else goes to the C glue unchanged, which
# validates it.
.expand_path <- function(path) {
  if (is.character(path) && length(path) == 1L && !is.na(path) && startsWith(path, "~"))
    path.expand(path)
  else
    path
}

.file_formats <- c(auto = 0L, cartocreds = 1L, cartoframes = 2L)

credentials_from_file <- function(path = NULL, profile = NULL) {
  ptr <- .Call(C_credentials_load, .expand_path(path), profile)
  x <- .new_carto_credentials(ptr)
  .carto_warn(x)
  x
}

save_credentials <- function(x, path = NULL, profile = NULL,
                             format = c("auto", "cartocreds", "cartoframes")) {
  ptr <- .credentials_ptr(x, "x")
  if (!is.character(format) || length(format) < 1L || anyNA(format))
    .abort_invalid_argument("'format' must be \"auto\", \"cartocreds\" or \"cartoframes\"")
  if (length(format) > 1L) format <- format[[1L]]
  if (!(format %in% names(.file_formats)))
    .abort_invalid_argument(sprintf(
      "'format' must be \"auto\", \"cartocreds\" or \"cartoframes\", not %s", dQuote(format, FALSE)
    ))
  written <- .Call(C_credentials_save, ptr, .expand_path(path), profile,
                   .file_formats[[format]])
  invisible(written)
}

update_credentials_file <- function(path = NULL, profile = NULL, username = NULL,
                                    api_key = NULL, base_url = NULL,
                                    allow_non_secure = NULL) {
  written <- .Call(C_credentials_file_update, .expand_path(path), profile, username, api_key,
                   base_url, allow_non_secure)
  invisible(written)
}

delete_credentials <- function(path = NULL, profile = NULL) {
  .Call(C_credentials_file_delete, .expand_path(path), profile)
  invisible(TRUE)
}

credentials_file_path <- function(path = NULL, profile = NULL) {
  .Call(C_credentials_file_path, .expand_path(path), profile)
}

carto_config_dir <- function() {
  .Call(C_config_dir)
}

carto_profiles <- function() {
  names <- .Call(C_profiles_list)
  if (identical(names, "")) character() else strsplit(names, "\n", fixed = TRUE)[[1L]]
}
