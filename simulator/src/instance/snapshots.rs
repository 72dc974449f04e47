//! Instance v1 snapshots of Instance volumes or of Object Storage objects, and their export to
//! Object Storage.

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::catalog::{self, ZONES};
use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, project_of, s, strings};

use crate::store::{
    EXPORT_SNAPSHOT_SECONDS, IMPORT_SNAPSHOT_SECONDS, INSTANCE_SNAPSHOT_SECONDS, InstanceSnapshot, Store,
    instance_time, new_id, scaled,
};

pub(super) const OPERATIONS: Routes = &[
    ("ListSnapshots", list),
    ("CreateSnapshot", create),
    ("GetSnapshot", get),
    ("UpdateSnapshot", update),
    ("SetSnapshot", set),
    ("DeleteSnapshot", delete),
    ("ExportSnapshot", export),
];

const RESOURCE: &str = "instance_snapshot";

/// A snapshot of the request's zone.
fn snapshot<'s>(st: &'s Store, req: &Req) -> Result<&'s InstanceSnapshot, Reply> {
    let zone = h::zone_among(req, ZONES)?;
    let id = req.param("snapshot_id");
    st.isnapshots
        .get(id)
        .filter(|s| s.zone == zone)
        .ok_or_else(|| h::not_found(RESOURCE, id))
}

fn snapshot_mut<'s>(st: &'s mut Store, req: &Req) -> Result<&'s mut InstanceSnapshot, Reply> {
    let id = snapshot(st, req)?.id.clone();
    st.isnapshots
        .get_mut(&id)
        .ok_or_else(|| h::not_found(RESOURCE, &id))
}

fn snapshot_reply(st: &Store, now: Instant, id: &str) -> Res {
    let snapshot = st.isnapshots.get(id).ok_or_else(|| h::not_found(RESOURCE, id))?;
    Ok(Reply::ok(json!({"snapshot": snapshot_json(st, snapshot, now)})))
}

/// The state of a snapshot at `now`: being made (from a volume or an object), being exported,
/// or available.
fn state(snapshot: &InstanceSnapshot, now: Instant) -> &'static str {
    if snapshot.snapshotting_until.is_some() {
        "snapshotting"
    } else if snapshot.importing_until.is_some_and(|t| t > now) {
        "importing"
    } else if snapshot.exporting_until.is_some_and(|t| t > now) {
        "exporting"
    } else {
        "available"
    }
}

pub(super) fn snapshot_json(st: &Store, snapshot: &InstanceSnapshot, now: Instant) -> Value {
    // The base volume while it exists (recorded: `null` once it is gone).
    let base = snapshot
        .base_volume
        .as_ref()
        .filter(|(id, _)| st.ivolumes.contains_key(id))
        .map(|(id, name)| json!({"id": id, "name": name}));
    json!({
        "id": snapshot.id,
        "name": snapshot.name,
        "volume_type": snapshot.volume_type,
        "creation_date": snapshot.created,
        "modification_date": snapshot.modified,
        "organization": snapshot.organization,
        "project": snapshot.project,
        "size": snapshot.size,
        "state": state(snapshot, now),
        "base_volume": base,
        "tags": snapshot.tags,
        "zone": snapshot.zone,
        "error_details": null,
    })
}

fn list(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?;
    let (page, size) = h::instance_page(req)?;
    let name = req.q("name");
    let project = req.q("project");
    let organization = req.q("organization");
    let base = req.q("base_volume_id");
    let tags = req.q_all("tags");
    let mut found: Vec<&InstanceSnapshot> = st
        .isnapshots
        .values()
        .filter(|s| {
            s.zone == zone
                && h::name_matches(name, &s.name)
                && project.is_none_or(|p| p == s.project)
                && organization.is_none_or(|o| o == s.organization)
                && base.is_none_or(|b| s.base_volume.as_ref().is_some_and(|(id, _)| id == b))
                && h::tags_match(&tags, &s.tags)
        })
        .collect();
    found.sort_by_key(|s| s.seq);
    Ok(h::instance_list(req, "snapshots", &found, (page, size), |s| {
        snapshot_json(st, s, ctx.now)
    }))
}

fn get(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let id = snapshot(st, req)?.id.clone();
    snapshot_reply(st, ctx.now, &id)
}

