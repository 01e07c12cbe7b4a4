//! When to try a request again, and how long to wait first.
//!
//! - 429 (and 503) with `Retry-After`: wait that long, whatever the request: the server
//!   refused it without running it. A 429 without `Retry-After` (CARTO's statement timeout) is
//!   final.
//! - Connection failures before the request was sent (DNS, refused): retry any request with
//!   exponential backoff. After it was sent (a timeout, a broken connection): only idempotent
//!   requests ([`super::Request::idempotent`]: never SQL, Batch, COPY or Auth API requests
//!   unless the caller marked them), since the server may have run it.
//! - Never with a streamed request body (it cannot be replayed) or once part of a streamed
//!   response reached the caller's writer.
//! - Bounded by `max_attempts` and by `max_wait` summed over all waits.

use super::failure::Failure;
use super::options::RetryPolicy;
use super::response::Response;
use crate::error::ErrorKind;
use std::time::Duration;

const FIRST_BACKOFF: Duration = Duration::from_millis(200);

/// What the previous attempt produced, as far as retrying is concerned.
pub(crate) enum Outcome<'a> {
    Answered(&'a Response),
    Failed(&'a Failure),
}

/// The wait before the next attempt, or `None` to stop.
pub(crate) fn next_wait(
    policy: &RetryPolicy,
    attempt: u32,
    waited: Duration,
    outcome: Outcome<'_>,
    replayable_body: bool,
    idempotent: bool,
) -> Option<Duration> {
    if attempt >= policy.max_attempts || !replayable_body {
        return None;
    }
    let wait = match outcome {
        Outcome::Answered(response) if matches!(response.status(), 429 | 503) => {
            let seconds = response.rate_limit().retry_after.filter(|s| *s >= 0)?;
            // "Retry-After: 0" means now; a short pause still spares a busy server.
            Duration::from_secs(seconds as u64).max(Duration::from_millis(50))
        }
        Outcome::Answered(_) => return None,
        Outcome::Failed(failure) => {
            let transient = matches!(
                failure.error.kind(),
                ErrorKind::Connection | ErrorKind::Timeout
            );
            let safe = !failure.request_sent || idempotent;
            if !transient || !safe || failure.delivered_to_sink {
                return None;
            }
            FIRST_BACKOFF * 2u32.saturating_pow(attempt - 1)
        }
    };
    (waited + wait <= policy.max_wait).then_some(wait)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn answered(status: u16, retry_after: Option<&str>) -> Response {
        Response {
            status,
            headers: retry_after
                .map(|v| vec![("retry-after".to_owned(), v.to_owned())])
                .unwrap_or_default(),
            body: Vec::new(),
            streamed_bytes: 0,
            attempts: 1,
            target: String::new(),
            secrets: None,
        }
    }

    fn failed(kind: ErrorKind, sent: bool) -> Failure {
        Failure {
            error: Error::new(kind, "x"),
            request_sent: sent,
            delivered_to_sink: false,
        }
    }

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 3,
        max_wait: Duration::from_secs(10),
    };

    #[test]
    fn rate_limits_wait_for_retry_after_within_the_budget() {
        let r = answered(429, Some("2"));
        let wait = next_wait(
            &POLICY,
            1,
            Duration::ZERO,
            Outcome::Answered(&r),
            true,
            false,
        );
        assert_eq!(wait, Some(Duration::from_secs(2)));
        let wait = next_wait(
            &POLICY,
            1,
            Duration::from_secs(9),
            Outcome::Answered(&r),
            true,
            false,
        );
        assert_eq!(wait, None, "over the budget");
        let wait = next_wait(
            &POLICY,
            3,
            Duration::ZERO,
            Outcome::Answered(&r),
            true,
            false,
        );
        assert_eq!(wait, None, "out of attempts");
        let timeout_429 = answered(429, None);
        let wait = next_wait(
            &POLICY,
            1,
            Duration::ZERO,
            Outcome::Answered(&timeout_429),
            true,
            true,
        );
        assert_eq!(wait, None, "CARTO's statement timeout has no Retry-After");
        let ok = answered(200, None);
        assert_eq!(
            next_wait(
                &POLICY,
                1,
                Duration::ZERO,
                Outcome::Answered(&ok),
                true,
                true
            ),
            None
        );
    }

    #[test]
    fn connection_failures_retry_only_when_safe() {
        let before = failed(ErrorKind::Connection, false);
        let after = failed(ErrorKind::Connection, true);
        let w = |f: &Failure, idempotent, attempt| {
            next_wait(
                &POLICY,
                attempt,
                Duration::ZERO,
                Outcome::Failed(f),
                true,
                idempotent,
            )
        };
        assert_eq!(w(&before, false, 1), Some(Duration::from_millis(200)));
        assert_eq!(w(&before, false, 2), Some(Duration::from_millis(400)));
        assert_eq!(w(&after, false, 1), None, "a POST may have run");
        assert_eq!(w(&after, true, 1), Some(Duration::from_millis(200)));
        assert_eq!(w(&failed(ErrorKind::Tls, false), true, 1), None);
        let streamed = next_wait(
            &POLICY,
            1,
            Duration::ZERO,
            Outcome::Failed(&before),
            false,
            true,
        );
        assert_eq!(streamed, None, "a streamed body cannot be replayed");
        let delivered = Failure {
            delivered_to_sink: true,
            ..failed(ErrorKind::Connection, true)
        };
        assert_eq!(w(&delivered, true, 1), None);
    }
}
