//! `Servers`: lookups, waits, actions, power, the create workflow (stopped → IOPS → cloud-init →
//! NICs → power on, undone on failure) and the delete with each volume policy.

use futures_util::TryStreamExt;
use httpmock::prelude::*;
use scaleway_client::api::instance_v1::types::{Server, ServerAction};
use scaleway_client::resources::{
    ExtraVolume, PublicIp, RootVolume, ServerFilter, ServerSpec, ServerTarget, VolumePolicy,
};
use scaleway_client::wait::WaitOptions;
use scaleway_client::{ByteSize, Zone};
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

mod create;
mod delete;

fn server_path() -> String {
    inst(&format!("/servers/{SERVER_ID}"))
}

fn action_path() -> String {
    inst(&format!("/servers/{SERVER_ID}/action"))
}

/// `web-1` with its Block root volume, no NIC, no tag.
fn web(state: &str) -> Value {
    let mut s = server(SERVER_ID, "web-1", state);
    s["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME)});
    s["private_nics"] = json!([]);
    s
}

/// GET of the server: each of `first` once, then `then` for good (`None`: 404).
async fn mock_server_states<'a>(
    api: &'a Api,
    first: &[Value],
    then: Option<Value>,
) -> Vec<httpmock::Mock<'a>> {
    let mut mocks = Vec::new();
    for body in first {
        mocks.push(
            api.on(GET, server_path())
                .reply(200, json!({"server": body}))
                .times(1)
                .mount()
                .await,
        );
    }
    let last = api.on(GET, server_path());
    let last = match then {
        Some(body) => last.reply(200, json!({"server": body})),
        None => last.not_found("instance_server", SERVER_ID),
    };
    mocks.push(last.mount().await);
    mocks
}

/// POST of one action, answered with its task (202) or an error.
async fn mock_action<'a>(api: &'a Api, action: &str, status: u16) -> httpmock::Mock<'a> {
    let answer = if status == 202 {
        task(SERVER_ID)
    } else {
        json!({"type": "internal_error", "message": "internal error"})
    };
    api.on(POST, action_path())
        .json(json!({"action": action}))
        .reply(status, answer)
        .mount()
        .await
}

