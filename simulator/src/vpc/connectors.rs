//! VPC connectors: one side of a peering between two VPCs of the region. A connector is
//! `orphan` until the target VPC has one back, then `peered`, or `conflict` when the two VPCs
//! have overlapping subnets.

use std::cmp::Reverse;

use serde_json::{Value, json};

use super::{order_by, patch_name_and_tags, region, vpc_in};
use crate::http::{self as h, OwnerFilter, Reply, Req, Res, paged, s, strings};
use crate::store::{Store, VpcConnector, api_time, cidrs_overlap, new_id};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListVPCConnectors", |st, _, req| list(st, req)),
    ("CreateVPCConnector", |st, _, req| create(st, req)),
    ("GetVPCConnector", |st, _, req| get(st, req)),
    ("UpdateVPCConnector", |st, _, req| update(st, req)),
    ("DeleteVPCConnector", |st, _, req| delete(st, req)),
    ("ListSubnetOverlaps", |st, _, req| list_subnet_overlaps(st, req)),
];

/// Pairs of overlapping subnets: (subnet id, subnet) of the connector's VPC and of its target.
fn overlaps(st: &Store, c: &VpcConnector) -> Vec<(String, String, String, String)> {
    let target = st.vpc_subnets(&c.target_vpc_id);
    st.vpc_subnets(&c.vpc_id)
        .into_iter()
        .flat_map(|(id, net, text)| {
            target
                .iter()
                .filter(move |(_, other, _)| cidrs_overlap(net, *other))
                .map(move |(tid, _, ttext)| (id.clone(), text.clone(), tid.clone(), ttext.clone()))
        })
        .collect()
}

fn status(st: &Store, c: &VpcConnector) -> &'static str {
    let peered = st
        .vpc_connectors
        .values()
        .any(|back| back.vpc_id == c.target_vpc_id && back.target_vpc_id == c.vpc_id);
    match (peered, overlaps(st, c).is_empty()) {
        (false, _) => "orphan",
        (true, true) => "peered",
        (true, false) => "conflict",
    }
}

fn connector_json(st: &Store, c: &VpcConnector) -> Value {
    let status = status(st, c);
    let mut json = json!({
        "id": c.id,
        "name": c.name,
        "organization_id": c.organization,
        "project_id": c.project,
        "vpc_id": c.vpc_id,
        "target_vpc_id": c.target_vpc_id,
        "status": status,
        "region": c.region,
        "tags": c.tags,
        "created_at": c.created,
        "updated_at": c.updated,
    });
    // Who is on the other side is shown once the peering is up.
    if status != "orphan"
        && let Some(target) = st.vpcs.get(&c.target_vpc_id)
    {
        json["peer_info"] = json!({
            "organization_id": target.organization,
            "project_id": target.project,
            "vpc_name": target.name,
        });
    }
    json
}

fn connector_in<'s>(st: &'s Store, req: &Req, region: &str) -> Result<&'s VpcConnector, Reply> {
    let id = req.param("vpc_connector_id");
    st.vpc_connectors
        .get(id)
        .filter(|c| c.region == region)
        .ok_or_else(|| h::not_found("vpc_connector", id))
}

fn create(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let missing: Vec<&str> = ["vpc_id", "target_vpc_id"]
        .into_iter()
        .filter(|k| s(&body, k).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(h::required(&missing));
    }
    let vpc = vpc_in(st, &region, s(&body, "vpc_id").unwrap_or_default())?.clone();
    let target = vpc_in(st, &region, s(&body, "target_vpc_id").unwrap_or_default())?
        .id
        .clone();
    if target == vpc.id {
        return Err(h::constraint(
            "target_vpc_id",
            "a VPC cannot be connected to itself",
        ));
    }
    if st
        .vpc_connectors
        .values()
        .any(|c| c.vpc_id == vpc.id && c.target_vpc_id == target)
    {
        return Err(h::constraint(
            "target_vpc_id",
            "the VPC already has a connector to this VPC",
        ));
    }
    let seq = st.next_seq();
    let now = api_time();
    let connector = VpcConnector {
        id: new_id(),
        seq,
        name: s(&body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("vpc-connector-{seq}")),
        region,
        project: vpc.project.clone(),
        organization: vpc.organization.clone(),
        vpc_id: vpc.id.clone(),
        target_vpc_id: target,
        tags: strings(&body, "tags"),
        created: now.clone(),
        updated: now,
    };
    let id = connector.id.clone();
    st.vpc_connectors.insert(id.clone(), connector);
    Ok(Reply::ok(connector_json(st, &st.vpc_connectors[&id])))
}

