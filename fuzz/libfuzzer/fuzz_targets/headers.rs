#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| cartoauth_fuzz::bytes::headers(data));