async fn assert_each_called_once(mocks: Vec<httpmock::Mock<'_>>) {
    for mock in mocks {
        mock.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn get_returns_the_server_and_none_when_missing() {
    let api = Api::start().await;
    let states = mock_server_states(&api, &[web("running")], None).await;
    api.seal().await;
    let scw = api.scaleway();

    let found = scw.servers().get(SERVER_ID).await.unwrap().unwrap();
    let gone = scw.servers().get(SERVER_ID).await.unwrap();

    assert_eq!(found.name.as_deref(), Some("web-1"));
    assert!(gone.is_none());
    assert_each_called_once(states).await;
    assert!(api.seen().iter().all(|r| r.query.is_empty()));
    api.finish().await;
}

#[tokio::test]
async fn get_existing_of_a_missing_server_is_not_found() {
    let api = Api::start().await;
    let gone = mock_server_states(&api, &[], None).await;
    api.seal().await;

    let err = api
        .scaleway()
        .servers()
        .get_existing(SERVER_ID)
        .await
        .unwrap_err();

    assert!(err.is_not_found(), "{err:?}");
    assert_each_called_once(gone).await;
    api.finish().await;
}

#[tokio::test]
async fn list_sends_every_filter_and_reads_every_page() {
    let api = Api::start().await;
    let page = |n: &str, ids: &[&str]| {
        let servers: Vec<Value> = ids.iter().map(|id| server(id, "web", "running")).collect();
        api.on(GET, inst("/servers"))
            .query(&[
                ("project", PROJECT),
                ("name", "web"),
                ("tags", "app=web"),
                ("private_network", NETWORK_ID),
                ("page", n),
                ("per_page", "100"),
            ])
            .total(3)
            .reply(200, json!({"servers": servers}))
            .mount()
    };
    // The API may answer fewer than asked: the total says a second page remains.
    let first = page("1", &[SERVER_ID, OTHER_SERVER_ID]).await;
    let second = page("2", &[GROUP_ID]).await;
    api.seal().await;
    let filter = ServerFilter {
        name: Some("web".into()),
        tag: Some("app=web".into()),
        private_network: Some(NETWORK_ID.into()),
    };
    let scw = api.scaleway();
    let servers = scw.servers();

    let all: Vec<Server> = servers.list(&filter).try_collect().await.unwrap();

    let ids: Vec<_> = all.iter().filter_map(|s| s.id.as_deref()).collect();
    assert_eq!(ids, [SERVER_ID, OTHER_SERVER_ID, GROUP_ID]);
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn find_by_name_compares_names_exactly_across_pages() {
    let api = Api::start().await;
    let page = |n: &str, id: &str, name: &str| {
        api.on(GET, inst("/servers"))
            .query(&[
                ("project", PROJECT),
                ("name", "web-1"),
                ("page", n),
                ("per_page", "100"),
            ])
            .total(2)
            .reply(200, json!({"servers": [server(id, name, "running")]}))
            .mount()
    };
    let first = page("1", OTHER_SERVER_ID, "web-10").await;
    let second = page("2", SERVER_ID, "web-1").await;
    api.seal().await;

    let found = api
        .scaleway()
        .servers()
        .find_by_name("web-1")
        .await
        .unwrap()
        .unwrap();

    assert_eq!(found.id.as_deref(), Some(SERVER_ID));
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn list_by_tag_sends_the_tag() {
    let api = Api::start().await;
    let list = api
        .on(GET, inst("/servers"))
        .query(&[
            ("project", PROJECT),
            ("tags", "app=web"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(1)
        .reply(200, json!({"servers": [web("running")]}))
        .mount()
        .await;
    api.seal().await;

    let servers = api.scaleway().servers().list_by_tag("app=web").await.unwrap();

    assert_eq!(servers.len(), 1);
    list.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_polls_until_the_target() {
    let api = Api::start().await;
    let states = mock_server_states(&api, &[web("starting"), web("starting")], Some(web("running"))).await;
    api.seal().await;

    let server = api
        .scaleway()
        .servers()
        .wait(SERVER_ID, ServerTarget::Running)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(server.state.to_string(), "running");
    assert_each_called_once(states).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_for_deleted_ends_at_the_404() {
    let api = Api::start().await;
    let states = mock_server_states(&api, &[web("stopping")], None).await;
    api.seal().await;

    let gone = api
        .scaleway()
        .servers()
        .wait(SERVER_ID, ServerTarget::Deleted)
        .await
        .unwrap();

    assert!(gone.is_none());
    assert_each_called_once(states).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_with_stops_after_its_polls_with_the_last_state() {
    let api = Api::start().await;
    let starting = api
        .on(GET, server_path())
        .reply(200, json!({"server": web("starting")}))
        .mount()
        .await;
    api.seal().await;
    let options = WaitOptions::default()
        .first_interval(std::time::Duration::from_millis(1))
        .max_polls(3);

    let result = api
        .scaleway()
        .servers()
        .wait_with(SERVER_ID, ServerTarget::Stopped, &options)
        .await;

    match result {
        Err(Error::WaitTimeout { what, last_state }) => {
            assert!(what.contains(SERVER_ID), "{what}");
            assert_eq!(last_state, "starting");
        }
        other => panic!("expected a timeout, got {other:?}"),
    }
    starting.assert_calls_async(3).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_fails_on_locked_and_on_a_vanished_server() {
    let api = Api::start().await;
    let states = mock_server_states(&api, &[web("locked")], None).await;
    api.seal().await;
    let scw = api.scaleway();

    match scw.servers().wait(SERVER_ID, ServerTarget::Running).await {
        Err(Error::FailedState { state, .. }) => assert_eq!(state, "locked"),
        other => panic!("expected a failed state, got {other:?}"),
    }
    let vanished = scw
        .servers()
        .wait(SERVER_ID, ServerTarget::Running)
        .await
        .unwrap_err();

    assert!(vanished.is_not_found(), "{vanished:?}");
    assert_each_called_once(states).await;
    api.finish().await;
}

#[tokio::test]
async fn action_and_wait_sends_the_action_then_polls() {
    let api = Api::start().await;
    let reboot = mock_action(&api, "reboot", 202).await;
    let states = mock_server_states(&api, &[web("starting")], Some(web("running"))).await;
    api.seal().await;

    let server = api
        .scaleway()
        .servers()
        .action_and_wait(SERVER_ID, ServerAction::Reboot)
        .await
        .unwrap()
        .unwrap();

    assert_eq!(server.state.to_string(), "running");
    reboot.assert_calls_async(1).await;
    assert_each_called_once(states).await;
    assert_eq!(
        api.lines(),
        [
            format!("POST {}", action_path()),
            format!("GET {}", server_path()),
            format!("GET {}", server_path())
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn action_and_wait_for_terminate_ends_when_the_server_is_gone() {
    let api = Api::start().await;
    let terminate = mock_action(&api, "terminate", 202).await;
    let gone = mock_server_states(&api, &[], None).await;
    api.seal().await;

    let result = api
        .scaleway()
        .servers()
        .action_and_wait(SERVER_ID, ServerAction::Terminate)
        .await
        .unwrap();

    assert!(result.is_none());
    terminate.assert_calls_async(1).await;
    assert_each_called_once(gone).await;
    api.finish().await;
}

#[tokio::test]
async fn power_on_starts_a_stopped_server_and_waits() {
    let api = Api::start().await;
    let states = mock_server_states(&api, &[web("stopped"), web("starting")], Some(web("running"))).await;
    let poweron = mock_action(&api, "poweron", 202).await;
    api.seal().await;

    let server = api.scaleway().servers().power_on(SERVER_ID).await.unwrap();

    assert_eq!(server.state.to_string(), "running");
    poweron.assert_calls_async(1).await;
    assert_each_called_once(states).await;
    assert_eq!(api.lines()[1], format!("POST {}", action_path()));
    api.finish().await;
}

#[tokio::test]
async fn power_on_of_a_running_server_sends_no_action() {
    let api = Api::start().await;
    let running = api
        .on(GET, server_path())
        .reply(200, json!({"server": web("running")}))
        .mount()
        .await;
    api.seal().await;

    api.scaleway().servers().power_on(SERVER_ID).await.unwrap();

    running.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}

#[tokio::test]
async fn power_off_stops_a_running_server_and_waits() {
    let api = Api::start().await;
    let states = mock_server_states(&api, &[web("running"), web("stopping")], Some(web("stopped"))).await;
    let poweroff = mock_action(&api, "poweroff", 202).await;
    api.seal().await;

    let server = api.scaleway().servers().power_off(SERVER_ID).await.unwrap();

    assert_eq!(server.state.to_string(), "stopped");
    poweroff.assert_calls_async(1).await;
    assert_each_called_once(states).await;
    api.finish().await;
}

#[tokio::test]
async fn the_zone_of_one_call_is_in_the_path() {
    let api = Api::start().await;
    let get = api
        .on(GET, format!("/instance/v1/zones/nl-ams-1/servers/{SERVER_ID}"))
        .reply(200, json!({"server": web("running")}))
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    let servers = scw.servers().zone(Zone::NL_AMS_1);
    assert_eq!(servers.current_zone(), &Zone::NL_AMS_1);
    assert!(servers.get(SERVER_ID).await.unwrap().is_some());

    get.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();
    let servers = scw.servers();

    assert_invalid(servers.get(NOT_AN_ID).await, "server id");
    assert_invalid(servers.get_existing("../x").await, "server id");
    assert_invalid(servers.find_by_name("").await, "server name");
    assert_invalid(servers.list_by_tag("a,b").await, "tag");
    assert_invalid(servers.wait(NOT_AN_ID, ServerTarget::Running).await, "server id");
    assert_invalid(
        servers
            .wait_with(NOT_AN_ID, ServerTarget::Settled, &WaitOptions::default())
            .await,
        "server id",
    );
    assert_invalid(
        servers.action_and_wait(NOT_AN_ID, ServerAction::Poweron).await,
        "server id",
    );
    assert_invalid(servers.power_on(NOT_AN_ID).await, "server id");
    assert_invalid(servers.power_off(NOT_AN_ID).await, "server id");
    assert_invalid(
        servers.delete(NOT_AN_ID, VolumePolicy::DeleteAll).await,
        "server id",
    );

    api.assert_silent();
    api.finish().await;
}

/// Each spec is refused, naming its field, before any request.
#[tokio::test]
async fn bad_specs_are_refused_before_any_request() {
    // Longer than a screen on purpose: a list of bad specs, one per field, each refused before any
    // request; it reads best whole.
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();
    let gb = |n| ByteSize::from_gb(n).unwrap();
    let spec = || ServerSpec::new("web-1", "DEV1-S", "ubuntu-24.04");
    let cases: Vec<(ServerSpec, &str)> = vec![
        (ServerSpec::new("web 1", "DEV1-S", "ubuntu-24.04"), "server name"),
        (
            ServerSpec::new("w".repeat(64), "DEV1-S", "ubuntu-24.04"),
            "server name",
        ),
        (ServerSpec::new("web-1", " ", "ubuntu-24.04"), "commercial type"),
        (ServerSpec::new("web-1", "DEV1-S", ""), "image"),
        (ServerSpec::new("web-1", "DEV1-S", "ubuntu/24.04"), "image"),
        (spec().root_volume(RootVolume::block(gb(1))), "root volume size"),
        (
            spec().root_volume(RootVolume::block(gb(20)).iops(1000)),
            "root volume IOPS",
        ),
        (
            spec().root_volume(RootVolume::local(gb(20)).iops(5000)),
            "root volume IOPS",
        ),
        (
            spec().extra_volume(ExtraVolume::New {
                size: gb(20_000),
                iops: None,
            }),
            "volume size",
        ),
        (
            spec().extra_volume(ExtraVolume::New {
                size: gb(20),
                iops: Some(3),
            }),
            "volume IOPS",
        ),
        (
            spec().extra_volume(ExtraVolume::Existing(NOT_AN_ID.into())),
            "volume id",
        ),
        (spec().private_network(NOT_AN_ID), "private network id"),
        (
            spec().private_network(NETWORK_ID).private_network(NETWORK_ID),
            "private network id",
        ),
        (spec().security_group(NOT_AN_ID), "security group id"),
        (spec().placement_group(NOT_AN_ID), "placement group id"),
        (spec().public_ip(PublicIp::Flexible(NOT_AN_ID.into())), "IP id"),
        (spec().tag("a,b"), "tag"),
        (spec().tag("scaleway-client-create=mine"), "tag"),
        (spec().cloud_init("x".repeat(64 * 1024 + 1)), "user data"),
    ];
    for (spec, field) in cases {
        assert_invalid(scw.servers().create(&spec).await, field);
    }
    // No Block Storage in it-mil-1: a Block root (the default there is local) or an extra volume.
    let milan = scw.servers().zone(Zone::IT_MIL_1);
    assert_invalid(
        milan.create(&spec().root_volume(RootVolume::block(gb(20)))).await,
        "zone",
    );
    let extra = spec()
        .root_volume(RootVolume::local(gb(20)))
        .extra_volume(ExtraVolume::New {
            size: gb(20),
            iops: None,
        });
    assert_invalid(milan.create(&extra).await, "zone");

    api.assert_silent();
    api.finish().await;
}
