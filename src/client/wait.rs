//! Waits the caller can interrupt, and the total time of a call.
//!
//! ureq blocks the calling thread inside its transport while the server computes an answer
//! (a `select pg_sleep(8)` sends nothing for 8 s). [`TickingConnector`] wraps every connection
//! so that each such wait is cut into slices of at most [`TICK`]; between slices it asks the
//! [`Watch`] that `Client::send` installed on this thread whether to go on: the progress
//! callback may cancel, and the call's total time limit may be spent. Everything runs on the
//! caller's own thread, as R and Julia require of their callbacks; connections used on a
//! thread without a watch wait in one piece, as before.

use super::failure::Abort;
use super::progress::Meter;
use std::cell::RefCell;
use std::io;
use std::time::{Duration, Instant};
use ureq::unversioned::transport::time::Duration as UreqDuration;
use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// The longest the progress callback goes uncalled while a call waits.
pub(crate) const TICK: Duration = Duration::from_millis(250);

thread_local! {
    static WATCH: RefCell<Option<Watch>> = const { RefCell::new(None) };
}

/// What a waiting call checks between slices: the progress callback and the deadline.
#[derive(Clone)]
pub(crate) struct Watch {
    meter: Meter,
    /// When the call must give up, and the limit it was computed from (for the message).
    deadline: Option<(Instant, Duration)>,
}

impl Watch {
    pub(crate) fn new(meter: Meter, total_timeout: Option<Duration>) -> Self {
        Watch {
            meter,
            deadline: total_timeout.map(|limit| (Instant::now() + limit, limit)),
        }
    }

    pub(crate) fn meter(&self) -> &Meter {
        &self.meter
    }

    /// When the call must give up (`None`: no deadline).
    pub(crate) fn deadline(&self) -> Option<Instant> {
        self.deadline.map(|(at, _)| at)
    }

    /// Time left before the deadline (`None`: no deadline).
    pub(crate) fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|(at, _)| at.saturating_duration_since(Instant::now()))
    }

    /// The abort for a spent deadline.
    pub(crate) fn expired(&self) -> Option<Abort> {
        match self.deadline {
            Some((at, limit)) if Instant::now() >= at => Some(Abort::TotalTime(limit)),
            _ => None,
        }
    }

    /// Err when the call must stop: its time is spent or the callback cancelled.
    pub(crate) fn check(&self) -> Result<(), Abort> {
        if let Some(abort) = self.expired() {
            return Err(abort);
        }
        self.meter.report()
    }

    /// Makes this the watch of the current thread until the guard is dropped.
    pub(crate) fn install(&self) -> WatchGuard {
        let previous = WATCH.with(|w| w.replace(Some(self.clone())));
        WatchGuard { previous }
    }

    /// Sleeps `wait` (between retries), checking every [`TICK`].
    pub(crate) fn sleep(&self, wait: Duration) -> Result<(), Abort> {
        let until = Instant::now() + wait;
        loop {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Ok(());
            }
            std::thread::sleep(left.min(TICK));
            self.check()?;
        }
    }
}

impl crate::token::mint::Pause for Watch {
    fn pause(&self, wait: Duration) -> crate::Result<()> {
        self.sleep(wait)
            .map_err(|abort| super::failure::abort_error(&abort, "waiting for a CARTO 3 token"))
    }

    fn interrupted(&self) -> Option<crate::Error> {
        self.check()
            .err()
            .map(|abort| super::failure::abort_error(&abort, "getting a CARTO 3 token"))
    }
}

/// Restores the watch a nested call replaced (a callback may send a request itself).
pub(crate) struct WatchGuard {
    previous: Option<Watch>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        let previous = self.previous.take();
        WATCH.with(|w| w.replace(previous));
    }
}

fn current() -> Option<Watch> {
    WATCH.with(|w| w.borrow().clone())
}

/// The last link of the agent's connector chain: wraps each new connection in [`Ticking`].
#[derive(Debug)]
pub(crate) struct TickingConnector;

impl Connector<Box<dyn Transport>> for TickingConnector {
    type Out = Ticking;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<Box<dyn Transport>>,
    ) -> Result<Option<Ticking>, ureq::Error> {
        Ok(chained.map(|inner| Ticking { inner }))
    }
}

/// A connection whose waits for input are cut into slices checked against the thread's watch.
#[derive(Debug)]
pub(crate) struct Ticking {
    inner: Box<dyn Transport>,
}

impl Transport for Ticking {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        let Some(watch) = current() else {
            return self.inner.await_input(timeout);
        };
        // The whole wait keeps ureq's limits (overall and per read); only its slices are new.
        let bound = timeout.for_read();
        let started = Instant::now();
        loop {
            let left = match bound.after {
                UreqDuration::Exact(after) => Some(after.saturating_sub(started.elapsed())),
                UreqDuration::NotHappening => None,
            };
            let slice = left.map_or(TICK, |left| left.min(TICK));
            let sliced = NextTimeout {
                after: UreqDuration::Exact(slice),
                reason: bound.reason,
                per_read: None,
                per_write: timeout.per_write,
            };
            match self.inner.await_input(sliced) {
                Err(ureq::Error::Timeout(_)) if left.is_none_or(|left| left > slice) => {
                    watch
                        .check()
                        .map_err(|abort| ureq::Error::Io(io::Error::other(abort)))?;
                }
                outcome => return outcome,
            }
        }
    }

    fn is_open(&mut self) -> bool {
        self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}
