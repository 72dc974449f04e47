//! Instance v1 snapshots (of local volumes) and images: the marketplace's, and those made
//! through the API from an Instance or a Block snapshot.

use serde_json::{Value, json};

use crate::catalog;
use crate::http::{self as h, Ctx, Reply, Req, Res, project_of, s, strings};

use crate::store::{
    INSTANCE_SNAPSHOT_SECONDS, Image, InstanceSnapshot, Store, instance_time, new_id, scaled,
};

const BASE: &str = "https://api.scaleway.com/instance/v1/zones";

pub(crate) fn handle(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = req.param("zone").to_string();
    match req.op.id {
        "ListImages" => list_images(st, req, &zone),
        "GetImage" => {
            let id = req.param("image_id");
            if let Some(i) = catalog::local_image(id).filter(|i| i.zone == zone) {
                return Ok(Reply::ok(json!({"image": catalog::instance_image_json(i)})));
            }
            let image = image(st, req)?;
            Ok(Reply::ok(json!({"image": image_json(st, image)})))
        }
        "CreateImage" => create_image(st, req, &zone),
        "UpdateImage" => {
            let body = req.json()?;
            let id = image(st, req)?.id.clone();
            let image = st.images.get_mut(&id).ok_or_else(|| not_found_image(&id))?;
            if let Some(name) = s(&body, "name") {
                image.name = name.to_string();
            }
            if body.get("tags").is_some_and(Value::is_array) {
                image.tags = strings(&body, "tags");
            }
            if let Some(public) = body.get("public").and_then(Value::as_bool) {
                image.public = public;
            }
            image.modified = instance_time();
            Ok(Reply::ok(json!({"image": image_json(st, &st.images[&id])})))
        }
        "DeleteImage" => {
            let id = req.param("image_id");
            if catalog::local_image(id).is_some() {
                return Err(h::permissions_denied("delete", "instance_image"));
            }
            let id = image(st, req)?.id.clone();
            st.images.remove(&id);
            Ok(Reply::no_content())
        }
        "ListSnapshots" => list_snapshots(st, req, &zone),
        "CreateSnapshot" => create_snapshot(st, ctx, req, &zone),
        "GetSnapshot" => {
            let snapshot = snapshot(st, req)?;
            Ok(Reply::ok(json!({"snapshot": snapshot_json(st, snapshot)})))
        }
        "UpdateSnapshot" => {
            let body = req.json()?;
            let id = snapshot(st, req)?.id.clone();
            let snapshot = st
                .isnapshots
                .get_mut(&id)
                .ok_or_else(|| h::not_found("instance_snapshot", &id))?;
            if let Some(name) = s(&body, "name") {
                snapshot.name = name.to_string();
            }
            if body.get("tags").is_some_and(Value::is_array) {
                snapshot.tags = strings(&body, "tags");
            }
            snapshot.modified = instance_time();
            Ok(Reply::ok(
                json!({"snapshot": snapshot_json(st, &st.isnapshots[&id])}),
            ))
        }
        "DeleteSnapshot" => {
            let id = snapshot(st, req)?.id.clone();
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
        other => Err(h::not_implemented(req.module, other)),
    }
}

fn not_found_image(id: &str) -> Reply {
    h::not_found("instance_image", id)
}

fn image<'s>(st: &'s Store, req: &Req) -> Result<&'s Image, Reply> {
    let id = req.param("image_id");
    st.images
        .get(id)
        .filter(|i| i.zone == req.param("zone"))
        .ok_or_else(|| not_found_image(id))
}

fn snapshot<'s>(st: &'s Store, req: &Req) -> Result<&'s InstanceSnapshot, Reply> {
    let id = req.param("snapshot_id");
    st.isnapshots
        .get(id)
        .filter(|s| s.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_snapshot", id))
}

// ---------------------------------------------------------------------------------------------
// Images

/// An image made through the API. Its root volume is its snapshot: an Instance snapshot shows as
/// itself, a Block snapshot as a bare `sbs_snapshot` (recorded: `size` 0, `name` empty). The
/// image is `creating` while that snapshot is still being made (recorded images made from
/// available snapshots were `available` at once).
fn image_json(st: &Store, i: &Image) -> Value {
    let root = match st.isnapshots.get(&i.root_snapshot) {
        Some(snapshot) => json!({"id": snapshot.id, "name": snapshot.name,
                                 "volume_type": snapshot.volume_type, "size": snapshot.size}),
        None => json!({"volume_type": "sbs_snapshot", "id": i.root_snapshot, "size": 0, "name": ""}),
    };
    json!({
        "id": i.id,
        "name": i.name,
        "organization": i.organization,
        "project": i.project,
        "root_volume": root,
        "extra_volumes": {},
        "public": i.public,
        "arch": i.arch,
        "creation_date": i.created,
        "modification_date": i.modified,
        "default_bootscript": null,
        "from_server": "",
        "state": if st.snapshot_pending(&i.root_snapshot) { "creating" } else { "available" },
        "tags": i.tags,
        "zone": i.zone,
    })
}

