//! IPAM v1 on the simulator: the addresses of private NICs, booked addresses, filters, paging
//! and release, through the crate's own client.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use scaleway_client::api::ipam_v1::builder::ListIps;
use scaleway_client::api::ipam_v1::types::{self, Ip, ListIpsResourceType};
use scaleway_client::{Client, Error};
use scaleway_sim::Simulator;
use serde_json::{Value, json};

use super::requests::{
    SBS_IMAGE, ZONE, action, body, client, create_nic, create_pn, create_server, raw, sim,
};

const REGION: &str = "fr-par";

/// `172.16.4.0/22` → (network, prefix).
fn cidr(text: &str) -> (IpAddr, u8) {
    let (address, prefix) = text.split_once('/').unwrap();
    (address.parse().unwrap(), prefix.parse().unwrap())
}

/// Whether `address` (a bare address) is inside `network/prefix`.
fn contains((network, prefix): (IpAddr, u8), address: IpAddr) -> bool {
    match (network, address) {
        (IpAddr::V4(n), IpAddr::V4(a)) => {
            let mask = u32::MAX << (32 - u32::from(prefix));
            u32::from(a) & mask == u32::from(n)
        }
        (IpAddr::V6(n), IpAddr::V6(a)) => {
            let mask = u128::MAX << (128 - u32::from(prefix));
            u128::from(a) & mask == u128::from(n)
        }
        _ => false,
    }
}

