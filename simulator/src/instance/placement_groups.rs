//! Instance v1 placement groups and the servers in them.

use serde_json::{Value, json};

use crate::catalog::ZONES;
use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, project_of, s, strings};

use crate::store::{PlacementGroup, Store, new_id};

pub(super) const OPERATIONS: Routes = &[
    ("ListPlacementGroups", list),
    ("CreatePlacementGroup", create),
    ("GetPlacementGroup", get),
    ("UpdatePlacementGroup", update),
    ("SetPlacementGroup", set),
    ("DeletePlacementGroup", delete),
    ("GetPlacementGroupServers", get_servers),
    ("SetPlacementGroupServers", set_servers),
    ("UpdatePlacementGroupServers", set_servers),
];

const BASE: &str = "https://api.scaleway.com/instance/v1/zones";
const RESOURCE: &str = "instance_placement_group";

/// A placement group of the request's zone.
fn placement_group<'s>(st: &'s Store, req: &Req) -> Result<&'s PlacementGroup, Reply> {
    let zone = h::zone_among(req, ZONES)?;
    let id = req.param("placement_group_id");
    st.placement_groups
        .get(id)
        .filter(|g| g.zone == zone)
        .ok_or_else(|| h::not_found(RESOURCE, id))
}

fn placement_group_mut<'s>(st: &'s mut Store, req: &Req) -> Result<&'s mut PlacementGroup, Reply> {
    let id = placement_group(st, req)?.id.clone();
    st.placement_groups
        .get_mut(&id)
        .ok_or_else(|| h::not_found(RESOURCE, &id))
}

/// A placement group as the API shows it, alone or in a server. The simulator has no real
/// hypervisors to spread or gather servers on, so every policy is respected.
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

fn group_reply(g: &PlacementGroup) -> Res {
    Ok(Reply::ok(json!({"placement_group": placement_group_json(g)})))
}

/// `policy_mode` and `policy_type` of a body, each `None` when absent.
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

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?;
    let (page, size) = h::instance_page(req)?;
    let project = req.q("project");
    let organization = req.q("organization");
    let name = req.q("name");
    let tags = req.q_all("tags");
    let mut groups: Vec<&PlacementGroup> = st
        .placement_groups
        .values()
        .filter(|g| {
            g.zone == zone
                && project.is_none_or(|p| p == g.project)
                && organization.is_none_or(|o| o == g.organization)
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

fn create(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?.to_string();
    let body = req.json()?;
    let project = project_of(st, &body, "project", RESOURCE)?;
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

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    group_reply(placement_group(st, req)?)
}

/// PATCH: the fields sent change, the others stay.
fn update(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let (mode, kind) = placement_policy(&body)?;
    let g = placement_group_mut(st, req)?;
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
    group_reply(g)
}

/// PUT: the group is replaced by the body (`name` required; a policy left out takes its default,
/// absent or `null` tags leave none). A `project` must be one of the organization's.
fn set(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let Some(name) = s(&body, "name").map(str::to_string) else {
        return Err(h::required(&["name"]));
    };
    let (mode, kind) = placement_policy(&body)?;
    let project = match s(&body, "project") {
        Some(p) if !st.project_known(p) => return Err(h::permissions_denied("write", RESOURCE)),
        p => p.map(str::to_string),
    };
    let g = placement_group_mut(st, req)?;
    g.name = name;
    g.policy_mode = mode.unwrap_or_else(|| "optional".into());
    g.policy_type = kind.unwrap_or_else(|| "max_availability".into());
    g.tags = strings(&body, "tags");
    if let Some(project) = project {
        g.project = project;
    }
    group_reply(g)
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
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

/// The servers in a group, oldest first, each with whether the group's policy is respected for
/// it (always, see [`placement_group_json`]).
fn servers_reply(st: &Store, group: &str) -> Res {
    let mut members: Vec<_> = st
        .servers
        .values()
        .filter(|s| s.placement_group.as_deref() == Some(group))
        .collect();
    members.sort_by_key(|s| s.seq);
    let servers: Vec<Value> = members
        .into_iter()
        .map(|s| json!({"id": s.id, "name": s.name, "policy_respected": true}))
        .collect();
    Ok(Reply::ok(json!({"servers": servers})))
}

fn get_servers(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = placement_group(st, req)?.id.clone();
    servers_reply(st, &id)
}

/// PUT and PATCH alike: `servers` becomes the whole membership of the group (the servers left
/// out leave it). Every server must be one of the group's zone.
fn set_servers(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let group = placement_group(st, req)?;
    let (id, zone) = (group.id.clone(), group.zone.clone());
    if body.get("servers").is_none() {
        return Err(h::required(&["servers"]));
    }
    let servers = strings(&body, "servers");
    if let Some(unknown) = servers
        .iter()
        .find(|s| st.servers.get(*s).is_none_or(|srv| srv.zone != zone))
    {
        return Err(h::not_found("instance_server", unknown));
    }
    st.set_placement_group_servers(&id, &servers);
    servers_reply(st, &id)
}
