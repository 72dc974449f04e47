//! Addresses booked in private network subnets: booked, listed, updated, attached to custom
//! resources, moved, detached and released.

use std::cmp::Reverse;
use std::net::IpAddr;

use serde_json::{Value, json};

use crate::catalog::REGIONS;
use crate::http::{self as h, OwnerFilter, Reply, Req, Res, s, strings};
use crate::store::{Booking, BookingError, IpamIp, IpamResource, IpamReverse, NIC_RESOURCE, Store, api_time};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListIPs", |st, _, req| list(st, req, &region(req)?)),
    ("BookIP", |st, _, req| book(st, req, &region(req)?)),
    ("GetIP", |st, _, req| get(st, req)),
    ("UpdateIP", |st, _, req| update(st, req)),
    ("ReleaseIP", |st, _, req| release(st, req)),
    ("ReleaseIPSet", |st, _, req| release_set(st, req)),
    ("AttachIP", |st, _, req| attach_detach_or_move(st, req)),
    ("DetachIP", |st, _, req| attach_detach_or_move(st, req)),
    ("MoveIP", |st, _, req| attach_detach_or_move(st, req)),
];

/// The region of the request path, refused when the API has no such region.
fn region(req: &Req) -> Result<String, Reply> {
    let region = req.param("region");
    if !REGIONS.contains(&region) {
        return Err(h::constraint("region", format!("unknown region {region}")));
    }
    Ok(region.to_string())
}

/// The resource an address is attached to, as IPAM shows it now: a NIC's address carries the
/// current name of its server (renaming a server renames its DNS record).
fn resource_of(st: &Store, ip: &IpamIp) -> Option<IpamResource> {
    let mut resource = ip.resource.clone()?;
    if resource.kind == NIC_RESOURCE
        && let Some(server) = st
            .nics
            .get(&resource.id)
            .and_then(|nic| st.servers.get(&nic.server_id))
    {
        resource.name = Some(server.name.clone());
    }
    Some(resource)
}

fn ip_json(st: &Store, ip: &IpamIp) -> Value {
    let resource = resource_of(st, ip).map(|r| {
        json!({
            "type": r.kind,
            "id": r.id,
            // The API shows MAC addresses in capitals, whatever case they were given in.
            "mac_address": r.mac.map(|m| m.to_uppercase()),
            "name": r.name,
        })
    });
    let reverses: Vec<Value> = ip
        .reverses
        .iter()
        .map(|r| json!({"hostname": r.hostname, "address": r.address}))
        .collect();
    json!({
        "id": ip.id,
        "address": ip.cidr(),
        "project_id": ip.project,
        "is_ipv6": ip.is_ipv6(),
        "created_at": ip.created,
        "updated_at": ip.updated,
        "source": {"subnet_id": ip.subnet_id},
        "resource": resource,
        "tags": ip.tags,
        "reverses": reverses,
        "region": ip.region,
        // Addresses of private networks are regional.
        "zone": null,
    })
}

fn ip<'s>(st: &'s Store, req: &Req, region: &str) -> Result<&'s IpamIp, Reply> {
    let id = req.param("ip_id");
    st.ipam
        .get(id)
        .filter(|ip| ip.region == region)
        .ok_or_else(|| h::not_found("ip", id))
}

