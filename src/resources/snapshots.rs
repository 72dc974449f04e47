//! Snapshots of Block volumes (Block v1) and of Instance volumes, and their waits.

use super::{Awaited, check_id, optional, wait_existing, zonal_handler};
use crate::Result;
use crate::api::block_v1::types::{Snapshot as BlockSnapshot, SnapshotStatus};
use crate::api::instance_v1::types::{Snapshot as InstanceSnapshot, SnapshotState};
use crate::wait::Status;

zonal_handler!(
    /// Snapshots of a zone. From [`Scaleway::snapshots`](super::Scaleway::snapshots).
    Snapshots
);

impl Snapshots<'_> {
    /// Waits until a Block snapshot is `available` (or `in_use`); `error`, `locked` and
    /// `deleted` end the wait with [`Error::FailedState`](crate::Error::FailedState).
    pub async fn wait_block(&self, snapshot_id: &str) -> Result<BlockSnapshot> {
        check_id("snapshot id", snapshot_id)?;
        let block = &self.scw.apis().block;
        let awaited = Awaited {
            resource: "snapshot",
            id: snapshot_id,
            what: format!("snapshot {snapshot_id} to be available"),
        };
        let get = || async {
            let answer = optional(
                block
                    .get_snapshot()
                    .zone(&self.zone)
                    .snapshot_id(snapshot_id)
                    .send()
                    .await,
            )?;
            Ok(answer.map(|a| a.into_inner()))
        };
        let classify = |snapshot: &BlockSnapshot| match snapshot.status {
            SnapshotStatus::Available | SnapshotStatus::InUse => Status::Reached,
            SnapshotStatus::Error | SnapshotStatus::Locked | SnapshotStatus::Deleted => Status::Failed,
            _ => Status::Pending,
        };
        wait_existing(&self.scw.options().wait, awaited, get, classify, |s| {
            s.status.to_string()
        })
        .await
    }

    /// Waits until an Instance snapshot is `available`; `error` and `invalid_data` end the wait
    /// with [`Error::FailedState`](crate::Error::FailedState).
    pub async fn wait_instance(&self, snapshot_id: &str) -> Result<InstanceSnapshot> {
        check_id("snapshot id", snapshot_id)?;
        let instance = &self.scw.apis().instance;
        let awaited = Awaited {
            resource: "instance_snapshot",
            id: snapshot_id,
            what: format!("snapshot {snapshot_id} to be available"),
        };
        let get = || async {
            let answer = optional(
                instance
                    .get_snapshot()
                    .zone(&self.zone)
                    .snapshot_id(snapshot_id)
                    .send()
                    .await,
            )?;
            Ok(answer.and_then(|a| a.into_inner().snapshot))
        };
        let classify = |snapshot: &InstanceSnapshot| match snapshot.state {
            SnapshotState::Available => Status::Reached,
            SnapshotState::Error | SnapshotState::InvalidData => Status::Failed,
            _ => Status::Pending,
        };
        wait_existing(&self.scw.options().wait, awaited, get, classify, |s| {
            s.state.to_string()
        })
        .await
    }
}
