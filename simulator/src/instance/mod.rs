//! Instance v1: servers, actions, user_data, private NICs, volumes, IPs, security groups,
//! products and images.

mod block_migration;
mod images;
mod placement_groups;
mod snapshots;

use placement_groups::placement_group_json;

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::catalog::{self, ZONES};
use crate::http::{self as h, Body, Ctx, Reply, Req, Res, project_of, s, strings};

use crate::store::{
    ATTACH_SECONDS, BLOCK_CREATE_SECONDS, Booking, Completion, Created, CreatedKind, DETACH_SECONDS,
    InstanceVolume, Ip, IpamResource, NIC_RESOURCE, Nic, Rule, SecurityGroup, Server, Store, VolKind, VolRef,
    instance_time, new_id, scaled,
};

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[
    images::OPERATIONS,
    snapshots::OPERATIONS,
    placement_groups::OPERATIONS,
    block_migration::OPERATIONS,
    &[("*", handle)],
];

const BASE: &str = "https://api.scaleway.com/instance/v1/zones";
/// When a volume attached or detached now settles.
fn settle(ctx: &Ctx, seconds: f64) -> tokio::time::Instant {
    ctx.now + scaled(seconds, ctx.scale)
}

/// Seconds from poweron (or reboot) to `running/booted`.
const BOOTED_AFTER: f64 = 120.0;

pub(crate) fn handle(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = req.param("zone");
    if !ZONES.contains(&zone) {
        return Err(h::constraint("zone", format!("unknown zone {zone}")));
    }
    match req.op.id {
        "ListServers" => list_servers(st, req),
        "CreateServer" => create_server(st, ctx, req),
        "GetServer" => {
            let s = server(st, req)?;
            Ok(Reply::ok(json!({"server": server_json(st, s)})))
        }
        "UpdateServer" => update_server(st, ctx, req),
        "DeleteServer" => delete_server(st, ctx, req),
        "ServerAction" => server_action(st, ctx, req),
        "ListServerActions" => {
            server(st, req)?;
            Ok(Reply::ok(
                json!({"actions": ["poweron", "poweroff", "stop_in_place", "reboot", "terminate", "backup"]}),
            ))
        }
        "AttachServerVolume" => attach_volume(st, ctx, req),
        "DetachServerVolume" => detach_volume(st, ctx, req),
        "ListServerUserData" => {
            let s = server(st, req)?;
            Ok(Reply::ok(
                json!({"user_data": s.user_data.keys().collect::<Vec<_>>()}),
            ))
        }
        "GetServerUserData" => {
            let s = server(st, req)?;
            let key = req.param("key");
            match s.user_data.get(key) {
                Some(v) => Ok(Reply {
                    status: 200,
                    headers: Vec::new(),
                    body: Body::Text(v.clone()),
                }),
                None => Err(h::not_found("instance_user_data", key)),
            }
        }
        "SetServerUserData" => {
            let value = String::from_utf8_lossy(&req.body).into_owned();
            let s = server_mut(st, req)?;
            s.user_data.insert(req.param("key").to_string(), value);
            Ok(Reply::no_content().header("content-type", "text/plain"))
        }
        "DeleteServerUserData" => {
            let s = server_mut(st, req)?;
            match s.user_data.remove(req.param("key")) {
                Some(_) => Ok(Reply::no_content()),
                None => Err(h::not_found("instance_user_data", req.param("key"))),
            }
        }
        "ListPrivateNICs" => {
            let s = server(st, req)?;
            let mut nics: Vec<&Nic> = st.nics.values().filter(|n| n.server_id == s.id).collect();
            nics.sort_by_key(|n| n.seq);
            let tags = req.q_all("tags");
            let nics: Vec<Value> = nics
                .into_iter()
                .filter(|n| h::tags_match(&tags, &n.tags))
                .map(nic_json)
                .collect();
            Ok(h::instance_list(
                req,
                "private_nics",
                &nics,
                h::instance_page(req)?,
                Value::clone,
            ))
        }
        "CreatePrivateNIC" => create_nic(st, ctx, req),
        "GetPrivateNIC" => {
            server(st, req)?;
            let n = nic(st, req)?;
            Ok(Reply::ok(json!({"private_nic": nic_json(n)})))
        }
        "UpdatePrivateNIC" => {
            server(st, req)?;
            let body = req.json()?;
            nic(st, req)?;
            let n = st
                .nics
                .get_mut(req.param("private_nic_id"))
                .ok_or_else(unreachable_404)?;
            if body.get("tags").is_some_and(Value::is_array) {
                n.tags = strings(&body, "tags");
            }
            n.modified = instance_time();
            let n = &st.nics[req.param("private_nic_id")];
            Ok(Reply::ok(json!({"private_nic": nic_json(n)})))
        }
        "DeletePrivateNIC" => {
            server(st, req)?;
            let id = nic(st, req)?.id.clone();
            st.remove_nic(&id);
            Ok(Reply::no_content())
        }
        "ListServersTypes" => {
            let (page, size) = h::instance_page(req)?;
            let types = catalog::server_types();
            let mut map = serde_json::Map::new();
            for t in types.iter().skip((page - 1) * size).take(size) {
                map.insert(t.name.clone(), catalog::server_type_json(t));
            }
            let reply = Reply::ok(json!({"servers": map}));
            Ok(h::instance_list_headers(req, reply, types.len(), page, size))
        }
        "GetServerTypesAvailability" => {
            let (page, size) = h::instance_page(req)?;
            let types = catalog::server_types();
            let mut map = serde_json::Map::new();
            for t in types.iter().skip((page - 1) * size).take(size) {
                map.insert(t.name.clone(), json!({"availability": "available"}));
            }
            let reply = Reply::ok(json!({"servers": map}));
            Ok(h::instance_list_headers(req, reply, types.len(), page, size))
        }
        "ListIps" => list_ips(st, req),
        "CreateIp" => create_ip(st, req),
        "GetIp" => {
            let ip = ip(st, req)?;
            Ok(Reply::ok(json!({"ip": ip_json(st, ip)})))
        }
        "UpdateIp" => update_ip(st, req),
        "DeleteIp" => {
            let id = ip(st, req)?.id.clone();
            if let Some(removed) = st.ips.remove(&id)
                && let Some(server) = removed.server.and_then(|s| st.servers.get_mut(&s))
            {
                server.public_ips.retain(|i| *i != id);
            }
            Ok(Reply::no_content())
        }
        "ListSecurityGroups" => list_security_groups(st, req),
        "CreateSecurityGroup" => create_security_group(st, req),
        "GetSecurityGroup" => {
            let g = sg(st, req)?;
            Ok(Reply::ok(json!({"security_group": sg_json(st, g)})))
        }
        "UpdateSecurityGroup" => update_security_group(st, req),
        "DeleteSecurityGroup" => {
            let g = sg(st, req)?;
            if st.servers.values().any(|s| s.security_group == g.id) {
                return Err(h::invalid_request("Group is in use. You cannot delete it."));
            }
            // A project's default group is deleted like any other once no server uses it
            // (recorded); the project gets a new one when a server or a listing next needs it.
            let id = g.id.clone();
            st.sgs.remove(&id);
            Ok(Reply::no_content())
        }
        "ListDefaultSecurityGroupRules" => {
            let rules: Vec<Value> = default_rules()
                .iter()
                .map(|r| rule_json(r, zone, false))
                .collect();
            Ok(Reply::ok(json!({"rules": rules})))
        }
        "ListSecurityGroupRules" => {
            let g = sg(st, req)?;
            Ok(Reply::ok(json!({"rules": all_rules_json(g)})))
        }
        "CreateSecurityGroupRule" => {
            sg(st, req)?;
            let body = req.json()?;
            let rule = parse_rule(&body, None)?;
            let g = st
                .sgs
                .get_mut(req.param("security_group_id"))
                .ok_or_else(unreachable_404)?;
            let mut rule = rule;
            if rule.position == 0 || rule.position as usize > g.rules.len() {
                rule.position = g.rules.len() as u64 + 1;
            }
            let index = rule.position as usize - 1;
            g.rules.insert(index, rule);
            renumber(&mut g.rules);
            let r = g.rules[index].clone();
            g.modified = instance_time();
            Ok(
                Reply::json(201, json!({"rule": rule_json(&r, zone, true)})).header(
                    "location",
                    format!("{BASE}/{zone}/security_groups/{}/rules/{}", g.id, r.id),
                ),
            )
        }
        "SetSecurityGroupRules" => {
            sg(st, req)?;
            let body = req.json()?;
            let mut rules = Vec::new();
            let defaults: Vec<String> = default_rules().into_iter().map(|r| r.id).collect();
            for r in body.get("rules").and_then(Value::as_array).into_iter().flatten() {
                // The default rules may be sent back; they are not user rules.
                if s(r, "id").is_some_and(|id| defaults.iter().any(|d| d == id)) {
                    continue;
                }
                rules.push(parse_rule(r, None)?);
            }
            rules.sort_by_key(|r| r.position);
            renumber(&mut rules);
            let g = st
                .sgs
                .get_mut(req.param("security_group_id"))
                .ok_or_else(unreachable_404)?;
            g.rules = rules;
            g.modified = instance_time();
            Ok(Reply::ok(json!({"rules": all_rules_json(g)})))
        }
        "GetSecurityGroupRule" => {
            let g = sg(st, req)?;
            let id = req.param("security_group_rule_id");
            if let Some(r) = g.rules.iter().find(|r| r.id == id) {
                return Ok(Reply::ok(json!({"rule": rule_json(r, zone, true)})));
            }
            match default_rules_of(g).into_iter().find(|r| r.id == id) {
                Some(r) => Ok(Reply::ok(json!({"rule": rule_json(&r, zone, false)}))),
                None => Err(h::not_found("instance_security_group_rule", id)),
            }
        }
        "UpdateSecurityGroupRule" | "SetSecurityGroupRule" => {
            sg(st, req)?;
            let body = req.json()?;
            let id = req.param("security_group_rule_id").to_string();
            let g = st
                .sgs
                .get_mut(req.param("security_group_id"))
                .ok_or_else(unreachable_404)?;
            let Some(index) = g.rules.iter().position(|r| r.id == id) else {
                return Err(h::not_found("instance_security_group_rule", &id));
            };
            let merged = if req.op.id == "UpdateSecurityGroupRule" {
                let mut current = rule_json(&g.rules[index], zone, true);
                if let (Some(c), Some(b)) = (current.as_object_mut(), body.as_object()) {
                    for (k, v) in b {
                        c.insert(k.clone(), v.clone());
                    }
                }
                current
            } else {
                body
            };
            let mut rule = parse_rule(&merged, Some(id))?;
            if rule.position == 0 {
                rule.position = g.rules[index].position;
            }
            g.rules.remove(index);
            let at = (rule.position as usize - 1).min(g.rules.len());
            g.rules.insert(at, rule);
            renumber(&mut g.rules);
            g.modified = instance_time();
            let r = g.rules[at].clone();
            Ok(Reply::ok(json!({"rule": rule_json(&r, zone, true)})))
        }
        "DeleteSecurityGroupRule" => {
            sg(st, req)?;
            let id = req.param("security_group_rule_id");
            let g = st
                .sgs
                .get_mut(req.param("security_group_id"))
                .ok_or_else(unreachable_404)?;
            let before = g.rules.len();
            g.rules.retain(|r| r.id != id);
            if g.rules.len() == before {
                return Err(h::not_found("instance_security_group_rule", id));
            }
            renumber(&mut g.rules);
            Ok(Reply::no_content())
        }
        "ListVolumes" => list_volumes(st, req),
        "CreateVolume" => create_volume(st, req),
        "GetVolume" => {
            let v = ivolume(st, req)?;
            Ok(Reply::ok(json!({"volume": ivolume_json(st, v, false)})))
        }
        "UpdateVolume" => {
            ivolume(st, req)?;
            let body = req.json()?;
            let v = st
                .ivolumes
                .get_mut(req.param("volume_id"))
                .ok_or_else(unreachable_404)?;
            if let Some(name) = s(&body, "name") {
                v.name = name.to_string();
            }
            if body.get("tags").is_some_and(Value::is_array) {
                v.tags = strings(&body, "tags");
            }
            v.modified = instance_time();
            let v = &st.ivolumes[req.param("volume_id")];
            Ok(Reply::ok(json!({"volume": ivolume_json(st, v, false)})))
        }
        "DeleteVolume" => {
            let v = ivolume(st, req)?;
            if v.server.is_some() {
                return Err(h::invalid_request(
                    "a volume attached to a server cannot be deleted",
                ));
            }
            let id = v.id.clone();
            st.ivolumes.remove(&id);
            Ok(Reply::no_content())
        }
        other => Err(h::not_implemented(req.module, other)),
    }
}

