//! What a server holds besides its creation volumes: volumes attached and detached later, and
//! File Storage file systems.

use serde_json::json;

use crate::catalog;
use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, s};
use crate::store::{Store, VolKind, VolRef, instance_time};
use crate::timings::TransitionKind;

use super::views::{detach_any, server, server_json, server_mut, settle};

pub(super) const OPERATIONS: Routes = &[
    ("AttachServerVolume", attach),
    ("DetachServerVolume", detach),
    ("AttachServerFileSystem", attach_file_system),
    ("DetachServerFileSystem", detach_file_system),
];

fn attach(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
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
    // Held by any server (this one included), or still detaching from one: refused. No
    // recording shows this refusal: its shape is a guess in the API's 412 format.
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
        VolKind::Block => {
            let seconds = st.timings.draw(TransitionKind::Attach, &vid, ctx);
            st.attach_block(&vid, &srv.id, Some(settle(ctx, seconds)));
        }
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

fn detach(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
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
    detach_any(st, vref, ctx, TransitionKind::Detach);
    if let Some(s) = st.servers.get_mut(&srv.id) {
        s.volumes.remove(index);
        s.modified = instance_time();
    }
    let s = &st.servers[&srv.id];
    Ok(Reply::ok(json!({"server": server_json(st, s)})))
}

/// File systems live in the File Storage API, which the simulator does not serve: any id is
/// taken, up to the commercial type's `max_file_systems`.
fn attach_file_system(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let id = file_system_id(&body)?;
    let srv = server(st, req)?;
    let max = catalog::server_type(&srv.commercial_type).map_or(0, catalog::max_file_systems);
    if srv.filesystems.contains(&id) {
        return Err(h::precondition(
            "resource_not_usable",
            format!("file system {id} is already attached to server {}", srv.id),
        ));
    }
    if srv.filesystems.len() as u64 >= max {
        return Err(h::precondition(
            "resource_not_usable",
            format!(
                "commercial type {} takes at most {max} file systems",
                srv.commercial_type
            ),
        ));
    }
    let srv = server_mut(st, req)?;
    srv.filesystems.push(id);
    srv.modified = instance_time();
    let srv = server(st, req)?;
    Ok(Reply::ok(json!({"server": server_json(st, srv)})))
}

fn detach_file_system(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let id = file_system_id(&body)?;
    let srv = server_mut(st, req)?;
    let Some(index) = srv.filesystems.iter().position(|f| *f == id) else {
        return Err(h::precondition(
            "resource_not_usable",
            format!("file system {id} is not attached to server {}", srv.id),
        ));
    };
    srv.filesystems.remove(index);
    srv.modified = instance_time();
    let srv = server(st, req)?;
    Ok(Reply::ok(json!({"server": server_json(st, srv)})))
}

fn file_system_id(body: &serde_json::Value) -> Result<String, crate::http::Reply> {
    match s(body, "filesystem_id") {
        None => Err(h::required(&["filesystem_id"])),
        Some(id) if !h::is_uuid(id) => Err(h::constraint("filesystem_id", "must be a UUID")),
        Some(id) => Ok(id.to_string()),
    }
}
