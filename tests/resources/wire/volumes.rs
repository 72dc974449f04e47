//! `Volumes` (Block v1): lookups, create with its token, delete, waits, attach and detach through
//! the server actions, IOPS, and the device path of an attached volume.

use httpmock::prelude::*;
use scaleway_client::api::block_v1::types::Volume;
use scaleway_client::resources::{VolumeSpec, attached_server, device_path};
use scaleway_client::{ByteSize, Zone};
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

fn volume_path(id: &str) -> String {
    block(&format!("/volumes/{id}"))
}

fn data(status: &str, attached_to: Option<(&str, &str)>) -> Value {
    block_volume(DATA_VOLUME, "data", status, attached_to)
}

/// GET of the data volume: each of `first` once, then `then` for good.
async fn mock_volume_states<'a>(api: &'a Api, first: &[Value], then: Value) -> Vec<httpmock::Mock<'a>> {
    let mut mocks = Vec::new();
    for body in first {
        mocks.push(
            api.on(GET, volume_path(DATA_VOLUME))
                .reply(200, body.clone())
                .times(1)
                .mount()
                .await,
        );
    }
    mocks.push(
        api.on(GET, volume_path(DATA_VOLUME))
            .reply(200, then)
            .mount()
            .await,
    );
    mocks
}

fn web_server(root: &str) -> Value {
    let mut s = server(SERVER_ID, "web-1", "running");
    s["volumes"] = json!({"0": sbs_entry(root), "1": sbs_entry(DATA_VOLUME)});
    json!({"server": s})
}

#[tokio::test]
async fn get_returns_the_volume_and_none_when_missing_or_expired() {
    let api = Api::start().await;
    let found = api
        .on(GET, volume_path(DATA_VOLUME))
        .reply(200, data("available", None))
        .mount()
        .await;
    let missing = api
        .on(GET, volume_path(ROOT_VOLUME))
        .not_found("volume", ROOT_VOLUME)
        .mount()
        .await;
    let expired = api
        .on(GET, volume_path(NEW_VOLUME))
        .reply(410, json!({"type": "expired", "message": "resource has expired"}))
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    let volumes = scw.volumes();

    let volume = volumes.get(DATA_VOLUME).await.unwrap().unwrap();

    assert_eq!(volume.name.as_deref(), Some("data"));
    assert!(volumes.get(ROOT_VOLUME).await.unwrap().is_none());
    assert!(volumes.get(NEW_VOLUME).await.unwrap().is_none());
    for mock in [found, missing, expired] {
        mock.assert_calls_async(1).await;
    }
    api.finish().await;
}

