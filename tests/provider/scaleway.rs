//! Wire tests of the Scaleway provider: every workflow against httpmock, asserting the exact
//! requests (method, path, query, content type, body) and how many times each is made.
//!
//! Answers are the bodies of the fixtures (`tests/fixtures/traffic/`, in the real API's shape),
//! renamed (`tests/common/mock_api.rs`). Each test
//! ends with `api.finish()`: a catch-all answers 418 to any request no mock describes, and must
//! not have been called.
//!
//! One file per part of `src/provider/scaleway/`; what several of them use is here.

mod catalog;
mod factory;
mod firewalls;
mod networks;
mod servers;
mod validation;
mod volumes;
mod zones;

use crate::common::mock_api::*;
use httpmock::prelude::*;
use scaleway_client::provider::{
    Provider, ProviderConfig, ProviderError, ServerOptions, ServerStatus, VolumeOptions, VolumeStatus,
    provider_for,
};
use serde_json::{Value, json};

const SERVER_ID: &str = "5f5a33b1-c733-4c20-b0c8-63edbb38f620";
const OTHER_SERVER_ID: &str = "d1ed4b6d-697a-42ca-97b9-16c053f98cca";
const ROOT_VOLUME: &str = "2321930f-3147-4b09-a514-b5a8082990fe";
const DATA_VOLUME: &str = "4f70120c-36f1-49d4-90c2-8850e0896970";
const NETWORK_ID: &str = "c4afcdb0-e269-4d25-b9eb-460c7d948edc";
const OTHER_NETWORK_ID: &str = "e920fd51-0361-4bd8-8a4e-37af8156bf57";
const GROUP_ID: &str = "98cc7dc1-392f-4318-9f19-b9d7ef608527";
const NIC_ID: &str = "df6c6151-4d46-4cd4-b7f2-35b535c4f203";
const OTHER_NIC_ID: &str = "b3be75c7-5201-44c6-9c0f-604ae33e3431";
/// The x86_64 sbs `ubuntu_noble` image of fr-par-1, compatible with DEV1-S.
const IMAGE_SBS: &str = "da954c89-6891-4c70-8fdc-63e094449a63";
const CLOUD_INIT: &str = "#cloud-config\npackages: [nginx]\n";

fn inst(path: &str) -> String {
    format!("/instance/v1/zones/fr-par-1{path}")
}

fn block(path: &str) -> String {
    format!("/block/v1/zones/fr-par-1{path}")
}

fn vpc(path: &str) -> String {
    format!("/vpc/v2/regions/fr-par{path}")
}

fn web_options() -> ServerOptions {
    ServerOptions {
        name: "web-1".into(),
        instance_type: "DEV1-S".into(),
        image: "ubuntu-24.04".into(),
        user_data: None,
        network_id: None,
        firewall_id: None,
        tags: vec!["app=web".into()],
        ..ServerOptions::default()
    }
}

/// The POST /servers body the provider must send, without its create-token tag.
fn create_body(extra: &[(&str, Value)]) -> Value {
    let mut body = json!({
        "name": "web-1",
        "commercial_type": "DEV1-S",
        "image": IMAGE_SBS,
        "project": PROJECT,
        "dynamic_ip_required": true,
        "tags": ["app=web"],
    });
    for (key, value) in extra {
        body[*key] = value.clone();
    }
    body
}

/// A server with the sbs root volume and, optionally, NICs.
fn web_server(state: &str, nics: Value) -> Value {
    let mut s = server(SERVER_ID, "web-1", state);
    s["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME)});
    s["private_nics"] = nics;
    s["tags"] = json!(["app=web"]);
    s
}

/// The catalogue lookups of a create: commercial types and the `ubuntu_noble` sbs images.
async fn mock_catalog(api: &Api) -> (httpmock::Mock<'_>, httpmock::Mock<'_>) {
    let products = mock_products(api, "fr-par-1").await;
    let images = api
        .on(GET, "/marketplace/v2/local-images")
        .query(&[
            ("image_label", "ubuntu_noble"),
            ("zone", "fr-par-1"),
            ("type", "instance_sbs"),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .reply(200, fixture_body("local images of a label for a Block root"))
        .mount()
        .await;
    (products, images)
}

/// POST /servers with exactly `expected` plus one create-token tag; answers a stopped server.
async fn mock_create<'a>(api: &'a Api, expected: Value, answer: Value) -> httpmock::Mock<'a> {
    api.on(POST, inst("/servers"))
        .json_where(move |body| token_of(body).is_some() && without_token(body) == expected)
        .reply(201, json!({"server": answer}))
        .mount()
        .await
}

async fn mock_poweron(api: &Api, status: u16) -> httpmock::Mock<'_> {
    let answer = if status == 202 {
        task(SERVER_ID)
    } else {
        json!({"type": "internal_error", "message": "internal error"})
    };
    api.on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "poweron"}))
        .reply(status, answer)
        .mount()
        .await
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, ProviderError>, expected_field: &str) {
    match result {
        Err(ProviderError::InvalidInput { field, .. }) => assert_eq!(field, expected_field),
        other => panic!("expected invalid {expected_field}, got {other:?}"),
    }
}

fn volume_options(name: &str, size_gb: u64) -> VolumeOptions {
    VolumeOptions {
        name: name.into(),
        size_gb,
        server_id: None,
        iops: None,
        tier: None,
    }
}

async fn mock_network_list<'a>(api: &'a Api, region: &str, name: &str, found: Value) -> httpmock::Mock<'a> {
    let total = found.as_array().unwrap().len();
    api.on(GET, format!("/vpc/v2/regions/{region}/private-networks"))
        .query(&[
            ("project_id", PROJECT),
            ("name", name),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .reply(200, json!({"private_networks": found, "total_count": total}))
        .mount()
        .await
}
