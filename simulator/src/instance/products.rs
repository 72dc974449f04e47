//! What the zone offers and holds: commercial types, their availability and compatibility with a
//! server, volume types, and the dashboard's counts.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::catalog::{self, ServerType};
use crate::http::{self as h, Ctx, Reply, Req, Res, Routes};
use crate::store::{Store, VolKind};

use super::views::{server, zone};

pub(super) const OPERATIONS: Routes = &[
    ("ListServersTypes", list_server_types),
    ("GetServerTypesAvailability", server_types_availability),
    ("ListVolumesTypes", list_volume_types),
    ("GetServerCompatibleTypes", compatible_types),
    ("GetDashboard", dashboard),
];

fn list_server_types(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    server_types_page(req, catalog::server_type_json)
}

fn server_types_availability(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    server_types_page(req, |_| json!({"availability": "available"}))
}

/// A page of the commercial types as a map by name, with the Instance list headers.
fn server_types_page(req: &Req, render: fn(&ServerType) -> Value) -> Res {
    zone(req)?;
    let (page, size) = h::instance_page(req)?;
    let types = catalog::server_types();
    let map: Map<String, Value> = types
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(|t| (t.name.clone(), render(t)))
        .collect();
    let reply = Reply::ok(json!({"servers": map}));
    Ok(h::instance_list_headers(req, reply, types.len(), page, size))
}

fn list_volume_types(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    zone(req)?;
    let (page, size) = h::instance_page(req)?;
    let all = catalog::volume_types_json();
    let all = all.as_object().cloned().unwrap_or_default();
    let total = all.len();
    let map: Map<String, Value> = all.into_iter().skip((page - 1) * size).take(size).collect();
    let reply = Reply::ok(json!({"volumes": map, "total_count": total}));
    Ok(h::instance_list_headers(req, reply, total, page, size))
}

/// The types the server could be moved to: same architecture, Windows only for Windows, and room
/// for its local volumes (a server with none can go to any type).
fn compatible_types(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let srv = server(st, req)?;
    let local_size: u64 = srv
        .volumes
        .values()
        .filter(|v| v.kind == VolKind::Local)
        .filter_map(|v| st.ivolumes.get(&v.id))
        .map(|v| v.size)
        .sum();
    let has_local = srv.volumes.values().any(|v| v.kind == VolKind::Local);
    let windows = srv.commercial_type.ends_with("-WIN");
    let compatible: Vec<&str> = catalog::server_types()
        .iter()
        .filter(|t| {
            t.name != srv.commercial_type
                && t.arch == srv.arch
                && t.name.ends_with("-WIN") == windows
                && (!has_local || (t.local && local_size <= catalog::local_budget(t)))
        })
        .map(|t| t.name.as_str())
        .collect();
    Ok(Reply::ok(json!({"compatible_types": compatible})))
}

/// Counts of what the zone holds, for the organization or project asked (all of the account's
/// otherwise).
fn dashboard(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let organization = req.q("organization");
    let project = req.q("project");
    let mine = |place: &str, org: &str, proj: &str| {
        place == zone && organization.is_none_or(|o| o == org) && project.is_none_or(|p| p == proj)
    };
    let org = st.organization.as_str();
    let servers: Vec<_> = st
        .servers
        .values()
        .filter(|s| mine(&s.zone, &s.organization, &s.project))
        .collect();
    let mut by_type: BTreeMap<&str, u64> = BTreeMap::new();
    for s in &servers {
        *by_type.entry(s.commercial_type.as_str()).or_default() += 1;
    }
    let local: Vec<_> = st
        .ivolumes
        .values()
        .filter(|v| mine(&v.zone, &v.organization, &v.project))
        .collect();
    let block = st
        .bvolumes
        .values()
        .filter(|v| mine(&v.zone, org, &v.project))
        .count();
    let ips: Vec<_> = st
        .ips
        .values()
        .filter(|ip| mine(&ip.zone, &ip.organization, &ip.project))
        .collect();
    let server_ids: Vec<&str> = servers.iter().map(|s| s.id.as_str()).collect();
    Ok(Reply::ok(json!({"dashboard": {
        "volumes_count": local.len() + block,
        "running_servers_count": servers.iter().filter(|s| s.state == "running").count(),
        "servers_by_types": by_type,
        "images_count": st.images.values().filter(|i| mine(&i.zone, &i.organization, &i.project)).count(),
        "snapshots_count": st.isnapshots.values().filter(|s| mine(&s.zone, &s.organization, &s.project)).count(),
        "servers_count": servers.len(),
        "ips_count": ips.len(),
        "security_groups_count": st.sgs.values().filter(|g| mine(&g.zone, &g.organization, &g.project)).count(),
        "ips_unused": ips.iter().filter(|ip| ip.server.is_none()).count(),
        "volumes_l_ssd_count": local.len(),
        "volumes_l_ssd_total_size": local.iter().map(|v| v.size).sum::<u64>(),
        "private_nics_count": st.nics.values().filter(|n| server_ids.contains(&n.server_id.as_str())).count(),
        "placement_groups_count": st.placement_groups.values().filter(|g| mine(&g.zone, &g.organization, &g.project)).count(),
        "volumes_scratch_count": 0,
    }})))
}
