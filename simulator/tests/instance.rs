//! Instance: servers through their states, user data, volumes maps, security groups and IPs.

use std::time::Duration;

use scaleway_client::api::{block_v1, instance_v1};
use scaleway_client::{Client, Error};
use scaleway_sim::{Simulator, SimulatorOptions};
use serde_json::{Value, json};

use super::requests::*;

#[tokio::test]
async fn server_lifecycle_local_root_with_realistic_steps() {
    // 0.1: poweron of an l_ssd server takes 1.6 s (0.6 s in `allocating node`), poweroff 2.5 s,
    // terminate 1 s: long enough to see every intermediate state, short enough for a test.
    let sim = sim(0.1).await;
    let c = client(&sim);

    let (id, root) = create_a_stopped_local_server(&c).await;

    user_data_values_are_raw_text(&sim, &c, &id).await;

    a_nic_on_a_stopped_server_is_available_at_once(&sim, &c, &id).await;

    power_on_goes_through_starting_to_running(&c, &id).await;

    // A NIC on a running server is syncing first.
    let pn2 = create_pn(&c, "pn-lifecycle-2").await;
    let nic2 = create_nic(&c, &id, pn2["id"].as_str().unwrap()).await;
    assert_eq!(nic2["state"], "syncing");

    power_off_goes_through_stopping_and_drops_the_dynamic_ip(&sim, &c, &id).await;

    terminate_goes_through_terminating_then_the_server_and_its_root_are_gone(&c, &id, &root).await;
    // The NICs went with the server; the private networks remain.
    let inv = sim.inventory();
    assert!(inv.servers.is_empty() && inv.volumes.is_empty() && inv.private_nics.is_empty());
    assert_eq!(inv.private_networks.len(), 2);
}

