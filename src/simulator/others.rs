//! Block v1 / v1alpha1 volumes, VPC v2, Account v3 projects, Marketplace v2 local images.

use serde_json::{Value, json};

use super::catalog::{self, REGIONS, ZONES};
use super::http::{self as h, Reply, Req, Res, s, strings};
use super::instance::project_of;
use super::server::Ctx;
use super::store::{BlockVolume, PrivateNetwork, Store, Subnet, Vpc, api_time, new_id, scaled};

pub(crate) fn handle(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    match req.module {
        "block_v1" | "block_v1alpha1" => block(st, ctx, req),
        "vpc_v2" => vpc(st, req),
        "account_v3" => account(st, req),
        "marketplace_v2" => marketplace(req),
        _ => Err(h::not_implemented(req.module, req.op.id)),
    }
}

/// A list answer of the non-Instance APIs: `{"<key>": [...], "total_count": N}`.
fn paged(req: &Req, key: &str, items: Vec<Value>) -> Res {
    let (page, size) = h::standard_page(req)?;
    let total = items.len();
    Ok(Reply::ok(
        json!({key: h::slice_page(&items, page, size), "total_count": total}),
    ))
}

// ---------------------------------------------------------------------------------------------
// Block

#[allow(clippy::too_many_arguments)]
pub(crate) fn new_block_volume(
    st: &mut Store,
    name: &str,
    zone: &str,
    project: &str,
    size: u64,
    iops: u64,
    tags: Vec<String>,
    parent_snapshot_id: Option<String>,
    ctx: &Ctx,
) -> String {
    let seq = st.next_seq();
    let now = api_time();
    let id = new_id();
    st.bvolumes.insert(
        id.clone(),
        BlockVolume {
            id: id.clone(),
            seq,
            name: name.to_string(),
            zone: zone.to_string(),
            project: project.to_string(),
            size,
            iops,
            tags,
            reference: None,
            creating_until: Some(ctx.now + scaled(2.0, ctx.scale)),
            parent_snapshot_id,
            last_detached_at: None,
            created: now.clone(),
            updated: now,
        },
    );
    // Shown as `creating` in the create answer; the next read applies the transition.
    st.pending_volumes.insert(id.clone());
    id
}

fn block_volume_json(v: &BlockVolume, v1: bool) -> Value {
    let status = if v.creating_until.is_some() {
        "creating"
    } else if v.reference.is_some() {
        "in_use"
    } else {
        "available"
    };
    let references: Vec<Value> = v
        .reference
        .iter()
        .map(|r| {
            json!({"id": r.id, "product_resource_type": "instance_server", "product_resource_id": r.server_id,
                   "created_at": r.created, "type": "exclusive", "status": "attached"})
        })
        .collect();
    let mut j = json!({
        "id": v.id,
        "name": v.name,
        "type": if v.iops >= 15000 { "sbs_15k" } else { "sbs_5k" },
        "size": v.size,
        "project_id": v.project,
        "created_at": v.created,
        "updated_at": v.updated,
        "references": references,
        "parent_snapshot_id": v.parent_snapshot_id,
        "status": status,
        "tags": v.tags,
        "specs": {"perf_iops": v.iops, "class": "sbs"},
        "last_detached_at": v.last_detached_at,
        "zone": v.zone,
    });
    if v1 && let Some(o) = j.as_object_mut() {
        o.insert("kms_key_id".into(), Value::Null);
    }
    j
}

