//! Every raw pointer the C caller hands us is read or written here, and nowhere else: input
//! strings and byte buffers, out-parameters, strings we hand out and take back, and the C
//! callbacks (with their user data) that stream request and response bodies.

use super::status::{carto_status, FfiError};
use cartoauth_core::capi_support::Abort;
use cartoauth_core::client::{Progress, ProgressFn};
use std::ffi::{c_char, c_void, CStr, CString};
use std::io::{self, Read, Write};
use std::ptr::NonNull;

fn null_argument(name: &str) -> FfiError {
    FfiError::new(
        carto_status::CARTO_ERR_NULL_ARGUMENT,
        format!("argument '{name}' is NULL"),
    )
}

/// A required NUL-terminated UTF-8 string argument.
///
/// # Safety
/// `ptr` is NULL or points to a NUL-terminated string that stays valid during the call.
pub(crate) unsafe fn str_arg_required<'a>(
    ptr: *const c_char,
    name: &str,
) -> Result<&'a str, FfiError> {
    // SAFETY: forwarded caller contract; NULL is checked inside.
    unsafe { optional_str_arg(ptr, name) }?.ok_or_else(|| null_argument(name))
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

/// Hands `text` to the caller as an owned `char *` (interior NULs replaced), in memory of
/// its own ([`super::strings`]: never at an address handed out before, wiped when freed).
pub(crate) fn owned_string(text: &str) -> *mut c_char {
    // Tokens and keys pass through here: the copy is wiped too.
    let mut bytes = zeroize::Zeroizing::new(text.replace('\0', "\u{FFFD}").into_bytes());
    bytes.push(0);
    super::strings::hand_out(&bytes).cast::<c_char>()
}

/// Takes back a string from [`owned_string`]; anything else (NULL, foreign, already freed) is
/// ignored, and never read: only its address is compared. Returns whether it was freed.
pub(crate) fn free_owned_string(ptr: *mut c_char) -> bool {
    super::strings::take_back(ptr as usize)
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

/// A byte buffer argument; NULL is accepted only with length 0.
///
/// # Safety
/// `ptr` is NULL or points to `len` readable bytes that stay valid during the call.
pub(crate) unsafe fn bytes_arg<'a>(
    ptr: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], FfiError> {
    if ptr.is_null() {
        return if len == 0 {
            Ok(&[])
        } else {
            Err(null_argument(name))
        };
    }
    // SAFETY: non-NULL, `len` readable bytes per the caller's contract.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Writes response body bytes to the caller: `size_t write(user_data, data, len)` must return
/// `len` to continue.
pub type carto_write_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, data: *const u8, len: usize) -> usize>;

/// Supplies request body bytes: `int64_t read(user_data, buffer, capacity)` returns the number
/// of bytes written into `buffer` (at most `capacity`), 0 at the end, or a negative value on
/// failure.
pub type carto_read_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, buffer: *mut u8, capacity: usize) -> i64>;

/// Reports progress: bytes uploaded and downloaded so far, and the totals when known (-1
/// otherwise). Return 0 to continue, anything else to cancel the transfer.
pub type carto_progress_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut c_void,
        uploaded: u64,
        upload_total: i64,
        downloaded: u64,
        download_total: i64,
    ) -> i32,
>;

/// A C callback with its user data, both passed back unchanged.
#[derive(Clone, Copy)]
pub(crate) struct Callback<F> {
    pub function: F,
    pub user_data: *mut c_void,
}

// SAFETY: cartoauth calls the function only on the thread that called carto_client_send, and
// the caller's contract (documented on the setters) is that `user_data` may be used there. The
// handle that stores the pair may be moved between threads; the pair is inert data until then.
unsafe impl<F: Send> Send for Callback<F> {}
// SAFETY: as above; shared references never call the function concurrently by themselves.
unsafe impl<F: Sync> Sync for Callback<F> {}

