//! Marketplace versions: the current version of each image, the one its local images belong to.

use serde_json::{Value, json};

use crate::catalog::{self, MarketplaceVersion};
use crate::http::{self as h, Ctx, Reply, Req, Res, paged};
use crate::store::Store;

pub(super) const OPERATIONS: crate::http::Routes = &[("ListVersions", list), ("GetVersion", get)];

fn version_json(v: &MarketplaceVersion) -> Value {
    json!({
        "id": v.id,
        "name": v.name,
        "created_at": v.created,
        "updated_at": v.updated,
        "published_at": v.published,
    })
}

/// The versions of one image (the API asks for `image_id`).
fn list(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let Some(image_id) = req.q("image_id") else {
        return Err(h::required(&["image_id"]));
    };
    // With one version per image, both orders list the same.
    req.q("order_by");
    let versions: Vec<Value> = catalog::marketplace_image(image_id)
        .map(|i| version_json(&i.version))
        .into_iter()
        .collect();
    paged(req, "versions", versions)
}

fn get(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = req.param("version_id");
    match catalog::marketplace_version(id) {
        Some(v) => Ok(Reply::ok(version_json(v))),
        None => Err(h::not_found("Version", id)),
    }
}