fn block(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = req.param("zone").to_string();
    if !ZONES.contains(&zone.as_str()) {
        return Err(h::constraint("zone", format!("unknown zone {zone}")));
    }
    let v1 = req.module == "block_v1";
    let volume = |st: &Store| -> Result<BlockVolume, Reply> {
        let id = req.param("volume_id");
        st.bvolumes
            .get(id)
            .filter(|v| v.zone == zone)
            .cloned()
            .ok_or_else(|| h::not_found("volume", id))
    };
    match req.op.id {
        "ListVolumes" => {
            let project = req.q("project_id");
            let name = req.q("name");
            let tags = req.q_all("tags");
            let product = req.q("product_resource_id");
            let mut vols: Vec<&BlockVolume> = st
                .bvolumes
                .values()
                .filter(|v| {
                    v.zone == zone
                        && project.is_none_or(|p| p == v.project)
                        && h::name_matches(name, &v.name)
                        && h::tags_match(&tags, &v.tags)
                        && product.is_none_or(|p| v.reference.as_ref().is_some_and(|r| r.server_id == p))
                })
                .collect();
            match req.q("order_by") {
                Some("created_at_desc") => vols.sort_by_key(|v| std::cmp::Reverse(v.seq)),
                Some("name_asc") => vols.sort_by(|a, b| a.name.cmp(&b.name)),
                Some("name_desc") => vols.sort_by(|a, b| b.name.cmp(&a.name)),
                _ => vols.sort_by_key(|v| v.seq),
            }
            let items = vols.into_iter().map(|v| block_volume_json(v, v1)).collect();
            paged(req, "volumes", items)
        }
        "CreateVolume" => {
            let body = req.json()?;
            let project = project_of(st, &body, "project_id", "volume")?;
            let Some(name) = s(&body, "name") else {
                return Err(h::required(&["name"]));
            };
            if body.get("from_snapshot").is_some_and(|v| !v.is_null()) {
                return Err(h::not_implemented(req.module, "CreateVolume from_snapshot"));
            }
            let Some(size) = body
                .get("from_empty")
                .and_then(|f| f.get("size"))
                .and_then(Value::as_u64)
            else {
                return Err(h::required(&["from_empty.size"]));
            };
            let iops = match body.get("perf_iops") {
                None | Some(Value::Null) => 5000,
                Some(v) => match v.as_u64() {
                    Some(5000) => 5000,
                    Some(15000) => 15000,
                    _ => return Err(h::constraint("perf_iops", "perf_iops must be 5000 or 15000")),
                },
            };
            let id = new_block_volume(
                st,
                name,
                &zone,
                &project,
                size,
                iops,
                strings(&body, "tags"),
                None,
                ctx,
            );
            Ok(Reply::ok(block_volume_json(&st.bvolumes[&id], v1)))
        }
        "GetVolume" => Ok(Reply::ok(block_volume_json(&volume(st)?, v1))),
        "UpdateVolume" => {
            let body = req.json()?;
            let id = volume(st)?.id;
            let v = st
                .bvolumes
                .get_mut(&id)
                .ok_or_else(|| h::not_found("volume", &id))?;
            if let Some(name) = s(&body, "name") {
                v.name = name.to_string();
            }
            if body.get("tags").is_some_and(Value::is_array) {
                v.tags = strings(&body, "tags");
            }
            if let Some(size) = body.get("size").and_then(Value::as_u64) {
                if size < v.size {
                    return Err(h::constraint("size", "a volume cannot be shrunk"));
                }
                v.size = size;
            }
            match body.get("perf_iops").and_then(Value::as_u64) {
                None => {}
                Some(iops @ (5000 | 15000)) => v.iops = iops,
                Some(_) => return Err(h::constraint("perf_iops", "perf_iops must be 5000 or 15000")),
            }
            v.updated = api_time();
            Ok(Reply::ok(block_volume_json(&st.bvolumes[&id], v1)))
        }
        "DeleteVolume" => {
            let v = volume(st)?;
            if v.reference.is_some() {
                return Err(h::precondition(
                    "resource_still_in_use",
                    "volume is attached to an instance, detach it before deleting it",
                ));
            }
            st.bvolumes.remove(&v.id);
            Ok(Reply::no_content())
        }
        "ListVolumeTypes" => {
            let types: Vec<Value> = [5000u64, 15000]
                .iter()
                .map(|iops| {
                    json!({"type": if *iops == 5000 { "sbs_5k" } else { "sbs_15k" },
                           "pricing": {"currency_code": "EUR", "units": 0, "nanos": 0},
                           "snapshot_pricing": {"currency_code": "EUR", "units": 0, "nanos": 0},
                           "specs": {"perf_iops": iops, "class": "sbs"}})
                })
                .collect();
            paged(req, "volume_types", types)
        }
        other => Err(h::not_implemented(req.module, other)),
    }
}

// ---------------------------------------------------------------------------------------------
// VPC

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

