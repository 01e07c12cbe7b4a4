//! Every raw pointer the C caller hands us is read or written here, and nowhere else: input
//! strings and byte buffers, out-parameters, and strings we hand out and take back.

use super::status::{carto_status, FfiError};
use std::collections::HashSet;
use std::ffi::{c_char, CStr, CString};
use std::ptr::NonNull;
use std::sync::{LazyLock, Mutex, PoisonError};

fn null_argument(name: &str) -> FfiError {
    FfiError::new(
        carto_status::CARTO_ERR_NULL_ARGUMENT,
        format!("argument '{name}' is NULL"),
    )
}

/// An optional string argument: NULL gives `None`.
///
/// # Safety
/// As [`str_arg`].
pub(crate) unsafe fn optional_str_arg<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<Option<&'a str>, FfiError> {
    if ptr.is_null() {
        return Ok(None);
    }
    // SAFETY: non-NULL and NUL-terminated per the caller's contract.
    let bytes = unsafe { CStr::from_ptr(ptr) };
    bytes.to_str().map(Some).map_err(|e| {
        FfiError::new(
            carto_status::CARTO_ERR_INVALID_UTF8,
            format!(
                "argument '{name}' is not valid UTF-8 (invalid byte at offset {})",
                e.valid_up_to()
            ),
        )
    })
}

/// An out-parameter that was checked to be non-NULL before any work is done.
pub(crate) struct Out<T>(NonNull<T>);

/// Checks an out-parameter. Call before doing anything with side effects.
pub(crate) fn out<T>(ptr: *mut T, name: &str) -> Result<Out<T>, FfiError> {
    NonNull::new(ptr)
        .map(Out)
        .ok_or_else(|| null_argument(name))
}

/// An optional out-parameter: NULL means the caller does not want the value.
pub(crate) fn optional_out<T>(ptr: *mut T) -> Option<Out<T>> {
    NonNull::new(ptr).map(Out)
}

impl<T> Out<T> {
    /// Stores the result. Only called on success.
    pub(crate) fn write(self, value: T) {
        // SAFETY: non-NULL (checked in `out`) and, per every function's contract, pointing to
        // writable memory for a `T`. `write` does not read or drop the old value.
        unsafe { self.0.as_ptr().write(value) }
    }
}

/// Strings handed out to the caller, so `carto_string_free` can refuse anything else.
static OWNED_STRINGS: LazyLock<Mutex<HashSet<usize>>> = LazyLock::new(Default::default);

/// Hands `text` to the caller as an owned `char *` (interior NULs replaced).
pub(crate) fn owned_string(text: &str) -> *mut c_char {
    let text = CString::new(text.replace('\0', "\u{FFFD}")).unwrap_or_default();
    let ptr = text.into_raw();
    OWNED_STRINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .insert(ptr as usize);
    ptr
}

/// Takes back a string from [`owned_string`]; anything else (NULL, foreign, already freed) is
/// ignored. Returns whether it was freed.
pub(crate) fn free_owned_string(ptr: *mut c_char) -> bool {
    let known = OWNED_STRINGS
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(&(ptr as usize));
    if known {
        // SAFETY: `ptr` came from `CString::into_raw` in `owned_string` and was not freed
        // before (it was still in the set, and removal happened under the lock).
        drop(unsafe { CString::from_raw(ptr) });
    }
    known
}

/// Copies `text` into the caller's buffer `dst` of `capacity` bytes, truncating and always
/// NUL-terminating when `capacity > 0`. Returns the full length of `text` (like `snprintf`).
///
/// # Safety
/// `dst` is NULL (with any capacity, nothing is written) or points to `capacity` writable bytes.
pub(crate) unsafe fn copy_to_buffer(text: &[u8], dst: *mut c_char, capacity: usize) -> usize {
    if !dst.is_null() && capacity > 0 {
        let n = text.len().min(capacity - 1);
        // SAFETY: `dst` has `capacity` writable bytes and `n + 1 <= capacity`; the regions
        // cannot overlap because `text` is owned by the library.
        unsafe {
            std::ptr::copy_nonoverlapping(text.as_ptr(), dst.cast::<u8>(), n);
            dst.add(n).write(0);
        }
    }
    text.len()
}

#[cfg(test)]
#[allow(clippy::undocumented_unsafe_blocks)] // local, valid pointers only
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_is_an_error_naming_the_argument() {
        let ok = CString::new("héllo").unwrap();
        assert_eq!(
            unsafe { optional_str_arg(ok.as_ptr(), "s") }.unwrap(),
            Some("héllo")
        );
        let bad = CString::new(vec![b'a', 0xff]).unwrap();
        let err = unsafe { optional_str_arg(bad.as_ptr(), "api_key") }.unwrap_err();
        assert_eq!(err.status, carto_status::CARTO_ERR_INVALID_UTF8);
        assert!(err.message.contains("api_key") && err.message.contains("offset 1"));
        assert_eq!(
            unsafe { optional_str_arg(std::ptr::null(), "x") }.unwrap(),
            None
        );
    }

    #[test]
    fn owned_strings_are_freed_once_and_foreign_pointers_ignored() {
        let p = owned_string("abc");
        assert!(free_owned_string(p));
        assert!(!free_owned_string(p));
        assert!(!free_owned_string(std::ptr::null_mut()));
        let foreign = CString::new("x").unwrap();
        assert!(!free_owned_string(foreign.as_ptr() as *mut c_char));
    }

    #[test]
    fn buffers_are_truncated_and_terminated() {
        let mut buf = [0x55 as c_char; 4];
        assert_eq!(unsafe { copy_to_buffer(b"hello", buf.as_mut_ptr(), 4) }, 5);
        assert_eq!(unsafe { CStr::from_ptr(buf.as_ptr()) }.to_bytes(), b"hel");
        assert_eq!(
            unsafe { copy_to_buffer(b"hello", std::ptr::null_mut(), 0) },
            5
        );
    }
}
