//! Marketplace local images: an image version's build for one zone, architecture and root volume
//! kind; its id is the Instance image id.

use crate::catalog::{self, LocalImage};
use crate::http::{self as h, Ctx, Reply, Req, Res, paged};
use crate::store::Store;

pub(super) const OPERATIONS: crate::http::Routes = &[("ListLocalImages", list), ("GetLocalImage", get)];

/// The label a list is scoped to by `image_label`, `image_id` or `version_id`: `None` when none
/// is given, an empty label (matching nothing) when they name no image or different ones, a 404
/// for an unknown label as the API answers.
fn scoped_label(req: &Req) -> Result<Option<&'static str>, Reply> {
    let mut labels: Vec<Option<&'static str>> = Vec::new();
    if let Some(label) = req.q("image_label") {
        match catalog::marketplace_image_of_label(label) {
            Some(i) => labels.push(Some(i.label)),
            None => return Err(h::not_found("MarketplaceImage", label)),
        }
    }
    if let Some(id) = req.q("image_id") {
        labels.push(catalog::marketplace_image(id).map(|i| i.label));
    }
    if let Some(id) = req.q("version_id") {
        let image = catalog::marketplace_version(id).and_then(|v| catalog::marketplace_image(&v.image_id));
        labels.push(image.map(|i| i.label));
    }
    match labels.split_first() {
        None => Ok(None),
        // An unknown id, or two scopes that disagree, match no local image.
        Some((first, rest)) if rest.iter().all(|l| l == first) => Ok(Some(first.unwrap_or(""))),
        Some(_) => Ok(Some("")),
    }
}

fn list(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let label = scoped_label(req)?;
    let zone = req.q("zone");
    let arch = req.q("arch");
    let image_type = req.q("type").filter(|t| *t != "unknown_type");
    let commercial_type = req.q("commercial_type");
    let mut images: Vec<&LocalImage> = catalog::local_images()
        .iter()
        .filter(|i| {
            label.is_none_or(|l| l == i.label)
                && zone.is_none_or(|z| z == i.zone)
                && arch.is_none_or(|a| a == i.arch)
                && image_type.is_none_or(|t| t == i.image_type)
                && commercial_type.is_none_or(|c| i.compatible.iter().any(|x| x == c))
        })
        .collect();
    // The local images of a version were all built at once: `created_at` keeps the catalogue's
    // order; `type_asc` (the default) puts `instance_local` first.
    match req.q("order_by") {
        Some("type_desc") => images.sort_by_key(|i| std::cmp::Reverse(i.image_type)),
        Some("created_at_asc") => {}
        Some("created_at_desc") => images.reverse(),
        _ => images.sort_by_key(|i| i.image_type),
    }
    let items = images.into_iter().map(catalog::local_image_json).collect();
    paged(req, "local_images", items)
}

fn get(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = req.param("local_image_id");
    match catalog::local_image(id) {
        Some(i) => Ok(Reply::ok(catalog::local_image_json(i))),
        None => Err(h::not_found("LocalImage", id)),
    }
}
