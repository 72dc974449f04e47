//! `InstanceVolumes`: the Instance view of volumes, and their wait.

use httpmock::prelude::*;
use scaleway_client::Zone;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

const LOCAL_VOLUME: &str = "103a6f60-0465-4758-ad97-954d211d0a05";

/// The fixture's local volume, in a state.
fn local_volume(state: &str) -> Value {
    let mut body = fixture_body("get a local volume");
    body["volume"]["state"] = json!(state);
    body
}

#[tokio::test]
async fn get_returns_the_volume_and_none_when_missing() {
    let api = Api::start().await;
    let found = api
        .on(GET, inst(&format!("/volumes/{LOCAL_VOLUME}")))
        .reply(200, local_volume("available"))
        .mount()
        .await;
    let missing = api
        .on(GET, inst(&format!("/volumes/{DATA_VOLUME}")))
        .not_found("instance_volume", DATA_VOLUME)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    let volume = scw.instance_volumes().get(LOCAL_VOLUME).await.unwrap().unwrap();

    assert_eq!(volume.id.as_deref(), Some(LOCAL_VOLUME));
    assert!(scw.instance_volumes().get(DATA_VOLUME).await.unwrap().is_none());
    found.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_polls_through_transient_states_until_available() {
    let api = Api::start().await;
    let path = format!("/instance/v1/zones/nl-ams-1/volumes/{LOCAL_VOLUME}");
    let snapshotting = api
        .on(GET, &path)
        .reply(200, local_volume("snapshotting"))
        .times(1)
        .mount()
        .await;
    let resizing = api
        .on(GET, &path)
        .reply(200, local_volume("resizing"))
        .times(1)
        .mount()
        .await;
    let available = api
        .on(GET, &path)
        .reply(200, local_volume("available"))
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    let volume = scw
        .instance_volumes()
        .zone(Zone::NL_AMS_1)
        .wait(LOCAL_VOLUME)
        .await
        .unwrap();

    assert_eq!(volume.state.to_string(), "available");
    for mock in [snapshotting, resizing, available] {
        mock.assert_calls_async(1).await;
    }
    api.finish().await;
}

#[tokio::test]
async fn wait_ends_on_error_and_on_a_missing_volume() {
    let api = Api::start().await;
    let failed = api
        .on(GET, inst(&format!("/volumes/{LOCAL_VOLUME}")))
        .reply(200, local_volume("error"))
        .mount()
        .await;
    let missing = api
        .on(GET, inst(&format!("/volumes/{DATA_VOLUME}")))
        .not_found("instance_volume", DATA_VOLUME)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    match scw.instance_volumes().wait(LOCAL_VOLUME).await {
        Err(Error::FailedState { state, .. }) => assert_eq!(state, "error"),
        other => panic!("expected a failed state, got {other:?}"),
    }
    assert!(
        scw.instance_volumes()
            .wait(DATA_VOLUME)
            .await
            .unwrap_err()
            .is_not_found()
    );
    failed.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();

    assert_invalid(scw.instance_volumes().get(NOT_AN_ID).await, "volume id");
    assert_invalid(scw.instance_volumes().wait("../x").await, "volume id");

    api.assert_silent();
    api.finish().await;
}
