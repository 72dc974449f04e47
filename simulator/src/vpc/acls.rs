//! The ACL of a VPC, one per IP version: rules in order and a default policy, replaced as a whole.

use serde_json::{Value, json};

use super::{bool_query, cidr_argument, region, vpc_in};
use crate::http::{self as h, Reply, Req, Res, s};
use crate::store::{Store, VpcAcl};

pub(super) const OPERATIONS: crate::http::Routes = &[
    ("GetAcl", |st, _, req| get(st, req)),
    ("SetAcl", |st, _, req| set(st, req)),
];

/// A VPC with no ACL set lets everything through.
const DEFAULT_POLICY: &str = "accept";

/// Descriptions come back marked as the client's rules (recorded).
const CLIENT_SCOPE: &str = "(Rule scope: client) ";

fn acl_json(acl: &VpcAcl) -> Value {
    json!({"rules": acl.rules, "default_policy": acl.default_policy})
}

fn get(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let is_ipv6 = bool_query(req, "is_ipv6")?.unwrap_or(false);
    let id = vpc_in(st, &region, req.param("vpc_id"))?.id.clone();
    let acl = st.vpc_acls.get(&(id, is_ipv6)).cloned().unwrap_or(VpcAcl {
        rules: Vec::new(),
        default_policy: DEFAULT_POLICY.to_string(),
    });
    Ok(Reply::ok(acl_json(&acl)))
}

fn action(value: Option<&str>, name: &str) -> Result<String, Reply> {
    match value {
        Some(a @ ("accept" | "drop")) => Ok(a.to_string()),
        other => Err(h::constraint(
            name,
            format!(
                "action must be accept or drop, not {}",
                other.unwrap_or("unknown_action")
            ),
        )),
    }
}

fn port(rule: &Value, key: &str) -> Result<u64, Reply> {
    match rule.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v
            .as_u64()
            .filter(|p| *p <= 65535)
            .ok_or_else(|| h::constraint(&format!("rules.{key}"), "ports are between 0 and 65535")),
    }
}

/// One rule as the API keeps it, with every field.
fn rule(rule: &Value, is_ipv6: bool) -> Result<Value, Reply> {
    let protocol = s(rule, "protocol").unwrap_or("ANY");
    if !["ANY", "TCP", "UDP", "ICMP"].contains(&protocol) {
        return Err(h::constraint(
            "rules.protocol",
            format!("unknown protocol {protocol}"),
        ));
    }
    let mut networks = Vec::new();
    for key in ["source", "destination"] {
        let name = format!("rules.{key}");
        let Some(text) = s(rule, key) else {
            return Err(h::required(&[&name]));
        };
        let (canonical, net) = cidr_argument(&name, text)?;
        if net.0.is_ipv6() != is_ipv6 {
            return Err(h::constraint(
                &name,
                "the network is not of the ACL's IP version (is_ipv6)",
            ));
        }
        networks.push(canonical);
    }
    let ports = [
        port(rule, "src_port_low")?,
        port(rule, "src_port_high")?,
        port(rule, "dst_port_low")?,
        port(rule, "dst_port_high")?,
    ];
    if ports[0] > ports[1] || ports[2] > ports[3] {
        return Err(h::constraint(
            "rules",
            "a port range's low port is above its high port",
        ));
    }
    let description = s(rule, "description").map(|d| {
        if d.starts_with(CLIENT_SCOPE) {
            d.to_string()
        } else {
            format!("{CLIENT_SCOPE}{d}")
        }
    });
    Ok(json!({
        "protocol": protocol,
        "source": networks[0],
        "src_port_low": ports[0],
        "src_port_high": ports[1],
        "destination": networks[1],
        "dst_port_low": ports[2],
        "dst_port_high": ports[3],
        "action": action(s(rule, "action"), "rules.action")?,
        "description": description,
    }))
}

fn set(st: &mut Store, req: &Req) -> Res {
    let region = region(req)?;
    let body = req.json()?;
    let id = vpc_in(st, &region, req.param("vpc_id"))?.id.clone();
    let Some(asked) = body.get("rules").and_then(Value::as_array) else {
        return Err(h::required(&["rules"]));
    };
    let is_ipv6 = body.get("is_ipv6").and_then(Value::as_bool).unwrap_or(false);
    let rules = asked
        .iter()
        .map(|r| rule(r, is_ipv6))
        .collect::<Result<Vec<_>, _>>()?;
    let default_policy = match s(&body, "default_policy") {
        None | Some("unknown_action") => DEFAULT_POLICY.to_string(),
        given => action(given, "default_policy")?,
    };
    let acl = VpcAcl {
        rules,
        default_policy,
    };
    let json = acl_json(&acl);
    st.vpc_acls.insert((id, is_ipv6), acl);
    Ok(Reply::ok(json))
}
