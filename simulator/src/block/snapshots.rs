//! Block snapshots: taken from a volume, imported from and exported to Object Storage, each
//! through its asynchronous state (`creating`, `exporting`).

use serde_json::{Value, json};
use tokio::time::Instant;

use super::{is_v1, sort_listed, volume_status, volume_type, zone};
use crate::http::{self as h, Ctx, OwnerFilter, Reply, Req, Res, paged, project_of, s, strings};
use crate::store::{
    BLOCK_EXPORT_SECONDS, BLOCK_IMPORT_DEFAULT_SIZE, BLOCK_IMPORT_SECONDS, BLOCK_SNAPSHOT_SECONDS,
    BlockSnapshot, ParentVolume, Store, api_time, new_id, scaled,
};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListSnapshots", list),
    ("CreateSnapshot", create),
    ("GetSnapshot", get),
    ("UpdateSnapshot", update),
    ("DeleteSnapshot", delete),
    ("ImportSnapshotFromObjectStorage", import),
    ("ImportSnapshotFromS3", import),
    ("ExportSnapshotToObjectStorage", export),
];

fn status(s: &BlockSnapshot, now: Instant) -> &'static str {
    if s.creating_until.is_some() {
        "creating"
    } else if s.exporting_until.is_some_and(|until| until > now) {
        "exporting"
    } else {
        "available"
    }
}

/// A Block snapshot as the API shows it (recorded: `class`, `parent_volume` with the volume's
/// current status, `references`; v1 adds `public`).
fn snapshot_json(st: &Store, s: &BlockSnapshot, req: &Req, now: Instant) -> Value {
    let parent = s.parent_volume.as_ref().map(|p| {
        let status = st.bvolumes.get(&p.id).map_or("deleted", volume_status);
        json!({"id": p.id, "name": p.name, "status": status, "type": volume_type(p.iops)})
    });
    let mut j = json!({
        "class": "sbs",
        "created_at": s.created,
        "id": s.id,
        "name": s.name,
        "parent_volume": parent,
        "project_id": s.project,
        "references": [],
        "size": s.size,
        "status": status(s, now),
        "tags": s.tags,
        "updated_at": s.updated,
        "zone": s.zone,
    });
    if is_v1(req) {
        j["public"] = json!(s.public);
    }
    j
}

fn reply(st: &Store, id: &str, req: &Req, ctx: &Ctx) -> Res {
    Ok(Reply::ok(snapshot_json(st, &st.bsnapshots[id], req, ctx.now)))
}

/// The snapshot of the request's path, in the request's zone.
fn path_snapshot(st: &Store, req: &Req) -> Result<BlockSnapshot, Reply> {
    let zone = zone(req)?;
    let id = req.param("snapshot_id");
    st.bsnapshots
        .get(id)
        .filter(|s| s.zone == zone)
        .cloned()
        .ok_or_else(|| h::not_found("snapshot", id))
}

fn list(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let name = req.q("name");
    let volume = req.q("volume_id");
    let tags = req.q_all("tags");
    // No deleted snapshot is kept, so `include_deleted` lists the same snapshots.
    req.q("include_deleted");
    let owner = OwnerFilter::of(req);
    let mut found: Vec<&BlockSnapshot> = st
        .bsnapshots
        .values()
        .filter(|s| {
            s.zone == zone
                && owner.matches(st, &s.project)
                && h::name_matches(name, &s.name)
                && h::tags_match(&tags, &s.tags)
                && volume.is_none_or(|v| s.parent_volume.as_ref().is_some_and(|p| p.id == v))
        })
        .collect();
    sort_listed(req, &mut found, |s| s.seq, |s| &s.name);
    let items = found
        .into_iter()
        .map(|s| snapshot_json(st, s, req, ctx.now))
        .collect();
    paged(req, "snapshots", items)
}

/// What a new snapshot holds besides its name, project and tags.
struct Content {
    size: u64,
    parent_volume: Option<ParentVolume>,
    /// How long it stays `creating`.
    seconds: f64,
}

/// Records a new snapshot, `creating` for the content's time.
fn insert(
    st: &mut Store,
    ctx: &Ctx,
    name: String,
    zone: String,
    project: String,
    body: &Value,
    content: Content,
) -> String {
    let seq = st.next_seq();
    let now = api_time();
    let id = new_id();
    let snapshot = BlockSnapshot {
        id: id.clone(),
        seq,
        name,
        zone,
        project,
        size: content.size,
        tags: strings(body, "tags"),
        parent_volume: content.parent_volume,
        creating_until: Some(ctx.now + scaled(content.seconds, ctx.scale)),
        created: now.clone(),
        updated: now,
        public: body.get("public").and_then(Value::as_bool).unwrap_or(false),
        exporting_until: None,
    };
    st.bsnapshots.insert(id.clone(), snapshot);
    st.pending_snapshots.insert(id.clone());
    id
}

