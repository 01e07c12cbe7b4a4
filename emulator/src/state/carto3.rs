//! CARTO 3's state (with `--carto3`): who may call it, the limits of synchronous SQL, and
//! the maps instantiated.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::oauth::Identity;
use crate::state::maps::Maps;

pub struct Carto3 {
    pub identity: Identity,
    pub limits: Limits,
    pub maps: Maps,
}

/// The two limits CARTO documents for `GET|POST /v3/sql/{connection}/query`: a one-minute
/// statement timeout and a 200,000-row cap. Both can be changed at run time (admin API), so
/// tests can meet them without a minute or 200,000 rows.
pub struct Limits {
    statement_timeout_ms: AtomicU64,
    max_rows: AtomicU64,
}

impl Limits {
    pub fn new(statement_timeout_ms: u64, max_rows: u64) -> Limits {
        Limits {
            statement_timeout_ms: AtomicU64::new(statement_timeout_ms),
            max_rows: AtomicU64::new(max_rows),
        }
    }
    pub fn statement_timeout_ms(&self) -> u64 {
        self.statement_timeout_ms.load(Ordering::Relaxed)
    }
    pub fn max_rows(&self) -> u64 {
        self.max_rows.load(Ordering::Relaxed)
    }
    pub fn set_statement_timeout_ms(&self, ms: u64) {
        self.statement_timeout_ms.store(ms, Ordering::Relaxed);
    }
    pub fn set_max_rows(&self, n: u64) {
        self.max_rows.store(n, Ordering::Relaxed);
    }
}