/// A `true`/`false` query filter.
fn bool_filter(req: &Req, name: &str) -> Result<Option<bool>, Reply> {
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

/// A `CustomResource` of a request body (`{mac_address, name}`).
fn custom_resource(body: &Value, key: &str) -> Result<Option<IpamResource>, Reply> {
    let Some(value) = body.get(key).filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let Some(mac) = s(value, "mac_address") else {
        return Err(h::required(&[&format!("{key}.mac_address")]));
    };
    Ok(Some(IpamResource {
        kind: "custom".to_string(),
        // The API's id for a custom resource is not in the recordings; a fresh id keeps
        // `resource_id` filters meaningful.
        id: crate::store::new_id(),
        mac: Some(mac.to_string()),
        name: s(value, "name").map(str::to_string),
    }))
}

fn same_mac(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// Standard resources (NICs, ...) are attached and detached by their own API, never by IPAM's
/// attach, detach or move.
fn custom_only(ip: &IpamIp) -> Result<(), Reply> {
    match &ip.resource {
        Some(r) if r.kind != "custom" => Err(h::precondition(
            "resource_not_usable",
            format!(
                "the IP is attached to a {} and is managed by its product's API",
                r.kind
            ),
        )),
        _ => Ok(()),
    }
}

fn list(st: &Store, req: &Req, region: &str) -> Res {
    let (page, size) = h::standard_page(req)?;
    let owner = OwnerFilter::of(req);
    let zonal = req.q("zonal");
    let regional = bool_filter(req, "regional")?;
    let private_network = req.q("private_network_id");
    let subnet = req.q("subnet_id");
    let source_vpc = req.q("source_vpc_id");
    let vpc = req.q("vpc_id");
    let attached = bool_filter(req, "attached")?;
    let resource_name = req.q("resource_name");
    let resource_id = req.q("resource_id");
    let resource_ids = req.q_all("resource_ids");
    // `unknown_type` is the SDKs' default and filters nothing (recorded).
    let resource_type = req.q("resource_type").filter(|t| *t != "unknown_type");
    let resource_types: Vec<String> = req
        .q_all("resource_types")
        .into_iter()
        .filter(|t| t != "unknown_type")
        .collect();
    let mac = req.q("mac_address");
    let tags = req.q_all("tags");
    let is_ipv6 = bool_filter(req, "is_ipv6")?;
    let ip_ids = req.q_all("ip_ids");

    let vpc_of = |ip: &IpamIp| st.pns.get(&ip.private_network_id).map(|p| p.vpc_id.as_str());
    let mut ips: Vec<(&IpamIp, Option<IpamResource>)> = st
        .ipam
        .values()
        .filter(|ip| ip.region == region)
        .map(|ip| (ip, resource_of(st, ip)))
        .filter(|(ip, resource)| {
            let kind = resource.as_ref().map(|r| r.kind.as_str());
            let id = resource.as_ref().map(|r| r.id.as_str());
            owner.matches(st, &ip.project)
                // Every address here comes from a private network: none is zonal or from the
                // regional public pool.
                && zonal.is_none()
                && regional != Some(true)
                && private_network.is_none_or(|p| p == ip.private_network_id)
                && subnet.is_none_or(|s| s == ip.subnet_id)
                && source_vpc.is_none_or(|v| Some(v) == vpc_of(ip))
                && vpc.is_none_or(|v| resource.is_some() && Some(v) == vpc_of(ip))
                && attached.is_none_or(|a| a == resource.is_some())
                && resource_name.is_none_or(|n| {
                    resource
                        .as_ref()
                        .and_then(|r| r.name.as_deref())
                        .is_some_and(|name| name.contains(n))
                })
                && resource_id.is_none_or(|r| Some(r) == id)
                && (resource_ids.is_empty() || id.is_some_and(|id| resource_ids.iter().any(|r| r == id)))
                && resource_type.is_none_or(|t| Some(t) == kind)
                && (resource_types.is_empty() || kind.is_some_and(|k| resource_types.iter().any(|t| t == k)))
                && mac.is_none_or(|m| same_mac(Some(m), resource.as_ref().and_then(|r| r.mac.as_deref())))
                // Tags: an address with any of the listed tags.
                && (tags.is_empty() || tags.iter().any(|t| ip.tags.contains(t)))
                && is_ipv6.is_none_or(|v6| v6 == ip.is_ipv6())
                && (ip_ids.is_empty() || ip_ids.contains(&ip.id))
        })
        .collect();

    let mac_key = |r: &Option<IpamResource>| r.as_ref().and_then(|r| r.mac.clone()).map(|m| m.to_uppercase());
    match req.q("order_by").unwrap_or("created_at_desc") {
        "created_at_asc" | "attached_at_asc" => ips.sort_by_key(|(ip, _)| ip.seq),
        "created_at_desc" | "attached_at_desc" => ips.sort_by_key(|(ip, _)| Reverse(ip.seq)),
        "updated_at_asc" => ips.sort_by(|a, b| (&a.0.updated, a.0.seq).cmp(&(&b.0.updated, b.0.seq))),
        "updated_at_desc" => ips.sort_by(|a, b| (&b.0.updated, b.0.seq).cmp(&(&a.0.updated, a.0.seq))),
        "ip_address_asc" => ips.sort_by_key(|(ip, _)| ip.address),
        "ip_address_desc" => ips.sort_by_key(|(ip, _)| Reverse(ip.address)),
        "mac_address_asc" => ips.sort_by_key(|(ip, r)| (mac_key(r), ip.seq)),
        "mac_address_desc" => ips.sort_by_key(|(ip, r)| Reverse((mac_key(r), ip.seq))),
        other => return Err(h::constraint("order_by", format!("unknown order {other}"))),
    }
    let total = ips.len();
    let page: Vec<Value> = ips
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|(ip, _)| ip_json(st, ip))
        .collect();
    Ok(Reply::ok(json!({"total_count": total, "ips": page})))
}

fn book(st: &mut Store, req: &Req, region: &str) -> Res {
    let body = req.json()?;
    let Some(source) = body.get("source").filter(|v| v.is_object()) else {
        return Err(h::required(&["source"]));
    };
    // Only private network sources can be booked in; a subnet names its private network.
    let subnet_id = s(source, "subnet_id");
    let private_network_id = match (s(source, "private_network_id"), subnet_id) {
        (Some(pn), _) => pn.to_string(),
        (None, Some(subnet)) => st
            .pns
            .values()
            .find(|p| p.region == region && p.subnets.iter().any(|s| s.id == subnet))
            .map(|p| p.id.clone())
            .ok_or_else(|| h::not_found("subnet", subnet))?,
        (None, None) => {
            return Err(h::constraint(
                "source",
                "IPs can only be booked in a Private Network (source.private_network_id or source.subnet_id)",
            ));
        }
    };
    let Some(pn) = st.pns.get(&private_network_id).filter(|p| p.region == region) else {
        return Err(h::not_found("private_network", &private_network_id));
    };
    let project = s(&body, "project_id").unwrap_or(&pn.project).to_string();
    if project != pn.project {
        return Err(h::constraint(
            "project_id",
            "the project must be the Private Network's project",
        ));
    }
    let address = match s(&body, "address") {
        None => None,
        Some(text) => Some(text.parse::<IpAddr>().map_err(|_| {
            h::constraint(
                "address",
                format!("{text} is not an IP address (without a prefix length)"),
            )
        })?),
    };
    let is_ipv6 = body.get("is_ipv6").and_then(Value::as_bool).unwrap_or(false);
    if address.is_some_and(|a| a.is_ipv6() != is_ipv6) {
        return Err(h::constraint(
            "address",
            "the address is not of the family asked for (is_ipv6)",
        ));
    }
    let booking = Booking {
        private_network_id,
        is_ipv6,
        address,
        project,
        tags: strings(&body, "tags"),
        resource: custom_resource(&body, "resource")?,
    };
    let id = st.book_ipam_in(booking, subnet_id).map_err(|e| match e {
        BookingError::NoSubnet => h::precondition(
            "resource_not_usable",
            "the Private Network has no subnet of this family",
        ),
        BookingError::NotInSubnet => h::constraint(
            "address",
            "the address is not a host address of the Private Network's subnet",
        ),
        BookingError::Taken => h::precondition("resource_not_usable", "the address is already booked"),
        BookingError::Exhausted => {
            h::precondition("resource_not_usable", "no free address in the Private Network")
        }
    })?;
    Ok(Reply::ok(ip_json(st, &st.ipam[&id])))
}

/// Only addresses attached to nothing can be released.
fn releasable(ip: &IpamIp) -> Result<(), Reply> {
    match &ip.resource {
        Some(r) => Err(h::precondition(
            "resource_still_in_use",
            format!("the IP is attached to {} {}", r.kind, r.id),
        )),
        None => Ok(()),
    }
}

fn get(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    Ok(Reply::ok(ip_json(st, ip(st, req, &region)?)))
}

fn release(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let found = ip(st, req, &region)?;
    releasable(found)?;
    let id = found.id.clone();
    st.ipam.remove(&id);
    Ok(Reply::no_content())
}

fn release_set(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let ids = strings(&body, "ip_ids");
    // All or nothing: every address is checked before any is released.
    for id in &ids {
        let found = st
            .ipam
            .get(id)
            .filter(|ip| ip.region == region)
            .ok_or_else(|| h::not_found("ip", id))?;
        releasable(found)?;
    }
    for id in &ids {
        st.ipam.remove(id);
    }
    Ok(Reply::no_content())
}

/// The `reverses` of an update body, when given.
fn reverses_of(body: &Value) -> Result<Option<Vec<IpamReverse>>, Reply> {
    let Some(list) = body.get("reverses").and_then(Value::as_array) else {
        return Ok(None);
    };
    let mut parsed = Vec::new();
    for r in list {
        let Some(hostname) = s(r, "hostname") else {
            return Err(h::required(&["reverses.hostname"]));
        };
        parsed.push(IpamReverse {
            hostname: hostname.to_string(),
            address: s(r, "address").map(str::to_string),
        });
    }
    Ok(Some(parsed))
}

fn update(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let id = ip(st, req, &region)?.id.clone();
    let reverses = reverses_of(&body)?;
    let ip = st.ipam.get_mut(&id).ok_or_else(|| h::not_found("ip", &id))?;
    if body.get("tags").is_some_and(Value::is_array) {
        ip.tags = strings(&body, "tags");
    }
    if let Some(reverses) = reverses {
        ip.reverses = reverses;
    }
    ip.updated = api_time();
    Ok(Reply::ok(ip_json(st, &st.ipam[&id])))
}

/// The resource an address gets from AttachIP, DetachIP (none) or MoveIP.
fn new_resource(
    req: &Req,
    body: &Value,
    current: Option<&IpamResource>,
) -> Result<Option<IpamResource>, Reply> {
    if req.op.id == "AttachIP" {
        let Some(resource) = custom_resource(body, "resource")? else {
            return Err(h::required(&["resource"]));
        };
        if current.is_some() {
            return Err(h::precondition(
                "resource_still_in_use",
                "the IP is already attached",
            ));
        }
        return Ok(Some(resource));
    }
    let key = if req.op.id == "DetachIP" {
        "resource"
    } else {
        "from_resource"
    };
    let Some(from) = custom_resource(body, key)? else {
        return Err(h::required(&[key]));
    };
    // The resource named must be the one the address is attached to.
    if !same_mac(from.mac.as_deref(), current.and_then(|r| r.mac.as_deref())) {
        return Err(h::precondition(
            "resource_not_usable",
            format!("the IP is not attached to the resource given in {key}"),
        ));
    }
    if req.op.id == "MoveIP" {
        custom_resource(body, "to_resource")
    } else {
        Ok(None)
    }
}

fn attach_detach_or_move(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let found = ip(st, req, &region)?;
    custom_only(found)?;
    let id = found.id.clone();
    let resource = new_resource(req, &body, found.resource.as_ref())?;
    let ip = st.ipam.get_mut(&id).ok_or_else(|| h::not_found("ip", &id))?;
    ip.resource = resource;
    ip.updated = api_time();
    Ok(Reply::ok(ip_json(st, &st.ipam[&id])))
}
