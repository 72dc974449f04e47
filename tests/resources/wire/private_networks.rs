//! `PrivateNetworks` (VPC v2, regional): lookups, find-or-create, and a delete that first removes
//! the NICs of the project's servers in every zone of the region.

use futures_util::TryStreamExt;
use httpmock::prelude::*;
use scaleway_client::Region;
use scaleway_client::api::vpc_v2::types::PrivateNetwork;
use scaleway_client::resources::NetworkSpec;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

fn network_path(region: &str) -> String {
    format!("/vpc/v2/regions/{region}/private-networks/{NETWORK_ID}")
}

async fn mock_list<'a>(api: &'a Api, name: &str, found: Value) -> httpmock::Mock<'a> {
    let total = found.as_array().unwrap().len();
    api.on(GET, vpc("/private-networks"))
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

/// The servers of each zone of `region` on the network: `servers` in its first zone, none in
/// the others.
async fn mock_members<'a>(api: &'a Api, region: &str, servers: Value) -> Vec<httpmock::Mock<'a>> {
    let mut mocks = Vec::new();
    for (i, zone) in region.parse::<Region>().unwrap().zones().iter().enumerate() {
        let servers = if i == 0 { servers.clone() } else { json!([]) };
        let total = servers.as_array().unwrap().len() as u64;
        mocks.push(
            api.on(GET, format!("/instance/v1/zones/{zone}/servers"))
                .query(&[
                    ("project", PROJECT),
                    ("private_network", NETWORK_ID),
                    ("page", "1"),
                    ("per_page", "100"),
                ])
                .total(total)
                .reply(200, json!({"servers": servers}))
                .mount()
                .await,
        );
    }
    mocks
}