fn unreachable_404() -> Reply {
    h::not_found("unknown", "")
}

// ---------------------------------------------------------------------------------------------
// Lookups

fn server<'s>(st: &'s Store, req: &Req) -> Result<&'s Server, Reply> {
    let id = req.param("server_id");
    st.servers
        .get(id)
        .filter(|s| s.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_server", id))
}

fn server_mut<'s>(st: &'s mut Store, req: &Req) -> Result<&'s mut Server, Reply> {
    let id = req.param("server_id");
    st.servers
        .get_mut(id)
        .filter(|s| s.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_server", id))
}

fn nic<'s>(st: &'s Store, req: &Req) -> Result<&'s Nic, Reply> {
    let id = req.param("private_nic_id");
    st.nics
        .get(id)
        .filter(|n| n.server_id == req.param("server_id"))
        .ok_or_else(|| h::not_found("instance_private_nic", id))
}

fn ip<'s>(st: &'s Store, req: &Req) -> Result<&'s Ip, Reply> {
    let key = if req.params.contains_key("ip") {
        req.param("ip")
    } else {
        req.param("ip_id")
    };
    st.ips
        .get(key)
        .or_else(|| st.ips.values().find(|ip| ip.address == key))
        .filter(|ip| ip.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_ip", key))
}

fn sg<'s>(st: &'s Store, req: &Req) -> Result<&'s SecurityGroup, Reply> {
    let id = req.param("security_group_id");
    st.sgs
        .get(id)
        .filter(|g| g.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_security_group", id))
}

fn ivolume<'s>(st: &'s Store, req: &Req) -> Result<&'s InstanceVolume, Reply> {
    let id = req.param("volume_id");
    st.ivolumes
        .get(id)
        .filter(|v| v.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_volume", id))
}

/// The project of a create: `project`, else `organization` (legacy), else the default; unknown
/// projects are refused as the API does for a project the key cannot reach. The legacy
/// `organization` names the organization, whose resources go to its default project.
// ---------------------------------------------------------------------------------------------
// Servers

fn allowed_actions(st: &Store, srv: &Server) -> Vec<&'static str> {
    let has_local = srv.volumes.values().any(|v| v.kind == VolKind::Local);
    // No action while a Block volume is being attached (recorded).
    if srv.volumes.values().any(|v| st.block_attaching(&v.id)) {
        return Vec::new();
    }
    match (srv.state, srv.detail) {
        ("stopped", _) => vec!["poweron", "backup"],
        ("running", _) => vec!["poweroff", "terminate", "reboot", "stop_in_place", "backup"],
        ("stopped in place", _) => vec!["poweron", "poweroff", "terminate", "reboot", "backup"],
        ("stopping", "terminating") if has_local => vec![],
        _ => vec!["stop_in_place", "backup"],
    }
}

