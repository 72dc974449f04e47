//! Server creates: the requests in order, the network, the firewall, user data, image resolution.

use httpmock::prelude::*;
use serde_json::json;

use crate::common::mock_api::*;
use crate::scaleway::*;

#[tokio::test]
async fn test_create_server() {
    let api = Api::start().await;
    let (products, images) = mock_catalog(&api).await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let user_data = api
        .on(PATCH, inst(&format!("/servers/{SERVER_ID}/user_data/cloud-init")))
        .text(CLOUD_INIT)
        .status(204)
        .mount()
        .await;
    let poweron = mock_poweron(&api, 202).await;
    api.seal().await;

    let server = api
        .provider()
        .create_server(&ServerOptions {
            user_data: Some(CLOUD_INIT.into()),
            ..web_options()
        })
        .await
        .unwrap();

    assert_eq!(server.id, SERVER_ID);
    assert_eq!(server.name, "web-1");
    assert_eq!(server.status, ServerStatus::Starting);
    assert_eq!(server.tags, ["app=web"]);
    products.assert_calls_async(1).await;
    images.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    user_data.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    // No read after the power-on: the answers say the server is starting.
    assert_eq!(
        api.lines().last().unwrap(),
        &format!("POST {}", inst(&format!("/servers/{SERVER_ID}/action")))
    );
    api.finish().await;
}

#[tokio::test]
async fn test_create_server_with_network() {
    // Longer than a screen on purpose: the mocks describe every request of the create in order,
    // the NIC and its addresses included.
    let api = Api::start().await;
    let (products, images) = mock_catalog(&api).await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let nic = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/private_nics")))
        .json(json!({"private_network_id": NETWORK_ID}))
        .reply(
            201,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "syncing")}),
        )
        .mount()
        .await;
    let nic_path = inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}"));
    let syncing = api
        .on(GET, &nic_path)
        .reply(
            200,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "syncing")}),
        )
        .times(1)
        .mount()
        .await;
    let available = api
        .on(GET, &nic_path)
        .reply(
            200,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")}),
        )
        .mount()
        .await;
    let poweron = mock_poweron(&api, 202).await;
    // The private addresses: one IPAM listing for the server's NICs.
    let addresses = api
        .on(GET, "/ipam/v1/regions/fr-par/ips")
        .query(&[
            ("page", "1"),
            ("page_size", "100"),
            ("resource_ids", NIC_ID),
            ("resource_type", "instance_private_nic"),
        ])
        .reply(
            200,
            nic_addresses(NIC_ID, "172.16.4.2/22", "fd6d:9b51:d4ce:80d5::2/64"),
        )
        .mount()
        .await;
    api.seal().await;

    let server = api
        .provider()
        .create_server(&ServerOptions {
            network_id: Some(NETWORK_ID.into()),
            ..web_options()
        })
        .await
        .unwrap();

    assert_eq!(server.id, SERVER_ID);
    assert_eq!(server.private_ipv4.as_deref(), Some("172.16.4.2"));
    assert_eq!(server.private_ipv6.as_deref(), Some("fd6d:9b51:d4ce:80d5::2"));
    addresses.assert_calls_async(1).await;
    products.assert_calls_async(1).await;
    images.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    nic.assert_calls_async(1).await;
    syncing.assert_calls_async(1).await;
    available.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    // The server boots only once its NIC is available.
    let lines = api.lines();
    let nic_ready = lines
        .iter()
        .rposition(|l| l == &format!("GET {nic_path}"))
        .unwrap();
    let boot = lines
        .iter()
        .position(|l| l == &format!("POST {}", inst(&format!("/servers/{SERVER_ID}/action"))))
        .unwrap();
    assert!(nic_ready < boot, "{lines:#?}");
    api.finish().await;
}