/// The type a new snapshot gets: the one asked for (a local volume can be snapshotted as
/// `b_ssd` or `unified`), else its volume's.
fn snapshot_type(body: &Value, volume_type: &str) -> Result<String, Reply> {
    match s(body, "volume_type") {
        None | Some("unknown_volume_type") => Ok(volume_type.to_string()),
        Some(t @ ("l_ssd" | "b_ssd" | "unified")) => Ok(t.to_string()),
        Some(_) => Err(h::constraint("volume_type", "must be l_ssd, b_ssd or unified")),
    }
}

/// A snapshot of an Instance volume, or of an object in an Object Storage bucket.
fn create(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?.to_string();
    let body = req.json()?;
    let project = project_of(st, &body, "project", RESOURCE)?;
    match (s(&body, "volume_id"), s(&body, "bucket")) {
        (Some(volume_id), _) => snapshot_volume(st, ctx, &body, &zone, project, volume_id),
        (None, Some(bucket)) => import_object(st, ctx, &body, &zone, project, bucket),
        (None, None) => Err(h::required(&["volume_id"])),
    }
}

/// A new snapshot of the request's account, not yet stored.
fn new_snapshot(
    st: &mut Store,
    body: &Value,
    zone: &str,
    project: String,
    volume_type: String,
    size: u64,
) -> InstanceSnapshot {
    let seq = st.next_seq();
    let now = instance_time();
    let id = new_id();
    InstanceSnapshot {
        name: s(body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("snp-{}", &id[..8])),
        id,
        seq,
        zone: zone.to_string(),
        project,
        organization: st.organization.clone(),
        volume_type,
        size,
        base_volume: None,
        tags: strings(body, "tags"),
        snapshotting_until: None,
        created: now.clone(),
        modified: now,
        exporting_until: None,
        importing_until: None,
    }
}

/// Stores a new snapshot and answers 201 with it and its task, no Location (recorded).
fn created(st: &mut Store, ctx: &Ctx, snapshot: InstanceSnapshot, task: Value) -> Res {
    let id = snapshot.id.clone();
    st.isnapshots.insert(id.clone(), snapshot);
    let json = snapshot_json(st, &st.isnapshots[&id], ctx.now);
    Ok(Reply::json(201, json!({"snapshot": json, "task": task})))
}

/// A snapshot of an Instance volume: `snapshotting` for the snapshot's time.
fn snapshot_volume(
    st: &mut Store,
    ctx: &Ctx,
    body: &Value,
    zone: &str,
    project: String,
    volume_id: &str,
) -> Res {
    // Block volumes are snapshotted by the Block API; the Instance API knows only its own.
    let Some(volume) = st.ivolumes.get(volume_id).filter(|v| v.zone == zone).cloned() else {
        return Err(h::not_found("instance_volume", volume_id));
    };
    let volume_type = snapshot_type(body, &volume.volume_type)?;
    let mut snapshot = new_snapshot(st, body, zone, project, volume_type, volume.size);
    snapshot.base_volume = Some((volume.id.clone(), volume.name.clone()));
    snapshot.snapshotting_until = Some(ctx.now + scaled(INSTANCE_SNAPSHOT_SECONDS, ctx.scale));
    st.pending_snapshots.insert(snapshot.id.clone());
    let task = Task {
        id: new_id(),
        description: "volume_snapshot",
        href_from: "/snapshots".into(),
        href_result: format!("snapshots/{}", snapshot.id),
    }
    .json(zone);
    created(st, ctx, snapshot, task)
}

/// A snapshot made from a QCOW2 object (`bucket`, `key`): `importing` for the import's time, with
/// the API's placeholder task (recorded). Its size is the one given, else that of the snapshot
/// exported to that object.
fn import_object(st: &mut Store, ctx: &Ctx, body: &Value, zone: &str, project: String, bucket: &str) -> Res {
    let Some(key) = s(body, "key") else {
        return Err(h::required(&["key"]));
    };
    let exported = st
        .exported_objects
        .get(&(bucket.to_string(), key.to_string()))
        .copied();
    let Some(size) = body.get("size").and_then(Value::as_u64).or(exported) else {
        return Err(h::required(&["size"]));
    };
    let volume_type = snapshot_type(body, "l_ssd")?;
    let mut snapshot = new_snapshot(st, body, zone, project, volume_type, size);
    snapshot.importing_until = Some(ctx.now + scaled(IMPORT_SNAPSHOT_SECONDS, ctx.scale));
    let task = Task::placeholder("/snapshots".into(), format!("snapshots/{}", snapshot.id)).json(zone);
    created(st, ctx, snapshot, task)
}

