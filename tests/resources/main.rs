//! The Scaleway layer (`scaleway_sdk::resources`): the exact requests of every public function
//! against httpmock, and the workflows on the simulator.

mod wire;

#[cfg(feature = "simulator")]
mod simulator;
