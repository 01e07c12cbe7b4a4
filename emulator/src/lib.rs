//! Test harness for `carto-emulator` (see [`harness`]), and the request-log entry the server
//! writes and the harness reads ([`log_entry`]).

pub mod harness;
pub mod log_entry;
