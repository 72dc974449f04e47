//! `PrivateNics`: create (once per network), get, list, find, waits (state and MAC), delete.

use scaleway_client::api::instance_v1::types::PrivateNicState;
use scaleway_client::resources::{ServerSpec, VolumePolicy};

use super::{env, in_subnet};

#[tokio::test]
async fn a_nic_on_a_running_server_is_awaited_until_available_and_made_once() {
    // Longer than a screen on purpose: the NIC is followed from syncing to available while the
    // server runs, then made again to show it is made once.
    let env = env().await;
    let scw = &env.scw;
    let network = env.network("pn-nic").await;
    let server = scw
        .servers()
        .create(&ServerSpec::new("nic", "DEV1-S", "ubuntu-24.04").wait_running(true))
        .await
        .unwrap();
    let server_id = server.id.clone().unwrap();
    let nics = scw.private_nics();
    assert!(nics.list(&server_id).await.unwrap().is_empty());
    assert!(nics.find(&server_id, &network).await.unwrap().is_none());

    // On a running server the NIC syncs first: `create` returns it available.
    let nic = nics.create(&server_id, &network).await.unwrap();
    let nic_id = nic.id.clone().unwrap();
    assert_eq!(nic.state, PrivateNicState::Available);
    assert_eq!(nic.private_network_id.as_deref(), Some(network.as_str()));
    assert_eq!(
        nics.wait(&server_id, &nic_id).await.unwrap().state,
        PrivateNicState::Available
    );
    let with_mac = nics.wait_mac_address(&server_id, &nic_id).await.unwrap();
    let mac = with_mac.mac_address.clone().unwrap();
    assert_eq!(mac.split(':').count(), 6, "{mac}");

    // One NIC per network: a second create returns the first.
    let again = nics.create(&server_id, &network).await.unwrap();
    assert_eq!(again.id, nic.id);
    let listed = nics.list(&server_id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(nics.get(&server_id, &nic_id).await.unwrap().unwrap().id, nic.id);
    assert_eq!(nics.find(&server_id, &network).await.unwrap().unwrap().id, nic.id);

    // Its addresses are in the network's subnets.
    let addresses = scw.ipam().of_nics(std::slice::from_ref(&nic_id)).await.unwrap();
    let subnets: Vec<String> = scw
        .private_networks()
        .get(&network)
        .await
        .unwrap()
        .unwrap()
        .subnets
        .into_iter()
        .filter_map(|s| s.subnet)
        .collect();
    let found = &addresses[&nic_id];
    assert!(
        subnets
            .iter()
            .any(|s| in_subnet(found.ipv4.as_deref().unwrap(), s))
    );
    assert_eq!(
        found.mac_address.as_deref().map(str::to_lowercase),
        Some(mac.to_lowercase())
    );

    nics.delete(&server_id, &nic_id).await.unwrap();
    nics.delete(&server_id, &nic_id).await.unwrap();
    assert!(nics.get(&server_id, &nic_id).await.unwrap().is_none());
    assert!(nics.wait(&server_id, &nic_id).await.unwrap_err().is_not_found());
    assert!(nics.list(&server_id).await.unwrap().is_empty());
    assert!(env.sim.inventory().private_nics.is_empty());
    assert!(nics.get(&server_id, "nope").await.is_err());

    scw.servers()
        .delete(&server_id, VolumePolicy::DeleteAll)
        .await
        .unwrap();
    scw.private_networks().delete(&network).await.unwrap();
    env.assert_nothing_left();
}
