//! Marketplace categories.

use serde_json::{Value, json};

use crate::catalog::{self, Category};
use crate::http::{self as h, Ctx, Reply, Req, Res, paged};
use crate::store::Store;

pub(super) const OPERATIONS: crate::http::Routes = &[("ListCategories", list), ("GetCategory", get)];

fn category_json(c: &Category) -> Value {
    json!({"id": c.id, "name": c.name, "description": c.description})
}

fn list(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let items = catalog::categories().iter().map(category_json).collect();
    paged(req, "categories", items)
}

fn get(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = req.param("category_id");
    match catalog::category(id) {
        Some(c) => Ok(Reply::ok(category_json(c))),
        None => Err(h::not_found("Category", id)),
    }
}
