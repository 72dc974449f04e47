//! Servers: listing with every filter the API declares, reading, PATCH and PUT, deletion.
//! Creation is in `server_creation`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::catalog;
use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, s, strings};
use crate::store::{Server, Store, VolKind, VolRef, instance_time};
use crate::timings::TransitionKind;

use super::server_creation;
use super::views::{
    detach_any, ensure_default_sg, local_budget_exceeded, server, server_json, settle, vanished, zone,
};

pub(super) const OPERATIONS: Routes = &[
    ("ListServers", list),
    ("CreateServer", server_creation::create),
    ("GetServer", get),
    ("SetServer", set),
    ("UpdateServer", update),
    ("DeleteServer", delete),
];

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let (page, size) = h::instance_page(req)?;
    let filter = ServerFilter::of(req);
    let mut servers: Vec<&Server> = st
        .servers
        .values()
        .filter(|s| s.zone == zone && filter.matches(st, s))
        .collect();
    match req.q("order").unwrap_or("creation_date_desc") {
        "creation_date_asc" => servers.sort_by_key(|s| s.seq),
        "modification_date_asc" => servers.sort_by(|a, b| (&a.modified, a.seq).cmp(&(&b.modified, b.seq))),
        "modification_date_desc" => servers.sort_by(|a, b| (&b.modified, b.seq).cmp(&(&a.modified, a.seq))),
        _ => servers.sort_by_key(|s| std::cmp::Reverse(s.seq)),
    }
    Ok(h::instance_list(req, "servers", &servers, (page, size), |s| {
        server_json(st, s)
    }))
}

/// ListServers' query filters; each one given must hold.
struct ServerFilter<'r> {
    organization: Option<&'r str>,
    project: Option<&'r str>,
    name: Option<&'r str>,
    tags: Vec<String>,
    state: Option<&'r str>,
    commercial_type: Option<&'r str>,
    ids: Vec<String>,
    /// An address of one of the server's public IPs.
    with_ip: Option<&'r str>,
    without_ip: bool,
    /// An address of one of the server's private NICs (IPv4 or IPv6).
    private_ip: Option<&'r str>,
    private_network: Option<&'r str>,
    /// A NIC in any of these.
    private_networks: Vec<String>,
    private_nic_mac_address: Option<&'r str>,
}

