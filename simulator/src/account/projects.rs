//! Account projects: created, renamed, qualified, and deleted empty or with everything they
//! hold.

use serde_json::{Value, json};

use scaleway_client::api::account_v3::types::Qualification;

use crate::http::{self as h, Ctx, Reply, Req, Res, paged, s};
use crate::store::{Project, Store, api_time, new_id};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListProjects", list),
    ("CreateProject", create),
    ("GetProject", get),
    ("UpdateProject", update),
    ("DeleteProject", delete),
    ("DeleteProjectWithResources", delete_with_resources),
    ("SetProjectQualification", set_qualification),
];

/// A project without a qualification of its own shows this one (recorded).
fn unknown_qualification() -> Value {
    json!({"architecture_type": "unknown_architecture_type"})
}

fn project_json(st: &Store, p: &Project) -> Value {
    let qualification = st
        .project_qualifications
        .get(&p.id)
        .cloned()
        .unwrap_or_else(unknown_qualification);
    json!({
        "id": p.id,
        "name": p.name,
        "organization_id": p.organization,
        "created_at": p.created,
        "updated_at": p.updated,
        "description": p.description,
        "qualification": qualification,
    })
}

/// The project of the request's path.
fn path_project(st: &Store, req: &Req) -> Result<String, Reply> {
    let id = req.param("project_id");
    if !st.projects.contains_key(id) {
        return Err(h::not_found("project_id", id));
    }
    Ok(id.to_string())
}

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let name = req.q("name");
    let ids = req.q_all("project_ids");
    let org = req.q("organization_id");
    let mut projects: Vec<&Project> = st
        .projects
        .values()
        .filter(|p| {
            h::name_matches(name, &p.name)
                && (ids.is_empty() || ids.contains(&p.id))
                && org.is_none_or(|o| o == p.organization)
        })
        .collect();
    match req.q("order_by") {
        Some("created_at_desc") => projects.sort_by_key(|p| std::cmp::Reverse(p.seq)),
        Some("name_asc") => projects.sort_by(|a, b| a.name.cmp(&b.name)),
        Some("name_desc") => projects.sort_by(|a, b| b.name.cmp(&a.name)),
        _ => projects.sort_by_key(|p| p.seq),
    }
    let items = projects.into_iter().map(|p| project_json(st, p)).collect();
    paged(req, "projects", items)
}

fn create(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    if let Some(org) = s(&body, "organization_id")
        && org != st.organization
    {
        return Err(h::permissions_denied("write", "project"));
    }
    let name = s(&body, "name")
        .map(str::to_string)
        .unwrap_or_else(|| format!("project-{}", st.seq + 1));
    let id = new_id();
    st.add_project(
        id.clone(),
        name,
        s(&body, "description").unwrap_or_default().to_string(),
        false,
    );
    // The create answer has no qualification yet; reads afterwards show the unknown one.
    let mut json = project_json(st, &st.projects[&id]);
    json["qualification"] = Value::Null;
    Ok(Reply::ok(json))
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = path_project(st, req)?;
    Ok(Reply::ok(project_json(st, &st.projects[&id])))
}

fn update(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let id = path_project(st, req)?;
    let p = st
        .projects
        .get_mut(&id)
        .ok_or_else(|| h::not_found("project_id", &id))?;
    if let Some(name) = s(&body, "name") {
        p.name = name.to_string();
    }
    if let Some(d) = body.get("description").and_then(Value::as_str) {
        p.description = d.to_string();
    }
    p.updated = api_time();
    Ok(Reply::ok(project_json(st, &st.projects[&id])))
}

/// The default project cannot be deleted.
fn refuse_default(st: &Store, id: &str) -> Result<(), Reply> {
    if id == st.default_project {
        return Err(h::permissions_denied("delete", "project"));
    }
    Ok(())
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = path_project(st, req)?;
    let used = st.servers.values().any(|s| s.project == id)
        || st.bvolumes.values().any(|v| v.project == id)
        || st.ips.values().any(|v| v.project == id)
        || st.pns.values().any(|v| v.project == id)
        || st.sgs.values().any(|g| g.project == id && !g.project_default)
        || st.vpcs.values().any(|v| v.project == id && !v.is_default);
    if used {
        return Err(h::precondition(
            "resource_still_in_use",
            "project must not contain any resource to be deleted",
        ));
    }
    refuse_default(st, &id)?;
    st.projects.remove(&id);
    st.project_qualifications.remove(&id);
    st.sgs.retain(|_, g| g.project != id);
    st.vpcs.retain(|_, v| v.project != id);
    Ok(Reply::no_content())
}

/// Deletes a project and everything it holds; `project_name`, when given, must be the project's
/// name (a confirmation). The answer shows the project `deleting`; it is gone afterwards.
fn delete_with_resources(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = path_project(st, req)?;
    let project = &st.projects[&id];
    if let Some(name) = req.q("project_name")
        && name != project.name
    {
        return Err(h::constraint(
            "project_name",
            "project_name must be the name of the project",
        ));
    }
    refuse_default(st, &id)?;
    let mut json = project_json(st, project);
    json["status"] = json!("deleting");
    st.delete_project_with_resources(&id);
    Ok(Reply::ok(json))
}

fn set_qualification(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let id = path_project(st, req)?;
    let qualification = body.get("qualification").cloned().unwrap_or(Value::Null);
    if qualification.is_null() {
        return Err(h::required(&["qualification"]));
    }
    if let Err(e) = serde_json::from_value::<Qualification>(qualification.clone()) {
        return Err(h::constraint("qualification", e.to_string()));
    }
    st.project_qualifications
        .insert(id.clone(), qualification.clone());
    if let Some(p) = st.projects.get_mut(&id) {
        p.updated = api_time();
    }
    Ok(Reply::ok(
        json!({"project_id": id, "qualification": qualification}),
    ))
}
