//! The `Provider` trait and its Scaleway implementation: exact requests against httpmock, and the
//! multi-step properties and the reusable contract suite against the simulator.

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;

mod scaleway;

mod contract_suite;
mod simulator;
