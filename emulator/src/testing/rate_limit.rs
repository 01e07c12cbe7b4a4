//! Per-key rate limits with CARTO's headers. CARTO uses a GCRA (redis-cell); this is the same
//! algorithm: `limit` requests per `period_s` seconds, with a burst of `limit`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use crate::pg::accounts::RateLimit;

/// What a request gets: its headers, and whether it may proceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u64,
    pub remaining: u64,
    /// Seconds until the bucket is full again.
    pub reset: u64,
    /// Seconds until the next request would be allowed (only meaningful when blocked).
    pub retry_after: u64,
}

impl Decision {
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut h = vec![
            ("Carto-Rate-Limit-Limit", self.limit.to_string()),
            ("Carto-Rate-Limit-Remaining", self.remaining.to_string()),
            ("Carto-Rate-Limit-Reset", self.reset.to_string()),
        ];
        if !self.allowed {
            h.push(("Retry-After", self.retry_after.to_string()));
        }
        h
    }
}

/// The limits configured per (user, key name) and each bucket's theoretical arrival time.
#[derive(Default)]
pub struct RateLimiter {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    limits: HashMap<(String, String), RateLimit>,
    /// Theoretical arrival time, in seconds since `epoch`.
    tat: HashMap<(String, String), f64>,
    epoch: Option<Instant>,
}

impl RateLimiter {
    pub fn set(&self, user: &str, key: &str, limit: Option<RateLimit>) {
        let mut inner = self.inner.lock().unwrap();
        let id = (user.to_string(), key.to_string());
        inner.tat.remove(&id);
        match limit {
            Some(l) => inner.limits.insert(id, l),
            None => inner.limits.remove(&id),
        };
    }

    /// Counts one request of the key; `None` when the key has no limit.
    pub fn check(&self, user: &str, key: &str) -> Option<Decision> {
        let mut inner = self.inner.lock().unwrap();
        let epoch = *inner.epoch.get_or_insert_with(Instant::now);
        let now = epoch.elapsed().as_secs_f64();
        let id = (user.to_string(), key.to_string());
        let limit = *inner.limits.get(&id)?;
        let tat = inner.tat.get(&id).copied().unwrap_or(now);
        let (decision, new_tat) = gcra(limit, tat, now);
        inner.tat.insert(id, new_tat);
        Some(decision)
    }
}

/// One GCRA step: returns the decision and the new theoretical arrival time.
fn gcra(limit: RateLimit, tat: f64, now: f64) -> (Decision, f64) {
    let interval = f64::from(limit.period_s) / f64::from(limit.limit);
    let burst_window = interval * f64::from(limit.limit);
    let tat = tat.max(now);
    let new_tat = tat + interval;
    let allow_at = new_tat - burst_window;
    // Round up to whole seconds as CARTO's headers are integers; tiny float noise rounds down.
    let ceil = |x: f64| (x - 1e-9).ceil().max(0.0) as u64;
    if now + 1e-9 < allow_at {
        let d = Decision {
            allowed: false,
            limit: u64::from(limit.limit),
            remaining: 0,
            reset: ceil(tat - now),
            retry_after: ceil(allow_at - now),
        };
        (d, tat)
    } else {
        let remaining = ((now + burst_window - new_tat) / interval + 1e-9)
            .floor()
            .max(0.0);
        let d = Decision {
            allowed: true,
            limit: u64::from(limit.limit),
            remaining: remaining as u64,
            reset: ceil(new_tat - now),
            retry_after: 0,
        };
        (d, new_tat)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_cartos_documented_sequence() {
        // CARTO's acceptance test: limit 2 gives (2,1,1), (2,0,1), then 429 with (2,0,1) and
        // Retry-After 1.
        let l = RateLimit {
            limit: 2,
            period_s: 1,
        };
        let (a, t) = gcra(l, 0.0, 0.0);
        assert_eq!((a.allowed, a.limit, a.remaining, a.reset), (true, 2, 1, 1));
        let (b, t) = gcra(l, t, 0.0);
        assert_eq!((b.allowed, b.limit, b.remaining, b.reset), (true, 2, 0, 1));
        let (c, t2) = gcra(l, t, 0.0);
        assert_eq!(
            (c.allowed, c.limit, c.remaining, c.reset, c.retry_after),
            (false, 2, 0, 1, 1)
        );
        assert_eq!(t2, t, "a blocked request does not consume capacity");
        assert!(c
            .headers()
            .iter()
            .any(|(k, v)| *k == "Retry-After" && v == "1"));
        assert!(!a.headers().iter().any(|(k, _)| *k == "Retry-After"));
    }

    #[test]
    fn capacity_comes_back_with_time() {
        let l = RateLimit {
            limit: 1,
            period_s: 2,
        };
        let (_, t) = gcra(l, 0.0, 0.0);
        let (blocked, _) = gcra(l, t, 1.0);
        assert!(!blocked.allowed);
        assert_eq!(blocked.retry_after, 1);
        let (ok, _) = gcra(l, t, 2.0);
        assert!(ok.allowed);
    }

    #[test]
    fn keys_without_a_limit_are_not_counted() {
        let rl = RateLimiter::default();
        assert!(rl.check("demo", "Master").is_none());
        rl.set(
            "demo",
            "Master",
            Some(RateLimit {
                limit: 1,
                period_s: 60,
            }),
        );
        assert!(rl.check("demo", "Master").unwrap().allowed);
        assert!(!rl.check("demo", "Master").unwrap().allowed);
        rl.set("demo", "Master", None);
        assert!(rl.check("demo", "Master").is_none());
    }
}