pub(crate) fn server_json(st: &Store, srv: &Server) -> Value {
    let terminating = srv.detail == "terminating";
    let mut volumes = serde_json::Map::new();
    for (index, vol) in &srv.volumes {
        let entry = match vol.kind {
            VolKind::Local => match st.ivolumes.get(&vol.id) {
                Some(v) => {
                    let mut j = ivolume_json(st, v, terminating);
                    if let Some(o) = j.as_object_mut() {
                        o.insert("boot".into(), Value::Bool(vol.boot));
                    }
                    j
                }
                None => continue,
            },
            VolKind::Block => {
                let state = if st.block_attaching(&vol.id) {
                    "attaching"
                } else {
                    "available"
                };
                json!({"boot": vol.boot, "volume_type": "sbs_volume", "id": vol.id, "state": state, "zone": srv.zone})
            }
        };
        volumes.insert(index.to_string(), entry);
    }
    let public_ips: Vec<Value> = srv
        .public_ips
        .iter()
        .filter_map(|id| st.ips.get(id))
        .map(|ip| match ip.prefix {
            // Recorded: a routed IPv6 shows the server's address in the /64, a link-local
            // gateway, SLAAC.
            Some(_) => json!({"id": ip.id, "address": ip.address, "dynamic": ip.dynamic,
                   "gateway": "fe80::dc00:1ff:fe27:1", "netmask": "64", "family": "inet6",
                   "provisioning_mode": "slaac", "tags": ip.tags, "state": "attached", "ipam_id": ip.id}),
            None => {
                json!({"id": ip.id, "address": ip.address, "dynamic": ip.dynamic, "gateway": "62.210.0.1",
                   "netmask": "32", "family": "inet", "provisioning_mode": "dhcp", "tags": ip.tags,
                   "state": "attached", "ipam_id": ip.id})
            }
        })
        .collect();
    let mut nics: Vec<&Nic> = st.nics.values().filter(|n| n.server_id == srv.id).collect();
    nics.sort_by_key(|n| n.seq);
    let sg_name = st
        .sgs
        .get(&srv.security_group)
        .map(|g| g.name.clone())
        .unwrap_or_default();
    json!({
        "id": srv.id,
        "name": srv.name,
        "arch": srv.arch,
        "commercial_type": srv.commercial_type,
        "boot_type": srv.boot_type,
        "organization": srv.organization,
        "project": srv.project,
        "hostname": srv.name,
        "image": srv.image,
        "volumes": volumes,
        "tags": srv.tags,
        "state": srv.state,
        "protected": srv.protected,
        "state_detail": srv.detail,
        "public_ip": public_ips.first().cloned(),
        "public_ips": public_ips,
        "mac_address": srv.mac,
        "routed_ip_enabled": srv.routed_ip_enabled,
        "ipv6": null,
        "extra_networks": [],
        "dynamic_ip_required": srv.dynamic_ip_required,
        "enable_ipv6": srv.enable_ipv6,
        "private_ip": null,
        "creation_date": srv.created,
        "modification_date": srv.modified,
        "bootscript": null,
        "security_group": {"id": srv.security_group, "name": sg_name},
        "location": srv.location,
        "maintenances": [],
        "allowed_actions": allowed_actions(st, srv),
        "placement_group": srv.placement_group.as_ref().and_then(|id| st.placement_groups.get(id)).map(placement_group_json),
        "private_nics": nics.into_iter().map(nic_json).collect::<Vec<_>>(),
        "zone": srv.zone,
        "filesystems": [],
        "end_of_service": false,
        "dns": format!("{}.pub.instances.scw.cloud", srv.id),
        "admin_password_encryption_ssh_key_id": null,
        "admin_password_encrypted_value": null,
    })
}

fn list_servers(st: &Store, req: &Req) -> Res {
    let (page, size) = h::instance_page(req)?;
    let zone = req.param("zone");
    let name = req.q("name");
    let project = req.q("project");
    let organization = req.q("organization");
    let tags = req.q_all("tags");
    let state = req.q("state");
    let commercial_type = req.q("commercial_type");
    let ids = req.q_all("servers");
    let private_network = req.q("private_network");
    let mut servers: Vec<&Server> = st
        .servers
        .values()
        .filter(|s| {
            s.zone == zone
                && h::name_matches(name, &s.name)
                && project.is_none_or(|p| p == s.project)
                && organization.is_none_or(|o| o == s.organization)
                && h::tags_match(&tags, &s.tags)
                && state.is_none_or(|x| x == s.state)
                && commercial_type.is_none_or(|c| c == s.commercial_type)
                && (ids.is_empty() || ids.contains(&s.id))
                && private_network.is_none_or(|pn| {
                    st.nics
                        .values()
                        .any(|n| n.server_id == s.id && n.private_network_id == pn)
                })
        })
        .collect();
    match req.q("order") {
        Some("creation_date_asc") => servers.sort_by_key(|s| s.seq),
        _ => servers.sort_by_key(|s| std::cmp::Reverse(s.seq)),
    }
    Ok(h::instance_list(req, "servers", &servers, (page, size), |s| {
        server_json(st, s)
    }))
}

fn ensure_default_sg(st: &mut Store, project: &str, zone: &str) -> String {
    if let Some(g) = st
        .sgs
        .values()
        .find(|g| g.project_default && g.project == project && g.zone == zone)
    {
        return g.id.clone();
    }
    let seq = st.next_seq();
    let now = instance_time();
    let g = SecurityGroup {
        id: new_id(),
        seq,
        name: "Default security group".into(),
        description: Some("Auto generated security group.".into()),
        zone: zone.into(),
        project: project.into(),
        organization: st.organization.clone(),
        stateful: true,
        inbound_default_policy: "accept".into(),
        outbound_default_policy: "accept".into(),
        project_default: true,
        enable_default_security: true,
        tags: Vec::new(),
        rules: Vec::new(),
        created: now.clone(),
        modified: now,
    };
    let id = g.id.clone();
    st.record(Created::new(
        CreatedKind::SecurityGroup,
        &id,
        &g.project,
        &g.zone,
        &g.name,
        &g.tags,
    ));
    st.sgs.insert(id.clone(), g);
    id
}

