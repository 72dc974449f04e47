//! Security group rules: a group's own rules, in order, after the default outbound SMTP drops the
//! group shows while `enable_default_security` is on.

use serde_json::{Value, json};

use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, s};
use crate::store::{Rule, SecurityGroup, Store, instance_time, new_id};

use super::views::{BASE, sg, vanished, zone};

pub(super) const OPERATIONS: Routes = &[
    ("ListDefaultSecurityGroupRules", list_defaults),
    ("ListSecurityGroupRules", list),
    ("CreateSecurityGroupRule", create),
    ("SetSecurityGroupRules", set_all),
    ("GetSecurityGroupRule", get),
    ("SetSecurityGroupRule", set),
    ("UpdateSecurityGroupRule", update),
    ("DeleteSecurityGroupRule", delete),
];

fn list_defaults(_: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let rules: Vec<Value> = default_rules()
        .iter()
        .map(|r| rule_json(r, zone, false))
        .collect();
    Ok(Reply::ok(json!({"rules": rules})))
}

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let g = sg(st, req)?;
    let page = h::instance_page(req)?;
    Ok(h::instance_list(
        req,
        "rules",
        &all_rules_json(g),
        page,
        Value::clone,
    ))
}

fn create(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    sg(st, req)?;
    let body = req.json()?;
    let mut rule = parse_rule(&body, None)?;
    let g = group_mut(st, req)?;
    if rule.position == 0 || rule.position as usize > g.rules.len() {
        rule.position = g.rules.len() as u64 + 1;
    }
    let index = rule.position as usize - 1;
    g.rules.insert(index, rule);
    renumber(&mut g.rules);
    let r = g.rules[index].clone();
    g.modified = instance_time();
    Ok(
        Reply::json(201, json!({"rule": rule_json(&r, &g.zone, true)})).header(
            "location",
            format!("{BASE}/{}/security_groups/{}/rules/{}", g.zone, g.id, r.id),
        ),
    )
}

/// Replaces the group's own rules with the given ones, in their positions' order.
fn set_all(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    sg(st, req)?;
    let body = req.json()?;
    let mut rules = Vec::new();
    let defaults: Vec<String> = default_rules().into_iter().map(|r| r.id).collect();
    for r in body.get("rules").and_then(Value::as_array).into_iter().flatten() {
        // The default rules may be sent back; they are not user rules.
        if s(r, "id").is_some_and(|id| defaults.iter().any(|d| d == id)) {
            continue;
        }
        rules.push(parse_rule(r, None)?);
    }
    rules.sort_by_key(|r| r.position);
    renumber(&mut rules);
    let g = group_mut(st, req)?;
    g.rules = rules;
    g.modified = instance_time();
    Ok(Reply::ok(json!({"rules": all_rules_json(g)})))
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let g = sg(st, req)?;
    let id = req.param("security_group_rule_id");
    if let Some(r) = g.rules.iter().find(|r| r.id == id) {
        return Ok(Reply::ok(json!({"rule": rule_json(r, &g.zone, true)})));
    }
    match default_rules_of(g).into_iter().find(|r| r.id == id) {
        Some(r) => Ok(Reply::ok(json!({"rule": rule_json(&r, &g.zone, false)}))),
        None => Err(h::not_found("instance_security_group_rule", id)),
    }
}

/// A PATCH: the rule as it is, with the fields the body names.
fn update(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let current = rule_of(st, req)?;
    let mut merged = rule_json(&current, "", true);
    if let (Some(merged), Some(given)) = (merged.as_object_mut(), body.as_object()) {
        merged.extend(given.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    replace_rule(st, req, &merged)
}

/// A PUT: the rule becomes the body (what it leaves out takes a new rule's defaults; with no
/// position it keeps its place).
fn set(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    rule_of(st, req)?;
    replace_rule(st, req, &body)
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    sg(st, req)?;
    let id = req.param("security_group_rule_id");
    let g = group_mut(st, req)?;
    let before = g.rules.len();
    g.rules.retain(|r| r.id != id);
    if g.rules.len() == before {
        return Err(h::not_found("instance_security_group_rule", id));
    }
    renumber(&mut g.rules);
    Ok(Reply::no_content())
}

fn group_mut<'s>(st: &'s mut Store, req: &Req) -> Result<&'s mut SecurityGroup, Reply> {
    st.sgs
        .get_mut(req.param("security_group_id"))
        .ok_or_else(vanished)
}

/// The group's own rule the path names (a default rule cannot be changed).
fn rule_of(st: &Store, req: &Req) -> Result<Rule, Reply> {
    let g = sg(st, req)?;
    let id = req.param("security_group_rule_id");
    g.rules
        .iter()
        .find(|r| r.id == id)
        .cloned()
        .ok_or_else(|| h::not_found("instance_security_group_rule", id))
}

