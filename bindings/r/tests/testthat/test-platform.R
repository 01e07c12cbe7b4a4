# Batch SQL jobs, API keys and Data Observatory credentials against carto-emulator. The
# emulator is shared by the whole run: names are unique here and created keys are deleted.

test_that("a batch job runs to done with each query's status", {
  local_sandbox()
  cl <- emu_client()
  job <- carto_batch_create(c("create table r_batch (n int)", "insert into r_batch values (1), (2)"),
                            client = cl)
  expect_s3_class(job, "carto_batch_job")
  expect_true(job$status %in% c("pending", "running"))
  polls <- 0L
  done <- carto_batch_wait(job, timeout = 30, client = cl,
                           progress = function(j) { polls <<- polls + 1L; TRUE })
  expect_gte(polls, 1L)
  expect_identical(done$status, "done")
  expect_identical(done$queries$status, c("done", "done"))
  expect_identical(done$queries$query[[2]], "insert into r_batch values (1), (2)")
  # who owns it and when, as the server wrote it (ISO 8601 text)
  expect_identical(done$user, "demo")
  expect_match(done$created_at, "^20[0-9]{2}-[0-9]{2}-[0-9]{2}T")
  expect_true(done$updated_at >= done$created_at)
  expect_equal(carto_sql("select count(*) as n from r_batch", client = cl)$n, 2)
  expect_identical(carto_batch_wait(job, client = cl, progress = function(j) FALSE)$status, "done")
  expect_identical(carto_batch_cancel(job$id, client = cl)$status, "done")
  expect_output(print(done), "done")
})

test_that("a failing job raises carto_error_batch_job_failed with the server's reason", {
  local_sandbox()
  cl <- emu_client()
  job <- carto_batch_create(c("select 1", "select * from r_no_such_table", "select 2"), client = cl)
  e <- tryCatch(carto_batch_wait(job, timeout = 30, client = cl), error = identity)
  expect_s3_class(e, "carto_error_batch_job_failed")
  expect_match(conditionMessage(e), "r_no_such_table")
  expect_identical(e$job$queries$status, c("done", "failed", "skipped"))
  after <- carto_batch_status(job, client = cl)
  expect_identical(after$status, "failed")
  expect_match(after$failed_reason, "r_no_such_table")
})

test_that("a job cancelled while running, and a wait that times out", {
  local_sandbox()
  cl <- emu_client()
  job <- carto_batch_create("select pg_sleep(60)", client = cl)
  e <- tryCatch(carto_batch_wait(job, timeout = 0.3, client = cl), error = identity)
  expect_s3_class(e, "carto_error_wait_timeout")
  expect_match(conditionMessage(e), job$id, fixed = TRUE)
  e <- tryCatch(carto_batch_wait(job, timeout = 30, client = cl,
                                 progress = function(j) j$status != "running"),
                error = identity)
  expect_s3_class(e, "carto_error_cancelled")
  expect_identical(carto_batch_cancel(job, client = cl)$status, "cancelled")
  e <- tryCatch(carto_batch_wait(job, timeout = 30, client = cl), error = identity)
  expect_s3_class(e, "carto_error_batch_job_cancelled")
})

test_that("batch jobs need the master key, a known id and real queries", {
  local_sandbox()
  expect_error(carto_batch_create("select 1", client = emu_client("regular")),
               class = "carto_error_forbidden")
  cl <- emu_client()
  expect_error(carto_batch_status("00000000-0000-0000-0000-000000000000", client = cl),
               class = "carto_error_client_error")
  expect_error(carto_batch_status("../api_keys", client = cl),
               class = "carto_error_invalid_argument")
  expect_error(carto_batch_create(character(), client = cl), class = "carto_error_invalid_argument")
  expect_error(carto_batch_create(c("select 1", NA), client = cl),
               class = "carto_error_invalid_argument")
  expect_error(carto_batch_create(c("select 1", " "), client = cl),
               class = "carto_error_invalid_argument")
  expect_error(carto_batch_wait("x", timeout = -1, client = cl),
               class = "carto_error_invalid_argument")
})

