//! Custom routes of a VPC: traffic to a destination goes to a nexthop, a resource (private NIC,
//! IPAM address) in one of the VPC's private networks, or a VPC connector.

use std::cmp::Reverse;
use std::net::IpAddr;

use serde_json::{Value, json};

use super::{bool_query, cidr_argument, order_by, patch_tags, pn_in, region, unknown_not_found, vpc_in};
use crate::http::{self as h, Reply, Req, Res, paged, s, strings};
use crate::store::{NIC_RESOURCE, Store, VpcRoute, api_time, cidr_contains, new_id, parse_cidr};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("CreateRoute", |st, _, req| create(st, req)),
    ("GetRoute", |st, _, req| get(st, req)),
    ("UpdateRoute", |st, _, req| update(st, req)),
    ("DeleteRoute", |st, _, req| delete(st, req)),
    ("ListRoutesWithNexthop", |st, _, req| list_with_nexthop(st, req)),
];

/// The nexthop resource types the API names (`RouteWithNexthop.nexthop_resource_type`).
const NEXTHOP_TYPES: &[&str] = &[
    "vpc_gateway_network",
    "instance_private_nic",
    "baremetal_private_nic",
    "apple_silicon_private_nic",
    "vpn_gateway",
];

fn route_json(r: &VpcRoute) -> Value {
    json!({
        "id": r.id,
        "description": r.description,
        "tags": r.tags,
        "vpc_id": r.vpc_id,
        "destination": r.destination,
        "nexthop_resource_id": r.nexthop_resource_id,
        "nexthop_private_network_id": r.nexthop_private_network_id,
        "nexthop_vpc_connector_id": r.nexthop_vpc_connector_id,
        "created_at": r.created,
        "updated_at": r.updated,
        "is_read_only": false,
        "type": "custom",
        "region": r.region,
    })
}

/// What a nexthop resource id names: its private network, and the address, name and type the
/// API shows with the route.
struct Nexthop {
    private_network_id: String,
    ip: Option<String>,
    name: Option<String>,
    kind: &'static str,
}

/// A private NIC (its address of the route's family), or an IPAM address.
fn nexthop_of(st: &Store, resource_id: &str, is_ipv6: bool) -> Option<Nexthop> {
    if let Some(nic) = st.nics.get(resource_id) {
        let ip = nic
            .ipam_ip_ids
            .iter()
            .filter_map(|id| st.ipam.get(id))
            .find(|ip| ip.is_ipv6() == is_ipv6)
            .map(|ip| ip.address.to_string());
        return Some(Nexthop {
            private_network_id: nic.private_network_id.clone(),
            ip,
            name: st.servers.get(&nic.server_id).map(|s| s.name.clone()),
            kind: NIC_RESOURCE,
        });
    }
    let ip = st.ipam.get(resource_id)?;
    let resource = ip.resource.as_ref();
    let kind = resource
        .and_then(|r| NEXTHOP_TYPES.iter().copied().find(|t| *t == r.kind))
        .unwrap_or("unknown_type");
    Some(Nexthop {
        private_network_id: ip.private_network_id.clone(),
        ip: Some(ip.address.to_string()),
        name: resource.and_then(|r| r.name.clone()),
        kind,
    })
}

fn route_is_ipv6(r: &VpcRoute) -> bool {
    r.destination.contains(':')
}

/// Checks a route's destination and nexthops against its VPC; the destination comes back in
/// canonical notation, and the network of a nexthop resource is filled in.
fn validate(st: &Store, region: &str, mut route: VpcRoute) -> Result<VpcRoute, Reply> {
    let (destination, parsed) = cidr_argument("destination", &route.destination)?;
    route.destination = destination;
    if !vpc_in(st, region, &route.vpc_id)?.routing_enabled {
        return Err(h::precondition(
            "resource_not_usable",
            "routing must be enabled on the VPC to add routes",
        ));
    }
    if route.nexthop_resource_id.is_none()
        && route.nexthop_private_network_id.is_none()
        && route.nexthop_vpc_connector_id.is_none()
    {
        return Err(h::constraint(
            "nexthop_resource_id",
            "a nexthop is required (resource, Private Network or VPC connector)",
        ));
    }
    check_nexthop_network(st, region, &route)?;
    if let Some(resource_id) = &route.nexthop_resource_id {
        let network = nexthop_resource_network(st, &route, resource_id, parsed.0.is_ipv6())?;
        route.nexthop_private_network_id = Some(network);
    }
    check_nexthop_connector(st, region, &route)?;
    Ok(route)
}

