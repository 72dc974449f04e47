//! Marketplace: local images per zone, label and root kind.

use scaleway_client::Error;
use serde_json::json;

use super::requests::*;

#[tokio::test]
async fn marketplace_account_and_images_of_local_images() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    for zone in ["fr-par-1", "fr-par-2", "nl-ams-1", "pl-waw-3"] {
        for label in ["ubuntu_noble", "ubuntu_jammy", "ubuntu_focal", "debian_bookworm"] {
            let imgs = c
                .marketplace()
                .list_local_images()
                .image_label(label)
                .zone(zone)
                .order_by("type_asc")
                .send()
                .await
                .unwrap();
            let imgs = js(&imgs.into_inner());
            let types: Vec<&str> = imgs["local_images"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["type"].as_str().unwrap())
                .collect();
            assert_eq!(
                types,
                ["instance_local", "instance_sbs", "instance_sbs"],
                "{zone} {label}"
            );
            assert!(
                imgs["local_images"][0]["compatible_commercial_types"]
                    .as_array()
                    .unwrap()
                    .contains(&json!("DEV1-S"))
            );
        }
    }
    let err = Error::from(
        c.marketplace()
            .list_local_images()
            .image_label("foo-bar-image")
            .send()
            .await
            .unwrap_err(),
    );
    match err {
        Error::NotFound {
            resource,
            resource_id,
            ..
        } => {
            assert_eq!(
                (resource.as_str(), resource_id.as_str()),
                ("MarketplaceImage", "foo-bar-image")
            )
        }
        other => panic!("{other:?}"),
    }
}
