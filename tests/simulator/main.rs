//! The Scaleway API simulator: multi-step workflows, shape conformance with real recorded
//! traffic, behaviour under concurrent clients, and the generated list streams paging through it.

mod concurrency;
mod conformance;
mod ipam;
mod streams;
mod workflows;