fn vpc(st: &mut Store, req: &Req) -> Res {
    let region = req.param("region").to_string();
    if !REGIONS.contains(&region.as_str()) {
        return Err(h::constraint("region", format!("unknown region {region}")));
    }
    match req.op.id {
        "ListVPCs" => {
            let default_project = st.default_project.clone();
            default_vpc(st, &region, req.q("project_id").unwrap_or(&default_project));
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
            let v4_text = format!("{}/{v4_prefix}", super::store::ipv4(v4_base));
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
                v4_base,
                v4_prefix,
                allocated: Default::default(),
                default_route_propagation_enabled: body
                    .get("default_route_propagation_enabled")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                created: now.clone(),
                updated: now,
            };
            let json = pn_json(&pn);
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
                    if st.nics.values().any(|n| n.private_network_id == id) {
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

// ---------------------------------------------------------------------------------------------
// Account

fn project_json(p: &super::store::Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "organization_id": p.organization,
        "created_at": p.created,
        "updated_at": p.updated,
        "description": p.description,
        "qualification": {"architecture_type": "unknown_architecture_type"},
    })
}

fn account(st: &mut Store, req: &Req) -> Res {
    match req.op.id {
        "ListProjects" => {
            let name = req.q("name");
            let ids = req.q_all("project_ids");
            let org = req.q("organization_id");
            let mut projects: Vec<&super::store::Project> = st
                .projects
                .values()
                .filter(|p| {
                    h::name_matches(name, &p.name)
                        && (ids.is_empty() || ids.contains(&p.id))
                        && org.is_none_or(|o| o == p.organization)
                })
                .collect();
            match req.q("order_by") {
                Some("created_at_desc") => projects.sort_by_key(|p| std::cmp::Reverse(p.seq)),
                Some("name_asc") => projects.sort_by(|a, b| a.name.cmp(&b.name)),
                Some("name_desc") => projects.sort_by(|a, b| b.name.cmp(&a.name)),
                _ => projects.sort_by_key(|p| p.seq),
            }
            let items = projects.into_iter().map(project_json).collect();
            paged(req, "projects", items)
        }
        "CreateProject" => {
            let body = req.json()?;
            if let Some(org) = s(&body, "organization_id")
                && org != st.organization
            {
                return Err(h::permissions_denied("write", "project"));
            }
            let name = s(&body, "name")
                .map(str::to_string)
                .unwrap_or_else(|| format!("project-{}", st.seq + 1));
            let id = new_id();
            st.add_project(
                id.clone(),
                name,
                s(&body, "description").unwrap_or_default().to_string(),
                false,
            );
            let mut json = project_json(&st.projects[&id]);
            json["qualification"] = Value::Null;
            Ok(Reply::ok(json))
        }
        "GetProject" | "UpdateProject" | "DeleteProject" => {
            let id = req.param("project_id").to_string();
            if !st.projects.contains_key(&id) {
                return Err(h::not_found("project_id", &id));
            }
            match req.op.id {
                "GetProject" => Ok(Reply::ok(project_json(&st.projects[&id]))),
                "UpdateProject" => {
                    let body = req.json()?;
                    let p = st
                        .projects
                        .get_mut(&id)
                        .ok_or_else(|| h::not_found("project_id", &id))?;
                    if let Some(name) = s(&body, "name") {
                        p.name = name.to_string();
                    }
                    if let Some(d) = body.get("description").and_then(Value::as_str) {
                        p.description = d.to_string();
                    }
                    p.updated = api_time();
                    Ok(Reply::ok(project_json(&st.projects[&id])))
                }
                _ => {
                    let used = st.servers.values().any(|s| s.project == id)
                        || st.bvolumes.values().any(|v| v.project == id)
                        || st.ips.values().any(|v| v.project == id)
                        || st.pns.values().any(|v| v.project == id)
                        || st.sgs.values().any(|g| g.project == id && !g.project_default)
                        || st.vpcs.values().any(|v| v.project == id && !v.is_default);
                    if used {
                        return Err(h::precondition(
                            "resource_still_in_use",
                            "project must not contain any resource to be deleted",
                        ));
                    }
                    if id == st.default_project {
                        return Err(h::permissions_denied("delete", "project"));
                    }
                    st.projects.remove(&id);
                    st.sgs.retain(|_, g| g.project != id);
                    st.vpcs.retain(|_, v| v.project != id);
                    Ok(Reply::no_content())
                }
            }
        }
        other => Err(h::not_implemented(req.module, other)),
    }
}

// ---------------------------------------------------------------------------------------------
// Marketplace

fn marketplace(req: &Req) -> Res {
    match req.op.id {
        "ListLocalImages" => {
            let label = req.q("image_label");
            let zone = req.q("zone");
            let arch = req.q("arch");
            let image_type = req.q("type").filter(|t| *t != "unknown_type");
            let commercial_type = req.q("commercial_type");
            if let Some(label) = label
                && !catalog::LABELS.iter().any(|(l, _)| *l == label)
            {
                return Err(h::not_found("MarketplaceImage", label));
            }
            let mut images: Vec<&catalog::LocalImage> = catalog::local_images()
                .iter()
                .filter(|i| {
                    label.is_none_or(|l| l == i.label)
                        && zone.is_none_or(|z| z == i.zone)
                        && arch.is_none_or(|a| a == i.arch)
                        && image_type.is_none_or(|t| t == i.image_type)
                        && commercial_type.is_none_or(|c| i.compatible.iter().any(|x| x == c))
                })
                .collect();
            if req.q("order_by") == Some("type_asc") {
                images.sort_by_key(|i| i.image_type);
            }
            let items = images.into_iter().map(catalog::local_image_json).collect();
            paged(req, "local_images", items)
        }
        "GetLocalImage" => match catalog::local_image(req.param("local_image_id")) {
            Some(i) => Ok(Reply::ok(catalog::local_image_json(i))),
            None => Err(h::not_found("LocalImage", req.param("local_image_id"))),
        },
        other => Err(h::not_implemented(req.module, other)),
    }
}
