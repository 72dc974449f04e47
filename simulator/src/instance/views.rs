//! What the Instance resources share: their JSON views, the lookups of a request's resource, and
//! the few steps several resources take (a project's default security group, a local volume, a
//! volume leaving its server).

use serde_json::{Value, json};

use crate::catalog::{self, ServerType, ZONES};
use crate::http::{self as h, Ctx, Reply, Req};
use crate::store::{
    Created, CreatedKind, InstanceVolume, Ip, Nic, SecurityGroup, Server, Store, VolKind, VolRef,
    instance_time, new_id, scaled,
};
use crate::timings::TransitionKind;

/// Where the `Location` of a created resource points.
pub(super) const BASE: &str = "https://api.scaleway.com/instance/v1/zones";

/// When a volume attached or detached now settles.
pub(super) fn settle(ctx: &Ctx, seconds: f64) -> tokio::time::Instant {
    ctx.now + scaled(seconds, ctx.scale)
}

/// The answer when a resource just looked up is gone (it cannot be: the store is locked).
pub(super) fn vanished() -> Reply {
    h::not_found("unknown", "")
}

/// The request's zone, refused when the API has no such zone.
pub(super) fn zone(req: &Req) -> Result<&str, Reply> {
    let zone = req.param("zone");
    if !ZONES.contains(&zone) {
        return Err(h::constraint("zone", format!("unknown zone {zone}")));
    }
    Ok(zone)
}

// ---------------------------------------------------------------------------------------------
// Lookups

pub(super) fn server<'s>(st: &'s Store, req: &Req) -> Result<&'s Server, Reply> {
    zone(req)?;
    let id = req.param("server_id");
    st.servers
        .get(id)
        .filter(|s| s.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_server", id))
}

pub(super) fn server_mut<'s>(st: &'s mut Store, req: &Req) -> Result<&'s mut Server, Reply> {
    zone(req)?;
    let id = req.param("server_id");
    st.servers
        .get_mut(id)
        .filter(|s| s.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_server", id))
}

pub(super) fn nic<'s>(st: &'s Store, req: &Req) -> Result<&'s Nic, Reply> {
    server(st, req)?;
    let id = req.param("private_nic_id");
    st.nics
        .get(id)
        .filter(|n| n.server_id == req.param("server_id"))
        .ok_or_else(|| h::not_found("instance_private_nic", id))
}

pub(super) fn ip<'s>(st: &'s Store, req: &Req) -> Result<&'s Ip, Reply> {
    zone(req)?;
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

pub(super) fn sg<'s>(st: &'s Store, req: &Req) -> Result<&'s SecurityGroup, Reply> {
    zone(req)?;
    let id = req.param("security_group_id");
    st.sgs
        .get(id)
        .filter(|g| g.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_security_group", id))
}

pub(super) fn ivolume<'s>(st: &'s Store, req: &Req) -> Result<&'s InstanceVolume, Reply> {
    zone(req)?;
    let id = req.param("volume_id");
    st.ivolumes
        .get(id)
        .filter(|v| v.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_volume", id))
}

// ---------------------------------------------------------------------------------------------
// JSON views

pub(super) fn allowed_actions(st: &Store, srv: &Server) -> Vec<&'static str> {
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

pub(super) fn server_json(st: &Store, srv: &Server) -> Value {
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
        "placement_group": srv.placement_group.as_ref().and_then(|id| st.placement_groups.get(id)).map(super::placement_groups::placement_group_json),
        "private_nics": nics.into_iter().map(nic_json).collect::<Vec<_>>(),
        "zone": srv.zone,
        "filesystems": srv.filesystems.iter().map(|id| json!({"filesystem_id": id, "state": "available"})).collect::<Vec<_>>(),
        "end_of_service": false,
        "dns": format!("{}.pub.instances.scw.cloud", srv.id),
        "admin_password_encryption_ssh_key_id": null,
        "admin_password_encrypted_value": null,
    })
}

// ---------------------------------------------------------------------------------------------
// Steps shared by several resources

/// The API's refusal of l_ssd volumes over a commercial type's local budget.
pub(super) fn local_budget_exceeded(server_type: &ServerType) -> Reply {
    h::invalid_request(format!(
        "The total size of local-volume(s) of instances {} must be equal or lower to {}GB",
        server_type.name,
        catalog::local_budget(server_type) / 1_000_000_000
    ))
}

/// The project's default security group in the zone, made the first time it is needed.
pub(super) fn ensure_default_sg(st: &mut Store, project: &str, zone: &str) -> String {
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

pub(super) fn new_local_volume(
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

/// Detaches a volume from its server: a Block volume over a [`TransitionKind::Detach`] or, for
/// the volumes of a server being deleted, a [`TransitionKind::DetachOnDelete`].
pub(super) fn detach_any(st: &mut Store, v: &VolRef, ctx: &Ctx, kind: TransitionKind) {
    match v.kind {
        VolKind::Block => {
            let seconds = st.timings.draw(kind, &v.id, ctx);
            st.detach_block(&v.id, Some(settle(ctx, seconds)));
        }
        VolKind::Local => {
            if let Some(iv) = st.ivolumes.get_mut(&v.id) {
                iv.server = None;
                iv.modified = instance_time();
            }
        }
    }
}

pub(super) fn nic_json(n: &Nic) -> Value {
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

pub(super) fn ip_json(st: &Store, ip: &Ip) -> Value {
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

pub(super) fn sg_json(st: &Store, g: &SecurityGroup) -> Value {
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

pub(super) fn ivolume_json(st: &Store, v: &InstanceVolume, deleting: bool) -> Value {
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
