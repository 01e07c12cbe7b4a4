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

#' Load credentials from a file or a profile
#'
#' @description
#' Reads credentials from a file, a named profile, or (with neither) the default file of the
#' config directory: \samp{cartocreds.json}, else CARTOframes' \samp{creds.json}. The layout
#' is detected from the keys:
#' \itemize{
#'   \item cartocreds: \samp{APIKEY}, \samp{USERNAME}, \samp{USERURL} (with
#'     \samp{{username}} expanded in \samp{USERURL});
#'   \item CARTOframes 1.x: \samp{username}, \samp{api_key}, \samp{base_url},
#'     \samp{allow_non_secure};
#'   \item the 2019 layouts: \samp{key}/\samp{username}/\samp{base_url} and
#'     \samp{username}/\samp{api_key}/\samp{base_url}.
#' }
#' The file is never modified. A file that other users can read loads with a warning, kept
#' in the result's \code{warnings} field and signalled as a \code{carto_warning} (see
#' \code{\link{carto_error}}).
#'
#' \code{credentials_from_file()} is the same function under its name without the \code{carto_} prefix name.
#' @usage
#' carto_credentials_from_file(path = NULL, profile = NULL)
#' @param path A credentials file (a leading \samp{~} is expanded), or \code{NULL}.
#' @param profile The name of a profile saved with \code{save_credentials(profile = )}, or
#'   \code{NULL}. Give \code{path} or \code{profile}, not both.
#' @section Errors:
#' \code{carto_error_file_not_found}, \code{carto_error_file_syntax} (the message gives the
#' line and column), \code{carto_error_file_content} (the message names the field), the
#' errors of \code{\link{carto_credentials}} for the values found, \code{carto_error_io} and
#' \code{carto_error_invalid_argument}.
#' @return
#' An object of class \code{carto_credentials} whose \code{source} is \code{"file"} or
#' \code{"profile"} and whose \code{path} (and \code{profile}) name what was read.
#' @seealso
#' \code{\link{save_credentials}}, \code{\link{carto_profiles}}.
#' @examples
#' path <- tempfile(fileext = ".json")
#' writeLines('{"username": "johnsmith", "api_key": "0123456789abcdef"}', path)
#' Sys.chmod(path, "600")
#' creds <- credentials_from_file(path)
#' creds
#' creds$source
#' unlink(path)
#'
#' tryCatch(credentials_from_file(tempfile(fileext = ".json")),
#'        carto_error_file_not_found = function(e) "no such file")
#' @export
carto_credentials_from_file <- function(path = NULL, profile = NULL) {
  ptr <- .Call(C_credentials_load, .expand_path(path), profile)
  x <- .new_carto_credentials(ptr)
  .carto_warn(x)
  x
}

