//! Ingress rules of a VPC: traffic from a source network goes to an address of one of its
//! private networks.

use std::cmp::Reverse;
use std::net::IpAddr;

use serde_json::{Value, json};

use super::{bool_query, cidr_argument, order_by, patch_tags, pn_in, region, unknown_not_found, vpc_in};
use crate::http::{self as h, OwnerFilter, Reply, Req, Res, paged, s, strings};
use crate::store::{IngressRule, Store, api_time, cidr_contains, new_id, parse_cidr};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("ListIngressRules", |st, _, req| list(st, req)),
    ("CreateIngressRule", |st, _, req| create(st, req)),
    ("GetIngressRule", |st, _, req| get(st, req)),
    ("UpdateIngressRule", |st, _, req| update(st, req)),
    ("DeleteIngressRule", |st, _, req| delete(st, req)),
];

fn is_ipv6(r: &IngressRule) -> bool {
    r.source.contains(':')
}

fn rule_json(r: &IngressRule) -> Value {
    json!({
        "id": r.id,
        "vpc_id": r.vpc_id,
        "created_at": r.created,
        "updated_at": r.updated,
        "is_ipv6": is_ipv6(r),
        "source": r.source,
        "nexthop_resource_ip": r.nexthop_resource_ip,
        "nexthop_private_network_id": r.nexthop_private_network_id,
        "description": r.description,
        "tags": r.tags,
        "organization_id": r.organization,
        "project_id": r.project,
        "region": r.region,
    })
}

/// Checks the source and nexthop of a rule against its VPC; the source comes back in canonical
/// notation.
fn validate(st: &Store, region: &str, mut rule: IngressRule) -> Result<IngressRule, Reply> {
    let (source, parsed) = cidr_argument("source", &rule.source)?;
    rule.source = source;
    let pn = pn_in(st, region, &rule.nexthop_private_network_id)?;
    if pn.vpc_id != rule.vpc_id {
        return Err(h::constraint(
            "nexthop_private_network_id",
            "the Private Network is not in the rule's VPC",
        ));
    }
    let address: IpAddr = rule.nexthop_resource_ip.parse().map_err(|_| {
        h::constraint(
            "nexthop_resource_ip",
            format!("{} is not an IP address", rule.nexthop_resource_ip),
        )
    })?;
    let in_network = pn
        .subnets
        .iter()
        .filter_map(|s| parse_cidr(&s.subnet))
        .any(|net| cidr_contains(net, (address, if address.is_ipv6() { 128 } else { 32 })));
    if !in_network || address.is_ipv6() != parsed.0.is_ipv6() {
        return Err(h::constraint(
            "nexthop_resource_ip",
            "the address is not in a subnet of the Private Network of the source's IP version",
        ));
    }
    rule.nexthop_resource_ip = address.to_string();
    Ok(rule)
}

fn create(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let required = [
        "vpc_id",
        "source",
        "nexthop_resource_ip",
        "nexthop_private_network_id",
    ];
    let missing: Vec<&str> = required.into_iter().filter(|k| s(&body, k).is_none()).collect();
    if !missing.is_empty() {
        return Err(h::required(&missing));
    }
    let text = |k: &str| s(&body, k).unwrap_or_default().to_string();
    let vpc = vpc_in(st, &region, &text("vpc_id"))?;
    let now = api_time();
    let draft = IngressRule {
        id: new_id(),
        seq: 0,
        vpc_id: vpc.id.clone(),
        region: region.clone(),
        project: vpc.project.clone(),
        organization: vpc.organization.clone(),
        source: text("source"),
        nexthop_resource_ip: text("nexthop_resource_ip"),
        nexthop_private_network_id: text("nexthop_private_network_id"),
        description: s(&body, "description").map(str::to_string),
        tags: strings(&body, "tags"),
        created: now.clone(),
        updated: now,
    };
    let mut rule = validate(st, &region, draft)?;
    rule.seq = st.next_seq();
    let json = rule_json(&rule);
    st.ingress_rules.insert(rule.id.clone(), rule);
    Ok(Reply::ok(json))
}

fn rule_in<'s>(st: &'s Store, req: &Req, region: &str) -> Result<&'s IngressRule, Reply> {
    st.ingress_rules
        .get(req.param("rule_id"))
        .filter(|r| r.region == region)
        .ok_or_else(unknown_not_found)
}

fn get(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    Ok(Reply::ok(rule_json(rule_in(st, req, &region)?)))
}

fn update(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let mut rule = rule_in(st, req, &region)?.clone();
    for (key, field) in [
        ("source", &mut rule.source),
        ("nexthop_resource_ip", &mut rule.nexthop_resource_ip),
        ("nexthop_private_network_id", &mut rule.nexthop_private_network_id),
    ] {
        if let Some(value) = s(&body, key) {
            *field = value.to_string();
        }
    }
    if let Some(description) = s(&body, "description") {
        rule.description = Some(description.to_string());
    }
    patch_tags(&body, &mut rule.tags);
    let mut rule = validate(st, &region, rule)?;
    rule.updated = api_time();
    let json = rule_json(&rule);
    st.ingress_rules.insert(rule.id.clone(), rule);
    Ok(Reply::ok(json))
}

fn delete(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let id = rule_in(st, req, &region)?.id.clone();
    st.ingress_rules.remove(&id);
    Ok(Reply::no_content())
}

fn list(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let vpc_id = req.q("vpc_id");
    let nexthop_ip = req.q("nexthop_resource_ip");
    let pn_id = req.q("nexthop_private_network_id");
    let v6 = bool_query(req, "is_ipv6")?;
    let tags = req.q_all("tags");
    let owner = OwnerFilter::of(req);
    let order = order_by(
        req,
        &[
            "created_at_asc",
            "created_at_desc",
            "source_asc",
            "source_desc",
            "prefix_len_asc",
            "prefix_len_desc",
        ],
    )?;
    let mut rules: Vec<&IngressRule> = st
        .ingress_rules
        .values()
        .filter(|r| {
            r.region == region
                && vpc_id.is_none_or(|v| v == r.vpc_id)
                && nexthop_ip.is_none_or(|ip| {
                    ip.parse::<IpAddr>()
                        .is_ok_and(|ip| ip.to_string() == r.nexthop_resource_ip)
                })
                && pn_id.is_none_or(|p| p == r.nexthop_private_network_id)
                && v6.is_none_or(|v| v == is_ipv6(r))
                && h::tags_match(&tags, &r.tags)
                && owner.matches(st, &r.project)
        })
        .collect();
    let network = |r: &IngressRule| parse_cidr(&r.source).unwrap_or((IpAddr::from([0, 0, 0, 0]), 0));
    match order {
        "created_at_desc" => rules.sort_by_key(|r| Reverse(r.seq)),
        "source_asc" => rules.sort_by_key(|r| (network(r), r.seq)),
        "source_desc" => rules.sort_by_key(|r| Reverse((network(r), r.seq))),
        "prefix_len_asc" => rules.sort_by_key(|r| (network(r).1, r.seq)),
        "prefix_len_desc" => rules.sort_by_key(|r| Reverse((network(r).1, r.seq))),
        _ => rules.sort_by_key(|r| r.seq),
    }
    let items = rules.into_iter().map(rule_json).collect();
    paged(req, "rules", items)
}
