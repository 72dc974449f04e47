//! The client runtime: configuration, zones and sizes, the shared client, error mapping, retries,
//! pagination, waiting, tracing, and the generated clients at the wire.

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;

mod client;
mod config;
mod errors;
mod locality_units;
mod paginate;
mod retry;
mod tls;
mod traces;
mod wait;
mod wire;
