//! Account v3 projects.

use serde_json::{Value, json};

use crate::http::{self as h, Reply, Req, Res, paged, s};
use crate::store::{Store, api_time, new_id};

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[&[("*", |st, _, req| handle(st, req))]];

fn project_json(p: &crate::store::Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "organization_id": p.organization,
        "created_at": p.created,
        "updated_at": p.updated,
        "description": p.description,
        "qualification": {"architecture_type": "unknown_architecture_type"},
    })
}

pub(crate) fn handle(st: &mut Store, req: &Req) -> Res {
    match req.op.id {
        "ListProjects" => {
            let name = req.q("name");
            let ids = req.q_all("project_ids");
            let org = req.q("organization_id");
            let mut projects: Vec<&crate::store::Project> = st
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
            let items = projects.into_iter().map(project_json).collect();
            paged(req, "projects", items)
        }
        "CreateProject" => {
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
            let mut json = project_json(&st.projects[&id]);
            json["qualification"] = Value::Null;
            Ok(Reply::ok(json))
        }
        "GetProject" | "UpdateProject" | "DeleteProject" => {
            let id = req.param("project_id").to_string();
            if !st.projects.contains_key(&id) {
                return Err(h::not_found("project_id", &id));
            }
            match req.op.id {
                "GetProject" => Ok(Reply::ok(project_json(&st.projects[&id]))),
                "UpdateProject" => {
                    let body = req.json()?;
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
                    Ok(Reply::ok(project_json(&st.projects[&id])))
                }
                _ => {
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
                    if id == st.default_project {
                        return Err(h::permissions_denied("delete", "project"));
                    }
                    st.projects.remove(&id);
                    st.sgs.retain(|_, g| g.project != id);
                    st.vpcs.retain(|_, v| v.project != id);
                    Ok(Reply::no_content())
                }
            }
        }
        other => Err(h::not_implemented(req.module, other)),
    }
}
