//! Block volume types: one per performance class.

use serde_json::{Value, json};

use super::{VOLUME_TYPES, is_v1, volume_type, zone};
use crate::http::{Ctx, Req, Res, paged};
use crate::store::Store;

pub(super) const OPERATIONS: crate::http::Routes = &[("ListVolumeTypes", list)];

fn list(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let v1 = is_v1(req);
    let types: Vec<Value> = VOLUME_TYPES
        .iter()
        .map(|iops| {
            let mut t = json!({"type": volume_type(*iops),
                               "pricing": {"currency_code": "EUR", "units": 0, "nanos": 0},
                               "snapshot_pricing": {"currency_code": "EUR", "units": 0, "nanos": 0},
                               "specs": {"perf_iops": iops, "class": "sbs"}});
            if v1 {
                t["zone"] = json!(zone);
            }
            t
        })
        .collect();
    paged(req, "volume_types", types)
}
