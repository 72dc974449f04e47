//! `UserData`: keys, values as raw `text/plain`, and `set_all` making the server's user data
//! exactly a map.

use std::collections::BTreeMap;

use httpmock::prelude::*;
use scaleway_client::Zone;
use scaleway_client::resources::MAX_USER_DATA_BYTES;
use serde_json::json;

use super::*;
use crate::common::mock_api::*;

fn user_data(key: &str) -> String {
    if key.is_empty() {
        inst(&format!("/servers/{SERVER_ID}/user_data"))
    } else {
        inst(&format!("/servers/{SERVER_ID}/user_data/{key}"))
    }
}

async fn mock_keys<'a>(api: &'a Api, keys: &[&str]) -> httpmock::Mock<'a> {
    api.on(GET, user_data(""))
        .reply(200, json!({"user_data": keys}))
        .mount()
        .await
}

#[tokio::test]
async fn keys_lists_the_server_keys() {
    let api = Api::start().await;
    let list = mock_keys(&api, &["cloud-init", "hello"]).await;
    api.seal().await;

    let keys = api.scaleway().user_data().keys(SERVER_ID).await.unwrap();

    assert_eq!(keys, ["cloud-init", "hello"]);
    list.assert_calls_async(1).await;
    assert!(api.seen()[0].query.is_empty());
    api.finish().await;
}

#[tokio::test]
async fn get_reads_the_text_value_and_none_for_a_missing_key() {
    let api = Api::start().await;
    // Not JSON: the value comes back byte for byte, quotes and non-ASCII included.
    let value = "#cloud-config\nruncmd: [\"echo h\u{e9}llo\"]\n";
    let get = api
        .on(GET, user_data("cloud-init"))
        .reply_text(200, value)
        .mount()
        .await;
    let missing = api
        .on(GET, user_data("other"))
        .not_found("instance_user_data", "other")
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    assert_eq!(
        scw.user_data()
            .get(SERVER_ID, "cloud-init")
            .await
            .unwrap()
            .as_deref(),
        Some(value)
    );
    assert_eq!(scw.user_data().get(SERVER_ID, "other").await.unwrap(), None);
    get.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn set_sends_the_value_as_text_plain() {
    let api = Api::start().await;
    let value = "#cloud-config\nwrite_files:\n  - content: \"a \\ b\"\n\tpath: /etc/motd\n";
    let set = api
        .on(PATCH, user_data("cloud-init"))
        .text(value)
        .status(204)
        .mount()
        .await;
    api.seal().await;

    api.scaleway()
        .user_data()
        .set(SERVER_ID, "cloud-init", value)
        .await
        .unwrap();

    set.assert_calls_async(1).await;
    let seen = api.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].method, "PATCH");
    assert_eq!(seen[0].content_type.as_deref(), Some("text/plain"));
    assert_eq!(seen[0].body, value);
    assert!(seen[0].query.is_empty());
    api.finish().await;
}

#[tokio::test]
async fn delete_removes_a_key_and_accepts_one_already_gone() {
    let api = Api::start().await;
    let delete = api.on(DELETE, user_data("hello")).status(204).mount().await;
    let gone = api
        .on(DELETE, user_data("gone"))
        .not_found("instance_user_data", "gone")
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    scw.user_data().delete(SERVER_ID, "hello").await.unwrap();
    scw.user_data().delete(SERVER_ID, "gone").await.unwrap();

    delete.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn get_all_reads_every_key() {
    let api = Api::start().await;
    let list = mock_keys(&api, &["cloud-init", "hello", "vanished"]).await;
    let cloud_init = api
        .on(GET, user_data("cloud-init"))
        .reply_text(200, "#cloud-config\n")
        .mount()
        .await;
    let hello = api
        .on(GET, user_data("hello"))
        .reply_text(200, "world")
        .mount()
        .await;
    // Removed between the listing and its read: simply not in the map.
    let vanished = api
        .on(GET, user_data("vanished"))
        .not_found("instance_user_data", "vanished")
        .mount()
        .await;
    api.seal().await;

    let all = api.scaleway().user_data().get_all(SERVER_ID).await.unwrap();

    let expected: BTreeMap<String, String> = [("cloud-init", "#cloud-config\n"), ("hello", "world")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(all, expected);
    for mock in [list, cloud_init, hello, vanished] {
        mock.assert_calls_async(1).await;
    }
    api.finish().await;
}

#[tokio::test]
async fn set_all_deletes_keys_not_in_the_map_then_sets_the_others() {
    let api = Api::start().await;
    let list = mock_keys(&api, &["cloud-init", "old"]).await;
    let delete_old = api.on(DELETE, user_data("old")).status(204).mount().await;
    let set_cloud_init = api
        .on(PATCH, user_data("cloud-init"))
        .text("#cloud-config\n")
        .status(204)
        .mount()
        .await;
    let set_new = api
        .on(PATCH, user_data("new"))
        .text("value")
        .status(204)
        .mount()
        .await;
    api.seal().await;

    let values: BTreeMap<String, String> = [("cloud-init", "#cloud-config\n"), ("new", "value")]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    api.scaleway()
        .user_data()
        .set_all(SERVER_ID, &values)
        .await
        .unwrap();

    for mock in [list, delete_old, set_cloud_init, set_new] {
        mock.assert_calls_async(1).await;
    }
    assert_eq!(
        api.lines(),
        [
            format!("GET {}", user_data("")),
            format!("DELETE {}", user_data("old")),
            format!("PATCH {}", user_data("cloud-init")),
            format!("PATCH {}", user_data("new")),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn the_zone_of_one_call_is_in_the_path() {
    let api = Api::start().await;
    let list = api
        .on(
            GET,
            format!("/instance/v1/zones/nl-ams-1/servers/{SERVER_ID}/user_data"),
        )
        .reply(200, json!({"user_data": []}))
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    let keys = scw
        .user_data()
        .zone(Zone::NL_AMS_1)
        .keys(SERVER_ID)
        .await
        .unwrap();

    assert!(keys.is_empty());
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();
    let data = scw.user_data();
    let too_big = "x".repeat(MAX_USER_DATA_BYTES + 1);

    assert_invalid(data.keys(NOT_AN_ID).await, "server id");
    assert_invalid(data.get(SERVER_ID, "a/b").await, "user data key");
    assert_invalid(data.get(SERVER_ID, "").await, "user data key");
    assert_invalid(data.set(SERVER_ID, "cloud-init", &too_big).await, "user data");
    assert_invalid(data.set(SERVER_ID, "../x", "v").await, "user data key");
    assert_invalid(data.delete("../servers", "cloud-init").await, "server id");
    assert_invalid(data.get_all(NOT_AN_ID).await, "server id");
    // Every key and value of the map is checked before the listing.
    let values: BTreeMap<String, String> = [
        ("ok".to_string(), "v".to_string()),
        ("bad key".to_string(), "v".to_string()),
    ]
    .into_iter()
    .collect();
    assert_invalid(data.set_all(SERVER_ID, &values).await, "user data key");
    let values: BTreeMap<String, String> = [("cloud-init".to_string(), too_big)].into_iter().collect();
    assert_invalid(data.set_all(SERVER_ID, &values).await, "user data");

    api.assert_silent();
    api.finish().await;
}
