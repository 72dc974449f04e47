//! The client runtime: configuration, zones and sizes, the shared client, error mapping, retries,
//! pagination, waiting, tracing, and the generated clients at the wire.

mod client;
mod config;
mod errors;
mod locality_units;
mod paginate;
mod retry;
mod traces;
mod wait;
mod wire;
