//! Server actions: power on and off, stop in place, reboot, terminate, each a transition through
//! the states the API shows.

use serde_json::json;

use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, s};
use crate::store::{Completion, Created, CreatedKind, Ip, Server, Store, VolKind, instance_time, new_id};
use crate::timings::TransitionKind;

use super::views::{allowed_actions, server};

pub(super) const OPERATIONS: Routes = &[("ServerAction", act), ("ListServerActions", list)];

/// Every action the API knows, whatever the server's state.
fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    server(st, req)?;
    Ok(Reply::ok(
        json!({"actions": ["poweron", "poweroff", "stop_in_place", "reboot", "terminate", "backup"]}),
    ))
}

/// Seconds from poweron (or reboot) to `running/booted`.
const BOOTED_AFTER: f64 = 120.0;

fn act(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let action = s(&body, "action").unwrap_or("poweron").to_string();
    let srv = server(st, req)?.clone();
    check_allowed(st, req, &srv, &action)?;
    match action.as_str() {
        "poweron" => power_on(st, ctx, &srv),
        "poweroff" => {
            let stopped = st.timings.draw(TransitionKind::PowerOff, &srv.id, ctx);
            st.transition(
                &srv.id,
                ctx.now,
                ctx.scale,
                &[(0.0, "stopping", "stopping"), (stopped, "stopped", "")],
                Completion::Stopped,
            )
        }
        "stop_in_place" => st.transition(
            &srv.id,
            ctx.now,
            ctx.scale,
            &[
                (0.0, "stopping", "stopping in place"),
                (42.0, "stopped in place", "stopped in place"),
            ],
            Completion::None,
        ),
        "reboot" => st.transition(
            &srv.id,
            ctx.now,
            ctx.scale,
            &[
                (0.0, "starting", "rebooting"),
                (10.0, "running", "booting kernel"),
                (BOOTED_AFTER, "running", "booted"),
            ],
            Completion::None,
        ),
        _ => terminate(st, ctx, &srv),
    }
    Ok(Reply::json(202, task_json(req, &srv.id, &action)))
}

/// A known action the server's state allows (`backup` and `enable_routed_ip` are not simulated).
fn check_allowed(st: &Store, req: &Req, srv: &Server, action: &str) -> Result<(), Reply> {
    if action == "backup" || action == "enable_routed_ip" {
        return Err(h::not_implemented(req.module, &format!("ServerAction {action}")));
    }
    if !["poweron", "poweroff", "stop_in_place", "reboot", "terminate"].contains(&action) {
        return Err(h::constraint("action", format!("unknown action {action}")));
    }
    if !allowed_actions(st, srv).contains(&action) {
        let detail = if srv.detail.is_empty() {
            String::new()
        } else {
            format!(" ({})", srv.detail)
        };
        return Err(h::invalid_request(format!(
            "Action {action} is not allowed while the server is {}{detail}.",
            srv.state
        )));
    }
    Ok(())
}

fn has_local_volume(srv: &Server) -> bool {
    srv.volumes.values().any(|v| v.kind == VolKind::Local)
}

/// A server that wants a public IP and has none gets a dynamic one; then it starts, slower with
/// a local volume to provision.
fn power_on(st: &mut Store, ctx: &Ctx, srv: &Server) {
    if srv.dynamic_ip_required && srv.public_ips.is_empty() {
        give_dynamic_ip(st, srv);
    }
    // `booted` comes late: recorded servers still said `booting kernel` a minute after poweron,
    // and `booted` three minutes after.
    let steps: &[(f64, &str, &str)] = if srv.state == "stopped in place" {
        // The node is kept: a short start (recorded once, 5 s).
        &[
            (0.0, "starting", "stopped in place"),
            (5.0, "running", "booting kernel"),
            (BOOTED_AFTER, "running", "booted"),
        ]
    } else if has_local_volume(srv) {
        let running = st.timings.draw(TransitionKind::PowerOnLocalRoot, &srv.id, ctx);
        &[
            (0.0, "starting", "allocating node"),
            // The local volume is copied in the larger part of the start (recorded: 6 of 16 s
            // allocating).
            (running * 0.375, "starting", "provisioning node"),
            (running, "running", "booting kernel"),
            (BOOTED_AFTER.max(running), "running", "booted"),
        ]
    } else {
        let running = st.timings.draw(TransitionKind::PowerOnBlockRoot, &srv.id, ctx);
        &[
            (0.0, "starting", "allocating node"),
            (running, "running", "booting kernel"),
            (BOOTED_AFTER.max(running), "running", "booted"),
        ]
    };
    st.transition(&srv.id, ctx.now, ctx.scale, steps, Completion::None);
}

fn give_dynamic_ip(st: &mut Store, srv: &Server) {
    let seq = st.next_seq();
    let address = st.next_public_address();
    let ip_id = new_id();
    st.record(Created::new(CreatedKind::Ip, &ip_id, &srv.project, &srv.zone, "", &[]).server(Some(&srv.id)));
    st.ips.insert(
        ip_id.clone(),
        Ip {
            id: ip_id.clone(),
            seq,
            address,
            prefix: None,
            zone: srv.zone.clone(),
            project: srv.project.clone(),
            organization: srv.organization.clone(),
            ip_type: "routed_ipv4".into(),
            server: Some(srv.id.clone()),
            dynamic: true,
            reverse: None,
            tags: Vec::new(),
        },
    );
    if let Some(s) = st.servers.get_mut(&srv.id) {
        s.public_ips.push(ip_id);
    }
}

/// IPs leave the server at once and its local volumes show `deleting`; the server and what it
/// held are gone at the end.
fn terminate(st: &mut Store, ctx: &Ctx, srv: &Server) {
    let id = srv.id.as_str();
    st.release_dynamic_ips(id);
    for ip in st.ips.values_mut() {
        if ip.server.as_deref() == Some(id) {
            ip.server = None;
        }
    }
    if let Some(s) = st.servers.get_mut(id) {
        s.public_ips.clear();
    }
    let mut local_bytes = 0;
    for v in srv.volumes.values().filter(|v| v.kind == VolKind::Local) {
        if let Some(iv) = st.ivolumes.get_mut(&v.id) {
            iv.deleting = true;
            local_bytes += iv.size;
        }
    }
    let done = st
        .timings
        .draw_terminate(id, &srv.commercial_type, local_bytes, ctx);
    st.transition(
        id,
        ctx.now,
        ctx.scale,
        &[(0.0, "stopping", "terminating"), (done, "stopped", "")],
        Completion::Terminate,
    );
}

/// The action's task, pending.
fn task_json(req: &Req, server_id: &str, action: &str) -> serde_json::Value {
    json!({"task": {
        "id": new_id(),
        "description": format!("server_{action}"),
        "status": "pending",
        "href_from": format!("/servers/{server_id}/action"),
        "href_result": format!("/servers/{server_id}"),
        "started_at": instance_time(),
        "terminated_at": null,
        "progress": 0,
        "zone": req.param("zone"),
    }})
}
