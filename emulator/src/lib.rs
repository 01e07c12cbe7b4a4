//! Test harness for `carto-emulator` (see [`harness`]).

pub mod harness;
