//! The subnets of private networks: listed across networks, added to and removed from one.

use std::net::IpAddr;

use serde_json::{Value, json};

use super::{Network, cidr_argument, order_by, pn_in, region};
use crate::http::{self as h, OwnerFilter, Reply, Req, Res, paged, strings};
use crate::store::{PrivateNetwork, Store, Subnet, api_time, cidr_text, cidrs_overlap, new_id};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListSubnets", |st, _, req| list(st, req)),
    ("AddSubnets", |st, _, req| add(st, req)),
    ("DeleteSubnets", |st, _, req| delete(st, req)),
];

pub(super) fn subnet_json(p: &PrivateNetwork, s: &Subnet) -> Value {
    json!({"id": s.id, "created_at": s.created, "updated_at": s.created, "subnet": s.subnet,
           "project_id": p.project, "private_network_id": p.id, "vpc_id": p.vpc_id, "region": p.region})
}

/// The first of `taken` that shares addresses with `net`, in canonical notation.
pub(super) fn overlapping(taken: &[(IpAddr, u8)], net: (IpAddr, u8)) -> Option<String> {
    taken
        .iter()
        .find(|t| cidrs_overlap(**t, net))
        .map(|t| cidr_text(t.0, t.1))
}

fn list(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let owner = OwnerFilter::of(req);
    let vpc_id = req.q("vpc_id");
    let ids = req.q_all("subnet_ids");
    let order = order_by(req, &["created_at_asc", "created_at_desc"])?;
    let mut subnets: Vec<(&PrivateNetwork, usize, &Subnet)> = st
        .pns
        .values()
        .filter(|p| {
            p.region == region && owner.matches(st, &p.project) && vpc_id.is_none_or(|v| v == p.vpc_id)
        })
        .flat_map(|p| p.subnets.iter().enumerate().map(move |(i, s)| (p, i, s)))
        .filter(|(_, _, s)| ids.is_empty() || ids.contains(&s.id))
        .collect();
    subnets.sort_by(|a, b| (&a.2.created, a.0.seq, a.1).cmp(&(&b.2.created, b.0.seq, b.1)));
    if order == "created_at_desc" {
        subnets.reverse();
    }
    let items = subnets.into_iter().map(|(p, _, s)| subnet_json(p, s)).collect();
    paged(req, "subnets", items)
}

/// The `subnets` of the body, in canonical notation with their parts.
fn subnets_argument(body: &Value) -> Result<Vec<(String, Network)>, Reply> {
    strings(body, "subnets")
        .iter()
        .map(|text| cidr_argument("subnets", text))
        .collect()
}

fn add(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let pn = pn_in(st, &region, req.param("private_network_id"))?;
    let id = pn.id.clone();
    let mut taken: Vec<(IpAddr, u8)> = st
        .vpc_subnets(&pn.vpc_id)
        .into_iter()
        .map(|(_, net, _)| net)
        .collect();
    let asked = subnets_argument(&body)?;
    // All or nothing: no subnet may overlap one of the VPC or another one asked for.
    for (text, net) in &asked {
        if let Some(other) = overlapping(&taken, *net) {
            return Err(h::constraint(
                "subnets",
                format!("{text} overlaps {other} in the VPC"),
            ));
        }
        taken.push(*net);
    }
    let now = api_time();
    let p = st
        .pns
        .get_mut(&id)
        .ok_or_else(|| h::not_found("private_network", &id))?;
    for (text, _) in &asked {
        p.subnets.push(Subnet {
            id: new_id(),
            subnet: text.clone(),
            created: now.clone(),
        });
    }
    p.updated = now;
    let added: Vec<&String> = asked.iter().map(|(text, _)| text).collect();
    Ok(Reply::ok(json!({ "subnets": added })))
}

fn delete(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let pn = pn_in(st, &region, req.param("private_network_id"))?;
    let asked = subnets_argument(&body)?;
    // All or nothing: every subnet must be the network's and have no address booked in it.
    let mut removed = Vec::new();
    for (text, _) in &asked {
        let Some(subnet) = pn.subnets.iter().find(|s| &s.subnet == text) else {
            return Err(h::constraint(
                "subnets",
                format!("{text} is not a subnet of the Private Network"),
            ));
        };
        if st.subnet_in_use(&subnet.id) {
            return Err(h::precondition(
                "resource_still_in_use",
                format!("IP addresses are still booked in {text}"),
            ));
        }
        removed.push(subnet.id.clone());
    }
    let id = pn.id.clone();
    let p = st
        .pns
        .get_mut(&id)
        .ok_or_else(|| h::not_found("private_network", &id))?;
    p.subnets.retain(|s| !removed.contains(&s.id));
    p.updated = api_time();
    let texts: Vec<&String> = asked.iter().map(|(text, _)| text).collect();
    Ok(Reply::ok(json!({ "subnets": texts })))
}
