//! The nine exports that take strings next to a handle read them inside the panic boundary:
//! each one answers a NULL, invalid UTF-8 or a stale handle with a status (and a message),
//! never a crash, and leaves the handle usable. (Panics inside the boundary: the unit tests of
//! boundary.rs, request.rs and client.rs.) Formerly the integration test ffi_boundary.rs: this
//! crate has no rlib, so its Rust-level tests are unit tests.

use std::ffi::{c_char, CStr};
use std::ptr;

use crate::carto_status::{self, *};
use crate::client::*;
use crate::library::carto_last_error;
use crate::request::*;

const BAD_UTF8: &[u8] = b"\xff\xfe\0";
const OK_TEXT: &CStr = c"x";

fn bad() -> *const c_char {
    BAD_UTF8.as_ptr().cast()
}

fn last_error() -> String {
    unsafe { CStr::from_ptr(carto_last_error()) }
        .to_string_lossy()
        .into_owned()
}

/// Calls `f` with NULL, invalid UTF-8 and a valid string as its string argument.
fn each_bad_string(
    name: &str,
    f: impl Fn(*const c_char) -> carto_status,
    null_status: carto_status,
) {
    assert_eq!(
        f(ptr::null()),
        null_status,
        "{name}(NULL): {}",
        last_error()
    );
    assert_eq!(f(bad()), CARTO_ERR_INVALID_UTF8, "{name}(bad UTF-8)");
    assert!(last_error().contains("UTF-8"), "{name}: {}", last_error());
    assert_eq!(
        f(OK_TEXT.as_ptr()),
        CARTO_OK,
        "{name}(\"x\"): {}",
        last_error()
    );
}

fn new_request() -> *mut carto_request {
    let mut request = ptr::null_mut();
    let status = unsafe { carto_request_new(c"POST".as_ptr(), c"api/v3/x".as_ptr(), &mut request) };
    assert_eq!(status, CARTO_OK);
    request
}

type Pair = unsafe extern "C" fn(*mut carto_request, *const c_char, *const c_char) -> carto_status;

#[test]
fn request_setters_answer_bad_strings_with_a_status() {
    let request = new_request();
    let pairs: [(&str, Pair); 4] = [
        ("carto_request_add_query", carto_request_add_query),
        ("carto_request_add_param", carto_request_add_param),
        ("carto_request_add_header", carto_request_add_header),
        ("carto_request_add_form_field", carto_request_add_form_field),
    ];
    for (name, f) in pairs {
        each_bad_string(
            name,
            |s| unsafe { f(request, s, OK_TEXT.as_ptr()) },
            CARTO_ERR_NULL_ARGUMENT,
        );
        each_bad_string(
            name,
            |s| unsafe { f(request, OK_TEXT.as_ptr(), s) },
            CARTO_ERR_NULL_ARGUMENT,
        );
    }
    each_bad_string(
        "carto_request_set_json_body",
        |s| unsafe {
            carto_request_set_json_body(
                request,
                if s == OK_TEXT.as_ptr() {
                    c"{}".as_ptr()
                } else {
                    s
                },
            )
        },
        CARTO_ERR_NULL_ARGUMENT,
    );
    // content_type is optional: NULL is fine, bad UTF-8 is not.
    each_bad_string(
        "carto_request_set_body",
        |s| unsafe { carto_request_set_body(request, b"1".as_ptr(), 1, s) },
        CARTO_OK,
    );
    assert_eq!(
        unsafe { carto_request_set_body(request, ptr::null(), 3, ptr::null()) },
        CARTO_ERR_NULL_ARGUMENT
    );
    unsafe extern "C" fn read(_: *mut std::ffi::c_void, _: *mut u8, _: usize) -> i64 {
        0
    }
    each_bad_string(
        "carto_request_set_body_reader",
        |s| unsafe { carto_request_set_body_reader(request, Some(read), ptr::null_mut(), -1, s) },
        CARTO_OK,
    );
    carto_request_free(request);
}

#[test]
fn request_setters_check_the_handle_before_the_strings() {
    let request = new_request();
    carto_request_free(request);
    let status = unsafe { carto_request_add_header(request, ptr::null(), bad()) };
    assert_eq!(status, CARTO_ERR_INVALID_HANDLE);
    let status = unsafe { carto_request_set_json_body(request, bad()) };
    assert_eq!(status, CARTO_ERR_INVALID_HANDLE);
    let status = unsafe { carto_request_set_body(request, ptr::null(), 5, bad()) };
    assert_eq!(status, CARTO_ERR_INVALID_HANDLE);
    // A pointer that was never a handle.
    let foreign = 0x1234usize as *mut carto_request;
    let status = unsafe { carto_request_add_query(foreign, bad(), bad()) };
    assert_eq!(status, CARTO_ERR_INVALID_HANDLE);
}

#[test]
fn options_setters_answer_bad_strings_with_a_status() {
    let mut options = ptr::null_mut();
    assert_eq!(unsafe { carto_client_options_new(&mut options) }, CARTO_OK);
    let status = unsafe { carto_client_options_set_trust(options, 2, bad()) };
    assert_eq!(status, CARTO_ERR_INVALID_UTF8);
    let status = unsafe { carto_client_options_set_trust(options, 2, ptr::null()) };
    assert_eq!(status, CARTO_ERR_INVALID_ARGUMENT, "{}", last_error());
    assert_eq!(
        unsafe { carto_client_options_set_trust(options, 0, ptr::null()) },
        CARTO_OK
    );
    let status = unsafe { carto_client_options_set_user_agent_suffix(options, bad()) };
    assert_eq!(status, CARTO_ERR_INVALID_UTF8);
    assert_eq!(
        unsafe { carto_client_options_set_user_agent_suffix(options, ptr::null()) },
        CARTO_OK
    );
    carto_client_options_free(options);
    let status = unsafe { carto_client_options_set_user_agent_suffix(options, bad()) };
    assert_eq!(status, CARTO_ERR_INVALID_HANDLE);
    let status = unsafe { carto_client_options_set_trust(options, 2, bad()) };
    assert_eq!(status, CARTO_ERR_INVALID_HANDLE);
}