impl<'r> ServerFilter<'r> {
    fn of(req: &'r Req) -> ServerFilter<'r> {
        ServerFilter {
            organization: req.q("organization"),
            project: req.q("project"),
            name: req.q("name"),
            tags: req.q_all("tags"),
            state: req.q("state"),
            commercial_type: req.q("commercial_type"),
            ids: req.q_all("servers"),
            with_ip: req.q("with_ip"),
            without_ip: req.q("without_ip") == Some("true"),
            private_ip: req.q("private_ip"),
            private_network: req.q("private_network"),
            private_networks: req.q_all("private_networks"),
            private_nic_mac_address: req.q("private_nic_mac_address"),
        }
    }

    fn matches(&self, st: &Store, s: &Server) -> bool {
        self.organization.is_none_or(|o| o == s.organization)
            && self.project.is_none_or(|p| p == s.project)
            && h::name_matches(self.name, &s.name)
            && h::tags_match(&self.tags, &s.tags)
            && self.state.is_none_or(|x| x == s.state)
            && self.commercial_type.is_none_or(|c| c == s.commercial_type)
            && (self.ids.is_empty() || self.ids.contains(&s.id))
            && self.public_ips_match(st, s)
            && self.nics_match(st, s)
    }

    fn public_ips_match(&self, st: &Store, s: &Server) -> bool {
        let addresses = || {
            s.public_ips
                .iter()
                .filter_map(|id| st.ips.get(id))
                .map(|ip| ip.address.as_str())
        };
        (!self.without_ip || s.public_ips.is_empty())
            && self.with_ip.is_none_or(|wanted| addresses().any(|a| a == wanted))
    }

    fn nics_match(&self, st: &Store, s: &Server) -> bool {
        let nics = || st.nics.values().filter(|n| n.server_id == s.id);
        self.private_network
            .is_none_or(|pn| nics().any(|n| n.private_network_id == pn))
            && (self.private_networks.is_empty()
                || nics().any(|n| self.private_networks.contains(&n.private_network_id)))
            && self
                .private_nic_mac_address
                .is_none_or(|mac| nics().any(|n| n.mac.eq_ignore_ascii_case(mac)))
            && self.private_ip.is_none_or(|wanted| {
                nics()
                    .flat_map(|n| n.ipam_ip_ids.iter())
                    .filter_map(|id| st.ipam.get(id))
                    .any(|ip| ip.address.to_string() == wanted)
            })
    }
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let srv = server(st, req)?;
    Ok(Reply::ok(json!({"server": server_json(st, srv)})))
}

fn update(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let srv = server(st, req)?.clone();
    let changes = Changes::checked(st, &srv, &body)?;
    let placement_group = match body.get("placement_group") {
        None | Some(Value::Null) => None,
        Some(v) if v.get("null").and_then(Value::as_bool) == Some(true) => Some(None),
        Some(v) => Some(Some(placement_group_id(st, &srv, s(v, "value").or(v.as_str()))?)),
    };
    apply(st, ctx, &srv, changes, &body, placement_group)
}

/// A PUT replaces the server's settings: what the body leaves out takes the value a create gives
/// (no tags, no public IPs, the project's default security group, no placement group...); its
/// volumes stay as they are unless the body gives the map. What only the API sets (state, dates,
/// ...) is not taken from the body.
fn set(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let srv = server(st, req)?.clone();
    let missing: Vec<&str> = ["name", "commercial_type"]
        .into_iter()
        .filter(|k| s(&body, k).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(h::required(&missing));
    }
    let security_group = match body.get("security_group").and_then(|g| s(g, "id")) {
        Some(id) => id.to_string(),
        None => ensure_default_sg(st, &srv.project, &srv.zone),
    };
    let public_ips: Vec<Value> = body
        .get("public_ips")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|ip| s(ip, "id").map(|id| json!(id)))
        .collect();
    let mut full = json!({
        "tags": [],
        "boot_type": "local",
        "dynamic_ip_required": true,
        "routed_ip_enabled": true,
        "enable_ipv6": false,
        "protected": false,
    });
    if let (Some(full), Some(given)) = (full.as_object_mut(), body.as_object()) {
        full.extend(
            given
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone())),
        );
        full.insert("public_ips".into(), Value::Array(public_ips));
        full.insert("security_group".into(), json!(security_group));
    }
    let changes = Changes::checked(st, &srv, &full)?;
    let placement_group = match body.get("placement_group").and_then(|g| s(g, "id")) {
        None => None,
        Some(id) => Some(placement_group_id(st, &srv, Some(id))?),
    };
    apply(st, ctx, &srv, changes, &full, Some(placement_group))
}

fn placement_group_id(st: &Store, srv: &Server, id: Option<&str>) -> Result<String, Reply> {
    let id = id.unwrap_or_default();
    match st.placement_groups.get(id) {
        Some(g) if g.zone == srv.zone => Ok(g.id.clone()),
        _ => Err(h::not_found("instance_placement_group", id)),
    }
}

/// What a PATCH or PUT changes beyond plain fields, checked before anything is applied.
struct Changes {
    volumes: Option<BTreeMap<u32, VolRef>>,
    public_ips: Option<Vec<String>>,
    security_group: Option<String>,
}

impl Changes {
    fn checked(st: &Store, srv: &Server, body: &Value) -> Result<Changes, Reply> {
        check_commercial_type(st, srv, body)?;
        Ok(Changes {
            volumes: match body.get("volumes").and_then(Value::as_object) {
                None => None,
                Some(map) => Some(volume_map(st, srv, map)?),
            },
            public_ips: match body.get("public_ips") {
                None | Some(Value::Null) => None,
                Some(_) => Some(public_ips(st, srv, body)?),
            },
            security_group: match body
                .get("security_group")
                .and_then(|v| v.as_str().or_else(|| s(v, "id")))
            {
                None => None,
                Some(id) => match st.sgs.get(id) {
                    Some(g) if g.zone == srv.zone => Some(id.to_string()),
                    _ => return Err(h::not_found("instance_security_group", id)),
                },
            },
        })
    }
}

