//! Many callers at once, no faults: concurrent attaches to one server, concurrent detaches of one
//! volume, concurrent find-or-create of one network through several providers, and a hundred
//! servers created and deleted at once. Each ends with what exists, and what ever existed,
//! checked in the simulator.

use std::collections::BTreeSet;

use futures_util::StreamExt;
use futures_util::future::join_all;
use scaleway_client::provider::scaleway::ScalewayProvider;
use scaleway_client::provider::{Provider, ServerOptions, VolumeOptions, VolumeStatus};
use scaleway_sim::{CreatedKind, Simulator};

use super::storm::{duplicates, leftovers, provider};

use crate::common;

/// Transitions at 2% of the real API's: an attach settles in 20 ms, a detach in 60 ms, a server
/// starts in about 0.1 s. Attaches and detaches of one server are serialized, so twenty of them
/// take about a second.
const TIME_SCALE: f64 = 0.02;
/// Server creates and deletes in flight at once: each one polls while its server starts or
/// goes, and the simulator answers every request under one lock.
const SERVERS_IN_FLIGHT: usize = 25;

async fn simulator() -> Simulator {
    common::simulator(TIME_SCALE).await
}

fn web(name: &str) -> ServerOptions {
    ServerOptions {
        name: name.into(),
        instance_type: "DEV1-S".into(),
        image: "ubuntu-24.04".into(),
        user_data: Some("#cloud-config\npackages: [nginx]\n".into()),
        ..ServerOptions::default()
    }
}

fn volume(name: &str) -> VolumeOptions {
    VolumeOptions {
        name: name.into(),
        size_gb: 10,
        ..VolumeOptions::default()
    }
}

/// A running server to attach to.
async fn running_server(p: &ScalewayProvider, name: &str) -> String {
    let server = p.create_server(&web(name)).await.unwrap();
    p.wait_for_server(&server.id, 1000).await.unwrap();
    server.id
}

/// Nothing left and nothing ever created twice.
fn assert_clean(sim: &Simulator) {
    let left = sim.inventory();
    let created = sim.created();
    assert!(
        left.is_empty(),
        "left behind: {left:#?}\nas created: {:#?}",
        leftovers(&left, &created)
    );
    let duplicated = duplicates(&created);
    assert!(duplicated.is_empty(), "duplicates existed: {duplicated:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_attaches_of_twenty_volumes_to_one_server_all_succeed() {
    let sim = simulator().await;
    let p = provider(&sim, "attaches");
    let server = running_server(&p, "attach-target").await;
    let creates = (0..20).map(|i| {
        let p = &p;
        async move { p.create_volume(&volume(&format!("data-{i}"))).await }
    });
    let volumes: Vec<String> = join_all(creates)
        .await
        .into_iter()
        .map(|v| v.unwrap().id)
        .collect();

    let attached = join_all(volumes.iter().map(|v| p.attach_volume(v, &server))).await;
    for (volume, result) in volumes.iter().zip(&attached) {
        assert!(result.is_ok(), "attaching {volume}: {result:?}");
    }
    for volume in &volumes {
        let seen = p.get_volume(volume).await.unwrap().unwrap();
        assert_eq!(seen.server_id.as_deref(), Some(server.as_str()), "{seen:?}");
        assert_eq!(seen.status, VolumeStatus::InUse, "{seen:?}");
        assert!(seen.device_path.is_some(), "{seen:?}");
    }
    assert_eq!(
        sim.fault_counts().operation("AttachServerVolume"),
        20,
        "one attach request per volume"
    );

    // Deleting the server keeps the user's volumes, detached.
    p.delete_server(&server).await.unwrap();
    let deleted = join_all(volumes.iter().map(|v| p.delete_volume(v))).await;
    for (volume, result) in volumes.iter().zip(&deleted) {
        assert!(result.is_ok(), "deleting {volume}: {result:?}");
    }
    assert_clean(&sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_concurrent_detaches_of_one_volume_send_one_detach() {
    let sim = simulator().await;
    let p = provider(&sim, "detaches");
    let server = running_server(&p, "detach-source").await;
    let data = p.create_volume(&volume("shared-data")).await.unwrap();
    p.attach_volume(&data.id, &server).await.unwrap();
    let before = sim.fault_counts().operation("DetachServerVolume");

    let detached = join_all((0..20).map(|_| p.detach_volume(&data.id))).await;
    for result in &detached {
        assert!(result.is_ok(), "{result:?}");
    }
    let seen = p.get_volume(&data.id).await.unwrap().unwrap();
    assert_eq!(seen.server_id, None, "{seen:?}");
    assert_eq!(seen.status, VolumeStatus::Available, "{seen:?}");
    assert_eq!(
        sim.fault_counts().operation("DetachServerVolume") - before,
        1,
        "exactly one detach reached the API"
    );

    p.delete_volume(&data.id).await.unwrap();
    p.delete_server(&server).await.unwrap();
    assert_clean(&sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_find_or_create_of_one_network_through_five_providers_make_one() {
    let sim = simulator().await;
    let providers: Vec<ScalewayProvider> = (0..5).map(|i| provider(&sim, &format!("network-{i}"))).collect();

    let found =
        join_all((0..50).map(|i| providers[i % providers.len()].find_or_create_network("shared"))).await;
    let ids: BTreeSet<String> = found.into_iter().map(|n| n.unwrap().id).collect();
    assert_eq!(ids.len(), 1, "every caller gets the one network: {ids:?}");

    assert_eq!(sim.inventory().private_networks.len(), 1);
    let made: Vec<_> = sim
        .created()
        .into_iter()
        .filter(|c| c.kind == CreatedKind::PrivateNetwork)
        .collect();
    assert_eq!(made.len(), 1, "one network was ever created: {made:#?}");
    assert_eq!(made[0].name, "shared");

    let id = ids.into_iter().next().unwrap();
    providers[0].delete_network(&id).await.unwrap();
    assert_clean(&sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_concurrent_server_creates_then_deletes_leave_nothing() {
    let sim = simulator().await;
    let p = provider(&sim, "servers");

    let created: Vec<_> = futures_util::stream::iter(0..100)
        .map(|i| {
            let p = &p;
            async move { (i, p.create_server(&web(&format!("fleet-{i}"))).await) }
        })
        .buffer_unordered(SERVERS_IN_FLIGHT)
        .collect()
        .await;
    let mut ids = BTreeSet::new();
    for (i, result) in created {
        let server = result.unwrap_or_else(|e| panic!("creating fleet-{i}: {e:?}"));
        assert_eq!(server.name, format!("fleet-{i}"));
        ids.insert(server.id);
    }
    assert_eq!(ids.len(), 100, "one server per create");
    let inventory = sim.inventory();
    assert_eq!(inventory.servers.len(), 100);
    assert_eq!(inventory.volumes.len(), 100, "one root volume each");
    assert_eq!(p.list_servers().await.unwrap().len(), 100);

    let deleted: Vec<_> = futures_util::stream::iter(ids.iter())
        .map(|id| {
            let p = &p;
            async move { (id, p.delete_server(id).await) }
        })
        .buffer_unordered(SERVERS_IN_FLIGHT)
        .collect()
        .await;
    for (id, result) in deleted {
        assert!(result.is_ok(), "deleting {id}: {result:?}");
    }
    let servers_made = sim
        .created()
        .iter()
        .filter(|c| c.kind == CreatedKind::Server)
        .count();
    assert_eq!(servers_made, 100, "no server was ever created twice");
    assert_clean(&sim);
}
