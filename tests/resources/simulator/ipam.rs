//! `Ipam`: the private addresses of NICs and servers, in one listing.

use futures_util::TryStreamExt;
use scaleway_client::resources::{ServerSpec, VolumePolicy};

use super::{env, in_subnet};

#[tokio::test]
async fn private_addresses_of_several_servers_come_from_their_networks() {
    // Longer than a screen on purpose: several servers on several networks, and one listing that
    // must give each its own addresses; the checks compare the servers with each other.
    let env = env().await;
    let scw = &env.scw;
    let net = env.network("pn-ipam").await;
    let subnets: Vec<String> = scw
        .private_networks()
        .get(&net)
        .await
        .unwrap()
        .unwrap()
        .subnets
        .into_iter()
        .filter_map(|s| s.subnet)
        .collect();
    let mut servers = Vec::new();
    for name in ["a", "b"] {
        servers.push(
            scw.servers()
                .create(&ServerSpec::new(name, "DEV1-S", "ubuntu-24.04").private_network(net.clone()))
                .await
                .unwrap(),
        );
    }
    let lonely = scw
        .servers()
        .create(&ServerSpec::new("lonely", "DEV1-S", "ubuntu-24.04"))
        .await
        .unwrap();
    servers.push(lonely.clone());

    let ipam = scw.ipam();
    let by_server = ipam.of_servers(&servers).await.unwrap();
    assert_eq!(by_server.len(), 3);
    assert!(by_server[lonely.id.as_deref().unwrap()].is_empty());
    let mut ipv4s = Vec::new();
    for server in &servers[..2] {
        let addresses = &by_server[server.id.as_deref().unwrap()];
        assert_eq!(addresses.len(), 1);
        let found = &addresses[0];
        assert_eq!(Some(&found.nic_id), server.private_nics[0].id.as_ref());
        let ipv4 = found.ipv4.clone().unwrap();
        assert!(!ipv4.contains('/'), "without its prefix length: {ipv4}");
        assert!(
            subnets.iter().any(|s| in_subnet(&ipv4, s)),
            "{ipv4} not in {subnets:?}"
        );
        assert!(
            subnets
                .iter()
                .any(|s| in_subnet(found.ipv6.as_deref().unwrap(), s))
        );
        ipv4s.push(ipv4);
    }
    assert_ne!(ipv4s[0], ipv4s[1]);

    let nic_ids: Vec<String> = servers[..2]
        .iter()
        .map(|s| s.private_nics[0].id.clone().unwrap())
        .collect();
    let ips: Vec<_> = ipam.ips_of_nics(&nic_ids).try_collect().await.unwrap();
    assert_eq!(ips.len(), 4, "an IPv4 and an IPv6 per NIC");
    let by_nic = ipam.of_nics(&nic_ids).await.unwrap();
    assert_eq!(by_nic.len(), 2);
    assert!(ipam.of_nics(&[]).await.unwrap().is_empty());
    let none: Vec<_> = ipam.ips_of_nics(&[]).try_collect().await.unwrap();
    assert!(none.is_empty());

    for server in &servers {
        scw.servers()
            .delete(server.id.as_deref().unwrap(), VolumePolicy::DeleteAll)
            .await
            .unwrap();
    }
    assert!(
        ipam.of_nics(&nic_ids).await.unwrap().is_empty(),
        "released with their NICs"
    );
    scw.private_networks().delete(&net).await.unwrap();
    env.assert_nothing_left();
}
