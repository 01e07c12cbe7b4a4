//! Test harness for `carto-emulator` (see [`harness`]), and the two shapes the server and the
//! harness exchange: a fault to inject ([`fault`]) and a request-log entry ([`log_entry`]).

pub mod fault;
pub mod harness;
pub mod log_entry;
