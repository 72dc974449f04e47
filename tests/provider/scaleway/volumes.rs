//! Volumes: create (never adopting a namesake), attach and detach (waiting out transitions),
//! delete, lookups.

use httpmock::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

#[tokio::test]
async fn test_create_volume() {
    let api = Api::start().await;
    let mut creating = fixture_body("create a volume");
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
    // A little over a screen: the mocks describe the lost create, the look-up that finds a namesake
    // and the second attempt.
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
                .any(|(k, v)| k == "tags" && v.starts_with("scaleway-client-create="))
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
                .any(|(k, v)| k == "tags" && v.starts_with("scaleway-client-create="))
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

    attach.assert_calls_async(1).await;
    attaching.assert_calls_async(1).await;
    attached.assert_calls_async(1).await;
    // The attach first: no read before it.
    assert!(api.lines()[0].ends_with("/attach-volume"), "{:?}", api.lines());
    api.finish().await;
}

#[tokio::test]
async fn test_attach_volume_attached_elsewhere_is_in_use() {
    let api = Api::start().await;
    let mut refusals = Vec::new();
    for server in [SERVER_ID, OTHER_SERVER_ID] {
        refusals.push(
            api.on(POST, inst(&format!("/servers/{server}/attach-volume")))
                .reply(412, attach_refused())
                .mount()
                .await,
        );
    }
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
    for refused in refusals {
        refused.assert_calls_async(1).await;
    }
    api.finish().await;
}

#[tokio::test]
async fn test_attach_volume_waits_for_a_detach_to_finish_first() {
    let api = Api::start().await;
    let path = block(&format!("/volumes/{DATA_VOLUME}"));
    // Being detached from another server: free once that settles, then attached here.
    let mut states = Vec::new();
    let refused = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/attach-volume")))
        .reply(412, attach_refused())
        .times(1)
        .mount()
        .await;
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
    refused.assert_calls_async(1).await;
    attach.assert_calls_async(1).await;
    attached.assert_calls_async(1).await;
    let attaches: Vec<usize> = api
        .lines()
        .iter()
        .enumerate()
        .filter(|(_, l)| l.ends_with("/attach-volume"))
        .map(|(i, _)| i)
        .collect();
    // Refused, the volume read until free, sent again.
    assert_eq!(
        attaches,
        [0, 4],
        "attached again only once the volume is free: {:?}",
        api.lines()
    );
    api.finish().await;
}

#[tokio::test]
async fn test_attach_volume_already_on_its_way_is_awaited_not_repeated() {
    let api = Api::start().await;
    let path = block(&format!("/volumes/{DATA_VOLUME}"));
    let refused = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/attach-volume")))
        .reply(412, attach_refused())
        .mount()
        .await;
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
    refused.assert_calls_async(1).await;
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
    let delete_expired = api
        .on(DELETE, block(&format!("/volumes/{DATA_VOLUME}")))
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

    expired.assert_calls_async(1).await;
    delete_expired.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_volume() {
    let api = Api::start().await;
    let delete = api
        .on(DELETE, block(&format!("/volumes/{DATA_VOLUME}")))
        .status(204)
        .mount()
        .await;
    // An attached volume: the API refuses its DELETE, and the read names its server.
    let refused = api
        .on(DELETE, block(&format!("/volumes/{ROOT_VOLUME}")))
        .reply(
            412,
            json!({"type": "precondition_failed", "message": "precondition is not respected",
                   "precondition": "resource_still_in_use",
                   "help_message": "volume is attached to an instance, detach it before deleting it"}),
        )
        .mount()
        .await;
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
    delete.assert_calls_async(1).await;
    refused.assert_calls_async(1).await;
    attached.assert_calls_async(1).await;
    // The free volume cost its DELETE alone.
    assert_eq!(api.seen().len(), 3);
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

/// The 412 of an attach-volume of a volume a server holds (or is still detaching from).
fn attach_refused() -> serde_json::Value {
    json!({"type": "precondition_failed", "message": "precondition is not respected",
           "precondition": "resource_not_usable",
           "help_message": format!("volume {DATA_VOLUME} is already attached")})
}
