//! VPC v2 on the simulator: VPCs, private networks and their subnets, routes, ACLs, ingress
//! rules, VPC connectors and Object Storage private access; their filters and errors.

use scaleway_client::Error;
use scaleway_sim::Simulator;
use serde_json::{Value, json};

use super::requests::*;

#[tokio::test]
async fn private_network_in_use_and_security_group_in_use_of_the_network() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let s = create_server(&c, "pn", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap();
    let pn = create_pn(&c, "busy").await;
    let pn_id = pn["id"].as_str().unwrap();
    let nic = create_nic(&c, id, pn_id).await;
    let err = Error::from(
        c.vpc()
            .delete_private_network()
            .region("fr-par")
            .private_network_id(pn_id)
            .send()
            .await
            .unwrap_err(),
    );
    match err {
        Error::Precondition {
            precondition, help, ..
        } => {
            assert_eq!(precondition, "resource_still_in_use");
            assert_eq!(help, "Private Network must be empty to be deleted");
        }
        other => panic!("{other:?}"),
    }
    c.instance()
        .delete_private_nic()
        .zone(ZONE)
        .server_id(id)
        .private_nic_id(nic["id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    c.vpc()
        .delete_private_network()
        .region("fr-par")
        .private_network_id(pn_id)
        .send()
        .await
        .unwrap();
}

// ---- VPC v2 resources over raw requests: CRUD, filters, errors ----

const BASE: &str = "/vpc/v2/regions/fr-par";

/// A request under the region's VPC path: status and JSON body (null when empty).
async fn call(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = raw(sim, method, &format!("{BASE}{path}"), body).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A request that must succeed (200 or 204).
async fn ok(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> Value {
    let (status, v) = call(sim, method, path, body).await;
    assert!(status == 200 || status == 204, "{method} {path}: {status} {v}");
    v
}

/// A request that must fail with `status` and error `type`.
async fn fails(
    sim: &Simulator,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
    kind: &str,
) -> Value {
    let (got, v) = call(sim, method, path, body).await;
    assert_eq!(
        (got, v["type"].as_str()),
        (status, Some(kind)),
        "{method} {path}: {v}"
    );
    v
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

/// The ids of the objects of a list answer under `key`, in order.
fn ids_of(v: &Value, key: &str) -> Vec<String> {
    v[key].as_array().unwrap().iter().map(id).collect()
}

async fn create_vpc(sim: &Simulator, name: &str, tags: &[&str]) -> Value {
    ok(sim, "POST", "/vpcs", Some(json!({"name": name, "tags": tags}))).await
}

async fn create_pn_in(sim: &Simulator, vpc: &str, name: &str, subnets: Option<&[&str]>) -> Value {
    ok(
        sim,
        "POST",
        "/private-networks",
        Some(json!({"name": name, "vpc_id": vpc, "subnets": subnets})),
    )
    .await
}

fn subnet_texts(pn: &Value) -> Vec<String> {
    pn["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["subnet"].as_str().unwrap().to_string())
        .collect()
}

fn no_ignored_query(sim: &Simulator) {
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );
}

#[tokio::test]
async fn vpcs_are_created_filtered_updated_and_deleted_when_empty() {
    let sim = sim(0.0).await;
    let a = create_vpc(&sim, "alpha", &["blue", "x"]).await;
    let b = create_vpc(&sim, "beta", &["blue"]).await;
    let (a_id, b_id) = (id(&a), id(&b));
    assert_eq!(a["routing_enabled"], true);
    assert_eq!(a["s3_integration_enabled"], false);
    assert_eq!(
        ok(&sim, "GET", &format!("/vpcs/{a_id}"), None).await["name"],
        "alpha"
    );

    let listed = |q: &str| {
        let (sim, q) = (&sim, q.to_string());
        async move { ids_of(&ok(sim, "GET", &format!("/vpcs?{q}"), None).await, "vpcs") }
    };
    let all = listed("").await;
    assert_eq!(all.len(), 3, "the default VPC and the two created");
    assert_eq!(listed("tags=blue&tags=x").await, vec![a_id.clone()]);
    assert_eq!(listed("name=bet").await, vec![b_id.clone()]);
    assert_eq!(listed("is_default=true").await.len(), 1);
    assert!(!listed("is_default=true").await.contains(&a_id));
    assert_eq!(
        listed("is_default=false&order_by=name_desc").await,
        vec![b_id.clone(), a_id.clone()]
    );
    assert_eq!(
        listed("is_default=false&order_by=created_at_desc").await,
        vec![b_id.clone(), a_id.clone()]
    );
    assert_eq!(listed("routing_enabled=true").await.len(), 3);
    assert!(listed("routing_enabled=false").await.is_empty());
    assert!(listed("s3_integration_enabled=true").await.is_empty());
    assert_eq!(
        listed("object_storage_private_access_enabled=false").await.len(),
        3
    );
    assert_eq!(
        listed(&format!("organization_id={}", sim.organization_id()))
            .await
            .len(),
        3
    );
    assert!(
        listed("organization_id=11111111-1111-4111-8111-111111111111")
            .await
            .is_empty()
    );
    assert_eq!(
        listed(&format!("project_id={}", a["project_id"].as_str().unwrap()))
            .await
            .len(),
        3
    );
    fails(&sim, "GET", "/vpcs?order_by=size", None, 400, "invalid_arguments").await;
    fails(
        &sim,
        "GET",
        "/vpcs?is_default=maybe",
        None,
        400,
        "invalid_arguments",
    )
    .await;

    let updated = ok(
        &sim,
        "PATCH",
        &format!("/vpcs/{a_id}"),
        Some(json!({"name": "gamma", "tags": []})),
    )
    .await;
    assert_eq!(
        (
            updated["name"].as_str(),
            updated["tags"].as_array().unwrap().len()
        ),
        (Some("gamma"), 0)
    );
    assert_eq!(
        ok(&sim, "GET", &format!("/vpcs/{a_id}"), None).await["name"],
        "gamma"
    );
    let routed = ok(
        &sim,
        "POST",
        &format!("/vpcs/{a_id}/enable-routing"),
        Some(json!({})),
    )
    .await;
    assert_eq!(routed["routing_enabled"], true);
    let propagated = ok(
        &sim,
        "POST",
        &format!("/vpcs/{a_id}/enable-custom-routes-propagation"),
        Some(json!({})),
    )
    .await;
    assert_eq!(propagated["custom_routes_propagation_enabled"], true);

    let pn = create_pn_in(&sim, &a_id, "inside", None).await;
    assert_eq!(
        ok(&sim, "GET", &format!("/vpcs/{a_id}"), None).await["private_network_count"],
        1
    );
    let refused = fails(
        &sim,
        "DELETE",
        &format!("/vpcs/{a_id}"),
        None,
        412,
        "precondition_failed",
    )
    .await;
    assert_eq!(refused["precondition"], "resource_still_in_use");
    ok(&sim, "DELETE", &format!("/private-networks/{}", id(&pn)), None).await;
    ok(&sim, "DELETE", &format!("/vpcs/{a_id}"), None).await;
    let gone = fails(&sim, "GET", &format!("/vpcs/{a_id}"), None, 404, "not_found").await;
    assert_eq!(
        (gone["resource"].as_str(), gone["resource_id"].as_str()),
        (Some("vpc"), Some(a_id.as_str()))
    );
    no_ignored_query(&sim);
}

#[tokio::test]
async fn private_networks_are_filtered_and_their_ipv6_subnet_is_canonical() {
    let sim = sim(0.0).await;
    let vpc = id(&create_vpc(&sim, "v", &[]).await);
    let one = create_pn_in(&sim, &vpc, "one", None).await;
    let two = create_pn_in(&sim, &vpc, "two", Some(&["10.1.0.0/24"])).await;
    let elsewhere = ok(&sim, "POST", "/private-networks", Some(json!({"name": "zero"}))).await;
    let (one_id, two_id) = (id(&one), id(&two));

    // Canonical IPv6 notation, as IPAM writes the same network.
    let v6 = subnet_texts(&one).into_iter().find(|s| s.contains(':')).unwrap();
    let (address, prefix) = v6.split_once('/').unwrap();
    assert_eq!(
        address.parse::<std::net::Ipv6Addr>().unwrap().to_string(),
        address
    );
    assert_eq!(prefix, "64");
    assert!(!v6.contains(":0000:"), "{v6}");
    // Explicit subnets are kept, and an IPv6 one is added.
    let two_subnets = subnet_texts(&two);
    assert_eq!(two_subnets[0], "10.1.0.0/24");
    assert!(two_subnets[1].contains(':'));
    fails(
        &sim,
        "POST",
        "/private-networks",
        Some(json!({"vpc_id": vpc, "subnets": ["10.1.0.128/25"]})),
        400,
        "invalid_arguments",
    )
    .await;
    fails(
        &sim,
        "POST",
        "/private-networks",
        Some(json!({"vpc_id": vpc, "subnets": ["banana"]})),
        400,
        "invalid_arguments",
    )
    .await;

    let listed = |q: String| {
        let sim = &sim;
        async move {
            ids_of(
                &ok(sim, "GET", &format!("/private-networks?{q}"), None).await,
                "private_networks",
            )
        }
    };
    assert_eq!(
        listed(format!("vpc_id={vpc}")).await,
        vec![one_id.clone(), two_id.clone()]
    );
    assert_eq!(
        listed(format!(
            "private_network_ids={two_id}&private_network_ids={}",
            id(&elsewhere)
        ))
        .await
        .len(),
        2
    );
    assert_eq!(
        listed(format!("vpc_id={vpc}&order_by=name_desc")).await,
        vec![two_id.clone(), one_id.clone()]
    );
    assert_eq!(listed("order_by=name_desc".into()).await[0], id(&elsewhere));
    assert_eq!(listed("dhcp_enabled=true".into()).await.len(), 3);
    assert!(listed("dhcp_enabled=false".into()).await.is_empty());
    assert!(listed("s3_integration_enabled=true".into()).await.is_empty());
    assert_eq!(
        listed("object_storage_private_access_enabled=false".into())
            .await
            .len(),
        3
    );
    assert_eq!(
        listed(format!("organization_id={}", sim.organization_id()))
            .await
            .len(),
        3
    );
    assert!(
        listed("organization_id=11111111-1111-4111-8111-111111111111".into())
            .await
            .is_empty()
    );
    assert_eq!(listed("name=tw&tags=".into()).await, vec![two_id.clone()]);

    let dhcp = ok(
        &sim,
        "POST",
        &format!("/private-networks/{one_id}/enable-dhcp"),
        Some(json!({})),
    )
    .await;
    assert_eq!(dhcp["dhcp_enabled"], true);
    fails(
        &sim,
        "POST",
        &format!("/private-networks/{}/enable-dhcp", vpc),
        Some(json!({})),
        404,
        "not_found",
    )
    .await;

    // IPAM shows the network the same way.
    let booked = raw(
        &sim,
        "POST",
        "/ipam/v1/regions/fr-par/ips",
        Some(json!({"source": {"private_network_id": one_id}, "is_ipv6": true})),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    let booked_address: std::net::Ipv6Addr = booked["address"]
        .as_str()
        .unwrap()
        .split_once('/')
        .unwrap()
        .0
        .parse()
        .unwrap();
    let network: std::net::Ipv6Addr = address.parse().unwrap();
    assert_eq!(u128::from(booked_address) >> 64, u128::from(network) >> 64);
    no_ignored_query(&sim);
}

#[tokio::test]
async fn subnets_are_listed_added_and_removed_unless_booked() {
    let sim = sim(0.0).await;
    let vpc = id(&create_vpc(&sim, "v", &[]).await);
    let pn = create_pn_in(&sim, &vpc, "a", Some(&["10.0.0.0/24"])).await;
    let other = create_pn_in(&sim, &vpc, "b", Some(&["10.0.1.0/24"])).await;
    let outside = ok(&sim, "POST", "/private-networks", Some(json!({"name": "c"}))).await;
    let pn_id = id(&pn);

    let subnets = |q: String| {
        let sim = &sim;
        async move { ok(sim, "GET", &format!("/subnets?{q}"), None).await }
    };
    let in_vpc = subnets(format!("vpc_id={vpc}")).await;
    assert_eq!(in_vpc["total_count"], 4);
    assert!(
        in_vpc["subnets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["vpc_id"] == vpc.as_str())
    );
    let first = pn["subnets"][0]["id"].as_str().unwrap().to_string();
    let outside_subnet = outside["subnets"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(
        ids_of(
            &subnets(format!("subnet_ids={first}&subnet_ids={outside_subnet}")).await,
            "subnets"
        ),
        vec![first.clone(), outside_subnet.clone()]
    );
    let desc = ids_of(&subnets("order_by=created_at_desc".into()).await, "subnets");
    assert_eq!(desc.last(), Some(&first));
    assert_eq!(
        subnets(format!(
            "project_id={}&organization_id={}",
            pn["project_id"].as_str().unwrap(),
            sim.organization_id()
        ))
        .await["total_count"],
        6
    );

    let path = format!("/private-networks/{pn_id}/subnets");
    let added = ok(
        &sim,
        "POST",
        &path,
        Some(json!({"subnets": ["10.0.2.7/24", "fd00:1:0:0::/64"]})),
    )
    .await;
    assert_eq!(added["subnets"], json!(["10.0.2.0/24", "fd00:1::/64"]));
    for overlapping in ["10.0.2.128/25", "10.0.1.0/25", "10.0.0.0/16"] {
        fails(
            &sim,
            "POST",
            &path,
            Some(json!({"subnets": [overlapping]})),
            400,
            "invalid_arguments",
        )
        .await;
    }
    // A network outside the VPC may use the same range.
    ok(
        &sim,
        "POST",
        &format!("/private-networks/{}/subnets", id(&outside)),
        Some(json!({"subnets": ["10.0.2.0/24"]})),
    )
    .await;
    let now = ok(&sim, "GET", &format!("/private-networks/{pn_id}"), None).await;
    assert!(subnet_texts(&now).contains(&"10.0.2.0/24".to_string()));
    let added_id = now["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["subnet"] == "10.0.2.0/24")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();

    // An address booked in the new subnet holds it.
    let booked = raw(
        &sim,
        "POST",
        "/ipam/v1/regions/fr-par/ips",
        Some(json!({"source": {"subnet_id": added_id}})),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    assert_eq!(booked["address"], "10.0.2.2/24");
    assert_eq!(booked["source"]["subnet_id"], added_id.as_str());
    let held = fails(
        &sim,
        "DELETE",
        &path,
        Some(json!({"subnets": ["10.0.2.0/24"]})),
        412,
        "precondition_failed",
    )
    .await;
    assert_eq!(held["precondition"], "resource_still_in_use");
    fails(
        &sim,
        "DELETE",
        &path,
        Some(json!({"subnets": ["10.9.0.0/24"]})),
        400,
        "invalid_arguments",
    )
    .await;
    let release = raw(
        &sim,
        "DELETE",
        &format!("/ipam/v1/regions/fr-par/ips/{}", id(&booked)),
        Some(json!({})),
    )
    .await;
    assert_eq!(release.status(), 204);
    let removed = ok(&sim, "DELETE", &path, Some(json!({"subnets": ["10.0.2.0/24"]}))).await;
    assert_eq!(removed["subnets"], json!(["10.0.2.0/24"]));
    let after = ok(&sim, "GET", &format!("/private-networks/{pn_id}"), None).await;
    assert!(!subnet_texts(&after).contains(&"10.0.2.0/24".to_string()));
    assert_eq!(subnets(format!("vpc_id={vpc}")).await["total_count"], 5);
    let _ = other;
    no_ignored_query(&sim);
}

#[tokio::test]
async fn routes_lead_to_a_resource_of_the_vpc_and_list_with_their_nexthop() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let vpc = id(&create_vpc(&sim, "routed", &[]).await);
    let other_vpc = id(&create_vpc(&sim, "other", &[]).await);
    let pn = create_pn_in(&sim, &vpc, "pn", Some(&["10.20.0.0/24"])).await;
    let foreign_pn = create_pn_in(&sim, &other_vpc, "foreign", None).await;
    let pn_id = id(&pn);
    let server = create_server(&c, "router", SBS_IMAGE, &[]).await;
    let nic = create_nic(&c, server["id"].as_str().unwrap(), &pn_id).await;
    let nic_id = id(&nic);

    let route = ok(
        &sim,
        "POST",
        "/routes",
        Some(
            json!({"description": "to the lab", "tags": ["lab"], "vpc_id": vpc,
                    "destination": "10.99.0.1/16", "nexthop_resource_id": nic_id}),
        ),
    )
    .await;
    let route_id = id(&route);
    assert_eq!(route["destination"], "10.99.0.0/16");
    assert_eq!(route["nexthop_private_network_id"], pn_id.as_str());
    assert_eq!(
        (route["type"].as_str(), route["is_read_only"].as_bool()),
        (Some("custom"), Some(false))
    );
    let v6 = ok(
        &sim,
        "POST",
        "/routes",
        Some(
            json!({"description": "v6", "vpc_id": vpc, "destination": "fd99::/48",
                    "nexthop_private_network_id": pn_id}),
        ),
    )
    .await;

    // Errors: required fields, a nexthop outside the VPC, a network of another VPC, unknown ones.
    fails(
        &sim,
        "POST",
        "/routes",
        Some(json!({"vpc_id": vpc, "destination": "10.1.0.0/16"})),
        400,
        "invalid_arguments",
    )
    .await;
    for bad in [
        json!({"nexthop_private_network_id": id(&foreign_pn)}),
        json!({"nexthop_resource_id": nic_id, "nexthop_private_network_id": id(&foreign_pn)}),
        json!({"nexthop_resource_id": "11111111-1111-4111-8111-111111111111"}),
        json!({}),
    ] {
        let mut body = json!({"description": "bad", "vpc_id": vpc, "destination": "10.1.0.0/16"});
        body.as_object_mut()
            .unwrap()
            .extend(bad.as_object().unwrap().clone());
        fails(&sim, "POST", "/routes", Some(body), 400, "invalid_arguments").await;
    }
    fails(&sim, "POST", "/routes", Some(json!({"description": "d", "vpc_id": vpc, "destination": "nope", "nexthop_private_network_id": pn_id})), 400, "invalid_arguments").await;
    let missing_vpc = fails(&sim, "POST", "/routes", Some(json!({"description": "d", "vpc_id": pn_id, "destination": "10.1.0.0/16", "nexthop_private_network_id": pn_id})), 404, "not_found").await;
    assert_eq!(missing_vpc["resource"], "vpc");

    assert_eq!(
        ok(&sim, "GET", &format!("/routes/{route_id}"), None).await["description"],
        "to the lab"
    );
    let updated = ok(
        &sim,
        "PATCH",
        &format!("/routes/{route_id}"),
        Some(json!({"description": "to the new lab", "destination": "10.98.0.0/16", "tags": ["lab", "new"]})),
    )
    .await;
    assert_eq!(
        (
            updated["destination"].as_str(),
            updated["nexthop_resource_id"].as_str()
        ),
        (Some("10.98.0.0/16"), Some(nic_id.as_str()))
    );
    fails(
        &sim,
        "PATCH",
        &format!("/routes/{route_id}"),
        Some(json!({"nexthop_private_network_id": id(&foreign_pn)})),
        400,
        "invalid_arguments",
    )
    .await;

    let listed = |q: String| {
        let sim = &sim;
        async move { ok(sim, "GET", &format!("/routes-with-nexthop?{q}"), None).await }
    };
    let all = listed(format!("vpc_id={vpc}")).await;
    assert_eq!(all["total_count"], 2);
    let with_nic = &all["routes"][0];
    assert_eq!(with_nic["route"]["id"], route_id.as_str());
    assert_eq!(with_nic["nexthop_resource_type"], "instance_private_nic");
    assert_eq!(with_nic["nexthop_name"], "router");
    assert!(with_nic["nexthop_ip"].as_str().unwrap().starts_with("10.20.0."));
    assert_eq!(all["routes"][1]["nexthop_resource_type"], "unknown_type");
    let route_ids = |v: Value| -> Vec<String> {
        v["routes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["route"]["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(
        route_ids(listed("nexthop_resource_type=instance_private_nic".into()).await),
        vec![route_id.clone()]
    );
    assert_eq!(
        route_ids(listed("nexthop_resource_type=unknown_type".into()).await).len(),
        2
    );
    assert_eq!(
        route_ids(listed(format!("nexthop_resource_id={nic_id}")).await),
        vec![route_id.clone()]
    );
    assert_eq!(
        route_ids(listed(format!("nexthop_private_network_id={pn_id}")).await).len(),
        2
    );
    assert_eq!(
        route_ids(listed("contains=10.0.0.0/8".into()).await),
        vec![route_id.clone()]
    );
    assert!(route_ids(listed("contains=10.98.1.0/24".into()).await).is_empty());
    assert_eq!(route_ids(listed("is_ipv6=true".into()).await), vec![id(&v6)]);
    assert_eq!(route_ids(listed("tags=new".into()).await), vec![route_id.clone()]);
    assert_eq!(
        route_ids(listed("order_by=created_at_desc".into()).await),
        vec![id(&v6), route_id.clone()]
    );
    assert_eq!(
        route_ids(listed("order_by=prefix_len_desc".into()).await),
        vec![id(&v6), route_id.clone()]
    );
    assert_eq!(
        route_ids(listed("order_by=destination_asc".into()).await),
        vec![route_id.clone(), id(&v6)]
    );
    assert!(
        route_ids(listed("nexthop_vpc_connector_id=11111111-1111-4111-8111-111111111111".into()).await)
            .is_empty()
    );
    assert!(route_ids(listed(format!("vpc_id={other_vpc}")).await).is_empty());

    // The routes hold the network they lead to.
    fails(
        &sim,
        "DELETE",
        &format!("/private-networks/{pn_id}"),
        None,
        412,
        "precondition_failed",
    )
    .await;
    ok(&sim, "DELETE", &format!("/routes/{route_id}"), None).await;
    let gone = fails(
        &sim,
        "GET",
        &format!("/routes/{route_id}"),
        None,
        404,
        "not_found",
    )
    .await;
    assert_eq!(
        (gone["resource"].as_str(), gone["resource_id"].as_str()),
        (Some("unknown"), Some(""))
    );
    fails(
        &sim,
        "DELETE",
        &format!("/routes/{route_id}"),
        None,
        404,
        "not_found",
    )
    .await;
    no_ignored_query(&sim);
}

#[tokio::test]
async fn acls_are_per_vpc_and_ip_version_and_replaced_as_a_whole() {
    let sim = sim(0.0).await;
    let vpc = id(&create_vpc(&sim, "acl", &[]).await);
    let path = format!("/vpcs/{vpc}/acl-rules");
    let empty = ok(&sim, "GET", &format!("{path}?is_ipv6=false"), None).await;
    assert_eq!(empty, json!({"rules": [], "default_policy": "accept"}));

    let http = json!({"protocol": "TCP", "source": "0.0.0.0/0", "src_port_low": 0, "src_port_high": 0,
                      "destination": "10.0.0.0/8", "dst_port_low": 80, "dst_port_high": 80,
                      "action": "accept", "description": "Allow HTTP"});
    let set = ok(&sim, "PUT", &path, Some(json!({"rules": [http, {"source": "1.2.3.4/32", "destination": "0.0.0.0/0", "action": "drop"}], "is_ipv6": false, "default_policy": "drop"}))).await;
    assert_eq!(set["default_policy"], "drop");
    assert_eq!(set["rules"][0]["description"], "(Rule scope: client) Allow HTTP");
    assert_eq!(set["rules"][1]["protocol"], "ANY");
    assert_eq!(ok(&sim, "GET", &path, None).await, set);
    // IPv6 has its own ACL.
    assert_eq!(
        ok(&sim, "GET", &format!("{path}?is_ipv6=true"), None).await["rules"],
        json!([])
    );
    let v6 = ok(&sim, "PUT", &path, Some(json!({"rules": [{"source": "::/0", "destination": "fd00::/8", "action": "accept"}], "is_ipv6": true, "default_policy": "drop"}))).await;
    assert_eq!(ok(&sim, "GET", &format!("{path}?is_ipv6=true"), None).await, v6);

    // Replacing keeps only the new rules and policy; the recorded description is not marked twice.
    let again = ok(
        &sim,
        "PUT",
        &path,
        Some(json!({"rules": [set["rules"][0]], "default_policy": "accept"})),
    )
    .await;
    assert_eq!(again["rules"].as_array().unwrap().len(), 1);
    assert_eq!(
        again["rules"][0]["description"],
        "(Rule scope: client) Allow HTTP"
    );
    assert_eq!(ok(&sim, "GET", &path, None).await["default_policy"], "accept");

    for bad in [
        json!({"rules": [{"source": "::/0", "destination": "0.0.0.0/0", "action": "accept"}]}),
        json!({"rules": [{"source": "0.0.0.0/0", "destination": "0.0.0.0/0", "action": "maybe"}]}),
        json!({"rules": [{"source": "0.0.0.0/0", "destination": "0.0.0.0/0", "action": "accept", "dst_port_low": 90, "dst_port_high": 80}]}),
        json!({"rules": [{"source": "0.0.0.0/0", "destination": "0.0.0.0/0", "action": "accept", "protocol": "SCTP"}]}),
        json!({"default_policy": "drop"}),
    ] {
        fails(&sim, "PUT", &path, Some(bad), 400, "invalid_arguments").await;
    }
    fails(
        &sim,
        "GET",
        "/vpcs/11111111-1111-4111-8111-111111111111/acl-rules",
        None,
        404,
        "not_found",
    )
    .await;
    no_ignored_query(&sim);
}

#[tokio::test]
async fn ingress_rules_lead_to_an_address_of_a_network_of_the_vpc() {
    let sim = sim(0.0).await;
    let vpc = id(&create_vpc(&sim, "in", &[]).await);
    let other_vpc = id(&create_vpc(&sim, "out", &[]).await);
    let pn = id(&create_pn_in(&sim, &vpc, "pn", Some(&["172.17.108.0/22"])).await);
    let foreign = id(&create_pn_in(&sim, &other_vpc, "foreign", Some(&["172.18.0.0/22"])).await);
    let rule = ok(
        &sim,
        "POST",
        "/ingress-rules",
        Some(
            json!({"vpc_id": vpc, "source": "10.2.0.0/24", "nexthop_resource_ip": "172.17.108.2",
                    "nexthop_private_network_id": pn, "description": "first", "tags": []}),
        ),
    )
    .await;
    let rule_id = id(&rule);
    assert_eq!(
        (rule["is_ipv6"].as_bool(), rule["project_id"].as_str()),
        (Some(false), Some(sim.project_id()))
    );
    let second = ok(
        &sim,
        "POST",
        "/ingress-rules",
        Some(
            json!({"vpc_id": vpc, "source": "10.3.0.0/16", "nexthop_resource_ip": "172.17.108.3",
                    "nexthop_private_network_id": pn, "tags": ["b"]}),
        ),
    )
    .await;
    for bad in [
        json!({"vpc_id": vpc, "source": "10.2.0.0/24", "nexthop_resource_ip": "172.18.0.2", "nexthop_private_network_id": pn}),
        json!({"vpc_id": vpc, "source": "10.2.0.0/24", "nexthop_resource_ip": "172.18.0.2", "nexthop_private_network_id": foreign}),
        json!({"vpc_id": vpc, "source": "fd00::/64", "nexthop_resource_ip": "172.17.108.2", "nexthop_private_network_id": pn}),
        json!({"vpc_id": vpc, "source": "10.2.0.0/24", "nexthop_private_network_id": pn}),
    ] {
        fails(
            &sim,
            "POST",
            "/ingress-rules",
            Some(bad),
            400,
            "invalid_arguments",
        )
        .await;
    }

    let updated = ok(
        &sim,
        "PATCH",
        &format!("/ingress-rules/{rule_id}"),
        Some(json!({"description": "updated", "tags": ["a"]})),
    )
    .await;
    assert_eq!(
        (updated["description"].as_str(), updated["tags"][0].as_str()),
        (Some("updated"), Some("a"))
    );
    assert_eq!(
        ok(&sim, "GET", &format!("/ingress-rules/{rule_id}"), None).await,
        updated
    );
    fails(
        &sim,
        "PATCH",
        &format!("/ingress-rules/{rule_id}"),
        Some(json!({"nexthop_resource_ip": "172.17.200.1"})),
        400,
        "invalid_arguments",
    )
    .await;

    let listed = |q: String| {
        let sim = &sim;
        async move {
            ids_of(
                &ok(sim, "GET", &format!("/ingress-rules?{q}"), None).await,
                "rules",
            )
        }
    };
    assert_eq!(
        listed(format!("vpc_id={vpc}")).await,
        vec![rule_id.clone(), id(&second)]
    );
    assert_eq!(
        listed("nexthop_resource_ip=172.17.108.3".into()).await,
        vec![id(&second)]
    );
    assert_eq!(
        listed(format!("nexthop_private_network_id={pn}&tags=a")).await,
        vec![rule_id.clone()]
    );
    assert!(listed("is_ipv6=true".into()).await.is_empty());
    assert_eq!(
        listed(format!(
            "project_id={}&organization_id={}",
            sim.project_id(),
            sim.organization_id()
        ))
        .await
        .len(),
        2
    );
    assert_eq!(
        listed("order_by=prefix_len_asc".into()).await,
        vec![id(&second), rule_id.clone()]
    );
    assert_eq!(
        listed("order_by=source_desc".into()).await,
        vec![id(&second), rule_id.clone()]
    );
    assert!(listed(format!("vpc_id={other_vpc}")).await.is_empty());

    fails(
        &sim,
        "DELETE",
        &format!("/private-networks/{pn}"),
        None,
        412,
        "precondition_failed",
    )
    .await;
    ok(&sim, "DELETE", &format!("/ingress-rules/{rule_id}"), None).await;
    let gone = fails(
        &sim,
        "GET",
        &format!("/ingress-rules/{rule_id}"),
        None,
        404,
        "not_found",
    )
    .await;
    assert_eq!(gone["resource"], "unknown");
    no_ignored_query(&sim);
}

#[tokio::test]
async fn vpc_connectors_peer_two_vpcs_and_show_overlapping_subnets() {
    let sim = sim(0.0).await;
    let a = id(&create_vpc(&sim, "a", &[]).await);
    let b = id(&create_vpc(&sim, "b", &[]).await);
    let a_pn = create_pn_in(&sim, &a, "a-pn", Some(&["10.0.0.0/24"])).await;
    create_pn_in(&sim, &b, "b-pn", Some(&["10.1.0.0/24"])).await;

    let there = ok(
        &sim,
        "POST",
        "/vpc-connectors",
        Some(json!({"name": "a-to-b", "tags": ["t"], "vpc_id": a, "target_vpc_id": b})),
    )
    .await;
    let there_id = id(&there);
    assert_eq!(there["status"], "orphan");
    assert!(there.get("peer_info").is_none());
    fails(
        &sim,
        "POST",
        "/vpc-connectors",
        Some(json!({"vpc_id": a, "target_vpc_id": a})),
        400,
        "invalid_arguments",
    )
    .await;
    fails(
        &sim,
        "POST",
        "/vpc-connectors",
        Some(json!({"vpc_id": a, "target_vpc_id": b})),
        400,
        "invalid_arguments",
    )
    .await;
    fails(
        &sim,
        "POST",
        "/vpc-connectors",
        Some(json!({"vpc_id": a})),
        400,
        "invalid_arguments",
    )
    .await;
    fails(
        &sim,
        "POST",
        "/vpc-connectors",
        Some(json!({"vpc_id": a, "target_vpc_id": id(&a_pn)})),
        404,
        "not_found",
    )
    .await;

    let back = ok(
        &sim,
        "POST",
        "/vpc-connectors",
        Some(json!({"name": "b-to-a", "vpc_id": b, "target_vpc_id": a})),
    )
    .await;
    let peered = ok(&sim, "GET", &format!("/vpc-connectors/{there_id}"), None).await;
    assert_eq!(peered["status"], "peered");
    assert_eq!(peered["peer_info"]["vpc_name"], "b");
    let overlaps_path = format!("/vpc-connectors/{there_id}/subnet-overlaps");
    assert_eq!(ok(&sim, "GET", &overlaps_path, None).await["total_count"], 0);

    // The same range on both sides is a conflict.
    let clash = create_pn_in(&sim, &b, "clash", Some(&["10.0.0.0/25"])).await;
    assert_eq!(
        ok(&sim, "GET", &format!("/vpc-connectors/{there_id}"), None).await["status"],
        "conflict"
    );
    let overlaps = ok(
        &sim,
        "GET",
        &format!("{overlaps_path}?order_by=target_subnet_desc"),
        None,
    )
    .await;
    assert_eq!(overlaps["total_count"], 1);
    assert_eq!(
        overlaps["subnet_overlaps"][0],
        json!({"subnet_id": a_pn["subnets"][0]["id"], "subnet": "10.0.0.0/24",
               "target_subnet_id": clash["subnets"][0]["id"], "target_subnet": "10.0.0.0/25"})
    );
    ok(&sim, "DELETE", &format!("/private-networks/{}", id(&clash)), None).await;

    let listed = |q: String| {
        let sim = &sim;
        async move {
            ids_of(
                &ok(sim, "GET", &format!("/vpc-connectors?{q}"), None).await,
                "vpc_connectors",
            )
        }
    };
    assert_eq!(listed("".into()).await, vec![there_id.clone(), id(&back)]);
    assert_eq!(
        listed("order_by=name_desc".into()).await,
        vec![id(&back), there_id.clone()]
    );
    assert_eq!(listed(format!("vpc_id={a}")).await, vec![there_id.clone()]);
    assert_eq!(listed(format!("target_vpc_id={a}")).await, vec![id(&back)]);
    assert_eq!(listed("name=a-to&tags=t".into()).await, vec![there_id.clone()]);
    assert_eq!(listed("status=peered".into()).await.len(), 2);
    assert!(listed("status=orphan".into()).await.is_empty());
    assert_eq!(
        listed(format!(
            "project_id={}&organization_id={}",
            sim.project_id(),
            sim.organization_id()
        ))
        .await
        .len(),
        2
    );

    let renamed = ok(
        &sim,
        "PATCH",
        &format!("/vpc-connectors/{there_id}"),
        Some(json!({"name": "renamed", "tags": []})),
    )
    .await;
    assert_eq!(renamed["name"], "renamed");
    // Routes can lead to a connector of their VPC, which they then hold.
    let via = ok(
        &sim,
        "POST",
        "/routes",
        Some(json!({"description": "to b", "vpc_id": a, "destination": "10.1.0.0/24", "nexthop_vpc_connector_id": there_id})),
    )
    .await;
    let listed_routes = ok(
        &sim,
        "GET",
        &format!("/routes-with-nexthop?nexthop_vpc_connector_id={there_id}"),
        None,
    )
    .await;
    assert_eq!(listed_routes["routes"][0]["route"]["id"], id(&via).as_str());
    fails(
        &sim,
        "POST",
        "/routes",
        Some(json!({"description": "wrong side", "vpc_id": b, "destination": "10.0.0.0/24", "nexthop_vpc_connector_id": there_id})),
        400,
        "invalid_arguments",
    )
    .await;
    fails(
        &sim,
        "DELETE",
        &format!("/vpc-connectors/{there_id}"),
        None,
        412,
        "precondition_failed",
    )
    .await;
    ok(&sim, "DELETE", &format!("/routes/{}", id(&via)), None).await;
    // A connector holds its VPC.
    fails(
        &sim,
        "DELETE",
        &format!("/vpcs/{a}"),
        None,
        412,
        "precondition_failed",
    )
    .await;
    ok(&sim, "DELETE", &format!("/vpc-connectors/{}", id(&back)), None).await;
    assert_eq!(
        ok(&sim, "GET", &format!("/vpc-connectors/{there_id}"), None).await["status"],
        "orphan"
    );
    ok(&sim, "DELETE", &format!("/vpc-connectors/{there_id}"), None).await;
    let gone = fails(
        &sim,
        "GET",
        &format!("/vpc-connectors/{there_id}"),
        None,
        404,
        "not_found",
    )
    .await;
    assert_eq!(gone["resource"], "vpc_connector");
    no_ignored_query(&sim);
}

#[tokio::test]
async fn object_storage_private_access_under_both_names() {
    let sim = sim(0.0).await;
    let vpc = id(&create_vpc(&sim, "s3", &[]).await);
    let one = id(&create_pn_in(&sim, &vpc, "one", None).await);
    let two = id(&create_pn_in(&sim, &vpc, "two", None).await);
    let outside = id(&ok(
        &sim,
        "POST",
        "/private-networks",
        Some(json!({"name": "outside"})),
    )
    .await);
    let pn = |id: String| {
        let sim = &sim;
        async move { ok(sim, "GET", &format!("/private-networks/{id}"), None).await }
    };

    // Per-network calls need the VPC's access first.
    let add_path = format!("/object-storage-private-access/{vpc}/private-networks");
    fails(
        &sim,
        "POST",
        &add_path,
        Some(json!({"private_network_id": one})),
        412,
        "precondition_failed",
    )
    .await;
    fails(
        &sim,
        "POST",
        &format!("/s3-integration/{vpc}/enable?private_network_ids={outside}"),
        Some(json!({})),
        400,
        "invalid_arguments",
    )
    .await;

    let enabled = ok(
        &sim,
        "POST",
        &format!("/s3-integration/{vpc}/enable?private_network_ids={one}"),
        Some(json!({})),
    )
    .await;
    // Answers carry the recorded name only.
    assert_eq!(
        (
            enabled["s3_integration_enabled"].as_bool(),
            enabled.get("object_storage_private_access_enabled")
        ),
        (Some(true), None)
    );
    let first = pn(one.clone()).await;
    assert_eq!(
        (
            first["has_s3_integration"].as_bool(),
            first.get("has_object_storage_private_access")
        ),
        (Some(true), None)
    );
    assert_eq!(pn(two.clone()).await["has_s3_integration"], false);

    let added = ok(&sim, "POST", &add_path, Some(json!({"private_network_id": two}))).await;
    assert_eq!(added, json!({"vpc_id": vpc, "private_network_ids": [one, two]}));
    let set = ok(
        &sim,
        "PUT",
        &format!("/s3-integration/{vpc}/private-networks"),
        Some(json!({"private_network_ids": [two]})),
    )
    .await;
    assert_eq!(set["private_network_ids"], json!([two]));
    assert_eq!(pn(one.clone()).await["has_s3_integration"], false);
    fails(
        &sim,
        "PUT",
        &add_path,
        Some(json!({"private_network_ids": [outside]})),
        400,
        "invalid_arguments",
    )
    .await;
    fails(&sim, "PUT", &add_path, Some(json!({})), 400, "invalid_arguments").await;

    let vpcs = ok(&sim, "GET", "/vpcs?s3_integration_enabled=true", None).await;
    assert_eq!(ids_of(&vpcs, "vpcs"), vec![vpc.clone()]);
    let vpcs = ok(
        &sim,
        "GET",
        "/vpcs?object_storage_private_access_enabled=true",
        None,
    )
    .await;
    assert_eq!(ids_of(&vpcs, "vpcs"), vec![vpc.clone()]);
    let pns = ok(
        &sim,
        "GET",
        "/private-networks?object_storage_private_access_enabled=true",
        None,
    )
    .await;
    assert_eq!(ids_of(&pns, "private_networks"), vec![two.clone()]);
    let pns = ok(
        &sim,
        "GET",
        "/private-networks?s3_integration_enabled=false",
        None,
    )
    .await;
    assert_eq!(ids_of(&pns, "private_networks").len(), 2);

    ok(
        &sim,
        "DELETE",
        &format!("/object-storage-private-access/{vpc}/private-networks/{two}"),
        None,
    )
    .await;
    assert_eq!(pn(two.clone()).await["has_s3_integration"], false);
    fails(
        &sim,
        "DELETE",
        &format!("/s3-integration/{vpc}/private-networks/{two}"),
        None,
        412,
        "precondition_failed",
    )
    .await;
    ok(
        &sim,
        "POST",
        &format!("/s3-integration/{vpc}/private-networks"),
        Some(json!({"private_network_id": one})),
    )
    .await;
    let disabled = ok(
        &sim,
        "POST",
        &format!("/object-storage-private-access/{vpc}/disable"),
        Some(json!({})),
    )
    .await;
    assert_eq!(disabled["s3_integration_enabled"], false);
    assert_eq!(pn(one.clone()).await["has_s3_integration"], false);
    let again = ok(
        &sim,
        "POST",
        &format!("/object-storage-private-access/{vpc}/enable"),
        Some(json!({})),
    )
    .await;
    assert_eq!(again["s3_integration_enabled"], true);
    ok(
        &sim,
        "POST",
        &format!("/s3-integration/{vpc}/disable"),
        Some(json!({})),
    )
    .await;
    fails(
        &sim,
        "POST",
        "/s3-integration/11111111-1111-4111-8111-111111111111/disable",
        Some(json!({})),
        404,
        "not_found",
    )
    .await;
    no_ignored_query(&sim);
}
