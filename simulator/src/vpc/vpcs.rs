//! VPCs: a default one per project and region, made on first need, and the ones created.

use std::cmp::Reverse;

use serde_json::{Value, json};

use super::{bool_query, order_by, patch_name_and_tags, region, vpc_in};
use crate::http::{self as h, OwnerFilter, Reply, Req, Res, paged, project_of, s, strings};
use crate::store::{Created, CreatedKind, Store, Vpc, api_time, new_id};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListVPCs", |st, _, req| list(st, req)),
    ("CreateVPC", |st, _, req| create(st, req)),
    ("GetVPC", |st, _, req| get(st, req)),
    ("UpdateVPC", |st, _, req| update(st, req)),
    ("DeleteVPC", |st, _, req| delete(st, req)),
    ("EnableRouting", |st, _, req| enable_routing(st, req)),
    ("EnableCustomRoutesPropagation", |st, _, req| {
        enable_custom_routes_propagation(st, req)
    }),
];

pub(super) fn vpc_json(st: &Store, v: &Vpc) -> Value {
    let count = st.pns.values().filter(|p| p.vpc_id == v.id).count();
    json!({
        "id": v.id,
        "name": v.name,
        "tags": v.tags,
        "organization_id": v.organization,
        "created_at": v.created,
        "updated_at": v.updated,
        "project_id": v.project,
        "is_default": v.is_default,
        "private_network_count": count,
        "routing_enabled": v.routing_enabled,
        "custom_routes_propagation_enabled": v.custom_routes_propagation_enabled,
        "transitivity_enabled": false,
        // The spec also declares the newer name, `object_storage_private_access_enabled`; the
        // API's answers carry only this one (recorded), and the filters accept both.
        "s3_integration_enabled": v.object_storage_private_access,
        "region": v.region,
    })
}

fn vpc_reply(st: &Store, id: &str) -> Res {
    Ok(Reply::ok(vpc_json(st, &st.vpcs[id])))
}

fn new_vpc(
    st: &mut Store,
    name: &str,
    region: &str,
    project: &str,
    is_default: bool,
    tags: Vec<String>,
) -> String {
    let seq = st.next_seq();
    let now = api_time();
    let id = new_id();
    st.record(Created::new(CreatedKind::Vpc, &id, project, region, name, &tags));
    let vpc = Vpc {
        id: id.clone(),
        seq,
        name: name.to_string(),
        region: region.to_string(),
        project: project.to_string(),
        organization: st.organization.clone(),
        is_default,
        tags,
        created: now.clone(),
        updated: now,
        // New VPCs route between their private networks even when created with
        // `enable_routing: false` (recorded).
        routing_enabled: true,
        custom_routes_propagation_enabled: true,
        object_storage_private_access: false,
    };
    st.vpcs.insert(id.clone(), vpc);
    id
}

/// The project's default VPC in the region, made when first needed.
pub(super) fn default_vpc(st: &mut Store, region: &str, project: &str) -> String {
    if let Some(v) = st
        .vpcs
        .values()
        .find(|v| v.is_default && v.region == region && v.project == project)
    {
        return v.id.clone();
    }
    new_vpc(st, "default", region, project, true, Vec::new())
}

fn list(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    // Every project has its default VPC in each region; a project id the organization does not
    // hold just lists nothing.
    let listed = req.q("project_id").unwrap_or(&st.default_project).to_string();
    if st.project_known(&listed) {
        default_vpc(st, &region, &listed);
    }
    let owner = OwnerFilter::of(req);
    let name = req.q("name");
    let tags = req.q_all("tags");
    let is_default = bool_query(req, "is_default")?;
    let routing = bool_query(req, "routing_enabled")?;
    let s3 = bool_query(req, "s3_integration_enabled")?;
    let private_access = bool_query(req, "object_storage_private_access_enabled")?;
    let order = order_by(
        req,
        &["created_at_asc", "created_at_desc", "name_asc", "name_desc"],
    )?;
    let mut vpcs: Vec<&Vpc> = st
        .vpcs
        .values()
        .filter(|v| {
            v.region == region
                && owner.matches(st, &v.project)
                && h::name_matches(name, &v.name)
                && h::tags_match(&tags, &v.tags)
                && is_default.is_none_or(|d| d == v.is_default)
                && routing.is_none_or(|r| r == v.routing_enabled)
                && s3.is_none_or(|x| x == v.object_storage_private_access)
                && private_access.is_none_or(|x| x == v.object_storage_private_access)
        })
        .collect();
    match order {
        "created_at_desc" => vpcs.sort_by_key(|v| Reverse(v.seq)),
        "name_asc" => vpcs.sort_by(|a, b| (&a.name, a.seq).cmp(&(&b.name, b.seq))),
        "name_desc" => vpcs.sort_by(|a, b| (&b.name, b.seq).cmp(&(&a.name, a.seq))),
        _ => vpcs.sort_by_key(|v| v.seq),
    }
    let items = vpcs.iter().map(|v| vpc_json(st, v)).collect();
    paged(req, "vpcs", items)
}

fn create(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let project = project_of(st, &body, "project_id", "vpc")?;
    let name = s(&body, "name")
        .map(str::to_string)
        .unwrap_or_else(|| format!("vpc-{}", st.seq + 1));
    let id = new_vpc(st, &name, &region, &project, false, strings(&body, "tags"));
    vpc_reply(st, &id)
}

fn get(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let v = vpc_in(st, &region, req.param("vpc_id"))?;
    Ok(Reply::ok(vpc_json(st, v)))
}

/// Applies `change` to the VPC of the path and answers it.
fn change_vpc(st: &mut Store, req: &Req, change: impl FnOnce(&mut Vpc)) -> Res {
    let region = region(req)?;
    let id = vpc_in(st, &region, req.param("vpc_id"))?.id.clone();
    let v = st.vpcs.get_mut(&id).ok_or_else(|| h::not_found("vpc", &id))?;
    change(v);
    v.updated = api_time();
    vpc_reply(st, &id)
}

fn update(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    change_vpc(st, req, |v| patch_name_and_tags(&body, &mut v.name, &mut v.tags))
}

fn enable_routing(st: &mut Store, req: &Req) -> Res {
    change_vpc(st, req, |v| v.routing_enabled = true)
}

fn enable_custom_routes_propagation(st: &mut Store, req: &Req) -> Res {
    change_vpc(st, req, |v| v.custom_routes_propagation_enabled = true)
}

fn delete(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let id = vpc_in(st, &region, req.param("vpc_id"))?.id.clone();
    if st.pns.values().any(|p| p.vpc_id == id) {
        return Err(h::precondition(
            "resource_still_in_use",
            "VPC must not contain any Private Network to be deleted",
        ));
    }
    if st.vpc_connectors.values().any(|c| c.vpc_id == id) {
        return Err(h::precondition(
            "resource_still_in_use",
            "VPC must not have any VPC connector to be deleted",
        ));
    }
    // What only exists within the VPC goes with it.
    st.vpc_routes.retain(|_, r| r.vpc_id != id);
    st.ingress_rules.retain(|_, r| r.vpc_id != id);
    st.vpc_acls.retain(|(vpc, _), _| *vpc != id);
    st.vpcs.remove(&id);
    Ok(Reply::no_content())
}