/// Puts the rule `body` describes in the place of the path's rule, at its position.
fn replace_rule(st: &mut Store, req: &Req, body: &Value) -> Res {
    let id = req.param("security_group_rule_id").to_string();
    let mut rule = parse_rule(body, Some(id.clone()))?;
    let g = group_mut(st, req)?;
    let index = g.rules.iter().position(|r| r.id == id).ok_or_else(vanished)?;
    if rule.position == 0 {
        rule.position = g.rules[index].position;
    }
    g.rules.remove(index);
    let at = (rule.position as usize - 1).min(g.rules.len());
    g.rules.insert(at, rule);
    renumber(&mut g.rules);
    g.modified = instance_time();
    let r = g.rules[at].clone();
    Ok(Reply::ok(json!({"rule": rule_json(&r, &g.zone, true)})))
}

fn default_rules() -> Vec<Rule> {
    let mut rules = Vec::new();
    for (i, (range, port)) in [
        ("0.0.0.0/0", 25),
        ("0.0.0.0/0", 465),
        ("0.0.0.0/0", 587),
        ("::/0", 25),
        ("::/0", 465),
        ("::/0", 587),
    ]
    .into_iter()
    .enumerate()
    {
        rules.push(Rule {
            id: format!("11111111-2222-4333-8444-00000000000{}", i + 1),
            protocol: "TCP".into(),
            direction: "outbound".into(),
            action: "drop".into(),
            ip_range: range.into(),
            dest_ip_range: None,
            dest_port_from: Some(port),
            dest_port_to: None,
            position: i as u64 + 1,
        });
    }
    rules
}

fn default_rules_of(g: &SecurityGroup) -> Vec<Rule> {
    if g.enable_default_security {
        default_rules()
    } else {
        Vec::new()
    }
}

fn all_rules_json(g: &SecurityGroup) -> Vec<Value> {
    default_rules_of(g)
        .iter()
        .map(|r| rule_json(r, &g.zone, false))
        .chain(g.rules.iter().map(|r| rule_json(r, &g.zone, true)))
        .collect()
}

fn rule_json(r: &Rule, zone: &str, editable: bool) -> Value {
    json!({
        "id": r.id,
        "protocol": r.protocol,
        "direction": r.direction,
        "ip_range": r.ip_range,
        "dest_ip_range": r.dest_ip_range,
        "dest_port_from": r.dest_port_from,
        "dest_port_to": r.dest_port_to,
        "position": r.position,
        "editable": editable,
        "action": r.action,
        "zone": zone,
    })
}

fn renumber(rules: &mut [Rule]) {
    for (i, r) in rules.iter_mut().enumerate() {
        r.position = i as u64 + 1;
    }
}

/// Parses and normalises a rule as the API does: a `/32` (or `/128`) is dropped from `ip_range`,
/// `dest_port_to == dest_port_from` becomes null, ICMP or ports 0/0 have no ports.
fn parse_rule(body: &Value, id: Option<String>) -> Result<Rule, Reply> {
    let protocol = s(body, "protocol").unwrap_or("TCP").to_uppercase();
    if !["TCP", "UDP", "ICMP", "ANY"].contains(&protocol.as_str()) {
        return Err(h::constraint("protocol", "must be TCP, UDP, ICMP or ANY"));
    }
    let direction = s(body, "direction").unwrap_or("inbound").to_string();
    if direction != "inbound" && direction != "outbound" {
        return Err(h::constraint("direction", "must be inbound or outbound"));
    }
    let action = s(body, "action").unwrap_or("accept").to_string();
    if action != "accept" && action != "drop" {
        return Err(h::constraint("action", "must be accept or drop"));
    }
    let Some(range) = s(body, "ip_range") else {
        return Err(h::required(&["ip_range"]));
    };
    let ip_range = normalise_range(range).ok_or_else(|| h::constraint("ip_range", "invalid IP range"))?;
    let port = |key: &str| -> Result<Option<u64>, Reply> {
        match body.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64() {
                Some(p) if p <= 65535 => Ok(Some(p)),
                _ => Err(h::constraint(key, "must be a port between 0 and 65535")),
            },
        }
    };
    let mut from = port("dest_port_from")?;
    let mut to = port("dest_port_to")?;
    if protocol == "ICMP" || (from.unwrap_or(0) == 0 && to.unwrap_or(0) == 0) {
        from = None;
        to = None;
    }
    if to.is_some() && to == from {
        to = None;
    }
    if let (Some(f), Some(t)) = (from, to)
        && t < f
    {
        return Err(h::constraint(
            "dest_port_to",
            "must be greater than dest_port_from",
        ));
    }
    Ok(Rule {
        id: id.unwrap_or_else(new_id),
        protocol,
        direction,
        action,
        ip_range,
        dest_ip_range: s(body, "dest_ip_range").map(str::to_string),
        dest_port_from: from,
        dest_port_to: to,
        position: body.get("position").and_then(Value::as_u64).unwrap_or(0),
    })
}

fn normalise_range(range: &str) -> Option<String> {
    let (addr, prefix) = match range.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().ok()?)),
        None => (range, None),
    };
    let ip: std::net::IpAddr = addr.parse().ok()?;
    let full = if ip.is_ipv4() { 32 } else { 128 };
    match prefix {
        None => Some(ip.to_string()),
        Some(p) if p > full => None,
        Some(p) if p == full => Some(ip.to_string()),
        Some(p) => Some(format!("{ip}/{p}")),
    }
}
