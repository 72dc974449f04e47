//! `PrivateNics`: a server's NICs, one per network, created and awaited until available.

use httpmock::prelude::*;
use scaleway_client::Zone;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

fn nics_path() -> String {
    inst(&format!("/servers/{SERVER_ID}/private_nics"))
}

fn nic_path(nic: &str) -> String {
    inst(&format!("/servers/{SERVER_ID}/private_nics/{nic}"))
}

fn nic(state: &str) -> Value {
    json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, state)})
}

async fn mock_list<'a>(api: &'a Api, nics: Value) -> httpmock::Mock<'a> {
    let total = nics.as_array().unwrap().len() as u64;
    api.on(GET, nics_path())
        .query(&[("page", "1"), ("per_page", "100")])
        .total(total)
        .reply(200, json!({"private_nics": nics}))
        .mount()
        .await
}

/// GET of the NIC: each of `first` once, then `then` for good.
async fn mock_states<'a>(api: &'a Api, first: &[Value], then: Value) -> Vec<httpmock::Mock<'a>> {
    let mut mocks = Vec::new();
    for body in first {
        mocks.push(
            api.on(GET, nic_path(NIC_ID))
                .reply(200, body.clone())
                .times(1)
                .mount()
                .await,
        );
    }
    mocks.push(api.on(GET, nic_path(NIC_ID)).reply(200, then).mount().await);
    mocks
}

