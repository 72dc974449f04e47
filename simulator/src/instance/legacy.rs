//! Transitional: the placement-group operations and, through `images::handle`, the images and
//! snapshots, still served by one `match` behind the API's `"*"` entry until they get their own
//! tables.

use serde_json::{Value, json};

use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, project_of, s, strings};
use crate::store::{PlacementGroup, Store, new_id};

use super::images;
use super::views::{BASE, vanished, zone};

/// Every operation no other table names falls back here.
pub(super) const OPERATIONS: Routes = &[("*", handle)];

fn handle(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    zone(req)?;
    match req.op.id {
        "ListPlacementGroups" => list_placement_groups(st, req),
        "CreatePlacementGroup" => create_placement_group(st, req),
        "GetPlacementGroup" => {
            let g = placement_group(st, req)?;
            Ok(Reply::ok(json!({"placement_group": placement_group_json(g)})))
        }
        "UpdatePlacementGroup" => update_placement_group(st, req),
        "DeletePlacementGroup" => {
            let id = placement_group(st, req)?.id.clone();
            if st
                .servers
                .values()
                .any(|s| s.placement_group.as_deref() == Some(id.as_str()))
            {
                return Err(h::invalid_request(
                    "The placement group still has servers. Remove them first.",
                ));
            }
            st.placement_groups.remove(&id);
            Ok(Reply::no_content())
        }
        _ => images::handle(st, ctx, req),
    }
}

fn placement_group<'s>(st: &'s Store, req: &Req) -> Result<&'s PlacementGroup, Reply> {
    let id = req.param("placement_group_id");
    st.placement_groups
        .get(id)
        .filter(|g| g.zone == req.param("zone"))
        .ok_or_else(|| h::not_found("instance_placement_group", id))
}

pub(super) fn placement_group_json(g: &PlacementGroup) -> Value {
    json!({
        "id": g.id,
        "name": g.name,
        "organization": g.organization,
        "project": g.project,
        "policy_mode": g.policy_mode,
        "policy_type": g.policy_type,
        "policy_respected": true,
        "tags": g.tags,
        "zone": g.zone,
    })
}

fn placement_policy(body: &Value) -> Result<(Option<String>, Option<String>), Reply> {
    let mode = match s(body, "policy_mode") {
        None => None,
        Some(m @ ("optional" | "enforced")) => Some(m.to_string()),
        Some(_) => return Err(h::constraint("policy_mode", "must be optional or enforced")),
    };
    let kind = match s(body, "policy_type") {
        None => None,
        Some(t @ ("max_availability" | "low_latency")) => Some(t.to_string()),
        Some(_) => {
            return Err(h::constraint(
                "policy_type",
                "must be max_availability or low_latency",
            ));
        }
    };
    Ok((mode, kind))
}

fn list_placement_groups(st: &Store, req: &Req) -> Res {
    let (page, size) = h::instance_page(req)?;
    let zone = req.param("zone");
    let project = req.q("project");
    let name = req.q("name");
    let tags = req.q_all("tags");
    let mut groups: Vec<&PlacementGroup> = st
        .placement_groups
        .values()
        .filter(|g| {
            g.zone == zone
                && project.is_none_or(|p| p == g.project)
                && h::name_matches(name, &g.name)
                && h::tags_match(&tags, &g.tags)
        })
        .collect();
    groups.sort_by_key(|g| g.seq);
    Ok(h::instance_list(
        req,
        "placement_groups",
        &groups,
        (page, size),
        |g| placement_group_json(g),
    ))
}

fn create_placement_group(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    let zone = req.param("zone").to_string();
    let project = project_of(st, &body, "project", "instance_placement_group")?;
    let (mode, kind) = placement_policy(&body)?;
    let seq = st.next_seq();
    let id = new_id();
    let g = PlacementGroup {
        id: id.clone(),
        seq,
        name: s(&body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("pg-{}", &id[..8])),
        zone: zone.clone(),
        project,
        organization: st.organization.clone(),
        policy_mode: mode.unwrap_or_else(|| "optional".into()),
        policy_type: kind.unwrap_or_else(|| "max_availability".into()),
        tags: strings(&body, "tags"),
    };
    let json = placement_group_json(&g);
    st.placement_groups.insert(id.clone(), g);
    Ok(Reply::json(201, json!({"placement_group": json}))
        .header("location", format!("{BASE}/{zone}/placement_groups/{id}")))
}

fn update_placement_group(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    let id = placement_group(st, req)?.id.clone();
    let (mode, kind) = placement_policy(&body)?;
    let g = st.placement_groups.get_mut(&id).ok_or_else(vanished)?;
    if let Some(name) = s(&body, "name") {
        g.name = name.to_string();
    }
    if body.get("tags").is_some_and(Value::is_array) {
        g.tags = strings(&body, "tags");
    }
    if let Some(mode) = mode {
        g.policy_mode = mode;
    }
    if let Some(kind) = kind {
        g.policy_type = kind;
    }
    Ok(Reply::ok(json!({"placement_group": placement_group_json(g)})))
}
