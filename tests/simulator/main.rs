//! The Scaleway API simulator, one file per simulated API (`instance`, `block`, `vpc`, `ipam`,
//! `account` with Marketplace), its front door and faults, shape conformance with real traffic,
//! and behaviour under concurrent clients.

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;

mod account;
mod block;
mod concurrency;
mod conformance;
mod faults;
mod front_door;
mod instance;
mod ipam;
mod requests;
mod vpc;