#[tokio::test]
async fn get_returns_the_network_and_none_when_missing() {
    let api = Api::start().await;
    let found = api
        .on(GET, network_path("fr-par"))
        .reply(200, private_network(NETWORK_ID, "app", "fr-par"))
        .mount()
        .await;
    let missing = api
        .on(GET, vpc(&format!("/private-networks/{OTHER_NETWORK_ID}")))
        .not_found("private_network", OTHER_NETWORK_ID)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    let network = scw.private_networks().get(NETWORK_ID).await.unwrap().unwrap();

    assert_eq!(network.name.as_deref(), Some("app"));
    assert!(
        scw.private_networks()
            .get(OTHER_NETWORK_ID)
            .await
            .unwrap()
            .is_none()
    );
    found.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn list_without_a_name_sends_the_project_only() {
    let api = Api::start().await;
    let list = api
        .on(GET, vpc("/private-networks"))
        .query(&[("project_id", PROJECT), ("page", "1"), ("page_size", "100")])
        .reply(
            200,
            json!({"private_networks": [private_network(NETWORK_ID, "app", "fr-par")], "total_count": 1}),
        )
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    let networks = scw.private_networks();

    let all: Vec<PrivateNetwork> = networks.list(None).try_collect().await.unwrap();

    assert_eq!(all.len(), 1);
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn find_by_name_compares_names_exactly() {
    let api = Api::start().await;
    let list = mock_list(
        &api,
        "app",
        json!([private_network(OTHER_NETWORK_ID, "app-old", "fr-par")]),
    )
    .await;
    api.seal().await;

    assert!(
        api.scaleway()
            .private_networks()
            .find_by_name("app")
            .await
            .unwrap()
            .is_none()
    );

    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn find_or_create_creates_with_the_spec_when_missing() {
    let api = Api::start().await;
    let list = mock_list(
        &api,
        "app",
        json!([private_network(OTHER_NETWORK_ID, "app-old", "fr-par")]),
    )
    .await;
    let create = api
        .on(POST, vpc("/private-networks"))
        .json(json!({
            "name": "app",
            "project_id": PROJECT,
            "tags": ["env=test"],
            "vpc_id": VPC_ID,
            "subnets": ["10.0.0.0/24"],
        }))
        .reply(200, private_network(NETWORK_ID, "app", "fr-par"))
        .mount()
        .await;
    api.seal().await;
    let spec = NetworkSpec {
        subnet: Some("10.0.0.0/24".into()),
        vpc_id: Some(VPC_ID.into()),
        tags: vec!["env=test".into()],
    };

    let network = api
        .scaleway()
        .private_networks()
        .find_or_create("app", &spec)
        .await
        .unwrap();

    assert_eq!(network.id.as_deref(), Some(NETWORK_ID));
    list.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    assert_eq!(api.lines()[1], "POST /vpc/v2/regions/fr-par/private-networks");
    api.finish().await;
}

#[tokio::test]
async fn find_or_create_returns_the_existing_network() {
    let api = Api::start().await;
    let list = mock_list(&api, "app", json!([private_network(NETWORK_ID, "app", "fr-par")])).await;
    api.seal().await;

    let network = api
        .scaleway()
        .private_networks()
        .find_or_create("app", &NetworkSpec::default())
        .await
        .unwrap();

    assert_eq!(network.id.as_deref(), Some(NETWORK_ID));
    list.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}

#[tokio::test]
async fn find_or_create_whose_answer_is_lost_finds_the_network_by_name() {
    let api = Api::start().await;
    let missing = api
        .on(GET, vpc("/private-networks"))
        .query(&[
            ("project_id", PROJECT),
            ("name", "app"),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .reply(200, json!({"private_networks": [], "total_count": 0}))
        .times(1)
        .mount()
        .await;
    let found = mock_list(&api, "app", json!([private_network(NETWORK_ID, "app", "fr-par")])).await;
    let create = api
        .on(POST, vpc("/private-networks"))
        .json(json!({"name": "app", "project_id": PROJECT}))
        .reply(
            500,
            json!({"type": "internal_error", "message": "internal error"}),
        )
        .mount()
        .await;
    api.seal().await;

    let network = api
        .scaleway()
        .private_networks()
        .find_or_create("app", &NetworkSpec::default())
        .await
        .unwrap();

    assert_eq!(network.id.as_deref(), Some(NETWORK_ID));
    for mock in [missing, create, found] {
        mock.assert_calls_async(1).await;
    }
    api.finish().await;
}

fn still_in_use() -> Value {
    json!({"type": "precondition_failed", "message": "precondition is not respected", "precondition": "resource_still_in_use", "help_message": "Private Network must be empty to be deleted"})
}

#[tokio::test]
async fn delete_of_an_empty_network_is_its_delete_alone() {
    let api = Api::start().await;
    let delete = api.on(DELETE, network_path("fr-par")).status(204).mount().await;
    api.seal().await;

    api.scaleway()
        .private_networks()
        .delete(NETWORK_ID)
        .await
        .unwrap();

    delete.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}

#[tokio::test]
async fn a_delete_refused_for_members_removes_the_nics_in_every_zone_of_the_region_then_deletes() {
    let api = Api::start().await;
    let refused = api
        .on(DELETE, network_path("nl-ams"))
        .reply(412, still_in_use())
        .times(1)
        .mount()
        .await;
    let mut member = server(SERVER_ID, "web-1", "running");
    member["private_nics"] = json!([
        private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available"),
        private_nic(OTHER_NIC_ID, SERVER_ID, OTHER_NETWORK_ID, "available"),
    ]);
    let members = mock_members(&api, "nl-ams", json!([member])).await;
    let nic = format!("/instance/v1/zones/nl-ams-1/servers/{SERVER_ID}/private_nics/{NIC_ID}");
    let delete_nic = api.on(DELETE, &nic).status(204).mount().await;
    let delete = api.on(DELETE, network_path("nl-ams")).status(204).mount().await;
    api.seal().await;

    let scw = api.scaleway();
    scw.private_networks()
        .region(Region::NL_AMS)
        .delete(NETWORK_ID)
        .await
        .unwrap();

    refused.assert_calls_async(1).await;
    for mock in members {
        mock.assert_calls_async(1).await;
    }
    delete_nic.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    assert_eq!(
        api.lines(),
        [
            format!("DELETE {}", network_path("nl-ams")),
            "GET /instance/v1/zones/nl-ams-1/servers".to_string(),
            format!("DELETE {nic}"),
            "GET /instance/v1/zones/nl-ams-2/servers".to_string(),
            "GET /instance/v1/zones/nl-ams-3/servers".to_string(),
            format!("DELETE {}", network_path("nl-ams")),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn delete_of_a_network_used_by_something_else_is_in_use() {
    let api = Api::start().await;
    mock_members(&api, "fr-par", json!([])).await;
    let delete = api
        .on(DELETE, network_path("fr-par"))
        .reply(412, still_in_use())
        .mount()
        .await;
    api.seal().await;

    let result = api.scaleway().private_networks().delete(NETWORK_ID).await;

    assert_in_use(result, NETWORK_ID, "must be empty");
    // Refused, no NIC found to remove, refused again.
    delete.assert_calls_async(2).await;
    api.finish().await;
}

#[tokio::test]
async fn delete_of_a_network_already_gone_sends_nothing_else() {
    let api = Api::start().await;
    let delete = api
        .on(DELETE, network_path("fr-par"))
        .not_found("private_network", NETWORK_ID)
        .mount()
        .await;
    api.seal().await;

    api.scaleway()
        .private_networks()
        .delete(NETWORK_ID)
        .await
        .unwrap();

    delete.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();
    let networks = scw.private_networks();
    let in_vpc = |vpc: &str| NetworkSpec {
        vpc_id: Some(vpc.into()),
        ..NetworkSpec::default()
    };

    assert_invalid(networks.get(NOT_AN_ID).await, "private network id");
    assert_invalid(networks.find_by_name("").await, "network name");
    assert_invalid(
        networks
            .find_or_create("bad\nname", &NetworkSpec::default())
            .await,
        "network name",
    );
    assert_invalid(networks.find_or_create("app", &in_vpc("my-vpc")).await, "VPC id");
    assert_invalid(networks.delete("../x").await, "private network id");

    api.assert_silent();
    api.finish().await;
}