impl Write for Callback<unsafe extern "C" fn(*mut c_void, *const u8, usize) -> usize> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        // SAFETY: the caller supplied a valid function for this signature; `data` is valid for
        // `data.len()` bytes during the call.
        let taken = unsafe { (self.function)(self.user_data, data.as_ptr(), data.len()) };
        if taken != data.len() {
            return Err(io::Error::other(Abort::WriteCallback(format!(
                "the write callback took {taken} of {} bytes",
                data.len()
            ))));
        }
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Read for Callback<unsafe extern "C" fn(*mut c_void, *mut u8, usize) -> i64> {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        // SAFETY: the caller supplied a valid function for this signature; `buffer` is valid
        // and writable for `buffer.len()` bytes during the call.
        let n = unsafe { (self.function)(self.user_data, buffer.as_mut_ptr(), buffer.len()) };
        match usize::try_from(n) {
            Ok(n) if n <= buffer.len() => Ok(n),
            Ok(n) => Err(io::Error::other(Abort::ReadCallback(format!(
                "the read callback claimed {n} bytes for a {}-byte buffer",
                buffer.len()
            )))),
            Err(_) => Err(io::Error::other(Abort::ReadCallback(format!(
                "the read callback returned {n}"
            )))),
        }
    }
}

type ProgressCFn = unsafe extern "C" fn(*mut c_void, u64, i64, u64, i64) -> i32;

impl Callback<ProgressCFn> {
    /// Tells the callback; false means it asked to cancel.
    fn report(&self, p: Progress) -> bool {
        let total = |t: Option<u64>| t.and_then(|t| i64::try_from(t).ok()).unwrap_or(-1);
        // SAFETY: the caller supplied a valid function for this signature.
        let verdict = unsafe {
            (self.function)(
                self.user_data,
                p.uploaded,
                total(p.upload_total),
                p.downloaded,
                total(p.download_total),
            )
        };
        verdict == 0
    }
}

/// The progress callback as the core's `ProgressFn`.
pub(crate) fn progress_fn(callback: Callback<ProgressCFn>) -> ProgressFn {
    Box::new(move |p: Progress| callback.report(p))
}

/// Copies `values` into the caller's array `dst` (room for `values.len()` elements); NULL is
/// accepted only when there is nothing to copy.
///
/// # Safety
/// `dst` is NULL or points to `values.len()` writable, properly aligned `T`s.
pub(crate) unsafe fn write_array<T: Copy>(
    dst: *mut T,
    values: &[T],
    name: &str,
) -> Result<(), FfiError> {
    if values.is_empty() {
        return Ok(());
    }
    if dst.is_null() {
        return Err(null_argument(name));
    }
    // SAFETY: `dst` has room for `values.len()` elements per the caller's contract; `values` is
    // owned by the library, so the regions cannot overlap.
    unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), dst, values.len()) };
    Ok(())
}

/// A borrowed C string, or NULL for `None`.
pub(crate) fn ptr_or_null(text: &Option<CString>) -> *const c_char {
    text.as_ref().map_or(std::ptr::null(), |t| t.as_ptr())
}

#[cfg(test)]
#[allow(clippy::undocumented_unsafe_blocks)] // local, valid pointers only
mod tests {
    use super::*;
    use std::ffi::CString;

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
    fn a_stale_pointer_never_names_a_live_string() {
        let mut stale = Vec::new();
        for i in 0..500 {
            let p = owned_string(&format!("string {i}"));
            assert_eq!(
                unsafe { CStr::from_ptr(p) }.to_str().unwrap(),
                format!("string {i}")
            );
            for old in &stale {
                assert_ne!(*old, p as usize, "address handed out twice");
            }
            assert!(free_owned_string(p));
            stale.push(p as usize);
            let live = owned_string("live");
            for old in &stale {
                assert!(!free_owned_string(*old as *mut c_char));
            }
            assert_eq!(unsafe { CStr::from_ptr(live) }.to_str().unwrap(), "live");
            assert!(free_owned_string(live));
            stale.push(live as usize);
        }
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
