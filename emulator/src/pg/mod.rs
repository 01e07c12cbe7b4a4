//! PostgreSQL: the system's installation, data directories, the template cluster, the running
//! server, the connection pool, the accounts and their provisioning.

pub mod accounts;
pub mod carto3;
pub mod db;
pub mod dirs;
pub mod install;
pub mod provision;
pub mod server;
pub mod template;
