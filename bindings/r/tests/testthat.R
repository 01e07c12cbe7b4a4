library(testthat)
library(cartoauth)

test_check("cartoauth")