fn create_server(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let zone = req.param("zone").to_string();
    let volumes_in = body
        .get("volumes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut missing = Vec::new();
    if s(&body, "commercial_type").is_none() {
        missing.push("commercial_type");
    }
    let root_from_volume = volumes_in.get("0").and_then(|v| s(v, "id")).is_some();
    if s(&body, "image").is_none() && !root_from_volume {
        missing.push("image");
        if volumes_in.is_empty() {
            missing.push("volumes");
        }
    }
    if !missing.is_empty() {
        return Err(h::required(&missing));
    }
    let commercial_type = s(&body, "commercial_type").unwrap_or_default().to_string();
    let Some(server_type) = catalog::server_type(&commercial_type) else {
        return Err(h::constraint(
            "commercial_type",
            format!("{commercial_type} is not a known commercial type"),
        ));
    };
    let project = project_of(st, &body, "project", "instance_server")?;
    // Image: a local image id, or a label (resolved as the API does for a compatible image).
    let image = match s(&body, "image") {
        None => None,
        Some(id) if h::is_uuid(id) => match catalog::local_image(id).filter(|i| i.zone == zone) {
            Some(i) => Some(i),
            None => return Err(h::not_found("instance_image", id)),
        },
        Some(label) => match catalog::local_images()
            .iter()
            .find(|i| i.zone == zone && i.label == label && i.compatible.contains(&commercial_type))
        {
            Some(i) => Some(i),
            None => return Err(h::not_found("instance_image", label)),
        },
    };
    if let Some(i) = image
        && !i.compatible.contains(&commercial_type)
    {
        return Err(h::constraint(
            "image",
            format!(
                "image {} is not compatible with commercial type {commercial_type}",
                i.id
            ),
        ));
    }
    // Existing volumes named in the request, the root included even with an image (the API
    // then boots the given volume and creates none, recorded), must be in the zone and free. A
    // Block volume still `creating` is accepted (recorded).
    let mut named: Vec<&str> = Vec::new();
    for (key, v) in &volumes_in {
        if let Some(id) = s(v, "id") {
            let in_zone = st.bvolumes.get(id).is_some_and(|b| b.zone == zone)
                || st.ivolumes.get(id).is_some_and(|l| l.zone == zone);
            if !in_zone {
                return Err(h::not_found("instance_volume", id));
            }
            if st.volume_server(id).is_some() {
                return Err(h::precondition(
                    "resource_not_usable",
                    format!("volume {id} is already attached"),
                ));
            }
            if named.contains(&id) {
                return Err(h::constraint(
                    &format!("volumes.{key}.id"),
                    format!("volume {id} is given twice"),
                ));
            }
            named.push(id);
        }
    }
    // The image makes the root only when no root volume is given.
    let image_root = image.filter(|_| !root_from_volume);
    let public_ip_ids = strings(&body, "public_ips");
    for id in &public_ip_ids {
        match st.ips.get(id) {
            None => return Err(h::not_found("instance_ip", id)),
            Some(ip) if ip.server.is_some() => {
                return Err(h::precondition(
                    "resource_not_usable",
                    format!("ip {id} is already attached"),
                ));
            }
            _ => {}
        }
    }
    let security_group = match body
        .get("security_group")
        .and_then(|v| v.as_str().or_else(|| s(v, "id")))
    {
        Some(id) => match st.sgs.get(id) {
            Some(g) if g.zone == zone => g.id.clone(),
            _ => return Err(h::not_found("instance_security_group", id)),
        },
        None => ensure_default_sg(st, &project, &zone),
    };
    let placement_group = match s(&body, "placement_group") {
        Some(id) => match st.placement_groups.get(id) {
            Some(g) if g.zone == zone => Some(g.id.clone()),
            _ => return Err(h::not_found("instance_placement_group", id)),
        },
        None => None,
    };
    let id = new_id();
    let name = s(&body, "name")
        .map(str::to_string)
        .unwrap_or_else(|| format!("srv-{}", &id[..8]));
    let now = instance_time();
    let mut volumes = BTreeMap::new();
    if let Some(i) = image_root {
        let root_req = volumes_in.get("0").cloned().unwrap_or(Value::Null);
        let boot = root_req.get("boot").and_then(Value::as_bool).unwrap_or(false);
        let wanted_type = s(&root_req, "volume_type");
        let block_root = match wanted_type {
            Some("sbs_volume") => true,
            Some("l_ssd") => false,
            _ => i.image_type == "instance_sbs",
        };
        if block_root {
            let size = root_req
                .get("size")
                .and_then(Value::as_u64)
                .unwrap_or(10_000_000_000);
            let vid = st.new_block_volume(
                &format!("{}_sbs_volume_0", i.name),
                &zone,
                &project,
                size,
                5000,
                Vec::new(),
                None,
                ctx.now + scaled(BLOCK_CREATE_SECONDS, ctx.scale),
            );
            st.pending_volumes.remove(&vid);
            if let Some(v) = st.bvolumes.get_mut(&vid) {
                v.creating_until = None;
                v.parent_snapshot_id = Some(new_id());
            }
            st.attach_block(&vid, &id, None);
            st.record_server_of(&vid, &id);
            volumes.insert(
                0,
                VolRef {
                    id: vid,
                    kind: VolKind::Block,
                    boot,
                },
            );
        } else {
            if !server_type.local {
                return Err(h::constraint(
                    "volumes.0.volume_type",
                    format!("{commercial_type} does not support l_ssd volumes"),
                ));
            }
            let size = root_req
                .get("size")
                .and_then(Value::as_u64)
                .unwrap_or(20_000_000_000);
            let vid = new_local_volume(st, i.name, &zone, &project, size, Some(id.clone()));
            volumes.insert(
                0,
                VolRef {
                    id: vid,
                    kind: VolKind::Local,
                    boot,
                },
            );
        }
    }
    let mut extra: Vec<(&String, &Value)> = volumes_in.iter().collect();
    extra.sort_by_key(|(k, _)| k.parse::<u32>().unwrap_or(u32::MAX));
    for (key, v) in extra {
        let index: u32 = key.parse().unwrap_or(volumes.len() as u32);
        if index == 0 && image_root.is_some() {
            continue;
        }
        let boot = v.get("boot").and_then(Value::as_bool).unwrap_or(false);
        let vref = if let Some(vid) = s(v, "id") {
            if st.bvolumes.contains_key(vid) {
                st.attach_block(vid, &id, None);
                VolRef {
                    id: vid.to_string(),
                    kind: VolKind::Block,
                    boot,
                }
            } else {
                if let Some(iv) = st.ivolumes.get_mut(vid) {
                    iv.server = Some(id.clone());
                }
                VolRef {
                    id: vid.to_string(),
                    kind: VolKind::Local,
                    boot,
                }
            }
        } else {
            let size = v.get("size").and_then(Value::as_u64).unwrap_or(10_000_000_000);
            match s(v, "volume_type") {
                Some("l_ssd") => {
                    let vid = new_local_volume(
                        st,
                        &format!("{name}-{key}"),
                        &zone,
                        &project,
                        size,
                        Some(id.clone()),
                    );
                    VolRef {
                        id: vid,
                        kind: VolKind::Local,
                        boot,
                    }
                }
                _ => {
                    let vid = st.new_block_volume(
                        &format!("{name}_sbs_volume_{key}"),
                        &zone,
                        &project,
                        size,
                        5000,
                        Vec::new(),
                        None,
                        ctx.now + scaled(BLOCK_CREATE_SECONDS, ctx.scale),
                    );
                    st.pending_volumes.remove(&vid);
                    if let Some(b) = st.bvolumes.get_mut(&vid) {
                        b.creating_until = None;
                    }
                    st.attach_block(&vid, &id, None);
                    st.record_server_of(&vid, &id);
                    VolRef {
                        id: vid,
                        kind: VolKind::Block,
                        boot,
                    }
                }
            }
        };
        volumes.insert(index, vref);
    }
    for ip_id in &public_ip_ids {
        if let Some(ip) = st.ips.get_mut(ip_id) {
            ip.server = Some(id.clone());
        }
    }
    let seq = st.next_seq();
    let mac = st.next_mac("de:00:00");
    let server = Server {
        id: id.clone(),
        seq,
        name,
        zone: zone.clone(),
        project: project.clone(),
        organization: st.organization.clone(),
        commercial_type,
        arch: server_type.arch.to_string(),
        boot_type: s(&body, "boot_type").unwrap_or("local").to_string(),
        image: image.map(catalog::instance_image_json),
        tags: strings(&body, "tags"),
        state: "stopped",
        detail: "",
        steps: Default::default(),
        completion: Completion::None,
        volumes,
        dynamic_ip_required: body
            .get("dynamic_ip_required")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        routed_ip_enabled: body
            .get("routed_ip_enabled")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        enable_ipv6: body.get("enable_ipv6").and_then(Value::as_bool).unwrap_or(false),
        protected: body.get("protected").and_then(Value::as_bool).unwrap_or(false),
        public_ips: public_ip_ids,
        security_group,
        user_data: BTreeMap::new(),
        mac,
        created: now.clone(),
        modified: now,
        location: None,
        placement_group,
    };
    let json = server_json(st, &server);
    st.record(Created::new(
        CreatedKind::Server,
        &id,
        &server.project,
        &server.zone,
        &server.name,
        &server.tags,
    ));
    st.servers.insert(id.clone(), server);
    Ok(Reply::json(201, json!({"server": json})).header("location", format!("{BASE}/{zone}/servers/{id}")))
}

fn new_local_volume(
    st: &mut Store,
    name: &str,
    zone: &str,
    project: &str,
    size: u64,
    server: Option<String>,
) -> String {
    let seq = st.next_seq();
    let now = instance_time();
    let id = new_id();
    st.record(
        Created::new(CreatedKind::InstanceVolume, &id, project, zone, name, &[]).server(server.as_deref()),
    );
    st.ivolumes.insert(
        id.clone(),
        InstanceVolume {
            id: id.clone(),
            seq,
            name: name.to_string(),
            zone: zone.to_string(),
            project: project.to_string(),
            organization: st.organization.clone(),
            volume_type: "l_ssd".into(),
            size,
            server,
            deleting: false,
            tags: Vec::new(),
            created: now.clone(),
            modified: now,
        },
    );
    id
}

fn update_server(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let srv = server(st, req)?.clone();
    let zone = srv.zone.clone();
    // Validate first, then apply.
    if let Some(ct) = s(&body, "commercial_type")
        && ct != srv.commercial_type
    {
        if catalog::server_type(ct).is_none() {
            return Err(h::constraint(
                "commercial_type",
                format!("{ct} is not a known commercial type"),
            ));
        }
        if srv.state != "stopped" {
            return Err(h::invalid_request(
                "The server must be stopped to change its commercial type.",
            ));
        }
    }
    let new_volumes = match body.get("volumes").and_then(Value::as_object) {
        None => None,
        Some(map) => {
            let mut out = BTreeMap::new();
            for (key, v) in map {
                let Ok(index) = key.parse::<u32>() else {
                    return Err(h::constraint(
                        &format!("volumes.{key}"),
                        "volume keys are indexes",
                    ));
                };
                let Some(vid) = s(v, "id") else {
                    return Err(h::required(&[&format!("volumes.{key}.id")]));
                };
                let kind = if st.bvolumes.contains_key(vid) {
                    VolKind::Block
                } else if st.ivolumes.contains_key(vid) {
                    VolKind::Local
                } else {
                    return Err(h::not_found("instance_volume", vid));
                };
                if let Some(owner) = st.volume_server(vid)
                    && owner != srv.id
                {
                    return Err(h::precondition(
                        "resource_not_usable",
                        format!("volume {vid} is already attached"),
                    ));
                }
                let boot = v.get("boot").and_then(Value::as_bool).unwrap_or(false);
                out.insert(
                    index,
                    VolRef {
                        id: vid.to_string(),
                        kind,
                        boot,
                    },
                );
            }
            Some(out)
        }
    };
    let new_ips = if body.get("public_ips").is_some_and(|v| !v.is_null()) {
        let ids = strings(&body, "public_ips");
        for id in &ids {
            match st.ips.get(id) {
                None => return Err(h::not_found("instance_ip", id)),
                Some(ip) if ip.server.as_deref().is_some_and(|s| s != srv.id) => {
                    return Err(h::precondition(
                        "resource_not_usable",
                        format!("ip {id} is already attached"),
                    ));
                }
                _ => {}
            }
        }
        Some(ids)
    } else {
        None
    };
    let new_sg = match body
        .get("security_group")
        .and_then(|v| v.as_str().or_else(|| s(v, "id")))
    {
        Some(id) => match st.sgs.get(id) {
            Some(g) if g.zone == zone => Some(id.to_string()),
            _ => return Err(h::not_found("instance_security_group", id)),
        },
        None => None,
    };
    // Apply.
    if let Some(volumes) = new_volumes {
        for old in srv.volumes.values() {
            if !volumes.values().any(|v| v.id == old.id) {
                detach_any(st, old, ctx);
            }
        }
        for v in volumes.values() {
            match v.kind {
                VolKind::Block => {
                    if st.volume_server(&v.id).is_none() {
                        st.attach_block(&v.id, &srv.id, Some(settle(ctx, ATTACH_SECONDS)));
                    }
                }
                VolKind::Local => {
                    if let Some(iv) = st.ivolumes.get_mut(&v.id) {
                        iv.server = Some(srv.id.clone());
                    }
                }
            }
        }
        if let Some(s) = st.servers.get_mut(&srv.id) {
            s.volumes = volumes;
        }
    }
    if let Some(ids) = new_ips {
        for ip in st.ips.values_mut() {
            if ip.server.as_deref() == Some(srv.id.as_str()) && !ids.contains(&ip.id) {
                ip.server = None;
            }
        }
        for id in &ids {
            if let Some(ip) = st.ips.get_mut(id) {
                ip.server = Some(srv.id.clone());
            }
        }
        let dynamic_removed: Vec<String> = st
            .ips
            .values()
            .filter(|ip| ip.dynamic && ip.server.is_none())
            .map(|ip| ip.id.clone())
            .collect();
        for id in dynamic_removed {
            st.ips.remove(&id);
        }
        if let Some(s) = st.servers.get_mut(&srv.id) {
            s.public_ips = ids;
        }
    }
    let Some(s) = st.servers.get_mut(&srv.id) else {
        return Err(h::not_found("instance_server", &srv.id));
    };
    if let Some(name) = h::s(&body, "name") {
        s.name = name.to_string();
    }
    if body.get("tags").is_some_and(Value::is_array) {
        s.tags = strings(&body, "tags");
    }
    if let Some(ct) = h::s(&body, "commercial_type") {
        s.commercial_type = ct.to_string();
    }
    for (key, field) in [
        ("dynamic_ip_required", &mut s.dynamic_ip_required),
        ("routed_ip_enabled", &mut s.routed_ip_enabled),
        ("enable_ipv6", &mut s.enable_ipv6),
        ("protected", &mut s.protected),
    ] {
        if let Some(b) = body.get(key).and_then(Value::as_bool) {
            *field = b;
        }
    }
    if let Some(g) = new_sg {
        s.security_group = g;
    }
    s.modified = instance_time();
    let s = &st.servers[&srv.id];
    Ok(Reply::ok(json!({"server": server_json(st, s)})))
}

fn detach_any(st: &mut Store, v: &VolRef, ctx: &Ctx) {
    match v.kind {
        VolKind::Block => st.detach_block(&v.id, Some(settle(ctx, DETACH_SECONDS))),
        VolKind::Local => {
            if let Some(iv) = st.ivolumes.get_mut(&v.id) {
                iv.server = None;
                iv.modified = instance_time();
            }
        }
    }
}

fn delete_server(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let srv = server(st, req)?;
    if srv.state != "stopped" && srv.state != "stopped in place" {
        return Err(h::invalid_request("instance must be powered off to be deleted"));
    }
    let srv = srv.clone();
    for v in srv.volumes.values() {
        detach_any(st, v, ctx);
    }
    st.release_server_resources(&srv);
    st.servers.remove(&srv.id);
    Ok(Reply::no_content())
}

fn server_action(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let action = s(&body, "action").unwrap_or("poweron").to_string();
    let srv = server(st, req)?.clone();
    if action == "backup" || action == "enable_routed_ip" {
        return Err(h::not_implemented(req.module, &format!("ServerAction {action}")));
    }
    if !["poweron", "poweroff", "stop_in_place", "reboot", "terminate"].contains(&action.as_str()) {
        return Err(h::constraint("action", format!("unknown action {action}")));
    }
    if !allowed_actions(st, &srv).contains(&action.as_str()) {
        return Err(h::invalid_request(format!(
            "Action {action} is not allowed while the server is {}{}.",
            srv.state,
            if srv.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", srv.detail)
            }
        )));
    }
    let local_root = srv.volumes.values().any(|v| v.kind == VolKind::Local);
    let id = srv.id.clone();
    match action.as_str() {
        "poweron" => {
            if srv.dynamic_ip_required && srv.public_ips.is_empty() {
                let seq = st.next_seq();
                let address = st.next_public_address();
                let ip_id = new_id();
                st.record(
                    Created::new(CreatedKind::Ip, &ip_id, &srv.project, &srv.zone, "", &[]).server(Some(&id)),
                );
                st.ips.insert(
                    ip_id.clone(),
                    Ip {
                        id: ip_id.clone(),
                        seq,
                        address,
                        prefix: None,
                        zone: srv.zone.clone(),
                        project: srv.project.clone(),
                        organization: srv.organization.clone(),
                        ip_type: "routed_ipv4".into(),
                        server: Some(id.clone()),
                        dynamic: true,
                        reverse: None,
                        tags: Vec::new(),
                    },
                );
                if let Some(s) = st.servers.get_mut(&id) {
                    s.public_ips.push(ip_id);
                }
            }
            // `booted` comes late: recorded servers still said `booting kernel` a minute after
            // poweron, and `booted` three minutes after.
            let steps: &[(f64, &str, &str)] = if srv.state == "stopped in place" {
                &[
                    (0.0, "starting", "stopped in place"),
                    (5.0, "running", "booting kernel"),
                    (BOOTED_AFTER, "running", "booted"),
                ]
            } else if local_root {
                &[
                    (0.0, "starting", "allocating node"),
                    (6.0, "starting", "provisioning node"),
                    (16.0, "running", "booting kernel"),
                    (BOOTED_AFTER, "running", "booted"),
                ]
            } else {
                &[
                    (0.0, "starting", "allocating node"),
                    (5.0, "running", "booting kernel"),
                    (BOOTED_AFTER, "running", "booted"),
                ]
            };
            st.transition(&id, ctx.now, ctx.scale, steps, Completion::None);
        }
        "poweroff" => st.transition(
            &id,
            ctx.now,
            ctx.scale,
            &[(0.0, "stopping", "stopping"), (25.0, "stopped", "")],
            Completion::Stopped,
        ),
        "stop_in_place" => st.transition(
            &id,
            ctx.now,
            ctx.scale,
            &[
                (0.0, "stopping", "stopping in place"),
                (42.0, "stopped in place", "stopped in place"),
            ],
            Completion::None,
        ),
        "reboot" => st.transition(
            &id,
            ctx.now,
            ctx.scale,
            &[
                (0.0, "starting", "rebooting"),
                (10.0, "running", "booting kernel"),
                (BOOTED_AFTER, "running", "booted"),
            ],
            Completion::None,
        ),
        _ => {
            // terminate: IPs leave the server at once, local volumes show `deleting`.
            st.release_dynamic_ips(&id);
            for ip in st.ips.values_mut() {
                if ip.server.as_deref() == Some(id.as_str()) {
                    ip.server = None;
                }
            }
            if let Some(s) = st.servers.get_mut(&id) {
                s.public_ips.clear();
            }
            for v in srv.volumes.values().filter(|v| v.kind == VolKind::Local) {
                if let Some(iv) = st.ivolumes.get_mut(&v.id) {
                    iv.deleting = true;
                }
            }
            let done = if local_root { 10.0 } else { 5.0 };
            st.transition(
                &id,
                ctx.now,
                ctx.scale,
                &[(0.0, "stopping", "terminating"), (done, "stopped", "")],
                Completion::Terminate,
            );
        }
    }
    let zone = req.param("zone");
    let task = json!({"task": {
        "id": new_id(),
        "description": format!("server_{action}"),
        "status": "pending",
        "href_from": format!("/servers/{id}/action"),
        "href_result": format!("/servers/{id}"),
        "started_at": instance_time(),
        "terminated_at": null,
        "progress": 0,
        "zone": zone,
    }});
    Ok(Reply::json(202, task))
}

