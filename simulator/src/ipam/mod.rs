//! IPAM v1: the addresses booked in private network subnets. Private NICs book theirs when they
//! are created (`instance.rs`) and release them when they go (`Store::remove_nic`); `BookIP` books
//! one with no resource, or attached to a custom resource.

mod ips;

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[ips::OPERATIONS];
