//! The provider's zone and region in every URL.

use httpmock::prelude::*;
use serde_json::json;

use super::*;
use crate::common::mock_api::*;

#[tokio::test]
async fn test_zone_in_url() {
    let api = Api::start().await;
    let networks = mock_network_list(
        &api,
        "nl-ams",
        "app",
        json!([private_network(NETWORK_ID, "app", "nl-ams")]),
    )
    .await;
    let servers = api
        .on(GET, "/instance/v1/zones/nl-ams-1/servers")
        .query(&[
            ("project", PROJECT),
            ("name", "web-1"),
            ("page", "1"),
            ("per_page", "100"),
        ])
        .total(0)
        .reply(200, json!({"servers": []}))
        .mount()
        .await;
    let mut volume = block_volume(DATA_VOLUME, "data", "available", None);
    volume["zone"] = json!("nl-ams-1");
    let volumes = api
        .on(GET, format!("/block/v1/zones/nl-ams-1/volumes/{DATA_VOLUME}"))
        .reply(200, volume)
        .mount()
        .await;
    let group = api
        .on(
            DELETE,
            format!("/instance/v1/zones/nl-ams-1/security_groups/{GROUP_ID}"),
        )
        .not_found("instance_security_group", GROUP_ID)
        .mount()
        .await;
    api.seal().await;
    let provider = api.provider_in("nl-ams-1");

    assert_eq!(
        provider.find_or_create_network("app").await.unwrap().id,
        NETWORK_ID
    );
    assert_eq!(provider.find_server("web-1").await.unwrap(), None);
    let found = provider.get_volume(DATA_VOLUME).await.unwrap().unwrap();
    assert_eq!(found.location, "nl-ams-1");
    provider.delete_firewall(GROUP_ID).await.unwrap();

    networks.assert_calls_async(1).await;
    servers.assert_calls_async(1).await;
    volumes.assert_calls_async(1).await;
    group.assert_calls_async(1).await;
    for line in api.lines() {
        assert!(
            line.contains("/zones/nl-ams-1/") || line.contains("/regions/nl-ams/"),
            "{line}"
        );
    }
    api.finish().await;
}
