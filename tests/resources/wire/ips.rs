//! `Ips`: flexible IPs, reserved with a create token.

use httpmock::prelude::*;
use scaleway_client::Zone;
use scaleway_client::resources::IpKind;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

/// The fixture's flexible IP, of a kind, with tags.
fn flexible_ip(kind: &str, tags: Value) -> Value {
    let mut ip = fixture_body("reserve a flexible IP")["ip"].clone();
    ip["id"] = json!(IP_ID);
    ip["project"] = json!(PROJECT);
    ip["type"] = json!(kind);
    ip["tags"] = tags;
    ip
}

/// A create body: the project, these tags then one create token, and the type.
fn create_body_is(body: &Value, tags: &[&str], kind: &str) -> bool {
    let Some(token) = token_of(body) else { return false };
    let mut expected: Vec<Value> = tags.iter().map(|t| json!(t)).collect();
    expected.push(json!(token));
    *body == json!({"project": PROJECT, "tags": expected, "type": kind})
}

#[tokio::test]
async fn get_returns_the_ip_and_none_when_missing() {
    let api = Api::start().await;
    let found = api
        .on(GET, inst(&format!("/ips/{IP_ID}")))
        .reply(200, json!({"ip": flexible_ip("routed_ipv4", json!([]))}))
        .mount()
        .await;
    let missing = api
        .on(GET, inst(&format!("/ips/{GROUP_ID}")))
        .not_found("instance_ip", GROUP_ID)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    assert_eq!(
        scw.ips().get(IP_ID).await.unwrap().unwrap().id.as_deref(),
        Some(IP_ID)
    );
    assert!(scw.ips().get(GROUP_ID).await.unwrap().is_none());
    found.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn list_by_tag_sends_the_project_and_tag() {
    let api = Api::start().await;
    let list = api
        .on(GET, inst("/ips"))
        .query(&[
            ("project", PROJECT),
            ("tags", "app=web"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(1)
        .reply(
            200,
            json!({"ips": [flexible_ip("routed_ipv4", json!(["app=web"]))]}),
        )
        .mount()
        .await;
    api.seal().await;

    let ips = api.scaleway().ips().list_by_tag("app=web").await.unwrap();

    assert_eq!(ips.len(), 1);
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn create_reserves_ipv4_and_ipv6_with_a_fresh_token_each() {
    let api = Api::start().await;
    let v4 = api
        .on(POST, inst("/ips"))
        .json_where(|body| create_body_is(body, &["app=web"], "routed_ipv4"))
        .reply(201, json!({"ip": flexible_ip("routed_ipv4", json!(["app=web"]))}))
        .mount()
        .await;
    let v6 = api
        .on(POST, "/instance/v1/zones/nl-ams-1/ips")
        .json_where(|body| create_body_is(body, &[], "routed_ipv6"))
        .reply(201, json!({"ip": flexible_ip("routed_ipv6", json!([]))}))
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    let ipv4 = scw
        .ips()
        .create(IpKind::RoutedIpv4, &["app=web".to_string()])
        .await
        .unwrap();
    let ipv6 = scw
        .ips()
        .zone(Zone::NL_AMS_1)
        .create(IpKind::RoutedIpv6, &[])
        .await
        .unwrap();

    assert_eq!(ipv4.id.as_deref(), Some(IP_ID));
    assert_eq!(ipv6.type_.to_string(), "routed_ipv6");
    v4.assert_calls_async(1).await;
    v6.assert_calls_async(1).await;
    let bodies: Vec<Value> = api
        .seen()
        .iter()
        .map(|r| serde_json::from_str(&r.body).unwrap())
        .collect();
    assert_ne!(token_of(&bodies[0]), token_of(&bodies[1]));
    api.finish().await;
}

#[tokio::test]
async fn create_whose_answer_is_lost_finds_its_ip_by_its_token() {
    let api = Api::start().await;
    let create = api
        .on(POST, inst("/ips"))
        .json_where(|body| create_body_is(body, &[], "routed_ipv4"))
        .reply(502, json!({"type": "bad_gateway", "message": "bad gateway"}))
        .mount()
        .await;
    let lookup = api
        .on(GET, inst("/ips"))
        .query_where(|q| {
            q.iter()
                .any(|(k, v)| k == "tags" && v.starts_with("scaleway-client-create="))
        })
        .total(1)
        .reply(200, json!({"ips": [flexible_ip("routed_ipv4", json!([]))]}))
        .mount()
        .await;
    api.seal().await;

    let ip = api
        .scaleway()
        .ips()
        .create(IpKind::RoutedIpv4, &[])
        .await
        .unwrap();

    assert_eq!(ip.id.as_deref(), Some(IP_ID));
    create.assert_calls_async(1).await;
    lookup.assert_calls_async(1).await;
    let seen = api.seen();
    let token = token_of(&serde_json::from_str(&seen[0].body).unwrap()).unwrap();
    let mut query = seen[1].query.clone();
    query.sort();
    let mut expected = vec![
        ("page".to_string(), "1".to_string()),
        ("per_page".to_string(), "100".to_string()),
        ("project".to_string(), PROJECT.to_string()),
        ("tags".to_string(), token),
    ];
    expected.sort();
    assert_eq!(query, expected);
    api.finish().await;
}

#[tokio::test]
async fn delete_releases_the_ip_and_accepts_one_already_gone() {
    let api = Api::start().await;
    let delete = api
        .on(DELETE, inst(&format!("/ips/{IP_ID}")))
        .status(204)
        .mount()
        .await;
    let gone = api
        .on(DELETE, inst(&format!("/ips/{GROUP_ID}")))
        .not_found("instance_ip", GROUP_ID)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    scw.ips().delete(IP_ID).await.unwrap();
    scw.ips().delete(GROUP_ID).await.unwrap();

    delete.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();

    assert_invalid(scw.ips().get(NOT_AN_ID).await, "IP id");
    assert_invalid(scw.ips().delete("../x").await, "IP id");
    assert_invalid(scw.ips().list_by_tag("a,b").await, "tag");
    assert_invalid(scw.ips().list_by_tag("").await, "tag");
    assert_invalid(
        scw.ips().create(IpKind::RoutedIpv4, &["a,b".to_string()]).await,
        "tag",
    );

    api.assert_silent();
    api.finish().await;
}
