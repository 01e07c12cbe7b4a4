//! The progress of one request and the caller's progress callback, shared by the code that
//! moves bytes (transport.rs) and the code that waits for the server (wait.rs).

use super::request::{Progress, ProgressFn};
use std::cell::RefCell;
use std::rc::Rc;

/// Progress state and the callback. Cheap to clone (one shared state); it never leaves the
/// calling thread, so the callback only ever runs there.
#[derive(Clone)]
pub(crate) struct Meter(Rc<RefCell<Metered>>);

struct Metered {
    callback: Option<ProgressFn>,
    state: Progress,
}

impl Meter {
    pub(crate) fn new(callback: Option<ProgressFn>) -> Self {
        Meter(Rc::new(RefCell::new(Metered {
            callback,
            state: Progress::default(),
        })))
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

    /// Tells the callback; false means cancel. The callback is taken out while it runs, so a
    /// callback that sends another request from this thread finds nothing of ours borrowed.
    pub(crate) fn report(&self) -> bool {
        let (callback, state) = {
            let mut metered = self.0.borrow_mut();
            (metered.callback.take(), metered.state)
        };
        let Some(mut callback) = callback else {
            return true;
        };
        let go_on = callback(state);
        self.0.borrow_mut().callback = Some(callback);
        go_on
    }
}
