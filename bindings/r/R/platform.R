# CARTO's platform APIs: Batch SQL jobs, API keys (Auth API) and Data Observatory
# credentials. Lists come back as data frames; failures are carto_error conditions (a failed
# job: carto_error_batch_job_failed; a cancelled one: carto_error_batch_job_cancelled; a wait
# that ran out: carto_error_wait_timeout).

# ---- Batch SQL --------------------------------------------------------------------------

.new_batch_job <- function(x) {
  q <- x$queries
  structure(
    list(id = x$id, status = x$status, failed_reason = x$failed_reason,
         queries = data.frame(query = q$query, status = q$status,
                              failed_reason = q$failed_reason, stringsAsFactors = FALSE),
         user = x$user, created_at = x$created_at, updated_at = x$updated_at),
    class = "carto_batch_job"
  )
}

# A job id from a carto_batch_job or a string.
.job_id <- function(job) {
  if (inherits(job, "carto_batch_job"))
    return(job$id)
  .single_string(job, "job")
}

#' Run SQL as a CARTO Batch SQL job
#'
#' `carto_batch_create()` queues one or more queries, run in order on the server (the first
#' failure stops the job); `carto_batch_status()` reads a job, `carto_batch_cancel()` cancels
#' a pending or running one (a finished job is returned as it is), `carto_batch_wait()` polls
#' until it finishes. Batch SQL needs the account's master key.
#'
#' @param queries A character vector of SQL statements.
#' @param onsuccess,onerror `NULL`, or SQL that CARTO runs after the job succeeded or after a
#'   query failed.
#' @param job A `carto_batch_job` or a job id.
#' @param timeout Seconds to wait at most (the job goes on after that).
#' @param progress `NULL`, or a function called after each poll with a list of the job's
#'   `id`, `status` and the number of `polls` so far; it returns `FALSE` to stop waiting.
#' @param credentials,client As for [carto_sql()].
#' @return A `carto_batch_job`: a list with `id`, `status` ("pending", "running", "done",
#'   "failed", "cancelled", "skipped", "unknown"), `failed_reason` and `queries`, a data frame
#'   of each query's `query`, `status` and `failed_reason`, and the job's `user`, `created_at`
#'   and `updated_at` as the server wrote them (ISO 8601 text; `NA` when not sent).
#' @export
carto_batch_create <- function(queries, onsuccess = NULL, onerror = NULL, credentials = NULL,
                               client = NULL) {
  if (!is.character(queries) || !length(queries) || anyNA(queries))
    .abort_invalid_argument("'queries' must be a character vector of SQL statements, without NA")
  cl <- .client_for(client, credentials)
  .new_batch_job(.Call(C_batch_create, .client_ptr(cl), queries, onsuccess, onerror))
}

#' @rdname carto_batch_create
#' @export
carto_batch_status <- function(job, credentials = NULL, client = NULL) {
  id <- .job_id(job)
  cl <- .client_for(client, credentials)
  .new_batch_job(.Call(C_batch_status, .client_ptr(cl), id))
}

#' @rdname carto_batch_create
#' @export
carto_batch_cancel <- function(job, credentials = NULL, client = NULL) {
  id <- .job_id(job)
  cl <- .client_for(client, credentials)
  .new_batch_job(.Call(C_batch_cancel, .client_ptr(cl), id))
}

#' @rdname carto_batch_create
#' @export
carto_batch_wait <- function(job, timeout = 3600, progress = NULL, credentials = NULL,
                             client = NULL) {
  id <- .job_id(job)
  if (!is.numeric(timeout) || length(timeout) != 1L || is.na(timeout) || timeout < 0)
    .abort_invalid_argument("'timeout' must be a single non-negative number of seconds")
  if (!is.null(progress) && !is.function(progress))
    .abort_invalid_argument("'progress' must be a function or NULL")
  cl <- .client_for(client, credentials)
  # The library polls and backs off (carto_batch_wait); after each poll its callback checks
  # for Ctrl-C and calls `progress`.
  ms <- if (is.infinite(timeout)) 2^53 else min(round(timeout * 1000), 2^53)
  res <- .Call(C_batch_wait, .client_ptr(cl), id, ms, progress)
  if (!is.null(res$condition))
    stop(res$condition)
  if (res$status == 0L)
    return(.new_batch_job(res$job))
  # A job that ended badly or is still running: the condition carries its details.
  final <- c("CARTO_ERR_BATCH_JOB_FAILED", "CARTO_ERR_BATCH_JOB_CANCELLED",
             "CARTO_ERR_WAIT_TIMEOUT")
  current <- NULL
  if (res$status %in% unlist(.carto_status[final]))
    current <- tryCatch(carto_batch_status(id, client = cl), error = function(e) NULL)
  .carto_abort(res$status, res$message, job = current)
}

