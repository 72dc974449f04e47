//! Servers: lookups by name, tag and id, waits, and power changes; creates and deletes in the
//! submodules.

use httpmock::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

mod create;
mod delete;
mod failed_creates;

fn with_public_ip(mut server: Value, address: &str) -> Value {
    let ip = json!({
        "id": "f9bd0bd2-9ce4-4e4b-8d2f-0b4f6e0c0f3e",
        "address": address,
        "dynamic": false,
        "gateway": "62.210.0.1",
        "netmask": "32",
        "family": "inet",
        "provisioning_mode": "dhcp",
        "tags": [],
        "state": "attached",
        "ipam_id": "f9bd0bd2-9ce4-4e4b-8d2f-0b4f6e0c0f3e",
    });
    server["public_ip"] = ip.clone();
    server["public_ips"] = json!([ip]);
    server
}

#[tokio::test]
async fn test_find_server() {
    let api = Api::start().await;
    let found = api
        .on(GET, inst("/servers"))
        .query(&[
            ("project", PROJECT),
            ("name", "web-1"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(2)
        .reply(
            200,
            json!({"servers": [
                server(OTHER_SERVER_ID, "web-10", "running"),
                with_public_ip(web_server("running", json!([])), "51.15.200.10"),
            ]}),
        )
        .mount()
        .await;
    let missing = api
        .on(GET, inst("/servers"))
        .query(&[
            ("project", PROJECT),
            ("name", "db-1"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(0)
        .reply(200, json!({"servers": []}))
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    let server = provider
        .find_server("web-1")
        .await
        .unwrap()
        .expect("web-1 exists");
    assert_eq!(server.id, SERVER_ID);
    assert_eq!(server.name, "web-1");
    assert_eq!(server.status, ServerStatus::Running);
    assert_eq!(server.provider_status, "running");
    assert_eq!(server.public_ipv4.as_deref(), Some("51.15.200.10"));
    assert_eq!(server.tags, ["app=web"]);
    assert_eq!(server.zone, "fr-par-1");
    assert_eq!(provider.find_server("db-1").await.unwrap(), None);

    found.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_find_server_compares_names_exactly_across_pages() {
    let api = Api::start().await;
    // A full first page of names that contain `web-1` without being it, then the right one.
    let first: Vec<Value> = (10..20)
        .chain(100..190)
        .map(|n| {
            server(
                &format!("00000000-0000-4000-8000-{n:012}"),
                &format!("web-{n}"),
                "running",
            )
        })
        .collect();
    assert_eq!(first.len(), 100);
    let query = |page: &'static str| {
        [
            ("project", PROJECT),
            ("name", "web-1"),
            ("page", page),
            ("per_page", "100"),
        ]
    };
    let page1 = api
        .on(GET, inst("/servers"))
        .query(&query("1"))
        .total(101)
        .reply(200, json!({"servers": first}))
        .mount()
        .await;
    let page2 = api
        .on(GET, inst("/servers"))
        .query(&query("2"))
        .total(101)
        .reply(200, json!({"servers": [web_server("stopped", json!([]))]}))
        .mount()
        .await;
    api.seal().await;

    let server = api
        .provider()
        .find_server("web-1")
        .await
        .unwrap()
        .expect("web-1 is on page 2");

    assert_eq!(server.id, SERVER_ID);
    assert_eq!(server.name, "web-1");
    assert_eq!(server.status, ServerStatus::Stopped);
    page1.assert_calls_async(1).await;
    page2.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_list_servers() {
    let api = Api::start().await;
    let mut stopped = server(OTHER_SERVER_ID, "web-2", "stopped");
    stopped["tags"] = json!([
        "app=web",
        "scaleway-client-create=0b0c8e8e-5e0e-4f4e-9a55-3c9bd3d2f6a1"
    ]);
    let list = api
        .on(GET, inst("/servers"))
        .query(&[("project", PROJECT), ("page", "1"), ("per_page", "100")])
        .total(2)
        .reply(
            200,
            json!({"servers": [web_server("running", json!([])), stopped]}),
        )
        .mount()
        .await;
    api.seal().await;

    let servers = api.provider().list_servers().await.unwrap();

    assert_eq!(servers.len(), 2);
    assert_eq!(
        (
            servers[0].id.as_str(),
            servers[0].name.as_str(),
            servers[0].status
        ),
        (SERVER_ID, "web-1", ServerStatus::Running)
    );
    assert_eq!(
        (
            servers[1].id.as_str(),
            servers[1].name.as_str(),
            servers[1].status
        ),
        (OTHER_SERVER_ID, "web-2", ServerStatus::Stopped)
    );
    // The provider's own bookkeeping tag is not the user's.
    assert_eq!(servers[1].tags, ["app=web"]);
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_list_servers_by_tag_and_get_server() {
    let api = Api::start().await;
    let tagged = api
        .on(GET, inst("/servers"))
        .query(&[
            ("project", PROJECT),
            ("tags", "app=web"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(1)
        .reply(200, json!({"servers": [web_server("running", json!([]))]}))
        .mount()
        .await;
    let get = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("stopped", json!([]))}))
        .mount()
        .await;
    let missing = api
        .on(GET, inst(&format!("/servers/{OTHER_SERVER_ID}")))
        .not_found("instance_server", OTHER_SERVER_ID)
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    let servers = provider.list_servers_by_tag("app=web").await.unwrap();
    assert_eq!(servers.len(), 1);
    assert_eq!(servers[0].id, SERVER_ID);
    let server = provider.get_server(SERVER_ID).await.unwrap().unwrap();
    assert_eq!(server.status, ServerStatus::Stopped);
    assert_eq!(server.provider_status, "stopped");
    assert_eq!(provider.get_server(OTHER_SERVER_ID).await.unwrap(), None);

    tagged.assert_calls_async(1).await;
    get.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_wait_for_server_success() {
    let api = Api::start().await;
    let path = inst(&format!("/servers/{SERVER_ID}"));
    let starting = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .times(2)
        .mount()
        .await;
    let running = api
        .on(GET, &path)
        .reply(
            200,
            json!({"server": with_public_ip(web_server("running", json!([])), "51.15.200.10")}),
        )
        .mount()
        .await;
    api.seal().await;

    let server = api.provider().wait_for_server(SERVER_ID, 5).await.unwrap();

    assert_eq!(server.status, ServerStatus::Running);
    assert_eq!(server.public_ipv4.as_deref(), Some("51.15.200.10"));
    starting.assert_calls_async(2).await;
    running.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_wait_for_server_timeout() {
    let api = Api::start().await;
    let starting = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().wait_for_server(SERVER_ID, 3).await.unwrap_err();

    match err {
        ProviderError::Timeout { what, last_state } => {
            assert!(what.contains(SERVER_ID), "{what}");
            assert_eq!(last_state, "starting");
        }
        other => panic!("expected Timeout, got {other:?}"),
    }
    // `max_attempts` polls, no more.
    starting.assert_calls_async(3).await;
    api.finish().await;
}

#[tokio::test]
async fn test_power_off_running_server_waits_until_stopped() {
    let api = Api::start().await;
    let path = inst(&format!("/servers/{SERVER_ID}"));
    let running = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .times(1)
        .mount()
        .await;
    let stopping = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("stopping", json!([]))}))
        .times(1)
        .mount()
        .await;
    let stopped = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("stopped", json!([]))}))
        .mount()
        .await;
    let poweroff = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "poweroff"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider();

    provider.power_off(SERVER_ID).await.unwrap();
    // Already stopped: nothing to do.
    provider.power_off(SERVER_ID).await.unwrap();

    running.assert_calls_async(1).await;
    poweroff.assert_calls_async(1).await;
    stopping.assert_calls_async(1).await;
    stopped.assert_calls_async(2).await;
    api.finish().await;
}

#[tokio::test]
async fn test_power_on_a_server_stopping_in_place_powers_it_on_once_stopped_in_place() {
    let api = Api::start().await;
    let path = inst(&format!("/servers/{SERVER_ID}"));
    let mut parking = web_server("stopping", json!([]));
    parking["state_detail"] = json!("stopping in place");
    let mut parked = web_server("stopped in place", json!([]));
    parked["state_detail"] = json!("stopped in place");
    let mut states = Vec::new();
    for server in [parking.clone(), parking, parked] {
        states.push(
            api.on(GET, &path)
                .reply(200, json!({ "server": server }))
                .times(1)
                .mount()
                .await,
        );
    }
    let running = api
        .on(GET, &path)
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .mount()
        .await;
    let poweron = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "poweron"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    api.seal().await;

    // A stop in place ends in `stopped in place`, never `stopped`: the wait must not be for that.
    api.provider().power_on(SERVER_ID).await.unwrap();

    for state in &states {
        state.assert_calls_async(1).await;
    }
    poweron.assert_calls_async(1).await;
    running.assert_calls_async(1).await;
    api.finish().await;
}

/// GET of the server: `first` once, then 404.
async fn mock_server_then_gone<'a>(
    api: &'a Api,
    first: &[Value],
) -> (httpmock::Mock<'a>, httpmock::Mock<'a>) {
    let path = inst(&format!("/servers/{SERVER_ID}"));
    let mut present = None;
    for (i, body) in first.iter().enumerate() {
        let mock = api
            .on(GET, &path)
            .reply(200, json!({"server": body}))
            .times(1)
            .mount()
            .await;
        if i == 0 {
            present = Some(mock);
        }
    }
    let gone = api
        .on(GET, &path)
        .not_found("instance_server", SERVER_ID)
        .mount()
        .await;
    (present.unwrap(), gone)
}

/// The root volume: `detaching` for `detaching` GETs, then available; then its DELETE, refused
/// once first (as the API refuses a volume still detaching) when `detaching` is not 0.
async fn mock_root_volume(api: &Api, detaching: usize) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let path = block(&format!("/volumes/{ROOT_VOLUME}"));
    let name = "Ubuntu 24.04 Noble Numbat_sbs_volume_0";
    if detaching > 0 {
        api.on(GET, &path)
            .reply(
                200,
                block_volume(ROOT_VOLUME, name, "in_use", Some((SERVER_ID, "detaching"))),
            )
            .times(detaching)
            .mount()
            .await;
    }
    let available = api
        .on(GET, &path)
        .reply(200, block_volume(ROOT_VOLUME, name, "available", None))
        .mount()
        .await;
    if detaching > 0 {
        api.on(DELETE, &path)
            .reply(
                412,
                json!({"type": "precondition_failed", "message": "precondition is not respected",
                       "precondition": "resource_still_in_use",
                       "help_message": "volume is attached to an instance, detach it before deleting it"}),
            )
            .times(1)
            .mount()
            .await;
    }
    let delete = api.on(DELETE, &path).status(204).mount().await;
    (available, delete)
}
