//! What tests arm and read: faults, the request log, rate limits and the info file.

pub mod faults;
pub mod info;
pub mod rate_limit;
pub mod request_log;