fn list_images(st: &Store, req: &Req, zone: &str) -> Res {
    let (page, size) = h::instance_page(req)?;
    let name = req.q("name");
    let arch = req.q("arch");
    let project = req.q("project");
    let tags = req.q_all("tags");
    let public = req.q("public").map(|p| p == "true");
    let mut images: Vec<Value> = Vec::new();
    if project.is_none() && tags.is_empty() && public != Some(false) {
        images.extend(
            catalog::local_images()
                .iter()
                .filter(|i| {
                    i.zone == zone && h::name_matches(name, i.name) && arch.is_none_or(|a| a == i.arch)
                })
                .map(catalog::instance_image_json),
        );
    }
    let mut own: Vec<&Image> = st
        .images
        .values()
        .filter(|i| {
            i.zone == zone
                && h::name_matches(name, &i.name)
                && arch.is_none_or(|a| a == i.arch)
                && project.is_none_or(|p| p == i.project)
                && h::tags_match(&tags, &i.tags)
                && public.is_none_or(|p| p == i.public)
        })
        .collect();
    own.sort_by_key(|i| i.seq);
    images.extend(own.into_iter().map(|i| image_json(st, i)));
    Ok(h::instance_list(
        req,
        "images",
        &images,
        (page, size),
        Value::clone,
    ))
}

fn create_image(st: &mut Store, req: &Req, zone: &str) -> Res {
    let body = req.json()?;
    let project = project_of(st, &body, "project", "instance_image")?;
    let Some(root) = s(&body, "root_volume").map(str::to_string) else {
        return Err(h::required(&["root_volume"]));
    };
    let known = st.isnapshots.get(&root).is_some_and(|s| s.zone == zone)
        || st.bsnapshots.get(&root).is_some_and(|s| s.zone == zone);
    if !known {
        return Err(h::not_found("instance_snapshot", &root));
    }
    if body
        .get("extra_volumes")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
    {
        return Err(h::not_implemented(req.module, "CreateImage extra_volumes"));
    }
    let arch = match s(&body, "arch") {
        None | Some("unknown_arch") => "x86_64",
        Some(a @ ("x86_64" | "arm" | "arm64")) => a,
        Some(_) => return Err(h::constraint("arch", "must be x86_64, arm or arm64")),
    };
    let seq = st.next_seq();
    let now = instance_time();
    let id = new_id();
    let image = Image {
        id: id.clone(),
        seq,
        name: s(&body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("img-{}", &id[..8])),
        zone: zone.to_string(),
        project,
        organization: st.organization.clone(),
        arch: arch.to_string(),
        root_snapshot: root,
        public: body.get("public").and_then(Value::as_bool).unwrap_or(false),
        tags: strings(&body, "tags"),
        created: now.clone(),
        modified: now,
    };
    st.images.insert(id.clone(), image);
    let json = image_json(st, &st.images[&id]);
    Ok(Reply::json(201, json!({"image": json})).header("location", format!("{BASE}/{zone}/images/{id}")))
}

// ---------------------------------------------------------------------------------------------
// Snapshots

fn snapshot_json(st: &Store, snapshot: &InstanceSnapshot) -> Value {
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
        "state": if snapshot.snapshotting_until.is_some() { "snapshotting" } else { "available" },
        "base_volume": base,
        "tags": snapshot.tags,
        "zone": snapshot.zone,
        "error_details": null,
    })
}

fn list_snapshots(st: &Store, req: &Req, zone: &str) -> Res {
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
        snapshot_json(st, s)
    }))
}

/// A snapshot of an Instance (local) volume: 201 with the snapshot `snapshotting` and its task,
/// no Location (recorded).
fn create_snapshot(st: &mut Store, ctx: &Ctx, req: &Req, zone: &str) -> Res {
    let body = req.json()?;
    let project = project_of(st, &body, "project", "instance_snapshot")?;
    let Some(volume_id) = s(&body, "volume_id") else {
        if s(&body, "bucket").is_some() {
            return Err(h::not_implemented(
                req.module,
                "CreateSnapshot from object storage",
            ));
        }
        return Err(h::required(&["volume_id"]));
    };
    // Block volumes are snapshotted by the Block API; the Instance API knows only its own.
    let Some(volume) = st.ivolumes.get(volume_id).filter(|v| v.zone == zone).cloned() else {
        return Err(h::not_found("instance_volume", volume_id));
    };
    let seq = st.next_seq();
    let now = instance_time();
    let id = new_id();
    let snapshot = InstanceSnapshot {
        id: id.clone(),
        seq,
        name: s(&body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("snp-{}", &id[..8])),
        zone: zone.to_string(),
        project,
        organization: st.organization.clone(),
        volume_type: volume.volume_type.clone(),
        size: volume.size,
        base_volume: Some((volume.id.clone(), volume.name.clone())),
        tags: strings(&body, "tags"),
        snapshotting_until: Some(ctx.now + scaled(INSTANCE_SNAPSHOT_SECONDS, ctx.scale)),
        created: now.clone(),
        modified: now,
    };
    st.isnapshots.insert(id.clone(), snapshot);
    st.pending_snapshots.insert(id.clone());
    let task = json!({
        "id": new_id(),
        "description": "volume_snapshot",
        "status": "pending",
        "href_from": "/snapshots",
        "href_result": format!("snapshots/{id}"),
        "started_at": instance_time(),
        "terminated_at": null,
        "progress": 0,
        "zone": zone,
    });
    let json = snapshot_json(st, &st.isnapshots[&id]);
    Ok(Reply::json(201, json!({"snapshot": json, "task": task})))
}
