//! Instance v1: servers, their actions, volumes, file systems, user data and private NICs, Instance
//! volumes, IPs, security groups and their rules, products, and (not yet in tables of their own)
//! placement groups, images and snapshots.

mod images;
mod ips;
mod legacy;
mod private_nics;
mod products;
mod security_group_rules;
mod security_groups;
mod server_actions;
mod server_creation;
mod server_volumes;
mod servers;
mod user_data;
mod views;
mod volumes;

/// The API's dispatch tables, one per resource; `legacy` answers the rest.
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
    legacy::OPERATIONS,
];
