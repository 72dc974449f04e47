//! Private networks: each in a VPC (the project's default one unless named), with an IPv4 and an
//! IPv6 subnet at least.

use std::cmp::Reverse;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};

use super::subnets::{overlapping, subnet_json};
use super::vpcs::default_vpc;
use super::{bool_query, cidr_argument, order_by, patch_name_and_tags, pn_in, region, vpc_in};
use crate::http::{self as h, OwnerFilter, Reply, Req, Res, paged, project_of, s, strings};
use crate::store::{Created, CreatedKind, PrivateNetwork, Store, Subnet, api_time, cidr_text, new_id};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListPrivateNetworks", |st, _, req| list(st, req)),
    ("CreatePrivateNetwork", |st, _, req| create(st, req)),
    ("GetPrivateNetwork", |st, _, req| get(st, req)),
    ("UpdatePrivateNetwork", |st, _, req| update(st, req)),
    ("DeletePrivateNetwork", |st, _, req| delete(st, req)),
    ("EnableDHCP", |st, _, req| enable_dhcp(st, req)),
];

pub(super) fn pn_json(p: &PrivateNetwork) -> Value {
    let subnets: Vec<Value> = p.subnets.iter().map(|s| subnet_json(p, s)).collect();
    json!({
        "id": p.id,
        "name": p.name,
        "tags": p.tags,
        "organization_id": p.organization,
        "created_at": p.created,
        "updated_at": p.updated,
        "project_id": p.project,
        "subnets": subnets,
        "vpc_id": p.vpc_id,
        "dhcp_enabled": p.dhcp_enabled,
        "default_route_propagation_enabled": p.default_route_propagation_enabled,
        // The spec also declares the newer name, `has_object_storage_private_access`; the API's
        // answers carry only this one (recorded), and the filters accept both.
        "has_s3_integration": p.object_storage_private_access,
        "region": p.region,
    })
}

fn list(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let owner = OwnerFilter::of(req);
    let name = req.q("name");
    let tags = req.q_all("tags");
    let vpc_id = req.q("vpc_id");
    let ids = req.q_all("private_network_ids");
    let dhcp = bool_query(req, "dhcp_enabled")?;
    let s3 = bool_query(req, "s3_integration_enabled")?;
    let private_access = bool_query(req, "object_storage_private_access_enabled")?;
    let order = order_by(
        req,
        &["created_at_asc", "created_at_desc", "name_asc", "name_desc"],
    )?;
    let mut pns: Vec<&PrivateNetwork> = st
        .pns
        .values()
        .filter(|p| {
            p.region == region
                && owner.matches(st, &p.project)
                && h::name_matches(name, &p.name)
                && h::tags_match(&tags, &p.tags)
                && vpc_id.is_none_or(|v| v == p.vpc_id)
                && (ids.is_empty() || ids.contains(&p.id))
                && dhcp.is_none_or(|d| d == p.dhcp_enabled)
                && s3.is_none_or(|x| x == p.object_storage_private_access)
                && private_access.is_none_or(|x| x == p.object_storage_private_access)
        })
        .collect();
    match order {
        "created_at_desc" => pns.sort_by_key(|p| Reverse(p.seq)),
        "name_asc" => pns.sort_by(|a, b| (&a.name, a.seq).cmp(&(&b.name, b.seq))),
        "name_desc" => pns.sort_by(|a, b| (&b.name, b.seq).cmp(&(&a.name, a.seq))),
        _ => pns.sort_by_key(|p| p.seq),
    }
    let items = pns.into_iter().map(pn_json).collect();
    paged(req, "private_networks", items)
}

/// The subnets a new private network gets: those asked for, plus an IPv4 /22 from 172.16.0.0/12
/// and an IPv6 ULA /64 when none of that family was asked for (the API always adds both).
fn new_subnets(st: &mut Store, vpc_id: &str, body: &Value) -> Result<Vec<String>, Reply> {
    let mut taken: Vec<(IpAddr, u8)> = st
        .vpc_subnets(vpc_id)
        .into_iter()
        .map(|(_, net, _)| net)
        .collect();
    let mut chosen = Vec::new();
    for text in strings(body, "subnets") {
        let (canonical, net) = cidr_argument("subnets", &text)?;
        let size_ok = match net.0 {
            IpAddr::V4(_) => (8..=29).contains(&net.1),
            IpAddr::V6(_) => net.1 <= 64,
        };
        if !size_ok {
            return Err(h::constraint("subnets", format!("invalid subnet size {text}")));
        }
        if let Some(other) = overlapping(&taken, net) {
            return Err(h::constraint(
                "subnets",
                format!("{canonical} overlaps {other} in the VPC"),
            ));
        }
        taken.push(net);
        chosen.push(canonical);
    }
    if !chosen.iter().any(|c| !c.contains(':')) {
        let v4 = free_v4_subnet(st, &taken)?;
        chosen.insert(0, v4);
    }
    if !chosen.iter().any(|c| c.contains(':')) {
        chosen.push(next_v6_subnet(st));
    }
    Ok(chosen)
}