fn attach_volume(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let Some(vid) = s(&body, "volume_id").map(str::to_string) else {
        return Err(h::required(&["volume_id"]));
    };
    let srv = server(st, req)?.clone();
    let kind = if st.bvolumes.get(&vid).is_some_and(|v| v.zone == srv.zone) {
        VolKind::Block
    } else if st.ivolumes.get(&vid).is_some_and(|v| v.zone == srv.zone) {
        VolKind::Local
    } else {
        return Err(h::not_found("instance_volume", &vid));
    };
    if st.volume_server(&vid).is_some() {
        return Err(h::precondition(
            "resource_not_usable",
            format!("volume {vid} is already attached"),
        ));
    }
    if st.bvolumes.get(&vid).is_some_and(|v| v.creating_until.is_some()) {
        return Err(h::transient_state("volume", &vid, "creating"));
    }
    match kind {
        VolKind::Block => st.attach_block(&vid, &srv.id, Some(settle(ctx, ATTACH_SECONDS))),
        VolKind::Local => {
            if let Some(iv) = st.ivolumes.get_mut(&vid) {
                iv.server = Some(srv.id.clone());
            }
        }
    }
    let s = st
        .servers
        .get_mut(&srv.id)
        .ok_or_else(|| h::not_found("instance_server", &srv.id))?;
    let index = s.volumes.keys().next_back().map(|k| k + 1).unwrap_or(0);
    s.volumes.insert(
        index,
        VolRef {
            id: vid,
            kind,
            boot: false,
        },
    );
    s.modified = instance_time();
    let s = &st.servers[&srv.id];
    Ok(Reply::ok(json!({"server": server_json(st, s)})))
}

