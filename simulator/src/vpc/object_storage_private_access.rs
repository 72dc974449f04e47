//! Object Storage private access of a VPC and of its private networks. The API serves it under
//! two names: the older S3 integration (`/s3-integration/...`, `*S3Endpoint`) and Object Storage
//! private access (`/object-storage-private-access/...`); both act on the same setting.

use serde_json::{Value, json};

use super::vpcs::vpc_json;
use super::{pn_in, region, vpc_in};
use crate::http::{self as h, Reply, Req, Res, s, strings};
use crate::store::{Store, api_time};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("EnableObjectStoragePrivateAccess", |st, _, req| enable(st, req)),
    ("DisableObjectStoragePrivateAccess", |st, _, req| disable(st, req)),
    ("AddPrivateNetworkObjectStoragePrivateAccess", |st, _, req| {
        add_private_network(st, req)
    }),
    ("SetPrivateNetworksObjectStoragePrivateAccess", |st, _, req| {
        set_private_networks(st, req)
    }),
    ("DeletePrivateNetworkObjectStoragePrivateAccess", |st, _, req| {
        delete_private_network(st, req)
    }),
    ("EnableS3Endpoint", |st, _, req| enable(st, req)),
    ("DisableS3Endpoint", |st, _, req| disable(st, req)),
    ("AddPrivateNetworkS3Endpoint", |st, _, req| {
        add_private_network(st, req)
    }),
    ("SetPrivateNetworksS3Endpoint", |st, _, req| {
        set_private_networks(st, req)
    }),
    ("DeletePrivateNetworkS3Endpoint", |st, _, req| {
        delete_private_network(st, req)
    }),
];

/// The VPC of the path, and the private networks named, each checked to be in it.
fn vpc_and_networks(st: &Store, req: &Req, ids: &[String]) -> Result<String, Reply> {
    let region = region(req)?;
    let vpc_id = vpc_in(st, &region, req.param("vpc_id"))?.id.clone();
    for id in ids {
        if pn_in(st, &region, id)?.vpc_id != vpc_id {
            return Err(h::constraint(
                "private_network_ids",
                format!("Private Network {id} is not in the VPC"),
            ));
        }
    }
    Ok(vpc_id)
}

/// Sets the VPC's own setting and that of its private networks (`with_access` says which get it).
fn apply(st: &mut Store, vpc_id: &str, vpc_enabled: bool, with_access: impl Fn(&str) -> bool) {
    let now = api_time();
    if let Some(v) = st.vpcs.get_mut(vpc_id) {
        v.object_storage_private_access = vpc_enabled;
        v.updated = now.clone();
    }
    for p in st.pns.values_mut().filter(|p| p.vpc_id == vpc_id) {
        let enabled = with_access(&p.id);
        if p.object_storage_private_access != enabled {
            p.object_storage_private_access = enabled;
            p.updated = now.clone();
        }
    }
}

/// The private networks of the VPC that have access, as the per-network calls answer.
fn networks_reply(st: &Store, vpc_id: &str) -> Res {
    let mut pns: Vec<_> = st
        .pns
        .values()
        .filter(|p| p.vpc_id == vpc_id && p.object_storage_private_access)
        .collect();
    pns.sort_by_key(|p| p.seq);
    let ids: Vec<&String> = pns.iter().map(|p| &p.id).collect();
    Ok(Reply::ok(json!({"vpc_id": vpc_id, "private_network_ids": ids})))
}

fn require_enabled(st: &Store, vpc_id: &str) -> Result<(), Reply> {
    if st
        .vpcs
        .get(vpc_id)
        .is_some_and(|v| v.object_storage_private_access)
    {
        return Ok(());
    }
    Err(h::precondition(
        "resource_not_usable",
        "Object Storage private access must be enabled on the VPC first",
    ))
}

fn has_access(st: &Store, pn_id: &str) -> bool {
    st.pns.get(pn_id).is_some_and(|p| p.object_storage_private_access)
}

fn enable(st: &mut Store, req: &Req) -> Res {
    let ids = req.q_all("private_network_ids");
    let vpc_id = vpc_and_networks(st, req, &ids)?;
    // Networks that already had access keep it.
    let keep: Vec<String> = st
        .pns
        .values()
        .filter(|p| p.vpc_id == vpc_id && (p.object_storage_private_access || ids.contains(&p.id)))
        .map(|p| p.id.clone())
        .collect();
    apply(st, &vpc_id, true, |id| keep.iter().any(|k| k == id));
    Ok(Reply::ok(vpc_json(st, &st.vpcs[&vpc_id])))
}

fn disable(st: &mut Store, req: &Req) -> Res {
    let vpc_id = vpc_and_networks(st, req, &[])?;
    apply(st, &vpc_id, false, |_| false);
    Ok(Reply::ok(vpc_json(st, &st.vpcs[&vpc_id])))
}

fn add_private_network(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    let Some(pn_id) = s(&body, "private_network_id").map(str::to_string) else {
        return Err(h::required(&["private_network_id"]));
    };
    let vpc_id = vpc_and_networks(st, req, std::slice::from_ref(&pn_id))?;
    require_enabled(st, &vpc_id)?;
    let keep: Vec<String> = st
        .pns
        .values()
        .filter(|p| p.vpc_id == vpc_id && (p.object_storage_private_access || p.id == pn_id))
        .map(|p| p.id.clone())
        .collect();
    apply(st, &vpc_id, true, |id| keep.iter().any(|k| k == id));
    networks_reply(st, &vpc_id)
}

fn set_private_networks(st: &mut Store, req: &Req) -> Res {
    let body = req.json()?;
    if !body.get("private_network_ids").is_some_and(Value::is_array) {
        return Err(h::required(&["private_network_ids"]));
    }
    let ids = strings(&body, "private_network_ids");
    let vpc_id = vpc_and_networks(st, req, &ids)?;
    require_enabled(st, &vpc_id)?;
    apply(st, &vpc_id, true, |id| ids.iter().any(|k| k == id));
    networks_reply(st, &vpc_id)
}

fn delete_private_network(st: &mut Store, req: &Req) -> Res {
    let pn_id = req.param("private_network_id").to_string();
    let vpc_id = vpc_and_networks(st, req, std::slice::from_ref(&pn_id))?;
    if !has_access(st, &pn_id) {
        return Err(h::precondition(
            "resource_not_usable",
            "the Private Network has no Object Storage private access",
        ));
    }
    let keep: Vec<String> = st
        .pns
        .values()
        .filter(|p| p.vpc_id == vpc_id && p.object_storage_private_access && p.id != pn_id)
        .map(|p| p.id.clone())
        .collect();
    let enabled = st.vpcs[&vpc_id].object_storage_private_access;
    apply(st, &vpc_id, enabled, |id| keep.iter().any(|k| k == id));
    Ok(Reply::no_content())
}
