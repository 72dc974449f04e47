//! Server actions: power on and off, stop in place, reboot, terminate, each a transition through
//! the states the API shows.

use serde_json::json;

use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, s};
use crate::store::{Completion, Created, CreatedKind, Ip, Store, VolKind, instance_time, new_id};

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
    if action == "backup" || action == "enable_routed_ip" {
        return Err(h::not_implemented(req.module, &format!("ServerAction {action}")));
    }
    if !["poweron", "poweroff", "stop_in_place", "reboot", "terminate"].contains(&action.as_str()) {
        return Err(h::constraint("action", format!("unknown action {action}")));
    }
    if !allowed_actions(st, &srv).contains(&action.as_str()) {
        return Err(h::invalid_request(format!(
            "Action {action} is not allowed while the server is {}{}.",
            srv.state,
            if srv.detail.is_empty() {
                String::new()
            } else {
                format!(" ({})", srv.detail)
            }
        )));
    }
    let local_root = srv.volumes.values().any(|v| v.kind == VolKind::Local);
    let id = srv.id.clone();
    match action.as_str() {
        "poweron" => {
            if srv.dynamic_ip_required && srv.public_ips.is_empty() {
                let seq = st.next_seq();
                let address = st.next_public_address();
                let ip_id = new_id();
                st.record(
                    Created::new(CreatedKind::Ip, &ip_id, &srv.project, &srv.zone, "", &[]).server(Some(&id)),
                );
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
                        server: Some(id.clone()),
                        dynamic: true,
                        reverse: None,
                        tags: Vec::new(),
                    },
                );
                if let Some(s) = st.servers.get_mut(&id) {
                    s.public_ips.push(ip_id);
                }
            }
            // `booted` comes late: recorded servers still said `booting kernel` a minute after
            // poweron, and `booted` three minutes after.
            let steps: &[(f64, &str, &str)] = if srv.state == "stopped in place" {
                &[
                    (0.0, "starting", "stopped in place"),
                    (5.0, "running", "booting kernel"),
                    (BOOTED_AFTER, "running", "booted"),
                ]
            } else if local_root {
                &[
                    (0.0, "starting", "allocating node"),
                    (6.0, "starting", "provisioning node"),
                    (16.0, "running", "booting kernel"),
                    (BOOTED_AFTER, "running", "booted"),
                ]
            } else {
                &[
                    (0.0, "starting", "allocating node"),
                    (5.0, "running", "booting kernel"),
                    (BOOTED_AFTER, "running", "booted"),
                ]
            };
            st.transition(&id, ctx.now, ctx.scale, steps, Completion::None);
        }
        "poweroff" => st.transition(
            &id,
            ctx.now,
            ctx.scale,
            &[(0.0, "stopping", "stopping"), (25.0, "stopped", "")],
            Completion::Stopped,
        ),
        "stop_in_place" => st.transition(
            &id,
            ctx.now,
            ctx.scale,
            &[
                (0.0, "stopping", "stopping in place"),
                (42.0, "stopped in place", "stopped in place"),
            ],
            Completion::None,
        ),
        "reboot" => st.transition(
            &id,
            ctx.now,
            ctx.scale,
            &[
                (0.0, "starting", "rebooting"),
                (10.0, "running", "booting kernel"),
                (BOOTED_AFTER, "running", "booted"),
            ],
            Completion::None,
        ),
        _ => {
            // terminate: IPs leave the server at once, local volumes show `deleting`.
            st.release_dynamic_ips(&id);
            for ip in st.ips.values_mut() {
                if ip.server.as_deref() == Some(id.as_str()) {
                    ip.server = None;
                }
            }
            if let Some(s) = st.servers.get_mut(&id) {
                s.public_ips.clear();
            }
            for v in srv.volumes.values().filter(|v| v.kind == VolKind::Local) {
                if let Some(iv) = st.ivolumes.get_mut(&v.id) {
                    iv.deleting = true;
                }
            }
            let done = if local_root { 10.0 } else { 5.0 };
            st.transition(
                &id,
                ctx.now,
                ctx.scale,
                &[(0.0, "stopping", "terminating"), (done, "stopped", "")],
                Completion::Terminate,
            );
        }
    }
    let zone = req.param("zone");
    let task = json!({"task": {
        "id": new_id(),
        "description": format!("server_{action}"),
        "status": "pending",
        "href_from": format!("/servers/{id}/action"),
        "href_result": format!("/servers/{id}"),
        "started_at": instance_time(),
        "terminated_at": null,
        "progress": 0,
        "zone": zone,
    }});
    Ok(Reply::json(202, task))
}
