# Rewrites the cartoauth workspace's manifests, in the copy R CMD build bundles in src/rust,
# into a workspace of the two crates the package builds: the core crate (src/rust) and the C
# library crate over it (src/rust/capi):
#   - the root manifest's [workspace] keeps only `members = ["capi"]` (the emulator, the CLI
#     and the other members are not bundled); [workspace.package] stays, for the members'
#     `<key>.workspace = true`;
#   - [dev-dependencies] go from both (they name the emulator by path);
#   - [profile.release] builds without debug information (it would only grow the package).
# Used by `cleanup` at R CMD build time; R is the one tool sure to be there.
#
#   Rscript tools/standalone-manifest.R <root Cargo.toml> <capi/Cargo.toml>  (both rewritten in place)

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 2L) stop("usage: Rscript standalone-manifest.R <root Cargo.toml> <capi/Cargo.toml>")

section_of <- function(lines) {
  current <- ""
  vapply(lines, function(l) {
    m <- regmatches(l, regexec("^\\[([^]]+)\\]\\s*$", l))[[1L]]
    if (length(m)) current <<- m[[2L]]
    current
  }, "", USE.NAMES = FALSE)
}

# Drops the named sections (headers included) and leading blank lines.
drop_sections <- function(lines, drop) {
  sections <- section_of(lines)
  out <- lines[!(sections %in% drop)]
  while (length(out) && !nzchar(trimws(out[[1L]]))) out <- out[-1L]
  out
}

root <- args[[1L]]
lines <- readLines(root, warn = FALSE)
out <- drop_sections(lines, c("workspace", "dev-dependencies", "profile.release"))
writeLines(c(
  "# The cartoauth crates as bundled in the R package: this core crate and the C library crate",
  "# in capi/ (made by tools/standalone-manifest.R from the repository's manifests at R CMD",
  "# build time).",
  "[workspace]", "members = [\"capi\"]", "resolver = \"2\"", "",
  out, "", "[profile.release]", "debug = false"
), root)

capi <- args[[2L]]
writeLines(drop_sections(readLines(capi, warn = FALSE), "dev-dependencies"), capi)
