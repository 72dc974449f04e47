//! Instance v1: servers, their actions, volumes, file systems, user data and private NICs, Instance
//! volumes, IPs, security groups and their rules, products, images, snapshots, placement groups
//! and the migration of volumes and snapshots to Block storage.

mod block_migration;
mod images;
mod ips;
mod placement_groups;
mod private_nics;
mod products;
mod security_group_rules;
mod security_groups;
mod server_actions;
mod server_creation;
mod server_volumes;
mod servers;
mod snapshots;
mod user_data;
mod views;
mod volumes;

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[
    servers::OPERATIONS,
    server_actions::OPERATIONS,
    server_volumes::OPERATIONS,
    user_data::OPERATIONS,
    private_nics::OPERATIONS,
    ips::OPERATIONS,
    security_groups::OPERATIONS,
    security_group_rules::OPERATIONS,
    volumes::OPERATIONS,
    products::OPERATIONS,
    images::OPERATIONS,
    snapshots::OPERATIONS,
    placement_groups::OPERATIONS,
    block_migration::OPERATIONS,
];
