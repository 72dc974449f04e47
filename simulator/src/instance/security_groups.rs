//! Security groups (a project's default group per zone is made the first time it is needed).

use serde_json::{Value, json};

use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, project_of, s, strings};
use crate::store::{Created, CreatedKind, SecurityGroup, Store, instance_time, new_id};

use super::views::{BASE, ensure_default_sg, sg, sg_json, zone};

pub(super) const OPERATIONS: Routes = &[
    ("ListSecurityGroups", list),
    ("CreateSecurityGroup", create),
    ("GetSecurityGroup", get),
    ("SetSecurityGroup", set),
    ("UpdateSecurityGroup", update),
    ("DeleteSecurityGroup", delete),
];

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?.to_string();
    let (page, size) = h::instance_page(req)?;
    let organization = req.q("organization").map(str::to_string);
    let project = req.q("project").map(str::to_string);
    // Every project has its default group in each zone; a project id the organization does not
    // hold just lists nothing.
    let listed = project.clone().unwrap_or_else(|| st.default_project.clone());
    if st.project_known(&listed) {
        ensure_default_sg(st, &listed, &zone);
    }
    let name = req.q("name");
    let tags = req.q_all("tags");
    let project_default = req.q("project_default").map(|v| v == "true");
    let mut groups: Vec<&SecurityGroup> = st
        .sgs
        .values()
        .filter(|g| {
            g.zone == zone
                && organization.as_deref().is_none_or(|o| o == g.organization)
                && project.as_deref().is_none_or(|p| p == g.project)
                && h::name_matches(name, &g.name)
                && h::tags_match(&tags, &g.tags)
                && project_default.is_none_or(|d| d == g.project_default)
        })
        .collect();
    groups.sort_by_key(|g| g.seq);
    Ok(h::instance_list(
        req,
        "security_groups",
        &groups,
        (page, size),
        |g| sg_json(st, g),
    ))
}

fn create(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?.to_string();
    let body = req.json()?;
    let project = project_of(st, &body, "project", "instance_security_group")?;
    let policy = |key: &str, default: &str| -> Result<String, Reply> {
        let p = s(&body, key).unwrap_or(default);
        if p != "accept" && p != "drop" {
            return Err(h::constraint(key, "must be accept or drop"));
        }
        Ok(p.to_string())
    };
    let inbound = policy("inbound_default_policy", "accept")?;
    let outbound = policy("outbound_default_policy", "accept")?;
    let seq = st.next_seq();
    let now = instance_time();
    let g = SecurityGroup {
        id: new_id(),
        seq,
        name: s(&body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("sg-{seq}")),
        description: s(&body, "description").map(str::to_string),
        zone: zone.clone(),
        project,
        organization: st.organization.clone(),
        stateful: body.get("stateful").and_then(Value::as_bool).unwrap_or(true),
        inbound_default_policy: inbound,
        outbound_default_policy: outbound,
        project_default: false,
        enable_default_security: body
            .get("enable_default_security")
            .and_then(Value::as_bool)
            .unwrap_or(true),
        tags: strings(&body, "tags"),
        rules: Vec::new(),
        created: now.clone(),
        modified: now,
    };
    let id = g.id.clone();
    let json = sg_json(st, &g);
    st.record(Created::new(
        CreatedKind::SecurityGroup,
        &id,
        &g.project,
        &g.zone,
        &g.name,
        &g.tags,
    ));
    st.sgs.insert(id.clone(), g);
    Ok(Reply::json(201, json!({"security_group": json}))
        .header("location", format!("{BASE}/{zone}/security_groups/{id}")))
}

fn update(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    apply(st, req, &body)
}

/// A PUT replaces the group: what the body leaves out takes the value a create gives it.
fn set(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    if s(&body, "name").is_none() {
        return Err(h::required(&["name"]));
    }
    let mut full = json!({
        "description": null,
        "tags": [],
        "inbound_default_policy": "accept",
        "outbound_default_policy": "accept",
        "stateful": true,
        "enable_default_security": true,
    });
    if let (Some(full), Some(given)) = (full.as_object_mut(), body.as_object()) {
        full.extend(
            given
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    apply(st, req, &full)
}

/// Sets the fields the body names (policies checked before anything changes).
fn apply(st: &mut Store, req: &Req, body: &Value) -> Res {
    let id = sg(st, req)?.id.clone();
    for key in ["inbound_default_policy", "outbound_default_policy"] {
        if s(body, key).is_some_and(|p| p != "accept" && p != "drop") {
            return Err(h::constraint(key, "must be accept or drop"));
        }
    }
    let g = st
        .sgs
        .get_mut(&id)
        .ok_or_else(|| h::not_found("instance_security_group", &id))?;
    if let Some(name) = s(body, "name") {
        g.name = name.to_string();
    }
    match body.get("description") {
        Some(Value::String(d)) => g.description = Some(d.clone()),
        Some(Value::Null) => g.description = None,
        _ => {}
    }
    for (key, field) in [
        ("inbound_default_policy", &mut g.inbound_default_policy),
        ("outbound_default_policy", &mut g.outbound_default_policy),
    ] {
        if let Some(p) = s(body, key) {
            *field = p.to_string();
        }
    }
    for (key, field) in [
        ("stateful", &mut g.stateful),
        ("enable_default_security", &mut g.enable_default_security),
    ] {
        if let Some(b) = body.get(key).and_then(Value::as_bool) {
            *field = b;
        }
    }
    if body.get("tags").is_some_and(Value::is_array) {
        g.tags = strings(body, "tags");
    }
    g.modified = instance_time();
    let g = &st.sgs[&id];
    Ok(Reply::ok(json!({"security_group": sg_json(st, g)})))
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let g = sg(st, req)?;
    Ok(Reply::ok(json!({"security_group": sg_json(st, g)})))
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let g = sg(st, req)?;
    // No recording shows this refusal: its shape is a guess in the Instance API's legacy error
    // format (400 `invalid_request_error`), which its other refusals of a state use.
    if st.servers.values().any(|s| s.security_group == g.id) {
        return Err(h::invalid_request("Group is in use. You cannot delete it."));
    }
    // A project's default group is deleted like any other once no server uses it (recorded);
    // the project gets a new one when a server or a listing next needs it.
    let id = g.id.clone();
    st.sgs.remove(&id);
    Ok(Reply::no_content())
}