#' Save credentials to a file or a profile
#'
#' @description
#' Writes credentials to a file, to a named profile (\samp{profiles/<name>.json} in the
#' config directory), or (with neither) to the default file of the config directory.
#' The file is written atomically (a temporary file renamed into place) with mode 0600,
#' missing directories are created with mode 0700, and an existing file is replaced.
#'
#' \code{save_credentials()} is the same function under its name without the \code{carto_} prefix name.
#' @usage
#' carto_save_credentials(x, path = NULL, profile = NULL,
#'                format = c("auto", "cartocreds", "cartoframes"),
#'                store = c("default", "auto", "keychain", "file"))
#' @param x Credentials.
#' @param path A file (a leading \samp{~} is expanded), or \code{NULL}.
#' @param profile A profile name, or \code{NULL}. Give \code{path} or \code{profile}, not
#'   both.
#' @param format The layout written:
#'   \describe{
#'   \item{\code{"auto"} (the default)}{the cartocreds layout for a file and for the default
#'   location (\samp{cartocreds.json}); the CARTOframes 1.x layout for a profile, so
#'   that Python CARTOframes can read it too;}
#'   \item{\code{"cartocreds"}}{\samp{{"APIKEY", "USERNAME", "USERURL"}};}
#'   \item{\code{"cartoframes"}}{\samp{{"username", "api_key", "base_url",
#'   "allow_non_secure"}}; with neither \code{path} nor \code{profile} it writes
#'   CARTOframes' own \samp{creds.json}.}
#'   }
#'   Every layout is read back by \code{\link{credentials_from_file}}.
#' @param store Where the secret (the API key, an M2M client secret, a token) goes:
#'   \describe{
#'   \item{\code{"default"}}{the \env{CARTO_CREDENTIAL_STORE} environment variable, else
#'   \code{"auto"};}
#'   \item{\code{"auto"}}{the OS keychain (Secret Service, macOS Keychain, Windows
#'   Credential Manager) when one answers, else the file; the fallback is signalled once per
#'   session as a \code{carto_warning};}
#'   \item{\code{"keychain"}}{the OS keychain, or an error (\code{carto_error_keychain_unavailable},
#'   \code{carto_error_keychain_timeout}); never the file;}
#'   \item{\code{"file"}}{the file, in plain text (mode 0600): what Python CARTOframes and
#'   carto-auth read.}
#'   }
#'   With the keychain, the file keeps the other fields and a reference to the item, which
#'   \code{\link{credentials_from_file}} resolves; \code{\link{delete_credentials}} deletes
#'   the item; \code{\link{move_credentials}} moves a stored secret.
#' @section Errors:
#' \code{carto_error_io}, \code{carto_error_lock_timeout},
#' \code{carto_error_keychain_unavailable}, \code{carto_error_keychain_timeout},
#' \code{carto_error_invalid_argument}, \code{carto_error_invalid_handle}. On error the
#' previous file, if any, is intact.
#' @return
#' The path written, invisibly. Where the secret went is
#' \code{credentials_from_file(...)$storage}: \code{"keychain"} or \code{"file"}.
#' @seealso
#' \code{\link{credentials_from_file}}, \code{\link{update_credentials_file}},
#' \code{\link{delete_credentials}}.
#' @examples
#' old <- Sys.getenv("CARTO_CONFIG_DIR", unset = NA)
#' Sys.setenv(CARTO_CONFIG_DIR = tempfile("carto-config-"))
#'
#' creds <- carto_credentials("johnsmith", "0123456789abcdef")
#' save_credentials(creds)                     # cartocreds.json
#' save_credentials(creds, profile = "work")   # profiles/work.json, CARTOframes layout
#' carto_profiles()
#' path <- save_credentials(creds, tempfile(fileext = ".json"), format = "cartoframes")
#' credentials_from_file(path) == creds
#'
#' unlink(c(path, carto_config_dir()), recursive = TRUE)
#' if (is.na(old)) Sys.unsetenv("CARTO_CONFIG_DIR") else Sys.setenv(CARTO_CONFIG_DIR = old)
#' @export
carto_save_credentials <- function(x, path = NULL, profile = NULL,
                             format = c("auto", "cartocreds", "cartoframes"),
                             store = c("default", "auto", "keychain", "file")) {
  ptr <- .credentials_ptr(x, "x")
  if (!is.character(format) || length(format) < 1L || anyNA(format))
    .abort_invalid_argument("'format' must be \"auto\", \"cartocreds\" or \"cartoframes\"")
  if (length(format) > 1L) format <- format[[1L]]
  if (!(format %in% names(.file_formats)))
    .abort_invalid_argument(sprintf(
      "'format' must be \"auto\", \"cartocreds\" or \"cartoframes\", not %s", dQuote(format, FALSE)
    ))
  store <- .choice(store, names(.stores), "store")
  saved <- .Call(C_credentials_save_as, ptr, .expand_path(path), profile,
                 .file_formats[[format]], .stores[[store]])
  saved <- .new_carto_credentials(saved)
  .carto_warn(saved)
  invisible(.credentials_field(saved, "path"))
}

# CARTO_STORE_* of the C library, by the names store arguments take.
.stores <- c(default = -1L, auto = 0L, keychain = 1L, file = 2L)

# The first of `value` when it is one of `choices` (match.arg's rule, with cartoauth's error).
.choice <- function(value, choices, arg) {
  if (!is.character(value) || length(value) < 1L || anyNA(value))
    .abort_invalid_argument(sprintf("'%s' must be one of %s", arg,
                                    paste(dQuote(choices, FALSE), collapse = ", ")))
  value <- value[[1L]]
  if (!(value %in% choices))
    .abort_invalid_argument(sprintf("'%s' must be one of %s, not %s", arg,
                                    paste(dQuote(choices, FALSE), collapse = ", "),
                                    dQuote(value, FALSE)))
  value
}

