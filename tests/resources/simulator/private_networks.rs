//! `PrivateNetworks`: find or create (once, even concurrently), get, list, find by name, delete
//! with the NICs that still use the network.

use futures_util::TryStreamExt;
use futures_util::future::join_all;
use scaleway_client::resources::{NetworkSpec, ServerSpec, VolumePolicy};
use scaleway_client::{Error, Region};

use super::env;

#[tokio::test]
async fn concurrent_find_or_create_calls_make_one_network() {
    let env = env().await;
    let scw = &env.scw;
    let found = join_all((0..10).map(|_| async {
        scw.private_networks()
            .find_or_create("shared", &NetworkSpec::default())
            .await
    }))
    .await;
    let ids: Vec<String> = found.into_iter().map(|n| n.unwrap().id.unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(env.sim.inventory().private_networks, [ids[0].clone()]);

    // Through another value of the layer too (the lock is per process).
    let other = scaleway_client::resources::Scaleway::new(scw.client().clone());
    let again = other
        .private_networks()
        .find_or_create("shared", &NetworkSpec::default())
        .await
        .unwrap();
    assert_eq!(again.id.as_deref(), Some(ids[0].as_str()));

    scw.private_networks().delete(&ids[0]).await.unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn networks_are_listed_found_by_exact_name_and_deleted_with_their_nics() {
    // Longer than a screen on purpose: the same networks are listed, looked up by exact name, then
    // deleted with their NICs; each step relies on what the steps before made.
    let env = env().await;
    let scw = &env.scw;
    let networks = scw.private_networks();
    assert_eq!(networks.current_region(), &Region::FR_PAR);
    let spec = NetworkSpec {
        subnet: Some("10.42.0.0/24".into()),
        tags: vec!["app".into()],
        ..NetworkSpec::default()
    };
    let net = networks.find_or_create("net", &spec).await.unwrap();
    let net_id = net.id.clone().unwrap();
    let subnets: Vec<String> = net.subnets.iter().filter_map(|s| s.subnet.clone()).collect();
    assert!(subnets.contains(&"10.42.0.0/24".to_string()), "{subnets:?}");
    assert!(
        subnets.iter().any(|s| s.contains(':')),
        "an IPv6 subnet is added: {subnets:?}"
    );
    assert_eq!(net.tags, ["app"]);
    let net2 = networks
        .find_or_create("net-2", &NetworkSpec::default())
        .await
        .unwrap();

    let listed: Vec<_> = networks.list(Some("net")).try_collect().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(networks.find_by_name("net").await.unwrap().unwrap().id, net.id);
    assert!(networks.find_by_name("ne").await.unwrap().is_none());
    assert_eq!(
        networks.get(&net_id).await.unwrap().unwrap().name.as_deref(),
        Some("net")
    );
    assert!(
        scw.private_networks()
            .region(Region::NL_AMS)
            .get(&net_id)
            .await
            .unwrap()
            .is_none()
    );

    // A server on the network: the delete removes its NIC first, the server stays.
    let server = scw
        .servers()
        .create(&ServerSpec::new("member", "DEV1-S", "ubuntu-24.04").private_network(net_id.clone()))
        .await
        .unwrap();
    let server_id = server.id.clone().unwrap();
    assert_eq!(server.private_nics.len(), 1);
    networks.delete(&net_id).await.unwrap();
    assert!(networks.get(&net_id).await.unwrap().is_none());
    let after = scw.servers().get_existing(&server_id).await.unwrap();
    assert!(after.private_nics.is_empty());
    networks.delete(&net_id).await.unwrap();

    // A network held by something other than a NIC (an address booked in IPAM) is in use.
    let net2_id = net2.id.clone().unwrap();
    let booked = scw
        .client()
        .ipam()
        .book_ip()
        .region("fr-par")
        .body(scaleway_client::api::ipam_v1::types::BookIpBody {
            address: None,
            is_ipv6: Some(false),
            project_id: Some(env.sim.project_id().to_string()),
            resource: None,
            source: scaleway_client::api::ipam_v1::types::Source {
                private_network_id: Some(net2_id.clone()),
                regional: None,
                subnet_id: None,
                vpc_id: None,
                zonal: None,
            },
            tags: None,
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let err = networks.delete(&net2_id).await.unwrap_err();
    assert!(matches!(err, Error::InUse { .. }), "{err}");
    assert!(networks.get(&net2_id).await.unwrap().is_some());
    scw.client()
        .ipam()
        .release_ip()
        .region("fr-par")
        .ip_id(booked.id.unwrap().as_str())
        .body(serde_json::Map::new())
        .send()
        .await
        .unwrap();
    networks.delete(&net2_id).await.unwrap();
    scw.servers()
        .delete(&server_id, VolumePolicy::DeleteAll)
        .await
        .unwrap();
    env.assert_nothing_left();
}
