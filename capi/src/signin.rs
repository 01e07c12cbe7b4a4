//! `carto_signin`: a CARTO 3 user's browser sign-in (PKCE) in steps a GUI or a session drives.

use super::boundary::{call_void, ffi_call};
use super::client::{self, carto_client};
use super::handles::{self, opaque_handle};
use super::raw::{self, str_arg_required, Callback};
use super::status::{carto_status, FfiError};
use super::to_cstring;
use cartoauth_core::env::ProcessEnvironment;
use cartoauth_core::signin::{recommended_flow, Flow, Redirect, SignIn, DEFAULT_LOOPBACK_TIMEOUT};
use std::ffi::{c_char, c_void, CString};
use std::time::Duration;

/// The flow that suits this machine: paste where no browser can reach it, else browser.
pub const CARTO_SIGNIN_AUTO: i32 = 0;
/// The browser is sent back to a listener on 127.0.0.1 (carto_signin_wait).
pub const CARTO_SIGNIN_BROWSER: i32 = 1;
/// The user pastes the address the browser ends on, or the code (carto_signin_finish_pasted).
pub const CARTO_SIGNIN_PASTE: i32 = 2;

opaque_handle! {
    /// Opaque sign-in in progress (carto_signin_begin); freed with carto_signin_free. Holds the
    /// PKCE verifier, which never leaves it. Any thread may use it; it finishes once.
    carto_signin => SignInHandle
}

struct SignInHandle {
    signin: SignIn,
    authorize_url: CString,
    state: CString,
}

/// Starts signing in the user of `client`'s credentials (carto_credentials_new_oauth_user):
/// makes the PKCE verifier and the state, and with the browser flow binds the loopback
/// listener (CARTO's public client: http://localhost:10000/callback/; others a free port),
/// so the authorize URL (carto_signin_authorize_url) can be opened at once.
///
/// - `flow`: CARTO_SIGNIN_AUTO, CARTO_SIGNIN_BROWSER or CARTO_SIGNIN_PASTE.
/// - `out`: receives a new sign-in owned by the caller (carto_signin_free).
///
/// Errors: CARTO_ERR_INVALID_ARGUMENT (not user sign-in credentials, an unknown flow),
/// CARTO_ERR_IO (the listener's port is taken: use the paste flow),
/// CARTO_ERR_INVALID_ENVIRONMENT (CARTO_SIGNIN_FLOW), CARTO_ERR_NULL_ARGUMENT,
/// CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_signin_begin(
    client: *const carto_client,
    flow: i32,
    out: *mut *mut carto_signin,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        let client = client::get(client)?;
        let flow = match flow {
            CARTO_SIGNIN_AUTO => recommended_flow(&ProcessEnvironment)?.0,
            CARTO_SIGNIN_BROWSER => Flow::Browser,
            CARTO_SIGNIN_PASTE => Flow::Paste,
            other => {
                return Err(FfiError::new(
                    carto_status::CARTO_ERR_INVALID_ARGUMENT,
                    format!("sign-in flow {other} is not a CARTO_SIGNIN_* value"),
                ))
            }
        };
        let credentials = client.credentials();
        let server = credentials
            .auth_server()
            .map(|s| s.url.clone())
            .unwrap_or_default();
        let redirect =
            Redirect::default_for(flow, credentials.client_id().unwrap_or_default(), &server);
        let signin = SignIn::begin(&client, redirect)?;
        out.write(handles::register(SignInHandle {
            authorize_url: to_cstring(signin.authorize_url()),
            state: to_cstring(signin.state()),
            signin,
        }));
        Ok(())
    })
}

fn get(signin: *const carto_signin) -> Result<std::sync::Arc<SignInHandle>, FfiError> {
    handles::get::<SignInHandle>(signin, "signin")
}

/// The URL to open in a browser (it holds no secret), borrowed from the handle until it is
/// freed.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_signin_authorize_url(
    signin: *const carto_signin,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(signin)?.authorize_url.as_ptr());
        Ok(())
    })
}

/// The `state` this sign-in expects back, borrowed from the handle until it is freed.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_signin_state(
    signin: *const carto_signin,
    out: *mut *const c_char,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(get(signin)?.state.as_ptr());
        Ok(())
    })
}

/// The flow chosen (`*out`): CARTO_SIGNIN_BROWSER or CARTO_SIGNIN_PASTE.
///
/// Errors: CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread.
/// Ownership: nothing is handed out.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_signin_flow(
    signin: *const carto_signin,
    out: *mut i32,
) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(match get(signin)?.signin.flow() {
            Flow::Browser => CARTO_SIGNIN_BROWSER,
            Flow::Paste => CARTO_SIGNIN_PASTE,
        });
        Ok(())
    })
}

/// Called about every 50 ms while carto_signin_wait waits; return 0 to keep waiting, anything
/// else to stop (CARTO_ERR_CANCELLED). R and Julia check for interrupts here.
pub type carto_signin_wait_fn = Option<unsafe extern "C" fn(user_data: *mut c_void) -> i32>;