fn get(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    Ok(Reply::ok(connector_json(st, connector_in(st, req, &region)?)))
}

fn update(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let id = connector_in(st, req, &region)?.id.clone();
    let c = st
        .vpc_connectors
        .get_mut(&id)
        .ok_or_else(|| h::not_found("vpc_connector", &id))?;
    patch_name_and_tags(&body, &mut c.name, &mut c.tags);
    c.updated = api_time();
    Ok(Reply::ok(connector_json(st, &st.vpc_connectors[&id])))
}

fn delete(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let id = connector_in(st, req, &region)?.id.clone();
    if st
        .vpc_routes
        .values()
        .any(|r| r.nexthop_vpc_connector_id.as_deref() == Some(id.as_str()))
    {
        return Err(h::precondition(
            "resource_still_in_use",
            "routes still lead to the VPC connector",
        ));
    }
    st.vpc_connectors.remove(&id);
    Ok(Reply::no_content())
}

fn list(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let name = req.q("name");
    let tags = req.q_all("tags");
    let owner = OwnerFilter::of(req);
    let vpc_id = req.q("vpc_id");
    let target = req.q("target_vpc_id");
    let wanted_status = req.q("status").filter(|s| *s != "unknown_vpc_connector_status");
    let order = order_by(
        req,
        &["created_at_asc", "created_at_desc", "name_asc", "name_desc"],
    )?;
    let mut connectors: Vec<&VpcConnector> = st
        .vpc_connectors
        .values()
        .filter(|c| {
            c.region == region
                && h::name_matches(name, &c.name)
                && h::tags_match(&tags, &c.tags)
                && owner.matches(st, &c.project)
                && vpc_id.is_none_or(|v| v == c.vpc_id)
                && target.is_none_or(|t| t == c.target_vpc_id)
                && wanted_status.is_none_or(|w| w == status(st, c))
        })
        .collect();
    match order {
        "created_at_desc" => connectors.sort_by_key(|c| Reverse(c.seq)),
        "name_asc" => connectors.sort_by(|a, b| (&a.name, a.seq).cmp(&(&b.name, b.seq))),
        "name_desc" => connectors.sort_by(|a, b| (&b.name, b.seq).cmp(&(&a.name, a.seq))),
        _ => connectors.sort_by_key(|c| c.seq),
    }
    let items = connectors.iter().map(|c| connector_json(st, c)).collect();
    paged(req, "vpc_connectors", items)
}

fn list_subnet_overlaps(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let order = order_by(
        req,
        &[
            "subnet_asc",
            "subnet_desc",
            "target_subnet_asc",
            "target_subnet_desc",
        ],
    )?;
    let connector = connector_in(st, req, &region)?;
    let mut pairs = overlaps(st, connector);
    let key = |p: &(String, String, String, String), target: bool| {
        let text = if target { &p.3 } else { &p.1 };
        crate::store::parse_cidr(text)
    };
    match order {
        "subnet_desc" => pairs.sort_by_key(|p| Reverse(key(p, false))),
        "target_subnet_asc" => pairs.sort_by_key(|p| key(p, true)),
        "target_subnet_desc" => pairs.sort_by_key(|p| Reverse(key(p, true))),
        _ => pairs.sort_by_key(|p| key(p, false)),
    }
    let items = pairs
        .into_iter()
        .map(|(subnet_id, subnet, target_subnet_id, target_subnet)| {
            json!({"subnet_id": subnet_id, "subnet": subnet,
                   "target_subnet_id": target_subnet_id, "target_subnet": target_subnet})
        })
        .collect();
    paged(req, "subnet_overlaps", items)
}
