//! Marketplace images: one per label, in the distribution category; an image past its end of
//! life is listed only with `include_eol`.

use serde_json::{Value, json};

use crate::catalog::{self, MarketplaceImage};
use crate::http::{self as h, Ctx, Reply, Req, Res, paged};
use crate::store::Store;

pub(super) const OPERATIONS: crate::http::Routes = &[("ListImages", list), ("GetImage", get)];

fn image_json(i: &MarketplaceImage) -> Value {
    json!({
        "id": i.id,
        "name": i.name,
        "description": i.description,
        "logo": format!("https://marketplace-logos.s3.nl-ams.scw.cloud/{}.svg", i.label),
        "categories": i.category_ids,
        "created_at": i.created,
        "updated_at": i.updated,
        "valid_until": i.valid_until,
        "label": i.label,
    })
}

fn list(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let arch = req.q("arch");
    let category = req.q("category");
    let include_eol = req.q("include_eol") == Some("true");
    let mut images: Vec<&MarketplaceImage> = catalog::marketplace_images()
        .iter()
        .filter(|i| {
            arch.is_none_or(|a| i.arches.contains(&a))
                && category.is_none_or(|c| i.category_ids.iter().any(|id| id == c))
                && (include_eol || !catalog::is_end_of_life(i))
        })
        .collect();
    match req.q("order_by") {
        Some("name_desc") => images.sort_by(|a, b| b.name.cmp(a.name)),
        Some("created_at_asc") => images.sort_by_key(|i| i.created),
        Some("created_at_desc") => images.sort_by_key(|i| std::cmp::Reverse(i.created)),
        // Every image was last rebuilt at the same moment: the names break the tie.
        Some("updated_at_asc") => images.sort_by_key(|i| (i.updated, i.name)),
        Some("updated_at_desc") => images.sort_by_key(|i| std::cmp::Reverse((i.updated, i.name))),
        _ => images.sort_by_key(|i| i.name),
    }
    paged(req, "images", images.into_iter().map(image_json).collect())
}

fn get(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = req.param("image_id");
    match catalog::marketplace_image(id) {
        Some(i) => Ok(Reply::ok(image_json(i))),
        None => Err(h::not_found("MarketplaceImage", id)),
    }
}
