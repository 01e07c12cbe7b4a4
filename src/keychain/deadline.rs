//! Keychain calls cut off after a deadline.
//!
//! The platform stores are blocking calls with no timeout of their own (a D-Bus call to a
//! service that never replies waits for the bus's reply timeout, 25 s by default; a desktop
//! unlock prompt waits for the user). Each call runs on a short-lived thread; the caller
//! waits for it at most the deadline, then goes on without it. An abandoned thread ends when
//! the platform call does. While [`MAX_ABANDONED`] are outstanding the keychain is taken as
//! not answering, at once: a command that needs it several times waits once, not once per
//! call, and a hung service cannot pile up threads. Once the keychain answers the abandoned
//! call (a desktop unlock prompt answered late, say), it is asked again.

use super::backend::Failure;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

const MAX_ABANDONED: usize = 1;

/// Runs `op` and returns its result, or [`Failure::TimedOut`] after `timeout`. `abandoned`
/// counts the calls of one keychain that were abandoned and have not returned yet.
pub(super) fn run<T: Send + 'static>(
    timeout: Duration,
    abandoned: &Arc<AtomicUsize>,
    op: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> Result<T, Failure> {
    if abandoned.load(Ordering::SeqCst) >= MAX_ABANDONED {
        return Err(Failure::TimedOut);
    }
    let counter = Arc::clone(abandoned);
    let (sender, receiver) = mpsc::sync_channel(1);
    let worker = std::thread::Builder::new()
        .name("cartoauth-keychain".to_owned())
        .spawn(move || {
            let result = op();
            // The caller may have gone (deadline): then this result is dropped here, and the
            // abandoned count goes down.
            if let Err(mpsc::TrySendError::Disconnected(_)) = sender.try_send(result) {
                counter.fetch_sub(1, Ordering::SeqCst);
            }
        });
    if let Err(e) = worker {
        return Err(Failure::Unavailable(format!(
            "cannot start a thread for the keychain: {e}"
        )));
    }
    match receiver.recv_timeout(timeout) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            // Counted before the receiver is dropped, so the worker's decrement (which can
            // only follow the drop) never comes first.
            abandoned.fetch_add(1, Ordering::SeqCst);
            drop(receiver);
            Err(Failure::TimedOut)
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(Failure::Other(
            "the keychain call ended without an answer (it panicked)".to_owned(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn a_call_that_never_returns_is_cut_off_and_a_quick_one_is_not() {
        use std::sync::atomic::AtomicBool;
        use std::sync::Arc;
        let abandoned = Arc::new(AtomicUsize::new(0));
        assert_eq!(
            run(Duration::from_secs(5), &abandoned, || Ok(7)).unwrap(),
            7
        );
        let (release, wait) = mpsc::channel::<()>();
        let finished = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let flag = finished.clone();
        let result: Result<(), Failure> = run(Duration::from_millis(100), &abandoned, move || {
            let _ = wait.recv();
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        assert_eq!(result, Err(Failure::TimedOut));
        assert!(started.elapsed() < Duration::from_secs(2));
        assert!(!finished.load(Ordering::SeqCst));
        // The abandoned call still ends once its platform call returns.
        drop(release);
        let deadline = Instant::now() + Duration::from_secs(5);
        while !finished.load(Ordering::SeqCst) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(finished.load(Ordering::SeqCst));
        while abandoned.load(Ordering::SeqCst) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(abandoned.load(Ordering::SeqCst), 0);
    }

    #[test]
    fn a_keychain_that_keeps_hanging_is_not_given_more_threads() {
        let abandoned = Arc::new(AtomicUsize::new(0));
        let (release, wait) = mpsc::channel::<()>();
        let wait = Arc::new(std::sync::Mutex::new(wait));
        for _ in 0..MAX_ABANDONED {
            let wait = wait.clone();
            let result: Result<(), Failure> =
                run(Duration::from_millis(20), &abandoned, move || {
                    let _ = wait.lock().map(|w| w.recv_timeout(Duration::from_secs(10)));
                    Ok(())
                });
            assert_eq!(result, Err(Failure::TimedOut));
        }
        let started = Instant::now();
        let ran = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = ran.clone();
        let result: Result<(), Failure> = run(Duration::from_secs(5), &abandoned, move || {
            flag.store(true, Ordering::SeqCst);
            Ok(())
        });
        assert_eq!(result, Err(Failure::TimedOut));
        assert!(started.elapsed() < Duration::from_millis(100), "no waiting");
        assert!(!ran.load(Ordering::SeqCst), "no new thread");
        drop(release);
    }

    #[test]
    fn a_panicking_call_is_a_failure_not_a_panic() {
        let abandoned = Arc::new(AtomicUsize::new(0));
        let result: Result<(), Failure> =
            run(Duration::from_secs(5), &abandoned, || panic!("boom"));
        assert!(matches!(result, Err(Failure::Other(_))), "{result:?}");
    }
}