fn create(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let body = req.json()?;
    let project = project_of(st, &body, "project_id", "snapshot")?;
    let Some(volume_id) = s(&body, "volume_id") else {
        return Err(h::required(&["volume_id"]));
    };
    let Some(volume) = st.bvolumes.get(volume_id).filter(|v| v.zone == zone).cloned() else {
        return Err(h::not_found("volume", volume_id));
    };
    if volume.creating_until.is_some() || volume.update.is_some() {
        return Err(h::precondition(
            "resource_not_usable",
            format!(
                "volume {volume_id} is {}, wait for it to be available",
                volume_status(&volume)
            ),
        ));
    }
    let name = s(&body, "name")
        .map(str::to_string)
        .unwrap_or_else(|| format!("snp-{}", &volume.id[..8]));
    let content = Content {
        size: volume.size,
        parent_volume: Some(ParentVolume {
            id: volume.id.clone(),
            name: volume.name.clone(),
            iops: volume.iops,
        }),
        seconds: BLOCK_SNAPSHOT_SECONDS,
    };
    let id = insert(st, ctx, name, zone, project, &body, content);
    reply(st, &id, req, ctx)
}

fn get(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let id = path_snapshot(st, req)?.id;
    reply(st, &id, req, ctx)
}

fn update(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let id = path_snapshot(st, req)?.id;
    let v1 = is_v1(req);
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
    if v1 && let Some(public) = body.get("public").and_then(Value::as_bool) {
        snap.public = public;
    }
    snap.updated = api_time();
    reply(st, &id, req, ctx)
}

fn delete(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let snap = path_snapshot(st, req)?;
    if let Some(image) = st.images.values().find(|i| i.root_snapshot == snap.id) {
        return Err(h::precondition(
            "resource_still_in_use",
            format!("snapshot is used by image {}, delete it first", image.id),
        ));
    }
    if status(&snap, ctx.now) == "exporting" {
        return Err(h::precondition(
            "resource_not_usable",
            "snapshot is being exported, wait for the export to finish",
        ));
    }
    st.bsnapshots.remove(&snap.id);
    st.pending_snapshots.remove(&snap.id);
    Ok(Reply::no_content())
}

/// The bucket and key of an Object Storage request body.
fn object(body: &Value) -> Result<(String, String), Reply> {
    match (s(body, "bucket"), s(body, "key")) {
        (Some(bucket), Some(key)) => Ok((bucket.to_string(), key.to_string())),
        (bucket, key) => {
            let missing: Vec<&str> = [("bucket", bucket), ("key", key)]
                .into_iter()
                .filter(|(_, v)| v.is_none())
                .map(|(name, _)| name)
                .collect();
            Err(h::required(&missing))
        }
    }
}

/// A snapshot made from a QCOW2 object: of the size the request gives, else of the snapshot that
/// was exported to that object, else of the recorded default; `creating` while it is read.
fn import(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let body = req.json()?;
    let object = object(&body)?;
    let Some(name) = s(&body, "name").map(str::to_string) else {
        return Err(h::required(&["name"]));
    };
    let project = project_of(st, &body, "project_id", "snapshot")?;
    let size = body
        .get("size")
        .and_then(Value::as_u64)
        .or_else(|| st.exported_objects.get(&object).copied())
        .unwrap_or(BLOCK_IMPORT_DEFAULT_SIZE);
    super::check_size("size", size)?;
    let content = Content {
        size,
        parent_volume: None,
        seconds: BLOCK_IMPORT_SECONDS,
    };
    let id = insert(st, ctx, name, zone, project, &body, content);
    reply(st, &id, req, ctx)
}

/// Writes an available snapshot to an object; the snapshot shows `exporting` meanwhile.
fn export(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let snap = path_snapshot(st, req)?;
    let object = object(&body)?;
    let current = status(&snap, ctx.now);
    if current != "available" {
        return Err(h::precondition(
            "resource_not_usable",
            format!("snapshot is {current}, it can be exported once available"),
        ));
    }
    st.exported_objects.insert(object, snap.size);
    if let Some(s) = st.bsnapshots.get_mut(&snap.id) {
        s.exporting_until = Some(ctx.now + scaled(BLOCK_EXPORT_SECONDS, ctx.scale));
        s.updated = api_time();
    }
    reply(st, &snap.id, req, ctx)
}
