//! `Ipam`: private addresses of NICs and servers, one listing for many.

use futures_util::TryStreamExt;
use httpmock::prelude::*;
use scaleway_client::Region;
use scaleway_client::api::instance_v1::types::Server;
use scaleway_client::api::ipam_v1::types::Ip;
use scaleway_client::resources::PrivateAddresses;
use serde_json::{Value, json};

use super::*;
use crate::common::mock_api::*;

const V4: &str = "172.16.4.2";
const V6: &str = "fd6d:9b51:d4ce:80d5::2";
const OTHER_V4: &str = "172.16.4.3";
const OTHER_V6: &str = "fd6d:9b51:d4ce:80d5::3";

/// The addresses of both NICs in one listing.
fn both_nics() -> Value {
    let mut body = nic_addresses(NIC_ID, &format!("{V4}/22"), &format!("{V6}/64"));
    let other = nic_addresses(OTHER_NIC_ID, &format!("{OTHER_V4}/22"), &format!("{OTHER_V6}/64"));
    let ips = body["ips"].as_array_mut().unwrap();
    ips.extend(other["ips"].as_array().unwrap().iter().cloned());
    body["total_count"] = json!(ips.len());
    body
}

async fn mock_listing<'a>(api: &'a Api, region: &str, nics: &[&str], answer: Value) -> httpmock::Mock<'a> {
    let mut query = vec![
        ("resource_type", "instance_private_nic"),
        ("page", "1"),
        ("page_size", "100"),
    ];
    query.extend(nics.iter().map(|nic| ("resource_ids", *nic)));
    api.on(GET, format!("/ipam/v1/regions/{region}/ips"))
        .query(&query)
        .reply(200, answer)
        .mount()
        .await
}

fn addresses(nic: &str, v4: &str, v6: &str) -> PrivateAddresses {
    PrivateAddresses {
        nic_id: nic.to_string(),
        mac_address: None,
        ipv4: Some(v4.to_string()),
        ipv6: Some(v6.to_string()),
    }
}

/// `found` with the MAC address IPAM holds for its NIC.
fn with_mac(found: &PrivateAddresses, expected: PrivateAddresses) -> PrivateAddresses {
    assert!(found.mac_address.is_some(), "{found:?}");
    PrivateAddresses {
        mac_address: found.mac_address.clone(),
        ..expected
    }
}

#[tokio::test]
async fn ips_of_nics_lists_the_ips_of_every_nic_at_once() {
    let api = Api::start().await;
    let listing = mock_listing(&api, "fr-par", &[NIC_ID, OTHER_NIC_ID], both_nics()).await;
    api.seal().await;
    let scw = api.scaleway();
    let ipam = scw.ipam();
    let nics = [NIC_ID.to_string(), OTHER_NIC_ID.to_string()];

    let ips: Vec<Ip> = ipam.ips_of_nics(&nics).try_collect().await.unwrap();
    let none: Vec<Ip> = ipam.ips_of_nics(&[]).try_collect().await.unwrap();

    assert_eq!(ips.len(), 4);
    assert!(none.is_empty());
    listing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn of_nics_gives_each_nic_its_addresses_without_prefix() {
    let api = Api::start().await;
    let listing = mock_listing(&api, "nl-ams", &[NIC_ID, OTHER_NIC_ID], both_nics()).await;
    api.seal().await;

    let scw = api.scaleway();
    let found = scw
        .ipam()
        .region(Region::NL_AMS)
        .of_nics(&[NIC_ID.to_string(), OTHER_NIC_ID.to_string()])
        .await
        .unwrap();

    assert_eq!(found.len(), 2);
    assert_eq!(found[NIC_ID], with_mac(&found[NIC_ID], addresses(NIC_ID, V4, V6)));
    assert_eq!(
        found[OTHER_NIC_ID],
        with_mac(&found[OTHER_NIC_ID], addresses(OTHER_NIC_ID, OTHER_V4, OTHER_V6))
    );
    listing.assert_calls_async(1).await;
    api.finish().await;
}

fn server_with_nics(id: &str, nics: &[&str]) -> Server {
    let mut body = server(id, "web", "running");
    body["private_nics"] = json!(
        nics.iter()
            .map(|nic| private_nic(nic, id, NETWORK_ID, "available"))
            .collect::<Vec<_>>()
    );
    serde_json::from_value(body).unwrap()
}

#[tokio::test]
async fn of_servers_makes_one_listing_for_several_servers() {
    let api = Api::start().await;
    let listing = mock_listing(&api, "fr-par", &[NIC_ID, OTHER_NIC_ID], both_nics()).await;
    api.seal().await;
    let servers = [
        server_with_nics(SERVER_ID, &[NIC_ID]),
        server_with_nics(OTHER_SERVER_ID, &[OTHER_NIC_ID]),
        server_with_nics(GROUP_ID, &[]),
    ];

    let found = api.scaleway().ipam().of_servers(&servers).await.unwrap();

    assert_eq!(found.len(), 3);
    assert_eq!(found[SERVER_ID].len(), 1);
    assert_eq!(found[SERVER_ID][0].ipv4.as_deref(), Some(V4));
    assert_eq!(found[OTHER_SERVER_ID][0].ipv6.as_deref(), Some(OTHER_V6));
    assert!(found[GROUP_ID].is_empty());
    listing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn of_servers_without_a_nic_sends_nothing() {
    let api = Api::start().await;
    api.seal().await;
    let servers = [server_with_nics(SERVER_ID, &[])];

    let found = api.scaleway().ipam().of_servers(&servers).await.unwrap();
    let none = api.scaleway().ipam().of_nics(&[]).await.unwrap();

    assert_eq!(found.len(), 1);
    assert!(found[SERVER_ID].is_empty());
    assert!(none.is_empty());
    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn many_nics_are_read_in_one_project_listing() {
    let api = Api::start().await;
    let listing = api
        .on(GET, "/ipam/v1/regions/fr-par/ips")
        .query(&[
            ("resource_type", "instance_private_nic"),
            ("project_id", PROJECT),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .reply(200, both_nics())
        .mount()
        .await;
    api.seal().await;
    // More ids than one query string carries: the project's NIC addresses, kept for these NICs.
    let mut nics: Vec<String> = (0..60)
        .map(|n| format!("00000000-0000-4000-8000-{n:012}"))
        .collect();
    nics.push(NIC_ID.to_string());

    let found = api.scaleway().ipam().of_nics(&nics).await.unwrap();

    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[NIC_ID].ipv4.as_deref(), Some(V4));
    listing.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn wait_for_servers_polls_until_every_nic_has_its_ipv4() {
    let api = Api::start().await;
    // The first answer has no address yet, the second has them.
    let not_yet = api
        .on(GET, "/ipam/v1/regions/fr-par/ips")
        .query(&[
            ("resource_type", "instance_private_nic"),
            ("page", "1"),
            ("page_size", "100"),
            ("resource_ids", NIC_ID),
        ])
        .reply(200, json!({"ips": [], "total_count": 0}))
        .times(1)
        .mount()
        .await;
    let known = mock_listing(
        &api,
        "fr-par",
        &[NIC_ID],
        nic_addresses(NIC_ID, &format!("{V4}/22"), &format!("{V6}/64")),
    )
    .await;
    api.seal().await;
    let servers = [server_with_nics(SERVER_ID, &[NIC_ID])];

    let found = api.scaleway().ipam().wait_for_servers(&servers).await.unwrap();

    assert_eq!(found[SERVER_ID][0].ipv4.as_deref(), Some(V4));
    not_yet.assert_calls_async(1).await;
    known.assert_calls_async(1).await;
    api.finish().await;
}