#[tokio::test]
async fn list_sends_the_project_name_and_tag() {
    let api = Api::start().await;
    let list = api
        .on(GET, block("/volumes"))
        .query(&[
            ("project_id", PROJECT),
            ("page", "1"),
            ("page_size", "100"),
            ("name", "data"),
            ("tags", "backup"),
        ])
        .reply(
            200,
            json!({"volumes": [data("available", None)], "total_count": 1}),
        )
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    let volumes = scw.volumes();

    let found: Vec<Volume> =
        futures_util::TryStreamExt::try_collect(volumes.list(Some("data"), Some("backup")))
            .await
            .unwrap();

    assert_eq!(found.len(), 1);
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn find_by_name_compares_names_exactly_across_pages() {
    let api = Api::start().await;
    let page = |n: &str, body: Value| {
        api.on(GET, block("/volumes"))
            .query(&[
                ("project_id", PROJECT),
                ("page", n),
                ("page_size", "100"),
                ("name", "data"),
            ])
            .reply(200, json!({"volumes": [body], "total_count": 2}))
            .mount()
    };
    // The API's name filter matches substrings: `data-old` comes first and is not it.
    let first = page("1", block_volume(ROOT_VOLUME, "data-old", "available", None)).await;
    let second = page("2", data("available", None)).await;
    api.seal().await;

    let found = api
        .scaleway()
        .volumes()
        .find_by_name("data")
        .await
        .unwrap()
        .unwrap();

    assert_eq!(found.id.as_deref(), Some(DATA_VOLUME));
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    api.finish().await;
}

/// The body of a create: exactly these fields, plus one create-token tag after `tags`.
fn create_body_is(body: &Value, tags: &[&str]) -> bool {
    let Some(token) = token_of(body) else { return false };
    let mut expected_tags: Vec<Value> = tags.iter().map(|t| json!(t)).collect();
    expected_tags.push(json!(token));
    *body
        == json!({
            "name": "data",
            "perf_iops": 15000,
            "project_id": PROJECT,
            "from_empty": {"size": 20_000_000_000u64},
            "tags": expected_tags,
        })
}

fn data_spec() -> VolumeSpec {
    VolumeSpec::new("data", ByteSize::from_gb(20).unwrap())
        .iops(15_000)
        .tag("backup")
}

#[tokio::test]
async fn create_posts_once_and_waits_until_available() {
    let api = Api::start().await;
    let create = api
        .on(POST, block("/volumes"))
        .json_where(|body| create_body_is(body, &["backup"]))
        .reply(200, data("creating", None))
        .mount()
        .await;
    let states = mock_volume_states(&api, &[data("creating", None)], data("available", None)).await;
    api.seal().await;

    let volume = api.scaleway().volumes().create(&data_spec()).await.unwrap();

    assert_eq!(volume.id.as_deref(), Some(DATA_VOLUME));
    create.assert_calls_async(1).await;
    states[0].assert_calls_async(1).await;
    states[1].assert_calls_async(1).await;
    assert_eq!(api.seen()[0].content_type.as_deref(), Some("application/json"));
    api.finish().await;
}

#[tokio::test]
async fn create_whose_answer_is_lost_finds_its_volume_by_its_token() {
    let api = Api::start().await;
    let create = api
        .on(POST, block("/volumes"))
        .json_where(|body| create_body_is(body, &["backup"]))
        .reply(
            500,
            json!({"type": "internal_error", "message": "internal error"}),
        )
        .mount()
        .await;
    let lookup = api
        .on(GET, block("/volumes"))
        .query_where(|q| {
            let has = |k: &str, v: &str| q.iter().any(|(a, b)| a == k && b == v);
            q.len() == 4
                && has("project_id", PROJECT)
                && has("page", "1")
                && has("page_size", "1")
                && q.iter()
                    .any(|(k, v)| k == "tags" && v.starts_with("scaleway-client-create="))
        })
        .reply(
            200,
            json!({"volumes": [data("creating", None)], "total_count": 1}),
        )
        .mount()
        .await;
    let available = api
        .on(GET, volume_path(DATA_VOLUME))
        .reply(200, data("available", None))
        .mount()
        .await;
    api.seal().await;

    let volume = api.scaleway().volumes().create(&data_spec()).await.unwrap();

    assert_eq!(volume.id.as_deref(), Some(DATA_VOLUME));
    create.assert_calls_async(1).await;
    lookup.assert_calls_async(1).await;
    available.assert_calls_async(1).await;
    // The lookup is by the very token the POST carried.
    let seen = api.seen();
    let token = token_of(&serde_json::from_str(&seen[0].body).unwrap()).unwrap();
    assert!(
        seen[1].query.contains(&("tags".to_string(), token)),
        "{:?}",
        seen[1].query
    );
    api.finish().await;
}

/// The 412 the API answers a change it refuses for the state of what it names.
fn refused(help: &str) -> Value {
    json!({"type": "precondition_failed", "message": "precondition is not respected",
           "precondition": "resource_still_in_use", "help_message": help})
}

#[tokio::test]
async fn delete_is_sent_first_and_only_a_refusal_is_read() {
    let api = Api::start().await;
    let delete = api.on(DELETE, volume_path(DATA_VOLUME)).status(204).mount().await;
    let refused_delete = api
        .on(DELETE, volume_path(ROOT_VOLUME))
        .reply(412, refused("volume is attached to an instance"))
        .mount()
        .await;
    let held = api
        .on(GET, volume_path(ROOT_VOLUME))
        .reply(
            200,
            block_volume(ROOT_VOLUME, "root", "in_use", Some((SERVER_ID, "attached"))),
        )
        .mount()
        .await;
    let gone = api
        .on(DELETE, volume_path(NEW_VOLUME))
        .not_found("volume", NEW_VOLUME)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    let volumes = scw.volumes();

    volumes.delete(DATA_VOLUME).await.unwrap();
    assert_in_use(volumes.delete(ROOT_VOLUME).await, ROOT_VOLUME, SERVER_ID);
    volumes.delete(NEW_VOLUME).await.unwrap();

    for mock in [delete, refused_delete, held, gone] {
        mock.assert_calls_async(1).await;
    }
    // The free volume and the one already gone cost their DELETE alone.
    assert_eq!(api.seen().iter().filter(|r| r.method == "GET").count(), 1);
    api.finish().await;
}

#[tokio::test]
async fn a_delete_refused_while_the_volume_was_detaching_is_sent_again_once_it_is_free() {
    let api = Api::start().await;
    let refused_delete = api
        .on(DELETE, volume_path(DATA_VOLUME))
        .reply(412, refused("volume is attached to an instance"))
        .times(1)
        .mount()
        .await;
    let delete = api.on(DELETE, volume_path(DATA_VOLUME)).status(204).mount().await;
    let free = api
        .on(GET, volume_path(DATA_VOLUME))
        .reply(200, data("available", None))
        .mount()
        .await;
    api.seal().await;

    api.scaleway().volumes().delete(DATA_VOLUME).await.unwrap();

    for mock in [refused_delete, delete, free] {
        mock.assert_calls_async(1).await;
    }
    api.finish().await;
}

#[tokio::test]
async fn wait_polls_until_available_and_stops_at_error_or_when_gone() {
    let api = Api::start().await;
    let states = mock_volume_states(&api, &[data("creating", None)], data("available", None)).await;
    let failed = api
        .on(GET, volume_path(ROOT_VOLUME))
        .reply(200, block_volume(ROOT_VOLUME, "r", "error", None))
        .mount()
        .await;
    let gone = api
        .on(GET, volume_path(NEW_VOLUME))
        .not_found("volume", NEW_VOLUME)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    let volumes = scw.volumes();

    let volume = volumes.wait(DATA_VOLUME).await.unwrap();

    assert_eq!(volume.status.map(|s| s.to_string()).as_deref(), Some("available"));
    match volumes.wait(ROOT_VOLUME).await {
        Err(Error::FailedState { state, .. }) => assert_eq!(state, "error"),
        other => panic!("expected a failed state, got {other:?}"),
    }
    let err = volumes.wait(NEW_VOLUME).await.unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
    states[0].assert_calls_async(1).await;
    states[1].assert_calls_async(1).await;
    failed.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_with_references_waits_for_the_attachment_to_settle() {
    let api = Api::start().await;
    let states = mock_volume_states(
        &api,
        &[data("in_use", Some((SERVER_ID, "attaching")))],
        data("in_use", Some((SERVER_ID, "attached"))),
    )
    .await;
    api.seal().await;

    let volume = api
        .scaleway()
        .volumes()
        .wait_with_references(DATA_VOLUME)
        .await
        .unwrap();

    assert_eq!(attached_server(&volume).as_deref(), Some(SERVER_ID));
    states[0].assert_calls_async(1).await;
    states[1].assert_calls_async(1).await;
    api.finish().await;
}

fn attach_path(server_id: &str) -> String {
    inst(&format!("/servers/{server_id}/attach-volume"))
}

#[tokio::test]
async fn attach_sends_the_server_action_first_and_waits_until_attached() {
    let api = Api::start().await;
    let states = mock_volume_states(
        &api,
        &[data("in_use", Some((SERVER_ID, "attaching")))],
        data("in_use", Some((SERVER_ID, "attached"))),
    )
    .await;
    let attach = api
        .on(POST, attach_path(SERVER_ID))
        .json(json!({"volume_id": DATA_VOLUME, "volume_type": "sbs_volume"}))
        .reply(200, web_server(ROOT_VOLUME))
        .mount()
        .await;
    api.seal().await;

    let volume = api
        .scaleway()
        .volumes()
        .attach(DATA_VOLUME, SERVER_ID)
        .await
        .unwrap();

    assert_eq!(
        device_path(&volume),
        Some(format!("/dev/disk/by-id/scsi-0SCW_sbs_volume-{DATA_VOLUME}"))
    );
    attach.assert_calls_async(1).await;
    for mock in states {
        mock.assert_calls_async(1).await;
    }
    assert_eq!(api.lines()[0], format!("POST {}", attach_path(SERVER_ID)));
    api.finish().await;
}

#[tokio::test]
async fn a_refused_attach_is_done_when_attached_here_and_in_use_when_held_elsewhere() {
    let api = Api::start().await;
    let refusal = json!({"type": "precondition_failed", "message": "precondition is not respected",
                         "precondition": "resource_not_usable",
                         "help_message": format!("volume {DATA_VOLUME} is already attached")});
    let here_refused = api
        .on(POST, attach_path(SERVER_ID))
        .reply(412, refusal.clone())
        .mount()
        .await;
    let elsewhere_refused = api
        .on(POST, attach_path(OTHER_SERVER_ID))
        .reply(412, refusal)
        .mount()
        .await;
    let here = api
        .on(GET, volume_path(DATA_VOLUME))
        .reply(200, data("in_use", Some((SERVER_ID, "attached"))))
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    let volumes = scw.volumes();

    let volume = volumes.attach(DATA_VOLUME, SERVER_ID).await.unwrap();
    assert_eq!(attached_server(&volume).as_deref(), Some(SERVER_ID));
    assert_in_use(
        volumes.attach(DATA_VOLUME, OTHER_SERVER_ID).await,
        DATA_VOLUME,
        SERVER_ID,
    );

    here_refused.assert_calls_async(1).await;
    elsewhere_refused.assert_calls_async(1).await;
    here.assert_calls_async(2).await;
    api.finish().await;
}

#[tokio::test]
async fn an_attach_refused_while_the_volume_detaches_waits_for_it_then_is_sent_again() {
    let api = Api::start().await;
    let refusal = json!({"type": "precondition_failed", "message": "precondition is not respected",
                         "precondition": "resource_not_usable",
                         "help_message": format!("volume {DATA_VOLUME} is already attached")});
    let refused_attach = api
        .on(POST, attach_path(SERVER_ID))
        .reply(412, refusal)
        .times(1)
        .mount()
        .await;
    let attach = api
        .on(POST, attach_path(SERVER_ID))
        .reply(200, web_server(ROOT_VOLUME))
        .mount()
        .await;
    let states = mock_volume_states(
        &api,
        &[
            data("in_use", Some((OTHER_SERVER_ID, "detaching"))),
            data("available", None),
        ],
        data("in_use", Some((SERVER_ID, "attached"))),
    )
    .await;
    api.seal().await;

    let volume = api
        .scaleway()
        .volumes()
        .attach(DATA_VOLUME, SERVER_ID)
        .await
        .unwrap();

    assert_eq!(attached_server(&volume).as_deref(), Some(SERVER_ID));
    refused_attach.assert_calls_async(1).await;
    attach.assert_calls_async(1).await;
    for mock in states {
        mock.assert_calls_async(1).await;
    }
    let posts: Vec<usize> = api
        .seen()
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method == "POST")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(posts, vec![0, 3], "{:?}", api.lines());
    api.finish().await;
}

#[tokio::test]
async fn detach_sends_the_server_action_and_waits_until_free() {
    let api = Api::start().await;
    let states = mock_volume_states(
        &api,
        &[
            data("in_use", Some((SERVER_ID, "attached"))),
            data("in_use", Some((SERVER_ID, "detaching"))),
        ],
        data("available", None),
    )
    .await;
    let server = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, web_server(ROOT_VOLUME))
        .mount()
        .await;
    let detach = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/detach-volume")))
        .json(json!({"volume_id": DATA_VOLUME}))
        .reply(200, web_server(ROOT_VOLUME))
        .mount()
        .await;
    api.seal().await;

    let volume = api.scaleway().volumes().detach(DATA_VOLUME).await.unwrap();

    assert_eq!(attached_server(&volume), None);
    assert_eq!(device_path(&volume), None);
    server.assert_calls_async(1).await;
    detach.assert_calls_async(1).await;
    for mock in states {
        mock.assert_calls_async(1).await;
    }
    api.finish().await;
}

