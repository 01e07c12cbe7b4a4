//! The panic boundary and the thread-local last error.
//!
//! Every exported function runs its body through [`ffi_call!`] (or [`call_void`] for `_free`
//! functions, [`call_value`] for those that return a value): a panic is caught and becomes
//! `CARTO_ERR_PANIC`, nothing unwinds into C, and the
//! panic hook prints nothing while a cartoauth call is running (the library never writes to
//! stdout or stderr; panics elsewhere in the process still reach the previous hook).
//!
//! Failures record their message in a thread-local slot read by `carto_last_error`. Only
//! failing calls write it; successful calls and `_free` functions leave it alone, so a garbage
//! collector finalizer (R, Julia) that frees a handle between a failing call and the read of
//! its message cannot clobber the message.

use super::status::{carto_status, FfiError};
use std::cell::{Cell, RefCell};
use std::ffi::CString;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    static LAST_ERROR: RefCell<(carto_status, CString)> =
        RefCell::new((carto_status::CARTO_OK, CString::default()));
    static INSIDE_CALL: Cell<u32> = const { Cell::new(0) };
    static PANIC_MESSAGE: RefCell<Option<String>> = const { RefCell::new(None) };
}

static HOOK: Once = Once::new();

/// Replaces the panic hook once: silent inside cartoauth calls (the message is kept for the
/// last error), the previous hook everywhere else.
fn install_quiet_panic_hook() {
    HOOK.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if INSIDE_CALL.with(Cell::get) > 0 {
                let location = info
                    .location()
                    .map(|l| format!(" at {}:{}", l.file(), l.line()))
                    .unwrap_or_default();
                let payload = info
                    .payload()
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| info.payload().downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                PANIC_MESSAGE.with(|m| *m.borrow_mut() = Some(format!("{payload}{location}")));
            } else {
                previous(info);
            }
        }));
    });
}

fn guarded<T>(body: impl FnOnce() -> T) -> std::thread::Result<T> {
    install_quiet_panic_hook();
    INSIDE_CALL.with(|c| c.set(c.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(body));
    INSIDE_CALL.with(|c| c.set(c.get() - 1));
    result
}

/// The name of the function this expands in (`carto_credentials_new`), for messages. The
/// compiler derives it, so it can never disagree with the export it names.
macro_rules! function_name {
    () => {{
        fn here() {}
        // "cartoauth::credentials::carto_credentials_new::here"
        let path = std::any::type_name_of_val(&here);
        let path = path.strip_suffix("::here").unwrap_or(path);
        path.rsplit("::").next().unwrap_or(path)
    }};
}
pub(crate) use function_name;

/// The body of an exported function that returns a `carto_status`: `ffi_call!(|| { ... })`
/// runs the closure through [`call`], under the function's own name.
macro_rules! ffi_call {
    ($body:expr) => {
        $crate::boundary::call($crate::boundary::function_name!(), $body)
    };
}
pub(crate) use ffi_call;

/// Runs the body of the exported function `name`, turning errors and panics into a status.
/// Exports call it through [`ffi_call!`], which supplies the name.
pub(crate) fn call(name: &str, body: impl FnOnce() -> Result<(), FfiError>) -> carto_status {
    match guarded(body) {
        Ok(Ok(())) => carto_status::CARTO_OK,
        Ok(Err(error)) => {
            set_last_error(error.status, &error.message);
            error.status
        }
        Err(_) => {
            let detail = PANIC_MESSAGE
                .with(|m| m.borrow_mut().take())
                .unwrap_or_default();
            set_last_error(
                carto_status::CARTO_ERR_PANIC,
                &format!("internal error in {name} ({detail}); please report this bug"),
            );
            carto_status::CARTO_ERR_PANIC
        }
    }
}

/// Runs a body that cannot report failure (`_free` functions). Panics are swallowed and the
/// last error is left untouched.
pub(crate) fn call_void(body: impl FnOnce()) {
    let _ = guarded(body);
    PANIC_MESSAGE.with(|m| m.borrow_mut().take());
}

/// Runs a body that returns a value without a status (static strings, counters). A panic
/// gives `fallback`.
pub(crate) fn call_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    let result = guarded(body).unwrap_or(fallback);
    PANIC_MESSAGE.with(|m| m.borrow_mut().take());
    result
}

/// Records a failure for `carto_last_error`. Interior NULs cannot reach C: they are replaced.
pub(crate) fn set_last_error(status: carto_status, message: &str) {
    let message = cartoauth_core::capi_support::redact_message(message).replace('\0', "\u{FFFD}");
    let message = CString::new(message).unwrap_or_default();
    LAST_ERROR.with(|slot| *slot.borrow_mut() = (status, message));
}

/// Calls `f` with the last error of this thread.
pub(crate) fn with_last_error<T>(f: impl FnOnce(carto_status, &CString) -> T) -> T {
    LAST_ERROR.with(|slot| {
        let slot = slot.borrow();
        f(slot.0, &slot.1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_set_the_last_error_and_success_leaves_it() {
        let status = call("t", || {
            Err(FfiError::new(carto_status::CARTO_ERR_IO, "disk on fire"))
        });
        assert_eq!(status, carto_status::CARTO_ERR_IO);
        assert_eq!(call("t", || Ok(())), carto_status::CARTO_OK);
        with_last_error(|s, m| {
            assert_eq!(s, carto_status::CARTO_ERR_IO);
            assert_eq!(m.to_str().unwrap(), "disk on fire");
        });
    }

    /// Stands for an export: ffi_call! names it in the panic message.
    fn carto_test() -> carto_status {
        ffi_call!(|| panic!("boom {}", 42))
    }

    #[test]
    fn panics_become_a_status_with_their_message() {
        let status = carto_test();
        assert_eq!(status, carto_status::CARTO_ERR_PANIC);
        with_last_error(|_, m| {
            let m = m.to_str().unwrap();
            assert!(m.contains("in carto_test (boom 42"), "{m}");
        });
        assert_eq!(call_value(7, || panic!("x")), 7);
        call_void(|| panic!("ignored"));
    }

    #[test]
    fn keys_in_urls_are_redacted_and_nuls_replaced() {
        call("t", || {
            Err(FfiError::new(
                carto_status::CARTO_ERR_CONNECTION,
                "GET http://h/api?q=1&api_key=s3cr3t failed\0",
            ))
        });
        with_last_error(|_, m| {
            let m = m.to_str().unwrap();
            assert!(!m.contains("s3cr3t"), "{m}");
            assert!(m.contains("api_key=REDACTED"), "{m}");
        });
    }
}
