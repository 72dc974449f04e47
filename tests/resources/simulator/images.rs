//! `Images`: labels and aliases resolved per zone, commercial type and root kind; waits on
//! images made from Instance and Block snapshots.

use scaleway_client::api::instance_v1::types::{
    Arch, CreateSnapshotBodyVolumeType, ImageState, VolumeVolumeType,
};
use scaleway_client::resources::{
    IMAGE_ALIASES, RootKind, RootVolume, ServerSpec, VolumePolicy, VolumeSpec, image_label,
};
use scaleway_client::{Error, Zone};

use super::{Env, env, gb};

/// The ids the real API had in fr-par-1 for `ubuntu_noble` (the simulator serves them).
const NOBLE_LOCAL: &str = "98cf81a9-f0bd-4deb-8893-33f362f7421e";
const NOBLE_SBS_X86: &str = "da954c89-6891-4c70-8fdc-63e094449a63";
const NOBLE_SBS_ARM: &str = "6472cd88-225c-4c22-8eb0-381a265e7829";

#[tokio::test]
async fn labels_resolve_per_zone_type_and_root_kind() {
    // A little over a screen: one label resolved for each zone, type and root kind, side by side.
    let env = env().await;
    let images = env.scw.images();
    assert_eq!(image_label("ubuntu-24.04"), "ubuntu_noble");
    assert_eq!(image_label("ubuntu_noble"), "ubuntu_noble");
    assert!(IMAGE_ALIASES.iter().any(|(alias, _)| *alias == "debian-12"));

    assert_eq!(
        images
            .resolve("ubuntu-24.04", "DEV1-S", RootKind::Local)
            .await
            .unwrap(),
        NOBLE_LOCAL
    );
    assert_eq!(
        images
            .resolve("ubuntu_noble", "PRO2-S", RootKind::Block)
            .await
            .unwrap(),
        NOBLE_SBS_X86
    );
    assert_eq!(
        images
            .resolve("ubuntu-24.04", "COPARM1-2C-8G", RootKind::Block)
            .await
            .unwrap(),
        NOBLE_SBS_ARM
    );
    // Cached, and the same answer again.
    assert_eq!(
        images
            .resolve("ubuntu-24.04", "DEV1-S", RootKind::Local)
            .await
            .unwrap(),
        NOBLE_LOCAL
    );
    // Another zone has its own images of the label.
    let other = env
        .scw
        .images()
        .zone(Zone::FR_PAR_2)
        .resolve("ubuntu-24.04", "PRO2-S", RootKind::Block)
        .await
        .unwrap();
    assert_ne!(other, NOBLE_SBS_X86);
    let image = env.scw.images().zone(Zone::FR_PAR_2).wait(&other).await.unwrap();
    assert_eq!(image.zone.as_deref(), Some("fr-par-2"));
    // An id is used as it is.
    let id = uuid::Uuid::new_v4().to_string();
    assert_eq!(images.resolve(&id, "DEV1-S", RootKind::Block).await.unwrap(), id);

    // No local image boots a Block-only type; an unknown label; a bad name.
    for (image, commercial_type, kind) in [
        ("ubuntu-24.04", "PRO2-S", RootKind::Local),
        ("no_such_label", "DEV1-S", RootKind::Block),
        ("bad label", "DEV1-S", RootKind::Block),
    ] {
        let err = images.resolve(image, commercial_type, kind).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{image}: {err}");
    }
    env.assert_nothing_left();
}

#[tokio::test]
async fn a_marketplace_image_is_available_and_an_unknown_one_is_not_found() {
    let env = env().await;
    let image = env.scw.images().wait(NOBLE_LOCAL).await.unwrap();
    assert_eq!(image.state, ImageState::Available);
    let missing = uuid::Uuid::new_v4().to_string();
    assert!(env.scw.images().wait(&missing).await.unwrap_err().is_not_found());
}

/// Creates an image from a snapshot through the generated client.
async fn image_from(env: &Env, name: &str, snapshot_id: &str) -> String {
    env.scw
        .client()
        .instance()
        .create_image()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name(name.to_string())
                .root_volume(snapshot_id.to_string())
                .arch(Arch::X8664)
                .project(env.sim.project_id().to_string())
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .image
        .unwrap()
        .id
        .unwrap()
}