fn check_nexthop_network(st: &Store, region: &str, route: &VpcRoute) -> Result<(), Reply> {
    match &route.nexthop_private_network_id {
        Some(pn_id) if pn_in(st, region, pn_id)?.vpc_id != route.vpc_id => Err(h::constraint(
            "nexthop_private_network_id",
            "the Private Network is not in the route's VPC",
        )),
        _ => Ok(()),
    }
}

/// The private network of a nexthop resource, which must be in the route's VPC (and be the
/// network the route names, if it names one).
fn nexthop_resource_network(
    st: &Store,
    route: &VpcRoute,
    resource_id: &str,
    is_ipv6: bool,
) -> Result<String, Reply> {
    let Some(nexthop) = nexthop_of(st, resource_id, is_ipv6) else {
        return Err(h::constraint(
            "nexthop_resource_id",
            format!("unknown resource {resource_id}"),
        ));
    };
    let in_vpc = st
        .pns
        .get(&nexthop.private_network_id)
        .is_some_and(|p| p.vpc_id == route.vpc_id);
    let same_network = route
        .nexthop_private_network_id
        .as_ref()
        .is_none_or(|pn| *pn == nexthop.private_network_id);
    if !in_vpc || !same_network {
        return Err(h::constraint(
            "nexthop_resource_id",
            "the resource is not in the route's VPC and Private Network",
        ));
    }
    Ok(nexthop.private_network_id)
}

fn check_nexthop_connector(st: &Store, region: &str, route: &VpcRoute) -> Result<(), Reply> {
    let Some(connector_id) = &route.nexthop_vpc_connector_id else {
        return Ok(());
    };
    let connector = st
        .vpc_connectors
        .get(connector_id)
        .filter(|c| c.region == region)
        .ok_or_else(|| h::not_found("vpc_connector", connector_id))?;
    if connector.vpc_id != route.vpc_id {
        return Err(h::constraint(
            "nexthop_vpc_connector_id",
            "the VPC connector does not start from the route's VPC",
        ));
    }
    Ok(())
}

fn create(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let missing: Vec<&str> = ["description", "vpc_id", "destination"]
        .into_iter()
        .filter(|k| s(&body, k).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(h::required(&missing));
    }
    let now = api_time();
    let draft = VpcRoute {
        id: new_id(),
        seq: 0,
        vpc_id: s(&body, "vpc_id").unwrap_or_default().to_string(),
        region: region.clone(),
        description: s(&body, "description").unwrap_or_default().to_string(),
        tags: strings(&body, "tags"),
        destination: s(&body, "destination").unwrap_or_default().to_string(),
        nexthop_resource_id: s(&body, "nexthop_resource_id").map(str::to_string),
        nexthop_private_network_id: s(&body, "nexthop_private_network_id").map(str::to_string),
        nexthop_vpc_connector_id: s(&body, "nexthop_vpc_connector_id").map(str::to_string),
        created: now.clone(),
        updated: now,
    };
    let mut route = validate(st, &region, draft)?;
    route.seq = st.next_seq();
    let json = route_json(&route);
    st.vpc_routes.insert(route.id.clone(), route);
    Ok(Reply::ok(json))
}

fn route_in<'s>(st: &'s Store, req: &Req, region: &str) -> Result<&'s VpcRoute, Reply> {
    st.vpc_routes
        .get(req.param("route_id"))
        .filter(|r| r.region == region)
        .ok_or_else(unknown_not_found)
}

fn get(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    Ok(Reply::ok(route_json(route_in(st, req, &region)?)))
}

