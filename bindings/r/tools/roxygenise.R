# Regenerates NAMESPACE and man/*.Rd from the roxygen comments in R/ (never edit those files
# by hand). From the repository's root:
#
#   Rscript bindings/r/tools/roxygenise.R
#
# The code is loaded with pkgload without compiling the C glue (only the R objects are
# needed to document them); DBI is attached first so that the DBI methods can be defined
# even before NAMESPACE imports DBI.

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[startsWith(args, "--file=")])
package_dir <- normalizePath(file.path(dirname(script), ".."))
suppressPackageStartupMessages({
  library(methods)
  library(DBI)
})
roxygen2::roxygenise(package_dir, load_code = function(path) {
  pkgload::load_all(path, compile = FALSE, helpers = FALSE, attach_testthat = FALSE,
                    quiet = TRUE)$env
})
