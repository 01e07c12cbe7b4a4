//! HTTP plumbing every route shares: parameters, routing, CARTO's error bodies, API keys, the
//! per-request context and TLS.

pub mod auth;
pub mod context;
pub mod errors;
pub mod form;
pub mod routes;
pub mod tls;
