# Writes inst/AUTHORS: the Rust crates bundled in src/rust/vendor.tar.xz, with their
# versions, licences and authors (CRAN asks for them). Input: `cargo metadata` JSON.
#
#   Rscript tools/vendor-authors.R <metadata.json> <output>

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2L) stop("usage: Rscript vendor-authors.R <metadata.json> <output>")
meta <- jsonlite::fromJSON(args[[1L]], simplifyVector = FALSE)
packages <- Filter(function(p) !identical(p$name, "cartoauth"), meta$packages)
packages <- packages[order(vapply(packages, function(p) p$name, ""))]
entry <- function(p) {
  authors <- unlist(p$authors)
  sprintf("%s %s (%s)%s", p$name, p$version, p$license %||% "licence not stated",
          if (length(authors)) paste0(": ", paste(authors, collapse = ", ")) else "")
}
`%||%` <- function(a, b) if (is.null(a)) b else a
dir.create(dirname(args[[2L]]), showWarnings = FALSE, recursive = TRUE)
writeLines(c(
  "The R package cartoauth bundles the Rust library cartoauth (src/rust, same authors and",
  "licence as the package) and, in src/rust/vendor.tar.xz, these Rust crates it depends on",
  "(name, version, licence, authors as their manifests state them; the crates' own",
  "licence files are inside the archive):",
  "",
  vapply(packages, entry, "")
), args[[2L]])
