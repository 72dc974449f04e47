//! Volumes as Block Storage volumes (Block v1).

use super::ScalewayProvider;
use crate::api::block_v1::types::{Volume as BlockVolume, VolumeStatus as BlockStatus};
use crate::provider::{ProviderError, ProviderResult, Volume, VolumeOptions, VolumeStatus, VolumeTier};
use crate::resources::{VolumeSpec, attached_server, device_path};
use crate::{ByteSize, Zone};

fn to_volume(p: &ScalewayProvider, volume: &BlockVolume) -> Volume {
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
        device_path: device_path(volume),
    }
}

pub(super) async fn get(p: &ScalewayProvider, id: &str) -> ProviderResult<Option<Volume>> {
    let volume = p.scw.volumes().zone(p.zone.clone()).get(id).await?;
    Ok(volume.map(|v| to_volume(p, &v)))
}

pub(super) async fn find(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<Volume>> {
    let volume = p.scw.volumes().zone(p.zone.clone()).find_by_name(name).await?;
    Ok(volume.map(|v| to_volume(p, &v)))
}

/// The IOPS of a new volume: the options' (as a number or a tier, which must agree), else the
/// provider's default.
fn iops(p: &ScalewayProvider, options: &VolumeOptions) -> ProviderResult<u32> {
    let tier = options.tier.map(|tier| match tier {
        VolumeTier::Standard => 5000,
        VolumeTier::Performance => 15000,
    });
    match (options.iops, tier) {
        (Some(iops), Some(tier)) if iops != tier => Err(ProviderError::invalid(
            "volume IOPS",
            format!("{iops} does not match the tier's {tier}"),
        )),
        (Some(iops), _) | (None, Some(iops)) => Ok(iops),
        (None, None) => Ok(p.options.volume_iops),
    }
}

pub(super) async fn create(p: &ScalewayProvider, options: &VolumeOptions) -> ProviderResult<Volume> {
    let size = ByteSize::from_gb(options.size_gb).map_err(|e| ProviderError::invalid("volume size", e))?;
    let spec = VolumeSpec::new(&options.name, size).iops(iops(p, options)?);
    spec.check()?;
    let mut zone: Zone = p.zone.clone();
    if let Some(server_id) = &options.server_id {
        // The volume goes in the server's zone, which is the provider's: check the server is there.
        let server = p
            .scw
            .servers()
            .zone(p.zone.clone())
            .get_existing(server_id)
            .await?;
        if let Some(server_zone) = server.zone.as_deref().and_then(|z| z.parse().ok()) {
            zone = server_zone;
        }
    }
    let volume = p.scw.volumes().zone(zone).create(&spec).await?;
    Ok(to_volume(p, &volume))
}
