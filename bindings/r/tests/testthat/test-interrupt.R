# Ctrl-C during a request: the library calls the package's progress callback at least every
# 250 ms even while the server computes and sends nothing, and that callback checks for a user
# interrupt, so a slow query stops at the next tick instead of when the server answers.

test_that("an interrupt stops a query the server is still computing", {
  local_sandbox()
  cl <- emu_client()
  calls <- 0
  downloaded <- numeric()
  e <- tryCatch(
    carto_sql("select pg_sleep(8)", client = cl, progress = function(u, ut, d, dt) {
      calls <<- calls + 1
      downloaded <<- c(downloaded, d)
      # What Ctrl-C does: SIGINT to this process, handled at the next interrupt check.
      if (calls == 3) tools::pskill(Sys.getpid(), tools::SIGINT)
      TRUE
    }),
    interrupt = function(e) e
  )
  expect_s3_class(e, "interrupt")
  expect_identical(calls, 3) # the tick after the signal raised it, before the function ran
  expect_identical(downloaded, c(0, 0, 0)) # nothing had arrived: these were timer ticks
  # the client is usable afterwards
  expect_identical(carto_sql("select 1 as one", client = cl)$one, 1L)
})

test_that("a progress function returning FALSE cancels a silent wait", {
  local_sandbox()
  cl <- emu_client()
  calls <- 0
  e <- catch_condition(carto_sql("select pg_sleep(8)", client = cl,
                                 progress = function(u, ut, d, dt) {
                                   calls <<- calls + 1
                                   calls < 2
                                 }))
  expect_s3_class(e, "carto_error_cancelled")
  expect_identical(calls, 2)
})