/// The next /22 of 172.16.0.0/12 that overlaps nothing in the VPC; the first one is left out as
/// the API does.
fn free_v4_subnet(st: &mut Store, taken: &[(IpAddr, u8)]) -> Result<String, Reply> {
    for _ in 0..1023 {
        st.subnet_counter += 1;
        let n = st.subnet_counter % 1023 + 1;
        let net = (IpAddr::V4(Ipv4Addr::from(0xAC10_0000 + n * 1024)), 22);
        if overlapping(taken, net).is_none() {
            return Ok(cidr_text(net.0, net.1));
        }
    }
    Err(h::precondition(
        "resource_not_usable",
        "no free IPv4 subnet left in the VPC",
    ))
}

/// A ULA /64 unique to this network, in canonical notation.
fn next_v6_subnet(st: &mut Store) -> String {
    st.subnet_counter += 1;
    let n = st.subnet_counter;
    let address = Ipv6Addr::new(
        0xfd5c,
        ((n >> 16) & 0xffff) as u16,
        (n & 0xffff) as u16,
        (n.wrapping_mul(2654435761) & 0xffff) as u16,
        0,
        0,
        0,
        0,
    );
    cidr_text(IpAddr::V6(address), 64)
}

fn create(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let project = project_of(st, &body, "project_id", "private_network")?;
    let vpc_id = match s(&body, "vpc_id") {
        Some(id) => vpc_in(st, &region, id)?.id.clone(),
        None => default_vpc(st, &region, &project),
    };
    let subnets = new_subnets(st, &vpc_id, &body)?;
    let now = api_time();
    let seq = st.next_seq();
    let id = new_id();
    let pn = PrivateNetwork {
        id: id.clone(),
        seq,
        name: s(&body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("pn-{seq}")),
        region,
        project,
        organization: st.organization.clone(),
        vpc_id,
        tags: strings(&body, "tags"),
        subnets: subnets
            .into_iter()
            .map(|subnet| Subnet {
                id: new_id(),
                subnet,
                created: now.clone(),
            })
            .collect(),
        default_route_propagation_enabled: body
            .get("default_route_propagation_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        created: now.clone(),
        updated: now,
        dhcp_enabled: true,
        object_storage_private_access: false,
    };
    let json = pn_json(&pn);
    st.record(Created::new(
        CreatedKind::PrivateNetwork,
        &id,
        &pn.project,
        &pn.region,
        &pn.name,
        &pn.tags,
    ));
    st.pns.insert(id, pn);
    Ok(Reply::ok(json))
}

fn get(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    Ok(Reply::ok(pn_json(pn_in(
        st,
        &region,
        req.param("private_network_id"),
    )?)))
}

/// Applies `change` to the private network of the path and answers it.
fn change_pn(st: &mut Store, req: &Req, change: impl FnOnce(&mut PrivateNetwork)) -> Res {
    let region = region(req)?;
    let id = pn_in(st, &region, req.param("private_network_id"))?.id.clone();
    let p = st
        .pns
        .get_mut(&id)
        .ok_or_else(|| h::not_found("private_network", &id))?;
    change(p);
    p.updated = api_time();
    Ok(Reply::ok(pn_json(p)))
}

fn update(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    change_pn(st, req, |p| {
        patch_name_and_tags(&body, &mut p.name, &mut p.tags);
        if let Some(b) = body
            .get("default_route_propagation_enabled")
            .and_then(Value::as_bool)
        {
            p.default_route_propagation_enabled = b;
        }
    })
}

fn enable_dhcp(st: &mut Store, req: &Req) -> Res {
    change_pn(st, req, |p| p.dhcp_enabled = true)
}

fn delete(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let id = pn_in(st, &region, req.param("private_network_id"))?.id.clone();
    // Booked addresses hold the network as NICs do, and so do the routes and ingress rules
    // leading into it.
    let in_use = st.nics.values().any(|n| n.private_network_id == id)
        || st.ipam.values().any(|ip| ip.private_network_id == id)
        || st
            .vpc_routes
            .values()
            .any(|r| r.nexthop_private_network_id.as_deref() == Some(id.as_str()))
        || st
            .ingress_rules
            .values()
            .any(|r| r.nexthop_private_network_id == id);
    if in_use {
        return Err(h::precondition(
            "resource_still_in_use",
            "Private Network must be empty to be deleted",
        ));
    }
    st.pns.remove(&id);
    Ok(Reply::no_content())
}
