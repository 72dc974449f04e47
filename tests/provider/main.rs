//! The `Provider` trait and its Scaleway implementation: exact requests against httpmock, and the
//! multi-step properties and the reusable contract suite against the simulator.

mod scaleway;

#[cfg(feature = "simulator")]
mod contract_suite;
#[cfg(feature = "simulator")]
mod simulator;
