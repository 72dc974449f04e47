//! Block Storage v1 and v1alpha1 volumes.

use serde_json::{Value, json};

use crate::catalog::ZONES;
use crate::http::{self as h, Ctx, Reply, Req, Res, paged, project_of, s, strings};

use crate::store::{
    BLOCK_CREATE_SECONDS, BLOCK_SNAPSHOT_SECONDS, BlockSnapshot, BlockVolume, ParentVolume, SpecUpdate,
    Store, UPDATE_SECONDS, api_time, new_id, scaled,
};

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[&[("*", handle)]];

fn volume_status(v: &BlockVolume) -> &'static str {
    if v.creating_until.is_some() {
        "creating"
    } else if v.update.is_some() {
        "updating"
    } else if v.reference.is_some() {
        "in_use"
    } else {
        "available"
    }
}

fn volume_type(iops: u64) -> &'static str {
    if iops >= 15000 { "sbs_15k" } else { "sbs_5k" }
}

fn block_volume_json(v: &BlockVolume, v1: bool) -> Value {
    let status = volume_status(v);
    let references: Vec<Value> = v
        .reference
        .iter()
        .map(|r| {
            json!({"id": r.id, "product_resource_type": "instance_server", "product_resource_id": r.server_id,
                   "created_at": r.created, "type": "exclusive", "status": r.status})
        })
        .collect();
    let mut j = json!({
        "id": v.id,
        "name": v.name,
        "type": volume_type(v.iops),
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

pub(crate) fn handle(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
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
            let id = st.new_block_volume(
                name,
                &zone,
                &project,
                size,
                iops,
                strings(&body, "tags"),
                None,
                ctx.now + scaled(BLOCK_CREATE_SECONDS, ctx.scale),
            );
            Ok(Reply::ok(block_volume_json(&st.bvolumes[&id], v1)))
        }
        "GetVolume" => Ok(Reply::ok(block_volume_json(&volume(st)?, v1))),
        "UpdateVolume" => {
            let body = req.json()?;
            let current = volume(st)?;
            // Validate everything before changing anything.
            let size = match body.get("size") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_u64() {
                    Some(size) if size < current.size => {
                        return Err(h::constraint("size", "a volume cannot be shrunk"));
                    }
                    Some(size) if size != current.size => Some(size),
                    Some(_) => None,
                    None => return Err(h::constraint("size", "size must be a number of bytes")),
                },
            };
            let iops = match body.get("perf_iops") {
                None | Some(Value::Null) => None,
                Some(v) => match v.as_u64() {
                    Some(iops @ (5000 | 15000)) => (iops != current.iops).then_some(iops),
                    _ => return Err(h::constraint("perf_iops", "perf_iops must be 5000 or 15000")),
                },
            };
            let resizing = size.is_some() || iops.is_some();
            if resizing && current.creating_until.is_some() {
                return Err(h::transient_state("volume", &current.id, "creating"));
            }
            if resizing && current.update.is_some() {
                return Err(h::transient_state("volume", &current.id, "updating"));
            }
            let id = current.id;
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
            if resizing {
                // The answer and the reads that follow show `updating` with the old size and
                // specs (and the old `updated_at`); the new values appear when it settles.
                v.update = Some(SpecUpdate {
                    until: ctx.now + scaled(UPDATE_SECONDS, ctx.scale),
                    size: size.unwrap_or(v.size),
                    iops: iops.unwrap_or(v.iops),
                    stamped: api_time(),
                });
                st.pending_volumes.insert(id.clone());
            } else {
                v.updated = api_time();
            }
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
        "ListSnapshots" | "CreateSnapshot" | "GetSnapshot" | "UpdateSnapshot" | "DeleteSnapshot" => {
            snapshots(st, ctx, req, &zone)
        }
        other => Err(h::not_implemented(req.module, other)),
    }
}

/// A Block snapshot as the API shows it (recorded: `class`, `parent_volume` with the volume's
/// current status, `public`, `references`).
fn snapshot_json(st: &Store, s: &BlockSnapshot) -> Value {
    let parent = s.parent_volume.as_ref().map(|p| {
        let status = st.bvolumes.get(&p.id).map_or("deleted", volume_status);
        json!({"id": p.id, "name": p.name, "status": status, "type": volume_type(p.iops)})
    });
    json!({
        "class": "sbs",
        "created_at": s.created,
        "id": s.id,
        "name": s.name,
        "parent_volume": parent,
        "project_id": s.project,
        "public": false,
        "references": [],
        "size": s.size,
        "status": if s.creating_until.is_some() { "creating" } else { "available" },
        "tags": s.tags,
        "updated_at": s.updated,
        "zone": s.zone,
    })
}

fn snapshots(st: &mut Store, ctx: &Ctx, req: &Req, zone: &str) -> Res {
    let snapshot = |st: &Store| -> Result<BlockSnapshot, Reply> {
        let id = req.param("snapshot_id");
        st.bsnapshots
            .get(id)
            .filter(|s| s.zone == zone)
            .cloned()
            .ok_or_else(|| h::not_found("snapshot", id))
    };
    match req.op.id {
        "ListSnapshots" => {
            let project = req.q("project_id");
            let name = req.q("name");
            let volume = req.q("volume_id");
            let tags = req.q_all("tags");
            let mut found: Vec<&BlockSnapshot> = st
                .bsnapshots
                .values()
                .filter(|s| {
                    s.zone == zone
                        && project.is_none_or(|p| p == s.project)
                        && h::name_matches(name, &s.name)
                        && h::tags_match(&tags, &s.tags)
                        && volume.is_none_or(|v| s.parent_volume.as_ref().is_some_and(|p| p.id == v))
                })
                .collect();
            match req.q("order_by") {
                Some("created_at_desc") => found.sort_by_key(|s| std::cmp::Reverse(s.seq)),
                Some("name_asc") => found.sort_by(|a, b| a.name.cmp(&b.name)),
                Some("name_desc") => found.sort_by(|a, b| b.name.cmp(&a.name)),
                _ => found.sort_by_key(|s| s.seq),
            }
            let items = found.into_iter().map(|s| snapshot_json(st, s)).collect();
            paged(req, "snapshots", items)
        }
        "CreateSnapshot" => {
            let body = req.json()?;
            let project = project_of(st, &body, "project_id", "snapshot")?;
            let Some(volume_id) = s(&body, "volume_id") else {
                return Err(h::required(&["volume_id"]));
            };
            let Some(volume) = st.bvolumes.get(volume_id).filter(|v| v.zone == zone).cloned() else {
                return Err(h::not_found("volume", volume_id));
            };
            if volume.creating_until.is_some() {
                return Err(h::transient_state("volume", volume_id, "creating"));
            }
            let seq = st.next_seq();
            let now = api_time();
            let id = new_id();
            let snapshot = BlockSnapshot {
                id: id.clone(),
                seq,
                name: s(&body, "name")
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("snp-{}", &id[..8])),
                zone: zone.to_string(),
                project,
                size: volume.size,
                tags: strings(&body, "tags"),
                parent_volume: Some(ParentVolume {
                    id: volume.id.clone(),
                    name: volume.name.clone(),
                    iops: volume.iops,
                }),
                creating_until: Some(ctx.now + scaled(BLOCK_SNAPSHOT_SECONDS, ctx.scale)),
                created: now.clone(),
                updated: now,
            };
            st.bsnapshots.insert(id.clone(), snapshot);
            st.pending_snapshots.insert(id.clone());
            Ok(Reply::ok(snapshot_json(st, &st.bsnapshots[&id])))
        }
        "GetSnapshot" => Ok(Reply::ok(snapshot_json(st, &snapshot(st)?))),
        "UpdateSnapshot" => {
            let body = req.json()?;
            let id = snapshot(st)?.id;
            let snap = st
                .bsnapshots
                .get_mut(&id)
                .ok_or_else(|| h::not_found("snapshot", &id))?;
            if let Some(name) = s(&body, "name") {
                snap.name = name.to_string();
            }
            if body.get("tags").is_some_and(Value::is_array) {
                snap.tags = strings(&body, "tags");
            }
            snap.updated = api_time();
            Ok(Reply::ok(snapshot_json(st, &st.bsnapshots[&id])))
        }
        _ => {
            let snap = snapshot(st)?;
            if let Some(image) = st.images.values().find(|i| i.root_snapshot == snap.id) {
                return Err(h::precondition(
                    "resource_still_in_use",
                    format!("snapshot is used by image {}, delete it first", image.id),
                ));
            }
            st.bsnapshots.remove(&snap.id);
            st.pending_snapshots.remove(&snap.id);
            Ok(Reply::no_content())
        }
    }
}
