#' CARTO credentials and authenticated CARTO requests for R, over libcartoauth
#'
#' @description
#' \pkg{cartoauth} is a thin wrapper over the C interface of \samp{libcartoauth}, a Rust
#' library implementing the credentials workflow of the Python package CARTOframes: the
#' same function names, the same files and the same rules, so CARTOframes examples translate
#' one to one.
#'
#' \itemize{
#'   \item \code{\link{carto_credentials}} creates credentials; their API key is never
#'     printed.
#'   \item \code{\link{set_default_credentials}}, \code{\link{get_default_credentials}} and
#'     \code{\link{unset_default_credentials}} manage the process-wide default.
#'   \item \code{\link{credentials_from_file}}, \code{\link{save_credentials}},
#'     \code{\link{update_credentials_file}}, \code{\link{delete_credentials}},
#'     \code{\link{credentials_file_path}}, \code{\link{carto_config_dir}} and
#'     \code{\link{carto_profiles}} work with credentials files and named profiles.
#'   \item \code{\link{resolve_credentials}} finds the credentials to use and says where they
#'     came from.
#'   \item \code{\link{carto_sql}} runs SQL (a data frame, GeoJSON, CSV, ...);
#'     \code{\link{carto_request}} calls any CARTO API; \code{\link{carto_me}} and
#'     \code{\link{carto_validate_key}} check the key; \code{\link{carto_copyto}} and
#'     \code{\link{carto_copyfrom}} stream COPY exports and imports through files with a
#'     progress bar; \code{\link{carto_client}} chooses timeouts, trust, key transport and
#'     retries.
#'   \item Failures are conditions of class \code{carto_error} (see
#'     \code{\link{carto_error}}).
#' }
#'
#' The option \code{cartoauth.warnings} (default \code{TRUE}) controls whether warnings
#' carried by loaded credentials (for example, a credentials file that other users can read)
#' are signalled with \code{\link{warning}}; see \code{\link{carto_error}}.
#' @seealso
#' \code{\link{carto_library_info}} for the library in use.
#' @keywords package
#' @examples
#' creds <- carto_credentials("johnsmith", "0123456789abcdef")
#' creds
#' creds$base_url
#' @name cartoauth-package
#' @aliases cartoauth
#' @docType package
#' @useDynLib cartoauth, .registration = TRUE
#' @importFrom utils str .DollarNames
# jsonlite parses CARTO's responses (carto_sql(), carto_request(as = "json")) and writes
# JSON request bodies.
#' @importFrom jsonlite fromJSON toJSON
# The DBI backend (R/dbi-*.R) defines methods for DBI's generics.
#' @import DBI
#' @importFrom methods new is setClass setMethod show
NULL
