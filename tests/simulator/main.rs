//! The Scaleway API simulator: multi-step workflows, shape conformance with real recorded
//! traffic, and behaviour under concurrent clients.

mod concurrency;
mod conformance;
mod ipam;
mod workflows;
