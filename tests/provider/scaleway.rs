//! Wire tests of the Scaleway provider: every workflow against httpmock, asserting the exact
//! requests (method, path, query, content type, body) and how many times each is made.
//!
//! Answers are recorded Scaleway bodies (`../shared/reference/real-traffic/`), renamed. Each test
//! ends with `api.finish()`: a catch-all answers 418 to any request no mock describes, and must
//! not have been called.

mod support;

use httpmock::prelude::*;
use scaleway_sdk::provider::{
    Provider, ProviderConfig, ProviderError, ServerOptions, ServerStatus, VolumeOptions, VolumeStatus,
    provider_for,
};
use serde_json::{Value, json};
use support::*;

const SERVER_ID: &str = "5f5a33b1-c733-4c20-b0c8-63edbb38f620";
const OTHER_SERVER_ID: &str = "d1ed4b6d-697a-42ca-97b9-16c053f98cca";
const ROOT_VOLUME: &str = "2321930f-3147-4b09-a514-b5a8082990fe";
const DATA_VOLUME: &str = "4f70120c-36f1-49d4-90c2-8850e0896970";
const NETWORK_ID: &str = "c4afcdb0-e269-4d25-b9eb-460c7d948edc";
const OTHER_NETWORK_ID: &str = "e920fd51-0361-4bd8-8a4e-37af8156bf57";
const GROUP_ID: &str = "98cc7dc1-392f-4318-9f19-b9d7ef608527";
const NIC_ID: &str = "df6c6151-4d46-4cd4-b7f2-35b535c4f203";
const OTHER_NIC_ID: &str = "b3be75c7-5201-44c6-9c0f-604ae33e3431";
/// The x86_64 sbs `ubuntu_noble` image of fr-par-1, compatible with DEV1-S (recorded).
const IMAGE_SBS: &str = "da954c89-6891-4c70-8fdc-63e094449a63";
const CLOUD_INIT: &str = "#cloud-config\npackages: [nginx]\n";

fn inst(path: &str) -> String {
    format!("/instance/v1/zones/fr-par-1{path}")
}

fn block(path: &str) -> String {
    format!("/block/v1/zones/fr-par-1{path}")
}

fn vpc(path: &str) -> String {
    format!("/vpc/v2/regions/fr-par{path}")
}

fn web_options() -> ServerOptions {
    ServerOptions {
        name: "web-1".into(),
        instance_type: "DEV1-S".into(),
        image: "ubuntu-24.04".into(),
        user_data: None,
        network_id: None,
        firewall_id: None,
        tags: vec!["app=web".into()],
        ..ServerOptions::default()
    }
}

/// The POST /servers body the provider must send, without its create-token tag.
fn create_body(extra: &[(&str, Value)]) -> Value {
    let mut body = json!({
        "name": "web-1",
        "commercial_type": "DEV1-S",
        "image": IMAGE_SBS,
        "project": PROJECT,
        "dynamic_ip_required": true,
        "tags": ["app=web"],
    });
    for (key, value) in extra {
        body[*key] = value.clone();
    }
    body
}

/// A server with the sbs root volume and, optionally, NICs.
fn web_server(state: &str, nics: Value) -> Value {
    let mut s = server(SERVER_ID, "web-1", state);
    s["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME)});
    s["private_nics"] = nics;
    s["tags"] = json!(["app=web"]);
    s
}

/// The catalogue lookups of a create: commercial types and the `ubuntu_noble` sbs images.
async fn mock_catalog(api: &Api) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let products = mock_products(api, "fr-par-1").await;
    let images = api
        .on(GET, "/marketplace/v2/local-images")
        .query(&[
            ("image_label", "ubuntu_noble"),
            ("zone", "fr-par-1"),
            ("type", "instance_sbs"),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .reply(
            200,
            recorded(
                "instance/v1/test-api-create-server-image-label-resolution.cassette.yaml",
                6,
            ),
        )
        .mount()
        .await;
    (products, images)
}

/// POST /servers with exactly `expected` plus one create-token tag; answers a stopped server.
async fn mock_create<'a>(api: &'a Api, expected: Value, answer: Value) -> httpmock::Mock<'a> {
    api.on(POST, inst("/servers"))
        .json_where(move |body| token_of(body).is_some() && without_token(body) == expected)
        .reply(201, json!({"server": answer}))
        .mount()
        .await
}

