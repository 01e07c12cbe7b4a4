# dbplyr on a CartoConnection: PostgreSQL's SQL, run through the SQL API.

test_that("tbl() |> filter() |> collect() returns the right rows", {
  skip_if_not_installed("dbplyr")
  skip_if_not_installed("dplyr")
  local_sandbox()
  con <- DBI::dbConnect(carto(), credentials = emu_creds(), retries = 0L)
  on.exit(DBI::dbDisconnect(con), add = TRUE)
  points <- dplyr::tbl(con, "points_public")
  positive <- dplyr::collect(dplyr::arrange(
    dplyr::select(dplyr::filter(points, score > 0), name, score), name))
  expect_identical(positive$name, c("Madrid", "Paris"))
  expect_identical(positive$score, c(3.5, 4.25))
  # PostgreSQL's translation, e.g. paste() as CONCAT_WS and quoted identifiers
  sql <- dbplyr::sql_render(dplyr::mutate(points, label = paste(name, "x")))
  expect_match(sql, "CONCAT_WS", fixed = TRUE)
  expect_match(sql, "\"points_public\"", fixed = TRUE)
  counted <- dplyr::collect(dplyr::summarise(dplyr::group_by(points, active), n = dplyr::n()))
  expect_identical(sort(as.integer(counted$n)), c(1L, 2L))
})
