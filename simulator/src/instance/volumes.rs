//! Instance (local, l_ssd) volumes.

use serde_json::{Value, json};

use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, project_of, s, strings};
use crate::store::{InstanceVolume, Store, instance_time};

use super::views::{BASE, ivolume, ivolume_json, new_local_volume, vanished, zone};

pub(super) const OPERATIONS: Routes = &[
    ("ListVolumes", list),
    ("CreateVolume", create),
    ("GetVolume", get),
    ("UpdateVolume", update),
    ("DeleteVolume", delete),
];

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let (page, size) = h::instance_page(req)?;
    let volume_type = req.q("volume_type");
    let organization = req.q("organization");
    let project = req.q("project");
    let name = req.q("name");
    let tags = req.q_all("tags");
    let mut vols: Vec<&InstanceVolume> = st
        .ivolumes
        .values()
        .filter(|v| {
            v.zone == zone
                && volume_type.is_none_or(|t| t == v.volume_type)
                && organization.is_none_or(|o| o == v.organization)
                && project.is_none_or(|p| p == v.project)
                && h::name_matches(name, &v.name)
                && h::tags_match(&tags, &v.tags)
        })
        .collect();
    vols.sort_by_key(|v| v.seq);
    Ok(h::instance_list(req, "volumes", &vols, (page, size), |v| {
        ivolume_json(st, v, false)
    }))
}

fn create(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?.to_string();
    let body = req.json()?;
    let project = project_of(st, &body, "project", "instance_volume")?;
    let volume_type = s(&body, "volume_type").unwrap_or("l_ssd");
    if volume_type != "l_ssd" {
        return Err(h::not_implemented(
            req.module,
            &format!("CreateVolume volume_type {volume_type}"),
        ));
    }
    let Some(size) = body.get("size").and_then(Value::as_u64) else {
        return Err(h::required(&["size"]));
    };
    let name = s(&body, "name").unwrap_or("volume").to_string();
    let id = new_local_volume(st, &name, &zone, &project, size, None);
    if let Some(v) = st.ivolumes.get_mut(&id) {
        v.tags = strings(&body, "tags");
    }
    let json = ivolume_json(st, &st.ivolumes[&id], false);
    Ok(Reply::json(201, json!({"volume": json})).header("location", format!("{BASE}/{zone}/volumes/{id}")))
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let v = ivolume(st, req)?;
    Ok(Reply::ok(json!({"volume": ivolume_json(st, v, false)})))
}

fn update(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    ivolume(st, req)?;
    let body = req.json()?;
    let v = st.ivolumes.get_mut(req.param("volume_id")).ok_or_else(vanished)?;
    if let Some(name) = s(&body, "name") {
        v.name = name.to_string();
    }
    if body.get("tags").is_some_and(Value::is_array) {
        v.tags = strings(&body, "tags");
    }
    v.modified = instance_time();
    let v = &st.ivolumes[req.param("volume_id")];
    Ok(Reply::ok(json!({"volume": ivolume_json(st, v, false)})))
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let v = ivolume(st, req)?;
    if v.server.is_some() {
        return Err(h::invalid_request(
            "a volume attached to a server cannot be deleted",
        ));
    }
    let id = v.id.clone();
    st.ivolumes.remove(&id);
    Ok(Reply::no_content())
}
