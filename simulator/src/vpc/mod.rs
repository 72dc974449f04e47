//! VPC v2: VPCs (a default one per project and region) and private networks.

use serde_json::{Value, json};

use crate::catalog::REGIONS;
use crate::http::{self as h, Reply, Req, Res, paged, project_of, s, strings};
use crate::store::{Created, CreatedKind, PrivateNetwork, Store, Subnet, Vpc, api_time, new_id};

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[&[("*", |st, _, req| handle(st, req))]];

fn vpc_json(st: &Store, v: &Vpc) -> Value {
    let count = st.pns.values().filter(|p| p.vpc_id == v.id).count();
    json!({
        "id": v.id,
        "name": v.name,
        "tags": v.tags,
        "organization_id": v.organization,
        "created_at": v.created,
        "updated_at": v.updated,
        "project_id": v.project,
        "is_default": v.is_default,
        "private_network_count": count,
        "routing_enabled": true,
        "custom_routes_propagation_enabled": true,
        "transitivity_enabled": false,
        "s3_integration_enabled": false,
        "region": v.region,
    })
}

fn pn_json(p: &PrivateNetwork) -> Value {
    let subnets: Vec<Value> = p
        .subnets
        .iter()
        .map(|s| {
            json!({"id": s.id, "created_at": s.created, "updated_at": s.created, "subnet": s.subnet,
                   "project_id": p.project, "private_network_id": p.id, "vpc_id": p.vpc_id, "region": p.region})
        })
        .collect();
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
        "dhcp_enabled": true,
        "default_route_propagation_enabled": p.default_route_propagation_enabled,
        "has_s3_integration": false,
        "region": p.region,
    })
}

fn new_vpc(
    st: &mut Store,
    name: &str,
    region: &str,
    project: &str,
    is_default: bool,
    tags: Vec<String>,
) -> String {
    let seq = st.next_seq();
    let now = api_time();
    let id = new_id();
    st.record(Created::new(CreatedKind::Vpc, &id, project, region, name, &tags));
    st.vpcs.insert(
        id.clone(),
        Vpc {
            id: id.clone(),
            seq,
            name: name.to_string(),
            region: region.to_string(),
            project: project.to_string(),
            organization: st.organization.clone(),
            is_default,
            tags,
            created: now.clone(),
            updated: now,
        },
    );
    id
}

fn default_vpc(st: &mut Store, region: &str, project: &str) -> String {
    if let Some(v) = st
        .vpcs
        .values()
        .find(|v| v.is_default && v.region == region && v.project == project)
    {
        return v.id.clone();
    }
    new_vpc(st, "default", region, project, true, Vec::new())
}

fn parse_v4_subnet(s: &str) -> Option<(u32, u8)> {
    let (addr, prefix) = s.split_once('/')?;
    let addr: std::net::Ipv4Addr = addr.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    if !(8..=29).contains(&prefix) {
        return None;
    }
    let mask = u32::MAX << (32 - prefix as u32);
    Some((u32::from(addr) & mask, prefix))
}