async fn mock_poweron(api: &Api, status: u16) -> httpmock::Mock<'_> {
    let answer = if status == 202 {
        task(SERVER_ID)
    } else {
        json!({"type": "internal_error", "message": "internal error"})
    };
    api.on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "poweron"}))
        .reply(status, answer)
        .mount()
        .await
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, ProviderError>, expected_field: &str) {
    match result {
        Err(ProviderError::InvalidInput { field, .. }) => assert_eq!(field, expected_field),
        other => panic!("expected invalid {expected_field}, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Networks

async fn mock_network_list<'a>(api: &'a Api, region: &str, name: &str, found: Value) -> httpmock::Mock<'a> {
    let total = found.as_array().unwrap().len();
    api.on(GET, format!("/vpc/v2/regions/{region}/private-networks"))
        .query(&[
            ("project_id", PROJECT),
            ("name", name),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .reply(200, json!({"private_networks": found, "total_count": total}))
        .mount()
        .await
}

#[tokio::test]
async fn test_find_or_create_network_creates_when_missing() {
    let api = Api::start().await;
    // The name filter matches substrings: `app-old` is a candidate, not a match.
    let list = mock_network_list(
        &api,
        "fr-par",
        "app",
        json!([private_network(OTHER_NETWORK_ID, "app-old", "fr-par")]),
    )
    .await;
    let create = api
        .on(POST, vpc("/private-networks"))
        .json(json!({"name": "app", "project_id": PROJECT}))
        .reply(200, private_network(NETWORK_ID, "app", "fr-par"))
        .mount()
        .await;
    api.seal().await;

    let network = api.provider().find_or_create_network("app").await.unwrap();

    assert_eq!(network.id, NETWORK_ID);
    assert_eq!(network.name, "app");
    assert_eq!(network.ip_range.as_deref(), Some("172.16.4.0/22"));
    list.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    assert_eq!(
        api.lines(),
        [
            "GET /vpc/v2/regions/fr-par/private-networks",
            "POST /vpc/v2/regions/fr-par/private-networks"
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn test_find_or_create_network_returns_existing() {
    let api = Api::start().await;
    let list = mock_network_list(
        &api,
        "fr-par",
        "app",
        json!([
            private_network(OTHER_NETWORK_ID, "app-old", "fr-par"),
            private_network(NETWORK_ID, "app", "fr-par"),
        ]),
    )
    .await;
    api.seal().await;

    let network = api.provider().find_or_create_network("app").await.unwrap();

    assert_eq!(network.id, NETWORK_ID);
    assert_eq!(network.name, "app");
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_get_network_by_name_raises_when_missing() {
    let api = Api::start().await;
    let list = mock_network_list(
        &api,
        "fr-par",
        "app",
        json!([private_network(OTHER_NETWORK_ID, "app-old", "fr-par")]),
    )
    .await;
    api.seal().await;

    let err = api.provider().get_network_by_name("app").await.unwrap_err();

    match &err {
        ProviderError::NotFound { kind, name } => {
            assert_eq!(*kind, "network");
            assert_eq!(name, "app");
        }
        other => panic!("expected NotFound, got {other:?}"),
    }
    assert!(err.is_not_found());
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_network() {
    let api = Api::start().await;
    let get = api
        .on(GET, vpc(&format!("/private-networks/{NETWORK_ID}")))
        .reply(200, private_network(NETWORK_ID, "app", "fr-par"))
        .mount()
        .await;
    // The server has a NIC on this network and one on another: only the first goes.
    let mut member = web_server(
        "running",
        json!([
            private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available"),
            private_nic(OTHER_NIC_ID, SERVER_ID, OTHER_NETWORK_ID, "available"),
        ]),
    );
    member["tags"] = json!([]);
    // The network is regional: a server of fr-par-2 is attached too, fr-par-3 has none.
    let mut neighbour = web_server(
        "stopped",
        json!([private_nic(
            OTHER_NIC_ID,
            OTHER_SERVER_ID,
            NETWORK_ID,
            "available"
        )]),
    );
    neighbour["id"] = json!(OTHER_SERVER_ID);
    neighbour["zone"] = json!("fr-par-2");
    let mut members = Vec::new();
    for (zone, servers) in [
        ("fr-par-1", json!([member])),
        ("fr-par-2", json!([neighbour])),
        ("fr-par-3", json!([])),
    ] {
        let total = servers.as_array().unwrap().len();
        members.push(
            api.on(GET, format!("/instance/v1/zones/{zone}/servers"))
                .query(&[
                    ("project", PROJECT),
                    ("private_network", NETWORK_ID),
                    ("page", "1"),
                    ("per_page", "100"),
                ])
                .total(total as u64)
                .reply(200, json!({ "servers": servers }))
                .mount()
                .await,
        );
    }
    let delete_nic = api
        .on(
            DELETE,
            inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}")),
        )
        .status(204)
        .mount()
        .await;
    let delete_neighbour_nic = api
        .on(
            DELETE,
            format!("/instance/v1/zones/fr-par-2/servers/{OTHER_SERVER_ID}/private_nics/{OTHER_NIC_ID}"),
        )
        .status(204)
        .mount()
        .await;
    let delete = api
        .on(DELETE, vpc(&format!("/private-networks/{NETWORK_ID}")))
        .status(204)
        .mount()
        .await;
    api.seal().await;

    api.provider().delete_network(NETWORK_ID).await.unwrap();

    get.assert_calls_async(1).await;
    for list in &members {
        list.assert_calls_async(1).await;
    }
    delete_nic.assert_calls_async(1).await;
    delete_neighbour_nic.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    assert_eq!(
        api.lines(),
        [
            format!("GET /vpc/v2/regions/fr-par/private-networks/{NETWORK_ID}"),
            "GET /instance/v1/zones/fr-par-1/servers".to_string(),
            format!("DELETE /instance/v1/zones/fr-par-1/servers/{SERVER_ID}/private_nics/{NIC_ID}"),
            "GET /instance/v1/zones/fr-par-2/servers".to_string(),
            format!(
                "DELETE /instance/v1/zones/fr-par-2/servers/{OTHER_SERVER_ID}/private_nics/{OTHER_NIC_ID}"
            ),
            "GET /instance/v1/zones/fr-par-3/servers".to_string(),
            format!("DELETE /vpc/v2/regions/fr-par/private-networks/{NETWORK_ID}"),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn test_delete_network_tries_again_while_it_still_counts_a_removed_nic() {
    let api = Api::start().await;
    api.on(GET, vpc(&format!("/private-networks/{NETWORK_ID}")))
        .reply(200, private_network(NETWORK_ID, "app", "fr-par"))
        .mount()
        .await;
    for (zone, servers) in [
        (
            "fr-par-1",
            json!([web_server(
                "running",
                json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")])
            )]),
        ),
        ("fr-par-2", json!([])),
        ("fr-par-3", json!([])),
    ] {
        let total = servers.as_array().unwrap().len() as u64;
        api.on(GET, format!("/instance/v1/zones/{zone}/servers"))
            .query(&[
                ("project", PROJECT),
                ("private_network", NETWORK_ID),
                ("page", "1"),
                ("per_page", "100"),
            ])
            .total(total)
            .reply(200, json!({ "servers": servers }))
            .mount()
            .await;
    }
    let delete_nic = api
        .on(
            DELETE,
            inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}")),
        )
        .status(204)
        .mount()
        .await;
    let path = vpc(&format!("/private-networks/{NETWORK_ID}"));
    let still_counted = api
        .on(DELETE, &path)
        .reply(
            412,
            json!({"type": "precondition_failed", "message": "precondition is not respected", "precondition": "resource_still_in_use", "help_message": "Private Network must be empty to be deleted"}),
        )
        .times(1)
        .mount()
        .await;
    let deleted = api.on(DELETE, &path).status(204).mount().await;
    api.seal().await;

    api.provider().delete_network(NETWORK_ID).await.unwrap();

    delete_nic.assert_calls_async(1).await;
    still_counted.assert_calls_async(1).await;
    deleted.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_network_still_in_use_is_reported() {
    let api = Api::start().await;
    api.on(GET, vpc(&format!("/private-networks/{NETWORK_ID}")))
        .reply(200, private_network(NETWORK_ID, "app", "fr-par"))
        .mount()
        .await;
    for zone in ["fr-par-1", "fr-par-2", "fr-par-3"] {
        api.on(GET, format!("/instance/v1/zones/{zone}/servers"))
            .query(&[
                ("project", PROJECT),
                ("private_network", NETWORK_ID),
                ("page", "1"),
                ("per_page", "100"),
            ])
            .total(0)
            .reply(200, json!({"servers": []}))
            .mount()
            .await;
    }
    // No server is attached, but another product (a database, a load balancer) still is.
    let delete = api
        .on(DELETE, vpc(&format!("/private-networks/{NETWORK_ID}")))
        .reply(
            412,
            json!({"type": "precondition_failed", "message": "precondition is not respected", "precondition": "resource_still_in_use", "help_message": "Private Network must be empty to be deleted"}),
        )
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().delete_network(NETWORK_ID).await.unwrap_err();

    match err {
        ProviderError::InUse { kind, id, users } => {
            assert_eq!(kind, "network");
            assert_eq!(id, NETWORK_ID);
            assert_eq!(users, ["Private Network must be empty to be deleted"]);
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    delete.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_network_already_gone() {
    let api = Api::start().await;
    let get = api
        .on(GET, vpc(&format!("/private-networks/{NETWORK_ID}")))
        .not_found("private_network", NETWORK_ID)
        .mount()
        .await;
    api.seal().await;

    api.provider().delete_network(NETWORK_ID).await.unwrap();

    get.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Firewalls

async fn mock_group_list<'a>(api: &'a Api, name: &str, found: Value) -> httpmock::Mock<'a> {
    let total = found.as_array().unwrap().len() as u64;
    api.on(GET, inst("/security_groups"))
        .query(&[
            ("project", PROJECT),
            ("name", name),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(total)
        .reply(200, json!({"security_groups": found}))
        .mount()
        .await
}

#[tokio::test]
async fn test_find_or_create_firewall_creates_with_ssh_rule() {
    let api = Api::start().await;
    let list = mock_group_list(&api, "app", json!([])).await;
    let create = api
        .on(POST, inst("/security_groups"))
        .json(json!({
            "name": "app",
            "project": PROJECT,
            "stateful": true,
            "inbound_default_policy": "drop",
            "outbound_default_policy": "accept",
            "enable_default_security": true,
        }))
        .reply(
            201,
            json!({"security_group": security_group(GROUP_ID, "app", json!([]))}),
        )
        .mount()
        .await;
    let mut rule = recorded("instance/v1/test-api-update-security-group-rule.cassette.yaml", 1);
    rule["rule"]["ip_range"] = json!("0.0.0.0/0");
    rule["rule"]["dest_port_from"] = json!(22);
    rule["rule"]["dest_port_to"] = Value::Null;
    let ssh = api
        .on(POST, inst(&format!("/security_groups/{GROUP_ID}/rules")))
        .json(json!({
            "protocol": "TCP",
            "direction": "inbound",
            "action": "accept",
            "ip_range": "0.0.0.0/0",
            "dest_port_from": 22,
        }))
        .reply(201, rule)
        .mount()
        .await;
    api.seal().await;

    let firewall = api.provider().find_or_create_firewall("app").await.unwrap();

    assert_eq!(firewall.id, GROUP_ID);
    assert_eq!(firewall.name, "app");
    list.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    ssh.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_find_or_create_firewall_removes_group_when_ssh_rule_fails() {
    let api = Api::start().await;
    mock_group_list(&api, "app", json!([])).await;
    let create = api
        .on(POST, inst("/security_groups"))
        .json_where(|body| body["name"] == "app" && body["inbound_default_policy"] == "drop")
        .reply(
            201,
            json!({"security_group": security_group(GROUP_ID, "app", json!([]))}),
        )
        .mount()
        .await;
    let ssh = api
        .on(POST, inst(&format!("/security_groups/{GROUP_ID}/rules")))
        .json_where(|body| body["dest_port_from"] == 22)
        .reply(
            400,
            json!({"type": "invalid_arguments", "message": "invalid argument(s)", "details": [{"argument_name": "ip_range", "reason": "constraint", "help_message": "invalid"}]}),
        )
        .mount()
        .await;
    // A group without its SSH rule would lock the user out: it is removed.
    let delete = api
        .on(DELETE, inst(&format!("/security_groups/{GROUP_ID}")))
        .status(204)
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().find_or_create_firewall("app").await.unwrap_err();

    assert!(
        matches!(
            &err,
            ProviderError::Api {
                status: Some(400),
                ..
            }
        ),
        "{err:?}"
    );
    create.assert_calls_async(1).await;
    ssh.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_ambiguous_firewall_create_still_adds_the_ssh_rule() {
    let api = Api::start().await;
    let path = inst("/security_groups");
    let query = [
        ("project", PROJECT),
        ("name", "app"),
        ("page", "1"),
        ("per_page", "100"),
    ];
    let missing = api
        .on(GET, &path)
        .query(&query)
        .total(0)
        .reply(200, json!({"security_groups": []}))
        .times(1)
        .mount()
        .await;
    // The answer is lost, but the group was created.
    let create = api
        .on(POST, &path)
        .json_where(|body| body["name"] == "app" && body["inbound_default_policy"] == "drop")
        .reply(
            500,
            json!({"type": "internal_error", "message": "internal error"}),
        )
        .mount()
        .await;
    let found = api
        .on(GET, &path)
        .query(&query)
        .total(1)
        .reply(
            200,
            json!({"security_groups": [security_group(GROUP_ID, "app", json!([]))]}),
        )
        .mount()
        .await;
    let ssh = api
        .on(POST, inst(&format!("/security_groups/{GROUP_ID}/rules")))
        .json(json!({
            "protocol": "TCP",
            "direction": "inbound",
            "action": "accept",
            "ip_range": "0.0.0.0/0",
            "dest_port_from": 22,
        }))
        .reply(
            201,
            recorded("instance/v1/test-api-update-security-group-rule.cassette.yaml", 1),
        )
        .mount()
        .await;
    api.seal().await;

    let firewall = api.provider().find_or_create_firewall("app").await.unwrap();

    assert_eq!(firewall.id, GROUP_ID);
    missing.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    found.assert_calls_async(1).await;
    // Without it the group drops all inbound traffic, SSH included.
    ssh.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_find_or_create_firewall_returns_existing() {
    let api = Api::start().await;
    let list = mock_group_list(
        &api,
        "app",
        json!([
            security_group(OTHER_NETWORK_ID, "app-staging", json!([])),
            security_group(GROUP_ID, "app", json!([])),
        ]),
    )
    .await;
    api.seal().await;

    let firewall = api.provider().find_or_create_firewall("app").await.unwrap();

    assert_eq!(firewall.id, GROUP_ID);
    assert_eq!(firewall.name, "app");
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_firewall() {
    let api = Api::start().await;
    let get = api
        .on(GET, inst(&format!("/security_groups/{GROUP_ID}")))
        .reply(
            200,
            json!({"security_group": security_group(GROUP_ID, "app", json!([]))}),
        )
        .mount()
        .await;
    let delete = api
        .on(DELETE, inst(&format!("/security_groups/{GROUP_ID}")))
        .status(204)
        .mount()
        .await;
    api.seal().await;

    api.provider().delete_firewall(GROUP_ID).await.unwrap();

    get.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_firewall_in_use_names_its_servers() {
    let api = Api::start().await;
    let get = api
        .on(GET, inst(&format!("/security_groups/{GROUP_ID}")))
        .reply(
            200,
            json!({"security_group": security_group(GROUP_ID, "app", json!([{"id": SERVER_ID, "name": "web-1"}]))}),
        )
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().delete_firewall(GROUP_ID).await.unwrap_err();

    match err {
        ProviderError::InUse { kind, id, users } => {
            assert_eq!(kind, "firewall");
            assert_eq!(id, GROUP_ID);
            assert_eq!(users, [format!("server web-1 ({SERVER_ID})")]);
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    get.assert_calls_async(1).await;
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Servers: lookups

fn with_public_ip(mut server: Value, address: &str) -> Value {
    let ip = json!({
        "id": "f9bd0bd2-9ce4-4e4b-8d2f-0b4f6e0c0f3e",
        "address": address,
        "dynamic": false,
        "gateway": "62.210.0.1",
        "netmask": "32",
        "family": "inet",
        "provisioning_mode": "dhcp",
        "tags": [],
        "state": "attached",
        "ipam_id": "f9bd0bd2-9ce4-4e4b-8d2f-0b4f6e0c0f3e",
    });
    server["public_ip"] = ip.clone();
    server["public_ips"] = json!([ip]);
    server
}

#[tokio::test]
async fn test_find_server() {
    let api = Api::start().await;
    let found = api
        .on(GET, inst("/servers"))
        .query(&[
            ("project", PROJECT),
            ("name", "web-1"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(2)
        .reply(
            200,
            json!({"servers": [
                server(OTHER_SERVER_ID, "web-10", "running"),
                with_public_ip(web_server("running", json!([])), "51.15.200.10"),
            ]}),
        )
        .mount()
        .await;
    let missing = api
        .on(GET, inst("/servers"))
        .query(&[
            ("project", PROJECT),
            ("name", "db-1"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(0)
        .reply(200, json!({"servers": []}))
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    let server = provider
        .find_server("web-1")
        .await
        .unwrap()
        .expect("web-1 exists");
    assert_eq!(server.id, SERVER_ID);
    assert_eq!(server.name, "web-1");
    assert_eq!(server.status, ServerStatus::Running);
    assert_eq!(server.provider_status, "running");
    assert_eq!(server.public_ipv4.as_deref(), Some("51.15.200.10"));
    assert_eq!(server.tags, ["app=web"]);
    assert_eq!(server.zone, "fr-par-1");
    assert_eq!(provider.find_server("db-1").await.unwrap(), None);

    found.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_find_server_compares_names_exactly_across_pages() {
    let api = Api::start().await;
    // A full first page of names that contain `web-1` without being it, then the right one.
    let first: Vec<Value> = (10..20)
        .chain(100..190)
        .map(|n| {
            server(
                &format!("00000000-0000-4000-8000-{n:012}"),
                &format!("web-{n}"),
                "running",
            )
        })
        .collect();
    assert_eq!(first.len(), 100);
    let query = |page: &'static str| {
        [
            ("project", PROJECT),
            ("name", "web-1"),
            ("page", page),
            ("per_page", "100"),
        ]
    };
    let page1 = api
        .on(GET, inst("/servers"))
        .query(&query("1"))
        .total(101)
        .reply(200, json!({"servers": first}))
        .mount()
        .await;
    let page2 = api
        .on(GET, inst("/servers"))
        .query(&query("2"))
        .total(101)
        .reply(200, json!({"servers": [web_server("stopped", json!([]))]}))
        .mount()
        .await;
    api.seal().await;

    let server = api
        .provider()
        .find_server("web-1")
        .await
        .unwrap()
        .expect("web-1 is on page 2");

    assert_eq!(server.id, SERVER_ID);
    assert_eq!(server.name, "web-1");
    assert_eq!(server.status, ServerStatus::Stopped);
    page1.assert_calls_async(1).await;
    page2.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_list_servers() {
    let api = Api::start().await;
    let mut stopped = server(OTHER_SERVER_ID, "web-2", "stopped");
    stopped["tags"] = json!([
        "app=web",
        "scaleway-sdk-create=0b0c8e8e-5e0e-4f4e-9a55-3c9bd3d2f6a1"
    ]);
    let list = api
        .on(GET, inst("/servers"))
        .query(&[("project", PROJECT), ("page", "1"), ("per_page", "100")])
        .total(2)
        .reply(
            200,
            json!({"servers": [web_server("running", json!([])), stopped]}),
        )
        .mount()
        .await;
    api.seal().await;

    let servers = api.provider().list_servers().await.unwrap();

    assert_eq!(servers.len(), 2);
    assert_eq!(
        (
            servers[0].id.as_str(),
            servers[0].name.as_str(),
            servers[0].status
        ),
        (SERVER_ID, "web-1", ServerStatus::Running)
    );
    assert_eq!(
        (
            servers[1].id.as_str(),
            servers[1].name.as_str(),
            servers[1].status
        ),
        (OTHER_SERVER_ID, "web-2", ServerStatus::Stopped)
    );
    // The provider's own bookkeeping tag is not the user's.
    assert_eq!(servers[1].tags, ["app=web"]);
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_list_servers_by_tag_and_get_server() {
    let api = Api::start().await;
    let tagged = api
        .on(GET, inst("/servers"))
        .query(&[
            ("project", PROJECT),
            ("tags", "app=web"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(1)
        .reply(200, json!({"servers": [web_server("running", json!([]))]}))
        .mount()
        .await;
    let get = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("stopped", json!([]))}))
        .mount()
        .await;
    let missing = api
        .on(GET, inst(&format!("/servers/{OTHER_SERVER_ID}")))
        .not_found("instance_server", OTHER_SERVER_ID)
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    let servers = provider.list_servers_by_tag("app=web").await.unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].id, SERVER_ID);
    let server = provider.get_server(SERVER_ID).await.unwrap().unwrap();
    assert_eq!(server.status, ServerStatus::Stopped);
    assert_eq!(server.provider_status, "stopped");
    assert_eq!(provider.get_server(OTHER_SERVER_ID).await.unwrap(), None);

    tagged.assert_calls_async(1).await;
    get.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Servers: create

#[tokio::test]
async fn test_create_server() {
    let api = Api::start().await;
    let (products, images) = mock_catalog(&api).await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let user_data = api
        .on(PATCH, inst(&format!("/servers/{SERVER_ID}/user_data/cloud-init")))
        .text(CLOUD_INIT)
        .status(204)
        .mount()
        .await;
    let poweron = mock_poweron(&api, 202).await;
    let get = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let server = api
        .provider()
        .create_server(&ServerOptions {
            user_data: Some(CLOUD_INIT.into()),
            ..web_options()
        })
        .await
        .unwrap();

    assert_eq!(server.id, SERVER_ID);
    assert_eq!(server.name, "web-1");
    assert_eq!(server.status, ServerStatus::Starting);
    assert_eq!(server.tags, ["app=web"]);
    products.assert_calls_async(1).await;
    images.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    user_data.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    get.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_create_server_with_network() {
    let api = Api::start().await;
    let (products, images) = mock_catalog(&api).await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let nic = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/private_nics")))
        .json(json!({"private_network_id": NETWORK_ID}))
        .reply(
            201,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "syncing")}),
        )
        .mount()
        .await;
    let nic_path = inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}"));
    let syncing = api
        .on(GET, &nic_path)
        .reply(
            200,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "syncing")}),
        )
        .times(1)
        .mount()
        .await;
    let available = api
        .on(GET, &nic_path)
        .reply(
            200,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")}),
        )
        .mount()
        .await;
    let poweron = mock_poweron(&api, 202).await;
    let get = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(
            200,
            json!({"server": web_server("starting", json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")]))}),
        )
        .mount()
        .await;
    // The private addresses: one IPAM listing for the server's NICs.
    let addresses = api
        .on(GET, "/ipam/v1/regions/fr-par/ips")
        .query(&[
            ("page", "1"),
            ("page_size", "100"),
            ("resource_ids", NIC_ID),
            ("resource_type", "instance_private_nic"),
        ])
        .reply(
            200,
            nic_addresses(NIC_ID, "172.16.4.2/22", "fd6d:9b51:d4ce:80d5::2/64"),
        )
        .mount()
        .await;
    api.seal().await;

    let server = api
        .provider()
        .create_server(&ServerOptions {
            network_id: Some(NETWORK_ID.into()),
            ..web_options()
        })
        .await
        .unwrap();

    assert_eq!(server.id, SERVER_ID);
    assert_eq!(server.private_ipv4.as_deref(), Some("172.16.4.2"));
    assert_eq!(server.private_ipv6.as_deref(), Some("fd6d:9b51:d4ce:80d5::2"));
    addresses.assert_calls_async(1).await;
    products.assert_calls_async(1).await;
    images.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    nic.assert_calls_async(1).await;
    syncing.assert_calls_async(1).await;
    available.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    get.assert_calls_async(1).await;
    // The server boots only once its NIC is available.
    let lines = api.lines();
    let nic_ready = lines
        .iter()
        .rposition(|l| l == &format!("GET {nic_path}"))
        .unwrap();
    let boot = lines
        .iter()
        .position(|l| l == &format!("POST {}", inst(&format!("/servers/{SERVER_ID}/action"))))
        .unwrap();
    assert!(nic_ready < boot, "{lines:#?}");
    api.finish().await;
}

#[tokio::test]
async fn test_create_server_with_firewall() {
    let api = Api::start().await;
    let (products, images) = mock_catalog(&api).await;
    let mut created = web_server("stopped", json!([]));
    created["security_group"] = json!({"id": GROUP_ID, "name": "app"});
    let create = mock_create(
        &api,
        create_body(&[("security_group", json!(GROUP_ID))]),
        created.clone(),
    )
    .await;
    let poweron = mock_poweron(&api, 202).await;
    created["state"] = json!("starting");
    let get = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": created}))
        .mount()
        .await;
    api.seal().await;

    let server = api
        .provider()
        .create_server(&ServerOptions {
            firewall_id: Some(GROUP_ID.into()),
            ..web_options()
        })
        .await
        .unwrap();

    assert_eq!(server.id, SERVER_ID);
    products.assert_calls_async(1).await;
    images.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    get.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_three_step_create_order() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    api.on(PATCH, inst(&format!("/servers/{SERVER_ID}/user_data/cloud-init")))
        .text(CLOUD_INIT)
        .status(204)
        .mount()
        .await;
    api.on(POST, inst(&format!("/servers/{SERVER_ID}/private_nics")))
        .json(json!({"private_network_id": NETWORK_ID}))
        .reply(
            201,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")}),
        )
        .mount()
        .await;
    mock_poweron(&api, 202).await;
    api.on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    api.provider()
        .create_server(&ServerOptions {
            user_data: Some(CLOUD_INIT.into()),
            network_id: Some(NETWORK_ID.into()),
            ..web_options()
        })
        .await
        .unwrap();

    let server = inst(&format!("/servers/{SERVER_ID}"));
    assert_eq!(
        api.lines(),
        [
            "GET /instance/v1/zones/fr-par-1/products/servers".to_string(),
            "GET /instance/v1/zones/fr-par-1/products/servers".to_string(),
            "GET /marketplace/v2/local-images".to_string(),
            "POST /instance/v1/zones/fr-par-1/servers".to_string(),
            format!("PATCH {server}/user_data/cloud-init"),
            format!("POST {server}/private_nics"),
            format!("POST {server}/action"),
            format!("GET {server}"),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn test_user_data_is_text_plain() {
    let api = Api::start().await;
    // Quotes, a backslash, a tab and non-ASCII: JSON encoding would change every one of them.
    let cloud_init = "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: \"h\u{e9}llo \\ world\"\n\truncmd: [\"echo {\\\"a\\\": 1}\"]\n";
    mock_catalog(&api).await;
    mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let user_data = api
        .on(PATCH, inst(&format!("/servers/{SERVER_ID}/user_data/cloud-init")))
        .text(cloud_init)
        .status(204)
        .mount()
        .await;
    mock_poweron(&api, 202).await;
    api.on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    api.provider()
        .create_server(&ServerOptions {
            user_data: Some(cloud_init.into()),
            ..web_options()
        })
        .await
        .unwrap();

    user_data.assert_calls_async(1).await;
    let patch = api.seen().into_iter().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(patch.content_type.as_deref(), Some("text/plain"));
    assert_eq!(patch.body, cloud_init);
    assert!(patch.query.is_empty());
    api.finish().await;
}

#[tokio::test]
async fn test_image_resolution_picks_compatible_type() {
    let api = Api::start().await;
    let (_, images) = mock_catalog(&api).await;
    // The recorded answer lists an arm64 image first, whose types do not include DEV1-S.
    let listed = recorded(
        "instance/v1/test-api-create-server-image-label-resolution.cassette.yaml",
        6,
    );
    let first = &listed["local_images"][0];
    assert_ne!(first["id"], IMAGE_SBS);
    assert!(
        !first["compatible_commercial_types"]
            .as_array()
            .unwrap()
            .contains(&json!("DEV1-S"))
    );
    assert_eq!(listed["local_images"][1]["id"], IMAGE_SBS);
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    mock_poweron(&api, 202).await;
    api.on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    api.provider().create_server(&web_options()).await.unwrap();

    images.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Servers: waiting

#[tokio::test]
async fn test_wait_for_server_success() {
    let api = Api::start().await;
    let path = inst(&format!("/servers/{SERVER_ID}"));
    let starting = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .times(2)
        .mount()
        .await;
    let running = api
        .on(GET, &path)
        .reply(
            200,
            json!({"server": with_public_ip(web_server("running", json!([])), "51.15.200.10")}),
        )
        .mount()
        .await;
    api.seal().await;

    let server = api.provider().wait_for_server(SERVER_ID, 5).await.unwrap();

    assert_eq!(server.status, ServerStatus::Running);
    assert_eq!(server.public_ipv4.as_deref(), Some("51.15.200.10"));
    starting.assert_calls_async(2).await;
    running.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_wait_for_server_timeout() {
    let api = Api::start().await;
    let starting = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().wait_for_server(SERVER_ID, 3).await.unwrap_err();

    match err {
        ProviderError::Timeout { what, last_state } => {
            assert!(what.contains(SERVER_ID), "{what}");
            assert_eq!(last_state, "starting");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    // `max_attempts` polls, no more.
    starting.assert_calls_async(3).await;
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Servers: delete

/// GET of the server: `first` once, then 404.
async fn mock_server_then_gone<'a>(
    api: &'a Api,
    first: &[Value],
) -> (httpmock::Mock<'a>, httpmock::Mock<'a>) {
    let path = inst(&format!("/servers/{SERVER_ID}"));
    let mut present = None;
    for (i, body) in first.iter().enumerate() {
        let mock = api
            .on(GET, &path)
            .reply(200, json!({"server": body}))
            .times(1)
            .mount()
            .await;
        if i == 0 {
            present = Some(mock);
        }
    }
    let gone = api
        .on(GET, &path)
        .not_found("instance_server", SERVER_ID)
        .mount()
        .await;
    (present.unwrap(), gone)
}

/// The root volume: `detaching` for `detaching` GETs, then available; then its DELETE.
async fn mock_root_volume(api: &Api, detaching: usize) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let path = block(&format!("/volumes/{ROOT_VOLUME}"));
    let name = "Ubuntu 24.04 Noble Numbat_sbs_volume_0";
    if detaching > 0 {
        api.on(GET, &path)
            .reply(
                200,
                block_volume(ROOT_VOLUME, name, "in_use", Some((SERVER_ID, "detaching"))),
            )
            .times(detaching)
            .mount()
            .await;
    }
    let available = api
        .on(GET, &path)
        .reply(200, block_volume(ROOT_VOLUME, name, "available", None))
        .mount()
        .await;
    let delete = api.on(DELETE, &path).status(204).mount().await;
    (available, delete)
}

#[tokio::test]
async fn test_delete_server_cleans_up_nics() {
    let api = Api::start().await;
    let nics = json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")]);
    let (present, gone) = mock_server_then_gone(&api, &[web_server("stopped", nics)]).await;
    let delete_nic = api
        .on(
            DELETE,
            inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}")),
        )
        .status(204)
        .mount()
        .await;
    let delete = api
        .on(DELETE, inst(&format!("/servers/{SERVER_ID}")))
        .status(204)
        .mount()
        .await;
    let (root, delete_root) = mock_root_volume(&api, 0).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    delete_nic.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    root.assert_calls_async(2).await;
    delete_root.assert_calls_async(1).await;
    let lines = api.lines();
    let nic_at = lines.iter().position(|l| l.contains("/private_nics/")).unwrap();
    let server_at = lines
        .iter()
        .position(|l| l == &format!("DELETE {}", inst(&format!("/servers/{SERVER_ID}"))))
        .unwrap();
    assert!(nic_at < server_at, "{lines:#?}");
    api.finish().await;
}

#[tokio::test]
async fn test_delete_running_server_terminates() {
    let api = Api::start().await;
    let mut running = web_server("running", json!([]));
    running["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME), "1": sbs_entry(DATA_VOLUME)});
    let mut terminating = running.clone();
    terminating["state"] = json!("stopping");
    terminating["state_detail"] = json!("terminating");
    terminating["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME)});
    let (present, gone) = mock_server_then_gone(&api, &[running, terminating]).await;
    // The user's volume is detached first, and kept.
    let detach = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/detach-volume")))
        .json(json!({"volume_id": DATA_VOLUME}))
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .mount()
        .await;
    let data = api
        .on(GET, block(&format!("/volumes/{DATA_VOLUME}")))
        .reply(200, block_volume(DATA_VOLUME, "data", "available", None))
        .mount()
        .await;
    let terminate = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "terminate"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    let (root, delete_root) = mock_root_volume(&api, 2).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    detach.assert_calls_async(1).await;
    data.assert_calls_async(1).await;
    terminate.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    let lines = api.lines();
    assert!(!lines.contains(&format!("DELETE {}", inst(&format!("/servers/{SERVER_ID}")))));
    assert!(!lines.contains(&format!("DELETE {}", block(&format!("/volumes/{DATA_VOLUME}")))));
    let detach_at = lines.iter().position(|l| l.ends_with("/detach-volume")).unwrap();
    let terminate_at = lines.iter().position(|l| l.ends_with("/action")).unwrap();
    let delete_root_at = lines.iter().position(|l| l.starts_with("DELETE ")).unwrap();
    assert!(
        detach_at < terminate_at && terminate_at < delete_root_at,
        "{lines:#?}"
    );
    api.finish().await;
}

#[tokio::test]
async fn test_delete_stopped_server_deletes_and_removes_root_volume() {
    let api = Api::start().await;
    let (present, gone) = mock_server_then_gone(&api, &[web_server("stopped", json!([]))]).await;
    let delete = api
        .on(DELETE, inst(&format!("/servers/{SERVER_ID}")))
        .status(204)
        .mount()
        .await;
    let (root, delete_root) = mock_root_volume(&api, 1).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    assert!(!api.lines().iter().any(|l| l.ends_with("/action")));
    api.finish().await;
}

#[tokio::test]
async fn test_delete_server_is_idempotent() {
    let api = Api::start().await;
    let gone = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .not_found("instance_server", SERVER_ID)
        .mount()
        .await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    gone.assert_calls_async(1).await;
    assert_eq!(
        api.lines(),
        [format!("GET {}", inst(&format!("/servers/{SERVER_ID}")))]
    );
    api.finish().await;
}

#[tokio::test]
async fn test_delete_terminating_server_still_removes_root_volume() {
    // An earlier delete was interrupted after `terminate`: the server is going away by itself,
    // but its Block root volume stays, and is billed, unless this delete removes it.
    let api = Api::start().await;
    let mut terminating = web_server("stopping", json!([]));
    terminating["state_detail"] = json!("terminating");
    let (present, gone) = mock_server_then_gone(&api, &[terminating]).await;
    let (root, delete_root) = mock_root_volume(&api, 0).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    root.assert_calls_async(2).await;
    delete_root.assert_calls_async(1).await;
    assert!(!api.lines().iter().any(|l| l.ends_with("/action")));
    api.finish().await;
}

#[tokio::test]
async fn test_delete_starting_server_waits_then_terminates() {
    let api = Api::start().await;
    let (present, gone) = mock_server_then_gone(
        &api,
        &[
            web_server("starting", json!([])),
            web_server("starting", json!([])),
            web_server("running", json!([])),
        ],
    )
    .await;
    let terminate = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "terminate"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    let (root, delete_root) = mock_root_volume(&api, 1).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    terminate.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_power_off_running_server_waits_until_stopped() {
    let api = Api::start().await;
    let path = inst(&format!("/servers/{SERVER_ID}"));
    let running = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .times(1)
        .mount()
        .await;
    let stopping = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("stopping", json!([]))}))
        .times(1)
        .mount()
        .await;
    let stopped = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("stopped", json!([]))}))
        .mount()
        .await;
    let poweroff = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "poweroff"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    provider.power_off(SERVER_ID).await.unwrap();
    // Already stopped: nothing to do.
    provider.power_off(SERVER_ID).await.unwrap();

    running.assert_calls_async(1).await;
    poweroff.assert_calls_async(1).await;
    stopping.assert_calls_async(1).await;
    stopped.assert_calls_async(2).await;
    api.finish().await;
}

#[tokio::test]
async fn test_power_on_a_server_stopping_in_place_powers_it_on_once_stopped_in_place() {
    let api = Api::start().await;
    let path = inst(&format!("/servers/{SERVER_ID}"));
    let mut parking = web_server("stopping", json!([]));
    parking["state_detail"] = json!("stopping in place");
    let mut parked = web_server("stopped in place", json!([]));
    parked["state_detail"] = json!("stopped in place");
    let mut states = Vec::new();
    for server in [parking.clone(), parking, parked] {
        states.push(
            api.on(GET, &path)
                .reply(200, json!({ "server": server }))
                .times(1)
                .mount()
                .await,
        );
    }
    let running = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .mount()
        .await;
    let poweron = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "poweron"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    api.seal().await;

    // A stop in place ends in `stopped in place`, never `stopped`: the wait must not be for that.
    api.provider().power_on(SERVER_ID).await.unwrap();

    for state in &states {
        state.assert_calls_async(1).await;
    }
    poweron.assert_calls_async(1).await;
    running.assert_calls_async(1).await;
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Servers: rollback and ambiguous creates

#[tokio::test]
async fn test_create_server_rolls_back_when_poweron_fails() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let nic = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/private_nics")))
        .json(json!({"private_network_id": NETWORK_ID}))
        .reply(
            201,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")}),
        )
        .mount()
        .await;
    let poweron = mock_poweron(&api, 500).await;
    let nics = json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")]);
    // A 500 may have been applied: after each of the three attempts the server is read and is
    // still stopped; the undo reads it a fourth time.
    let stopped = web_server("stopped", nics);
    let (present, gone) = mock_server_then_gone(
        &api,
        &[stopped.clone(), stopped.clone(), stopped.clone(), stopped],
    )
    .await;
    let delete_nic = api
        .on(
            DELETE,
            inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}")),
        )
        .status(204)
        .mount()
        .await;
    let delete = api
        .on(DELETE, inst(&format!("/servers/{SERVER_ID}")))
        .status(204)
        .mount()
        .await;
    let (root, delete_root) = mock_root_volume(&api, 1).await;
    api.seal().await;

    let err = api
        .provider()
        .create_server(&ServerOptions {
            network_id: Some(NETWORK_ID.into()),
            ..web_options()
        })
        .await
        .unwrap_err();

    match &err {
        ProviderError::Api { status, .. } => assert_eq!(*status, Some(500), "{err}"),
        other => panic!("expected the poweron error, got {other:?}"),
    }
    create.assert_calls_async(1).await;
    nic.assert_calls_async(1).await;
    poweron.assert_calls_async(3).await;
    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    delete_nic.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_create_server_reports_both_errors_when_cleanup_fails() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let poweron = mock_poweron(&api, 500).await;
    let get = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("stopped", json!([]))}))
        .mount()
        .await;
    let delete = api
        .on(DELETE, inst(&format!("/servers/{SERVER_ID}")))
        .reply(
            403,
            json!({"type": "permissions_denied", "message": "insufficient permissions", "details": [{"action": "delete", "resource": "servers"}]}),
        )
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().create_server(&web_options()).await.unwrap_err();

    match &err {
        ProviderError::CleanupFailed { original, cleanup } => {
            assert!(
                matches!(
                    &**original,
                    ProviderError::Api {
                        status: Some(500),
                        ..
                    }
                ),
                "{original:?}"
            );
            assert!(
                matches!(
                    &**cleanup,
                    ProviderError::Api {
                        status: Some(403),
                        ..
                    }
                ),
                "{cleanup:?}"
            );
        }
        other => panic!("expected CleanupFailed, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("internal error") && text.contains("permission denied"),
        "{text}"
    );
    // Three attempts, each followed by a read showing the server still stopped; then the undo.
    poweron.assert_calls_async(3).await;
    get.assert_calls_async(4).await;
    delete.assert_calls_async(1).await;
    api.finish().await;
}

/// GET /servers filtered by the create-token tag.
async fn mock_token_lookup(api: &Api, found: Value) -> httpmock::Mock<'_> {
    let total = found.as_array().unwrap().len() as u64;
    api.on(GET, inst("/servers"))
        .any_query()
        .reply(200, json!({"servers": found}))
        .total(total)
        .mount()
        .await
}

/// The token of the POSTs, and the tags filter of the lookup, from the request log.
fn tokens(api: &Api) -> (Vec<String>, Vec<Vec<(String, String)>>) {
    let seen = api.seen();
    let posts = seen
        .iter()
        .filter(|r| r.method == "POST" && r.path == inst("/servers"))
        .map(|r| token_of(&serde_json::from_str(&r.body).unwrap()).unwrap())
        .collect();
    let lookups = seen
        .iter()
        .filter(|r| r.method == "GET" && r.path == inst("/servers"))
        .map(|r| {
            let mut q = r.query.clone();
            q.sort();
            q
        })
        .collect();
    (posts, lookups)
}

fn lookup_query(token: &str) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = [
        ("page", "1"),
        ("per_page", "100"),
        ("project", PROJECT),
        ("tags", token),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    q.sort();
    q
}

#[tokio::test]
async fn test_ambiguous_create_finds_the_first_server() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    let create = api
        .on(POST, inst("/servers"))
        .json_where(|body| token_of(body).is_some() && without_token(body) == create_body(&[]))
        .reply(
            500,
            json!({"type": "internal_error", "message": "internal error"}),
        )
        .mount()
        .await;
    // The server was created after all; the lookup by token finds it.
    let mut created = web_server("stopped", json!([]));
    created["tags"] = json!([
        "app=web",
        "scaleway-sdk-create=00000000-0000-4000-8000-000000000000"
    ]);
    let lookup = mock_token_lookup(&api, json!([created])).await;
    let poweron = mock_poweron(&api, 202).await;
    api.on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let server = api.provider().create_server(&web_options()).await.unwrap();

    assert_eq!(server.id, SERVER_ID);
    create.assert_calls_async(1).await;
    lookup.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    let (posts, lookups) = tokens(&api);
    assert_eq!(posts.len(), 1);
    assert_eq!(lookups, [lookup_query(&posts[0])]);
    api.finish().await;
}

#[tokio::test]
async fn test_ambiguous_create_retries_once_when_nothing_was_created() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    let failed = api
        .on(POST, inst("/servers"))
        .json_where(|body| token_of(body).is_some() && without_token(body) == create_body(&[]))
        .reply(502, json!({"type": "internal_error", "message": "bad gateway"}))
        .times(1)
        .mount()
        .await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let lookup = mock_token_lookup(&api, json!([])).await;
    let poweron = mock_poweron(&api, 202).await;
    api.on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let server = api.provider().create_server(&web_options()).await.unwrap();

    assert_eq!(server.id, SERVER_ID);
    failed.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    // Twice before the second attempt (at once, then after the lookup delay), once after it
    // for a twin the first attempt might still have made.
    lookup.assert_calls_async(3).await;
    poweron.assert_calls_async(1).await;
    // Both attempts carry the same token, looked up in between.
    let (posts, lookups) = tokens(&api);
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0], posts[1]);
    assert_eq!(lookups, vec![lookup_query(&posts[0]); 3]);
    let lines = api.lines();
    let create_at: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| *l == &format!("POST {}", inst("/servers")))
        .map(|(i, _)| i)
        .collect();
    let lookup_at: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| *l == &format!("GET {}", inst("/servers")))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(lookup_at.len(), 3, "{lines:#?}");
    assert!(
        create_at[0] < lookup_at[0] && lookup_at[1] < create_at[1] && create_at[1] < lookup_at[2],
        "{lines:#?}"
    );
    api.finish().await;
}

#[tokio::test]
async fn test_ambiguous_create_whose_first_attempt_lands_late_leaves_one_server() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    let failed = api
        .on(POST, inst("/servers"))
        .json_where(|body| token_of(body).is_some() && without_token(body) == create_body(&[]))
        .reply(504, json!({"message": "upstream request timeout"}))
        .times(1)
        .mount()
        .await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    // Nothing under the token before the second attempt; after it, the first one shows up too.
    let before = api
        .on(GET, inst("/servers"))
        .any_query()
        .reply(200, json!({"servers": []}))
        .total(0)
        .times(2)
        .mount()
        .await;
    let twin_root = "6a0b7a51-0d2c-4bd8-9d7f-1c2e3f4a5b6c";
    let mut twin = server(OTHER_SERVER_ID, "web-1", "stopped");
    twin["volumes"] = json!({"0": sbs_entry(twin_root)});
    let after = api
        .on(GET, inst("/servers"))
        .any_query()
        .reply(
            200,
            json!({"servers": [web_server("stopped", json!([])), twin.clone()]}),
        )
        .total(2)
        .mount()
        .await;
    let twin_path = inst(&format!("/servers/{OTHER_SERVER_ID}"));
    let twin_present = api
        .on(GET, &twin_path)
        .reply(200, json!({ "server": twin }))
        .times(1)
        .mount()
        .await;
    let twin_gone = api
        .on(GET, &twin_path)
        .not_found("instance_server", OTHER_SERVER_ID)
        .mount()
        .await;
    let twin_delete = api.on(DELETE, &twin_path).status(204).mount().await;
    let root_path = block(&format!("/volumes/{twin_root}"));
    let root = api
        .on(GET, &root_path)
        .reply(200, block_volume(twin_root, "root", "available", None))
        .mount()
        .await;
    let root_delete = api.on(DELETE, &root_path).status(204).mount().await;
    let poweron = mock_poweron(&api, 202).await;
    api.on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let created = api.provider().create_server(&web_options()).await.unwrap();

    assert_eq!(created.id, SERVER_ID);
    failed.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    before.assert_calls_async(2).await;
    after.assert_calls_async(1).await;
    twin_present.assert_calls_async(1).await;
    twin_delete.assert_calls_async(1).await;
    assert!(twin_gone.calls_async().await >= 1);
    // Read, then seen detached, then deleted.
    root.assert_calls_async(2).await;
    root_delete.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Volumes

#[tokio::test]
async fn test_create_volume() {
    let api = Api::start().await;
    let mut creating = recorded("block/data-source-snapshot-basic.cassette.yaml", 0);
    creating["id"] = json!(DATA_VOLUME);
    creating["name"] = json!("data");
    creating["project_id"] = json!(PROJECT);
    let create = api
        .on(POST, block("/volumes"))
        .json_where(data_volume_body)
        .reply(200, creating.clone())
        .mount()
        .await;
    let path = block(&format!("/volumes/{DATA_VOLUME}"));
    let still_creating = api.on(GET, &path).reply(200, creating).times(1).mount().await;
    let available = api
        .on(GET, &path)
        .reply(200, block_volume(DATA_VOLUME, "data", "available", None))
        .mount()
        .await;
    api.seal().await;

    let volume = api
        .provider()
        .create_volume(&VolumeOptions {
            name: "data".into(),
            size_gb: 10,
            server_id: None,
            iops: None,
            tier: None,
        })
        .await
        .unwrap();

    assert_eq!(volume.id, DATA_VOLUME);
    assert_eq!(volume.name, "data");
    assert_eq!(volume.size_gb, 10);
    assert_eq!(volume.status, VolumeStatus::Available);
    assert_eq!(volume.location, "fr-par-1");
    assert_eq!(volume.server_id, None);
    assert_eq!(volume.device_path, None);
    create.assert_calls_async(1).await;
    still_creating.assert_calls_async(1).await;
    available.assert_calls_async(1).await;
    api.finish().await;
}

/// The create-token tag of a volume create body: its only tag.
fn volume_token(body: &Value) -> Option<String> {
    match body["tags"].as_array().map(Vec::as_slice) {
        Some([Value::String(tag)]) => token_of(&json!({"tags": [tag]})),
        _ => None,
    }
}

fn data_volume_body(body: &Value) -> bool {
    let mut rest = body.clone();
    rest.as_object_mut().unwrap().remove("tags");
    volume_token(body).is_some()
        && rest
            == json!({
                "name": "data",
                "perf_iops": 5000,
                "project_id": PROJECT,
                "from_empty": {"size": 10_000_000_000u64},
            })
}

#[tokio::test]
async fn test_ambiguous_volume_create_never_adopts_an_older_namesake() {
    let api = Api::start().await;
    let create = api
        .on(POST, block("/volumes"))
        .json_where(data_volume_body)
        .reply(
            500,
            json!({"type": "internal_error", "message": "internal error"}),
        )
        .mount()
        .await;
    // Block names are not unique: someone's older `data` volume, in use.
    let by_name = api
        .on(GET, block("/volumes"))
        .query_where(|q| q.iter().any(|(k, _)| k == "name"))
        .reply(
            200,
            json!({"volumes": [block_volume(ROOT_VOLUME, "data", "in_use", Some((OTHER_SERVER_ID, "attached")))], "total_count": 1}),
        )
        .mount()
        .await;
    // Nothing carries this request's token: nothing was created.
    let by_token = api
        .on(GET, block("/volumes"))
        .query_where(|q| {
            q.iter()
                .any(|(k, v)| k == "tags" && v.starts_with("scaleway-sdk-create="))
        })
        .reply(200, json!({"volumes": [], "total_count": 0}))
        .mount()
        .await;
    api.seal().await;

    let err = api
        .provider()
        .create_volume(&volume_options("data", 10))
        .await
        .unwrap_err();

    assert!(
        matches!(
            &err,
            ProviderError::Api {
                status: Some(500),
                ..
            }
        ),
        "{err:?}"
    );
    // Not found under its token after each attempt: sent three times, never adopted by name.
    create.assert_calls_async(3).await;
    by_name.assert_calls_async(0).await;
    by_token.assert_calls_async(3).await;
    let seen = api.seen();
    let token = volume_token(&serde_json::from_str(&seen[0].body).unwrap()).unwrap();
    let mut query = seen[1].query.clone();
    query.sort();
    assert_eq!(
        query,
        [
            ("page".to_string(), "1".to_string()),
            ("page_size".to_string(), "1".to_string()),
            ("project_id".to_string(), PROJECT.to_string()),
            ("tags".to_string(), token),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn test_ambiguous_volume_create_finds_its_own_volume() {
    let api = Api::start().await;
    let create = api
        .on(POST, block("/volumes"))
        .json_where(data_volume_body)
        .reply(
            504,
            json!({"type": "internal_error", "message": "gateway timeout"}),
        )
        .mount()
        .await;
    let by_token = api
        .on(GET, block("/volumes"))
        .query_where(|q| {
            q.iter()
                .any(|(k, v)| k == "tags" && v.starts_with("scaleway-sdk-create="))
        })
        .reply(
            200,
            json!({"volumes": [block_volume(DATA_VOLUME, "data", "creating", None)], "total_count": 1}),
        )
        .mount()
        .await;
    let ready = api
        .on(GET, block(&format!("/volumes/{DATA_VOLUME}")))
        .reply(200, block_volume(DATA_VOLUME, "data", "available", None))
        .mount()
        .await;
    api.seal().await;

    let volume = api
        .provider()
        .create_volume(&volume_options("data", 10))
        .await
        .unwrap();

    assert_eq!(volume.id, DATA_VOLUME);
    assert_eq!(volume.status, VolumeStatus::Available);
    create.assert_calls_async(1).await;
    by_token.assert_calls_async(1).await;
    ready.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_attach_volume() {
    let api = Api::start().await;
    let path = block(&format!("/volumes/{DATA_VOLUME}"));
    let free = api
        .on(GET, &path)
        .reply(200, block_volume(DATA_VOLUME, "data", "available", None))
        .times(1)
        .mount()
        .await;
    let attaching = api
        .on(GET, &path)
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "attaching"))),
        )
        .times(1)
        .mount()
        .await;
    let attached = api
        .on(GET, &path)
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "attached"))),
        )
        .mount()
        .await;
    let mut answer = web_server("running", json!([]));
    answer["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME), "1": sbs_entry(DATA_VOLUME)});
    answer["allowed_actions"] = json!([]);
    let attach = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/attach-volume")))
        .json(json!({"volume_id": DATA_VOLUME, "volume_type": "sbs_volume"}))
        .reply(200, json!({"server": answer}))
        .mount()
        .await;
    api.seal().await;

    api.provider()
        .attach_volume(DATA_VOLUME, SERVER_ID)
        .await
        .unwrap();

    free.assert_calls_async(1).await;
    attach.assert_calls_async(1).await;
    attaching.assert_calls_async(1).await;
    attached.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_attach_volume_attached_elsewhere_is_in_use() {
    let api = Api::start().await;
    let get = api
        .on(GET, block(&format!("/volumes/{DATA_VOLUME}")))
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((OTHER_SERVER_ID, "attached"))),
        )
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    let err = provider.attach_volume(DATA_VOLUME, SERVER_ID).await.unwrap_err();
    match err {
        ProviderError::InUse { kind, users, .. } => {
            assert_eq!(kind, "volume");
            assert_eq!(users, [format!("server {OTHER_SERVER_ID}")]);
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    // Already attached where asked: nothing to do.
    provider
        .attach_volume(DATA_VOLUME, OTHER_SERVER_ID)
        .await
        .unwrap();

    get.assert_calls_async(2).await;
    assert!(!api.lines().iter().any(|l| l.ends_with("/attach-volume")));
    api.finish().await;
}

#[tokio::test]
async fn test_attach_volume_waits_for_a_detach_to_finish_first() {
    let api = Api::start().await;
    let path = block(&format!("/volumes/{DATA_VOLUME}"));
    // Being detached from another server: free once that settles, then attached here.
    let mut states = Vec::new();
    for (status, reference) in [
        ("in_use", Some((OTHER_SERVER_ID, "detaching"))),
        ("in_use", Some((OTHER_SERVER_ID, "detaching"))),
        ("available", None),
        ("in_use", Some((SERVER_ID, "attaching"))),
    ] {
        states.push(
            api.on(GET, &path)
                .reply(200, block_volume(DATA_VOLUME, "data", status, reference))
                .times(1)
                .mount()
                .await,
        );
    }
    let attached = api
        .on(GET, &path)
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "attached"))),
        )
        .mount()
        .await;
    let attach = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/attach-volume")))
        .json(json!({"volume_id": DATA_VOLUME, "volume_type": "sbs_volume"}))
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    api.provider()
        .attach_volume(DATA_VOLUME, SERVER_ID)
        .await
        .unwrap();

    for state in &states {
        state.assert_calls_async(1).await;
    }
    attach.assert_calls_async(1).await;
    attached.assert_calls_async(1).await;
    let attach_at = api
        .lines()
        .iter()
        .position(|l| l.ends_with("/attach-volume"))
        .unwrap();
    assert_eq!(
        attach_at,
        3,
        "attach only once the volume is free: {:?}",
        api.lines()
    );
    api.finish().await;
}

#[tokio::test]
async fn test_attach_volume_already_on_its_way_is_awaited_not_repeated() {
    let api = Api::start().await;
    let path = block(&format!("/volumes/{DATA_VOLUME}"));
    let attaching = api
        .on(GET, &path)
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "attaching"))),
        )
        .times(2)
        .mount()
        .await;
    let attached = api
        .on(GET, &path)
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "attached"))),
        )
        .mount()
        .await;
    api.seal().await;

    api.provider()
        .attach_volume(DATA_VOLUME, SERVER_ID)
        .await
        .unwrap();

    attaching.assert_calls_async(2).await;
    attached.assert_calls_async(1).await;
    assert!(!api.lines().iter().any(|l| l.ends_with("/attach-volume")));
    api.finish().await;
}

#[tokio::test]
async fn test_detach_volume() {
    let api = Api::start().await;
    let path = block(&format!("/volumes/{DATA_VOLUME}"));
    let attached = api
        .on(GET, &path)
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "attached"))),
        )
        .times(1)
        .mount()
        .await;
    let detaching = api
        .on(GET, &path)
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "detaching"))),
        )
        .times(1)
        .mount()
        .await;
    let free = api
        .on(GET, &path)
        .reply(200, block_volume(DATA_VOLUME, "data", "available", None))
        .mount()
        .await;
    let mut holder = web_server("running", json!([]));
    holder["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME), "1": sbs_entry(DATA_VOLUME)});
    let server = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({ "server": holder }))
        .mount()
        .await;
    let detach = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/detach-volume")))
        .json(json!({"volume_id": DATA_VOLUME}))
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    api.provider().detach_volume(DATA_VOLUME).await.unwrap();

    attached.assert_calls_async(1).await;
    server.assert_calls_async(1).await;
    detach.assert_calls_async(1).await;
    detaching.assert_calls_async(1).await;
    free.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_detach_of_a_volume_already_detaching_waits_without_a_second_detach() {
    let api = Api::start().await;
    let path = block(&format!("/volumes/{DATA_VOLUME}"));
    let detaching = api
        .on(GET, &path)
        .reply(
            200,
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "detaching"))),
        )
        .times(2)
        .mount()
        .await;
    let free = api
        .on(GET, &path)
        .reply(200, block_volume(DATA_VOLUME, "data", "available", None))
        .mount()
        .await;
    api.seal().await;

    api.provider().detach_volume(DATA_VOLUME).await.unwrap();

    detaching.assert_calls_async(2).await;
    free.assert_calls_async(1).await;
    assert!(!api.lines().iter().any(|l| l.ends_with("/detach-volume")));
    api.finish().await;
}