#[tokio::test]
async fn detach_of_a_root_volume_is_refused_without_a_detach() {
    let api = Api::start().await;
    let volume = api
        .on(GET, volume_path(DATA_VOLUME))
        .reply(200, data("in_use", Some((SERVER_ID, "attached"))))
        .mount()
        .await;
    let server = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, web_server(DATA_VOLUME))
        .mount()
        .await;
    api.seal().await;

    assert_invalid(api.scaleway().volumes().detach(DATA_VOLUME).await, "volume id");

    volume.assert_calls_async(1).await;
    server.assert_calls_async(1).await;
    assert!(api.seen().iter().all(|r| r.method == "GET"));
    api.finish().await;
}

#[tokio::test]
async fn a_root_known_from_an_earlier_answer_is_refused_without_reading_the_server() {
    let api = Api::start().await;
    let volume = api
        .on(GET, volume_path(DATA_VOLUME))
        .reply(200, data("in_use", Some((SERVER_ID, "attached"))))
        .mount()
        .await;
    let server = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, web_server(DATA_VOLUME))
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    scw.servers().get(SERVER_ID).await.unwrap();

    assert_invalid(scw.volumes().detach(DATA_VOLUME).await, "volume id");
    assert_invalid(scw.volumes().detach(DATA_VOLUME).await, "volume id");

    volume.assert_calls_async(2).await;
    // The read above alone: each detach learned the root from it.
    server.assert_calls_async(1).await;
    assert!(api.seen().iter().all(|r| r.method == "GET"));
    api.finish().await;
}

