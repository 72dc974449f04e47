//! The Scaleway layer (`scaleway_sdk::resources`): exact requests against httpmock, and the
//! workflows against the simulator.

mod wire;

#[cfg(feature = "simulator")]
mod simulator;