fn detach_volume(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let Some(vid) = s(&body, "volume_id").map(str::to_string) else {
        return Err(h::required(&["volume_id"]));
    };
    let srv = server(st, req)?.clone();
    let Some((index, vref)) = srv.volumes.iter().find(|(_, v)| v.id == vid) else {
        if st.bvolumes.contains_key(&vid) || st.ivolumes.contains_key(&vid) {
            return Err(h::precondition(
                "resource_not_usable",
                format!("volume {vid} is not attached to server {}", srv.id),
            ));
        }
        return Err(h::not_found("instance_volume", &vid));
    };
    detach_any(st, vref, ctx);
    if let Some(s) = st.servers.get_mut(&srv.id) {
        s.volumes.remove(index);
        s.modified = instance_time();
    }
    let s = &st.servers[&srv.id];
    Ok(Reply::ok(json!({"server": server_json(st, s)})))
}

// ---------------------------------------------------------------------------------------------
// Private NICs

pub(crate) fn nic_json(n: &Nic) -> Value {
    json!({
        "id": n.id,
        "private_network_id": n.private_network_id,
        "server_id": n.server_id,
        "mac_address": n.mac,
        "state": if n.syncing_until.is_some() { "syncing" } else { "available" },
        "creation_date": n.created,
        "modification_date": n.modified,
        "zone": n.zone,
        "tags": n.tags,
        "ipam_ip_ids": n.ipam_ip_ids,
    })
}

fn create_nic(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let srv = server(st, req)?.clone();
    let Some(pn_id) = s(&body, "private_network_id").map(str::to_string) else {
        return Err(h::required(&["private_network_id"]));
    };
    let region = catalog::region_of(&srv.zone).to_string();
    if st.pns.get(&pn_id).is_none_or(|p| p.region != region) {
        return Err(h::not_found("private_network", &pn_id));
    }
    if st_has_nic(&st.nics, &srv.id, &pn_id) {
        return Err(h::invalid_request(
            "The server already has a private NIC in this private network.",
        ));
    }
    let nic_id = new_id();
    let seq = st.next_seq();
    let mac = st.next_mac("02:00:00");
    // The NIC's two addresses live in IPAM, bound to the NIC (IPAM shows the MAC in capitals and
    // the server's name, which resolves to them in the private network's DNS).
    let booking = |is_ipv6| Booking {
        private_network_id: pn_id.clone(),
        is_ipv6,
        address: None,
        project: srv.project.clone(),
        tags: Vec::new(),
        resource: Some(IpamResource {
            kind: NIC_RESOURCE.to_string(),
            id: nic_id.clone(),
            mac: Some(mac.clone()),
            name: Some(srv.name.clone()),
        }),
    };
    let no_address = || h::precondition("resource_not_usable", "no free address in the private network");
    let v4 = st.book_ipam(booking(false)).map_err(|_| no_address())?;
    let v6 = match st.book_ipam(booking(true)) {
        Ok(id) => id,
        Err(_) => {
            st.ipam.remove(&v4);
            return Err(no_address());
        }
    };
    let address = match st.ipam[&v4].address {
        std::net::IpAddr::V4(a) => u32::from(a),
        std::net::IpAddr::V6(_) => unreachable!("an IPv4 booking gives an IPv4"),
    };
    let now = instance_time();
    let syncing = matches!(srv.state, "running" | "starting");
    let n = Nic {
        id: nic_id.clone(),
        seq,
        server_id: srv.id.clone(),
        private_network_id: pn_id,
        zone: srv.zone.clone(),
        mac,
        tags: strings(&body, "tags"),
        ipv4: address,
        ipam_ip_ids: vec![v4, v6],
        syncing_until: syncing.then(|| ctx.now + scaled(55.0, ctx.scale)),
        created: now.clone(),
        modified: now,
    };
    let json = nic_json(&n);
    if syncing {
        st.pending_nics.insert(n.id.clone());
    }
    st.record(
        Created::new(CreatedKind::PrivateNic, &n.id, &srv.project, &n.zone, "", &n.tags)
            .server(Some(&n.server_id))
            .network(&n.private_network_id),
    );
    st.nics.insert(n.id.clone(), n);
    Ok(Reply::json(201, json!({"private_nic": json})))
}

fn st_has_nic(nics: &std::collections::HashMap<String, Nic>, server: &str, pn: &str) -> bool {
    nics.values()
        .any(|n| n.server_id == server && n.private_network_id == pn)
}

// ---------------------------------------------------------------------------------------------
// IPs

fn ip_json(st: &Store, ip: &Ip) -> Value {
    let server = ip
        .server
        .as_ref()
        .and_then(|id| st.servers.get(id))
        .map(|s| json!({"id": s.id, "name": s.name}));
    let (address, prefix) = match &ip.prefix {
        Some(prefix) => (Value::Null, json!(prefix)),
        None => (json!(ip.address), Value::Null),
    };
    json!({
        "id": ip.id,
        "address": address,
        "prefix": prefix,
        "reverse": ip.reverse,
        "server": server,
        "organization": ip.organization,
        "project": ip.project,
        "zone": ip.zone,
        "type": ip.ip_type,
        "state": if ip.server.is_some() { "attached" } else { "detached" },
        "tags": ip.tags,
        "ipam_id": ip.id,
    })
}