test_that("API keys: every page, grants, tokens only from create and regenerate", {
  local_sandbox()
  cl <- emu_client()
  before <- carto_api_keys(client = cl)
  expect_s3_class(before, "data.frame")
  expect_identical(before$type[1:2], c("master", "default"))
  names <- sprintf("r_page_%02d", 1:21)
  on.exit(for (n in names) try(carto_api_key_delete(n, client = cl), silent = TRUE), add = TRUE)
  for (n in names)
    carto_api_key_create(n, apis = "sql", client = cl)
  all <- carto_api_keys(client = cl)
  expect_identical(nrow(all), nrow(before) + 21L)
  expect_true(all(names %in% all$name))
  expect_false("token" %in% names(all))

  new <- carto_api_key_create("r reader", apis = c("sql", "maps"),
                              tables = data.frame(table = "points_private",
                                                  permissions = "select,insert"),
                              services = "geocoding", client = cl)
  on.exit(try(carto_api_key_delete("r reader", client = cl), silent = TRUE), add = TRUE)
  expect_s3_class(new$key, "carto_api_key")
  expect_identical(new$key$apis, c("sql", "maps"))
  expect_identical(new$key$services, "geocoding")
  expect_identical(new$key$tables$table, "points_private")
  expect_setequal(strsplit(new$key$tables$permissions, ",")[[1]], c("select", "insert"))
  expect_true(is.character(new$token) && nchar(new$token) > 8)
  expect_false(grepl(new$token, paste(capture.output(print(new$key)), collapse = "\n"), fixed = TRUE))
  got <- carto_api_key("r reader", client = cl)
  expect_identical(got$apis, new$key$apis)
  expect_null(got$token)
  reader <- carto_client(credentials = carto_credentials(base_url = emu_base_url(),
                                                         api_key = new$token,
                                                         allow_non_secure = TRUE),
                         retries = 0L)
  expect_gte(nrow(carto_sql("select * from points_private", client = reader)), 1L)
  e <- tryCatch(carto_api_key_create("r reader", apis = "sql", client = cl), error = identity)
  expect_s3_class(e, "carto_error_client_error")
  expect_match(conditionMessage(e), "Name has already been taken")

  renewed <- carto_api_key_regenerate("r reader", client = cl)
  expect_false(identical(renewed$token, new$token))
  expect_error(carto_sql("select 1", client = reader), class = "carto_error_unauthorized")

  carto_api_key_delete("r reader", client = cl)
  expect_error(carto_api_key("r reader", client = cl), class = "carto_error_not_found")
  expect_error(carto_api_key_delete("Master", client = cl), class = "carto_error_forbidden")
  expect_error(carto_api_key_create("x", apis = character(), client = cl),
               class = "carto_error_invalid_argument")
  expect_error(carto_api_key_create("x", tables = data.frame(nope = 1), client = cl),
               class = "carto_error_invalid_argument")
})

test_that("a regular key managing keys gets a clear forbidden error without its key", {
  local_sandbox()
  regular <- emu_client("regular")
  e <- tryCatch(carto_api_key_create("mine", apis = "sql", client = regular), error = identity)
  expect_s3_class(e, "carto_error_forbidden")
  expect_match(conditionMessage(e), "only the account's master key")
  expect_no_emulator_key(conditionMessage(e))
  expect_error(carto_api_key_delete("demo_regular", client = regular), class = "carto_error_forbidden")
  expect_error(carto_api_key_regenerate("demo_regular", client = regular),
               class = "carto_error_forbidden")
  mine <- carto_api_keys(client = regular)
  expect_identical(mine$name, "demo_regular")
})

test_that("DO credentials for the master key; printing hides the token", {
  local_sandbox()
  do <- carto_do_credentials(client = emu_client())
  expect_s3_class(do, "carto_do_credentials")
  expect_true(nzchar(do$access_token))
  expect_false(is.na(do$bq_project))
  expect_false(is.na(do$gcs_bucket))
  expect_false(do$instant_licensing)
  shown <- paste(capture.output(print(do)), collapse = "\n")
  expect_false(grepl(do$access_token, shown, fixed = TRUE))
  expect_match(shown, do$bq_project, fixed = TRUE)
  expect_error(carto_do_credentials(client = emu_client("regular")),
               class = "carto_error_forbidden")
})
