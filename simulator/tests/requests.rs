//! The requests the simulator tests make: the crate's client on a simulator, each call answered as
//! the JSON the simulator sent, and raw HTTP where the typed client hides headers or bodies.

use std::time::Duration;

use scaleway_client::api::{block_v1, instance_v1, vpc_v2};
use scaleway_client::{Client, Error, RetryPolicy};
use scaleway_sim::Simulator;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::common;

pub(super) const ZONE: &str = "fr-par-1";
/// ubuntu_noble in fr-par-1: instance_local and instance_sbs x86_64.
pub(super) const LOCAL_IMAGE: &str = "98cf81a9-f0bd-4deb-8893-33f362f7421e";
pub(super) const SBS_IMAGE: &str = "da954c89-6891-4c70-8fdc-63e094449a63";

pub(super) use crate::common::simulator as sim;

/// A client on `sim` with `key`, its project and organization, and no retries: every answer
/// reaches the test as the simulator sent it.
pub(super) fn client_with(sim: &Simulator, key: &str) -> Client {
    let config = common::simulator_config(sim)
        .secret_key(key)
        .organization_id(sim.organization_id());
    common::client(config, RetryPolicy::none())
}

pub(super) fn client(sim: &Simulator) -> Client {
    client_with(sim, sim.secret_key())
}

pub(super) fn body<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

pub(super) fn js<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap()
}

/// A raw request with the simulator's token, for headers and bodies the typed client hides.
pub(super) async fn raw(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> reqwest::Response {
    let http = scaleway_client::http_client_builder().unwrap().build().unwrap();
    let mut req = http
        .request(method.parse().unwrap(), format!("{}{path}", sim.base_url()))
        .header("X-Auth-Token", sim.secret_key());
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

/// A GET of `path` with the client's own HTTP client and key, for the answer as it was sent.
async fn get_as_sent(c: &Client, path: &str) -> reqwest::Response {
    c.http()
        .get(format!("{}{path}", c.base_url()))
        .header("X-Auth-Token", c.config().secret_key().expose())
        .send()
        .await
        .unwrap()
}

/// The server as the simulator sends it (the generated types drop empty arrays when serialized).
pub(super) async fn get_server(c: &Client, id: &str) -> Value {
    let r = get_as_sent(c, &format!("/instance/v1/zones/{ZONE}/servers/{id}")).await;
    assert_eq!(r.status(), 200);
    r.json::<Value>().await.unwrap()["server"].clone()
}

pub(super) async fn create_server(c: &Client, name: &str, image: &str, tags: &[&str]) -> Value {
    let r = c
        .instance()
        .create_server()
        .zone(ZONE)
        .body(body::<instance_v1::types::CreateServerBody>(
            json!({"name": name, "commercial_type": "DEV1-S", "image": image, "tags": tags}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    js(&r.into_inner().server)
}

pub(super) async fn action(c: &Client, id: &str, action: &str) -> Result<Value, Error> {
    c.instance()
        .server_action()
        .zone(ZONE)
        .server_id(id)
        .body(body::<instance_v1::types::ServerActionBody>(
            json!({"action": action}),
        ))
        .send()
        .await
        .map(|r| js(&r.into_inner()))
        .map_err(Error::from)
}

pub(super) async fn wait_state(c: &Client, id: &str, state: &str) -> Value {
    for _ in 0..400 {
        let s = get_server(c, id).await;
        if s["state"] == state {
            return s;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server {id} never reached {state}");
}

pub(super) async fn create_pn(c: &Client, name: &str) -> Value {
    let pn = c
        .vpc()
        .create_private_network()
        .region("fr-par")
        .body(body::<vpc_v2::types::CreatePrivateNetworkBody>(
            json!({"name": name}),
        ))
        .send()
        .await
        .unwrap();
    js(&pn.into_inner())
}

pub(super) async fn create_nic(c: &Client, server: &str, pn: &str) -> Value {
    let r = c
        .instance()
        .create_private_nic()
        .zone(ZONE)
        .server_id(server)
        .body(body::<instance_v1::types::CreatePrivateNicBody>(
            json!({"private_network_id": pn}),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    js(&r.into_inner().private_nic)
}

pub(super) async fn create_block(c: &Client, name: &str, iops: u64) -> Value {
    let v = c
        .block()
        .create_volume()
        .zone(ZONE)
        .body(body::<block_v1::types::CreateVolumeBody>(
            json!({"name": name, "perf_iops": iops, "from_empty": {"size": 20_000_000_000u64}}),
        ))
        .send()
        .await
        .unwrap();
    js(&v.into_inner())
}

pub(super) async fn get_block(c: &Client, id: &str) -> Value {
    // Through the typed client first (it must parse), then the wire JSON.
    c.block()
        .get_volume()
        .zone(ZONE)
        .volume_id(id)
        .send()
        .await
        .unwrap();
    let r = get_as_sent(c, &format!("/block/v1/zones/{ZONE}/volumes/{id}")).await;
    r.json::<Value>().await.unwrap()
}

/// Polls a Block volume until `done` holds.
pub(super) async fn wait_block(c: &Client, id: &str, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..400 {
        let v = get_block(c, id).await;
        if done(&v) {
            return v;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("volume {id} never got {what}");
}
