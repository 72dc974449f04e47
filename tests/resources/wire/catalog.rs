//! `Catalog`: commercial types (every page, cached per zone) and their availability.

use httpmock::prelude::*;
use scaleway_client::Zone;
use serde_json::Value;

use super::*;
use crate::common::mock_api::*;

#[tokio::test]
async fn server_types_reads_every_page_once() {
    let api = Api::start().await;
    let (first, second) = product_pages();
    let path = inst("/products/servers");
    let page_2 = api
        .on(GET, &path)
        .query(&[("page", "2"), ("per_page", "100")])
        .total(135)
        .reply(200, second)
        .mount()
        .await;
    let page_1 = api
        .on(GET, &path)
        .query(&[("page", "1"), ("per_page", "100")])
        .total(135)
        .reply(200, first)
        .mount()
        .await;
    api.seal().await;
    let scw = api.scaleway();

    let types = scw.catalog().server_types().await.unwrap();
    // Cached: neither a second listing nor a lookup sends anything.
    let again = scw.catalog().server_types().await.unwrap();
    let dev1_s = scw.catalog().server_type("DEV1-S").await.unwrap();

    assert_eq!(types.len(), 135);
    assert_eq!(again.len(), 135);
    assert_eq!(dev1_s.ncpus, types["DEV1-S"].ncpus);
    page_1.assert_calls_async(1).await;
    page_2.assert_calls_async(1).await;
    assert_eq!(api.lines(), [format!("GET {path}"), format!("GET {path}")]);
    api.finish().await;
}

#[tokio::test]
async fn the_cache_is_per_zone() {
    let api = Api::start().await;
    let par = mock_products(&api, "fr-par-1").await;
    let ams = mock_products(&api, "nl-ams-1").await;
    api.seal().await;
    let scw = api.scaleway();

    scw.catalog().server_types().await.unwrap();
    scw.catalog().zone(Zone::NL_AMS_1).server_types().await.unwrap();
    scw.catalog().zone(Zone::NL_AMS_1).server_types().await.unwrap();

    // Each mock is the first page; each zone read both its pages once.
    par.assert_calls_async(1).await;
    ams.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 4);
    assert!(api.lines()[2].starts_with("GET /instance/v1/zones/nl-ams-1/"));
    api.finish().await;
}

#[tokio::test]
async fn server_type_refuses_an_unknown_type_naming_the_zone() {
    let api = Api::start().await;
    mock_products(&api, "fr-par-1").await;
    api.seal().await;

    let err = api
        .scaleway()
        .catalog()
        .server_type("DEV9-XXL")
        .await
        .unwrap_err();

    match err {
        Error::InvalidInput { field, reason } => {
            assert_eq!(field, "commercial type");
            assert!(
                reason.contains("DEV9-XXL") && reason.contains("fr-par-1"),
                "{reason}"
            );
        }
        other => panic!("expected invalid commercial type, got {other:?}"),
    }
    assert_eq!(api.seen().len(), 2);
    api.finish().await;
}

fn availability_page(page: u64) -> Value {
    fixture_body(&format!("availability of commercial types, page {page}"))
}

#[tokio::test]
async fn availability_reads_every_page() {
    let api = Api::start().await;
    let path = inst("/products/servers/availability");
    let (first, second) = (availability_page(1), availability_page(2));
    let count = |page: &Value| page["servers"].as_object().unwrap().len();
    let total = count(&first) + count(&second);
    let page_1 = api
        .on(GET, &path)
        .query(&[("page", "1"), ("per_page", "100")])
        .total(total as u64)
        .reply(200, first)
        .mount()
        .await;
    let page_2 = api
        .on(GET, &path)
        .query(&[("page", "2"), ("per_page", "100")])
        .total(total as u64)
        .reply(200, second)
        .mount()
        .await;
    api.seal().await;

    let availability = api.scaleway().catalog().availability().await.unwrap();

    assert_eq!(availability.len(), total);
    assert_eq!(availability["MEMORY3-X8C-64G"], "scarce");
    assert_eq!(availability["PLAY2-MICRO"], "available");
    page_1.assert_calls_async(1).await;
    page_2.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let api = Api::start().await;
    api.seal().await;

    assert_invalid(api.scaleway().catalog().server_type(" ").await, "commercial type");

    api.assert_silent();
    api.finish().await;
}

#[test]
fn block_storage_is_offered_everywhere_but_milan() {
    use scaleway_client::resources::offers_block_storage;

    assert!(!offers_block_storage(&Zone::IT_MIL_1));
    for zone in Zone::KNOWN.iter().filter(|z| **z != Zone::IT_MIL_1) {
        assert!(offers_block_storage(zone), "{zone}");
    }
}
