//! Snapshots of Block volumes (Block v1) and of Instance volumes, and their waits.

use super::{check_id, optional, reached_existing, zonal_handler};
use crate::Result;
use crate::api::block_v1::types::{Snapshot as BlockSnapshot, SnapshotStatus};
use crate::api::instance_v1::types::{Snapshot as InstanceSnapshot, SnapshotState};
use crate::wait::{Status, wait_for};

zonal_handler!(
    /// Snapshots of a zone. From [`Scaleway::snapshots`](super::Scaleway::snapshots).
    Snapshots
);

impl Snapshots<'_> {
    /// Waits until a Block snapshot is `available` (or `in_use`); `error`, `locked` and
    /// `deleted` end the wait with [`Error::FailedState`](crate::Error::FailedState), a snapshot
    /// that disappears with [`Error::NotFound`](crate::Error::NotFound).
    pub async fn wait_block(&self, snapshot_id: &str) -> Result<BlockSnapshot> {
        check_id("snapshot id", snapshot_id)?;
        let block = self.scw.client().block();
        let outcome = wait_for(
            &self.scw.options().wait,
            || async {
                optional(
                    block
                        .get_snapshot()
                        .zone(&self.zone)
                        .snapshot_id(snapshot_id)
                        .send()
                        .await,
                )
                .map(|answer| answer.map(|a| a.into_inner()))
            },
            |snapshot: &Option<BlockSnapshot>| match snapshot.as_ref().map(|s| s.status) {
                None => Status::Failed,
                Some(SnapshotStatus::Available | SnapshotStatus::InUse) => Status::Reached,
                Some(SnapshotStatus::Error | SnapshotStatus::Locked | SnapshotStatus::Deleted) => {
                    Status::Failed
                }
                Some(_) => Status::Pending,
            },
        )
        .await?;
        let state = |s: &Option<BlockSnapshot>| s.as_ref().map_or("deleted".into(), |s| s.status.to_string());
        reached_existing(
            outcome,
            format!("snapshot {snapshot_id} to be available"),
            state,
            "snapshot",
            snapshot_id,
        )
    }

    /// Waits until an Instance snapshot is `available`; `error` and `invalid_data` end the wait
    /// with [`Error::FailedState`](crate::Error::FailedState), a snapshot that disappears with
    /// [`Error::NotFound`](crate::Error::NotFound).
    pub async fn wait_instance(&self, snapshot_id: &str) -> Result<InstanceSnapshot> {
        check_id("snapshot id", snapshot_id)?;
        let instance = self.scw.client().instance();
        let outcome = wait_for(
            &self.scw.options().wait,
            || async {
                optional(
                    instance
                        .get_snapshot()
                        .zone(&self.zone)
                        .snapshot_id(snapshot_id)
                        .send()
                        .await,
                )
                .map(|answer| answer.and_then(|a| a.into_inner().snapshot))
            },
            |snapshot: &Option<InstanceSnapshot>| match snapshot.as_ref().map(|s| s.state) {
                None => Status::Failed,
                Some(SnapshotState::Available) => Status::Reached,
                Some(SnapshotState::Error | SnapshotState::InvalidData) => Status::Failed,
                Some(_) => Status::Pending,
            },
        )
        .await?;
        let state =
            |s: &Option<InstanceSnapshot>| s.as_ref().map_or("deleted".into(), |s| s.state.to_string());
        reached_existing(
            outcome,
            format!("snapshot {snapshot_id} to be available"),
            state,
            "instance_snapshot",
            snapshot_id,
        )
    }
}
