//! Firewalls: find or create with the SSH rule (undone if the rule fails), delete, in use.

use httpmock::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

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
    let mut rule = fixture_body("add a security group rule");
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
    // A little over a screen: the mocks describe the lost create, the look-up and the rule.
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
        .reply(201, fixture_body("add a security group rule"))
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
    let delete = api
        .on(DELETE, inst(&format!("/security_groups/{GROUP_ID}")))
        .status(204)
        .mount()
        .await;
    api.seal().await;

    api.provider().delete_firewall(GROUP_ID).await.unwrap();

    // The DELETE alone: the API refuses a group in use, and only a refusal is read.
    delete.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}

#[tokio::test]
async fn test_delete_firewall_in_use_names_its_servers() {
    let api = Api::start().await;
    let refused = api
        .on(DELETE, inst(&format!("/security_groups/{GROUP_ID}")))
        .reply(
            400,
            json!({"type": "invalid_request_error", "message": "Group is in use. You cannot delete it."}),
        )
        .mount()
        .await;
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
    refused.assert_calls_async(1).await;
    get.assert_calls_async(1).await;
    api.finish().await;
}