#[tokio::test]
async fn test_detach_of_a_root_volume_is_refused_without_a_detach() {
    let api = Api::start().await;
    let volume = api
        .on(GET, block(&format!("/volumes/{ROOT_VOLUME}")))
        .reply(
            200,
            block_volume(ROOT_VOLUME, "root", "in_use", Some((SERVER_ID, "attached"))),
        )
        .mount()
        .await;
    let server = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().detach_volume(ROOT_VOLUME).await.unwrap_err();

    match &err {
        ProviderError::InvalidInput { field, reason } => {
            assert_eq!(*field, "volume id");
            assert!(reason.contains("root volume of server"), "{reason}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    volume.assert_calls_async(1).await;
    server.assert_calls_async(1).await;
    assert!(!api.lines().iter().any(|l| l.ends_with("/detach-volume")));
    api.finish().await;
}

#[tokio::test]
async fn test_an_expired_volume_counts_as_gone() {
    let api = Api::start().await;
    let expired = api
        .on(GET, block(&format!("/volumes/{DATA_VOLUME}")))
        .reply(
            410,
            json!({"expired_since": "2026-07-01T10:00:00Z", "message": "resource has expired", "resource": "volume", "resource_id": DATA_VOLUME, "type": "expired"}),
        )
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    assert!(provider.get_volume(DATA_VOLUME).await.unwrap().is_none());
    provider.delete_volume(DATA_VOLUME).await.unwrap();

    expired.assert_calls_async(2).await;
    assert!(!api.lines().iter().any(|l| l.starts_with("DELETE")));
    api.finish().await;
}

#[tokio::test]
async fn test_delete_volume() {
    let api = Api::start().await;
    let get = api
        .on(GET, block(&format!("/volumes/{DATA_VOLUME}")))
        .reply(200, block_volume(DATA_VOLUME, "data", "available", None))
        .mount()
        .await;
    let delete = api
        .on(DELETE, block(&format!("/volumes/{DATA_VOLUME}")))
        .status(204)
        .mount()
        .await;
    // An attached volume is refused, without a DELETE.
    let attached = api
        .on(GET, block(&format!("/volumes/{ROOT_VOLUME}")))
        .reply(
            200,
            block_volume(ROOT_VOLUME, "root", "in_use", Some((SERVER_ID, "attached"))),
        )
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    provider.delete_volume(DATA_VOLUME).await.unwrap();
    let err = provider.delete_volume(ROOT_VOLUME).await.unwrap_err();

    match err {
        ProviderError::InUse { kind, id, users } => {
            assert_eq!(kind, "volume");
            assert_eq!(id, ROOT_VOLUME);
            assert_eq!(users, [format!("server {SERVER_ID}")]);
        }
        other => panic!("expected InUse, got {other:?}"),
    }
    get.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    attached.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_get_volume_by_name_compares_exactly() {
    let api = Api::start().await;
    let list = |name: &'static str, found: Value| {
        let total = found.as_array().unwrap().len();
        api.on(GET, block("/volumes"))
            .query(&[
                ("project_id", PROJECT),
                ("name", name),
                ("page", "1"),
                ("page_size", "100"),
            ])
            .reply(200, json!({"volumes": found, "total_count": total}))
            .mount()
    };
    let data = list(
        "data",
        json!([
            block_volume(ROOT_VOLUME, "data-old", "available", None),
            block_volume(DATA_VOLUME, "data", "in_use", Some((SERVER_ID, "attached"))),
        ]),
    )
    .await;
    let logs = list(
        "logs",
        json!([block_volume(ROOT_VOLUME, "logs-2024", "available", None)]),
    )
    .await;
    api.seal().await;
    let provider = api.provider();

    let volume = provider.get_volume_by_name("data").await.unwrap().unwrap();
    assert_eq!(volume.id, DATA_VOLUME);
    assert_eq!(volume.status, VolumeStatus::InUse);
    assert_eq!(volume.server_id.as_deref(), Some(SERVER_ID));
    assert_eq!(provider.get_volume_by_name("logs").await.unwrap(), None);

    data.assert_calls_async(1).await;
    logs.assert_calls_async(1).await;
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Validation

#[tokio::test]
async fn test_validate_instance_type_valid() {
    let api = Api::start().await;
    let products = mock_products(&api, "fr-par-1").await;
    api.seal().await;
    let provider = api.provider();

    provider.validate_instance_type("DEV1-S").await.unwrap();
    // On the second page, and from the cache: the catalogue is read once.
    provider.validate_instance_type("PRO2-XS").await.unwrap();

    products.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 2);
    api.finish().await;
}

#[tokio::test]
async fn test_validate_instance_type_invalid() {
    let api = Api::start().await;
    mock_products(&api, "fr-par-1").await;
    api.seal().await;

    let err = api
        .provider()
        .validate_instance_type("DEV1-XXL")
        .await
        .unwrap_err();

    match err {
        ProviderError::InvalidInput { field, reason } => {
            assert_eq!(field, "instance type");
            assert!(
                reason.contains("DEV1-XXL") && reason.contains("fr-par-1"),
                "{reason}"
            );
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert_eq!(api.seen().len(), 2);
    api.finish().await;
}

#[tokio::test]
async fn test_validate_region_valid() {
    let api = Api::start().await;
    api.seal().await;
    let provider = api.provider();

    for zone in [
        "fr-par-1", "fr-par-2", "fr-par-3", "nl-ams-1", "nl-ams-3", "pl-waw-1", "pl-waw-3",
    ] {
        provider
            .validate_region(zone)
            .await
            .unwrap_or_else(|e| panic!("{zone}: {e}"));
    }

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_validate_region_invalid() {
    let api = Api::start().await;
    api.seal().await;
    let provider = api.provider();

    for zone in ["us-east-1", "fr-par-9", "fr-par", "", "FR-PAR-1x"] {
        assert_invalid(provider.validate_region(zone).await, "zone");
    }

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_validate_credentials_success() {
    let api = Api::start().await;
    let mut body = recorded("account/list-resource-project-by-project-ids.cassette.yaml", 1);
    body["id"] = json!(PROJECT);
    let project = api
        .on(GET, format!("/account/v3/projects/{PROJECT}"))
        .reply(200, body)
        .mount()
        .await;
    api.seal().await;

    api.provider().validate_credentials().await.unwrap();

    project.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_validate_credentials_names_a_project_the_key_cannot_see() {
    let api = Api::start().await;
    let project = api
        .on(GET, format!("/account/v3/projects/{PROJECT}"))
        .not_found("project", PROJECT)
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().validate_credentials().await.unwrap_err();

    match &err {
        ProviderError::InvalidInput { field, reason } => {
            assert_eq!(*field, "project id");
            assert!(reason.contains(PROJECT), "{reason}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    project.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_validate_credentials_failure() {
    let api = Api::start().await;
    let projects = api
        .on(GET, format!("/account/v3/projects/{PROJECT}"))
        .reply(
            401,
            json!({"message": "authentication is denied", "method": "api_key", "reason": "invalid_argument", "type": "denied_authentication"}),
        )
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().validate_credentials().await.unwrap_err();

    assert!(err.is_authentication(), "{err:?}");
    assert!(!err.to_string().contains(SECRET), "{err}");
    assert!(!format!("{err:?}").contains(SECRET), "{err:?}");
    projects.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_sizes_map_to_offered_types() {
    let api = Api::start().await;
    let products = mock_products(&api, "fr-par-1").await;
    let availability = api
        .on(GET, inst("/products/servers/availability"))
        .query(&[("page", "1"), ("per_page", "100")])
        .total(3)
        .reply(
            200,
            json!({"servers": {
                "DEV1-M": {"availability": "available"},
                "DEV1-XL": {"availability": "shortage"},
                "GP1-S": {"availability": "scarce"},
            }}),
        )
        .mount()
        .await;
    api.seal().await;

    let sizes = api.provider().sizes().await.unwrap();

    let (first, _) = product_pages();
    let summary: Vec<(&str, &str, bool, Option<u32>)> = sizes
        .iter()
        .map(|s| (s.name.as_str(), s.instance_type.as_str(), s.available, s.vcpus))
        .collect();
    let cpus = |t: &str| first["servers"][t]["ncpus"].as_u64().map(|n| n as u32);
    assert_eq!(
        summary,
        [
            ("small", "DEV1-M", true, cpus("DEV1-M")),
            ("medium", "DEV1-XL", false, cpus("DEV1-XL")),
            ("large", "GP1-S", true, cpus("GP1-S")),
        ]
    );
    products.assert_calls_async(1).await;
    availability.assert_calls_async(1).await;
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Zones and regions in URLs

#[tokio::test]
async fn test_zone_in_url() {
    let api = Api::start().await;
    let networks = mock_network_list(
        &api,
        "nl-ams",
        "app",
        json!([private_network(NETWORK_ID, "app", "nl-ams")]),
    )
    .await;
    let servers = api
        .on(GET, "/instance/v1/zones/nl-ams-1/servers")
        .query(&[
            ("project", PROJECT),
            ("name", "web-1"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(0)
        .reply(200, json!({"servers": []}))
        .mount()
        .await;
    let mut volume = block_volume(DATA_VOLUME, "data", "available", None);
    volume["zone"] = json!("nl-ams-1");
    let volumes = api
        .on(GET, format!("/block/v1/zones/nl-ams-1/volumes/{DATA_VOLUME}"))
        .reply(200, volume)
        .mount()
        .await;
    let group = api
        .on(
            GET,
            format!("/instance/v1/zones/nl-ams-1/security_groups/{GROUP_ID}"),
        )
        .not_found("instance_security_group", GROUP_ID)
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider_in("nl-ams-1");

    assert_eq!(
        provider.find_or_create_network("app").await.unwrap().id,
        NETWORK_ID
    );
    assert_eq!(provider.find_server("web-1").await.unwrap(), None);
    let found = provider.get_volume(DATA_VOLUME).await.unwrap().unwrap();
    assert_eq!(found.location, "nl-ams-1");
    provider.delete_firewall(GROUP_ID).await.unwrap();

    networks.assert_calls_async(1).await;
    servers.assert_calls_async(1).await;
    volumes.assert_calls_async(1).await;
    group.assert_calls_async(1).await;
    for line in api.lines() {
        assert!(
            line.contains("/zones/nl-ams-1/") || line.contains("/regions/nl-ams/"),
            "{line}"
        );
    }
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Bad input: refused before any request

fn volume_options(name: &str, size_gb: u64) -> VolumeOptions {
    VolumeOptions {
        name: name.into(),
        size_gb,
        server_id: None,
        iops: None,
        tier: None,
    }
}

#[tokio::test]
async fn test_invalid_names_make_no_request() {
    let api = Api::start().await;
    api.seal().await;
    let p = api.provider();

    assert_invalid(p.find_or_create_network("").await, "network name");
    assert_invalid(p.find_or_create_network("   ").await, "network name");
    assert_invalid(p.find_or_create_network("app\n").await, "network name");
    assert_invalid(p.get_network_by_name("a\u{7}b").await, "network name");
    assert_invalid(p.find_or_create_firewall("").await, "firewall name");
    assert_invalid(p.find_or_create_firewall("fw\u{0}").await, "firewall name");
    assert_invalid(p.get_firewall_by_name("\t").await, "firewall name");
    assert_invalid(p.find_server("").await, "server name");
    assert_invalid(p.find_server("web\u{1b}[31m").await, "server name");
    assert_invalid(p.get_volume_by_name("").await, "volume name");
    for name in ["", "web\r1", "web 1", &"w".repeat(64)] {
        assert_invalid(
            p.create_server(&ServerOptions {
                name: name.into(),
                ..web_options()
            })
            .await,
            "server name",
        );
    }
    assert_invalid(p.create_volume(&volume_options("", 10)).await, "volume name");
    assert_invalid(
        p.create_volume(&volume_options("data\n", 10)).await,
        "volume name",
    );
    for image in ["ubuntu 24.04", "../images", "ubuntu_noble;rm"] {
        assert_invalid(
            p.create_server(&ServerOptions {
                image: image.into(),
                ..web_options()
            })
            .await,
            "image",
        );
    }

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_unknown_zone_makes_no_request() {
    let api = Api::start().await;
    api.seal().await;

    assert_invalid(api.provider().validate_region("mars-1").await, "zone");
    assert_invalid(api.provider().validate_region("fr-par-1/../x").await, "zone");

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_invalid_volume_sizes_make_no_request() {
    let api = Api::start().await;
    api.seal().await;
    let p = api.provider();

    assert_invalid(p.create_volume(&volume_options("data", 0)).await, "volume size");
    // Block Storage volumes start at 5 GB.
    assert_invalid(p.create_volume(&volume_options("data", 4)).await, "volume size");
    assert_invalid(
        p.create_volume(&volume_options("data", 10_001)).await,
        "volume size",
    );
    assert_invalid(
        p.create_volume(&volume_options("data", u64::MAX)).await,
        "volume size",
    );
    assert_invalid(
        p.create_volume(&VolumeOptions {
            iops: Some(7000),
            ..volume_options("data", 10)
        })
        .await,
        "volume IOPS",
    );

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_invalid_ids_make_no_request() {
    let api = Api::start().await;
    api.seal().await;
    let p = api.provider();

    // Not UUIDs, or with a `/` that would change the URL.
    let with_slash = format!("{SERVER_ID}/action");
    let traversal = format!("../{}", &SERVER_ID[3..]);
    let braced = format!("{{{SERVER_ID}}}");
    for bad in [
        "web-1",
        "",
        "not-a-uuid",
        with_slash.as_str(),
        traversal.as_str(),
        "a/b",
        braced.as_str(),
    ] {
        assert_invalid(p.get_server(bad).await, "server id");
        assert_invalid(p.delete_server(bad).await, "server id");
        assert_invalid(p.wait_for_server(bad, 3).await, "server id");
        assert_invalid(p.power_on(bad).await, "server id");
        assert_invalid(p.power_off(bad).await, "server id");
        assert_invalid(p.delete_network(bad).await, "network id");
        assert_invalid(p.delete_firewall(bad).await, "firewall id");
        assert_invalid(p.get_volume(bad).await, "volume id");
        assert_invalid(p.delete_volume(bad).await, "volume id");
        assert_invalid(p.detach_volume(bad).await, "volume id");
        assert_invalid(p.attach_volume(bad, SERVER_ID).await, "volume id");
        assert_invalid(p.attach_volume(DATA_VOLUME, bad).await, "server id");
        assert_invalid(
            p.create_server(&ServerOptions {
                network_id: Some(bad.into()),
                ..web_options()
            })
            .await,
            "network id",
        );
        assert_invalid(
            p.create_server(&ServerOptions {
                firewall_id: Some(bad.into()),
                ..web_options()
            })
            .await,
            "firewall id",
        );
        assert_invalid(
            p.create_volume(&VolumeOptions {
                server_id: Some(bad.into()),
                ..volume_options("data", 10)
            })
            .await,
            "server id",
        );
    }

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_oversized_cloud_init_makes_no_request() {
    let api = Api::start().await;
    api.seal().await;

    // One byte over 64 KiB.
    let big = "x".repeat(64 * 1024 + 1);
    assert_invalid(
        api.provider()
            .create_server(&ServerOptions {
                user_data: Some(big),
                ..web_options()
            })
            .await,
        "user data",
    );

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_invalid_tags_make_no_request() {
    let api = Api::start().await;
    api.seal().await;
    let p = api.provider();

    // A comma is the Instance tags filter separator; the create-token prefix is the provider's.
    for tag in ["env=prod,team=web", "", "scaleway-sdk-create=mine"] {
        assert_invalid(
            p.create_server(&ServerOptions {
                tags: vec![tag.into()],
                ..web_options()
            })
            .await,
            "tag",
        );
    }
    assert_invalid(p.list_servers_by_tag("a,b").await, "tag");
    assert_invalid(p.list_servers_by_tag("").await, "tag");

    api.assert_silent();
    api.finish().await;
}

// ---------------------------------------------------------------------------------------------
// Factory

#[test]
fn test_provider_for_unknown_provider() {
    let config = ProviderConfig {
        provider: "aws".into(),
        ..ProviderConfig::default()
    };
    let err = provider_for(&config).err().expect("aws is not a provider");
    assert_eq!(err.to_string(), "unknown provider: aws");
    assert!(matches!(err, ProviderError::UnknownProvider(name) if name == "aws"));
}

#[test]
fn test_provider_config_json_schema() {
    let schema = ProviderConfig::json_schema();
    let properties = schema["properties"].as_object().expect("properties");
    for key in [
        "provider",
        "scaleway_secret_key",
        "scaleway_project_id",
        "scaleway_zone",
    ] {
        assert!(properties.contains_key(key), "{key} missing from {schema:#}");
    }
    assert_eq!(schema["required"], json!(["provider"]));
}

#[test]
fn test_provider_config_debug_never_shows_the_secret_key() {
    let secret = "11111111-2222-4333-8444-555555555555";
    let config = ProviderConfig {
        scaleway_secret_key: Some(secret.into()),
        scaleway_project_id: Some(PROJECT.into()),
        ..ProviderConfig::scaleway()
    };
    let shown = format!("{config:?} {config:#?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(shown.contains(PROJECT), "{shown}");
}

#[tokio::test]
async fn test_a_zone_without_block_storage_boots_from_local_volumes_and_refuses_volumes() {
    let api = Api::start().await;
    api.seal().await;

    // Asked for a Block root where there is none: refused when the provider is made.
    let err = scaleway_sdk::provider::scaleway::ScalewayProvider::with_options(
        api.client("it-mil-1"),
        fast_options(),
    )
    .unwrap_err();
    assert_invalid::<()>(Err(err), "zone");
    // The default provider there boots from local volumes.
    let provider = scaleway_sdk::provider::scaleway::ScalewayProvider::new(api.client("it-mil-1")).unwrap();
    assert!(
        format!("{provider:?}").contains("block_root_volume: false"),
        "{provider:?}"
    );

    assert_invalid(provider.create_volume(&volume_options("data", 10)).await, "zone");
    assert_invalid(provider.get_volume(DATA_VOLUME).await, "zone");
    assert_invalid(provider.get_volume_by_name("data").await, "zone");
    assert_invalid(provider.attach_volume(DATA_VOLUME, SERVER_ID).await, "zone");
    assert_invalid(provider.detach_volume(DATA_VOLUME).await, "zone");
    assert_invalid(provider.delete_volume(DATA_VOLUME).await, "zone");

    api.assert_silent();
    api.finish().await;
}
