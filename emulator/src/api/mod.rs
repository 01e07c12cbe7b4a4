//! CARTO's APIs: CARTO 2's SQL (and its output formats), Batch, COPY, Auth and `/api/v3/me`,
//! and CARTO 3's (`carto3/`).

pub mod auth_api;
pub mod batch;
pub mod carto3;
pub mod copy;
pub mod format;
pub mod me;
pub mod query;
pub mod sql_api;
