//! VPC v2: VPCs (a default one per project and region) with their private networks and subnets,
//! routes, ACLs, ingress rules, connectors to other VPCs and Object Storage private access.

mod acls;
mod connectors;
mod ingress_rules;
mod object_storage_private_access;
mod private_networks;
mod routes;
mod subnets;
mod vpcs;

use std::net::IpAddr;

use serde_json::Value;

use crate::catalog::REGIONS;
use crate::http::{self as h, Reply, Req, s, strings};
use crate::store::{PrivateNetwork, Store, Vpc, cidr_text, parse_cidr};

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[
    vpcs::OPERATIONS,
    private_networks::OPERATIONS,
    subnets::OPERATIONS,
    routes::OPERATIONS,
    acls::OPERATIONS,
    ingress_rules::OPERATIONS,
    connectors::OPERATIONS,
    object_storage_private_access::OPERATIONS,
];

/// A network: its address (host bits cleared) and prefix length.
type Network = (IpAddr, u8);

/// The region of the request path, refused when the API has no such region.
fn region(req: &Req) -> Result<String, Reply> {
    let region = req.param("region");
    if !REGIONS.contains(&region) {
        return Err(h::constraint("region", format!("unknown region {region}")));
    }
    Ok(region.to_string())
}

/// A `true`/`false` query filter.
fn bool_query(req: &Req, name: &str) -> Result<Option<bool>, Reply> {
    match req.q(name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(other) => Err(h::constraint(
            name,
            format!("{name} must be true or false, not {other}"),
        )),
    }
}

/// The `order_by` asked for, one of `allowed` (the first is the API's default).
fn order_by(req: &Req, allowed: &[&'static str]) -> Result<&'static str, Reply> {
    match req.q("order_by") {
        None => Ok(allowed[0]),
        Some(asked) => allowed
            .iter()
            .copied()
            .find(|a| *a == asked)
            .ok_or_else(|| h::constraint("order_by", format!("unknown order {asked}"))),
    }
}

fn vpc_in<'s>(st: &'s Store, region: &str, id: &str) -> Result<&'s Vpc, Reply> {
    st.vpcs
        .get(id)
        .filter(|v| v.region == region)
        .ok_or_else(|| h::not_found("vpc", id))
}

fn pn_in<'s>(st: &'s Store, region: &str, id: &str) -> Result<&'s PrivateNetwork, Reply> {
    st.pns
        .get(id)
        .filter(|p| p.region == region)
        .ok_or_else(|| h::not_found("private_network", id))
}

/// Routes and ingress rules that do not exist answer with no resource name (recorded).
fn unknown_not_found() -> Reply {
    h::not_found("unknown", "")
}

/// A CIDR argument, parsed; the network in canonical notation with its parts.
fn cidr_argument(name: &str, text: &str) -> Result<(String, Network), Reply> {
    let parsed =
        parse_cidr(text).ok_or_else(|| h::constraint(name, format!("{text} is not a valid CIDR")))?;
    Ok((cidr_text(parsed.0, parsed.1), parsed))
}

/// `name` and `tags` of a PATCH body, applied when present.
fn patch_name_and_tags(body: &Value, name: &mut String, tags: &mut Vec<String>) {
    if let Some(new) = s(body, "name") {
        *name = new.to_string();
    }
    patch_tags(body, tags);
}

fn patch_tags(body: &Value, tags: &mut Vec<String>) {
    if body.get("tags").is_some_and(Value::is_array) {
        *tags = strings(body, "tags");
    }
}
