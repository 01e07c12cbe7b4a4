//! Checking a kept-alive connection once per reuse, not twice.
//!
//! ureq asks a connection whether it is still usable ([`Transport::is_open`]) twice between two
//! requests: when the connection goes back into the pool after a response, and again when the
//! pool hands it out for the next request. Over TCP each check costs three system calls
//! (non-blocking on, a one-byte read that must fail with EAGAIN, non-blocking off), about
//! 1.4 µs: 2% of a small request on loopback, where libcurl checks once.
//!
//! Only the second check decides anything. Nothing reads the socket between the two, so
//! whatever the first could see (bytes the server sent after the body, a close) is still there
//! for the second, which also sees what happened while the connection sat idle (the server's
//! keep-alive timeout). [`CheckOnTake`] therefore answers the first check without asking the
//! socket and passes the second one through.

use ureq::unversioned::transport::{Buffers, ConnectionDetails, Connector, NextTimeout, Transport};

/// The last link of the agent's connector chain: wraps each new connection in [`CheckOnTake`].
#[derive(Debug)]
pub(crate) struct CheckOnTakeConnector;

impl<In: Transport> Connector<In> for CheckOnTakeConnector {
    type Out = CheckOnTake<In>;

    fn connect(
        &self,
        _details: &ConnectionDetails,
        chained: Option<In>,
    ) -> Result<Option<CheckOnTake<In>>, ureq::Error> {
        Ok(chained.map(|inner| CheckOnTake {
            inner,
            used_since_check: false,
        }))
    }
}

/// A connection that skips the pool's check made right after it was used.
#[derive(Debug)]
pub(crate) struct CheckOnTake<T> {
    inner: T,
    /// Set by every read or write; the next `is_open` is then the pool's return-time check.
    used_since_check: bool,
}

impl<T: Transport> Transport for CheckOnTake<T> {
    fn buffers(&mut self) -> &mut dyn Buffers {
        self.inner.buffers()
    }

    fn transmit_output(&mut self, amount: usize, timeout: NextTimeout) -> Result<(), ureq::Error> {
        self.used_since_check = true;
        self.inner.transmit_output(amount, timeout)
    }

    fn await_input(&mut self, timeout: NextTimeout) -> Result<bool, ureq::Error> {
        self.used_since_check = true;
        self.inner.await_input(timeout)
    }

    fn is_open(&mut self) -> bool {
        // Right after use: the check made when the pool takes the connection back out covers it.
        std::mem::take(&mut self.used_since_check) || self.inner.is_open()
    }

    fn is_tls(&self) -> bool {
        self.inner.is_tls()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ureq::unversioned::transport::time::Duration;
    use ureq::unversioned::transport::LazyBuffers;
    use ureq::Timeout;

    /// A transport whose answer to `is_open` is set by the test, counting how often it is asked.
    #[derive(Debug)]
    struct Probed {
        buffers: LazyBuffers,
        open: bool,
        probes: u32,
    }

    impl Transport for Probed {
        fn buffers(&mut self) -> &mut dyn Buffers {
            &mut self.buffers
        }
        fn transmit_output(&mut self, _: usize, _: NextTimeout) -> Result<(), ureq::Error> {
            Ok(())
        }
        fn await_input(&mut self, _: NextTimeout) -> Result<bool, ureq::Error> {
            Ok(true)
        }
        fn is_open(&mut self) -> bool {
            self.probes += 1;
            self.open
        }
    }

    fn connection(open: bool) -> CheckOnTake<Probed> {
        CheckOnTake {
            inner: Probed {
                buffers: LazyBuffers::new(16, 16),
                open,
                probes: 0,
            },
            used_since_check: false,
        }
    }

    fn timeout() -> NextTimeout {
        NextTimeout {
            after: Duration::NotHappening,
            reason: Timeout::Global,
            per_read: None,
            per_write: None,
        }
    }

    #[test]
    fn the_check_right_after_use_is_skipped_and_the_next_one_asks_the_socket() {
        let mut conn = connection(false);
        conn.transmit_output(0, timeout()).unwrap();
        conn.await_input(timeout()).unwrap();
        assert!(
            conn.is_open(),
            "return-time check: answered without a probe"
        );
        assert_eq!(conn.inner.probes, 0);
        assert!(!conn.is_open(), "take-time check: the socket's answer");
        assert_eq!(conn.inner.probes, 1);
        assert!(!conn.is_open(), "every later check asks again");
        assert_eq!(conn.inner.probes, 2);
    }

    #[test]
    fn a_read_alone_counts_as_use() {
        let mut conn = connection(true);
        conn.await_input(timeout()).unwrap();
        assert!(conn.is_open());
        assert_eq!(conn.inner.probes, 0);
        assert!(conn.is_open());
        assert_eq!(conn.inner.probes, 1);
    }

    #[test]
    fn an_unused_connection_is_always_probed() {
        let mut conn = connection(true);
        assert!(conn.is_open());
        assert_eq!(conn.inner.probes, 1);
    }
}
