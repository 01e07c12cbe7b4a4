//! One module per command.

pub mod completions;
pub mod env;
pub mod exec;
pub mod login;
pub mod logout;
pub mod profiles;
pub mod sql;
pub mod status;