fn list_ips(st: &Store, req: &Req) -> Res {
    let (page, size) = h::instance_page(req)?;
    let zone = req.param("zone");
    let project = req.q("project");
    let name = req.q("name");
    let tags = req.q_all("tags");
    let ip_type = req.q("type");
    let mut ips: Vec<&Ip> = st
        .ips
        .values()
        .filter(|ip| {
            ip.zone == zone
                && project.is_none_or(|p| p == ip.project)
                && h::name_matches(name, &ip.address)
                && h::tags_match(&tags, &ip.tags)
                && ip_type.is_none_or(|t| t == ip.ip_type)
        })
        .collect();
    ips.sort_by_key(|ip| ip.seq);
    Ok(h::instance_list(req, "ips", &ips, (page, size), |ip| {
        ip_json(st, ip)
    }))
}

fn create_ip(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    let zone = req.param("zone").to_string();
    let project = project_of(st, &body, "project", "instance_ip")?;
    // `unknown_iptype` is what SDKs send by default: the API then gives a routed IPv4.
    let ip_type = match s(&body, "type") {
        None | Some("unknown_iptype") => "routed_ipv4".to_string(),
        Some(t) => t.to_string(),
    };
    if ip_type != "routed_ipv4" && ip_type != "routed_ipv6" {
        return Err(h::not_implemented(
            req.module,
            &format!("CreateIp type {ip_type}"),
        ));
    }
    let server = match s(&body, "server") {
        Some(id) => match st.servers.get(id) {
            Some(srv) if srv.zone == zone => Some(id.to_string()),
            _ => return Err(h::not_found("instance_server", id)),
        },
        None => None,
    };
    let seq = st.next_seq();
    // A routed IPv6 is a /64 (recorded: `address` null, `prefix` `2001:bc8:711:4014::/64`); its
    // server gets an address in it.
    let (address, prefix) = if ip_type == "routed_ipv6" {
        let (prefix, address) = st.next_ipv6_prefix();
        (address, Some(prefix))
    } else {
        (st.next_public_address(), None)
    };
    let ip = Ip {
        id: new_id(),
        seq,
        address,
        prefix,
        zone: zone.clone(),
        project,
        organization: st.organization.clone(),
        ip_type,
        server: server.clone(),
        dynamic: false,
        reverse: None,
        tags: strings(&body, "tags"),
    };
    let id = ip.id.clone();
    st.record(
        Created::new(CreatedKind::Ip, &id, &ip.project, &ip.zone, "", &ip.tags).server(ip.server.as_deref()),
    );
    st.ips.insert(id.clone(), ip);
    if let Some(server) = server.and_then(|s| st.servers.get_mut(&s)) {
        server.public_ips.push(id.clone());
    }
    let json = ip_json(st, &st.ips[&id]);
    Ok(Reply::json(201, json!({"ip": json})).header("location", format!("{BASE}/{zone}/ips/{id}")))
}

fn update_ip(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    let id = ip(st, req)?.id.clone();
    if let Some(server_field) = body.get("server") {
        let new_server = match server_field {
            Value::Null => None,
            Value::String(sid) => match st.servers.get(sid) {
                Some(_) => Some(sid.clone()),
                None => return Err(h::not_found("instance_server", sid)),
            },
            _ => return Err(h::constraint("server", "expected a server id or null")),
        };
        let old = st.ips.get(&id).and_then(|ip| ip.server.clone());
        if let Some(old) = old.and_then(|o| st.servers.get_mut(&o)) {
            old.public_ips.retain(|i| *i != id);
        }
        if let Some(new) = new_server.as_ref().and_then(|n| st.servers.get_mut(n)) {
            new.public_ips.push(id.clone());
        }
        if let Some(ip) = st.ips.get_mut(&id) {
            ip.server = new_server;
        }
    }
    let ip = st
        .ips
        .get_mut(&id)
        .ok_or_else(|| h::not_found("instance_ip", &id))?;
    if body.get("tags").is_some_and(Value::is_array) {
        ip.tags = strings(&body, "tags");
    }
    match body.get("reverse") {
        Some(Value::String(r)) => ip.reverse = Some(r.clone()),
        Some(Value::Null) => ip.reverse = None,
        _ => {}
    }
    let json = ip_json(st, &st.ips[&id]);
    Ok(Reply::ok(json!({"ip": json})))
}

// ---------------------------------------------------------------------------------------------
// Security groups

fn sg_json(st: &Store, g: &SecurityGroup) -> Value {
    let mut servers: Vec<&Server> = st.servers.values().filter(|s| s.security_group == g.id).collect();
    servers.sort_by_key(|s| s.seq);
    json!({
        "id": g.id,
        "creation_date": g.created,
        "modification_date": g.modified,
        "name": g.name,
        "description": g.description,
        "organization": g.organization,
        "project": g.project,
        "servers": servers.iter().map(|s| json!({"id": s.id, "name": s.name})).collect::<Vec<_>>(),
        "stateful": g.stateful,
        "inbound_default_policy": g.inbound_default_policy,
        "outbound_default_policy": g.outbound_default_policy,
        // Recorded: a project's default group is also flagged as the organization's default,
        // even in a project that is not the organization's default one.
        "organization_default": g.project_default,
        "project_default": g.project_default,
        "enable_default_security": g.enable_default_security,
        "state": "available",
        "tags": g.tags,
        "zone": g.zone,
    })
}

fn list_security_groups(st: &mut Store, req: &Req) -> Res {
    let (page, size) = h::instance_page(req)?;
    let zone = req.param("zone").to_string();
    let project = req.q("project").map(str::to_string);
    // Every project has its default group in each zone; a project id the organization does not
    // hold just lists nothing.
    let listed = project.clone().unwrap_or_else(|| st.default_project.clone());
    if st.project_known(&listed) {
        ensure_default_sg(st, &listed, &zone);
    }
    let name = req.q("name");
    let tags = req.q_all("tags");
    let project_default = req.q("project_default").map(|v| v == "true");
    let mut groups: Vec<&SecurityGroup> = st
        .sgs
        .values()
        .filter(|g| {
            g.zone == zone
                && project.as_deref().is_none_or(|p| p == g.project)
                && h::name_matches(name, &g.name)
                && h::tags_match(&tags, &g.tags)
                && project_default.is_none_or(|d| d == g.project_default)
        })
        .collect();
    groups.sort_by_key(|g| g.seq);
    Ok(h::instance_list(
        req,
        "security_groups",
        &groups,
        (page, size),
        |g| sg_json(st, g),
    ))
}

fn create_security_group(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    let zone = req.param("zone").to_string();
    let project = project_of(st, &body, "project", "instance_security_group")?;
    let policy = |key: &str, default: &str| -> Result<String, Reply> {
        let p = s(&body, key).unwrap_or(default);
        if p != "accept" && p != "drop" {
            return Err(h::constraint(key, "must be accept or drop"));
        }
        Ok(p.to_string())
    };
    let inbound = policy("inbound_default_policy", "accept")?;
    let outbound = policy("outbound_default_policy", "accept")?;
    let seq = st.next_seq();
    let now = instance_time();
    let g = SecurityGroup {
        id: new_id(),
        seq,
        name: s(&body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("sg-{seq}")),
        description: s(&body, "description").map(str::to_string),
        zone: zone.clone(),
        project,
        organization: st.organization.clone(),
        stateful: body.get("stateful").and_then(Value::as_bool).unwrap_or(true),
        inbound_default_policy: inbound,
        outbound_default_policy: outbound,
        project_default: false,
        enable_default_security: body
            .get("enable_default_security")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        tags: strings(&body, "tags"),
        rules: Vec::new(),
        created: now.clone(),
        modified: now,
    };
    let id = g.id.clone();
    let json = sg_json(st, &g);
    st.record(Created::new(
        CreatedKind::SecurityGroup,
        &id,
        &g.project,
        &g.zone,
        &g.name,
        &g.tags,
    ));
    st.sgs.insert(id.clone(), g);
    Ok(Reply::json(201, json!({"security_group": json}))
        .header("location", format!("{BASE}/{zone}/security_groups/{id}")))
}

