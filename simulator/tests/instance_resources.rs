//! Instance: the list filters of servers, IPs, security groups and volumes; PUT replacing a
//! server, a security group and a rule; file systems; compatible types, volume types and the
//! dashboard; the local storage of each commercial type; a NIC update's answer.

use scaleway_sim::Simulator;
use serde_json::{Value, json};

use super::requests::*;

const Z: &str = "/instance/v1/zones/fr-par-1";

/// A request with a JSON body; the status and the answer's JSON (`null` when there is none).
async fn call(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = raw(sim, method, &format!("{Z}{path}"), body).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

async fn new_server(sim: &Simulator, body: Value) -> Value {
    let (status, answer) = call(sim, "POST", "/servers", Some(body)).await;
    assert_eq!(status, 201, "{answer}");
    answer["server"].clone()
}

/// The names of the servers a listing with `query` answers.
async fn listed(sim: &Simulator, query: &str) -> Vec<String> {
    let (status, answer) = call(sim, "GET", &format!("/servers?{query}"), None).await;
    assert_eq!(status, 200, "{query}: {answer}");
    let mut names: Vec<String> = answer["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    names
}

fn no_query_parameter_ignored(sim: &Simulator) {
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );
}

#[tokio::test]
async fn every_server_filter_filters() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let web = new_server(
        &sim,
        json!({"name": "web", "commercial_type": "DEV1-S", "image": SBS_IMAGE, "tags": ["front"]}),
    )
    .await;
    let db = new_server(
        &sim,
        json!({"name": "db", "commercial_type": "DEV1-M", "image": SBS_IMAGE}),
    )
    .await;
    new_server(
        &sim,
        json!({"name": "batch", "commercial_type": "DEV1-S", "image": SBS_IMAGE}),
    )
    .await;
    let (web_id, db_id) = (web["id"].as_str().unwrap(), db["id"].as_str().unwrap());

    // A flexible IP on `web`.
    let (_, ip) = call(&sim, "POST", "/ips", Some(json!({"server": web_id}))).await;
    let address = ip["ip"]["address"].as_str().unwrap().to_string();
    // A NIC on `db`.
    let pn = create_pn(&c, "filters").await;
    let pn_id = pn["id"].as_str().unwrap();
    let nic = create_nic(&c, db_id, pn_id).await;
    let mac = nic["mac_address"].as_str().unwrap().to_uppercase();
    let nic_v4 = sim.inventory().private_nics[0].private_ipv4.clone();

    assert_eq!(listed(&sim, &format!("with_ip={address}")).await, ["web"]);
    assert_eq!(listed(&sim, "without_ip=true").await, ["batch", "db"]);
    assert_eq!(listed(&sim, &format!("private_network={pn_id}")).await, ["db"]);
    let other = uuid_like(7);
    assert_eq!(
        listed(&sim, &format!("private_networks={other},{pn_id}")).await,
        ["db"]
    );
    assert!(
        listed(&sim, &format!("private_networks={other}"))
            .await
            .is_empty()
    );
    assert_eq!(
        listed(&sim, &format!("private_nic_mac_address={mac}")).await,
        ["db"]
    );
    assert_eq!(listed(&sim, &format!("private_ip={nic_v4}")).await, ["db"]);
    assert_eq!(listed(&sim, "commercial_type=DEV1-M").await, ["db"]);
    assert_eq!(listed(&sim, "state=stopped").await, ["batch", "db", "web"]);
    assert!(listed(&sim, "state=running").await.is_empty());
    assert_eq!(listed(&sim, "tags=front").await, ["web"]);
    assert_eq!(listed(&sim, "name=ba").await, ["batch"]);
    assert_eq!(
        listed(&sim, &format!("servers={web_id},{db_id}")).await,
        ["db", "web"]
    );
    assert_eq!(
        listed(&sim, &format!("project={}", sim.project_id())).await.len(),
        3
    );
    assert!(
        listed(&sim, &format!("organization={}", uuid_like(1)))
            .await
            .is_empty()
    );

    // Orders: creation dates both ways, and modification dates (web is modified last).
    let (_, asc) = call(&sim, "GET", "/servers?order=creation_date_asc", None).await;
    assert_eq!(asc["servers"][0]["name"], "web");
    let (_, desc) = call(&sim, "GET", "/servers?order=creation_date_desc", None).await;
    assert_eq!(desc["servers"][0]["name"], "batch");
    let (status, _) = call(
        &sim,
        "PATCH",
        &format!("/servers/{web_id}"),
        Some(json!({"name": "web"})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, modified) = call(&sim, "GET", "/servers?order=modification_date_desc", None).await;
    assert_eq!(modified["servers"][0]["name"], "web");
    let (_, modified) = call(&sim, "GET", "/servers?order=modification_date_asc", None).await;
    assert_eq!(modified["servers"][2]["name"], "web");
    no_query_parameter_ignored(&sim);
}

/// A UUID-shaped id no resource has.
fn uuid_like(n: u8) -> String {
    format!("00000000-0000-4000-8000-0000000000{n:02}")
}

#[tokio::test]
async fn ip_security_group_volume_and_rule_listings_read_their_filters() {
    let sim = sim(0.0).await;
    let org = sim.organization_id().to_string();
    call(&sim, "POST", "/ips", Some(json!({"tags": ["a"]}))).await;
    call(
        &sim,
        "POST",
        "/volumes",
        Some(json!({"name": "data", "size": 10_000_000_000u64})),
    )
    .await;
    let (_, g) = call(&sim, "POST", "/security_groups", Some(json!({"name": "g"}))).await;
    let gid = g["security_group"]["id"].as_str().unwrap();
    for port in [22, 80, 443] {
        let rule = json!({"protocol": "TCP", "direction": "inbound", "action": "accept",
                          "ip_range": "0.0.0.0/0", "dest_port_from": port});
        call(&sim, "POST", &format!("/security_groups/{gid}/rules"), Some(rule)).await;
    }

    for (path, key) in [
        ("/ips", "ips"),
        ("/volumes", "volumes"),
        ("/security_groups", "security_groups"),
    ] {
        let (_, mine) = call(&sim, "GET", &format!("{path}?organization={org}"), None).await;
        assert!(!mine[key].as_array().unwrap().is_empty(), "{path}");
        let (_, other) = call(
            &sim,
            "GET",
            &format!("{path}?organization={}", uuid_like(2)),
            None,
        )
        .await;
        assert!(other[key].as_array().unwrap().is_empty(), "{path}");
    }
    let (_, l_ssd) = call(&sim, "GET", "/volumes?volume_type=l_ssd", None).await;
    assert_eq!(l_ssd["volumes"].as_array().unwrap().len(), 1);
    let (_, block) = call(&sim, "GET", "/volumes?volume_type=sbs_volume", None).await;
    assert!(block["volumes"].as_array().unwrap().is_empty());

    // Rules page: 6 default rules then 3 own ones.
    let r = raw(
        &sim,
        "GET",
        &format!("{Z}/security_groups/{gid}/rules?per_page=4&page=3"),
        None,
    )
    .await;
    assert_eq!(r.headers()["x-total-count"], "9");
    let page: Value = r.json().await.unwrap();
    assert_eq!(page["rules"].as_array().unwrap().len(), 1);
    assert_eq!(page["rules"][0]["dest_port_from"], 443);
    no_query_parameter_ignored(&sim);
}

#[tokio::test]
async fn put_replaces_a_server() {
    let sim = sim(0.0).await;
    let srv = new_server(
        &sim,
        json!({"name": "before", "commercial_type": "DEV1-S", "image": SBS_IMAGE,
               "tags": ["old"], "protected": true}),
    )
    .await;
    let id = srv["id"].as_str().unwrap();
    let (_, ip) = call(&sim, "POST", "/ips", Some(json!({}))).await;
    let ip_id = ip["ip"]["id"].as_str().unwrap();

    // The server as read, changed, sent back whole.
    let mut whole = srv.clone();
    whole["name"] = json!("after");
    whole["tags"] = json!(["new"]);
    whole["commercial_type"] = json!("DEV1-M");
    whole["public_ips"] = json!([{"id": ip_id}]);
    let (status, answer) = call(&sim, "PUT", &format!("/servers/{id}"), Some(whole)).await;
    assert_eq!(status, 200, "{answer}");
    let (_, got) = call(&sim, "GET", &format!("/servers/{id}"), None).await;
    let got = &got["server"];
    assert_eq!(got["name"], "after");
    assert_eq!(got["tags"], json!(["new"]));
    assert_eq!(got["commercial_type"], "DEV1-M");
    assert_eq!(got["protected"], true);
    assert_eq!(got["public_ips"][0]["id"], ip_id);
    assert_eq!(got["volumes"]["0"]["id"], srv["volumes"]["0"]["id"]);

    // What the body leaves out goes back to a new server's value.
    let (status, answer) = call(
        &sim,
        "PUT",
        &format!("/servers/{id}"),
        Some(json!({"name": "bare", "commercial_type": "DEV1-M"})),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let got = &answer["server"];
    assert_eq!(got["tags"], json!([]));
    assert_eq!(got["protected"], false);
    assert_eq!(got["public_ips"], json!([]));
    assert_eq!(got["security_group"]["name"], "Default security group");
    let (_, ip) = call(&sim, "GET", &format!("/ips/{ip_id}"), None).await;
    assert_eq!(ip["ip"]["server"], Value::Null);

    let (status, answer) = call(&sim, "PUT", &format!("/servers/{id}"), Some(json!({"tags": []}))).await;
    assert_eq!(status, 400);
    assert_eq!(answer["type"], "invalid_arguments");
}

#[tokio::test]
async fn put_replaces_a_security_group_and_a_rule() {
    let sim = sim(0.0).await;
    let (_, g) = call(
        &sim,
        "POST",
        "/security_groups",
        Some(
            json!({"name": "g", "description": "first", "tags": ["t"], "inbound_default_policy": "drop",
                    "stateful": false}),
        ),
    )
    .await;
    let gid = g["security_group"]["id"].as_str().unwrap();
    let (status, set) = call(
        &sim,
        "PUT",
        &format!("/security_groups/{gid}"),
        Some(json!({"name": "renamed", "outbound_default_policy": "drop"})),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    let (_, got) = call(&sim, "GET", &format!("/security_groups/{gid}"), None).await;
    let got = &got["security_group"];
    assert_eq!(got["name"], "renamed");
    assert_eq!(got["description"], Value::Null);
    assert_eq!(got["tags"], json!([]));
    assert_eq!(got["inbound_default_policy"], "accept");
    assert_eq!(got["outbound_default_policy"], "drop");
    assert_eq!(got["stateful"], true);
    let (status, bad) = call(
        &sim,
        "PUT",
        &format!("/security_groups/{gid}"),
        Some(json!({"name": "x", "inbound_default_policy": "maybe"})),
    )
    .await;
    assert_eq!((status, bad["type"].as_str()), (400, Some("invalid_arguments")));

    let rule = json!({"protocol": "TCP", "direction": "inbound", "action": "accept",
                      "ip_range": "10.0.0.0/8", "dest_port_from": 22, "dest_port_to": 23});
    let (_, r) = call(&sim, "POST", &format!("/security_groups/{gid}/rules"), Some(rule)).await;
    let rid = r["rule"]["id"].as_str().unwrap();
    let (status, set) = call(
        &sim,
        "PUT",
        &format!("/security_groups/{gid}/rules/{rid}"),
        Some(json!({"id": rid, "protocol": "UDP", "ip_range": "192.168.1.1/32", "action": "drop"})),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    let (_, got) = call(&sim, "GET", &format!("/security_groups/{gid}/rules/{rid}"), None).await;
    let got = &got["rule"];
    assert_eq!(got["protocol"], "UDP");
    assert_eq!(got["ip_range"], "192.168.1.1");
    assert_eq!(got["action"], "drop");
    assert_eq!(got["dest_port_from"], Value::Null);
    assert_eq!(got["dest_port_to"], Value::Null);
    let missing = uuid_like(3);
    let (status, answer) = call(
        &sim,
        "PUT",
        &format!("/security_groups/{gid}/rules/{missing}"),
        Some(json!({"id": missing, "ip_range": "0.0.0.0/0"})),
    )
    .await;
    assert_eq!(
        (status, answer["resource"].as_str()),
        (404, Some("instance_security_group_rule"))
    );
}

#[tokio::test]
async fn file_systems_attach_and_detach() {
    let sim = sim(0.0).await;
    let srv = new_server(
        &sim,
        json!({"name": "fs", "commercial_type": "POP2-2C-8G", "image": SBS_IMAGE}),
    )
    .await;
    let id = srv["id"].as_str().unwrap();
    assert_eq!(srv["filesystems"], json!([]));
    let (fs1, fs2) = (uuid_like(10), uuid_like(11));
    let (status, attached) = call(
        &sim,
        "POST",
        &format!("/servers/{id}/attach-filesystem"),
        Some(json!({"filesystem_id": fs1})),
    )
    .await;
    assert_eq!(status, 200, "{attached}");
    assert_eq!(
        attached["server"]["filesystems"],
        json!([{"filesystem_id": fs1, "state": "available"}])
    );
    let (_, got) = call(&sim, "GET", &format!("/servers/{id}"), None).await;
    assert_eq!(got["server"]["filesystems"][0]["filesystem_id"], fs1.as_str());

    // POP2-2C-8G takes one file system (recorded `max_file_systems`); the same one twice is refused.
    for fs in [&fs1, &fs2] {
        let (status, refused) = call(
            &sim,
            "POST",
            &format!("/servers/{id}/attach-filesystem"),
            Some(json!({"filesystem_id": fs})),
        )
        .await;
        assert_eq!(
            (status, refused["type"].as_str()),
            (412, Some("precondition_failed"))
        );
    }
    let (status, detached) = call(
        &sim,
        "POST",
        &format!("/servers/{id}/detach-filesystem"),
        Some(json!({"filesystem_id": fs1})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(detached["server"]["filesystems"], json!([]));
    let (status, _) = call(
        &sim,
        "POST",
        &format!("/servers/{id}/detach-filesystem"),
        Some(json!({"filesystem_id": fs1})),
    )
    .await;
    assert_eq!(status, 412);

    // A type without file systems refuses them.
    let dev = new_server(
        &sim,
        json!({"name": "dev", "commercial_type": "DEV1-S", "image": SBS_IMAGE}),
    )
    .await;
    let (status, _) = call(
        &sim,
        "POST",
        &format!("/servers/{}/attach-filesystem", dev["id"].as_str().unwrap()),
        Some(json!({"filesystem_id": fs2})),
    )
    .await;
    assert_eq!(status, 412);
}

#[tokio::test]
async fn compatible_types_volume_types_and_dashboard() {
    let sim = sim(0.0).await;
    // A DEV1-M with its 40 GB local root fits DEV1-L (80 GB) but not DEV1-S (20 GB) nor a type
    // without local storage.
    let local = new_server(
        &sim,
        json!({"name": "l", "commercial_type": "DEV1-M", "image": LOCAL_IMAGE}),
    )
    .await;
    let (status, types) = call(
        &sim,
        "GET",
        &format!("/servers/{}/compatible-types", local["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(status, 200);
    let types: Vec<&str> = types["compatible_types"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"DEV1-L") && types.contains(&"GP1-XS"),
        "{types:?}"
    );
    for absent in ["DEV1-S", "DEV1-M", "PRO2-XXS", "COPARM1-2C-8G", "STARDUST1-S"] {
        assert!(!types.contains(&absent), "{absent} in {types:?}");
    }
    // A Block-only x86 server can go to any x86 type that is not Windows.
    let block = new_server(
        &sim,
        json!({"name": "b", "commercial_type": "PRO2-XXS", "image": SBS_IMAGE}),
    )
    .await;
    let (_, types) = call(
        &sim,
        "GET",
        &format!("/servers/{}/compatible-types", block["id"].as_str().unwrap()),
        None,
    )
    .await;
    let types = types["compatible_types"].as_array().unwrap();
    assert!(types.contains(&json!("DEV1-S")) && types.contains(&json!("POP2-2C-8G")));
    assert!(!types.contains(&json!("POP2-2C-8G-WIN")) && !types.contains(&json!("COPARM1-2C-8G")));

    let (status, volumes) = call(&sim, "GET", "/products/volumes", None).await;
    assert_eq!(status, 200);
    assert_eq!(
        volumes["volumes"]["l_ssd"]["constraints"]["max"],
        800_000_000_000u64
    );
    assert_eq!(volumes["total_count"], 3);

    let (status, dashboard) = call(&sim, "GET", "/dashboard", None).await;
    assert_eq!(status, 200);
    let d = &dashboard["dashboard"];
    assert_eq!(d["servers_count"], 2);
    assert_eq!(d["servers_by_types"], json!({"DEV1-M": 1, "PRO2-XXS": 1}));
    assert_eq!(d["volumes_l_ssd_count"], 1);
    assert_eq!(d["volumes_l_ssd_total_size"], 40_000_000_000u64);
    assert_eq!(d["volumes_count"], 2);
    let (_, other) = call(&sim, "GET", &format!("/dashboard?project={}", uuid_like(4)), None).await;
    assert_eq!(other["dashboard"]["servers_count"], 0);
    no_query_parameter_ignored(&sim);
}

#[tokio::test]
async fn local_storage_follows_each_commercial_type() {
    let sim = sim(0.0).await;
    let (_, types) = call(&sim, "GET", "/products/servers?per_page=100", None).await;
    let types = types["servers"].as_object().unwrap().clone();
    // Recorded budgets.
    for (name, gb) in [
        ("DEV1-S", 20u64),
        ("DEV1-M", 40),
        ("DEV1-L", 80),
        ("DEV1-XL", 120),
        ("GP1-XS", 150),
        ("GP1-S", 300),
        ("GP1-M", 600),
        ("START1-S", 50),
        ("STARDUST1-S", 10),
    ] {
        let t = &types[name];
        assert_eq!(t["volumes_constraint"]["max_size"], gb * 1_000_000_000, "{name}");
        assert_eq!(
            t["per_volume_constraint"]["l_ssd"]["max_size"], 800_000_000_000u64,
            "{name}"
        );
    }
    assert_eq!(types["PRO2-XXS"]["volumes_constraint"]["max_size"], 0);
    assert_eq!(types["POP2-16C-64G"]["capabilities"]["max_file_systems"], 4);

    // A local root made without volumes takes the whole budget, for every local type.
    for (name, t) in &types {
        let budget = t["volumes_constraint"]["max_size"].as_u64().unwrap();
        if budget == 0 || t["arch"] != "x86_64" {
            continue;
        }
        let srv = new_server(
            &sim,
            json!({"name": name, "commercial_type": name, "image": LOCAL_IMAGE}),
        )
        .await;
        assert_eq!(srv["volumes"]["0"]["volume_type"], "l_ssd", "{name}");
        assert_eq!(srv["volumes"]["0"]["size"], budget, "{name}");
    }

    // Over the budget: the API's 400.
    let (status, refused) = call(
        &sim,
        "POST",
        "/servers",
        Some(
            json!({"name": "big", "commercial_type": "DEV1-S", "image": LOCAL_IMAGE,
                    "volumes": {"0": {"size": 30_000_000_000u64, "volume_type": "l_ssd"}}}),
        ),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(refused["type"], "invalid_request_error");
    assert!(refused["message"].as_str().unwrap().contains("20GB"), "{refused}");
    // The root and an extra volume together over it too; within it, a smaller root is fine.
    let (status, _) = call(
        &sim,
        "POST",
        "/servers",
        Some(
            json!({"name": "two", "commercial_type": "DEV1-S", "image": LOCAL_IMAGE,
                    "volumes": {"0": {"size": 15_000_000_000u64, "volume_type": "l_ssd"},
                                "1": {"size": 10_000_000_000u64, "volume_type": "l_ssd"}}}),
        ),
    )
    .await;
    assert_eq!(status, 400);
    let small = new_server(
        &sim,
        json!({"name": "small", "commercial_type": "DEV1-S", "image": LOCAL_IMAGE,
               "volumes": {"0": {"size": 15_000_000_000u64, "volume_type": "l_ssd"}}}),
    )
    .await;
    assert_eq!(small["volumes"]["0"]["size"], 15_000_000_000u64);
    // A root given no size next to an extra l_ssd volume gets what the budget leaves.
    let shared = new_server(
        &sim,
        json!({"name": "shared", "commercial_type": "DEV1-M", "image": LOCAL_IMAGE,
               "volumes": {"1": {"size": 10_000_000_000u64, "volume_type": "l_ssd"}}}),
    )
    .await;
    assert_eq!(shared["volumes"]["0"]["size"], 30_000_000_000u64);
}

#[tokio::test]
async fn a_nic_update_answers_the_bare_nic() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let srv = create_server(&c, "nic", SBS_IMAGE, &[]).await;
    let id = srv["id"].as_str().unwrap();
    let pn = create_pn(&c, "nic-update").await;
    let nic = create_nic(&c, id, pn["id"].as_str().unwrap()).await;
    let nic_id = nic["id"].as_str().unwrap();
    let (status, answer) = call(
        &sim,
        "PATCH",
        &format!("/servers/{id}/private_nics/{nic_id}"),
        Some(json!({"tags": ["x"]})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(answer["id"], nic_id);
    assert_eq!(answer["tags"], json!(["x"]));
    assert!(answer.get("private_nic").is_none(), "{answer}");
    // The typed client reads it too.
    let typed = c
        .instance()
        .update_private_nic()
        .zone(ZONE)
        .server_id(id)
        .private_nic_id(nic_id)
        .body(body::<
            scaleway_client::api::instance_v1::types::UpdatePrivateNicBody,
        >(json!({"tags": ["y"]})))
        .send()
        .await
        .unwrap();
    assert_eq!(typed.id.as_deref(), Some(nic_id));
    assert_eq!(typed.tags, vec!["y".to_string()]);
}

#[tokio::test]
async fn an_ip_released_to_ipam_leaves_the_instance_api() {
    let sim = sim(0.0).await;
    let srv = new_server(
        &sim,
        json!({"name": "r", "commercial_type": "DEV1-S", "image": SBS_IMAGE}),
    )
    .await;
    let (_, ip) = call(&sim, "POST", "/ips", Some(json!({"server": srv["id"]}))).await;
    let ip_id = ip["ip"]["id"].as_str().unwrap();
    let (status, refused) = call(
        &sim,
        "POST",
        &format!("/ips/{ip_id}/release-to-ipam"),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, refused["type"].as_str()),
        (412, Some("precondition_failed"))
    );
    call(
        &sim,
        "PATCH",
        &format!("/ips/{ip_id}"),
        Some(json!({"server": null})),
    )
    .await;
    let (status, _) = call(
        &sim,
        "POST",
        &format!("/ips/{ip_id}/release-to-ipam"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 204);
    let (status, gone) = call(&sim, "GET", &format!("/ips/{ip_id}"), None).await;
    assert_eq!((status, gone["resource"].as_str()), (404, Some("instance_ip")));
    let (_, left) = call(&sim, "GET", "/ips", None).await;
    assert!(left["ips"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn a_new_commercial_type_must_hold_the_local_volumes() {
    let sim = sim(0.0).await;
    let srv = new_server(
        &sim,
        json!({"name": "m", "commercial_type": "DEV1-M", "image": LOCAL_IMAGE}),
    )
    .await;
    let id = srv["id"].as_str().unwrap();
    let (status, refused) = call(
        &sim,
        "PATCH",
        &format!("/servers/{id}"),
        Some(json!({"commercial_type": "DEV1-S"})),
    )
    .await;
    assert_eq!(
        (status, refused["type"].as_str()),
        (400, Some("invalid_request_error"))
    );
    let (status, _) = call(
        &sim,
        "PATCH",
        &format!("/servers/{id}"),
        Some(json!({"commercial_type": "PRO2-XXS"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, moved) = call(
        &sim,
        "PATCH",
        &format!("/servers/{id}"),
        Some(json!({"commercial_type": "DEV1-L"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(moved["server"]["commercial_type"], "DEV1-L");

    // A type without local storage takes no l_ssd volume.
    let (status, refused) = call(
        &sim,
        "POST",
        "/servers",
        Some(
            json!({"name": "p", "commercial_type": "PRO2-XXS", "image": SBS_IMAGE,
                    "volumes": {"1": {"size": 10_000_000_000u64, "volume_type": "l_ssd"}}}),
        ),
    )
    .await;
    assert_eq!(
        (status, refused["type"].as_str()),
        (400, Some("invalid_arguments"))
    );
    assert!(sim.inventory().volumes.len() == 1, "{:?}", sim.inventory());
}
