//! A server's user data: raw values by key.

use serde_json::json;

use crate::http::{self as h, Body, Ctx, Reply, Req, Res, Routes};
use crate::store::Store;

use super::views::{server, server_mut};

pub(super) const OPERATIONS: Routes = &[
    ("ListServerUserData", list),
    ("GetServerUserData", get),
    ("SetServerUserData", set),
    ("DeleteServerUserData", delete),
];

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let srv = server(st, req)?;
    Ok(Reply::ok(
        json!({"user_data": srv.user_data.keys().collect::<Vec<_>>()}),
    ))
}

/// A value is answered as the raw text it was set to.
fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let srv = server(st, req)?;
    let key = req.param("key");
    match srv.user_data.get(key) {
        Some(value) => Ok(Reply {
            status: 200,
            headers: Vec::new(),
            body: Body::Text(value.clone()),
        }),
        None => Err(h::not_found("instance_user_data", key)),
    }
}

fn set(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let value = String::from_utf8_lossy(&req.body).into_owned();
    let srv = server_mut(st, req)?;
    srv.user_data.insert(req.param("key").to_string(), value);
    Ok(Reply::no_content().header("content-type", "text/plain"))
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let srv = server_mut(st, req)?;
    match srv.user_data.remove(req.param("key")) {
        Some(_) => Ok(Reply::no_content()),
        None => Err(h::not_found("instance_user_data", req.param("key"))),
    }
}