pub(crate) fn handle(st: &mut Store, req: &Req) -> Res {
    let region = req.param("region").to_string();
    if !REGIONS.contains(&region.as_str()) {
        return Err(h::constraint("region", format!("unknown region {region}")));
    }
    match req.op.id {
        "ListVPCs" => {
            // Every project has its default VPC in each region; a project id the organization
            // does not hold just lists nothing.
            let listed = req.q("project_id").unwrap_or(&st.default_project).to_string();
            if st.project_known(&listed) {
                default_vpc(st, &region, &listed);
            }
            let project = req.q("project_id");
            let name = req.q("name");
            let tags = req.q_all("tags");
            let is_default = req.q("is_default").map(|v| v == "true");
            let mut vpcs: Vec<&Vpc> = st
                .vpcs
                .values()
                .filter(|v| {
                    v.region == region
                        && project.is_none_or(|p| p == v.project)
                        && h::name_matches(name, &v.name)
                        && h::tags_match(&tags, &v.tags)
                        && is_default.is_none_or(|d| d == v.is_default)
                })
                .collect();
            vpcs.sort_by_key(|v| v.seq);
            let items = vpcs.iter().map(|v| vpc_json(st, v)).collect();
            paged(req, "vpcs", items)
        }
        "CreateVPC" => {
            let body = req.json()?;
            let project = project_of(st, &body, "project_id", "vpc")?;
            let name = s(&body, "name")
                .map(str::to_string)
                .unwrap_or_else(|| format!("vpc-{}", st.seq + 1));
            let id = new_vpc(st, &name, &region, &project, false, strings(&body, "tags"));
            Ok(Reply::ok(vpc_json(st, &st.vpcs[&id])))
        }
        "GetVPC" | "UpdateVPC" | "DeleteVPC" => {
            let id = req.param("vpc_id").to_string();
            if st.vpcs.get(&id).is_none_or(|v| v.region != region) {
                return Err(h::not_found("vpc", &id));
            }
            match req.op.id {
                "GetVPC" => Ok(Reply::ok(vpc_json(st, &st.vpcs[&id]))),
                "UpdateVPC" => {
                    let body = req.json()?;
                    let v = st.vpcs.get_mut(&id).ok_or_else(|| h::not_found("vpc", &id))?;
                    if let Some(name) = s(&body, "name") {
                        v.name = name.to_string();
                    }
                    if body.get("tags").is_some_and(Value::is_array) {
                        v.tags = strings(&body, "tags");
                    }
                    v.updated = api_time();
                    Ok(Reply::ok(vpc_json(st, &st.vpcs[&id])))
                }
                _ => {
                    if st.pns.values().any(|p| p.vpc_id == id) {
                        return Err(h::precondition(
                            "resource_still_in_use",
                            "VPC must not contain any Private Network to be deleted",
                        ));
                    }
                    st.vpcs.remove(&id);
                    Ok(Reply::no_content())
                }
            }
        }
        "ListPrivateNetworks" => {
            let project = req.q("project_id");
            let name = req.q("name");
            let tags = req.q_all("tags");
            let vpc_id = req.q("vpc_id");
            let ids = req.q_all("private_network_ids");
            let mut pns: Vec<&PrivateNetwork> = st
                .pns
                .values()
                .filter(|p| {
                    p.region == region
                        && project.is_none_or(|x| x == p.project)
                        && h::name_matches(name, &p.name)
                        && h::tags_match(&tags, &p.tags)
                        && vpc_id.is_none_or(|v| v == p.vpc_id)
                        && (ids.is_empty() || ids.contains(&p.id))
                })
                .collect();
            match req.q("order_by") {
                Some("created_at_desc") => pns.sort_by_key(|p| std::cmp::Reverse(p.seq)),
                Some("name_asc") => pns.sort_by(|a, b| a.name.cmp(&b.name)),
                _ => pns.sort_by_key(|p| p.seq),
            }
            let items = pns.into_iter().map(pn_json).collect();
            paged(req, "private_networks", items)
        }
        "CreatePrivateNetwork" => {
            let body = req.json()?;
            let project = project_of(st, &body, "project_id", "private_network")?;
            let vpc_id = match s(&body, "vpc_id") {
                Some(id) => match st.vpcs.get(id) {
                    Some(v) if v.region == region => id.to_string(),
                    _ => return Err(h::not_found("vpc", id)),
                },
                None => default_vpc(st, &region, &project),
            };
            let requested = strings(&body, "subnets");
            let mut v4 = None;
            for subnet in &requested {
                if subnet.contains(':') {
                    continue;
                }
                match parse_v4_subnet(subnet) {
                    Some(parsed) => v4 = Some(parsed),
                    None => return Err(h::constraint("subnets", format!("invalid subnet {subnet}"))),
                }
            }
            let (v4_base, v4_prefix) = match v4 {
                Some(x) => x,
                None => {
                    st.subnet_counter += 1;
                    // 172.16.0.0/12 cut in /22s; the first one is left out as the API does.
                    let n = st.subnet_counter % 1023 + 1;
                    (0xAC10_0000 + n * 1024, 22)
                }
            };
            st.subnet_counter += 1;
            let n = st.subnet_counter;
            let v6 = format!(
                "fd5c:{:04x}:{:04x}:{:04x}::/64",
                (n >> 16) & 0xffff,
                n & 0xffff,
                n.wrapping_mul(2654435761) & 0xffff
            );
            let now = api_time();
            let seq = st.next_seq();
            let id = new_id();
            let v4_text = format!("{}/{v4_prefix}", crate::store::ipv4(v4_base));
            let pn = PrivateNetwork {
                id: id.clone(),
                seq,
                name: s(&body, "name")
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("pn-{seq}")),
                region: region.clone(),
                project,
                organization: st.organization.clone(),
                vpc_id,
                tags: strings(&body, "tags"),
                subnets: [v4_text, v6]
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
        "GetPrivateNetwork" | "UpdatePrivateNetwork" | "DeletePrivateNetwork" => {
            let id = req.param("private_network_id").to_string();
            if st.pns.get(&id).is_none_or(|p| p.region != region) {
                return Err(h::not_found("private_network", &id));
            }
            match req.op.id {
                "GetPrivateNetwork" => Ok(Reply::ok(pn_json(&st.pns[&id]))),
                "UpdatePrivateNetwork" => {
                    let body = req.json()?;
                    let p = st
                        .pns
                        .get_mut(&id)
                        .ok_or_else(|| h::not_found("private_network", &id))?;
                    if let Some(name) = s(&body, "name") {
                        p.name = name.to_string();
                    }
                    if body.get("tags").is_some_and(Value::is_array) {
                        p.tags = strings(&body, "tags");
                    }
                    if let Some(b) = body
                        .get("default_route_propagation_enabled")
                        .and_then(Value::as_bool)
                    {
                        p.default_route_propagation_enabled = b;
                    }
                    p.updated = api_time();
                    Ok(Reply::ok(pn_json(&st.pns[&id])))
                }
                _ => {
                    // Booked addresses hold the network as NICs do.
                    if st.nics.values().any(|n| n.private_network_id == id)
                        || st.ipam.values().any(|ip| ip.private_network_id == id)
                    {
                        return Err(h::precondition(
                            "resource_still_in_use",
                            "Private Network must be empty to be deleted",
                        ));
                    }
                    st.pns.remove(&id);
                    Ok(Reply::no_content())
                }
            }
        }
        "ListSubnets" => {
            let pn_filter = req.q("private_network_id");
            let project = req.q("project_id");
            let mut pns: Vec<&PrivateNetwork> = st
                .pns
                .values()
                .filter(|p| {
                    p.region == region
                        && pn_filter.is_none_or(|x| x == p.id)
                        && project.is_none_or(|x| x == p.project)
                })
                .collect();
            pns.sort_by_key(|p| p.seq);
            let items: Vec<Value> = pns
                .into_iter()
                .flat_map(|p| pn_json(p)["subnets"].as_array().cloned().unwrap_or_default())
                .collect();
            paged(req, "subnets", items)
        }
        other => Err(h::not_implemented(req.module, other)),
    }
}
