//! One module per command.

pub mod completions;
pub mod env;
pub mod exec;
pub mod login;
pub mod login3;
pub mod logout;
pub mod man_pages;
pub mod moving;
pub mod profiles;
mod saving;
pub mod sql;
pub mod status;
pub mod status3;
pub mod token;