#' Move a stored secret between the OS keychain and the file
#'
#' @description
#' Moves the secret of stored credentials into the OS keychain (the file then keeps a
#' reference to the item) or back into the file, in plain text, as Python CARTOframes reads
#' it (the keychain item is deleted). The file keeps its layout, its other fields and keys
#' cartoauth does not know. Credentials already there, or without a secret, are left as they
#' are. With neither \code{path} nor \code{profile}: the default file that
#' \code{\link{credentials_from_file}} reads.
#'
#' \code{move_credentials()} is the same function under its name without the \code{carto_} prefix name.
#' @usage
#' carto_move_credentials(path = NULL, profile = NULL, to = c("keychain", "file"))
#' @param path A file (a leading \samp{~} is expanded), or \code{NULL}.
#' @param profile A profile name, or \code{NULL}.
#' @param to \code{"keychain"} or \code{"file"}.
#' @section Errors:
#' \code{carto_error_file_not_found}, \code{carto_error_keychain_unavailable},
#' \code{carto_error_keychain_timeout}, \code{carto_error_keychain_item_not_found} (the file
#' is unchanged in each case), \code{carto_error_file_content}, \code{carto_error_io}.
#' @return
#' The credentials as now stored (see \code{$storage}), invisibly.
#' @examples
#' path <- tempfile(fileext = ".json")
#' save_credentials(carto_credentials("johnsmith", "0123456789abcdef"), path, store = "file")
#' move_credentials(path, to = "file")$storage
#' delete_credentials(path)
#' @export
carto_move_credentials <- function(path = NULL, profile = NULL, to = c("keychain", "file")) {
  to <- .choice(to, c("keychain", "file"), "to")
  moved <- .Call(C_credentials_move, .expand_path(path), profile, .stores[[to]])
  invisible(.carto_warn(.new_carto_credentials(moved)))
}

#' Change a stored credentials file in place
#'
#' @description
#' Changes some fields of a credentials file or profile, e.g. to rotate its API key, keeping
#' its layout, its other fields, their order and any keys cartoauth does not know. The result
#' must still be valid credentials, or nothing is written; a broken file is never
#' overwritten. The write is atomic, locked and mode 0600, like \code{\link{save_credentials}}.
#' With neither \code{path} nor \code{profile} it updates the default file that
#' \code{\link{credentials_from_file}} would read.
#'
#' \code{update_credentials_file()} is the same function under its name without the \code{carto_} prefix name.
#' @usage
#' carto_update_credentials_file(path = NULL, profile = NULL, username = NULL,
#'                       api_key = NULL, base_url = NULL,
#'                       allow_non_secure = NULL)
#' @param path A file (a leading \samp{~} is expanded), or \code{NULL}.
#' @param profile A profile name, or \code{NULL}.
#' @param username,api_key,base_url A new value, or \code{NULL} to keep the stored one.
#' @param allow_non_secure \code{TRUE} or \code{FALSE}, or \code{NULL} to keep the stored
#'   value.
#' @section Errors:
#' \code{carto_error_file_not_found}, \code{carto_error_file_syntax},
#' \code{carto_error_file_content}, the errors of \code{\link{carto_credentials}} for the
#' updated values, \code{carto_error_io}, \code{carto_error_lock_timeout},
#' \code{carto_error_invalid_argument}.
#' @return
#' The path written, invisibly.
#' @examples
#' path <- tempfile(fileext = ".json")
#' save_credentials(carto_credentials("johnsmith", "0123456789abcdef"), path)
#' update_credentials_file(path, api_key = "fedcba9876543210")
#' credentials_from_file(path)
#' unlink(path)
#' @export
carto_update_credentials_file <- function(path = NULL, profile = NULL, username = NULL,
                                    api_key = NULL, base_url = NULL,
                                    allow_non_secure = NULL) {
  written <- .Call(C_credentials_file_update, .expand_path(path), profile, username, api_key,
                   base_url, allow_non_secure)
  invisible(written)
}

