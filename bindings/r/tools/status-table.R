# Prints the README's table of status codes and condition classes from the installed
# library (every code carto_status_codes() knows), to paste into bindings/r/README.md;
# tests/testthat/test-errors.R fails when the README's table and the library disagree.
#
#   Rscript bindings/r/tools/status-table.R

codes <- cartoauth::carto_status_codes()
codes <- codes[codes$status != 0L, ]
half <- ceiling(nrow(codes) / 2)
left <- codes[seq_len(half), ]
right <- codes[-seq_len(half), ]
cell <- function(x, i) if (i <= nrow(x)) c(x$status[[i]], paste0("`", x$class[[i]], "`")) else c("", "")
cat("| status | class | | status | class |\n|---|---|---|---|---|\n")
for (i in seq_len(half)) {
  l <- cell(left, i)
  r <- cell(right, i)
  cat(sprintf("| %s | %s | | %s | %s |\n", l[[1]], l[[2]], r[[1]], r[[2]]))
}
