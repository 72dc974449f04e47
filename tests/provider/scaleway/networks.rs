//! Networks: find or create by exact name, look up, delete (waiting out NICs still counted).

use httpmock::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

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
    // Longer than a screen on purpose: the mocks describe every request of the delete in order
    // (NICs listed and removed, the network deleted), and the log is checked against them.
    let api = Api::start().await;
    // Sent first, refused: the network still has members.
    let refused = api
        .on(DELETE, vpc(&format!("/private-networks/{NETWORK_ID}")))
        .reply(412, still_in_use())
        .times(1)
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

    refused.assert_calls_async(1).await;
    for list in &members {
        list.assert_calls_async(1).await;
    }
    delete_nic.assert_calls_async(1).await;
    delete_neighbour_nic.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    assert_eq!(
        api.lines(),
        [
            format!("DELETE /vpc/v2/regions/fr-par/private-networks/{NETWORK_ID}"),
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
        .reply(412, still_in_use())
        // The first refusal sends the search for NICs; the second comes after the NIC's removal.
        .times(2)
        .mount()
        .await;
    let deleted = api.on(DELETE, &path).status(204).mount().await;
    api.seal().await;

    api.provider().delete_network(NETWORK_ID).await.unwrap();

    delete_nic.assert_calls_async(1).await;
    still_counted.assert_calls_async(2).await;
    deleted.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_network_still_in_use_is_reported() {
    let api = Api::start().await;
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
        .reply(412, still_in_use())
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
    // Refused, no NIC of a server found to remove, refused again.
    delete.assert_calls_async(2).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_network_already_gone() {
    let api = Api::start().await;
    let get = api
        .on(DELETE, vpc(&format!("/private-networks/{NETWORK_ID}")))
        .not_found("private_network", NETWORK_ID)
        .mount()
        .await;
    api.seal().await;

    api.provider().delete_network(NETWORK_ID).await.unwrap();

    get.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}

/// The 412 the API answers a DELETE of a network that still has members (recorded).
fn still_in_use() -> Value {
    json!({"type": "precondition_failed", "message": "precondition is not respected", "precondition": "resource_still_in_use", "help_message": "Private Network must be empty to be deleted"})
}
