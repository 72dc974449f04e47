//! `SecurityGroups`: lookups, find-or-create with inbound rules (undone when a rule fails), and a
//! delete refused while servers use the group.

use futures_util::TryStreamExt;
use httpmock::prelude::*;
use scaleway_client::Zone;
use scaleway_client::api::instance_v1::types::SecurityGroup;
use scaleway_client::resources::SecurityGroupSpec;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

fn group_path() -> String {
    inst(&format!("/security_groups/{GROUP_ID}"))
}

async fn mock_list<'a>(api: &'a Api, name: &str, found: Value) -> httpmock::Mock<'a> {
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

async fn mock_create(api: &Api) -> httpmock::Mock<'_> {
    api.on(POST, inst("/security_groups"))
        .json(json!({
            "name": "web",
            "project": PROJECT,
            "stateful": true,
            "inbound_default_policy": "drop",
            "outbound_default_policy": "accept",
            "enable_default_security": true,
        }))
        .reply(
            201,
            json!({"security_group": security_group(GROUP_ID, "web", json!([]))}),
        )
        .mount()
        .await
}

/// POST of one inbound TCP rule, answered with `status`.
async fn mock_rule<'a>(api: &'a Api, port: u16, range: &str, status: u16) -> httpmock::Mock<'a> {
    let mut rule = fixture_body("add a security group rule");
    rule["rule"]["ip_range"] = json!(range);
    rule["rule"]["dest_port_from"] = json!(port);
    rule["rule"]["dest_port_to"] = Value::Null;
    let answer = if status == 201 {
        rule
    } else {
        json!({"type": "invalid_arguments", "message": "invalid argument(s)", "details": []})
    };
    api.on(POST, format!("{}/rules", group_path()))
        .json(json!({
            "protocol": "TCP",
            "direction": "inbound",
            "action": "accept",
            "ip_range": range,
            "dest_port_from": port,
        }))
        .reply(status, answer)
        .mount()
        .await
}

