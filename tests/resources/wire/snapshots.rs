//! `Snapshots`: the waits of Block and Instance snapshots.

use httpmock::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

const BLOCK_SNAPSHOT: &str = "409e5776-971e-42a9-a94a-b29b6b1aff4a";
const INSTANCE_SNAPSHOT: &str = "71722f74-0a72-4fad-801c-1b61b9b19aa0";

fn block_snapshot(status: &str) -> Value {
    let mut body = fixture_body("get a snapshot");
    body["status"] = json!(status);
    body
}

fn instance_snapshot(state: &str) -> Value {
    let mut body = fixture_body("get an instance snapshot");
    body["snapshot"]["state"] = json!(state);
    body
}

#[tokio::test]
async fn wait_block_polls_until_available() {
    let api = Api::start().await;
    let path = block(&format!("/snapshots/{BLOCK_SNAPSHOT}"));
    let creating = api
        .on(GET, &path)
        .reply(200, block_snapshot("creating"))
        .times(2)
        .mount()
        .await;
    let available = api
        .on(GET, &path)
        .reply(200, block_snapshot("available"))
        .mount()
        .await;
    api.seal().await;

    let snapshot = api
        .scaleway()
        .snapshots()
        .wait_block(BLOCK_SNAPSHOT)
        .await
        .unwrap();

    assert_eq!(snapshot.id.as_deref(), Some(BLOCK_SNAPSHOT));
    creating.assert_calls_async(2).await;
    available.assert_calls_async(1).await;
    assert_eq!(api.lines(), vec![format!("GET {path}"); 3]);
    api.finish().await;
}

#[tokio::test]
async fn wait_block_ends_on_error_and_on_a_missing_snapshot() {
    let api = Api::start().await;
    let failed = api
        .on(GET, block(&format!("/snapshots/{BLOCK_SNAPSHOT}")))
        .reply(200, block_snapshot("error"))
        .mount()
        .await;
    let missing = api
        .on(GET, block(&format!("/snapshots/{INSTANCE_SNAPSHOT}")))
        .not_found("snapshot", INSTANCE_SNAPSHOT)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    match scw.snapshots().wait_block(BLOCK_SNAPSHOT).await {
        Err(Error::FailedState { state, .. }) => assert_eq!(state, "error"),
        other => panic!("expected a failed state, got {other:?}"),
    }
    assert!(
        scw.snapshots()
            .wait_block(INSTANCE_SNAPSHOT)
            .await
            .unwrap_err()
            .is_not_found()
    );
    failed.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_instance_polls_until_available() {
    let api = Api::start().await;
    let path = inst(&format!("/snapshots/{INSTANCE_SNAPSHOT}"));
    let snapshotting = api
        .on(GET, &path)
        .reply(200, instance_snapshot("snapshotting"))
        .times(1)
        .mount()
        .await;
    let available = api
        .on(GET, &path)
        .reply(200, instance_snapshot("available"))
        .mount()
        .await;
    api.seal().await;

    let snapshot = api
        .scaleway()
        .snapshots()
        .wait_instance(INSTANCE_SNAPSHOT)
        .await
        .unwrap();

    assert_eq!(snapshot.id.as_deref(), Some(INSTANCE_SNAPSHOT));
    snapshotting.assert_calls_async(1).await;
    available.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_instance_ends_on_invalid_data() {
    let api = Api::start().await;
    let failed = api
        .on(GET, inst(&format!("/snapshots/{INSTANCE_SNAPSHOT}")))
        .reply(200, instance_snapshot("invalid_data"))
        .mount()
        .await;
    api.seal().await;

    match api.scaleway().snapshots().wait_instance(INSTANCE_SNAPSHOT).await {
        Err(Error::FailedState { what, state }) => {
            assert!(what.contains(INSTANCE_SNAPSHOT), "{what}");
            assert_eq!(state, "invalid_data");
        }
        other => panic!("expected a failed state, got {other:?}"),
    }
    failed.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();

    assert_invalid(scw.snapshots().wait_block(NOT_AN_ID).await, "snapshot id");
    assert_invalid(scw.snapshots().wait_instance("../x").await, "snapshot id");

    api.assert_silent();
    api.finish().await;
}
