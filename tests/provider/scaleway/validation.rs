//! Bad input: refused with the neutral field's name before any request.

use super::*;
use crate::common::mock_api::*;

#[tokio::test]
async fn test_invalid_names_make_no_request() {
    let api = Api::start().await;
    api.seal().await;
    let p = api.provider();

    assert_invalid(p.find_or_create_network("").await, "network name");
    assert_invalid(p.find_or_create_network("   ").await, "network name");
    assert_invalid(p.find_or_create_network("app\n").await, "network name");
    assert_invalid(p.get_network_by_name("a\u{7}b").await, "network name");
    assert_invalid(p.find_or_create_firewall("").await, "firewall name");
    assert_invalid(p.find_or_create_firewall("fw\u{0}").await, "firewall name");
    assert_invalid(p.get_firewall_by_name("\t").await, "firewall name");
    assert_invalid(p.find_server("").await, "server name");
    assert_invalid(p.find_server("web\u{1b}[31m").await, "server name");
    assert_invalid(p.get_volume_by_name("").await, "volume name");
    for name in ["", "web\r1", "web 1", &"w".repeat(64)] {
        assert_invalid(
            p.create_server(&ServerOptions {
                name: name.into(),
                ..web_options()
            })
            .await,
            "server name",
        );
    }
    assert_invalid(p.create_volume(&volume_options("", 10)).await, "volume name");
    assert_invalid(
        p.create_volume(&volume_options("data\n", 10)).await,
        "volume name",
    );
    for image in ["ubuntu 24.04", "../images", "ubuntu_noble;rm"] {
        assert_invalid(
            p.create_server(&ServerOptions {
                image: image.into(),
                ..web_options()
            })
            .await,
            "image",
        );
    }

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_unknown_zone_makes_no_request() {
    let api = Api::start().await;
    api.seal().await;

    assert_invalid(api.provider().validate_region("mars-1").await, "zone");
    assert_invalid(api.provider().validate_region("fr-par-1/../x").await, "zone");

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_invalid_volume_sizes_make_no_request() {
    let api = Api::start().await;
    api.seal().await;
    let p = api.provider();

    assert_invalid(p.create_volume(&volume_options("data", 0)).await, "volume size");
    // Block Storage volumes start at 5 GB.
    assert_invalid(p.create_volume(&volume_options("data", 4)).await, "volume size");
    assert_invalid(
        p.create_volume(&volume_options("data", 10_001)).await,
        "volume size",
    );
    assert_invalid(
        p.create_volume(&volume_options("data", u64::MAX)).await,
        "volume size",
    );
    assert_invalid(
        p.create_volume(&VolumeOptions {
            iops: Some(7000),
            ..volume_options("data", 10)
        })
        .await,
        "volume IOPS",
    );

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_invalid_ids_make_no_request() {
    let api = Api::start().await;
    api.seal().await;
    let p = api.provider();

    // Not UUIDs, or with a `/` that would change the URL.
    let with_slash = format!("{SERVER_ID}/action");
    let traversal = format!("../{}", &SERVER_ID[3..]);
    let braced = format!("{{{SERVER_ID}}}");
    for bad in [
        "web-1",
        "",
        "not-a-uuid",
        with_slash.as_str(),
        traversal.as_str(),
        "a/b",
        braced.as_str(),
    ] {
        assert_invalid(p.get_server(bad).await, "server id");
        assert_invalid(p.delete_server(bad).await, "server id");
        assert_invalid(p.wait_for_server(bad, 3).await, "server id");
        assert_invalid(p.power_on(bad).await, "server id");
        assert_invalid(p.power_off(bad).await, "server id");
        assert_invalid(p.delete_network(bad).await, "network id");
        assert_invalid(p.delete_firewall(bad).await, "firewall id");
        assert_invalid(p.get_volume(bad).await, "volume id");
        assert_invalid(p.delete_volume(bad).await, "volume id");
        assert_invalid(p.detach_volume(bad).await, "volume id");
        assert_invalid(p.attach_volume(bad, SERVER_ID).await, "volume id");
        assert_invalid(p.attach_volume(DATA_VOLUME, bad).await, "server id");
        assert_invalid(
            p.create_server(&ServerOptions {
                network_id: Some(bad.into()),
                ..web_options()
            })
            .await,
            "network id",
        );
        assert_invalid(
            p.create_server(&ServerOptions {
                firewall_id: Some(bad.into()),
                ..web_options()
            })
            .await,
            "firewall id",
        );
        assert_invalid(
            p.create_volume(&VolumeOptions {
                server_id: Some(bad.into()),
                ..volume_options("data", 10)
            })
            .await,
            "server id",
        );
    }

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_oversized_cloud_init_makes_no_request() {
    let api = Api::start().await;
    api.seal().await;

    // One byte over 64 KiB.
    let big = "x".repeat(64 * 1024 + 1);
    assert_invalid(
        api.provider()
            .create_server(&ServerOptions {
                user_data: Some(big),
                ..web_options()
            })
            .await,
        "user data",
    );

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_invalid_tags_make_no_request() {
    let api = Api::start().await;
    api.seal().await;
    let p = api.provider();

    // A comma is the Instance tags filter separator; the create-token prefix is the provider's.
    for tag in ["env=prod,team=web", "", "scaleway-client-create=mine"] {
        assert_invalid(
            p.create_server(&ServerOptions {
                tags: vec![tag.into()],
                ..web_options()
            })
            .await,
            "tag",
        );
    }
    assert_invalid(p.list_servers_by_tag("a,b").await, "tag");
    assert_invalid(p.list_servers_by_tag("").await, "tag");

    api.assert_silent();
    api.finish().await;
}
