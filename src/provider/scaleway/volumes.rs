//! Block Storage volumes (Block v1), attached with the atomic attach-volume / detach-volume
//! server actions.

use super::servers::CREATE_TOKEN_TAG;
use super::{ScalewayProvider, absent_as_none, check_id, check_name, found, gone, reached};
use crate::ByteSize;
use crate::api::block_v1::types::{
    CreateVolumeRequestFromEmpty, ReferenceStatus, Volume as BlockVolume, VolumeStatus as BlockStatus,
};
use crate::api::instance_v1::types::AttachServerVolumeBodyVolumeType;
use crate::paginate::{Page, collect_all};
use crate::provider::{ProviderError, ProviderResult, Volume, VolumeOptions, VolumeStatus};
use crate::wait::{Status, wait_for};

/// The smallest Block Storage (sbs_5k, sbs_15k) volume: 5 GB.
pub const MIN_VOLUME_GB: u64 = 5;
/// The largest Block Storage volume: 10 TB.
pub const MAX_VOLUME_GB: u64 = 10_000;

pub(super) fn to_volume(p: &ScalewayProvider, volume: &BlockVolume) -> Volume {
    let status = match volume.status {
        Some(BlockStatus::Creating) => VolumeStatus::Creating,
        Some(BlockStatus::Available) => VolumeStatus::Available,
        Some(BlockStatus::InUse) => VolumeStatus::InUse,
        Some(BlockStatus::Updating | BlockStatus::Resizing | BlockStatus::Snapshotting) => {
            VolumeStatus::Updating
        }
        Some(BlockStatus::Deleting | BlockStatus::Deleted) => VolumeStatus::Deleting,
        Some(BlockStatus::Error | BlockStatus::Locked) => VolumeStatus::Error,
        _ => VolumeStatus::Unknown,
    };
    Volume {
        id: volume.id.clone().unwrap_or_default(),
        name: volume.name.clone().unwrap_or_default(),
        size_gb: ByteSize::from_bytes(volume.size.unwrap_or(0)).whole_gb(),
        location: volume.zone.clone().unwrap_or_else(|| p.zone.to_string()),
        status,
        server_id: attached_server(volume),
        device_path: None,
    }
}

/// The server a volume is attached to (or being attached to or detached from), from its
/// references.
fn attached_server(volume: &BlockVolume) -> Option<String> {
    reference(volume).map(|(server, _)| server)
}

/// The server holding the volume and the state of that hold.
fn reference(volume: &BlockVolume) -> Option<(String, ReferenceStatus)> {
    volume
        .references
        .iter()
        .find(|r| {
            r.product_resource_type.as_deref() == Some("instance_server")
                && matches!(
                    r.status,
                    ReferenceStatus::Attaching | ReferenceStatus::Attached | ReferenceStatus::Detaching
                )
        })
        .and_then(|r| Some((r.product_resource_id.clone()?, r.status)))
}

pub(super) async fn get(p: &ScalewayProvider, id: &str) -> ProviderResult<Option<BlockVolume>> {
    Ok(found(
        p.client
            .block()
            .get_volume()
            .zone(&p.zone)
            .volume_id(id)
            .send()
            .await,
    )?
    .map(|answer| answer.into_inner()))
}