# Calls a carto_batch_wait progress function from the library's callback: TRUE to go on,
# FALSE to stop, or the R error it raised (re-raised once the wait has returned).
.carto_wait_progress <- function(progress, id, status, polls) {
  tryCatch(!isFALSE(progress(list(id = id, status = status, polls = polls))),
           error = function(e) e)
}

#' @export
print.carto_batch_job <- function(x, ...) {
  cat(sprintf("<carto_batch_job %s: %s>\n", x$id, x$status))
  if (!is.na(x$failed_reason))
    cat("  failed: ", x$failed_reason, "\n", sep = "")
  print(x$queries[, c("status", "query")], row.names = FALSE)
  invisible(x)
}

# ---- API keys ---------------------------------------------------------------------------

.new_api_key <- function(x) {
  structure(
    list(name = x$name, type = x$type, apis = x$apis, services = x$services,
         tables = data.frame(schema = x$tables$schema, table = x$tables$table,
                             permissions = x$tables$permissions, stringsAsFactors = FALSE),
         schemas = data.frame(schema = x$schemas$schema, permissions = x$schemas$permissions,
                              stringsAsFactors = FALSE),
         created_at = x$created_at, updated_at = x$updated_at),
    class = "carto_api_key"
  )
}

#' CARTO API keys (Auth API)
#'
#' `carto_api_keys()` lists every key the client's key may see, over all pages (with the
#' master key every key of the account; with another key only itself). `carto_api_key()` reads
#' one key by name. `carto_api_key_create()`, `carto_api_key_regenerate()` and
#' `carto_api_key_delete()` need the master key (another valid key gets a
#' `carto_error_forbidden`). Only create and regenerate return a key's token.
#'
#' @param name The key's name.
#' @param apis APIs to grant: any of "sql", "maps", "do" (at least one).
#' @param tables `NULL`, or a data frame with columns `table`, `permissions` (e.g.
#'   "select,insert" or a list of character vectors) and optionally `schema`.
#' @param schemas `NULL`, or a data frame with columns `schema` and `permissions`.
#' @param services Data services to grant: "geocoding", "routing", "isolines",
#'   "observatory".
#' @param credentials,client As for [carto_sql()].
#' @return `carto_api_keys()`: a data frame with `name`, `type`, `apis`, `services` (comma
#'   separated), `tables` (number of table grants), `created_at`, `updated_at`.
#'   `carto_api_key()`: a `carto_api_key` (name, type, apis, services, tables and schemas as
#'   data frames, times). Create and regenerate: `list(key, token)`.
#' @export
carto_api_keys <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  keys <- .Call(C_api_keys_list, .client_ptr(cl))
  col <- function(f) vapply(keys, f, "")
  data.frame(
    name = col(function(k) k$name), type = col(function(k) k$type),
    apis = col(function(k) paste(k$apis, collapse = ",")),
    services = col(function(k) paste(k$services, collapse = ",")),
    tables = vapply(keys, function(k) length(k$tables$table), 0L),
    created_at = col(function(k) k$created_at), updated_at = col(function(k) k$updated_at),
    stringsAsFactors = FALSE
  )
}

#' @rdname carto_api_keys
#' @export
carto_api_key <- function(name, credentials = NULL, client = NULL) {
  .single_string(name, "name")
  cl <- .client_for(client, credentials)
  .new_api_key(.Call(C_api_key_get, .client_ptr(cl), name))
}

