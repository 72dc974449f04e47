//! The Scaleway API simulator, one file per simulated API (`instance`, `block`, `vpc`, `ipam`,
//! `account`, `marketplace`), its front door and faults, shape conformance with real traffic and
//! the fixtures, coverage of every spec operation and declared query parameter, behaviour under
//! concurrent clients, and the generated list streams paging through it; `requests` holds the
//! calls they share.

#[path = "../../tests/common/mod.rs"]
#[allow(dead_code)]
mod common;

mod account;
mod block;
mod concurrency;
mod conformance;
mod coverage;
mod faults;
mod front_door;
mod instance;
mod instance_images;
mod instance_resources;
mod ipam;
mod marketplace;
mod requests;
mod streams;
mod timings;
mod vpc;
