//! Instance volumes: local (`l_ssd`, `scratch`) volumes and their waits.

use super::{check_id, optional, reached_existing, zonal_handler};
use crate::Result;
use crate::api::instance_v1::types::{Volume, VolumeState};
use crate::wait::{Status, wait_for};

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
                .client()
                .instance()
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
        let outcome = wait_for(
            &self.scw.options().wait,
            || self.get(volume_id),
            |volume: &Option<Volume>| match volume.as_ref().map(|v| v.state) {
                None | Some(VolumeState::Error) => Status::Failed,
                Some(VolumeState::Available) => Status::Reached,
                Some(_) => Status::Pending,
            },
        )
        .await?;
        let state = |v: &Option<Volume>| v.as_ref().map_or("deleted".into(), |v| v.state.to_string());
        reached_existing(
            outcome,
            format!("volume {volume_id} to be available"),
            state,
            "instance_volume",
            volume_id,
        )
    }
}
