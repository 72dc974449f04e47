//! Account contract signatures: an organization's signature of a named contract, created
//! unsigned or validated at once, validated later, checked and downloaded.

use serde_json::{Value, json};

use crate::http::{self as h, Ctx, Reply, Req, Res, paged, s};
use crate::store::{ContractSignature, Store, api_time, new_id};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListContractSignatures", list),
    ("CreateContractSignature", create),
    ("CheckContractSignature", check),
    ("DownloadContractSignature", download),
    ("ValidateContractSignature", validate),
];

/// The contract types the API knows.
const CONTRACT_TYPES: &[&str] = &[
    "unknown_type",
    "global",
    "k8s",
    "instance",
    "container",
    "baremetal",
    "network",
    "core",
    "vps",
    "storage",
    "transactional_email",
];

/// The first version of every contract, published when the account was opened.
const CONTRACTS_PUBLISHED: &str = "2024-01-01T00:00:00.000000Z";

/// A contract's stable id: the same type and name are the same contract.
fn contract_id(contract_type: &str, name: &str) -> String {
    crate::catalog::static_id(&["contract", contract_type, name])
}

fn signature_json(c: &ContractSignature) -> Value {
    json!({
        "id": c.id,
        "organization_id": c.organization,
        "created_at": c.created,
        "signed_at": c.signed,
        "expires_at": c.expires,
        "contract": {
            "id": contract_id(&c.contract_type, &c.contract_name),
            "type": c.contract_type,
            "name": c.contract_name,
            "version": 1,
            "created_at": CONTRACTS_PUBLISHED,
            "updated_at": CONTRACTS_PUBLISHED,
        },
    })
}

/// The organization a body names (the account's when absent); another one is refused.
fn organization(st: &Store, body: &Value) -> Result<String, Reply> {
    match s(body, "organization_id") {
        Some(org) if org != st.organization => Err(h::permissions_denied("write", "contract_signature")),
        _ => Ok(st.organization.clone()),
    }
}

/// The contract a body names: its type (checked) and name (required).
fn contract(body: &Value) -> Result<(String, String), Reply> {
    let contract_type = s(body, "contract_type").unwrap_or("unknown_type");
    if !CONTRACT_TYPES.contains(&contract_type) {
        return Err(h::constraint(
            "contract_type",
            format!("unknown contract type {contract_type}"),
        ));
    }
    let Some(name) = s(body, "contract_name") else {
        return Err(h::required(&["contract_name"]));
    };
    Ok((contract_type.to_string(), name.to_string()))
}

fn path_signature(st: &Store, req: &Req) -> Result<String, Reply> {
    let id = req.param("contract_signature_id");
    if !st.contract_signatures.contains_key(id) {
        return Err(h::not_found("contract_signature", id));
    }
    Ok(id.to_string())
}

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let org = req.q("organization_id");
    let mut found: Vec<&ContractSignature> = st
        .contract_signatures
        .values()
        .filter(|c| org.is_none_or(|o| o == c.organization))
        .collect();
    found.sort_by_key(|c| c.seq);
    // Unsigned signatures have no date: they sort after the signed ones either way.
    let unsigned_last = |d: &Option<String>| (d.is_none(), d.clone());
    match req.q("order_by") {
        Some("signed_at_desc") => found.sort_by_key(|c| std::cmp::Reverse(c.signed.clone())),
        Some("expires_at_asc") => found.sort_by_key(|c| unsigned_last(&c.expires)),
        Some("expires_at_desc") => found.sort_by_key(|c| std::cmp::Reverse(c.expires.clone())),
        Some("name_asc") => found.sort_by(|a, b| a.contract_name.cmp(&b.contract_name)),
        Some("name_desc") => found.sort_by(|a, b| b.contract_name.cmp(&a.contract_name)),
        _ => found.sort_by_key(|c| unsigned_last(&c.signed)),
    }
    let items = found.into_iter().map(signature_json).collect();
    paged(req, "contract_signatures", items)
}

fn create(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let organization = organization(st, &body)?;
    let (contract_type, contract_name) = contract(&body)?;
    let now = api_time();
    let validated = body.get("validated").and_then(Value::as_bool).unwrap_or(false);
    let signature = ContractSignature {
        id: new_id(),
        seq: st.next_seq(),
        organization,
        contract_type,
        contract_name,
        created: now.clone(),
        signed: validated.then_some(now),
        expires: None,
    };
    let answer = signature_json(&signature);
    st.contract_signatures.insert(signature.id.clone(), signature);
    Ok(Reply::ok(answer))
}

/// Whether the organization has a signature of the contract, and a validated one.
fn check(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let organization = organization(st, &body)?;
    let (contract_type, contract_name) = contract(&body)?;
    let signatures: Vec<&ContractSignature> = st
        .contract_signatures
        .values()
        .filter(|c| {
            c.organization == organization
                && c.contract_type == contract_type
                && c.contract_name == contract_name
        })
        .collect();
    Ok(Reply::ok(json!({
        "created": !signatures.is_empty(),
        "validated": signatures.iter().any(|c| c.signed.is_some()),
    })))
}

/// The signed document itself is not simulated: the API answers 204 for it.
fn download(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    path_signature(st, req)?;
    // Every locale has the same (absent) document.
    req.q("locale");
    Ok(Reply::no_content())
}

fn validate(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = path_signature(st, req)?;
    let signature = st
        .contract_signatures
        .get_mut(&id)
        .ok_or_else(|| h::not_found("contract_signature", &id))?;
    if signature.signed.is_some() {
        return Err(h::precondition(
            "resource_not_usable",
            "contract signature is already validated",
        ));
    }
    signature.signed = Some(api_time());
    Ok(Reply::ok(signature_json(signature)))
}
