//! cartoauth's fuzz targets: the invariants each parser of untrusted input must keep
//! ([`checks`]), built from one grammar ([`grammar`]) and driven two ways:
//! - coverage-guided, by libFuzzer (`fuzz/libfuzzer`, nightly Rust: `fuzz/libfuzzer.sh`),
//!   through [`bytes`], which turns the bytes libFuzzer mutates into each target's input;
//! - on stable Rust, by the `cartoauth-fuzz` binary (`fuzz/run.sh`), with proptest's
//!   strategies of [`inputs`]: mutated seeds and values built from the grammar.

pub mod bytes;
pub mod checks;
pub mod grammar;
pub mod inputs;