#' Delete a credentials file or profile
#'
#' @description
#' Deletes a credentials file, a profile, or (with neither) both default files of the config
#' directory (\samp{cartocreds.json} and \samp{creds.json}), so that no default credentials
#' remain. Deleting something that does not exist is an error of class
#' \code{carto_error_file_not_found}, so that "already gone" can be told apart from a failure
#' with \code{tryCatch()}.
#'
#' \code{delete_credentials()} is the same function under its name without the \code{carto_} prefix name.
#' @usage
#' carto_delete_credentials(path = NULL, profile = NULL)
#' @param path A file (a leading \samp{~} is expanded), or \code{NULL}.
#' @param profile A profile name, or \code{NULL}.
#' @section Errors:
#' \code{carto_error_file_not_found}, \code{carto_error_io},
#' \code{carto_error_lock_timeout}, \code{carto_error_invalid_argument}.
#' @return
#' \code{TRUE}, invisibly.
#' @examples
#' path <- tempfile(fileext = ".json")
#' save_credentials(carto_credentials("johnsmith", "0123456789abcdef"), path)
#' delete_credentials(path)
#' file.exists(path)
#'
#' # Already gone: not a failure for this caller.
#' tryCatch(delete_credentials(path), carto_error_file_not_found = function(e) FALSE)
#' @export
carto_delete_credentials <- function(path = NULL, profile = NULL) {
  .Call(C_credentials_file_delete, .expand_path(path), profile)
  invisible(TRUE)
}

#' Where credentials files live
#'
#' @description
#' \code{credentials_file_path()} gives the file a location designates: \code{path} itself,
#' the profile's file, or the default file \code{\link{credentials_from_file}} would read
#' (\samp{cartocreds.json} when neither default file exists). Nothing is read or created.
#'
#' \code{carto_config_dir()} gives the configuration directory: \env{CARTO_CONFIG_DIR} when
#' set, else CARTOframes' directory (\samp{$XDG_CONFIG_HOME/cartoframes} or
#' \samp{~/.config/cartoframes} on Linux, \samp{~/Library/Application Support/cartoframes}
#' on macOS, \samp{\%LOCALAPPDATA\%\\cartoframes\\cartoframes} on Windows), so that R and
#' Python share the same files.
#'
#' \code{carto_profiles()} lists the names of saved profiles.
#'
#' \code{credentials_file_path()} is the same function under its name without the \code{carto_} prefix name.
#' @usage
#' carto_credentials_file_path(path = NULL, profile = NULL)
#'
#' carto_config_dir()
#'
#' carto_profiles()
#' @param path A file, or \code{NULL}.
#' @param profile A profile name, or \code{NULL}.
#' @section Errors:
#' \code{carto_error_invalid_argument}, \code{carto_error_io} (no home directory).
#' @return
#' A single string for \code{credentials_file_path()} and \code{carto_config_dir()}; a sorted
#' character vector (empty when there are none) for \code{carto_profiles()}.
#' @examples
#' old <- Sys.getenv("CARTO_CONFIG_DIR", unset = NA)
#' Sys.setenv(CARTO_CONFIG_DIR = tempfile("carto-config-"))
#'
#' carto_config_dir()
#' credentials_file_path()
#' credentials_file_path(profile = "work")
#' carto_profiles()
#'
#' if (is.na(old)) Sys.unsetenv("CARTO_CONFIG_DIR") else Sys.setenv(CARTO_CONFIG_DIR = old)
#' @export
carto_credentials_file_path <- function(path = NULL, profile = NULL) {
  .Call(C_credentials_file_path, .expand_path(path), profile)
}

#' @rdname carto_credentials_file_path
#' @usage NULL
#' @export
carto_config_dir <- function() {
  .Call(C_config_dir)
}

#' @rdname carto_credentials_file_path
#' @usage NULL
#' @export
carto_profiles <- function() {
  names <- .Call(C_profiles_list)
  if (identical(names, "")) character() else strsplit(names, "\n", fixed = TRUE)[[1L]]
}

# The names without the carto_ prefix, kept as aliases.

#' @rdname carto_credentials_from_file
#' @usage NULL
#' @export
credentials_from_file <- carto_credentials_from_file
#' @rdname carto_save_credentials
#' @usage NULL
#' @export
save_credentials <- carto_save_credentials
#' @rdname carto_update_credentials_file
#' @usage NULL
#' @export
update_credentials_file <- carto_update_credentials_file
#' @rdname carto_delete_credentials
#' @usage NULL
#' @export
delete_credentials <- carto_delete_credentials
#' @rdname carto_move_credentials
#' @usage NULL
#' @export
move_credentials <- carto_move_credentials
#' @rdname carto_credentials_file_path
#' @usage NULL
#' @export
credentials_file_path <- carto_credentials_file_path
