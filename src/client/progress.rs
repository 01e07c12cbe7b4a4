//! The progress of one request and the caller's progress callback, shared by the code that
//! moves bytes (transport.rs) and the code that waits for the server (wait.rs).

use super::failure::Abort;
use super::options::InterruptHook;
use super::request::{Progress, ProgressFn};
use std::cell::RefCell;
use std::rc::Rc;

/// Progress state, the request's callback and the client's interrupt hook. Cheap to clone
/// (one shared state); it never leaves the calling thread, so both only ever run there.
#[derive(Clone)]
pub(crate) struct Meter(Rc<RefCell<Metered>>);

struct Metered {
    callback: Option<ProgressFn>,
    interrupt: Option<InterruptHook>,
    state: Progress,
}

impl Meter {
    pub(crate) fn new(callback: Option<ProgressFn>, interrupt: Option<InterruptHook>) -> Self {
        Meter(Rc::new(RefCell::new(Metered {
            callback,
            interrupt,
            state: Progress::default(),
        })))
    }

    /// Takes the progress callback back (a reader lends it to each of its calls).
    pub(crate) fn take_callback(&self) -> Option<ProgressFn> {
        self.0.borrow_mut().callback.take()
    }

    /// Starts counting a new attempt of the request.
    pub(crate) fn restart(&self, upload_total: Option<u64>) {
        self.0.borrow_mut().state = Progress {
            upload_total,
            ..Progress::default()
        };
    }

    pub(crate) fn update(&self, change: impl FnOnce(&mut Progress)) {
        change(&mut self.0.borrow_mut().state);
    }

    pub(crate) fn state(&self) -> Progress {
        self.0.borrow().state
    }

    /// Asks the interrupt hook, then tells the callback; an error means stop. The callback is
    /// taken out while it runs, so a callback that sends another request from this thread
    /// finds nothing of ours borrowed.
    pub(crate) fn report(&self) -> Result<(), Abort> {
        let (callback, interrupt, state) = {
            let mut metered = self.0.borrow_mut();
            (
                metered.callback.take(),
                metered.interrupt.clone(),
                metered.state,
            )
        };
        if interrupt.is_some_and(|hook| hook.interrupted()) {
            self.0.borrow_mut().callback = callback;
            return Err(Abort::Interrupted);
        }
        let Some(mut callback) = callback else {
            return Ok(());
        };
        let go_on = callback(state);
        self.0.borrow_mut().callback = Some(callback);
        if go_on {
            Ok(())
        } else {
            Err(Abort::Cancelled)
        }
    }
}
