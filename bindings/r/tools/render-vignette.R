# Renders the vignette into inst/doc, where it is committed: DESCRIPTION says
# BuildVignettes: false, so R CMD build never installs the package (and compiles the Rust
# library) just to knit a vignette whose chunks are not run; R CMD INSTALL indexes inst/doc.
#
#   Rscript bindings/r/tools/render-vignette.R           # (re)write inst/doc
#   Rscript bindings/r/tools/render-vignette.R --check   # exit 1 if inst/doc is out of date
#
# Needs knitr and markdown (Debian: r-cran-knitr r-cran-markdown).

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[startsWith(args, "--file=")])
package_dir <- normalizePath(file.path(dirname(script), ".."))
check <- "--check" %in% commandArgs(trailingOnly = TRUE)
source_rmd <- file.path(package_dir, "vignettes", "from-cartoframes.Rmd")
doc <- file.path(package_dir, "inst", "doc")
work <- tempfile("cartoauth-vignette-")
dir.create(work)
invisible(file.copy(source_rmd, work))
html <- file.path(work, "from-cartoframes.html")
old <- setwd(work)
invisible(suppressWarnings(suppressMessages(
  knitr::knit2html("from-cartoframes.Rmd", output = html, quiet = TRUE))))
setwd(old)
outputs <- c(source_rmd, html)
targets <- file.path(doc, basename(outputs))
if (check) {
  same <- file.exists(targets) &
    vapply(seq_along(outputs), function(i) {
      identical(readLines(outputs[[i]], warn = FALSE), readLines(targets[[i]], warn = FALSE))
    }, TRUE)
  if (!all(same)) {
    message("inst/doc is out of date (", paste(basename(targets)[!same], collapse = ", "),
            "): run Rscript bindings/r/tools/render-vignette.R")
    quit(status = 1L)
  }
  message("inst/doc is up to date")
} else {
  dir.create(doc, recursive = TRUE, showWarnings = FALSE)
  file.copy(outputs, targets, overwrite = TRUE)
  message("wrote ", paste(targets, collapse = ", "))
}
unlink(work, recursive = TRUE)