#[tokio::test]
async fn get_returns_the_nic_and_none_when_missing() {
    let api = Api::start().await;
    let found = api
        .on(GET, nic_path(NIC_ID))
        .reply(200, nic("available"))
        .mount()
        .await;
    let missing = api
        .on(GET, nic_path(OTHER_NIC_ID))
        .not_found("instance_private_nic", OTHER_NIC_ID)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    let got = scw.private_nics().get(SERVER_ID, NIC_ID).await.unwrap().unwrap();

    assert_eq!(got.private_network_id.as_deref(), Some(NETWORK_ID));
    assert!(
        scw.private_nics()
            .get(SERVER_ID, OTHER_NIC_ID)
            .await
            .unwrap()
            .is_none()
    );
    found.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn list_and_find_read_the_server_nics() {
    let api = Api::start().await;
    let list = mock_list(
        &api,
        json!([
            private_nic(OTHER_NIC_ID, SERVER_ID, OTHER_NETWORK_ID, "available"),
            private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available"),
        ]),
    )
    .await;
    api.seal().await;
    let scw = api.scaleway();

    let all = scw.private_nics().list(SERVER_ID).await.unwrap();
    let found = scw
        .private_nics()
        .find(SERVER_ID, NETWORK_ID)
        .await
        .unwrap()
        .unwrap();
    let none = scw.private_nics().find(SERVER_ID, GROUP_ID).await.unwrap();

    assert_eq!(all.len(), 2);
    assert_eq!(found.id.as_deref(), Some(NIC_ID));
    assert!(none.is_none());
    list.assert_calls_async(3).await;
    api.finish().await;
}

#[tokio::test]
async fn create_posts_the_network_and_waits_until_available() {
    let api = Api::start().await;
    let list = mock_list(&api, json!([])).await;
    let create = api
        .on(POST, nics_path())
        .json(json!({"private_network_id": NETWORK_ID}))
        .reply(201, nic("syncing"))
        .mount()
        .await;
    let states = mock_states(&api, &[nic("syncing")], nic("available")).await;
    api.seal().await;

    let created = api
        .scaleway()
        .private_nics()
        .create(SERVER_ID, NETWORK_ID)
        .await
        .unwrap();

    assert_eq!(created.state.to_string(), "available");
    list.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    for mock in states {
        mock.assert_calls_async(1).await;
    }
    assert_eq!(
        api.lines(),
        [
            format!("GET {}", nics_path()),
            format!("POST {}", nics_path()),
            format!("GET {}", nic_path(NIC_ID)),
            format!("GET {}", nic_path(NIC_ID)),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn create_returns_the_existing_nic_without_a_second_post() {
    let api = Api::start().await;
    let list = mock_list(
        &api,
        json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "syncing")]),
    )
    .await;
    let states = mock_states(&api, &[], nic("available")).await;
    api.seal().await;

    let found = api
        .scaleway()
        .private_nics()
        .create(SERVER_ID, NETWORK_ID)
        .await
        .unwrap();

    assert_eq!(found.id.as_deref(), Some(NIC_ID));
    assert_eq!(found.state.to_string(), "available");
    list.assert_calls_async(1).await;
    states[0].assert_calls_async(1).await;
    assert!(api.seen().iter().all(|r| r.method == "GET"));
    api.finish().await;
}

#[tokio::test]
async fn create_whose_answer_is_lost_finds_the_nic() {
    let api = Api::start().await;
    let empty = api
        .on(GET, nics_path())
        .query(&[("page", "1"), ("per_page", "100")])
        .total(0)
        .reply(200, json!({"private_nics": []}))
        .times(1)
        .mount()
        .await;
    let list = mock_list(
        &api,
        json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")]),
    )
    .await;
    let create = api
        .on(POST, nics_path())
        .json(json!({"private_network_id": NETWORK_ID}))
        .reply(504, json!({"type": "gateway_timeout", "message": "timeout"}))
        .mount()
        .await;
    api.seal().await;

    let found = api
        .scaleway()
        .private_nics()
        .create(SERVER_ID, NETWORK_ID)
        .await
        .unwrap();

    assert_eq!(found.id.as_deref(), Some(NIC_ID));
    empty.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_polls_until_available_and_stops_at_a_syncing_error_or_when_gone() {
    let api = Api::start().await;
    let states = mock_states(&api, &[nic("syncing"), nic("syncing")], nic("available")).await;
    let failed = api
        .on(GET, nic_path(OTHER_NIC_ID))
        .reply(
            200,
            json!({"private_nic": private_nic(OTHER_NIC_ID, SERVER_ID, NETWORK_ID, "syncing_error")}),
        )
        .mount()
        .await;
    let gone = api
        .on(
            GET,
            inst(&format!("/servers/{OTHER_SERVER_ID}/private_nics/{NIC_ID}")),
        )
        .not_found("instance_private_nic", NIC_ID)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    scw.private_nics().wait(SERVER_ID, NIC_ID).await.unwrap();
    match scw.private_nics().wait(SERVER_ID, OTHER_NIC_ID).await {
        Err(Error::FailedState { state, .. }) => assert_eq!(state, "syncing_error"),
        other => panic!("expected a failed state, got {other:?}"),
    }
    let err = scw
        .private_nics()
        .wait(OTHER_SERVER_ID, NIC_ID)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");

    for mock in states {
        mock.assert_calls_async(1).await;
    }
    failed.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_mac_address_polls_until_the_nic_has_one() {
    let api = Api::start().await;
    let with_mac = nic("available");
    let mac = with_mac["private_nic"]["mac_address"].clone();
    assert!(mac.as_str().is_some_and(|m| !m.is_empty()), "{mac}");
    let mut without_mac = nic("syncing");
    without_mac["private_nic"]["mac_address"] = json!("");
    let states = mock_states(&api, &[without_mac], with_mac).await;
    api.seal().await;

    let found = api
        .scaleway()
        .private_nics()
        .wait_mac_address(SERVER_ID, NIC_ID)
        .await
        .unwrap();

    assert_eq!(found.mac_address.as_deref(), mac.as_str());
    for mock in states {
        mock.assert_calls_async(1).await;
    }
    api.finish().await;
}

#[tokio::test]
async fn delete_removes_the_nic_and_accepts_one_already_gone() {
    let api = Api::start().await;
    let delete = api.on(DELETE, nic_path(NIC_ID)).status(204).mount().await;
    let gone = api
        .on(DELETE, nic_path(OTHER_NIC_ID))
        .not_found("instance_private_nic", OTHER_NIC_ID)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    scw.private_nics().delete(SERVER_ID, NIC_ID).await.unwrap();
    scw.private_nics().delete(SERVER_ID, OTHER_NIC_ID).await.unwrap();

    delete.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn the_zone_of_one_call_is_in_the_path() {
    let api = Api::start().await;
    let delete = api
        .on(
            DELETE,
            format!("/instance/v1/zones/pl-waw-2/servers/{SERVER_ID}/private_nics/{NIC_ID}"),
        )
        .status(204)
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    scw.private_nics()
        .zone(Zone::PL_WAW_2)
        .delete(SERVER_ID, NIC_ID)
        .await
        .unwrap();

    delete.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();
    let nics = scw.private_nics();

    assert_invalid(nics.get(NOT_AN_ID, NIC_ID).await, "server id");
    assert_invalid(nics.get(SERVER_ID, NOT_AN_ID).await, "private NIC id");
    assert_invalid(nics.list("../x").await, "server id");
    assert_invalid(nics.find(SERVER_ID, NOT_AN_ID).await, "private network id");
    assert_invalid(nics.create(NOT_AN_ID, NETWORK_ID).await, "server id");
    assert_invalid(nics.create(SERVER_ID, NOT_AN_ID).await, "private network id");
    assert_invalid(nics.wait(SERVER_ID, NOT_AN_ID).await, "private NIC id");
    assert_invalid(nics.wait_mac_address(NOT_AN_ID, NIC_ID).await, "server id");
    assert_invalid(nics.delete(SERVER_ID, "../x").await, "private NIC id");

    api.assert_silent();
    api.finish().await;
}
