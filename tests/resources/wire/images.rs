//! `Images`: aliases and labels resolved per zone, type and root kind (cached), image waits.

use httpmock::prelude::*;
use scaleway_client::Zone;
use scaleway_client::resources::{RootKind, image_label};
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

const IMAGE_ID: &str = "b1c1d00b-e266-4068-9f4d-b1af5f9bf887";

/// The `ubuntu_noble` listing of fr-par-1 for a Block root: an arm64 image first, then
/// [`IMAGE_SBS`].
fn noble_images() -> Value {
    fixture_body("local images of a label for a Block root")
}

async fn mock_local_images<'a>(
    api: &'a Api,
    label: &str,
    zone: &str,
    kind: &str,
    answer: Value,
) -> httpmock::Mock<'a> {
    api.on(GET, "/marketplace/v2/local-images")
        .query(&[
            ("image_label", label),
            ("zone", zone),
            ("type", kind),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .reply(200, answer)
        .mount()
        .await
}

#[tokio::test]
async fn resolve_an_alias_picks_the_compatible_image_once() {
    let api = Api::start().await;
    let listing = mock_local_images(&api, "ubuntu_noble", "fr-par-1", "instance_sbs", noble_images()).await;
    api.seal().await;
    let scw = api.scaleway();

    let id = scw
        .images()
        .resolve("ubuntu-24.04", "DEV1-S", RootKind::Block)
        .await
        .unwrap();
    // The label itself resolves to the same image, from the cache: no second request.
    let again = scw
        .images()
        .resolve("ubuntu_noble", "DEV1-S", RootKind::Block)
        .await
        .unwrap();

    assert_eq!(image_label("ubuntu-24.04"), "ubuntu_noble");
    assert_eq!(id, IMAGE_SBS);
    assert_eq!(again, IMAGE_SBS);
    listing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn resolve_a_label_for_a_local_root_in_another_zone() {
    let api = Api::start().await;
    let mut answer = noble_images();
    for image in answer["local_images"].as_array_mut().unwrap() {
        image["zone"] = json!("nl-ams-1");
    }
    let listing = mock_local_images(&api, "debian_bookworm", "nl-ams-1", "instance_local", answer).await;
    api.seal().await;

    let id = api
        .scaleway()
        .images()
        .zone(Zone::NL_AMS_1)
        .resolve("debian-12", "DEV1-S", RootKind::Local)
        .await
        .unwrap();

    assert_eq!(id, IMAGE_SBS);
    listing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn resolve_an_image_id_sends_nothing() {
    let api = Api::start().await;
    api.seal().await;

    let id = api
        .scaleway()
        .images()
        .resolve(IMAGE_ID, "DEV1-S", RootKind::Block)
        .await
        .unwrap();

    assert_eq!(id, IMAGE_ID);
    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn resolve_without_a_compatible_image_is_invalid_input() {
    let api = Api::start().await;
    let listing = mock_local_images(&api, "ubuntu_noble", "fr-par-1", "instance_sbs", noble_images()).await;
    let unknown = api
        .on(GET, "/marketplace/v2/local-images")
        .query(&[
            ("image_label", "no_such_label"),
            ("zone", "fr-par-1"),
            ("type", "instance_sbs"),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .not_found("image_label", "no_such_label")
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    let images = scw.images();

    assert_invalid(
        images
            .resolve("ubuntu_noble", "H100-1-80G", RootKind::Block)
            .await,
        "image",
    );
    assert_invalid(
        images.resolve("no_such_label", "DEV1-S", RootKind::Block).await,
        "image",
    );
    // A failed resolution is not cached.
    assert_invalid(
        images
            .resolve("ubuntu_noble", "H100-1-80G", RootKind::Block)
            .await,
        "image",
    );

    listing.assert_calls_async(2).await;
    unknown.assert_calls_async(1).await;
    api.finish().await;
}

fn image(state: &str) -> Value {
    let mut body = fixture_body("get an image made from a server");
    body["image"]["state"] = json!(state);
    body
}

#[tokio::test]
async fn wait_polls_until_available() {
    let api = Api::start().await;
    let path = inst(&format!("/images/{IMAGE_ID}"));
    let creating = api
        .on(GET, &path)
        .reply(200, image("creating"))
        .times(2)
        .mount()
        .await;
    let available = api.on(GET, &path).reply(200, image("available")).mount().await;
    api.seal().await;

    let image = api.scaleway().images().wait(IMAGE_ID).await.unwrap();

    assert_eq!(image.id.as_deref(), Some(IMAGE_ID));
    assert_eq!(image.state.to_string(), "available");
    creating.assert_calls_async(2).await;
    available.assert_calls_async(1).await;
    assert!(api.seen().iter().all(|r| r.query.is_empty() && r.method == "GET"));
    api.finish().await;
}

#[tokio::test]
async fn wait_ends_on_error_and_on_a_missing_image() {
    let api = Api::start().await;
    let failed = api
        .on(GET, inst(&format!("/images/{IMAGE_ID}")))
        .reply(200, image("error"))
        .mount()
        .await;
    let missing = api
        .on(GET, inst(&format!("/images/{IMAGE_SBS}")))
        .not_found("instance_image", IMAGE_SBS)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();
    let images = scw.images();

    match images.wait(IMAGE_ID).await {
        Err(Error::FailedState { what, state }) => {
            assert!(what.contains(IMAGE_ID), "{what}");
            assert_eq!(state, "error");
        }
        other => panic!("expected a failed state, got {other:?}"),
    }
    assert!(images.wait(IMAGE_SBS).await.unwrap_err().is_not_found());
    failed.assert_calls_async(1).await;
    missing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;
    let scw = api.scaleway();
    let images = scw.images();

    assert_invalid(
        images.resolve("ubuntu noble", "DEV1-S", RootKind::Block).await,
        "image",
    );
    assert_invalid(images.resolve("../x", "DEV1-S", RootKind::Block).await, "image");
    assert_invalid(images.resolve("", "DEV1-S", RootKind::Block).await, "image");
    assert_invalid(images.wait(NOT_AN_ID).await, "image id");

    api.assert_silent();
    api.finish().await;
}
