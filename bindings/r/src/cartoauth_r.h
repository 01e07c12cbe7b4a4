/*
 * Shared declarations of the R glue over cartoauth.h.
 *
 * One C file per C "class" of the library (credentials.c, files.c, defaults.c, client.c,
 * request.c, response.c, result.c, reader.c), transfer.c (sending, with the callbacks) and common.c, which holds
 * what they all need: argument conversion, owned-string and handle wrapping, and raising
 * classed R conditions.
 *
 * Rules every glue function follows:
 * - convert and validate every R argument before calling the library, so that no R error
 *   (a longjmp) can happen while a library-owned resource is pending;
 * - call the library, then either hand the result to R (owned strings are copied and freed
 *   with carto_string_free, handles are wrapped in an external pointer with a finalizer) or
 *   raise with cr_check()/cr_raise(), which read carto_last_error() straight away;
 * - never print. The only R code that runs while a library call is running is the progress
 *   callback of transfer.c, under R_UnwindProtect: no R error, interrupt or other jump ever
 *   crosses the library's (Rust) frames.
 */
#ifndef CARTOAUTH_R_H
#define CARTOAUTH_R_H

#define R_NO_REMAP
#include <R.h>
#include <Rinternals.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cartoauth.h"

/* The ABI this package was written for; the header it is compiled against must agree, and
 * .onLoad compares it with the loaded library's carto_abi_version(). */
#define CR_ABI_VERSION 1
#if CARTO_ABI_VERSION != CR_ABI_VERSION
#error "cartoauth.h declares a different CARTO_ABI_VERSION than this R package was written for"
#endif

/* ---- conditions (common.c) ---- */

/* Raises the R condition for `status` with `message` (UTF-8). Never returns. */
void NORET cr_raise(int status, const char *message);
/* Raises for a failed library call, with the library's detailed message. Never returns. */
void NORET cr_raise_last(carto_status status);
/* Returns when status is CARTO_OK; otherwise raises like cr_raise_last. */
void cr_check(carto_status status);
/* printf-style binding-side error (invalid argument, closed handle, ...). Never returns. */
void NORET cr_raisef(int status, const char *format, ...);

/* ---- arguments (common.c) ---- */

/* A single string as UTF-8 for the library; NULL for R NULL when `optional`. NA, a length
 * other than 1 or a non-character value is a carto_error_invalid_argument naming `name`. */
const char *cr_string_arg(SEXP x, const char *name, bool optional);
/* A single TRUE/FALSE. */
bool cr_flag_arg(SEXP x, const char *name);

/* ---- results (common.c) ---- */

/* A length-one character vector holding a borrowed UTF-8 string; R NULL for a NULL string. */
SEXP cr_string_or_null(const char *borrowed);
/* Copies a library-owned string into R and frees it with carto_string_free, also when R
 * fails to allocate (the copy runs under R_UnwindProtect). NULL gives R NULL. */
SEXP cr_take_string(char *owned);

/* ---- handles (common.c) ---- */

typedef void (*cr_free_fn)(void *handle);

/* Wraps a library handle in an external pointer tagged `tag`, with `finalizer` registered
 * (also run at R exit). If R cannot allocate, the handle is released with `free_fn` before
 * the error propagates, so it never leaks. */
SEXP cr_wrap_handle(void *handle, SEXP tag, R_CFinalizer_t finalizer, cr_free_fn free_fn);
/* The body of every finalizer: clears the pointer, then frees the handle, so a second call
 * (explicit carto_free() then the garbage collector) does nothing. */
void cr_finalize_with(SEXP ptr, cr_free_fn free_fn);
/* Whether `x` is an external pointer carrying `tag`. */
bool cr_is_handle(SEXP x, SEXP tag);
/* The live handle inside `x`; a carto_error_invalid_handle when it was freed or restored
 * from a saved session (its address is then NULL), carto_error_invalid_argument when x is
 * not a `what` at all. */
void *cr_handle(SEXP x, SEXP tag, const char *what);

/* Tags (symbols) identifying each kind of external pointer. */
SEXP cr_tag_credentials(void);
SEXP cr_tag_client(void);
SEXP cr_tag_request(void);
SEXP cr_tag_response(void);

/* Element `i` of a character vector as UTF-8 (NA refused), for vector arguments. */
const char *cr_string_elt(SEXP x, R_xlen_t i, const char *name);
/* A non-negative whole number (integer or double, at most 2^53) as uint64. */
uint64_t cr_uint64_arg(SEXP x, const char *name);
/* A single non-NA integer (integer, or a whole double). */
int cr_int_arg(SEXP x, const char *name);

/* ---- credentials.c ---- */

/* The live credentials handle inside an external pointer (see cr_handle). */
carto_credentials *cr_credentials(SEXP x);
/* A credentials handle, or NULL for R NULL. */
carto_credentials *cr_credentials_or_null(SEXP x);
/* Hands a new credentials handle to R (the external pointer now owns it). */
SEXP cr_wrap_credentials(carto_credentials *c);

/* ---- client.c, request.c, response.c ---- */

carto_client *cr_client(SEXP x);
carto_request *cr_request(SEXP x);
/* Frees the request inside `x` now and clears the pointer (idempotent). */
void cr_request_release(SEXP x);
/* Hands a new response handle to R (the external pointer now owns it). */
SEXP cr_wrap_response(carto_response *r);

/* ---- result.c, reader.c ---- */

/* Hands a result (a whole answer or a reader's chunk) to an external pointer that owns it. */
SEXP cr_wrap_result(carto_result *r);
/* Frees the result inside `handle` now (idempotent). */
void cr_result_release(SEXP handle);
/* list(columns = named list, kinds, pgtypes, srids (NA when none), total_rows, time,
 * notices (character, "severity: message"), rows, types (CARTO's)) of `r`, which stays
 * owned by the caller. int64: int8 as bit64::integer64. */
SEXP cr_result_list(carto_result *r, bool int64);
carto_result_reader *cr_reader(SEXP x);
/* Hands a new reader to R (the external pointer now owns it). */
SEXP cr_wrap_reader(carto_result_reader *r);

/* ---- .Call entry points: generated from their definitions, registered in init.c ---- */

#include "routines.h"

#endif