fn update(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let mut route = route_in(st, req, &region)?.clone();
    if let Some(description) = s(&body, "description") {
        route.description = description.to_string();
    }
    patch_tags(&body, &mut route.tags);
    if let Some(destination) = s(&body, "destination") {
        route.destination = destination.to_string();
    }
    // A new nexthop resource replaces the old one with its network, unless a network is named.
    if let Some(resource) = s(&body, "nexthop_resource_id") {
        route.nexthop_resource_id = Some(resource.to_string());
        route.nexthop_private_network_id = None;
    }
    if let Some(pn) = s(&body, "nexthop_private_network_id") {
        route.nexthop_private_network_id = Some(pn.to_string());
    }
    if let Some(connector) = s(&body, "nexthop_vpc_connector_id") {
        route.nexthop_vpc_connector_id = Some(connector.to_string());
    }
    let mut route = validate(st, &region, route)?;
    route.updated = api_time();
    let json = route_json(&route);
    st.vpc_routes.insert(route.id.clone(), route);
    Ok(Reply::ok(json))
}

fn delete(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let id = route_in(st, req, &region)?.id.clone();
    st.vpc_routes.remove(&id);
    Ok(Reply::no_content())
}

fn with_nexthop_json(st: &Store, r: &VpcRoute) -> Value {
    let nexthop = r
        .nexthop_resource_id
        .as_ref()
        .and_then(|id| nexthop_of(st, id, route_is_ipv6(r)));
    json!({
        "route": route_json(r),
        "nexthop_ip": nexthop.as_ref().and_then(|n| n.ip.clone()),
        "nexthop_name": nexthop.as_ref().and_then(|n| n.name.clone()),
        "nexthop_resource_type": nexthop.as_ref().map_or("unknown_type", |n| n.kind),
    })
}

fn list_with_nexthop(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let vpc_id = req.q("vpc_id");
    let resource_id = req.q("nexthop_resource_id");
    let pn_id = req.q("nexthop_private_network_id");
    // `unknown_type` is the SDKs' default and filters nothing.
    let resource_type = req.q("nexthop_resource_type").filter(|t| *t != "unknown_type");
    let connector_id = req.q("nexthop_vpc_connector_id");
    let contains = match req.q("contains") {
        None => None,
        Some(text) => Some(
            parse_cidr(text)
                .ok_or_else(|| h::constraint("contains", format!("{text} is not a valid CIDR")))?,
        ),
    };
    let tags = req.q_all("tags");
    let is_ipv6 = bool_query(req, "is_ipv6")?;
    let order = order_by(
        req,
        &[
            "created_at_asc",
            "created_at_desc",
            "destination_asc",
            "destination_desc",
            "prefix_len_asc",
            "prefix_len_desc",
        ],
    )?;
    let mut routes: Vec<&VpcRoute> = st
        .vpc_routes
        .values()
        .filter(|r| {
            let destination = parse_cidr(&r.destination);
            r.region == region
                && vpc_id.is_none_or(|v| v == r.vpc_id)
                && resource_id.is_none_or(|x| Some(x) == r.nexthop_resource_id.as_deref())
                && pn_id.is_none_or(|x| Some(x) == r.nexthop_private_network_id.as_deref())
                && connector_id.is_none_or(|x| Some(x) == r.nexthop_vpc_connector_id.as_deref())
                && resource_type.is_none_or(|t| {
                    r.nexthop_resource_id
                        .as_ref()
                        .and_then(|id| nexthop_of(st, id, route_is_ipv6(r)))
                        .is_some_and(|n| n.kind == t)
                })
                && contains.is_none_or(|c| destination.is_some_and(|d| cidr_contains(c, d)))
                && h::tags_match(&tags, &r.tags)
                && is_ipv6.is_none_or(|v6| v6 == route_is_ipv6(r))
        })
        .collect();
    sort_routes(&mut routes, order);
    let items = routes.iter().map(|r| with_nexthop_json(st, r)).collect();
    paged(req, "routes", items)
}

fn sort_routes(routes: &mut [&VpcRoute], order: &str) {
    let network = |r: &VpcRoute| parse_cidr(&r.destination).unwrap_or((IpAddr::from([0, 0, 0, 0]), 0));
    match order {
        "created_at_desc" => routes.sort_by_key(|r| Reverse(r.seq)),
        "destination_asc" => routes.sort_by_key(|r| (network(r), r.seq)),
        "destination_desc" => routes.sort_by_key(|r| Reverse((network(r), r.seq))),
        "prefix_len_asc" => routes.sort_by_key(|r| (network(r).1, r.seq)),
        "prefix_len_desc" => routes.sort_by_key(|r| Reverse((network(r).1, r.seq))),
        _ => routes.sort_by_key(|r| r.seq),
    }
}