#[tokio::test]
async fn get_returns_the_group_and_none_when_missing() {
    let api = Api::start().await;
    let found = api
        .on(GET, group_path())
        .reply(
            200,
            json!({"security_group": security_group(GROUP_ID, "web", json!([]))}),
        )
        .mount()
        .await;
    let missing = api
        .on(GET, inst(&format!("/security_groups/{NETWORK_ID}")))
        .not_found("instance_security_group", NETWORK_ID)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    assert_eq!(
        scw.security_groups()
            .get(GROUP_ID)
            .await
            .unwrap()
            .unwrap()
            .name
            .as_deref(),
        Some("web")
    );
    assert!(scw.security_groups().get(NETWORK_ID).await.unwrap().is_none());
    found.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn list_and_find_by_name_compare_names_exactly() {
    let api = Api::start().await;
    let list = mock_list(
        &api,
        "web",
        json!([
            security_group(NETWORK_ID, "web-old", json!([])),
            security_group(GROUP_ID, "web", json!([]))
        ]),
    )
    .await;
    api.seal().await;
    let scw = api.scaleway();
    let groups = scw.security_groups();

    let all: Vec<SecurityGroup> = groups.list(Some("web")).try_collect().await.unwrap();
    let found = groups.find_by_name("web").await.unwrap().unwrap();

    assert_eq!(all.len(), 2);
    assert_eq!(found.id.as_deref(), Some(GROUP_ID));
    list.assert_calls_async(2).await;
    api.finish().await;
}

#[tokio::test]
async fn find_or_create_creates_the_group_then_each_rule() {
    let api = Api::start().await;
    let list = mock_list(&api, "web", json!([])).await;
    let create = mock_create(&api).await;
    let ssh = mock_rule(&api, 22, "0.0.0.0/0", 201).await;
    let https = mock_rule(&api, 443, "10.0.0.0/8", 201).await;
    api.seal().await;
    let spec = SecurityGroupSpec::default().allow_tcp(443, "10.0.0.0/8");

    let group = api
        .scaleway()
        .security_groups()
        .find_or_create("web", &spec)
        .await
        .unwrap();

    assert_eq!(group.id.as_deref(), Some(GROUP_ID));
    for mock in [list, create, ssh, https] {
        mock.assert_calls_async(1).await;
    }
    let rules = format!("POST {}/rules", group_path());
    assert_eq!(
        api.lines(),
        [
            format!("GET {}", inst("/security_groups")),
            format!("POST {}", inst("/security_groups")),
            rules.clone(),
            rules,
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn find_or_create_returns_the_existing_group_without_rules() {
    let api = Api::start().await;
    let list = mock_list(&api, "web", json!([security_group(GROUP_ID, "web", json!([]))])).await;
    api.seal().await;

    let group = api
        .scaleway()
        .security_groups()
        .find_or_create("web", &SecurityGroupSpec::default())
        .await
        .unwrap();

    assert_eq!(group.id.as_deref(), Some(GROUP_ID));
    list.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}

#[tokio::test]
async fn find_or_create_deletes_the_group_when_a_rule_fails() {
    let api = Api::start().await;
    mock_list(&api, "web", json!([])).await;
    let create = mock_create(&api).await;
    let ssh = mock_rule(&api, 22, "0.0.0.0/0", 201).await;
    let refused = mock_rule(&api, 8080, "192.168.0.0/16", 400).await;
    let undo = api.on(DELETE, group_path()).status(204).mount().await;
    api.seal().await;
    let spec = SecurityGroupSpec::default().allow_tcp(8080, "192.168.0.0/16");

    let err = api
        .scaleway()
        .security_groups()
        .find_or_create("web", &spec)
        .await
        .unwrap_err();

    assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    for mock in [create, ssh, refused, undo] {
        mock.assert_calls_async(1).await;
    }
    assert_eq!(api.lines().last().unwrap(), &format!("DELETE {}", group_path()));
    api.finish().await;
}

#[tokio::test]
async fn delete_is_sent_first_and_a_refusal_names_the_servers() {
    let api = Api::start().await;
    let refused = api
        .on(DELETE, group_path())
        .reply(
            400,
            json!({"type": "invalid_request_error", "message": "Group is in use. You cannot delete it."}),
        )
        .times(1)
        .mount()
        .await;
    let used = api
        .on(GET, group_path())
        .reply(
            200,
            json!({"security_group": security_group(GROUP_ID, "web", json!([{"id": SERVER_ID, "name": "web-1"}]))}),
        )
        .mount()
        .await;
    let delete = api.on(DELETE, group_path()).status(204).mount().await;
    api.seal().await;
    let scw = api.scaleway();

    assert_in_use(scw.security_groups().delete(GROUP_ID).await, GROUP_ID, "web-1");
    used.assert_calls_async(1).await;
    delete.assert_calls_async(0).await;
    // Free now: its DELETE alone.
    scw.security_groups().delete(GROUP_ID).await.unwrap();

    refused.assert_calls_async(1).await;
    used.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn the_zone_of_one_call_is_in_the_path() {
    let api = Api::start().await;
    let gone = api
        .on(
            DELETE,
            format!("/instance/v1/zones/fr-par-2/security_groups/{GROUP_ID}"),
        )
        .not_found("instance_security_group", GROUP_ID)
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    scw.security_groups()
        .zone(Zone::FR_PAR_2)
        .delete(GROUP_ID)
        .await
        .unwrap();

    gone.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();
    let groups = scw.security_groups();

    assert_invalid(groups.get(NOT_AN_ID).await, "security group id");
    assert_invalid(groups.find_by_name(" ").await, "security group name");
    assert_invalid(
        groups.find_or_create("", &SecurityGroupSpec::default()).await,
        "security group name",
    );
    let bad_range = SecurityGroupSpec::closed().allow_tcp(22, "anywhere");
    assert_invalid(groups.find_or_create("web", &bad_range).await, "ip range");
    assert_invalid(groups.delete("../x").await, "security group id");

    api.assert_silent();
    api.finish().await;
}
