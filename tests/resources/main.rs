//! The Scaleway layer (`scaleway_client::resources`): the exact requests of every public function
//! against httpmock, and the workflows on the simulator.

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;

mod wire;

mod simulator;
