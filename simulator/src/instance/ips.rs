//! Flexible IPs (routed IPv4, routed IPv6 prefixes), and the dynamic IPs servers get at power-on.

use serde_json::{Value, json};

use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, project_of, s, strings};
use crate::store::{Created, CreatedKind, Ip, Store, new_id};

use super::views::{BASE, ip, ip_json, zone};

pub(super) const OPERATIONS: Routes = &[
    ("ListIps", list),
    ("CreateIp", create),
    ("GetIp", get),
    ("UpdateIp", update),
    ("DeleteIp", delete),
    ("ReleaseIpToIpam", release_to_ipam),
];

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?;
    let (page, size) = h::instance_page(req)?;
    let organization = req.q("organization");
    let project = req.q("project");
    let name = req.q("name");
    let tags = req.q_all("tags");
    let ip_type = req.q("type");
    let mut ips: Vec<&Ip> = st
        .ips
        .values()
        .filter(|ip| {
            ip.zone == zone
                && organization.is_none_or(|o| o == ip.organization)
                && project.is_none_or(|p| p == ip.project)
                && h::name_matches(name, &ip.address)
                && h::tags_match(&tags, &ip.tags)
                && ip_type.is_none_or(|t| t == ip.ip_type)
        })
        .collect();
    ips.sort_by_key(|ip| ip.seq);
    Ok(h::instance_list(req, "ips", &ips, (page, size), |ip| {
        ip_json(st, ip)
    }))
}

fn create(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?.to_string();
    let body = req.json()?;
    let project = project_of(st, &body, "project", "instance_ip")?;
    // `unknown_iptype` is what SDKs send by default: the API then gives a routed IPv4.
    let ip_type = match s(&body, "type") {
        None | Some("unknown_iptype") => "routed_ipv4".to_string(),
        Some(t) => t.to_string(),
    };
    if ip_type != "routed_ipv4" && ip_type != "routed_ipv6" {
        return Err(h::not_implemented(
            req.module,
            &format!("CreateIp type {ip_type}"),
        ));
    }
    let server = match s(&body, "server") {
        Some(id) => match st.servers.get(id) {
            Some(srv) if srv.zone == zone => Some(id.to_string()),
            _ => return Err(h::not_found("instance_server", id)),
        },
        None => None,
    };
    let seq = st.next_seq();
    // A routed IPv6 is a /64 (recorded: `address` null, `prefix` `2001:bc8:711:4014::/64`); its
    // server gets an address in it.
    let (address, prefix) = if ip_type == "routed_ipv6" {
        let (prefix, address) = st.next_ipv6_prefix();
        (address, Some(prefix))
    } else {
        (st.next_public_address(), None)
    };
    let ip = Ip {
        id: new_id(),
        seq,
        address,
        prefix,
        zone: zone.clone(),
        project,
        organization: st.organization.clone(),
        ip_type,
        server: server.clone(),
        dynamic: false,
        reverse: None,
        tags: strings(&body, "tags"),
    };
    let id = ip.id.clone();
    st.record(
        Created::new(CreatedKind::Ip, &id, &ip.project, &ip.zone, "", &ip.tags).server(ip.server.as_deref()),
    );
    st.ips.insert(id.clone(), ip);
    if let Some(server) = server.and_then(|s| st.servers.get_mut(&s)) {
        server.public_ips.push(id.clone());
    }
    let json = ip_json(st, &st.ips[&id]);
    Ok(Reply::json(201, json!({"ip": json})).header("location", format!("{BASE}/{zone}/ips/{id}")))
}

fn update(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let id = ip(st, req)?.id.clone();
    if let Some(server_field) = body.get("server") {
        let new_server = match server_field {
            Value::Null => None,
            Value::String(sid) => match st.servers.get(sid) {
                Some(_) => Some(sid.clone()),
                None => return Err(h::not_found("instance_server", sid)),
            },
            _ => return Err(h::constraint("server", "expected a server id or null")),
        };
        let old = st.ips.get(&id).and_then(|ip| ip.server.clone());
        if let Some(old) = old.and_then(|o| st.servers.get_mut(&o)) {
            old.public_ips.retain(|i| *i != id);
        }
        if let Some(new) = new_server.as_ref().and_then(|n| st.servers.get_mut(n)) {
            new.public_ips.push(id.clone());
        }
        if let Some(ip) = st.ips.get_mut(&id) {
            ip.server = new_server;
        }
    }
    let ip = st
        .ips
        .get_mut(&id)
        .ok_or_else(|| h::not_found("instance_ip", &id))?;
    if body.get("tags").is_some_and(Value::is_array) {
        ip.tags = strings(&body, "tags");
    }
    match body.get("reverse") {
        Some(Value::String(r)) => ip.reverse = Some(r.clone()),
        Some(Value::Null) => ip.reverse = None,
        _ => {}
    }
    let json = ip_json(st, &st.ips[&id]);
    Ok(Reply::ok(json!({"ip": json})))
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let ip = ip(st, req)?;
    Ok(Reply::ok(json!({"ip": ip_json(st, ip)})))
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = ip(st, req)?.id.clone();
    forget(st, &id);
    Ok(Reply::no_content())
}

/// The address leaves the Instance API while its IPAM reservation stays: the IP is no longer
/// listed nor found here. Only a detached IP can be released.
fn release_to_ipam(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let ip = ip(st, req)?;
    if ip.server.is_some() {
        return Err(h::precondition(
            "resource_not_usable",
            format!("ip {} is attached to a server: detach it first", ip.id),
        ));
    }
    let id = ip.id.clone();
    forget(st, &id);
    Ok(Reply::no_content())
}

/// Removes an IP, and from its server.
fn forget(st: &mut Store, id: &str) {
    if let Some(removed) = st.ips.remove(id)
        && let Some(server) = removed.server.and_then(|s| st.servers.get_mut(&s))
    {
        server.public_ips.retain(|i| i != id);
    }
}
