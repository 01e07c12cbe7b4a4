//! CARTO's APIs: SQL (and its output formats), Batch, COPY, Auth, `/api/v3/me`.

pub mod auth_api;
pub mod batch;
pub mod copy;
pub mod format;
pub mod me;
pub mod query;
pub mod sql_api;