.grant_frame <- function(x, columns, arg) {
  if (is.null(x))
    return(rep(list(NULL), length(columns)))
  if (!is.data.frame(x) || !all(setdiff(columns, "schema") %in% names(x)))
    .abort_invalid_argument(sprintf("'%s' must be a data frame with columns %s", arg,
                                    paste(setdiff(columns, "schema"), collapse = ", ")))
  lapply(columns, function(column) {
    v <- x[[column]]
    if (is.null(v)) v <- rep("", nrow(x))
    if (is.list(v)) v <- vapply(v, paste, "", collapse = ",")
    as.character(v)
  })
}

#' @rdname carto_api_keys
#' @export
carto_api_key_create <- function(name, apis = c("sql", "maps"), tables = NULL, schemas = NULL,
                                 services = NULL, credentials = NULL, client = NULL) {
  .single_string(name, "name")
  if (!is.character(apis) || !length(apis) || anyNA(apis))
    .abort_invalid_argument("'apis' must name at least one API: \"sql\", \"maps\" or \"do\"")
  if (!is.null(services) && (!is.character(services) || anyNA(services)))
    .abort_invalid_argument("'services' must be a character vector or NULL")
  t <- .grant_frame(tables, c("schema", "table", "permissions"), "tables")
  s <- .grant_frame(schemas, c("schema", "permissions"), "schemas")
  cl <- .client_for(client, credentials)
  out <- .Call(C_api_key_create, .client_ptr(cl), name, apis, services, t, s)
  list(key = .new_api_key(out$key), token = out$token)
}

#' @rdname carto_api_keys
#' @export
carto_api_key_regenerate <- function(name, credentials = NULL, client = NULL) {
  .single_string(name, "name")
  cl <- .client_for(client, credentials)
  out <- .Call(C_api_key_regenerate, .client_ptr(cl), name)
  list(key = .new_api_key(out$key), token = out$token)
}

#' @rdname carto_api_keys
#' @export
carto_api_key_delete <- function(name, credentials = NULL, client = NULL) {
  .single_string(name, "name")
  cl <- .client_for(client, credentials)
  .Call(C_api_key_delete, .client_ptr(cl), name)
  invisible(NULL)
}

#' @export
print.carto_api_key <- function(x, ...) {
  cat(sprintf("<carto_api_key \"%s\" (%s)>\n  apis: %s\n", x$name, x$type,
              paste(x$apis, collapse = ", ")))
  if (length(x$services))
    cat("  services: ", paste(x$services, collapse = ", "), "\n", sep = "")
  if (nrow(x$tables))
    cat("  tables: ", paste0(x$tables$table, " (", x$tables$permissions, ")", collapse = ", "),
        "\n", sep = "")
  invisible(x)
}

# ---- Data Observatory -------------------------------------------------------------------

#' Data Observatory credentials
#'
#' The account's Data Observatory token and where its data lives (api/v4/do/token), as
#' CARTOframes' `get_gcloud_credentials()` and `is_instant_licensing_active()` read them. The
#' master key or a key granted the "do" API may ask.
#'
#' @param credentials,client As for [carto_sql()].
#' @return A `carto_do_credentials` list: `access_token` (a secret; printing hides it),
#'   `bq_public_project`, `gcp_execution_project`, `bq_project`, `bq_dataset`, `gcs_bucket`
#'   (`NA` when not sent) and `instant_licensing` (logical).
#' @export
carto_do_credentials <- function(credentials = NULL, client = NULL) {
  cl <- .client_for(client, credentials)
  structure(.Call(C_do_credentials, .client_ptr(cl)), class = "carto_do_credentials")
}

#' @export
print.carto_do_credentials <- function(x, ...) {
  cat("<carto_do_credentials>\n  access_token: <hidden>\n")
  for (f in c("bq_public_project", "gcp_execution_project", "bq_project", "bq_dataset",
              "gcs_bucket", "instant_licensing"))
    cat("  ", f, ": ", format(x[[f]]), "\n", sep = "")
  invisible(x)
}

#' @export
format.carto_do_credentials <- function(x, ...) "<carto_do_credentials>"