async fn find_raw(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<BlockVolume>> {
    let block = p.client.block();
    let candidates = collect_all(100, |request| {
        let block = block.clone();
        async move {
            let answer = block
                .list_volumes()
                .zone(&p.zone)
                .project_id(p.project_id.as_str())
                .name(name)
                .page(request.page as i32)
                .page_size(request.size)
                .send()
                .await?
                .into_inner();
            Ok(Page::new(answer.volumes, answer.total_count))
        }
    })
    .await?;
    Ok(candidates.into_iter().find(|v| v.name.as_deref() == Some(name)))
}

/// The project's volume carrying `tag`, if any.
async fn find_by_tag(p: &ScalewayProvider, tag: &str) -> ProviderResult<Option<BlockVolume>> {
    let answer = p
        .client
        .block()
        .list_volumes()
        .zone(&p.zone)
        .project_id(p.project_id.as_str())
        .tags(vec![tag.to_string()])
        .page(1)
        .page_size(1)
        .send()
        .await
        .map_err(crate::Error::from)?
        .into_inner();
    Ok(answer.volumes.into_iter().next())
}

pub(super) async fn find(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<Volume>> {
    check_name("volume name", name)?;
    Ok(find_raw(p, name).await?.map(|v| to_volume(p, &v)))
}

/// Polls a volume until `done` says so; a volume that disappears while awaited is a failure.
async fn wait_volume(
    p: &ScalewayProvider,
    id: &str,
    what: &str,
    done: impl Fn(&BlockVolume) -> Status,
) -> ProviderResult<BlockVolume> {
    let block = p.client.block();
    let outcome = wait_for(
        &p.options.wait,
        || async {
            absent_as_none(block.get_volume().zone(&p.zone).volume_id(id).send().await)
                .map(|answer| answer.map(|a| a.into_inner()))
        },
        |volume: &Option<BlockVolume>| volume.as_ref().map_or(Status::Failed, &done),
    )
    .await?;
    let what = format!("volume {id} {what}");
    let state = |v: &Option<BlockVolume>| v.as_ref().map(status_name).unwrap_or_else(|| "deleted".into());
    match reached(outcome, what, state)? {
        Some(volume) => Ok(volume),
        None => Err(ProviderError::NotFound {
            kind: "volume",
            name: id.to_string(),
        }),
    }
}

fn status_name(volume: &BlockVolume) -> String {
    volume
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "unknown".into())
}

pub(super) async fn create(p: &ScalewayProvider, options: &VolumeOptions) -> ProviderResult<Volume> {
    check_name("volume name", &options.name)?;
    if !(MIN_VOLUME_GB..=MAX_VOLUME_GB).contains(&options.size_gb) {
        return Err(ProviderError::invalid(
            "volume size",
            format!(
                "must be {MIN_VOLUME_GB} to {MAX_VOLUME_GB} GB, got {}",
                options.size_gb
            ),
        ));
    }
    let iops = options.iops.unwrap_or(p.options.volume_iops);
    if ![5000, 15000].contains(&iops) {
        return Err(ProviderError::invalid(
            "volume IOPS",
            format!("must be 5000 or 15000, got {iops}"),
        ));
    }
    let size = ByteSize::from_gb(options.size_gb).map_err(|e| ProviderError::invalid("volume size", e))?;
    if let Some(server_id) = &options.server_id {
        // The volume goes in the server's zone, which is the provider's: check the server is there.
        check_id("server id", server_id)?;
        if super::servers::get(p, server_id).await?.is_none() {
            return Err(ProviderError::NotFound {
                kind: "server",
                name: server_id.clone(),
            });
        }
    }
    // A unique tag marks the request: when its outcome is unknown, the volume is looked up by
    // that tag, never by name (Block names are not unique: an older namesake is someone else's).
    let token = format!("{CREATE_TOKEN_TAG}={}", uuid::Uuid::new_v4());
    let created = p
        .client
        .block()
        .create_volume()
        .zone(&p.zone)
        .body_map(|b| {
            b.name(options.name.clone())
                .perf_iops(iops)
                .project_id(p.project_id.clone())
                .from_empty(CreateVolumeRequestFromEmpty {
                    size: Some(size.bytes()),
                })
                .tags(vec![token.clone()])
        })
        .send()
        .await;
    let volume = match created {
        Ok(answer) => answer.into_inner(),
        Err(e) => {
            let e = crate::Error::from(e);
            if !e.may_have_been_applied() {
                return Err(e.into());
            }
            match find_by_tag(p, &token).await {
                Ok(Some(volume)) => volume,
                _ => return Err(e.into()),
            }
        }
    };
    let id = volume.id.clone().unwrap_or_default();
    let ready = wait_volume(p, &id, "to become available", |v| match v.status {
        Some(BlockStatus::Available | BlockStatus::InUse) => Status::Reached,
        Some(BlockStatus::Error | BlockStatus::Locked | BlockStatus::Deleted) => Status::Failed,
        _ => Status::Pending,
    })
    .await;
    match ready {
        Ok(volume) => Ok(to_volume(p, &volume)),
        // A volume that never became usable is billed all the same: remove it.
        Err(original) => match delete(p, &id).await {
            Ok(()) => Err(original),
            Err(cleanup) => Err(ProviderError::CleanupFailed {
                original: Box::new(original),
                cleanup: Box::new(cleanup),
            }),
        },
    }
}

pub(super) async fn delete(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    check_id("volume id", id)?;
    let Some(volume) = get(p, id).await? else {
        return Ok(());
    };
    if let Some(server) = attached_server(&volume) {
        return Err(ProviderError::InUse {
            kind: "volume",
            id: id.into(),
            users: vec![format!("server {server}")],
        });
    }
    gone(
        p.client
            .block()
            .delete_volume()
            .zone(&p.zone)
            .volume_id(id)
            .send()
            .await,
    )
}

/// Deletes a server's root volume the moment it is detached (after the server is gone). A
/// volume made by [`create`] carries its create token and is never a root: one found where the
/// root was (the root detached elsewhere, a user volume attached at index 0) is left alone.
pub(super) async fn delete_when_detached(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    let Some(volume) = get(p, id).await? else {
        return Ok(());
    };
    if volume.tags.iter().any(|t| t.starts_with(CREATE_TOKEN_TAG)) {
        tracing::warn!(
            volume_id = id,
            "the volume at a deleted server's root position was made by create_volume: kept"
        );
        return Ok(());
    }
    match wait_detached(p, id).await {
        // Deleted by someone else meanwhile: what this was for is done.
        Err(ProviderError::NotFound { .. }) => return Ok(()),
        Err(ProviderError::FailedState { state, .. }) if state == "deleted" => return Ok(()),
        other => other?,
    };
    gone(
        p.client
            .block()
            .delete_volume()
            .zone(&p.zone)
            .volume_id(id)
            .send()
            .await,
    )
}

pub(super) async fn attach(p: &ScalewayProvider, volume_id: &str, server_id: &str) -> ProviderResult<()> {
    check_id("volume id", volume_id)?;
    check_id("server id", server_id)?;
    let lock = p.server_lock(server_id);
    let _one_change_per_server = lock.lock().await;
    let volume = get(p, volume_id).await?.ok_or_else(|| ProviderError::NotFound {
        kind: "volume",
        name: volume_id.into(),
    })?;
    match reference(&volume) {
        // Being detached (from this server or another): it is free once that is done.
        Some((_, ReferenceStatus::Detaching)) => wait_detached(p, volume_id).await?,
        Some((current, ReferenceStatus::Attached)) if current == server_id => return Ok(()),
        // On its way here (a first attempt whose answer was lost, say).
        Some((current, _)) if current == server_id => return wait_attached(p, volume_id, server_id).await,
        Some((other, _)) => {
            return Err(ProviderError::InUse {
                kind: "volume",
                id: volume_id.into(),
                users: vec![format!("server {other}")],
            });
        }
        None => {}
    }
    p.client
        .instance()
        .attach_server_volume()
        .zone(&p.zone)
        .server_id(server_id)
        .body_map(|b| {
            b.volume_id(volume_id)
                .volume_type(AttachServerVolumeBodyVolumeType::SbsVolume)
        })
        .send()
        .await
        .map_err(crate::Error::from)?;
    wait_attached(p, volume_id, server_id).await
}

/// Waits until the volume's reference to the server says `attached`.
async fn wait_attached(p: &ScalewayProvider, volume_id: &str, server_id: &str) -> ProviderResult<()> {
    wait_volume(p, volume_id, "to be attached", |v| {
        let attached = v.references.iter().any(|r| {
            r.product_resource_id.as_deref() == Some(server_id) && r.status == ReferenceStatus::Attached
        });
        if attached {
            Status::Reached
        } else if v.status == Some(BlockStatus::Error) {
            Status::Failed
        } else {
            Status::Pending
        }
    })
    .await?;
    Ok(())
}

/// Waits until no server holds the volume any more.
async fn wait_detached(p: &ScalewayProvider, volume_id: &str) -> ProviderResult<()> {
    wait_volume(p, volume_id, "to be detached", |v| match attached_server(v) {
        None => Status::Reached,
        Some(_) => Status::Pending,
    })
    .await?;
    Ok(())
}

pub(super) async fn detach(p: &ScalewayProvider, volume_id: &str) -> ProviderResult<()> {
    check_id("volume id", volume_id)?;
    let volume = get(p, volume_id).await?.ok_or_else(|| ProviderError::NotFound {
        kind: "volume",
        name: volume_id.into(),
    })?;
    let server_id = match reference(&volume) {
        None => return Ok(()),
        // Already on its way off (an earlier detach): only its end is awaited.
        Some((_, ReferenceStatus::Detaching)) => return wait_detached(p, volume_id).await,
        Some((server_id, _)) => server_id,
    };
    // A server's root volume is part of the server: detached, it would leave the server without
    // a boot volume and let the next attached volume take the root position, which
    // `delete_server` deletes.
    let root = super::servers::get(p, &server_id)
        .await?
        .and_then(|server| server.volumes.get("0").and_then(|v| v.id.clone()));
    if root.as_deref() == Some(volume_id) {
        return Err(ProviderError::invalid(
            "volume id",
            format!("{volume_id} is the root volume of server {server_id}; delete the server instead"),
        ));
    }
    detach_from(p, volume_id, &server_id).await
}

/// Detaches a volume from a known server and waits until it is free.
pub(super) async fn detach_from(
    p: &ScalewayProvider,
    volume_id: &str,
    server_id: &str,
) -> ProviderResult<()> {
    let lock = p.server_lock(server_id);
    let _one_change_per_server = lock.lock().await;
    gone(
        p.client
            .instance()
            .detach_server_volume()
            .zone(&p.zone)
            .server_id(server_id)
            .body_map(|b| b.volume_id(volume_id))
            .send()
            .await,
    )?;
    wait_detached(p, volume_id).await
}
