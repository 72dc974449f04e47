//! Private NICs: a server's link to a private network. A NIC must be `available` before its
//! server boots, or the server misses the network's DHCP.

use futures_util::TryStreamExt;

use super::{Awaited, check_id, create_once, ignore_missing, optional, wait_existing, zonal_handler};
use crate::api::instance_v1::types::{PrivateNic, PrivateNicState};
use crate::wait::Status;
use crate::{Error, Result};

/// Whether a NIC is ready: `available`, or failed for good in `syncing_error`.
fn available(nic: &PrivateNic) -> Status {
    match nic.state {
        PrivateNicState::Available => Status::Reached,
        PrivateNicState::SyncingError => Status::Failed,
        PrivateNicState::Syncing => Status::Pending,
    }
}

zonal_handler!(
    /// Private NICs of servers in a zone. From [`Scaleway::private_nics`](super::Scaleway::private_nics).
    PrivateNics
);

impl PrivateNics<'_> {
    /// The NIC, `None` if it (or its server) does not exist.
    pub async fn get(&self, server_id: &str, nic_id: &str) -> Result<Option<PrivateNic>> {
        check_id("server id", server_id)?;
        check_id("private NIC id", nic_id)?;
        Ok(optional(
            self.scw
                .apis()
                .instance
                .get_private_nic()
                .zone(&self.zone)
                .server_id(server_id)
                .private_nic_id(nic_id)
                .send()
                .await,
        )?
        .and_then(|a| a.into_inner().private_nic))
    }

    /// Every NIC of a server.
    pub async fn list(&self, server_id: &str) -> Result<Vec<PrivateNic>> {
        check_id("server id", server_id)?;
        self.scw
            .apis()
            .instance
            .list_private_nics()
            .zone(&self.zone)
            .server_id(server_id)
            .stream()
            .try_collect()
            .await
    }

    /// The server's NIC on a private network, if it has one.
    pub async fn find(&self, server_id: &str, private_network_id: &str) -> Result<Option<PrivateNic>> {
        check_id("private network id", private_network_id)?;
        Ok(self
            .list(server_id)
            .await?
            .into_iter()
            .find(|n| n.private_network_id.as_deref() == Some(private_network_id)))
    }

    /// Connects a server to a private network and waits until the NIC is available. A server
    /// has at most one NIC per network: an existing one is returned (and awaited) instead of a
    /// second, and a create whose answer is lost is looked up the same way.
    pub async fn create(&self, server_id: &str, private_network_id: &str) -> Result<PrivateNic> {
        check_id("server id", server_id)?;
        let existing = self.find(server_id, private_network_id).await?;
        self.create_unless(server_id, private_network_id, existing).await
    }

    /// [`PrivateNics::create`] for a server whose NICs the caller has just read (a server create's
    /// answer): `existing` is its NIC on the network, if any.
    pub(crate) async fn create_unless(
        &self,
        server_id: &str,
        private_network_id: &str,
        existing: Option<PrivateNic>,
    ) -> Result<PrivateNic> {
        check_id("private network id", private_network_id)?;
        let nic = match existing {
            Some(existing) => existing,
            None => {
                let instance = &self.scw.apis().instance;
                let post = || async {
                    let answer = instance
                        .create_private_nic()
                        .zone(&self.zone)
                        .server_id(server_id)
                        .body_map(|b| b.private_network_id(private_network_id.to_string()))
                        .send()
                        .await?;
                    let incomplete = Error::incomplete_answer(
                        answer.status().as_u16(),
                        answer.headers(),
                        "no private NIC in the answer",
                    );
                    answer.into_inner().private_nic.ok_or(incomplete)
                };
                // A server has at most one NIC per network: the one there is the one sent.
                let lookup = || self.find(server_id, private_network_id);
                create_once(&self.scw.options().wait, "private NIC", post, lookup).await?
            }
        };
        if nic.state == PrivateNicState::Available {
            return Ok(nic);
        }
        let nic_id = nic.id.as_deref().unwrap_or_default();
        self.poll(
            server_id,
            nic_id,
            "to be available",
            &self.scw.wait_after(crate::wait::Transition::PrivateNic),
            available,
        )
        .await
    }

    async fn poll(
        &self,
        server_id: &str,
        nic_id: &str,
        what: &str,
        options: &crate::wait::WaitOptions,
        classify: impl Fn(&PrivateNic) -> Status,
    ) -> Result<PrivateNic> {
        check_id("server id", server_id)?;
        check_id("private NIC id", nic_id)?;
        let awaited = Awaited {
            resource: "instance_private_nic",
            id: nic_id,
            what: format!("private NIC {nic_id} {what}"),
        };
        wait_existing(
            options,
            awaited,
            || self.get(server_id, nic_id),
            classify,
            |n| n.state.to_string(),
        )
        .await
    }

    /// Waits until the NIC is `available`; `syncing_error` ends the wait with
    /// [`Error::FailedState`].
    pub async fn wait(&self, server_id: &str, nic_id: &str) -> Result<PrivateNic> {
        self.poll(
            server_id,
            nic_id,
            "to be available",
            &self.scw.options().wait,
            available,
        )
        .await
    }

    /// Waits until the NIC has its MAC address.
    pub async fn wait_mac_address(&self, server_id: &str, nic_id: &str) -> Result<PrivateNic> {
        self.poll(
            server_id,
            nic_id,
            "to have a MAC address",
            &self.scw.options().wait,
            |nic| match nic.mac_address.as_deref() {
                Some(mac) if !mac.is_empty() => Status::Reached,
                _ if nic.state == PrivateNicState::SyncingError => Status::Failed,
                _ => Status::Pending,
            },
        )
        .await
    }

    /// Removes a NIC; Ok if it is already gone.
    pub async fn delete(&self, server_id: &str, nic_id: &str) -> Result<()> {
        check_id("server id", server_id)?;
        check_id("private NIC id", nic_id)?;
        ignore_missing(
            self.scw
                .apis()
                .instance
                .delete_private_nic()
                .zone(&self.zone)
                .server_id(server_id)
                .private_nic_id(nic_id)
                .send()
                .await,
        )
    }
}