#[tokio::test]
async fn set_iops_patches_the_volume_and_waits_until_available() {
    let api = Api::start().await;
    let update = api
        .on(PATCH, volume_path(DATA_VOLUME))
        .json(json!({"perf_iops": 15000}))
        .reply(200, data("updating", None))
        .mount()
        .await;
    let states = mock_volume_states(&api, &[data("updating", None)], data("available", None)).await;
    api.seal().await;

    api.scaleway()
        .volumes()
        .set_iops(DATA_VOLUME, 15_000)
        .await
        .unwrap();

    update.assert_calls_async(1).await;
    for mock in states {
        mock.assert_calls_async(1).await;
    }
    assert_eq!(api.lines()[0], format!("PATCH {}", volume_path(DATA_VOLUME)));
    api.finish().await;
}

#[test]
fn device_path_and_attached_server_read_the_references() {
    let volume = |body: Value| serde_json::from_value::<Volume>(body).unwrap();
    let attached = volume(data("in_use", Some((SERVER_ID, "attached"))));
    let attaching = volume(data("in_use", Some((SERVER_ID, "attaching"))));
    let free = volume(data("available", None));

    assert_eq!(
        device_path(&attached),
        Some(format!("/dev/disk/by-id/scsi-0SCW_sbs_volume-{DATA_VOLUME}"))
    );
    assert_eq!(device_path(&attaching), None);
    assert_eq!(device_path(&free), None);
    assert_eq!(attached_server(&attached).as_deref(), Some(SERVER_ID));
    assert_eq!(attached_server(&attaching).as_deref(), Some(SERVER_ID));
    assert_eq!(attached_server(&free), None);
}

