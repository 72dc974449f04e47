//! `InstanceVolumes`: local volumes, read and awaited.

use scaleway_client::api::instance_v1::types::{VolumeState, VolumeVolumeType};
use scaleway_client::resources::{RootVolume, ServerSpec, VolumePolicy};

use super::{env, gb};

#[tokio::test]
async fn local_volumes_are_read_and_awaited() {
    // A little over a screen: the local root of one server, read and awaited in each state.
    let env = env().await;
    let scw = &env.scw;
    let server = scw
        .servers()
        .create(&ServerSpec::new("lssd", "DEV1-S", "ubuntu-22.04").root_volume(RootVolume::local(gb(20))))
        .await
        .unwrap();
    let server_id = server.id.clone().unwrap();
    let root = server.volumes["0"].id.clone().unwrap();

    let volumes = scw.instance_volumes();
    let volume = volumes.get(&root).await.unwrap().unwrap();
    assert_eq!(volume.volume_type, Some(VolumeVolumeType::LSsd));
    assert_eq!(volume.size, Some(20_000_000_000));
    assert_eq!(
        volume.server.as_ref().and_then(|s| s.id.as_deref()),
        Some(server_id.as_str())
    );
    assert_eq!(volumes.wait(&root).await.unwrap().state, VolumeState::Available);

    // A detached local volume made through the API.
    let made = scw
        .client()
        .instance()
        .create_volume()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("scratchpad".to_string())
                .size(10_000_000_000u64)
                .volume_type(scaleway_client::api::instance_v1::types::VolumeVolumeType::LSsd)
                .project(env.sim.project_id().to_string())
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .volume
        .unwrap();
    let made_id = made.id.clone().unwrap();
    let ready = volumes.wait(&made_id).await.unwrap();
    assert_eq!(ready.state, VolumeState::Available);
    assert!(ready.server.is_none());
    scw.client()
        .instance()
        .delete_volume()
        .zone("fr-par-1")
        .volume_id(made_id.as_str())
        .send()
        .await
        .unwrap();
    assert!(volumes.get(&made_id).await.unwrap().is_none());
    assert!(volumes.wait(&made_id).await.unwrap_err().is_not_found());
    assert!(volumes.get("not-an-id").await.is_err());

    scw.servers()
        .delete(&server_id, VolumePolicy::KeepAttached)
        .await
        .unwrap();
    assert!(
        volumes.get(&root).await.unwrap().is_none(),
        "terminate deletes local volumes"
    );
    env.assert_nothing_left();
}