/// A DEV1-S on the local image: created stopped, with its l_ssd root and a dynamic IP to come;
/// its id and its root volume's.
async fn create_a_stopped_local_server(c: &Client) -> (String, String) {
    let created = c
        .instance()
        .create_server()
        .zone(ZONE)
        .body(body::<instance_v1::types::CreateServerBody>(
            json!({"name": "web-1", "commercial_type": "DEV1-S", "image": LOCAL_IMAGE}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let id = created.server.as_ref().and_then(|s| s.id.clone()).unwrap();
    assert_eq!(
        created.headers()["location"],
        format!("https://api.scaleway.com/instance/v1/zones/{ZONE}/servers/{id}").as_str()
    );
    let s = get_server(c, &id).await;
    assert_eq!(s["state"], "stopped");
    assert_eq!(s["allowed_actions"], json!(["poweron", "backup"]));
    assert_eq!(s["volumes"]["0"]["volume_type"], "l_ssd");
    assert_eq!(s["volumes"]["0"]["name"], "Ubuntu 24.04 Noble Numbat");
    assert_eq!(s["dynamic_ip_required"], true);
    assert!(s.get("public_ip").is_none_or(Value::is_null));
    let root = s["volumes"]["0"]["id"].as_str().unwrap().to_string();
    (id, root)
}

/// A user data value is sent and read back as raw `text/plain`.
async fn user_data_values_are_raw_text(sim: &Simulator, c: &Client, id: &str) {
    let cloud_init = "#cloud-config\napt-update: true\n";
    let r = c
        .instance()
        .set_server_user_data()
        .zone(ZONE)
        .server_id(id)
        .key("cloud-init")
        .body(cloud_init)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let keys = c
        .instance()
        .list_server_user_data()
        .zone(ZONE)
        .server_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(keys.user_data, vec!["cloud-init".to_string()]);
    let got = raw(
        sim,
        "GET",
        &format!("/instance/v1/zones/{ZONE}/servers/{id}/user_data/cloud-init"),
        None,
    )
    .await;
    assert_eq!(got.headers()["content-type"], "text/plain");
    assert_eq!(got.text().await.unwrap(), cloud_init);
}

/// A NIC on a stopped server is available at once, with an address from the subnet.
async fn a_nic_on_a_stopped_server_is_available_at_once(sim: &Simulator, c: &Client, id: &str) {
    let pn = create_pn(c, "pn-lifecycle").await;
    let pn_id = pn["id"].as_str().unwrap();
    assert_eq!(pn["subnets"].as_array().unwrap().len(), 2);
    let nic = create_nic(c, id, pn_id).await;
    assert_eq!(nic["state"], "available");
    let inv = sim.inventory();
    assert_eq!(inv.private_nics.len(), 1);
    let subnet = pn["subnets"][0]["subnet"].as_str().unwrap();
    let prefix = subnet.rsplit_once('.').unwrap().0;
    assert!(
        inv.private_nics[0].private_ipv4.starts_with(prefix),
        "{subnet} {:?}",
        inv.private_nics
    );
}

/// poweron: starting/allocating node, then provisioning node, then running/booting kernel; a
/// second poweron meanwhile is refused.
async fn power_on_goes_through_starting_to_running(c: &Client, id: &str) {
    let task = action(c, id, "poweron").await.unwrap();
    assert_eq!(task["task"]["status"], "pending");
    let s = get_server(c, id).await;
    assert_eq!(
        (s["state"].as_str(), s["state_detail"].as_str()),
        (Some("starting"), Some("allocating node"))
    );
    assert_eq!(s["allowed_actions"], json!(["stop_in_place", "backup"]));
    let refused = action(c, id, "poweron").await.unwrap_err();
    assert_eq!(refused.status(), Some(400));
    let s = wait_state(c, id, "running").await;
    assert_eq!(s["state_detail"], "booting kernel");
    assert_eq!(
        s["allowed_actions"],
        json!(["poweroff", "terminate", "reboot", "stop_in_place", "backup"])
    );
    assert_eq!(s["public_ip"]["dynamic"], true);
    assert_eq!(s["public_ips"].as_array().unwrap().len(), 1);
    assert!(s["location"].is_object());
}

/// poweroff: stopping, then stopped; the dynamic IP goes away, and a stopped server cannot be
/// terminated.
async fn power_off_goes_through_stopping_and_drops_the_dynamic_ip(sim: &Simulator, c: &Client, id: &str) {
    action(c, id, "poweroff").await.unwrap();
    let s = get_server(c, id).await;
    assert_eq!(
        (s["state"].as_str(), s["state_detail"].as_str()),
        (Some("stopping"), Some("stopping"))
    );
    let s = wait_state(c, id, "stopped").await;
    assert!(s["public_ips"].as_array().is_none_or(Vec::is_empty));
    assert!(sim.inventory().ips.is_empty());
    assert_eq!(action(c, id, "terminate").await.unwrap_err().status(), Some(400));
}

/// terminate from running: stopping/terminating, local volumes deleting, then 404 for the server
/// and its root.
async fn terminate_goes_through_terminating_then_the_server_and_its_root_are_gone(
    c: &Client,
    id: &str,
    root: &str,
) {
    action(c, id, "poweron").await.unwrap();
    wait_state(c, id, "running").await;
    action(c, id, "terminate").await.unwrap();
    let s = get_server(c, id).await;
    assert_eq!(s["state_detail"], "terminating");
    assert_eq!(s["volumes"]["0"]["state"], "deleting");
    assert_eq!(s["allowed_actions"], json!([]));
    let mut gone = None;
    for _ in 0..100 {
        match c.instance().get_server().zone(ZONE).server_id(id).send().await {
            Ok(_) => tokio::time::sleep(Duration::from_millis(25)).await,
            Err(e) => {
                gone = Some(Error::from(e));
                break;
            }
        }
    }
    match gone.expect("server never disappeared") {
        Error::NotFound {
            resource,
            resource_id,
            ..
        } => {
            assert_eq!(resource, "instance_server");
            assert_eq!(resource_id, id);
        }
        other => panic!("{other:?}"),
    }
    let err = Error::from(
        c.instance()
            .get_volume()
            .zone(ZONE)
            .volume_id(root)
            .send()
            .await
            .unwrap_err(),
    );
    assert!(
        matches!(err, Error::NotFound { ref resource, .. } if resource == "instance_volume"),
        "{err:?}"
    );
}

#[tokio::test]
async fn sbs_root_survives_delete_of_a_stopped_server() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let s = create_server(&c, "sbs-1", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap();
    assert_eq!(s["volumes"]["0"]["volume_type"], "sbs_volume");
    let vid = s["volumes"]["0"]["id"].as_str().unwrap().to_string();
    let v = get_block(&c, &vid).await;
    assert_eq!(v["name"], "Ubuntu 24.04 Noble Numbat_sbs_volume_0");
    assert_eq!(v["status"], "in_use");
    assert_eq!(v["type"], "sbs_5k");
    assert_eq!(v["references"][0]["product_resource_id"], id);
    assert_eq!(v["references"][0]["product_resource_type"], "instance_server");
    assert_eq!(v["references"][0]["status"], "attached");
    // An sbs id is not an Instance volume.
    let err = Error::from(
        c.instance()
            .get_volume()
            .zone(ZONE)
            .volume_id(&vid)
            .send()
            .await
            .unwrap_err(),
    );
    assert!(err.is_not_found());

    let r = c
        .instance()
        .delete_server()
        .zone(ZONE)
        .server_id(id)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let v = get_block(&c, &vid).await;
    assert_eq!(v["status"], "available");
    assert_eq!(v["references"], json!([]));
    assert!(v["last_detached_at"].is_string());
    assert_eq!(sim.inventory().volumes, vec![vid.clone()]);
    c.block()
        .delete_volume()
        .zone(ZONE)
        .volume_id(&vid)
        .send()
        .await
        .unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}

#[tokio::test]
async fn delete_of_a_running_server_is_refused() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let s = create_server(&c, "run", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap();
    action(&c, id, "poweron").await.unwrap();
    // With no delay, the server goes through `booting kernel` to its last state at once.
    assert_eq!(wait_state(&c, id, "running").await["state_detail"], "booted");
    let err = Error::from(
        c.instance()
            .delete_server()
            .zone(ZONE)
            .server_id(id)
            .send()
            .await
            .unwrap_err(),
    );
    assert_eq!(err.status(), Some(400));
    assert_eq!(get_server(&c, id).await["state"], "running");
}

async fn patch_volumes(
    c: &Client,
    id: &str,
    volumes: Value,
) -> Result<scaleway_client::api::ResponseValue<instance_v1::types::UpdateServerResponse>, Error> {
    c.instance()
        .update_server()
        .zone(ZONE)
        .server_id(id)
        .body(body::<instance_v1::types::UpdateServerBody>(
            json!({"volumes": volumes}),
        ))
        .send()
        .await
        .map_err(Error::from)
}

#[tokio::test]
async fn attach_detach_and_volumes_map() {
    // Longer than a screen on purpose: each step starts from the attachments the step before left
    // (attached, detached, re-attached by the whole map, held by a server), so the order is the
    // test.
    let sim = sim(0.0).await;
    let c = client(&sim);
    let s = create_server(&c, "vol", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap().to_string();
    let root = s["volumes"]["0"]["id"].as_str().unwrap().to_string();

    let v = create_block(&c, "data", 15000).await;
    assert_eq!(v["type"], "sbs_15k");
    assert_eq!(v["status"], "creating");
    let vid = v["id"].as_str().unwrap().to_string();
    assert_eq!(get_block(&c, &vid).await["status"], "available");

    let r = c
        .instance()
        .attach_server_volume()
        .zone(ZONE)
        .server_id(&id)
        .body(body::<instance_v1::types::AttachServerVolumeBody>(
            json!({"volume_id": vid, "volume_type": "sbs_volume"}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let server = js(&r.into_inner().server);
    assert_eq!(server["volumes"]["1"]["id"], vid.as_str());
    // With no delay the attachment settles by the next request.
    let v = get_block(&c, &vid).await;
    assert_eq!(v["status"], "in_use");
    assert_eq!(v["references"][0]["type"], "exclusive");
    assert_eq!(v["references"][0]["status"], "attached");

    // Deleting an attached volume is refused.
    let err = Error::from(
        c.block()
            .delete_volume()
            .zone(ZONE)
            .volume_id(&vid)
            .send()
            .await
            .unwrap_err(),
    );
    match err {
        Error::Precondition { precondition, .. } => assert_eq!(precondition, "resource_still_in_use"),
        other => panic!("{other:?}"),
    }

    let r = c
        .instance()
        .detach_server_volume()
        .zone(ZONE)
        .server_id(&id)
        .body(body::<instance_v1::types::DetachServerVolumeBody>(
            json!({"volume_id": vid}),
        ))
        .send()
        .await
        .unwrap();
    let server = js(&r.into_inner().server);
    assert!(server["volumes"].get("1").is_none());
    let v = get_block(&c, &vid).await;
    assert_eq!(
        (v["status"].as_str(), v["references"].clone()),
        (Some("available"), json!([]))
    );
    assert!(v["last_detached_at"].is_string());

    // PATCH with the whole map: adding attaches, leaving out detaches.
    let r = patch_volumes(
        &c,
        &id,
        json!({"0": {"id": root, "boot": false}, "1": {"id": vid, "volume_type": "sbs_volume"}}),
    )
    .await
    .unwrap();
    assert_eq!(js(&r.into_inner().server)["volumes"]["1"]["id"], vid.as_str());
    assert_eq!(get_block(&c, &vid).await["status"], "in_use");
    patch_volumes(&c, &id, json!({"1": {"id": vid}})).await.unwrap();
    assert_eq!(get_block(&c, &root).await["status"], "available");
    assert_eq!(get_block(&c, &vid).await["status"], "in_use");
    let s = get_server(&c, &id).await;
    assert_eq!(s["volumes"].as_object().map(|m| m.len()), Some(1));

    // Attaching a volume that another server holds is refused.
    let other = create_server(&c, "other", SBS_IMAGE, &[]).await;
    let err = c
        .instance()
        .attach_server_volume()
        .zone(ZONE)
        .server_id(other["id"].as_str().unwrap())
        .body(body::<instance_v1::types::AttachServerVolumeBody>(
            json!({"volume_id": vid, "volume_type": "sbs_volume"}),
        ))
        .send()
        .await
        .unwrap_err();
    assert_eq!(Error::from(err).status(), Some(412));
}

#[tokio::test]
async fn security_group_rules_are_normalised_and_replaced_as_a_set() {
    let sim = sim(0.0).await;
    let base = format!("/instance/v1/zones/{ZONE}/security_groups");
    let sg: Value = raw(&sim, "POST", &base, Some(json!({"name": "rules"})))
        .await
        .json()
        .await
        .unwrap();
    let sg_id = sg["security_group"]["id"].as_str().unwrap();
    let rules = format!("{base}/{sg_id}/rules");
    let r = raw(
        &sim,
        "POST",
        &rules,
        Some(
            json!({"protocol": "TCP", "direction": "inbound", "action": "accept", "ip_range": "8.8.8.8/32",
                    "dest_port_from": 22, "dest_port_to": 22, "position": 1}),
        ),
    )
    .await;
    assert_eq!(r.status(), 201);
    let rule: Value = r.json().await.unwrap();
    assert_eq!(rule["rule"]["ip_range"], "8.8.8.8");
    assert_eq!(rule["rule"]["dest_port_to"], Value::Null);
    assert_eq!(rule["rule"]["editable"], true);
    let list: Value = raw(&sim, "GET", &rules, None).await.json().await.unwrap();
    let list = list["rules"].as_array().unwrap();
    assert_eq!(list.len(), 7);
    assert_eq!(list[0]["id"], "11111111-2222-4333-8444-000000000001");
    assert_eq!(list[0]["editable"], false);

    let put = raw(
        &sim,
        "PUT",
        &rules,
        Some(json!({"rules": [
            {"id": null, "action": "accept", "protocol": "ICMP", "direction": "inbound", "ip_range": "0.0.0.0/0",
             "dest_port_from": 1, "dest_port_to": 2, "position": 0, "editable": null, "zone": ZONE},
            {"id": null, "action": "drop", "protocol": "UDP", "direction": "outbound", "ip_range": "10.0.0.0/8",
             "dest_port_from": 53, "dest_port_to": 54, "position": 0, "editable": null, "zone": ZONE}
        ]})),
    )
    .await;
    assert_eq!(put.status(), 200);
    let put: Value = put.json().await.unwrap();
    let user: Vec<&Value> = put["rules"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["editable"] == true)
        .collect();
    assert_eq!(user.len(), 2);
    assert_eq!(user[0]["dest_port_from"], Value::Null);
    assert_eq!(user[1]["dest_port_to"], 54);
    assert_ne!(user[0]["id"], rule["rule"]["id"]);
    assert_eq!(put["rules"].as_array().unwrap().len(), 8);
}

/// CreateServer as the SDK helpers send it: an image and an existing Block volume as the root.
async fn create_server_on(c: &Client, name: &str, root: &str) -> Result<Value, Error> {
    c.instance()
        .create_server()
        .zone(ZONE)
        .body(body::<instance_v1::types::CreateServerBody>(json!({
            "name": name, "commercial_type": "DEV1-S", "image": SBS_IMAGE,
            "volumes": {"0": {"id": root, "volume_type": "sbs_volume"}},
        })))
        .send()
        .await
        .map(|r| js(&r.into_inner().server))
        .map_err(Error::from)
}

#[tokio::test]
async fn a_given_root_volume_is_used_even_with_an_image() {
    // Real timings: the volume is still `creating` (2 s) when the server names it as its root.
    let sim = sim(1.0).await;
    let c = client(&sim);
    let vid = create_block(&c, "root", 5000).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let s = create_server_on(&c, "given-root", &vid).await.unwrap();
    let id = s["id"].as_str().unwrap().to_string();
    assert_eq!(s["volumes"]["0"]["id"], vid.as_str(), "{s}");
    assert_eq!(s["volumes"]["0"]["volume_type"], "sbs_volume");
    assert_eq!(s["image"]["id"], SBS_IMAGE);
    // No root was made from the image.
    assert_eq!(sim.inventory().volumes, vec![vid.clone()]);
    let v = wait_block(&c, &vid, "in_use", |v| v["status"] == "in_use").await;
    assert_eq!(v["references"][0]["product_resource_id"], id.as_str());
    assert_eq!(v["references"][0]["status"], "attached");
    assert_eq!(get_server(&c, &id).await["volumes"]["0"]["id"], vid.as_str());

    // The root must be free and in the server's zone.
    let err = create_server_on(&c, "taken-root", &vid).await.unwrap_err();
    assert_eq!(err.status(), Some(412), "{err:?}");
    let elsewhere = c
        .block()
        .create_volume()
        .zone("fr-par-2")
        .body(body::<block_v1::types::CreateVolumeBody>(
            json!({"name": "far", "from_empty": {"size": 20_000_000_000u64}}),
        ))
        .send()
        .await
        .unwrap()
        .into_inner();
    let err = create_server_on(&c, "far-root", elsewhere.id.as_deref().unwrap())
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    assert_eq!(sim.inventory().servers, vec![id]);
}

#[tokio::test]
async fn the_organization_id_defaults_to_the_project_id() {
    let sim = sim(0.0).await;
    assert_eq!(sim.organization_id(), sim.project_id());
    let path = format!("/instance/v1/zones/{ZONE}/ips");
    for key in ["project", "organization"] {
        let r = raw(&sim, "POST", &path, Some(json!({key: sim.organization_id()}))).await;
        assert_eq!(r.status(), 201, "{key}");
        let ip: Value = r.json().await.unwrap();
        assert_eq!(ip["ip"]["project"], sim.project_id());
        assert_eq!(ip["ip"]["organization"], sim.organization_id());
    }

    // With an organization of its own, the legacy field still names it.
    let organization = "6f3b1e0c-0d3a-4b8e-9c55-0f0e6a3c2b11";
    let sim = crate::common::simulator_with(SimulatorOptions {
        time_scale: 0.0,
        organization_id: Some(organization.into()),
        ..Default::default()
    })
    .await;
    let r = raw(&sim, "POST", &path, Some(json!({"organization": organization}))).await;
    assert_eq!(r.status(), 201);
    let ip: Value = r.json().await.unwrap();
    assert_eq!(ip["ip"]["project"], sim.project_id());
    let r = raw(&sim, "POST", &path, Some(json!({"project": organization}))).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_default_security_group_can_be_deleted_once_unused() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let sgs = format!("/instance/v1/zones/{ZONE}/security_groups");
    let listed: Value = raw(&sim, "GET", &format!("{sgs}?project_default=true"), None)
        .await
        .json()
        .await
        .unwrap();
    let default = listed["security_groups"][0].clone();
    assert_eq!(default["project_default"], true);
    assert_eq!(default["organization_default"], true);
    let default_id = default["id"].as_str().unwrap().to_string();
    let user: Value = raw(&sim, "POST", &sgs, Some(json!({"name": "user"})))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(user["security_group"]["organization_default"], false);

    let s = create_server(&c, "holder", SBS_IMAGE, &[]).await;
    assert_eq!(s["security_group"]["id"], default_id.as_str());
    let group = format!("{sgs}/{default_id}");
    let r = raw(&sim, "DELETE", &group, None).await;
    assert_eq!(r.status(), 400);
    c.instance()
        .delete_server()
        .zone(ZONE)
        .server_id(s["id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    let r = raw(&sim, "DELETE", &group, None).await;
    assert_eq!(r.status(), 204);
    assert_eq!(raw(&sim, "GET", &group, None).await.status(), 404);
}

#[tokio::test]
async fn pagination_headers_and_filters_of_products() {
    // A little over a screen: both pages and the availability listing are compared with each other.
    let sim = sim(0.0).await;
    let c = client(&sim);
    // Products: a map, 50 per page in alphabetical order.
    let p1 = c
        .instance()
        .list_servers_types()
        .zone(ZONE)
        .page(1)
        .send()
        .await
        .unwrap();
    let total: usize = p1.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
    assert!(total > 50);
    assert_eq!(p1.servers.len(), 50);
    let link = p1.headers()["link"].to_str().unwrap().to_string();
    assert!(
        link.contains("</products/servers?page=2&per_page=50&>; rel=\"next\""),
        "{link}"
    );
    let p2 = c
        .instance()
        .list_servers_types()
        .zone(ZONE)
        .page(2)
        .send()
        .await
        .unwrap();
    assert_eq!(p2.servers.len(), total - 50);
    let names: Vec<&String> = p1.servers.keys().chain(p2.servers.keys()).collect();
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "not alphabetical across pages"
    );
    for t in [
        "COPARM1-2C-8G",
        "DEV1-S",
        "DEV1-M",
        "DEV1-L",
        "DEV1-XL",
        "GP1-XS",
        "GP1-S",
        "GP1-M",
        "PLAY2-NANO",
        "PRO2-XXS",
        "PRO2-XS",
    ] {
        assert!(names.iter().any(|n| *n == t), "{t} missing");
    }
    assert!(
        p2.headers()["link"]
            .to_str()
            .unwrap()
            .contains("rel=\"previous\"")
    );
    let avail = c
        .instance()
        .get_server_types_availability()
        .zone(ZONE)
        .send()
        .await
        .unwrap();
    assert_eq!(avail.servers.len(), 50);
}

#[tokio::test]
async fn pagination_headers_and_filters_of_servers() {
    // A little over a screen: every listing below runs over the same three servers.
    let sim = sim(0.0).await;
    let c = client(&sim);
    for (name, tags) in [
        ("web-a", vec!["web", "prod"]),
        ("web-b", vec!["web"]),
        ("db-a", vec!["prod"]),
    ] {
        create_server(&c, name, SBS_IMAGE, &tags).await;
    }
    let page = c
        .instance()
        .list_servers()
        .zone(ZONE)
        .per_page(2u32)
        .send()
        .await
        .unwrap();
    assert_eq!(page.headers()["x-total-count"], "3");
    assert_eq!(page.servers.len(), 2);
    let link = page.headers()["link"].to_str().unwrap();
    assert!(
        link.contains("</servers?page=2&per_page=2&>; rel=\"next\""),
        "{link}"
    );
    let err = c
        .instance()
        .list_servers()
        .zone(ZONE)
        .per_page(101u32)
        .send()
        .await
        .unwrap_err();
    assert_eq!(Error::from(err).status(), Some(400));

    let by_name = c
        .instance()
        .list_servers()
        .zone(ZONE)
        .name("web")
        .send()
        .await
        .unwrap();
    assert_eq!(by_name.servers.len(), 2);
    let by_tags = c
        .instance()
        .list_servers()
        .zone(ZONE)
        .tags("web,prod")
        .send()
        .await
        .unwrap();
    assert_eq!(by_tags.servers.len(), 1);
    assert_eq!(by_tags.servers[0].name.as_deref(), Some("web-a"));
    let empty = c
        .instance()
        .list_servers()
        .zone(ZONE)
        .name("nothing")
        .send()
        .await
        .unwrap();
    assert_eq!(empty.headers()["x-total-count"], "0");
    assert!(empty.headers()["link"].to_str().unwrap().contains("page=0"));
}

#[tokio::test]
async fn marketplace_account_and_images_of_a_create_missing_keys() {
    let sim = sim(0.0).await;
    // Missing keys: invalid_arguments with one detail per key.
    let r = raw(
        &sim,
        "POST",
        &format!("/instance/v1/zones/{ZONE}/servers"),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["type"], "invalid_arguments");
    assert_eq!(b["details"].as_array().unwrap().len(), 3);
}

#[tokio::test]
async fn private_network_in_use_and_security_group_in_use_of_the_group() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let s = create_server(&c, "pn", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap();
    // Security group used by a server.
    let sg = raw(
        &sim,
        "POST",
        &format!("/instance/v1/zones/{ZONE}/security_groups"),
        Some(json!({"name": "web", "inbound_default_policy": "drop", "outbound_default_policy": "accept", "stateful": true})),
    )
    .await;
    assert_eq!(sg.status(), 201);
    let sg: Value = sg.json().await.unwrap();
    let sg_id = sg["security_group"]["id"].as_str().unwrap();
    assert_eq!(sim.inventory().security_groups, vec![sg_id.to_string()]);
    c.instance()
        .update_server()
        .zone(ZONE)
        .server_id(id)
        .body(body::<instance_v1::types::UpdateServerBody>(
            json!({"security_group": {"id": sg_id}}),
        ))
        .send()
        .await
        .unwrap();
    let r = raw(
        &sim,
        "DELETE",
        &format!("/instance/v1/zones/{ZONE}/security_groups/{sg_id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["type"], "invalid_request_error");
}

/// The status and JSON body of a raw request.
async fn answer(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = raw(sim, method, path, body).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn terminate_takes_the_nics_and_leaves_block_volumes_free_once_the_server_is_gone() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let pn = create_pn(&c, "pn-terminate").await;
    let pn_id = pn["id"].as_str().unwrap();
    let s = create_server(&c, "terminated", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap();
    let root = s["volumes"]["0"]["id"].as_str().unwrap().to_string();
    let nic = create_nic(&c, id, pn_id).await;
    let nic_id = nic["id"].as_str().unwrap();
    let data = create_block(&c, "data", 5000).await;
    let data_id = data["id"].as_str().unwrap().to_string();
    get_block(&c, &data_id).await;
    let server_path = format!("/instance/v1/zones/{ZONE}/servers/{id}");
    let (status, _) = answer(
        &sim,
        "POST",
        &format!("{server_path}/attach-volume"),
        Some(json!({"volume_id": data_id, "volume_type": "sbs_volume"})),
    )
    .await;
    assert_eq!(status, 200);
    action(&c, id, "poweron").await.unwrap();
    wait_state(&c, id, "running").await;

    action(&c, id, "terminate").await.unwrap();
    let (status, _) = answer(&sim, "GET", &server_path, None).await;
    assert_eq!(status, 404, "gone at the next read at time scale 0");

    // The NIC went with its server: a sub-resource of a server that is no more.
    let (status, body) = answer(&sim, "GET", &format!("{server_path}/private_nics/{nic_id}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(body["resource"], "instance_server");
    // Both Block volumes survive, free, the moment the server is gone.
    for volume in [&root, &data_id] {
        let v = get_block(&c, volume).await;
        assert_eq!(v["status"], "available", "{v}");
        assert_eq!(v["references"], json!([]), "{v}");
    }
    // Nothing holds the network any more: no NIC, no booked address.
    let (status, body) = answer(
        &sim,
        "DELETE",
        &format!("/vpc/v2/regions/fr-par/private-networks/{pn_id}"),
        None,
    )
    .await;
    assert_eq!(status, 204, "{body}");
}

#[tokio::test]
async fn what_a_server_uses_is_refused_its_delete_and_a_second_attach() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let s = create_server(&c, "holder", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap();
    let other = create_server(&c, "other", SBS_IMAGE, &[]).await;
    let other_id = other["id"].as_str().unwrap();
    let data = create_block(&c, "data", 5000).await;
    let data_id = data["id"].as_str().unwrap().to_string();
    get_block(&c, &data_id).await;
    let attach = |server: &str| {
        (
            format!("/instance/v1/zones/{ZONE}/servers/{server}/attach-volume"),
            json!({"volume_id": data_id, "volume_type": "sbs_volume"}),
        )
    };
    let (path, body) = attach(id);
    assert_eq!(answer(&sim, "POST", &path, Some(body.clone())).await.0, 200);

    // Attached already, here or to another server: refused.
    for server in [id, other_id] {
        let (path, body) = attach(server);
        let (status, refusal) = answer(&sim, "POST", &path, Some(body)).await;
        assert_eq!(status, 412, "{refusal}");
        assert_eq!(refusal["type"], "precondition_failed");
        assert_eq!(refusal["precondition"], "resource_not_usable");
    }
    // An attached volume is not deleted.
    let (status, refusal) = answer(
        &sim,
        "DELETE",
        &format!("/block/v1/zones/{ZONE}/volumes/{data_id}"),
        None,
    )
    .await;
    assert_eq!(status, 412, "{refusal}");
    assert_eq!(refusal["precondition"], "resource_still_in_use");
    // Nor a security group a server uses.
    let group = s["security_group"]["id"].as_str().unwrap();
    let (status, refusal) = answer(
        &sim,
        "DELETE",
        &format!("/instance/v1/zones/{ZONE}/security_groups/{group}"),
        None,
    )
    .await;
    assert_eq!(status, 400, "{refusal}");
    assert_eq!(refusal["type"], "invalid_request_error");
}