#[tokio::test]
async fn the_zone_of_one_call_is_in_the_path() {
    let api = Api::start().await;
    let get = api
        .on(GET, format!("/block/v1/zones/nl-ams-1/volumes/{DATA_VOLUME}"))
        .reply(200, data("available", None))
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    assert!(
        scw.volumes()
            .zone(Zone::NL_AMS_1)
            .get(DATA_VOLUME)
            .await
            .unwrap()
            .is_some()
    );

    get.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();
    let volumes = scw.volumes();
    let gb = |n| ByteSize::from_gb(n).unwrap();

    assert_invalid(volumes.get(NOT_AN_ID).await, "volume id");
    assert_invalid(volumes.find_by_name("").await, "volume name");
    assert_invalid(volumes.create(&VolumeSpec::new("", gb(10))).await, "volume name");
    assert_invalid(
        volumes.create(&VolumeSpec::new("data", gb(4))).await,
        "volume size",
    );
    assert_invalid(
        volumes.create(&VolumeSpec::new("data", gb(10_001))).await,
        "volume size",
    );
    assert_invalid(
        volumes.create(&VolumeSpec::new("data", gb(10)).iops(7000)).await,
        "volume IOPS",
    );
    assert_invalid(
        volumes.create(&VolumeSpec::new("data", gb(10)).tag("a,b")).await,
        "tag",
    );
    assert_invalid(volumes.delete("../x").await, "volume id");
    assert_invalid(volumes.wait(NOT_AN_ID).await, "volume id");
    assert_invalid(volumes.wait_with_references(NOT_AN_ID).await, "volume id");
    assert_invalid(volumes.attach(DATA_VOLUME, NOT_AN_ID).await, "server id");
    assert_invalid(volumes.attach(NOT_AN_ID, SERVER_ID).await, "volume id");
    assert_invalid(volumes.detach(NOT_AN_ID).await, "volume id");
    assert_invalid(volumes.set_iops(DATA_VOLUME, 10_000).await, "volume IOPS");
    assert_invalid(volumes.set_iops(NOT_AN_ID, 5000).await, "volume id");

    api.assert_silent();
    api.finish().await;
}
