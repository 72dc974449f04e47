//! Private NICs: a server's interfaces in private networks, each with an IPv4 and an IPv6 booked
//! in IPAM.

use serde_json::{Value, json};

use crate::catalog;
use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, s, strings};
use crate::store::{
    Booking, Created, CreatedKind, IpamResource, NIC_RESOURCE, Nic, Server, Store, instance_time, new_id,
    scaled,
};
use crate::timings::TransitionKind;

use super::views::{nic, nic_json, server, vanished};

pub(super) const OPERATIONS: Routes = &[
    ("ListPrivateNICs", list),
    ("CreatePrivateNIC", create),
    ("GetPrivateNIC", get),
    ("UpdatePrivateNIC", update),
    ("DeletePrivateNIC", delete),
];

fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let srv = server(st, req)?;
    let page = h::instance_page(req)?;
    let tags = req.q_all("tags");
    let mut nics: Vec<&Nic> = st
        .nics
        .values()
        .filter(|n| n.server_id == srv.id && h::tags_match(&tags, &n.tags))
        .collect();
    nics.sort_by_key(|n| n.seq);
    Ok(h::instance_list(req, "private_nics", &nics, page, |n| {
        nic_json(n)
    }))
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let n = nic(st, req)?;
    Ok(Reply::ok(json!({"private_nic": nic_json(n)})))
}

/// Answered as the bare NIC, unlike the other NIC answers: the spec's `PrivateNIC`, which the
/// official SDKs read.
fn update(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let id = nic(st, req)?.id.clone();
    let n = st.nics.get_mut(&id).ok_or_else(vanished)?;
    if body.get("tags").is_some_and(Value::is_array) {
        n.tags = strings(&body, "tags");
    }
    n.modified = instance_time();
    Ok(Reply::ok(nic_json(n)))
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = nic(st, req)?.id.clone();
    st.remove_nic(&id);
    Ok(Reply::no_content())
}

fn create(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let srv = server(st, req)?.clone();
    let pn_id = private_network_of(st, &srv, &body)?;
    let nic_id = new_id();
    let seq = st.next_seq();
    let mac = st.next_mac("02:00:00");
    let (v4, v6) = book_addresses(st, &srv, &pn_id, &nic_id, &mac)?;
    let address = match st.ipam[&v4].address {
        std::net::IpAddr::V4(a) => u32::from(a),
        std::net::IpAddr::V6(_) => unreachable!("an IPv4 booking gives an IPv4"),
    };
    let now = instance_time();
    // On a running server a NIC is `syncing` for a while (recorded: 20 s to a minute).
    let syncing = matches!(srv.state, "running" | "starting");
    let syncing_seconds = syncing.then(|| st.timings.draw(TransitionKind::PrivateNic, &nic_id, ctx));
    let n = Nic {
        id: nic_id,
        seq,
        server_id: srv.id.clone(),
        private_network_id: pn_id,
        zone: srv.zone.clone(),
        mac,
        tags: strings(&body, "tags"),
        ipv4: address,
        ipam_ip_ids: vec![v4, v6],
        syncing_until: syncing_seconds.map(|secs| ctx.now + scaled(secs, ctx.scale)),
        created: now.clone(),
        modified: now,
    };
    let json = nic_json(&n);
    if syncing {
        st.pending_nics.insert(n.id.clone());
    }
    st.record(
        Created::new(CreatedKind::PrivateNic, &n.id, &srv.project, &n.zone, "", &n.tags)
            .server(Some(&n.server_id))
            .network(&n.private_network_id),
    );
    st.nics.insert(n.id.clone(), n);
    Ok(Reply::json(201, json!({"private_nic": json})))
}

/// The body's private network: in the server's region, and not one the server is in already.
fn private_network_of(st: &Store, srv: &Server, body: &Value) -> Result<String, Reply> {
    let Some(pn_id) = s(body, "private_network_id") else {
        return Err(h::required(&["private_network_id"]));
    };
    let region = catalog::region_of(&srv.zone);
    if st.pns.get(pn_id).is_none_or(|p| p.region != region) {
        return Err(h::not_found("private_network", pn_id));
    }
    if st
        .nics
        .values()
        .any(|n| n.server_id == srv.id && n.private_network_id == pn_id)
    {
        return Err(h::invalid_request(
            "The server already has a private NIC in this private network.",
        ));
    }
    Ok(pn_id.to_string())
}

/// The NIC's two addresses, IPv4 and IPv6, booked in IPAM and bound to the NIC (IPAM shows the
/// MAC in capitals and the server's name, which resolves to them in the private network's DNS).
fn book_addresses(
    st: &mut Store,
    srv: &Server,
    pn_id: &str,
    nic_id: &str,
    mac: &str,
) -> Result<(String, String), Reply> {
    let booking = |is_ipv6| Booking {
        private_network_id: pn_id.to_string(),
        is_ipv6,
        address: None,
        project: srv.project.clone(),
        tags: Vec::new(),
        resource: Some(IpamResource {
            kind: NIC_RESOURCE.to_string(),
            id: nic_id.to_string(),
            mac: Some(mac.to_string()),
            name: Some(srv.name.clone()),
        }),
    };
    let no_address = || h::precondition("resource_not_usable", "no free address in the private network");
    let v4 = st.book_ipam(booking(false)).map_err(|_| no_address())?;
    match st.book_ipam(booking(true)) {
        Ok(v6) => Ok((v4, v6)),
        Err(_) => {
            st.ipam.remove(&v4);
            Err(no_address())
        }
    }
}