fn update_security_group(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    let id = sg(st, req)?.id.clone();
    let g = st
        .sgs
        .get_mut(&id)
        .ok_or_else(|| h::not_found("instance_security_group", &id))?;
    if let Some(name) = s(&body, "name") {
        g.name = name.to_string();
    }
    match body.get("description") {
        Some(Value::String(d)) => g.description = Some(d.clone()),
        Some(Value::Null) => g.description = None,
        _ => {}
    }
    for (key, field) in [
        ("inbound_default_policy", &mut g.inbound_default_policy),
        ("outbound_default_policy", &mut g.outbound_default_policy),
    ] {
        if let Some(p) = s(&body, key) {
            if p != "accept" && p != "drop" {
                return Err(h::constraint(key, "must be accept or drop"));
            }
            *field = p.to_string();
        }
    }
    for (key, field) in [
        ("stateful", &mut g.stateful),
        ("enable_default_security", &mut g.enable_default_security),
    ] {
        if let Some(b) = body.get(key).and_then(Value::as_bool) {
            *field = b;
        }
    }
    if body.get("tags").is_some_and(Value::is_array) {
        g.tags = strings(&body, "tags");
    }
    g.modified = instance_time();
    let g = &st.sgs[&id];
    Ok(Reply::ok(json!({"security_group": sg_json(st, g)})))
}

fn default_rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for (i, (range, port)) in [
        ("0.0.0.0/0", 25),
        ("0.0.0.0/0", 465),
        ("0.0.0.0/0", 587),
        ("::/0", 25),
        ("::/0", 465),
        ("::/0", 587),
    ]
    .into_iter()
    .enumerate()
    {
        rules.push(Rule {
            id: format!("11111111-2222-4333-8444-00000000000{}", i + 1),
            protocol: "TCP".into(),
            direction: "outbound".into(),
            action: "drop".into(),
            ip_range: range.into(),
            dest_ip_range: None,
            dest_port_from: Some(port),
            dest_port_to: None,
            position: i as u64 + 1,
        });
    }
    rules
}

fn default_rules_of(g: &SecurityGroup) -> Vec<Rule> {
    if g.enable_default_security {
        default_rules()
    } else {
        Vec::new()
    }
}

fn all_rules_json(g: &SecurityGroup) -> Vec<Value> {
    default_rules_of(g)
        .iter()
        .map(|r| rule_json(r, &g.zone, false))
        .chain(g.rules.iter().map(|r| rule_json(r, &g.zone, true)))
        .collect()
}

fn rule_json(r: &Rule, zone: &str, editable: bool) -> Value {
    json!({
        "id": r.id,
        "protocol": r.protocol,
        "direction": r.direction,
        "ip_range": r.ip_range,
        "dest_ip_range": r.dest_ip_range,
        "dest_port_from": r.dest_port_from,
        "dest_port_to": r.dest_port_to,
        "position": r.position,
        "editable": editable,
        "action": r.action,
        "zone": zone,
    })
}

fn renumber(rules: &mut [Rule]) {
    for (i, r) in rules.iter_mut().enumerate() {
        r.position = i as u64 + 1;
    }
}

/// Parses and normalises a rule as the API does: a `/32` (or `/128`) is dropped from `ip_range`,
/// `dest_port_to == dest_port_from` becomes null, ICMP or ports 0/0 have no ports.
fn parse_rule(body: &Value, id: Option<String>) -> Result<Rule, Reply> {
    let protocol = s(body, "protocol").unwrap_or("TCP").to_uppercase();
    if !["TCP", "UDP", "ICMP", "ANY"].contains(&protocol.as_str()) {
        return Err(h::constraint("protocol", "must be TCP, UDP, ICMP or ANY"));
    }
    let direction = s(body, "direction").unwrap_or("inbound").to_string();
    if direction != "inbound" && direction != "outbound" {
        return Err(h::constraint("direction", "must be inbound or outbound"));
    }
    let action = s(body, "action").unwrap_or("accept").to_string();
    if action != "accept" && action != "drop" {
        return Err(h::constraint("action", "must be accept or drop"));
    }
    let Some(range) = s(body, "ip_range") else {
        return Err(h::required(&["ip_range"]));
    };
    let ip_range = normalise_range(range).ok_or_else(|| h::constraint("ip_range", "invalid IP range"))?;
    let port = |key: &str| -> Result<Option<u64>, Reply> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(p) if p <= 65535 => Ok(Some(p)),
                _ => Err(h::constraint(key, "must be a port between 0 and 65535")),
            },
        }
    };
    let mut from = port("dest_port_from")?;
    let mut to = port("dest_port_to")?;
    if protocol == "ICMP" || (from.unwrap_or(0) == 0 && to.unwrap_or(0) == 0) {
        from = None;
        to = None;
    }
    if to.is_some() && to == from {
        to = None;
    }
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(h::constraint(
            "dest_port_to",
            "must be greater than dest_port_from",
        ));
    }
    Ok(Rule {
        id: id.unwrap_or_else(new_id),
        protocol,
        direction,
        action,
        ip_range,
        dest_ip_range: s(body, "dest_ip_range").map(str::to_string),
        dest_port_from: from,
        dest_port_to: to,
        position: body.get("position").and_then(Value::as_u64).unwrap_or(0),
    })
}

fn normalise_range(range: &str) -> Option<String> {
    let (addr, prefix) = match range.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (range, None),
    };
    let ip: std::net::IpAddr = addr.parse().ok()?;
    let full = if ip.is_ipv4() { 32 } else { 128 };
    match prefix {
        None => Some(ip.to_string()),
        Some(p) if p > full => None,
        Some(p) if p == full => Some(ip.to_string()),
        Some(p) => Some(format!("{ip}/{p}")),
    }
}

// ---------------------------------------------------------------------------------------------
// Instance volumes

fn ivolume_json(st: &Store, v: &InstanceVolume, deleting: bool) -> Value {
    let server = v
        .server
        .as_ref()
        .and_then(|id| st.servers.get(id))
        .map(|s| json!({"id": s.id, "name": s.name}));
    json!({
        "id": v.id,
        "name": v.name,
        "volume_type": v.volume_type,
        "export_uri": null,
        "organization": v.organization,
        "project": v.project,
        "server": server,
        "size": v.size,
        "state": if deleting || v.deleting { "deleting" } else { "available" },
        "creation_date": v.created,
        "modification_date": v.modified,
        "tags": v.tags,
        "zone": v.zone,
    })
}

fn list_volumes(st: &Store, req: &Req) -> Res {
    let (page, size) = h::instance_page(req)?;
    let zone = req.param("zone");
    let project = req.q("project");
    let name = req.q("name");
    let tags = req.q_all("tags");
    let mut vols: Vec<&InstanceVolume> = st
        .ivolumes
        .values()
        .filter(|v| {
            v.zone == zone
                && project.is_none_or(|p| p == v.project)
                && h::name_matches(name, &v.name)
                && h::tags_match(&tags, &v.tags)
        })
        .collect();
    vols.sort_by_key(|v| v.seq);
    Ok(h::instance_list(req, "volumes", &vols, (page, size), |v| {
        ivolume_json(st, v, false)
    }))
}

fn create_volume(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    let zone = req.param("zone").to_string();
    let project = project_of(st, &body, "project", "instance_volume")?;
    let volume_type = s(&body, "volume_type").unwrap_or("l_ssd");
    if volume_type != "l_ssd" {
        return Err(h::not_implemented(
            req.module,
            &format!("CreateVolume volume_type {volume_type}"),
        ));
    }
    let Some(size) = body.get("size").and_then(Value::as_u64) else {
        return Err(h::required(&["size"]));
    };
    let name = s(&body, "name").unwrap_or("volume").to_string();
    let id = new_local_volume(st, &name, &zone, &project, size, None);
    if let Some(v) = st.ivolumes.get_mut(&id) {
        v.tags = strings(&body, "tags");
    }
    let json = ivolume_json(st, &st.ivolumes[&id], false);
    Ok(Reply::json(201, json!({"volume": json})).header("location", format!("{BASE}/{zone}/volumes/{id}")))
}
