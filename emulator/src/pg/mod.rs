//! PostgreSQL: the private cluster, the connection pool, the accounts and their provisioning.

pub mod accounts;
pub mod db;
pub mod provision;
pub mod server;