/// The task a snapshot's creation, import or export answers with, just started.
struct Task {
    id: String,
    description: &'static str,
    href_from: String,
    href_result: String,
}

impl Task {
    /// The task the API answers for imports and exports (recorded: a zero id, `fake task`).
    fn placeholder(href_from: String, href_result: String) -> Task {
        Task {
            id: "00000000-0000-0000-0000-000000000000".into(),
            description: "fake task",
            href_from,
            href_result,
        }
    }

    fn json(&self, zone: &str) -> Value {
        json!({
            "id": self.id,
            "description": self.description,
            "status": "pending",
            "href_from": self.href_from,
            "href_result": self.href_result,
            "started_at": instance_time(),
            "terminated_at": null,
            "progress": 0,
            "zone": zone,
        })
    }
}

/// PATCH: the fields sent change, the others stay.
fn update(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let snapshot = snapshot_mut(st, req)?;
    if let Some(name) = s(&body, "name") {
        snapshot.name = name.to_string();
    }
    if body.get("tags").is_some_and(Value::is_array) {
        snapshot.tags = strings(&body, "tags");
    }
    snapshot.modified = instance_time();
    let id = snapshot.id.clone();
    snapshot_reply(st, ctx.now, &id)
}

/// PUT: the snapshot is replaced by the body's writable fields (`name`, `tags`: `null` or absent
/// tags leave none); the body must carry the whole object as the spec requires, but its
/// read-only fields (id, type, size, state, base volume, dates) are the snapshot's own.
fn set(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let Some(name) = s(&body, "name").map(str::to_string) else {
        return Err(h::required(&["name"]));
    };
    if let Some(id) = s(&body, "id").filter(|id| *id != req.param("snapshot_id")) {
        return Err(h::constraint("id", format!("{id} is not the snapshot's id")));
    }
    let snapshot = snapshot_mut(st, req)?;
    snapshot.name = name;
    snapshot.tags = strings(&body, "tags");
    snapshot.modified = instance_time();
    let id = snapshot.id.clone();
    snapshot_reply(st, ctx.now, &id)
}

/// Refused while the snapshot's data goes to or comes from Object Storage, and while an image
/// uses it.
fn delete(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let snapshot = snapshot(st, req)?;
    let id = snapshot.id.clone();
    let current = state(snapshot, ctx.now);
    if matches!(current, "exporting" | "importing") {
        return Err(h::transient_state(RESOURCE, &id, current));
    }
    if let Some(image) = st.images.values().find(|i| i.root_snapshot == id) {
        return Err(h::invalid_request(format!(
            "The snapshot is used by image {}. Delete the image first.",
            image.id
        )));
    }
    st.isnapshots.remove(&id);
    st.pending_snapshots.remove(&id);
    Ok(Reply::no_content())
}

/// Export to an Object Storage bucket: 202 with the API's placeholder task (the object's URL as
/// `href_result`); the snapshot shows `exporting` for the
/// export's time, then `available` again.
fn export(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let missing: Vec<&str> = ["bucket", "key"]
        .into_iter()
        .filter(|k| s(&body, k).is_none())
        .collect();
    if !missing.is_empty() {
        return Err(h::required(&missing));
    }
    let snapshot = snapshot(st, req)?;
    let current = state(snapshot, ctx.now);
    if current != "available" {
        return Err(h::transient_state(RESOURCE, &snapshot.id, current));
    }
    let (id, zone, size) = (snapshot.id.clone(), snapshot.zone.clone(), snapshot.size);
    let snapshot = snapshot_mut(st, req)?;
    snapshot.exporting_until = Some(ctx.now + scaled(EXPORT_SNAPSHOT_SECONDS, ctx.scale));
    snapshot.modified = instance_time();
    let (bucket, key) = (
        s(&body, "bucket").unwrap_or_default(),
        s(&body, "key").unwrap_or_default(),
    );
    st.exported_objects
        .insert((bucket.to_string(), key.to_string()), size);
    let object = format!(
        "https://s3.{}.scw.cloud/{bucket}/{key}",
        catalog::region_of(&zone)
    );
    let task = Task::placeholder(format!("/snapshots/{id}/export"), object).json(&zone);
    Ok(Reply::json(202, json!({"task": task})))
}
