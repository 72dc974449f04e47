//! Block Storage v1 and v1alpha1: volumes, snapshots and volume types. Both versions are served
//! by the same handlers; `req.module` tells them apart where their shapes differ (v1 adds
//! `kms_key_id` to volumes, `public` to snapshots and `zone` to volume types).

mod snapshots;
mod volume_types;
mod volumes;

use serde_json::{Value, json};

use crate::catalog::ZONES;
use crate::http::{self as h, Reply, Req};
use crate::store::{BlockVolume, Store};

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[
    volumes::OPERATIONS,
    snapshots::OPERATIONS,
    volume_types::OPERATIONS,
];

/// Whether the request is served as Block v1 (rather than v1alpha1).
fn is_v1(req: &Req) -> bool {
    req.module == "block_v1"
}

/// The zone of the request's path, refused when the simulator has no such zone.
fn zone(req: &Req) -> Result<String, Reply> {
    let zone = req.param("zone");
    if !ZONES.contains(&zone) {
        return Err(h::constraint("zone", format!("unknown zone {zone}")));
    }
    Ok(zone.to_string())
}

/// The volume of the request's path, in the request's zone.
fn path_volume(st: &Store, req: &Req) -> Result<BlockVolume, Reply> {
    let zone = zone(req)?;
    let id = req.param("volume_id");
    st.bvolumes
        .get(id)
        .filter(|v| v.zone == zone)
        .cloned()
        .ok_or_else(|| h::not_found("volume", id))
}

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

/// The volume type of a performance class: `type` follows `perf_iops`.
fn volume_type(iops: u64) -> &'static str {
    if iops >= 15000 { "sbs_15k" } else { "sbs_5k" }
}

/// The volume types, by IOPS.
const VOLUME_TYPES: [u64; 2] = [5000, 15000];

/// The IOPS of a request's `perf_iops` (`default` when absent), refused when no volume type has
/// them.
fn perf_iops(body: &Value, default: Option<u64>) -> Result<Option<u64>, Reply> {
    match body.get("perf_iops") {
        None | Some(Value::Null) => Ok(default),
        Some(v) => match v.as_u64() {
            Some(iops) if VOLUME_TYPES.contains(&iops) => Ok(Some(iops)),
            _ => Err(h::constraint("perf_iops", "perf_iops must be 5000 or 15000")),
        },
    }
}

/// Refuses a size the volume types do not allow.
fn check_size(name: &str, size: u64) -> Result<(), Reply> {
    use crate::store::{BLOCK_MAX_SIZE, BLOCK_MIN_SIZE};
    if !(BLOCK_MIN_SIZE..=BLOCK_MAX_SIZE).contains(&size) {
        return Err(h::constraint(
            name,
            format!("size must be between {BLOCK_MIN_SIZE} and {BLOCK_MAX_SIZE} bytes"),
        ));
    }
    Ok(())
}

/// Sorts a list by the `order_by` Block lists share (`created_at_asc` by default).
fn sort_listed<T>(req: &Req, items: &mut [&T], seq: impl Fn(&T) -> u64, name: impl Fn(&T) -> &str) {
    match req.q("order_by") {
        Some("created_at_desc") => items.sort_by_key(|i| std::cmp::Reverse(seq(i))),
        Some("name_asc") => items.sort_by(|a, b| name(a).cmp(name(b))),
        Some("name_desc") => items.sort_by(|a, b| name(b).cmp(name(a))),
        _ => items.sort_by_key(|i| seq(i)),
    }
}

fn volume_json(v: &BlockVolume, v1: bool) -> Value {
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
        "status": volume_status(v),
        "tags": v.tags,
        "specs": {"perf_iops": v.iops, "class": "sbs"},
        "last_detached_at": v.last_detached_at,
        "zone": v.zone,
    });
    if v1 {
        j["kms_key_id"] = Value::Null;
    }
    j
}