type KeepWaitingCFn = unsafe extern "C" fn(*mut c_void) -> i32;

/// Browser flow: waits for the browser's redirect on the loopback listener, at most
/// `timeout_ms` (0: 5 minutes), then checks the state (a mismatch is refused), exchanges the
/// code and caches the token for every client with these credentials.
///
/// - `callback`: NULL, or called on this thread about every 50 ms; non-zero stops the wait.
/// - `expires_at_out`: NULL, or receives the token's expiry (seconds since the epoch).
///
/// Errors: CARTO_ERR_SIGNIN_FAILED (state mismatch, refusal, reused code),
/// CARTO_ERR_TIMEOUT, CARTO_ERR_CANCELLED, CARTO_ERR_INVALID_ARGUMENT (a paste-flow sign-in),
/// the token endpoint's errors, CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread
/// safety: any thread; `user_data` is used only on this thread, during this call. Ownership:
/// nothing is handed out.
///
/// # Safety
/// `expires_at_out` is NULL or writable; `callback`, when not NULL, may be called with
/// `user_data` on this thread until the call returns.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_signin_wait(
    signin: *const carto_signin,
    timeout_ms: u64,
    callback: carto_signin_wait_fn,
    user_data: *mut c_void,
    expires_at_out: *mut i64,
) -> carto_status {
    ffi_call!(|| {
        let expires_out = raw::optional_out(expires_at_out);
        let handle = get(signin)?;
        let timeout = if timeout_ms == 0 {
            DEFAULT_LOOPBACK_TIMEOUT
        } else {
            Duration::from_millis(timeout_ms)
        };
        let callback = callback.map(|function| Callback::<KeepWaitingCFn> {
            function,
            user_data,
        });
        let mut keep_waiting = || match &callback {
            // SAFETY: the caller supplied a valid function and a user_data it may use on this
            // thread (the contract above).
            Some(cb) => unsafe { (cb.function)(cb.user_data) == 0 },
            None => true,
        };
        let token = handle.signin.wait_loopback(timeout, &mut keep_waiting)?;
        if let Some(out) = expires_out {
            out.write(token.expires_at.unwrap_or(-1));
        }
        Ok(())
    })
}

/// Paste flow (or a browser flow finished by hand): takes what the user pasted, the whole
/// address the browser ended on (its state is checked) or the bare code, exchanges the code
/// and caches the token.
///
/// - `pasted`: the text, UTF-8; surrounding blanks are ignored.
/// - `expires_at_out`: NULL, or receives the token's expiry (seconds since the epoch).
///
/// Errors: CARTO_ERR_SIGNIN_FAILED, the token endpoint's errors, CARTO_ERR_INVALID_UTF8,
/// CARTO_ERR_NULL_ARGUMENT, CARTO_ERR_INVALID_HANDLE. Thread safety: any thread. Ownership:
/// nothing is handed out; `pasted` is not kept.
///
/// # Safety
/// `pasted` is NULL or NUL-terminated; `expires_at_out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_signin_finish_pasted(
    signin: *const carto_signin,
    pasted: *const c_char,
    expires_at_out: *mut i64,
) -> carto_status {
    ffi_call!(|| {
        let expires_out = raw::optional_out(expires_at_out);
        // SAFETY: forwarded caller contract.
        let text = unsafe { str_arg_required(pasted, "pasted") }?;
        let token = get(signin)?.signin.finish_pasted(text)?;
        if let Some(out) = expires_out {
            out.write(token.expires_at.unwrap_or(-1));
        }
        Ok(())
    })
}

/// Frees a sign-in (and closes its listener); NULL and freed handles are ignored.
///
/// Ownership: releases the caller's handle. Never fails; does not change the last error.
/// Thread safety: any thread, once.
#[no_mangle]
pub extern "C" fn carto_signin_free(signin: *mut carto_signin) {
    call_void(|| {
        handles::release::<SignInHandle>(signin);
    });
}

/// The sign-in flow that suits this machine (`*out`: CARTO_SIGNIN_BROWSER or
/// CARTO_SIGNIN_PASTE): paste in SSH sessions, CI jobs, without a display, in hosted R
/// sessions, Colab and Databricks; CARTO_SIGNIN_FLOW=browser|paste overrides it.
///
/// Errors: CARTO_ERR_INVALID_ENVIRONMENT (CARTO_SIGNIN_FLOW), CARTO_ERR_NULL_ARGUMENT. Thread
/// safety: any thread. Ownership: nothing is handed out.
///
/// # Safety
/// `out` is NULL or writable.
#[no_mangle]
#[must_use]
pub unsafe extern "C" fn carto_signin_recommended_flow(out: *mut i32) -> carto_status {
    ffi_call!(|| {
        let out = raw::out(out, "out")?;
        out.write(match recommended_flow(&ProcessEnvironment)?.0 {
            Flow::Browser => CARTO_SIGNIN_BROWSER,
            Flow::Paste => CARTO_SIGNIN_PASTE,
        });
        Ok(())
    })
}
