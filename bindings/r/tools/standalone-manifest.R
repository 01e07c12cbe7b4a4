# Rewrites the cartoauth workspace manifest (Cargo.toml at the repository's root) into a
# manifest for the library crate alone, for the copy R CMD build bundles in src/rust:
#   - [workspace] and [workspace.*] go (the emulator and other members are not bundled), and
#     `<key>.workspace = true` takes its value from [workspace.package];
#   - [dev-dependencies] go (they name the emulator by path);
#   - [profile.release] builds without debug information (it would only grow the package).
# Used by `cleanup` at R CMD build time; R is the one tool sure to be there.
#
#   Rscript tools/standalone-manifest.R <Cargo.toml to rewrite in place>

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1L) stop("usage: Rscript standalone-manifest.R <Cargo.toml>")
path <- args[[1L]]
lines <- readLines(path, warn = FALSE)

section_of <- function(lines) {
  current <- ""
  vapply(lines, function(l) {
    m <- regmatches(l, regexec("^\\[([^]]+)\\]\\s*$", l))[[1L]]
    if (length(m)) current <<- m[[2L]]
    current
  }, "", USE.NAMES = FALSE)
}
sections <- section_of(lines)

inherited <- list()
for (l in lines[sections == "workspace.package"]) {
  m <- regmatches(l, regexec("^([A-Za-z0-9_-]+)\\s*=\\s*(.+)$", l))[[1L]]
  if (length(m)) inherited[[m[[2L]]]] <- m[[3L]]
}

dropped <- sections == "workspace" | startsWith(sections, "workspace.") |
  sections == "dev-dependencies" | sections == "profile.release"
out <- lines[!dropped]
out <- vapply(out, function(l) {
  m <- regmatches(l, regexec("^([A-Za-z0-9_-]+)\\.workspace\\s*=\\s*true\\s*$", l))[[1L]]
  if (!length(m)) return(l)
  value <- inherited[[m[[2L]]]]
  if (is.null(value)) stop(sprintf("%s: %s.workspace = true, but [workspace.package] has no %s",
                                   path, m[[2L]], m[[2L]]))
  paste0(m[[2L]], " = ", value)
}, "", USE.NAMES = FALSE)
# Leading blank lines left where [workspace] was.
while (length(out) && !nzchar(trimws(out[[1L]]))) out <- out[-1L]
out <- c(
  "# The cartoauth crate alone, as bundled in the R package (made by tools/standalone-manifest.R",
  "# from the repository's workspace manifest at R CMD build time).",
  out, "", "[profile.release]", "debug = false", "",
  "# Not a member of any workspace a build directory might sit in.", "[workspace]"
)
writeLines(out, path)
