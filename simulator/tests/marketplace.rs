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

async fn get(sim: &scaleway_sim::Simulator, path: &str) -> serde_json::Value {
    let (status, body) = super::block::call(sim, "GET", path, None).await;
    assert_eq!(status, 200, "{path}: {body}");
    body
}

#[tokio::test]
async fn marketplace_image_versions_and_local_images_chain_up_to_instance_images() {
    let sim = sim(0.0).await;
    let images = get(&sim, "/marketplace/v2/images").await;
    let jammy = images["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "ubuntu_jammy")
        .unwrap()
        .clone();
    let image_id = jammy["id"].as_str().unwrap();
    assert_eq!(
        get(&sim, &format!("/marketplace/v2/images/{image_id}")).await,
        jammy
    );
    let category = jammy["categories"][0].as_str().unwrap();
    assert_eq!(
        get(&sim, &format!("/marketplace/v2/categories/{category}")).await["name"],
        "distribution"
    );

    let versions = get(
        &sim,
        &format!("/marketplace/v2/versions?image_id={image_id}&order_by=created_at_desc"),
    )
    .await;
    assert_eq!(versions["total_count"], 1);
    let version_id = versions["versions"][0]["id"].as_str().unwrap();
    assert_eq!(
        get(&sim, &format!("/marketplace/v2/versions/{version_id}")).await,
        versions["versions"][0]
    );

    let by_version = get(
        &sim,
        &format!("/marketplace/v2/local-images?version_id={version_id}&zone={ZONE}"),
    )
    .await;
    let by_image = get(
        &sim,
        &format!("/marketplace/v2/local-images?image_id={image_id}&zone={ZONE}"),
    )
    .await;
    let by_label = get(
        &sim,
        &format!("/marketplace/v2/local-images?image_label=ubuntu_jammy&zone={ZONE}"),
    )
    .await;
    assert_eq!(by_version["total_count"], 3);
    assert_eq!(by_version, by_image);
    assert_eq!(by_version, by_label);
    for local in by_version["local_images"].as_array().unwrap() {
        assert_eq!(
            (local["label"].as_str(), local["zone"].as_str()),
            (Some("ubuntu_jammy"), Some(ZONE))
        );
        let id = local["id"].as_str().unwrap();
        assert_eq!(
            &get(&sim, &format!("/marketplace/v2/local-images/{id}")).await,
            local
        );
        let instance = get(&sim, &format!("/instance/v1/zones/{ZONE}/images/{id}")).await;
        assert_eq!(instance["image"]["name"], jammy["name"]);
    }
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );
}

#[tokio::test]
async fn marketplace_local_image_filters() {
    let sim = sim(0.0).await;
    let images = get(&sim, "/marketplace/v2/images").await;
    let noble = images["images"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["label"] == "ubuntu_noble")
        .unwrap()["id"]
        .clone();
    let noble = noble.as_str().unwrap();
    let list = |query: String| {
        let sim = &sim;
        async move { get(sim, &format!("/marketplace/v2/local-images?{query}")).await }
    };
    let all_zones = list(format!("image_id={noble}")).await;
    assert_eq!(all_zones["total_count"], 27); // 9 zones, 3 builds each
    let sbs = list(format!("image_id={noble}&zone=fr-par-2&type=instance_sbs")).await;
    assert_eq!(sbs["total_count"], 2);
    let arm = list(format!("image_id={noble}&zone=fr-par-2&arch=arm64")).await;
    assert_eq!(arm["local_images"][0]["type"], "instance_sbs");
    assert_eq!(arm["total_count"], 1);
    let desc = list(format!("image_id={noble}&zone={ZONE}&order_by=type_desc")).await;
    assert_eq!(desc["local_images"][0]["type"], "instance_sbs");
    assert_eq!(desc["local_images"][2]["type"], "instance_local");
    let typed = list(format!(
        "image_label=ubuntu_noble&zone={ZONE}&type=instance_local&order_by=created_at_asc"
    ))
    .await;
    assert_eq!(typed["local_images"][0]["id"], LOCAL_IMAGE);
    // Scopes that name different images, or an unknown image, match nothing.
    let mixed = list(format!("image_id={noble}&image_label=ubuntu_jammy")).await;
    assert_eq!(mixed["total_count"], 0);
    let unknown = list("image_id=6a1e4b8e-0000-4000-8000-000000000000".into()).await;
    assert_eq!(unknown["total_count"], 0);
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );
}

#[tokio::test]
async fn marketplace_images_categories_and_errors() {
    let sim = sim(0.0).await;
    let categories = get(&sim, "/marketplace/v2/categories?page_size=2").await;
    assert_eq!(
        (
            categories["categories"].as_array().unwrap().len(),
            categories["total_count"].as_u64()
        ),
        (2, Some(3))
    );
    let distribution = categories["categories"][0]["id"].as_str().unwrap().to_string();
    let instant_apps = categories["categories"][1]["id"].as_str().unwrap().to_string();
    let labels = |list: &serde_json::Value| -> Vec<String> {
        list["images"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["label"].as_str().unwrap().to_string())
            .collect()
    };
    // ubuntu_focal is past its end of life: listed only with include_eol.
    let current = get(&sim, "/marketplace/v2/images").await;
    assert!(!labels(&current).contains(&"ubuntu_focal".to_string()));
    let with_eol = get(&sim, "/marketplace/v2/images?include_eol=true").await;
    assert!(labels(&with_eol).contains(&"ubuntu_focal".to_string()));
    assert_eq!(with_eol["total_count"], 8);
    let names: Vec<&str> = current["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["name"].as_str().unwrap())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "name_asc by default");
    let newest = get(
        &sim,
        "/marketplace/v2/images?order_by=created_at_desc&include_eol=true",
    )
    .await;
    assert_eq!(newest["images"][0]["label"], "fedora_41");
    assert_eq!(
        get(
            &sim,
            &format!("/marketplace/v2/images?category={distribution}&arch=arm64")
        )
        .await["total_count"],
        current["total_count"]
    );
    assert_eq!(
        get(&sim, &format!("/marketplace/v2/images?category={instant_apps}")).await["total_count"],
        0
    );
    assert_eq!(
        get(
            &sim,
            "/marketplace/v2/images?arch=riscv64&order_by=updated_at_desc"
        )
        .await["total_count"],
        0
    );
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );

    let unknown = "6a1e4b8e-0000-4000-8000-000000000000";
    for (path, resource) in [
        (format!("/marketplace/v2/images/{unknown}"), "MarketplaceImage"),
        (format!("/marketplace/v2/versions/{unknown}"), "Version"),
        (format!("/marketplace/v2/local-images/{unknown}"), "LocalImage"),
        (format!("/marketplace/v2/categories/{unknown}"), "Category"),
    ] {
        let (status, body) = super::block::call(&sim, "GET", &path, None).await;
        assert_eq!(
            (status, body["resource"].as_str()),
            (404, Some(resource)),
            "{path}"
        );
    }
    let (status, body) = super::block::call(&sim, "GET", "/marketplace/v2/versions", None).await;
    assert_eq!((status, body["type"].as_str()), (400, Some("invalid_arguments")));
}