/// Another commercial type must exist, have room for the server's l_ssd volumes, and the
/// server be stopped.
fn check_commercial_type(st: &Store, srv: &Server, body: &Value) -> Result<(), Reply> {
    let Some(ct) = s(body, "commercial_type").filter(|ct| *ct != srv.commercial_type) else {
        return Ok(());
    };
    let Some(new_type) = catalog::server_type(ct) else {
        return Err(h::constraint(
            "commercial_type",
            format!("{ct} is not a known commercial type"),
        ));
    };
    let local: Vec<u64> = srv
        .volumes
        .values()
        .filter(|v| v.kind == VolKind::Local)
        .filter_map(|v| st.ivolumes.get(&v.id).map(|l| l.size))
        .collect();
    if !local.is_empty() && local.iter().sum::<u64>() > catalog::local_budget(new_type) {
        return Err(local_budget_exceeded(new_type));
    }
    if srv.state != "stopped" {
        return Err(h::invalid_request(
            "The server must be stopped to change its commercial type.",
        ));
    }
    Ok(())
}

/// The new volumes map: existing volumes by index, free or already the server's.
fn volume_map(st: &Store, srv: &Server, map: &Map<String, Value>) -> Result<BTreeMap<u32, VolRef>, Reply> {
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
    Ok(out)
}

/// The new public IPs: existing, free or already the server's.
fn public_ips(st: &Store, srv: &Server, body: &Value) -> Result<Vec<String>, Reply> {
    let ids = strings(body, "public_ips");
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
    Ok(ids)
}

/// Applies checked changes, then the plain fields the body names.
fn apply(
    st: &mut Store,
    ctx: &Ctx,
    srv: &Server,
    changes: Changes,
    body: &Value,
    placement_group: Option<Option<String>>,
) -> Res {
    if let Some(volumes) = changes.volumes {
        replace_volumes(st, ctx, srv, volumes);
    }
    if let Some(ids) = changes.public_ips {
        replace_public_ips(st, srv, ids);
    }
    let s = st.servers.get_mut(&srv.id).ok_or_else(vanished)?;
    apply_fields(s, body);
    if let Some(g) = changes.security_group {
        s.security_group = g;
    }
    if let Some(g) = placement_group {
        s.placement_group = g;
    }
    s.modified = instance_time();
    let s = &st.servers[&srv.id];
    Ok(Reply::ok(json!({"server": server_json(st, s)})))
}

/// Volumes left out are detached; new Block volumes attach over a second.
fn replace_volumes(st: &mut Store, ctx: &Ctx, srv: &Server, volumes: BTreeMap<u32, VolRef>) {
    for old in srv.volumes.values() {
        if !volumes.values().any(|v| v.id == old.id) {
            detach_any(st, old, ctx, TransitionKind::Detach);
        }
    }
    for v in volumes.values() {
        match v.kind {
            VolKind::Block => {
                if st.volume_server(&v.id).is_none() {
                    let seconds = st.timings.draw(TransitionKind::Attach, &v.id, ctx);
                    st.attach_block(&v.id, &srv.id, Some(settle(ctx, seconds)));
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

/// IPs left out are detached (a dynamic one is released).
fn replace_public_ips(st: &mut Store, srv: &Server, ids: Vec<String>) {
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
    st.ips.retain(|_, ip| !(ip.dynamic && ip.server.is_none()));
    if let Some(s) = st.servers.get_mut(&srv.id) {
        s.public_ips = ids;
    }
}

fn apply_fields(s: &mut Server, body: &Value) {
    if let Some(name) = h::s(body, "name") {
        s.name = name.to_string();
    }
    if body.get("tags").is_some_and(Value::is_array) {
        s.tags = strings(body, "tags");
    }
    if let Some(ct) = h::s(body, "commercial_type") {
        s.commercial_type = ct.to_string();
    }
    if let Some(boot_type) = h::s(body, "boot_type") {
        s.boot_type = boot_type.to_string();
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
}

fn delete(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let srv = server(st, req)?;
    if srv.state != "stopped" && srv.state != "stopped in place" {
        return Err(h::invalid_request("instance must be powered off to be deleted"));
    }
    let srv = srv.clone();
    for v in srv.volumes.values() {
        detach_any(st, v, ctx, TransitionKind::DetachOnDelete);
    }
    st.release_server_resources(&srv);
    st.servers.remove(&srv.id);
    Ok(Reply::no_content())
}