/// The IPv4 and the IPv6 subnet of a private network: (subnet id, CIDR).
fn subnets(pn: &Value) -> ((String, String), (String, String)) {
    let all: Vec<(String, String)> = pn["subnets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["id"].as_str().unwrap().to_string(),
                s["subnet"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let v4 = all.iter().find(|(_, s)| !s.contains(':')).unwrap().clone();
    let v6 = all.iter().find(|(_, s)| s.contains(':')).unwrap().clone();
    (v4, v6)
}

/// The bare address of an IPAM IP, and its prefix length.
fn address(ip: &Ip) -> (IpAddr, u8) {
    cidr(ip.address.as_deref().unwrap())
}

fn ids(ips: &[Ip]) -> BTreeSet<String> {
    ips.iter().map(|ip| ip.id.clone().unwrap()).collect()
}

async fn nic_ips(c: &Client, nic_id: &str) -> Vec<Ip> {
    let list = c
        .ipam()
        .list_ips()
        .region(REGION)
        .resource_id(nic_id)
        .resource_type(ListIpsResourceType::InstancePrivateNic)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(list.total_count, Some(list.ips.len() as u64));
    list.ips
}

async fn book(c: &Client, pn: &str, extra: Value) -> Result<Ip, Error> {
    let mut b = json!({"source": {"private_network_id": pn}, "is_ipv6": false, "tags": []});
    for (k, v) in extra.as_object().unwrap() {
        b[k] = v.clone();
    }
    c.ipam()
        .book_ip()
        .region(REGION)
        .body(body::<types::BookIpBody>(b))
        .send()
        .await
        .map(|r| r.into_inner())
        .map_err(Error::from)
}

async fn get_ip(c: &Client, id: &str) -> Result<Ip, Error> {
    c.ipam()
        .get_ip()
        .region(REGION)
        .ip_id(id)
        .send()
        .await
        .map(|r| r.into_inner())
        .map_err(Error::from)
}

async fn release(c: &Client, id: &str) -> Result<(), Error> {
    c.ipam()
        .release_ip()
        .region(REGION)
        .ip_id(id)
        .body(serde_json::Map::new())
        .send()
        .await
        .map(|_| ())
        .map_err(Error::from)
}

fn assert_ip_not_found(result: Result<Ip, Error>, id: &str) {
    match result {
        Err(Error::NotFound {
            resource,
            resource_id,
            ..
        }) => {
            assert_eq!(resource, "ip");
            assert_eq!(resource_id, id);
        }
        other => panic!("expected a not_found ip, got {other:?}"),
    }
}

#[tokio::test]
async fn a_private_nic_gets_an_ipv4_and_an_ipv6_in_ipam() {
    // A little over a screen: the steps share the network, the NIC and its addresses, and each
    // named step below checks them in the state the one before left.
    let sim = sim(0.0).await;
    let c = client(&sim);
    let pn = create_pn(&c, "ipam-net").await;
    let pn_id = pn["id"].as_str().unwrap();
    let server = create_server(&c, "ipam-web", SBS_IMAGE, &[]).await;
    let server_id = server["id"].as_str().unwrap();
    let nic = create_nic(&c, server_id, pn_id).await;
    let nic_id = nic["id"].as_str().unwrap();

    // The NIC lists its two IPAM ids; IPAM lists them as bound to the NIC.
    let nic_ipam_ids: BTreeSet<String> = nic["ipam_ip_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(nic_ipam_ids.len(), 2);
    let ips = nic_ips(&c, nic_id).await;
    assert_eq!(ids(&ips), nic_ipam_ids);
    let v4 = ips.iter().find(|ip| ip.is_ipv6 == Some(false)).expect("an IPv4");
    let v6 = ips.iter().find(|ip| ip.is_ipv6 == Some(true)).expect("an IPv6");

    let (net, v6_address) = assert_in_their_subnets_and_bound_to_the_nic(&sim, &c, &pn, &nic, v4, v6).await;
    assert_the_filters_find_the_nic_addresses(&sim, &c, pn_id, &nic, &nic_ipam_ids, v4, v6).await;
    let (server2_id, ips2) =
        a_second_nic_gets_the_next_addresses_newest_first(&c, &pn, net, v6_address).await;

    // The DNS name follows the server's name.
    c.instance()
        .update_server()
        .zone(ZONE)
        .server_id(server_id)
        .body(
            body::<scaleway_client::api::instance_v1::types::UpdateServerBody>(json!({"name": "ipam-web-2"})),
        )
        .send()
        .await
        .unwrap();
    for ip in nic_ips(&c, nic_id).await {
        assert_eq!(ip.resource.unwrap().name.as_deref(), Some("ipam-web-2"));
    }

    an_address_bound_to_a_nic_is_released_with_it(&c, server_id, nic_id, v4, &nic_ipam_ids).await;
    assert_eq!(
        ids(&listed(&c, |l| l.private_network_id(pn_id)).await.ips),
        ids(&ips2)
    );

    // Deleting a server removes its NICs and their addresses.
    let r = raw(
        &sim,
        "DELETE",
        &format!("/instance/v1/zones/{ZONE}/servers/{server2_id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    assert_eq!(
        listed(&c, |l| l.private_network_id(pn_id)).await.total_count,
        Some(0)
    );
    assert!(sim.inventory().ipam_ips.is_empty());
    assert!(sim.inventory().private_nics.is_empty());
}

/// Each address is in its subnet, shown with the subnet's prefix length (the IPv4 the first host
/// after the gateway), and is bound to the NIC; the network's address and the IPv6.
async fn assert_in_their_subnets_and_bound_to_the_nic(
    sim: &Simulator,
    c: &Client,
    pn: &Value,
    nic: &Value,
    v4: &Ip,
    v6: &Ip,
) -> (Ipv4Addr, IpAddr) {
    let ((v4_subnet_id, v4_subnet), (v6_subnet_id, v6_subnet)) = subnets(pn);
    let nic_id = nic["id"].as_str().unwrap();
    let mac = nic["mac_address"].as_str().unwrap();
    let (v4_net, v4_prefix) = cidr(&v4_subnet);
    let (v4_address, prefix) = address(v4);
    assert_eq!(prefix, v4_prefix);
    assert!(
        contains((v4_net, v4_prefix), v4_address),
        "{v4_address} not in {v4_subnet}"
    );
    let IpAddr::V4(net) = v4_net else { unreachable!() };
    assert_eq!(
        v4_address,
        IpAddr::from(std::net::Ipv4Addr::from(u32::from(net) + 2))
    );
    let (v6_address, prefix) = address(v6);
    assert_eq!(prefix, cidr(&v6_subnet).1);
    assert!(
        contains(cidr(&v6_subnet), v6_address),
        "{v6_address} not in {v6_subnet}"
    );
    assert_eq!(
        v4.source.as_ref().unwrap().subnet_id.as_deref(),
        Some(v4_subnet_id.as_str())
    );
    assert_eq!(
        v6.source.as_ref().unwrap().subnet_id.as_deref(),
        Some(v6_subnet_id.as_str())
    );
    for ip in [v4, v6] {
        let resource = ip.resource.as_ref().unwrap();
        assert_eq!(resource.type_, Some(types::ResourceType::InstancePrivateNic));
        assert_eq!(resource.id.as_deref(), Some(nic_id));
        assert_eq!(resource.mac_address.as_deref(), Some(mac.to_uppercase().as_str()));
        assert_eq!(resource.name.as_deref(), Some("ipam-web"));
        assert_eq!(ip.project_id.as_deref(), Some(sim.project_id()));
        assert_eq!(ip.region.as_deref(), Some(REGION));
        assert_eq!(ip.zone, None);
        assert_eq!(get_ip(c, ip.id.as_deref().unwrap()).await.unwrap(), *ip);
    }
    (net, v6_address)
}

/// The NIC's addresses are found by private network, MAC address (in any case), project and
/// family, and not by another project, resource type or zone.
async fn assert_the_filters_find_the_nic_addresses(
    sim: &Simulator,
    c: &Client,
    pn_id: &str,
    nic: &Value,
    nic_ipam_ids: &BTreeSet<String>,
    v4: &Ip,
    v6: &Ip,
) {
    let nic_id = nic["id"].as_str().unwrap();
    let mac = nic["mac_address"].as_str().unwrap();
    assert_eq!(
        ids(&listed(c, |l| l.private_network_id(pn_id)).await.ips),
        *nic_ipam_ids
    );
    assert_eq!(
        ids(&listed(c, |l| l.mac_address(mac.to_lowercase())).await.ips),
        *nic_ipam_ids
    );
    assert_eq!(
        ids(&listed(c, |l| l.mac_address(mac.to_uppercase())).await.ips),
        *nic_ipam_ids
    );
    assert_eq!(
        ids(&listed(c, |l| l.project_id(sim.project_id())).await.ips),
        *nic_ipam_ids
    );
    let other_project = "4d5c1a3e-8f2b-4c6d-9e0a-1b2c3d4e5f60";
    assert_eq!(
        listed(c, |l| l.project_id(other_project)).await.total_count,
        Some(0)
    );
    let only_v6 = listed(c, |l| l.resource_id(nic_id).is_ipv6(true)).await;
    assert_eq!(ids(&only_v6.ips), ids(std::slice::from_ref(v6)));
    let only_v4 = listed(c, |l| l.resource_id(nic_id).is_ipv6(false)).await;
    assert_eq!(ids(&only_v4.ips), ids(std::slice::from_ref(v4)));
    assert_eq!(
        listed(c, |l| l.resource_type(ListIpsResourceType::BaremetalPrivateNic))
            .await
            .total_count,
        Some(0)
    );
    assert_eq!(
        listed(c, |l| l.resource_name("ipam-w")).await.total_count,
        Some(2)
    );
    assert_eq!(listed(c, |l| l.zonal(ZONE)).await.total_count, Some(0));
}

/// A second NIC on the same network gets the next IPv4 and another IPv6, and the network's four
/// addresses are listed in pages, newest first; the second server and its NIC's addresses.
async fn a_second_nic_gets_the_next_addresses_newest_first(
    c: &Client,
    pn: &Value,
    net: Ipv4Addr,
    v6_address: IpAddr,
) -> (String, Vec<Ip>) {
    let pn_id = pn["id"].as_str().unwrap();
    let (_, (_, v6_subnet)) = subnets(pn);
    let server2 = create_server(c, "ipam-db", SBS_IMAGE, &[]).await;
    let server2_id = server2["id"].as_str().unwrap();
    let nic2 = create_nic(c, server2_id, pn_id).await;
    let ips2 = nic_ips(c, nic2["id"].as_str().unwrap()).await;
    let v4_2 = ips2.iter().find(|ip| ip.is_ipv6 == Some(false)).unwrap();
    let v6_2 = ips2.iter().find(|ip| ip.is_ipv6 == Some(true)).unwrap();
    assert_eq!(
        address(v4_2).0,
        IpAddr::from(std::net::Ipv4Addr::from(u32::from(net) + 3))
    );
    assert_ne!(address(v6_2).0, v6_address);
    assert!(contains(cidr(&v6_subnet), address(v6_2).0));

    // Pages of the network's four addresses, newest first by default.
    let page1 = listed(c, |l| l.private_network_id(pn_id).page(1).page_size(3u32)).await;
    let page2 = listed(c, |l| l.private_network_id(pn_id).page(2).page_size(3u32)).await;
    assert_eq!((page1.total_count, page1.ips.len()), (Some(4), 3));
    assert_eq!((page2.total_count, page2.ips.len()), (Some(4), 1));
    let all: BTreeSet<String> = ids(&page1.ips).union(&ids(&page2.ips)).cloned().collect();
    assert_eq!(all.len(), 4);
    assert!(
        ids(&ips2).is_subset(&ids(&page1.ips)),
        "the newest NIC's addresses come first"
    );
    (server2_id.to_string(), ips2)
}

/// An address bound to a NIC is released with the NIC, not on its own.
async fn an_address_bound_to_a_nic_is_released_with_it(
    c: &Client,
    server_id: &str,
    nic_id: &str,
    v4: &Ip,
    nic_ipam_ids: &BTreeSet<String>,
) {
    match release(c, v4.id.as_deref().unwrap()).await {
        Err(Error::Precondition { precondition, .. }) => assert_eq!(precondition, "resource_still_in_use"),
        other => panic!("{other:?}"),
    }
    c.instance()
        .delete_private_nic()
        .zone(ZONE)
        .server_id(server_id)
        .private_nic_id(nic_id)
        .send()
        .await
        .unwrap();
    assert!(nic_ips(c, nic_id).await.is_empty());
    for id in nic_ipam_ids {
        assert_ip_not_found(get_ip(c, id).await, id);
    }
}

/// A ListIPs call in the region, with the filters `f` sets.
async fn listed(c: &Client, f: impl FnOnce(ListIps<'_>) -> ListIps<'_>) -> types::ListIPsResponse {
    let ipam = c.ipam();
    f(ipam.list_ips().region(REGION))
        .send()
        .await
        .unwrap()
        .into_inner()
}

#[tokio::test]
async fn terminating_a_server_releases_its_nic_addresses() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let pn = create_pn(&c, "ipam-term").await;
    let server = create_server(&c, "ipam-term", SBS_IMAGE, &[]).await;
    let server_id = server["id"].as_str().unwrap();
    let nic = create_nic(&c, server_id, pn["id"].as_str().unwrap()).await;
    let nic_id = nic["id"].as_str().unwrap();
    action(&c, server_id, "poweron").await.unwrap();
    super::requests::wait_state(&c, server_id, "running").await;
    assert_eq!(nic_ips(&c, nic_id).await.len(), 2);
    action(&c, server_id, "terminate").await.unwrap();
    for _ in 0..100 {
        if sim.inventory().servers.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(sim.inventory().servers.is_empty());
    assert!(nic_ips(&c, nic_id).await.is_empty());
    let all = c
        .ipam()
        .list_ips()
        .region(REGION)
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.total_count, Some(0));
}

#[tokio::test]
async fn booked_addresses_are_unique_tagged_and_released() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let pn = create_pn(&c, "ipam-book").await;
    let pn_id = pn["id"].as_str().unwrap();
    let ((v4_subnet_id, v4_subnet), _) = subnets(&pn);
    let (net, prefix) = cidr(&v4_subnet);
    let IpAddr::V4(net4) = net else { unreachable!() };
    let host = |n: u32| std::net::Ipv4Addr::from(u32::from(net4) + n);

    // A booking with no address takes the first free host; it is attached to nothing.
    let first = book(&c, pn_id, json!({"tags": ["a", "b"]})).await.unwrap();
    assert_eq!(
        first.address.as_deref(),
        Some(format!("{}/{prefix}", host(2)).as_str())
    );
    assert_eq!(first.resource, None);
    assert_eq!(first.tags, vec!["a".to_string(), "b".to_string()]);
    assert_eq!(
        first.source.as_ref().unwrap().subnet_id.as_deref(),
        Some(v4_subnet_id.as_str())
    );
    let first_id = first.id.clone().unwrap();
    assert_eq!(sim.inventory().ipam_ips, vec![first_id.clone()]);

    // A NIC created afterwards gets the next host.
    let server = create_server(&c, "ipam-book", SBS_IMAGE, &[]).await;
    let server_id = server["id"].as_str().unwrap();
    let nic = create_nic(&c, server_id, pn_id).await;
    let nic_id = nic["id"].as_str().unwrap();
    let nic_v4 = nic_ips(&c, nic_id)
        .await
        .into_iter()
        .find(|ip| ip.is_ipv6 == Some(false))
        .unwrap();
    assert_eq!(address(&nic_v4).0, IpAddr::V4(host(3)));

    let (chosen, v6) = a_chosen_address_is_booked_only_when_free_and_in_the_subnet(&c, &pn).await;

    assert_the_filters_find_the_booked_addresses(&sim, &c, [&first, &chosen, &v6], &v4_subnet_id).await;

    tags_are_replaced_and_a_network_keeps_its_booked_addresses(&c, &first_id, server_id, nic_id, pn_id).await;

    release_one_then_the_rest_then_the_network_and_the_server(
        &sim,
        &c,
        &first_id,
        [&chosen, &v6],
        pn_id,
        server_id,
    )
    .await;
}

/// Release one, then the rest as a set; then the network can go, and the server with its root.
async fn release_one_then_the_rest_then_the_network_and_the_server(
    sim: &Simulator,
    c: &Client,
    first_id: &str,
    others: [&Ip; 2],
    pn_id: &str,
    server_id: &str,
) {
    let [chosen, v6] = others;
    // Release one, then the rest as a set; then the network can go.
    release(c, first_id).await.unwrap();
    assert_ip_not_found(get_ip(c, first_id).await, first_id);
    assert_ip_not_found(release(c, first_id).await.map(|_| Ip::default()), first_id);
    let r = raw(
        sim,
        "POST",
        &format!("/ipam/v1/regions/{REGION}/ip-sets/release"),
        Some(json!({"ip_ids": [chosen.id, v6.id]})),
    )
    .await;
    assert_eq!(r.status(), 204);
    assert!(sim.inventory().ipam_ips.is_empty());
    c.vpc()
        .delete_private_network()
        .region(REGION)
        .private_network_id(pn_id)
        .send()
        .await
        .unwrap();
    let r = raw(
        sim,
        "DELETE",
        &format!("/instance/v1/zones/{ZONE}/servers/{server_id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 204);
    let root = sim.inventory().volumes;
    for v in root {
        raw(
            sim,
            "DELETE",
            &format!("/block/v1/zones/{ZONE}/volumes/{v}"),
            None,
        )
        .await;
    }
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}

/// Tags are replaced; the network cannot go while addresses are booked in it (once its NIC is
/// gone).
async fn tags_are_replaced_and_a_network_keeps_its_booked_addresses(
    c: &Client,
    first_id: &str,
    server_id: &str,
    nic_id: &str,
    pn_id: &str,
) {
    // Tags are replaced; the network cannot go while addresses are booked in it.
    let updated = c
        .ipam()
        .update_ip()
        .region(REGION)
        .ip_id(first_id)
        .body(body::<types::UpdateIpBody>(json!({"tags": ["c"]})))
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.tags, vec!["c".to_string()]);
    c.instance()
        .delete_private_nic()
        .zone(ZONE)
        .server_id(server_id)
        .private_nic_id(nic_id)
        .send()
        .await
        .unwrap();
    let refused = c
        .vpc()
        .delete_private_network()
        .region(REGION)
        .private_network_id(pn_id)
        .send()
        .await;
    assert!(matches!(
        Error::from(refused.unwrap_err()),
        Error::Precondition { .. }
    ));
}

/// The booked addresses are found by attachment, tags (any of them), ids and subnet; the NIC's
/// are not among them.
async fn assert_the_filters_find_the_booked_addresses(
    sim: &Simulator,
    c: &Client,
    booked: [&Ip; 3],
    v4_subnet_id: &str,
) {
    let [first, chosen, v6] = booked;
    let first_id = first.id.clone().unwrap();
    // Filters on attachment, tags (any of them) and ids.
    let booked: BTreeSet<String> = [first, chosen, v6]
        .iter()
        .map(|ip| ip.id.clone().unwrap())
        .collect();
    assert_eq!(listed_ids(c, |l| l.attached(false)).await, booked);
    assert_eq!(listed_ids(c, |l| l.attached(true)).await.len(), 2);
    assert_eq!(
        listed_ids(c, |l| l.tags(vec!["a".to_string()])).await,
        BTreeSet::from([first_id.clone()])
    );
    let a_or_b = listed_ids(c, |l| l.tags(vec!["a".to_string(), "b".to_string()])).await;
    assert_eq!(a_or_b, BTreeSet::from([first_id.clone(), v6.id.clone().unwrap()]));
    assert_eq!(
        listed_ids(c, |l| l
            .ip_ids(vec![first_id.clone(), chosen.id.clone().unwrap()]))
        .await
        .len(),
        2
    );
    assert_eq!(
        listed_ids(c, |l| l.subnet_id(v4_subnet_id.to_string()))
            .await
            .len(),
        3
    );
    assert_eq!(sim.inventory().ipam_ips.len(), 3, "NIC addresses are not listed");
}

/// A chosen address: refused when taken, the gateway or outside the subnet, booked when free;
/// the chosen IPv4 and a booked IPv6.
async fn a_chosen_address_is_booked_only_when_free_and_in_the_subnet(c: &Client, pn: &Value) -> (Ip, Ip) {
    let pn_id = pn["id"].as_str().unwrap();
    let (_, (_, v6_subnet)) = subnets(pn);
    let (net, prefix) = cidr(&subnets(pn).0.1);
    let IpAddr::V4(net4) = net else { unreachable!() };
    let host = |n: u32| std::net::Ipv4Addr::from(u32::from(net4) + n);
    // A chosen address: taken, the gateway, outside the subnet, or free.
    match book(c, pn_id, json!({"address": host(3).to_string()})).await {
        Err(Error::Precondition { precondition, .. }) => assert_eq!(precondition, "resource_not_usable"),
        other => panic!("{other:?}"),
    }
    for wrong in [host(1).to_string(), "10.255.255.10".to_string()] {
        match book(c, pn_id, json!({"address": wrong})).await {
            Err(Error::Validation { arguments, .. }) => assert_eq!(arguments[0].name, "address"),
            other => panic!("{wrong}: {other:?}"),
        }
    }
    let chosen = book(c, pn_id, json!({"address": host(10).to_string()}))
        .await
        .unwrap();
    assert_eq!(
        chosen.address.as_deref(),
        Some(format!("{}/{prefix}", host(10)).as_str())
    );
    let v6 = book(c, pn_id, json!({"is_ipv6": true, "tags": ["b"]}))
        .await
        .unwrap();
    assert_eq!(v6.is_ipv6, Some(true));
    assert!(contains(cidr(&v6_subnet), address(&v6).0));
    (chosen, v6)
}

#[tokio::test]
async fn custom_resources_attach_move_and_detach() {
    // Longer than a screen on purpose: one address goes through attach, move and detach in turn,
    // and each step is checked against where the step before left it.
    let sim = sim(0.0).await;
    let c = client(&sim);
    let pn = create_pn(&c, "ipam-custom").await;
    let pn_id = pn["id"].as_str().unwrap();
    let ip = book(&c, pn_id, json!({})).await.unwrap();
    let id = ip.id.clone().unwrap();
    let post = |op: &'static str, payload: Value| {
        let sim = &sim;
        let id = id.clone();
        async move {
            raw(
                sim,
                "POST",
                &format!("/ipam/v1/regions/{REGION}/ips/{id}/{op}"),
                Some(payload),
            )
            .await
        }
    };

    let r = post(
        "attach",
        json!({"resource": {"mac_address": "02:00:00:aa:bb:cc", "name": "vm-1"}}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let attached: Value = r.json().await.unwrap();
    assert_eq!(attached["resource"]["type"], "custom");
    assert_eq!(attached["resource"]["mac_address"], "02:00:00:AA:BB:CC");
    assert_eq!(attached["resource"]["name"], "vm-1");
    let by_mac = c
        .ipam()
        .list_ips()
        .region(REGION)
        .mac_address("02:00:00:aa:bb:cc")
        .send()
        .await
        .unwrap();
    assert_eq!(ids(&by_mac.ips), BTreeSet::from([id.clone()]));
    assert_eq!(
        post(
            "attach",
            json!({"resource": {"mac_address": "02:00:00:00:00:09"}})
        )
        .await
        .status(),
        412
    );

    // Moving names the current resource; a wrong one is refused.
    let wrong = post("move", json!({"from_resource": {"mac_address": "02:00:00:00:00:09"}, "to_resource": {"mac_address": "02:00:00:00:00:0a"}})).await;
    assert_eq!(wrong.status(), 412);
    let moved: Value = post("move", json!({"from_resource": {"mac_address": "02:00:00:AA:BB:CC"}, "to_resource": {"mac_address": "02:00:00:dd:ee:ff", "name": "vm-2"}}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(moved["resource"]["name"], "vm-2");
    let detached: Value = post(
        "detach",
        json!({"resource": {"mac_address": "02:00:00:dd:ee:ff"}}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(detached["resource"], Value::Null);

    // A NIC's addresses belong to Instance: IPAM does not detach them.
    let server = create_server(&c, "ipam-custom", SBS_IMAGE, &[]).await;
    let nic = create_nic(&c, server["id"].as_str().unwrap(), pn_id).await;
    let nic_ip = nic["ipam_ip_ids"][0].as_str().unwrap();
    let r = raw(
        &sim,
        "POST",
        &format!("/ipam/v1/regions/{REGION}/ips/{nic_ip}/detach"),
        Some(json!({"resource": {"mac_address": nic["mac_address"]}})),
    )
    .await;
    assert_eq!(r.status(), 412);

    // Unknown ids answer the API's not_found for `ip`.
    let unknown = "0b7a1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d";
    for (method, path) in [
        ("GET", format!("/ipam/v1/regions/{REGION}/ips/{unknown}")),
        ("PATCH", format!("/ipam/v1/regions/{REGION}/ips/{unknown}")),
        ("DELETE", format!("/ipam/v1/regions/{REGION}/ips/{unknown}")),
    ] {
        let r = raw(&sim, method, &path, Some(json!({}))).await;
        assert_eq!(r.status(), 404, "{method} {path}");
        let b: Value = r.json().await.unwrap();
        assert_eq!(
            b,
            json!({"type": "not_found", "message": "resource is not found", "resource": "ip", "resource_id": unknown})
        );
    }
}

/// The ids of the addresses a ListIPs call with the filters `f` finds.
async fn listed_ids(c: &Client, f: impl FnOnce(ListIps<'_>) -> ListIps<'_>) -> BTreeSet<String> {
    ids(&listed(c, f).await.ips)
}

/// A raw IPAM request: status and JSON body (null when empty).
async fn ipam_call(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = raw(sim, method, &format!("/ipam/v1/regions/{REGION}{path}"), body).await;
    let status = r.status().as_u16();
    (
        status,
        serde_json::from_str(&r.text().await.unwrap()).unwrap_or(Value::Null),
    )
}

async fn vpc_post(sim: &Simulator, path: &str, body: Value) -> Value {
    let r = raw(
        sim,
        "POST",
        &format!("/vpc/v2/regions/{REGION}{path}"),
        Some(body),
    )
    .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn list_filters_by_vpc_resource_sets_region_organization_and_order() {
    let sim = sim(0.0).await;
    let vpc_a = vpc_post(&sim, "/vpcs", json!({"name": "a"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let vpc_b = vpc_post(&sim, "/vpcs", json!({"name": "b"})).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let pn_a = vpc_post(
        &sim,
        "/private-networks",
        json!({"vpc_id": vpc_a, "subnets": ["10.0.0.0/24"]}),
    )
    .await;
    let pn_b = vpc_post(
        &sim,
        "/private-networks",
        json!({"vpc_id": vpc_b, "subnets": ["10.1.0.0/24"]}),
    )
    .await;
    let book = |pn: &Value, extra: Value| {
        let mut body = json!({"source": {"private_network_id": pn["id"]}});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let sim = &sim;
        async move {
            let (status, ip) = ipam_call(sim, "POST", "/ips", Some(body)).await;
            assert_eq!(status, 200, "{ip}");
            ip
        }
    };
    let attached_a = book(
        &pn_a,
        json!({"address": "10.0.0.9", "resource": {"mac_address": "02:00:00:00:00:01", "name": "alpha"}}),
    )
    .await;
    let free_a = book(&pn_a, json!({"address": "10.0.0.5"})).await;
    let attached_b = book(
        &pn_b,
        json!({"resource": {"mac_address": "02:00:00:00:00:02", "name": "beta"}}),
    )
    .await;
    let v6_a = book(&pn_a, json!({"is_ipv6": true})).await;
    let id = |ip: &Value| ip["id"].as_str().unwrap().to_string();
    let listed = |q: String| {
        let sim = &sim;
        async move {
            let (status, v) = ipam_call(sim, "GET", &format!("/ips?{q}"), None).await;
            assert_eq!(status, 200, "{q}: {v}");
            v["ips"]
                .as_array()
                .unwrap()
                .iter()
                .map(|ip| ip["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };

    assert_eq!(
        sorted(listed(format!("source_vpc_id={vpc_a}")).await),
        sorted(vec![id(&attached_a), id(&free_a), id(&v6_a)])
    );
    // `vpc_id` lists the addresses of resources in the VPC: attached ones.
    assert_eq!(listed(format!("vpc_id={vpc_a}")).await, vec![id(&attached_a)]);
    assert_eq!(listed(format!("vpc_id={vpc_b}")).await, vec![id(&attached_b)]);
    let resource_ids = format!(
        "resource_ids={}&resource_ids={}",
        attached_a["resource"]["id"].as_str().unwrap(),
        attached_b["resource"]["id"].as_str().unwrap()
    );
    assert_eq!(
        sorted(listed(resource_ids).await),
        sorted(vec![id(&attached_a), id(&attached_b)])
    );
    assert_eq!(listed("resource_types=custom".into()).await.len(), 2);
    assert!(
        listed("resource_types=instance_private_nic".into())
            .await
            .is_empty()
    );
    assert_eq!(listed("resource_types=unknown_type".into()).await.len(), 4);
    assert!(listed("regional=true".into()).await.is_empty());
    assert_eq!(listed("regional=false".into()).await.len(), 4);
    assert_eq!(
        listed(format!("organization_id={}", sim.organization_id()))
            .await
            .len(),
        4
    );
    assert!(
        listed("organization_id=11111111-1111-4111-8111-111111111111".into())
            .await
            .is_empty()
    );
    assert_eq!(
        listed("order_by=created_at_asc".into()).await,
        vec![id(&attached_a), id(&free_a), id(&attached_b), id(&v6_a)]
    );
    assert_eq!(listed("".into()).await[0], id(&v6_a), "newest first by default");
    assert_eq!(
        listed("is_ipv6=false&order_by=ip_address_asc".into()).await,
        vec![id(&free_a), id(&attached_a), id(&attached_b)]
    );
    assert_eq!(
        listed("attached=true&order_by=mac_address_desc".into()).await,
        vec![id(&attached_b), id(&attached_a)]
    );
    let (status, err) = ipam_call(&sim, "GET", "/ips?order_by=size", None).await;
    assert_eq!((status, err["type"].as_str()), (400, Some("invalid_arguments")));
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );
}
