//! When a cached token is refreshed: AWS's two windows before expiry.
//!
//! botocore refreshes a token in an *advisory* window (15 min before expiry: one caller tries,
//! the others keep using the token, and a failure is not an error) and a *mandatory* one
//! (10 min before: every caller waits for a new token, and a failure is an error). CARTO's
//! tokens live 24 h, so those defaults fit them; a token that lives less (an emulator's
//! 120 s token) gets windows scaled to its lifetime, a quarter and a sixth of it, so that it
//! is still used for most of its life and never sent in its last moments.

use std::time::Duration;

/// The two windows, as upper bounds (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefreshWindows {
    /// How long before expiry one caller starts refreshing (default 15 min).
    pub advisory: Duration,
    /// How long before expiry the token is no longer sent (default 10 min).
    pub mandatory: Duration,
}

impl Default for RefreshWindows {
    fn default() -> Self {
        RefreshWindows {
            advisory: Duration::from_secs(15 * 60),
            mandatory: Duration::from_secs(10 * 60),
        }
    }
}

impl RefreshWindows {
    /// Windows of `advisory` and `mandatory` before expiry: both above zero, the mandatory
    /// one no longer than the advisory one.
    pub fn new(advisory: Duration, mandatory: Duration) -> crate::Result<RefreshWindows> {
        if mandatory.is_zero() || advisory < mandatory {
            return Err(crate::Error::new(
                crate::ErrorKind::InvalidArgument,
                format!(
                    "refresh windows: the mandatory window ({:.1} s) must be above 0 and at most the advisory one ({:.1} s)",
                    mandatory.as_secs_f64(),
                    advisory.as_secs_f64()
                ),
            ));
        }
        Ok(RefreshWindows {
            advisory,
            mandatory,
        })
    }
}

/// How usable a token is now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Use it.
    Fresh,
    /// Use it, and let one caller try to refresh it.
    Advisory,
    /// Do not send it: refresh first (it expires soon, or has expired).
    Mandatory,
}

impl RefreshWindows {
    /// The windows for a token living `lifetime` seconds: the configured ones, shortened to a
    /// quarter and a sixth of the lifetime.
    pub(crate) fn scaled(&self, lifetime: u64) -> (u64, u64) {
        let advisory = self.advisory.as_secs().min(lifetime / 4);
        let mandatory = self.mandatory.as_secs().min(lifetime / 6).min(advisory);
        (advisory, mandatory)
    }

    /// Where `now` falls for a token expiring at `exp` after living `lifetime` seconds (all in
    /// seconds since the epoch, from the issuer's `exp`).
    pub(crate) fn freshness(&self, now: i64, exp: i64, lifetime: u64) -> Freshness {
        let (advisory, mandatory) = self.scaled(lifetime);
        let left = exp.saturating_sub(now);
        if left <= mandatory as i64 || left <= 0 {
            Freshness::Mandatory
        } else if left <= advisory as i64 {
            Freshness::Advisory
        } else {
            Freshness::Fresh
        }
    }

    /// The advisory and mandatory windows a token living `lifetime` gets (see the module
    /// documentation).
    pub fn for_lifetime(&self, lifetime: Duration) -> (Duration, Duration) {
        let (advisory, mandatory) = self.scaled(lifetime.as_secs());
        (
            Duration::from_secs(advisory),
            Duration::from_secs(mandatory),
        )
    }

    /// How long after a failed advisory refresh the next one may be tried: botocore's 60 s,
    /// shortened for short-lived tokens so a few tries still fit in the advisory window.
    pub(crate) fn advisory_retry_after(&self, lifetime: u64) -> u64 {
        let (advisory, mandatory) = self.scaled(lifetime);
        60.min(((advisory - mandatory) / 3).max(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_long_tokens_get_botocores_windows() {
        let w = RefreshWindows::default();
        assert_eq!(w.scaled(86_400), (900, 600));
        let exp = 100_000;
        assert_eq!(w.freshness(exp - 901, exp, 86_400), Freshness::Fresh);
        assert_eq!(w.freshness(exp - 900, exp, 86_400), Freshness::Advisory);
        assert_eq!(w.freshness(exp - 601, exp, 86_400), Freshness::Advisory);
        assert_eq!(w.freshness(exp - 600, exp, 86_400), Freshness::Mandatory);
        assert_eq!(w.freshness(exp + 5, exp, 86_400), Freshness::Mandatory);
        assert_eq!(w.advisory_retry_after(86_400), 60);
    }

    #[test]
    fn short_tokens_get_windows_scaled_to_their_lifetime() {
        let w = RefreshWindows::default();
        assert_eq!(w.scaled(120), (30, 20));
        assert_eq!(w.freshness(1000 - 31, 1000, 120), Freshness::Fresh);
        assert_eq!(w.freshness(1000 - 25, 1000, 120), Freshness::Advisory);
        assert_eq!(w.freshness(1000 - 20, 1000, 120), Freshness::Mandatory);
        assert_eq!(w.advisory_retry_after(120), 3);
        // A token of unknown or zero lifetime is never sent past its expiry.
        assert_eq!(w.freshness(1000, 1000, 0), Freshness::Mandatory);
        assert_eq!(w.freshness(999, 1000, 0), Freshness::Fresh);
    }

    #[test]
    fn configured_windows_are_upper_bounds_and_mandatory_never_exceeds_advisory() {
        let w = RefreshWindows {
            advisory: Duration::from_secs(5),
            mandatory: Duration::from_secs(60),
        };
        assert_eq!(w.scaled(86_400), (5, 5));
    }
}
