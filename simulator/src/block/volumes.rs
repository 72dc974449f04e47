//! Block volumes: made empty or from a snapshot, resized and re-typed through `updating`,
//! deleted once detached.

use serde_json::Value;

use super::{check_size, is_v1, path_volume, perf_iops, sort_listed, volume_json, zone};
use crate::http::{self as h, Ctx, OwnerFilter, Reply, Req, Res, paged, project_of, s, strings};
use crate::store::{BlockVolume, SpecUpdate, Store, UPDATE_SECONDS, api_time, scaled};
use crate::timings::TransitionKind;

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListVolumes", list),
    ("CreateVolume", create),
    ("GetVolume", get),
    ("UpdateVolume", update),
    ("DeleteVolume", delete),
];

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let name = req.q("name");
    let tags = req.q_all("tags");
    let product = req.q("product_resource_id");
    let volume_type = req.q("volume_type");
    let ids = req.q_all("volume_ids");
    // No deleted volume is kept, so `include_deleted` lists the same volumes.
    req.q("include_deleted");
    let owner = OwnerFilter::of(req);
    let mut found: Vec<&BlockVolume> = st
        .bvolumes
        .values()
        .filter(|v| {
            v.zone == zone
                && owner.matches(st, &v.project)
                && h::name_matches(name, &v.name)
                && h::tags_match(&tags, &v.tags)
                && product.is_none_or(|p| v.reference.as_ref().is_some_and(|r| r.server_id == p))
                && volume_type.is_none_or(|t| t == super::volume_type(v.iops))
                && (ids.is_empty() || ids.contains(&v.id))
        })
        .collect();
    sort_listed(req, &mut found, |v| v.seq, |v| &v.name);
    let v1 = is_v1(req);
    let items = found.into_iter().map(|v| volume_json(v, v1)).collect();
    paged(req, "volumes", items)
}

/// Where a new volume's data comes from, and its size.
struct Origin {
    size: u64,
    parent_snapshot_id: Option<String>,
}

fn create(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let body = req.json()?;
    let project = project_of(st, &body, "project_id", "volume")?;
    let Some(name) = s(&body, "name") else {
        return Err(h::required(&["name"]));
    };
    let origin = origin(st, &body, &zone)?;
    check_size("size", origin.size)?;
    let iops = perf_iops(&body, Some(5000))?.unwrap_or(5000);
    let id = st.new_block_volume(
        name,
        &zone,
        &project,
        origin.size,
        iops,
        strings(&body, "tags"),
        origin.parent_snapshot_id,
        ctx.now,
    );
    let seconds = st.timings.draw(TransitionKind::VolumeCreate, &id, ctx);
    if let Some(v) = st.bvolumes.get_mut(&id) {
        v.creating_until = Some(ctx.now + scaled(seconds, ctx.scale));
    }
    Ok(Reply::ok(volume_json(&st.bvolumes[&id], is_v1(req))))
}

/// The `from_empty` or `from_snapshot` of a create body (exactly one of them).
fn origin(st: &Store, body: &Value, zone: &str) -> Result<Origin, Reply> {
    let given = |key: &str| body.get(key).filter(|v| !v.is_null());
    match (given("from_empty"), given("from_snapshot")) {
        (Some(_), Some(_)) => Err(h::constraint(
            "from_empty",
            "only one of from_empty and from_snapshot may be given",
        )),
        (Some(empty), None) => match empty.get("size").and_then(Value::as_u64) {
            Some(size) => Ok(Origin {
                size,
                parent_snapshot_id: None,
            }),
            None => Err(h::required(&["from_empty.size"])),
        },
        (None, Some(from)) => from_snapshot(st, from, zone),
        (None, None) => Err(h::required(&["from_empty", "from_snapshot"])),
    }
}

/// A volume made from a snapshot: at least the snapshot's size, once the snapshot is available.
fn from_snapshot(st: &Store, from: &Value, zone: &str) -> Result<Origin, Reply> {
    let Some(snapshot_id) = s(from, "snapshot_id") else {
        return Err(h::required(&["from_snapshot.snapshot_id"]));
    };
    let snapshot = st
        .bsnapshots
        .get(snapshot_id)
        .filter(|s| s.zone == zone)
        .ok_or_else(|| h::not_found("snapshot", snapshot_id))?;
    if snapshot.creating_until.is_some() {
        return Err(h::precondition(
            "resource_not_usable",
            format!("snapshot {snapshot_id} is not available yet"),
        ));
    }
    let size = from.get("size").and_then(Value::as_u64).unwrap_or(snapshot.size);
    if size < snapshot.size {
        return Err(h::precondition(
            "resource_not_usable",
            format!(
                "size, when provided, must be equal to or larger than the size of the source snapshot. \
                 Here the requested volume size is '{size}' whereas snapshot size is '{}'",
                snapshot.size
            ),
        ));
    }
    Ok(Origin {
        size,
        parent_snapshot_id: Some(snapshot.id.clone()),
    })
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    Ok(Reply::ok(volume_json(&path_volume(st, req)?, is_v1(req))))
}

/// The size and IOPS a PATCH asks for, when they differ from the volume's.
fn spec_changes(body: &Value, current: &BlockVolume) -> Result<(Option<u64>, Option<u64>), Reply> {
    let size = match body.get("size") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(size) if size < current.size => {
                return Err(h::constraint("size", "a volume cannot be shrunk"));
            }
            Some(size) => {
                check_size("size", size)?;
                (size != current.size).then_some(size)
            }
            None => return Err(h::constraint("size", "size must be a number of bytes")),
        },
    };
    let iops = perf_iops(body, None)?.filter(|iops| *iops != current.iops);
    Ok((size, iops))
}

fn update(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let current = path_volume(st, req)?;
    // Everything is validated before anything changes.
    let (size, iops) = spec_changes(&body, &current)?;
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
        // The answer and the reads that follow show `updating` with the old size and specs (and
        // the old `updated_at`); the new values appear when it settles.
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
    Ok(Reply::ok(volume_json(&st.bvolumes[&id], is_v1(req))))
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let v = path_volume(st, req)?;
    // No recording shows this refusal: its shape is a guess in the API's own format, the 412
    // `resource_still_in_use` the VPC answers for a network that still has members. A volume
    // still `detaching` (from a server deleted a moment ago, say) is refused the same way.
    if v.reference.is_some() {
        return Err(h::precondition(
            "resource_still_in_use",
            "volume is attached to an instance, detach it before deleting it",
        ));
    }
    st.bvolumes.remove(&v.id);
    st.pending_volumes.remove(&v.id);
    Ok(Reply::no_content())
}