#[tokio::test]
async fn images_made_from_instance_and_block_snapshots_become_available() {
    let env = env().await;
    let scw = &env.scw;
    let instance = scw.client().instance();
    let block = scw.client().block();

    let (server_id, snapshot, local_image) = an_image_from_a_local_root_snapshot(&env).await;
    let (volume, block_snapshot, sbs_image) = an_image_from_a_block_snapshot(&env).await;

    // Listed among the project's images.
    let listed = instance
        .list_images()
        .zone("fr-par-1")
        .project(env.sim.project_id())
        .send()
        .await
        .unwrap()
        .into_inner()
        .images;
    let mut listed: Vec<String> = listed.into_iter().filter_map(|i| i.id).collect();
    listed.sort();
    let mut made = vec![local_image.clone(), sbs_image.clone()];
    made.sort();
    assert_eq!(listed, made);
    assert_eq!(env.sim.inventory().images, made);

    for image in [&local_image, &sbs_image] {
        instance
            .delete_image()
            .zone("fr-par-1")
            .image_id(image.as_str())
            .send()
            .await
            .unwrap();
        assert!(scw.images().wait(image).await.unwrap_err().is_not_found());
    }
    instance
        .delete_snapshot()
        .zone("fr-par-1")
        .snapshot_id(snapshot.as_str())
        .send()
        .await
        .unwrap();
    block
        .delete_snapshot()
        .zone("fr-par-1")
        .snapshot_id(block_snapshot.as_str())
        .send()
        .await
        .unwrap();
    scw.volumes().delete(&volume).await.unwrap();
    scw.servers()
        .delete(&server_id, VolumePolicy::DeleteAll)
        .await
        .unwrap();
    env.assert_nothing_left();
}

/// An image from a snapshot of a server's local root becomes available, its snapshot with it;
/// the server, the snapshot and the image.
async fn an_image_from_a_local_root_snapshot(env: &Env) -> (String, String, String) {
    let scw = &env.scw;
    let instance = scw.client().instance();
    let server = scw
        .servers()
        .create(&ServerSpec::new("img", "DEV1-S", "ubuntu-22.04").root_volume(RootVolume::local(gb(20))))
        .await
        .unwrap();
    let server_id = server.id.clone().unwrap();
    let root = server.volumes["0"].id.clone().unwrap();
    let snapshot = instance
        .create_snapshot()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("img-snap".to_string())
                .volume_id(root.clone())
                .volume_type(CreateSnapshotBodyVolumeType::LSsd)
                .project(env.sim.project_id().to_string())
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .snapshot
        .unwrap()
        .id
        .unwrap();
    let local_image = image_from(env, "img-local", &snapshot).await;
    let ready = scw.images().wait(&local_image).await.unwrap();
    assert_eq!(ready.state, ImageState::Available);
    let root_volume = ready.root_volume.unwrap();
    assert_eq!(root_volume.id.as_deref(), Some(snapshot.as_str()));
    assert_eq!(root_volume.volume_type, Some(VolumeVolumeType::LSsd));
    assert_eq!(root_volume.size, Some(20_000_000_000));
    // By then its snapshot is done too.
    assert_eq!(
        scw.snapshots().wait_instance(&snapshot).await.unwrap().state,
        scaleway_client::api::instance_v1::types::SnapshotState::Available
    );
    (server_id, snapshot, local_image)
}

/// An image from a Block snapshot becomes available, with an sbs root; the volume, the snapshot
/// and the image.
async fn an_image_from_a_block_snapshot(env: &Env) -> (String, String, String) {
    let scw = &env.scw;
    let block = scw.client().block();
    let volume = scw
        .volumes()
        .create(&VolumeSpec::new("img-data", gb(10)))
        .await
        .unwrap()
        .id
        .unwrap();
    let block_snapshot = block
        .create_snapshot()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("img-block".to_string())
                .volume_id(volume.clone())
                .project_id(env.sim.project_id().to_string())
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .id
        .unwrap();
    let sbs_image = image_from(env, "img-sbs", &block_snapshot).await;
    let ready = scw.images().wait(&sbs_image).await.unwrap();
    assert_eq!(ready.state, ImageState::Available);
    assert_eq!(
        ready.root_volume.unwrap().volume_type,
        Some(VolumeVolumeType::SbsSnapshot)
    );
    (volume, block_snapshot, sbs_image)
}
