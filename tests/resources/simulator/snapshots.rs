//! `Snapshots`: waits on Block and Instance snapshots.

use scaleway_client::api::block_v1::types::SnapshotStatus;
use scaleway_client::api::instance_v1::types::{CreateSnapshotBodyVolumeType, SnapshotState};
use scaleway_client::resources::{RootVolume, ServerSpec, VolumePolicy, VolumeSpec};

use super::{env, gb};

#[tokio::test]
async fn a_block_snapshot_goes_from_creating_to_available() {
    // Longer than a screen on purpose: one snapshot followed through its states in real time, each
    // check depending on the transition the step before started.
    let env = env().await;
    let scw = &env.scw;
    let block = scw.client().block();
    let volume = scw
        .volumes()
        .create(&VolumeSpec::new("snap-src", gb(15)))
        .await
        .unwrap();
    let volume_id = volume.id.clone().unwrap();
    let created = block
        .create_snapshot()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("nightly".to_string())
                .volume_id(volume_id.clone())
                .project_id(env.sim.project_id().to_string())
                .tags(vec!["nightly".to_string()])
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(created.status, SnapshotStatus::Creating);
    let id = created.id.clone().unwrap();

    let ready = scw.snapshots().wait_block(&id).await.unwrap();
    assert_eq!(ready.status, SnapshotStatus::Available);
    assert_eq!(ready.size, Some(15_000_000_000));
    assert_eq!(
        ready.parent_volume.as_ref().and_then(|p| p.id.as_deref()),
        Some(volume_id.as_str())
    );
    // Waiting again returns at once.
    assert_eq!(
        scw.snapshots().wait_block(&id).await.unwrap().status,
        SnapshotStatus::Available
    );

    // Listed by volume and by name.
    let by_volume = block
        .list_snapshots()
        .zone("fr-par-1")
        .volume_id(volume_id.as_str())
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_volume.total_count, Some(1));
    let by_name = block
        .list_snapshots()
        .zone("fr-par-1")
        .name("no-such")
        .send()
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_name.total_count, Some(0));
    assert_eq!(env.sim.inventory().snapshots, [id.as_str()]);

    // The snapshot outlives its volume.
    scw.volumes().delete(&volume_id).await.unwrap();
    assert_eq!(
        scw.snapshots().wait_block(&id).await.unwrap().status,
        SnapshotStatus::Available
    );
    block
        .delete_snapshot()
        .zone("fr-par-1")
        .snapshot_id(id.as_str())
        .send()
        .await
        .unwrap();
    assert!(scw.snapshots().wait_block(&id).await.unwrap_err().is_not_found());
    env.assert_nothing_left();
}

#[tokio::test]
async fn an_instance_snapshot_goes_from_snapshotting_to_available() {
    // Longer than a screen on purpose: one snapshot followed through its states in real time, each
    // check depending on the transition the step before started.
    let env = env().await;
    let scw = &env.scw;
    let instance = scw.client().instance();
    let server = scw
        .servers()
        .create(&ServerSpec::new("isnap", "DEV1-S", "ubuntu-22.04").root_volume(RootVolume::local(gb(20))))
        .await
        .unwrap();
    let root = server.volumes["0"].id.clone().unwrap();
    let created = instance
        .create_snapshot()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("isnap-0".to_string())
                .volume_id(root.clone())
                .volume_type(CreateSnapshotBodyVolumeType::LSsd)
                .project(env.sim.project_id().to_string())
        })
        .send()
        .await
        .unwrap()
        .into_inner();
    let snapshot = created.snapshot.unwrap();
    assert_eq!(snapshot.state, SnapshotState::Snapshotting);
    assert!(created.task.is_some());
    let id = snapshot.id.clone().unwrap();

    let ready = scw.snapshots().wait_instance(&id).await.unwrap();
    assert_eq!(ready.state, SnapshotState::Available);
    assert_eq!(ready.size, Some(20_000_000_000));
    assert_eq!(
        ready.base_volume.as_ref().and_then(|v| v.id.as_deref()),
        Some(root.as_str())
    );
    let listed = instance
        .list_snapshots()
        .zone("fr-par-1")
        .base_volume_id(root.as_str())
        .send()
        .await
        .unwrap()
        .into_inner()
        .snapshots;
    assert_eq!(listed.len(), 1);

    instance
        .delete_snapshot()
        .zone("fr-par-1")
        .snapshot_id(id.as_str())
        .send()
        .await
        .unwrap();
    assert!(
        scw.snapshots()
            .wait_instance(&id)
            .await
            .unwrap_err()
            .is_not_found()
    );
    // Refused before any request.
    assert!(scw.snapshots().wait_instance("snap").await.is_err());
    assert!(scw.snapshots().wait_block("snap").await.is_err());
    scw.servers()
        .delete(server.id.as_deref().unwrap(), VolumePolicy::DeleteAll)
        .await
        .unwrap();
    env.assert_nothing_left();
}
