//! Instance volumes: local (`l_ssd`, `scratch`) volumes and their waits.

use super::{Awaited, check_id, optional, wait_existing, zonal_handler};
use crate::Result;
use crate::api::instance_v1::types::{Volume, VolumeState};
use crate::wait::Status;

zonal_handler!(
    /// Instance volumes of a zone. From [`Scaleway::instance_volumes`](super::Scaleway::instance_volumes).
    InstanceVolumes
);

impl InstanceVolumes<'_> {
    /// The volume, `None` if it does not exist.
    pub async fn get(&self, volume_id: &str) -> Result<Option<Volume>> {
        check_id("volume id", volume_id)?;
        let answer = optional(
            self.scw
                .apis()
                .instance
                .get_volume()
                .zone(&self.zone)
                .volume_id(volume_id)
                .send()
                .await,
        )?;
        Ok(answer.and_then(|a| a.into_inner().volume))
    }

    /// Waits until the volume leaves its transient states (`snapshotting`, `fetching`, `saving`,
    /// `attaching`, `resizing`, `hotsyncing`) for `available`; `error` ends the wait with
    /// [`Error::FailedState`](crate::Error::FailedState), a volume that disappears with
    /// [`Error::NotFound`](crate::Error::NotFound).
    pub async fn wait(&self, volume_id: &str) -> Result<Volume> {
        check_id("volume id", volume_id)?;
        let awaited = Awaited {
            resource: "instance_volume",
            id: volume_id,
            what: format!("volume {volume_id} to be available"),
        };
        let classify = |volume: &Volume| match volume.state {
            VolumeState::Available => Status::Reached,
            VolumeState::Error => Status::Failed,
            _ => Status::Pending,
        };
        wait_existing(
            &self.scw.options().wait,
            awaited,
            || self.get(volume_id),
            classify,
            |v| v.state.to_string(),
        )
        .await
    }
}
