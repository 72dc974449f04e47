//! The generated `stream()` of list operations against the simulator, which pages as the API
//! does: several pages in both styles, lists and maps.

use std::collections::BTreeSet;

use futures_util::TryStreamExt;
use scaleway_client::api::marketplace_v2::types::ListLocalImagesType;

use super::requests::{LOCAL_IMAGE, ZONE, client, create_pn, create_server, sim};

#[tokio::test]
async fn servers_stream_in_pages_of_the_chosen_size() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let mut created = BTreeSet::new();
    for i in 0..5 {
        let server = create_server(&c, &format!("paged-{i}"), LOCAL_IMAGE, &["paged"]).await;
        created.insert(server["id"].as_str().unwrap().to_string());
    }
    create_server(&c, "not-paged", LOCAL_IMAGE, &["other"]).await;
    let instance = c.instance();

    let before = c.request_count();
    let servers: Vec<_> = instance
        .list_servers()
        .zone(ZONE)
        .tags("paged")
        .stream()
        .page_size(2)
        .try_collect()
        .await
        .unwrap();
    let listed: BTreeSet<String> = servers.into_iter().filter_map(|s| s.id).collect();
    assert_eq!(listed, created);
    // 2 + 2 + 1, the total from `X-Total-Count`.
    assert_eq!(c.request_count() - before, 3);

    let before = c.request_count();
    let all: Vec<_> = instance
        .list_servers()
        .zone(ZONE)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(c.request_count() - before, 1, "one page of 100");
}

#[tokio::test]
async fn private_networks_stream_in_pages_of_the_chosen_size() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let mut created = Vec::new();
    for i in 0..5 {
        let network = create_pn(&c, &format!("paged-net-{i}")).await;
        created.push(network["id"].as_str().unwrap().to_string());
    }
    let vpc = c.vpc();
    let before = c.request_count();
    let networks: Vec<_> = vpc
        .list_private_networks()
        .region("fr-par")
        .name("paged-net")
        .stream()
        .page_size(2)
        .try_collect()
        .await
        .unwrap();
    let mut listed: Vec<String> = networks.into_iter().filter_map(|n| n.id).collect();
    listed.sort();
    created.sort();
    assert_eq!(listed, created);
    // 2 + 2 + 1, the total from the body's `total_count`.
    assert_eq!(c.request_count() - before, 3);
}

#[tokio::test]
async fn products_stream_as_name_and_type_pairs_over_several_pages() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let instance = c.instance();
    let first = instance
        .list_servers_types()
        .zone(ZONE)
        .page(1)
        .send()
        .await
        .unwrap();
    let total: usize = first.headers()["x-total-count"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(total > 40, "the listing spans several pages of 20");

    let before = c.request_count();
    let types: Vec<(String, _)> = instance
        .list_servers_types()
        .zone(ZONE)
        .stream()
        .page_size(20)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(types.len(), total);
    assert!(
        types.windows(2).all(|w| w[0].0 < w[1].0),
        "alphabetical, no repeat"
    );
    assert!(types.iter().any(|(name, _)| name == "DEV1-S"));
    assert_eq!(c.request_count() - before, total.div_ceil(20) as u64);
}

#[tokio::test]
async fn local_images_stream_one_per_page() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let marketplace = c.marketplace();
    let listing = || {
        marketplace
            .list_local_images()
            .zone(ZONE)
            .image_label("ubuntu_noble")
            .type_(ListLocalImagesType::InstanceSbs)
    };
    let whole = listing().page_size(100u32).send().await.unwrap().into_inner();
    assert!(whole.local_images.len() > 1, "several pages of one");

    let before = c.request_count();
    let images: Vec<_> = listing().stream().page_size(1).try_collect().await.unwrap();
    assert_eq!(images, whole.local_images);
    assert_eq!(c.request_count() - before, whole.local_images.len() as u64);
}
