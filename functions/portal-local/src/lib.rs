//! The local run: every function's router in one process, on the embedded backend or the
//! AWS adapters, behind a server that does what API Gateway does.

pub mod backend;
pub mod import;
pub mod routes;
pub mod server;