#[tokio::test]
async fn test_create_server_with_firewall() {
    let api = Api::start().await;
    let (products, images) = mock_catalog(&api).await;
    let mut created = web_server("stopped", json!([]));
    created["security_group"] = json!({"id": GROUP_ID, "name": "app"});
    let create = mock_create(
        &api,
        create_body(&[("security_group", json!(GROUP_ID))]),
        created.clone(),
    )
    .await;
    let poweron = mock_poweron(&api, 202).await;
    api.seal().await;

    let server = api
        .provider()
        .create_server(&ServerOptions {
            firewall_id: Some(GROUP_ID.into()),
            ..web_options()
        })
        .await
        .unwrap();

    assert_eq!(server.id, SERVER_ID);
    products.assert_calls_async(1).await;
    images.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_three_step_create_order() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    api.on(PATCH, inst(&format!("/servers/{SERVER_ID}/user_data/cloud-init")))
        .text(CLOUD_INIT)
        .status(204)
        .mount()
        .await;
    api.on(POST, inst(&format!("/servers/{SERVER_ID}/private_nics")))
        .json(json!({"private_network_id": NETWORK_ID}))
        .reply(
            201,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")}),
        )
        .mount()
        .await;
    mock_poweron(&api, 202).await;
    api.on(GET, "/ipam/v1/regions/fr-par/ips")
        .any_query()
        .reply(
            200,
            nic_addresses(NIC_ID, "172.16.4.2/22", "fd6d:9b51:d4ce:80d5::2/64"),
        )
        .mount()
        .await;
    api.seal().await;

    api.provider()
        .create_server(&ServerOptions {
            user_data: Some(CLOUD_INIT.into()),
            network_id: Some(NETWORK_ID.into()),
            ..web_options()
        })
        .await
        .unwrap();

    let server = inst(&format!("/servers/{SERVER_ID}"));
    assert_eq!(
        api.lines(),
        [
            "GET /instance/v1/zones/fr-par-1/products/servers".to_string(),
            "GET /instance/v1/zones/fr-par-1/products/servers".to_string(),
            "GET /marketplace/v2/local-images".to_string(),
            "POST /instance/v1/zones/fr-par-1/servers".to_string(),
            format!("PATCH {server}/user_data/cloud-init"),
            format!("POST {server}/private_nics"),
            format!("POST {server}/action"),
            "GET /ipam/v1/regions/fr-par/ips".to_string(),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn test_user_data_is_text_plain() {
    let api = Api::start().await;
    // Quotes, a backslash, a tab and non-ASCII: JSON encoding would change every one of them.
    let cloud_init = "#cloud-config\nwrite_files:\n  - path: /etc/motd\n    content: \"h\u{e9}llo \\ world\"\n\truncmd: [\"echo {\\\"a\\\": 1}\"]\n";
    mock_catalog(&api).await;
    mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let user_data = api
        .on(PATCH, inst(&format!("/servers/{SERVER_ID}/user_data/cloud-init")))
        .text(cloud_init)
        .status(204)
        .mount()
        .await;
    mock_poweron(&api, 202).await;
    api.seal().await;

    api.provider()
        .create_server(&ServerOptions {
            user_data: Some(cloud_init.into()),
            ..web_options()
        })
        .await
        .unwrap();

    user_data.assert_calls_async(1).await;
    let patch = api.seen().into_iter().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(patch.content_type.as_deref(), Some("text/plain"));
    assert_eq!(patch.body, cloud_init);
    assert!(patch.query.is_empty());
    api.finish().await;
}

#[tokio::test]
async fn test_image_resolution_picks_compatible_type() {
    let api = Api::start().await;
    let (_, images) = mock_catalog(&api).await;
    // The answer lists an arm64 image first, whose types do not include DEV1-S.
    let listed = fixture_body("local images of a label for a Block root");
    let first = &listed["local_images"][0];
    assert_ne!(first["id"], IMAGE_SBS);
    assert!(
        !first["compatible_commercial_types"]
            .as_array()
            .unwrap()
            .contains(&json!("DEV1-S"))
    );
    assert_eq!(listed["local_images"][1]["id"], IMAGE_SBS);
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    mock_poweron(&api, 202).await;
    api.seal().await;

    api.provider().create_server(&web_options()).await.unwrap();

    images.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    api.finish().await;
}
