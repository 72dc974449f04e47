//! `Volumes`: create, get, list, find by name, waits, IOPS, delete, and attach/detach serialized
//! per server.

use futures_util::TryStreamExt;
use futures_util::future::join_all;
use scaleway_client::api::block_v1::types::{ReferenceStatus, VolumeStatus};
use scaleway_client::resources::{
    CREATE_TOKEN_TAG, MAX_VOLUME_SIZE, MIN_VOLUME_SIZE, ServerSpec, VolumePolicy, VolumeSpec,
    attached_server, device_path,
};
use scaleway_client::{ByteSize, Error};

use super::{Env, env, gb};

async fn running_server(env: &Env, name: &str) -> String {
    env.scw
        .servers()
        .create(&ServerSpec::new(name, "DEV1-S", "ubuntu-24.04").wait_running(true))
        .await
        .unwrap()
        .id
        .unwrap()
}

#[tokio::test]
async fn a_volume_is_created_found_changed_and_deleted() {
    let env = env().await;
    let volumes = env.scw.volumes();
    let created = volumes
        .create(&VolumeSpec::new("data", gb(30)).iops(15_000).tag("app"))
        .await
        .unwrap();
    let id = created.id.clone().unwrap();
    assert_eq!(created.status, Some(VolumeStatus::Available));
    assert_eq!(created.size, Some(30_000_000_000));
    assert_eq!(created.specs.as_ref().and_then(|s| s.perf_iops), Some(15_000));
    assert!(created.tags.iter().any(|t| t == "app"));
    assert!(created.tags.iter().any(|t| t.starts_with(CREATE_TOKEN_TAG)));
    let other = volumes.create(&VolumeSpec::new("data-2", gb(5))).await.unwrap();

    assert_eq!(volumes.get(&id).await.unwrap().unwrap().id, created.id);
    let by_name: Vec<_> = volumes.list(Some("data"), None).try_collect().await.unwrap();
    assert_eq!(by_name.len(), 2, "a substring filter");
    let by_tag: Vec<_> = volumes.list(None, Some("app")).try_collect().await.unwrap();
    assert_eq!(by_tag.len(), 1);
    assert_eq!(by_tag[0].id, created.id);
    assert_eq!(
        volumes.find_by_name("data").await.unwrap().unwrap().id,
        created.id
    );
    assert_eq!(
        volumes.find_by_name("data-2").await.unwrap().unwrap().id,
        other.id
    );
    assert!(volumes.find_by_name("dat").await.unwrap().is_none());

    let lowered = volumes.set_iops(&id, 5_000).await.unwrap();
    assert_eq!(lowered.specs.as_ref().and_then(|s| s.perf_iops), Some(5_000));
    assert_eq!(lowered.type_.as_deref(), Some("sbs_5k"));
    assert_eq!(
        volumes.wait(&id).await.unwrap().status,
        Some(VolumeStatus::Available)
    );
    assert_eq!(
        volumes.wait_with_references(&id).await.unwrap().status,
        Some(VolumeStatus::Available)
    );
    assert_eq!(device_path(&lowered), None, "no device while detached");
    assert!(volumes.set_iops(&id, 7_000).await.is_err());

    volumes.delete(&id).await.unwrap();
    volumes.delete(&id).await.unwrap();
    assert!(volumes.get(&id).await.unwrap().is_none());
    assert!(volumes.wait(&id).await.unwrap_err().is_not_found());
    volumes.delete(other.id.as_deref().unwrap()).await.unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn bad_volume_specs_are_refused_before_any_request() {
    let env = env().await;
    let below = ByteSize::from_bytes(MIN_VOLUME_SIZE.bytes() - 1);
    let above = ByteSize::from_bytes(MAX_VOLUME_SIZE.bytes() + 1);
    for spec in [
        VolumeSpec::new("", gb(10)),
        VolumeSpec::new("v", below),
        VolumeSpec::new("v", above),
        VolumeSpec::new("v", gb(10)).iops(1),
        VolumeSpec::new("v", gb(10)).tag("a,b"),
    ] {
        assert!(spec.check().is_err(), "{spec:?}");
        let err = env.scw.volumes().create(&spec).await.unwrap_err();
        assert!(matches!(err, Error::InvalidInput { .. }), "{err}");
    }
    assert!(VolumeSpec::new("v", MIN_VOLUME_SIZE).check().is_ok());
    assert!(env.scw.volumes().get("nope").await.is_err());
    env.assert_nothing_left();
}

#[tokio::test]
async fn attach_and_detach_settle_and_refuse_what_they_must() {
    // Longer than a screen on purpose: one volume and two servers; each attach or detach starts
    // from where the one before left the volume.
    let env = env().await;
    let scw = &env.scw;
    let volumes = scw.volumes();
    let server = running_server(&env, "holder").await;
    let other_server = running_server(&env, "other").await;
    let id = volumes
        .create(&VolumeSpec::new("disk", gb(10)))
        .await
        .unwrap()
        .id
        .unwrap();

    let attached = volumes.attach(&id, &server).await.unwrap();
    assert_eq!(attached_server(&attached).as_deref(), Some(server.as_str()));
    assert_eq!(attached.status, Some(VolumeStatus::InUse));
    assert!(
        attached
            .references
            .iter()
            .all(|r| r.status == ReferenceStatus::Attached)
    );
    assert_eq!(
        device_path(&attached),
        Some(format!("/dev/disk/by-id/scsi-0SCW_sbs_volume-{id}"))
    );
    // Again: done already. Elsewhere: in use. Deleting it: in use, nothing changed.
    assert_eq!(
        attached_server(&volumes.attach(&id, &server).await.unwrap()),
        Some(server.clone())
    );
    assert!(matches!(
        volumes.attach(&id, &other_server).await.unwrap_err(),
        Error::InUse { .. }
    ));
    assert!(matches!(
        volumes.delete(&id).await.unwrap_err(),
        Error::InUse { .. }
    ));
    let on_server = scw.servers().get_existing(&server).await.unwrap();
    assert!(
        on_server
            .volumes
            .values()
            .any(|v| v.id.as_deref() == Some(id.as_str()))
    );

    // The root cannot be detached.
    let root = on_server.volumes["0"].id.clone().unwrap();
    assert!(matches!(
        volumes.detach(&root).await.unwrap_err(),
        Error::InvalidInput { .. }
    ));

    let detached = volumes.detach(&id).await.unwrap();
    assert_eq!(attached_server(&detached), None);
    assert_eq!(detached.status, Some(VolumeStatus::Available));
    assert!(detached.last_detached_at.is_some());
    assert_eq!(attached_server(&volumes.detach(&id).await.unwrap()), None);

    // Free again: the other server may have it.
    let moved = volumes.attach(&id, &other_server).await.unwrap();
    assert_eq!(attached_server(&moved), Some(other_server.clone()));

    for server in [&server, &other_server] {
        scw.servers()
            .delete(server, VolumePolicy::DeleteAll)
            .await
            .unwrap();
    }
    env.assert_nothing_left();
}

#[tokio::test]
async fn twenty_concurrent_attaches_to_one_server_all_succeed() {
    let env = env().await;
    let scw = &env.scw;
    let server = running_server(&env, "many").await;
    let created = join_all((0..20).map(|i| async move {
        scw.volumes()
            .create(&VolumeSpec::new(format!("disk-{i}"), gb(5)))
            .await
    }))
    .await;
    let ids: Vec<String> = created.into_iter().map(|v| v.unwrap().id.unwrap()).collect();

    let attached = join_all(ids.iter().map(|id| {
        let server = server.clone();
        async move { scw.volumes().attach(id, &server).await }
    }))
    .await;
    for (id, result) in ids.iter().zip(attached) {
        let volume = result.unwrap_or_else(|e| panic!("attach of {id}: {e}"));
        assert_eq!(attached_server(&volume).as_deref(), Some(server.as_str()));
    }
    let on_server = scw.servers().get_existing(&server).await.unwrap();
    assert_eq!(on_server.volumes.len(), 21, "the root and twenty volumes");
    for id in &ids {
        assert!(
            on_server
                .volumes
                .values()
                .any(|v| v.id.as_deref() == Some(id.as_str()))
        );
    }
    scw.servers()
        .delete(&server, VolumePolicy::DeleteAll)
        .await
        .unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn two_concurrent_detaches_of_one_volume_both_succeed() {
    let env = env().await;
    let scw = &env.scw;
    let server = running_server(&env, "twice").await;
    let id = scw
        .volumes()
        .create(&VolumeSpec::new("shared", gb(5)))
        .await
        .unwrap()
        .id
        .unwrap();
    scw.volumes().attach(&id, &server).await.unwrap();

    let (one, two) = (scw.volumes(), scw.volumes());
    let (first, second) = tokio::join!(one.detach(&id), two.detach(&id));
    for result in [first, second] {
        let volume = result.unwrap();
        assert_eq!(attached_server(&volume), None);
    }
    let on_server = scw.servers().get_existing(&server).await.unwrap();
    assert_eq!(on_server.volumes.len(), 1, "only the root is left");
    assert_eq!(env.sim.inventory().volumes.len(), 2);

    scw.volumes().delete(&id).await.unwrap();
    scw.servers()
        .delete(&server, VolumePolicy::DeleteAll)
        .await
        .unwrap();
    env.assert_nothing_left();
}
