//! Test harness for `carto-emulator` (see [`harness`]), and the shapes the server and the
//! harness exchange: a fault to inject ([`fault`]), a request-log entry ([`log_entry`]), and
//! CARTO 3's info section and counters ([`carto3`]).

pub mod carto3;
pub mod fault;
pub mod harness;
pub mod log_entry;
