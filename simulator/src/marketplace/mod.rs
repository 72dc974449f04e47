//! Marketplace v2 local images.

use crate::catalog;
use crate::http::{self as h, Reply, Req, Res, paged};

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[&[("*", |_, _, req| handle(req))]];

pub(crate) fn handle(req: &Req) -> Res {
    match req.op.id {
        "ListLocalImages" => {
            let label = req.q("image_label");
            let zone = req.q("zone");
            let arch = req.q("arch");
            let image_type = req.q("type").filter(|t| *t != "unknown_type");
            let commercial_type = req.q("commercial_type");
            if let Some(label) = label
                && !catalog::LABELS.iter().any(|(l, _)| *l == label)
            {
                return Err(h::not_found("MarketplaceImage", label));
            }
            let mut images: Vec<&catalog::LocalImage> = catalog::local_images()
                .iter()
                .filter(|i| {
                    label.is_none_or(|l| l == i.label)
                        && zone.is_none_or(|z| z == i.zone)
                        && arch.is_none_or(|a| a == i.arch)
                        && image_type.is_none_or(|t| t == i.image_type)
                        && commercial_type.is_none_or(|c| i.compatible.iter().any(|x| x == c))
                })
                .collect();
            if req.q("order_by") == Some("type_asc") {
                images.sort_by_key(|i| i.image_type);
            }
            let items = images.into_iter().map(catalog::local_image_json).collect();
            paged(req, "local_images", items)
        }
        "GetLocalImage" => match catalog::local_image(req.param("local_image_id")) {
            Some(i) => Ok(Reply::ok(catalog::local_image_json(i))),
            None => Err(h::not_found("LocalImage", req.param("local_image_id"))),
        },
        other => Err(h::not_implemented(req.module, other)),
    }
}
