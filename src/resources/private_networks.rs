//! VPC private networks (regional), and their deletion with the NICs that still use them.

use futures_util::{Stream, TryStreamExt};

use super::{
    check_id, check_name, create_once, find_by_exact_name, listing_or_error, named_lock, optional,
    regional_handler,
};
use crate::api::vpc_v2::types::PrivateNetwork;
use crate::wait::{Status, wait_for};
use crate::{Error, Result, Zone};

/// What to create a private network with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkSpec {
    /// IPv4 subnet, e.g. `10.0.0.0/24`. `None`: the API assigns a free /22 from 172.16.0.0/12,
    /// which never collides with the VPC's other networks.
    pub subnet: Option<String>,
    /// VPC. `None`: the region's default VPC.
    pub vpc_id: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

regional_handler!(
    /// Private networks of a region. From [`Scaleway::private_networks`](super::Scaleway::private_networks).
    PrivateNetworks
);

impl PrivateNetworks<'_> {
    /// The network, `None` if it does not exist.
    pub async fn get(&self, network_id: &str) -> Result<Option<PrivateNetwork>> {
        check_id("private network id", network_id)?;
        Ok(optional(
            self.scw
                .apis()
                .vpc
                .get_private_network()
                .region(&self.region)
                .private_network_id(network_id)
                .send()
                .await,
        )?
        .map(|a| a.into_inner()))
    }

    /// The project's networks, filtered by name (a substring, as the API matches), lazily.
    pub fn list<'s>(&'s self, name: Option<&'s str>) -> impl Stream<Item = Result<PrivateNetwork>> + 's {
        listing_or_error(self.scw.project_id().map(|project| {
            let mut call = self
                .scw
                .apis()
                .vpc
                .list_private_networks()
                .region(&self.region)
                .project_id(project);
            if let Some(name) = name {
                call = call.name(name);
            }
            call.stream()
        }))
    }

    /// The project's network named exactly `name`, if any.
    pub async fn find_by_name(&self, name: &str) -> Result<Option<PrivateNetwork>> {
        check_name("network name", name)?;
        find_by_exact_name(self.list(Some(name)), name, |n| n.name.as_deref()).await
    }

    /// The network named `name`, created with `spec` if there is none. Concurrent calls for one
    /// name in the process create one network; a create whose answer is lost is looked up by
    /// name before it is reported.
    pub async fn find_or_create(&self, name: &str, spec: &NetworkSpec) -> Result<PrivateNetwork> {
        check_name("network name", name)?;
        if let Some(vpc) = &spec.vpc_id {
            check_id("VPC id", vpc)?;
        }
        let project = self.scw.project_id()?;
        let lock = named_lock("private network", self.region.as_str(), project, name);
        let _one_at_a_time = lock.lock().await;
        if let Some(existing) = self.find_by_name(name).await? {
            return Ok(existing);
        }
        let vpc = &self.scw.apis().vpc;
        let post = || async {
            let answer = vpc
                .create_private_network()
                .region(&self.region)
                .body_map(|b| {
                    let b = b.name(name.to_string()).project_id(project.to_string());
                    let b = if spec.tags.is_empty() {
                        b
                    } else {
                        b.tags(spec.tags.clone())
                    };
                    let b = match &spec.vpc_id {
                        Some(vpc) => b.vpc_id(vpc.clone()),
                        None => b,
                    };
                    match &spec.subnet {
                        Some(subnet) => b.subnets(vec![subnet.clone()]),
                        None => b,
                    }
                })
                .send()
                .await?;
            Ok(answer.into_inner())
        };
        // Nothing had this name a moment ago, under the lock: one found now is the one sent.
        let lookup = || self.find_by_name(name);
        create_once(&self.scw.options().wait, "private network", post, lookup).await
    }

    /// Deletes a network, removing the NICs of the project's servers on it in every zone of the
    /// region (a private network is regional) if it has any; Ok if it is already gone, so a
    /// DELETE whose answer was lost and is sent again ends well; [`Error::InUse`] if something
    /// else still uses it.
    ///
    /// The DELETE is sent first: the API refuses to delete a network that still has members
    /// (412 `resource_still_in_use`), so an empty network, the common case, costs one call, where
    /// looking for NICs first costs a read of the network and a server listing per zone. Only
    /// that refusal sends the search for NICs, their removal and the DELETE again.
    pub async fn delete(&self, network_id: &str) -> Result<()> {
        check_id("private network id", network_id)?;
        let vpc = &self.scw.apis().vpc;
        let delete = || async {
            match vpc
                .delete_private_network()
                .region(&self.region)
                .private_network_id(network_id)
                .send()
                .await
            {
                Ok(_) => Ok(None),
                Err(e) => match Error::from(e) {
                    Error::Precondition { help, message, .. } => {
                        Ok(Some(if help.is_empty() { message } else { help }))
                    }
                    other if other.is_not_found() => Ok(None),
                    other => Err(other),
                },
            }
        };
        if delete().await?.is_none() {
            return Ok(());
        }
        let removed = self.remove_nics(network_id).await?;
        let refusal = if removed == 0 {
            delete().await?
        } else {
            // The network lets go of NICs just removed a moment after their DELETE answered:
            // while it still counts them, the refusal is about them, so the delete is tried again.
            let outcome = wait_for(
                &self.scw.wait_after_action(),
                delete,
                |refusal: &Option<String>| match refusal {
                    None => Status::Reached,
                    Some(_) => Status::Pending,
                },
            )
            .await?;
            outcome.state().clone()
        };
        match refusal {
            None => Ok(()),
            Some(reason) => Err(Error::InUse {
                kind: "private network".into(),
                id: network_id.to_string(),
                users: vec![reason],
            }),
        }
    }

    /// Removes every NIC of the project's servers on the network, in each zone of the region.
    /// Returns how many it removed.
    async fn remove_nics(&self, network_id: &str) -> Result<usize> {
        let mut removed = 0;
        for zone in self.region.zones() {
            removed += self.remove_nics_in(&zone, network_id).await?;
        }
        Ok(removed)
    }

    async fn remove_nics_in(&self, zone: &Zone, network_id: &str) -> Result<usize> {
        let project = self.scw.project_id()?;
        let servers: Vec<_> = self
            .scw
            .apis()
            .instance
            .list_servers()
            .zone(zone)
            .project(project)
            .private_network(network_id)
            .stream()
            .try_collect()
            .await?;
        let nics = self.scw.private_nics().zone(zone.clone());
        let mut removed = 0;
        for server in servers {
            let Some(server_id) = server.id.as_deref() else {
                continue;
            };
            for nic in server
                .private_nics
                .iter()
                .filter(|n| n.private_network_id.as_deref() == Some(network_id))
            {
                let Some(nic_id) = nic.id.as_deref() else { continue };
                tracing::info!(
                    server_id,
                    nic_id,
                    network_id,
                    "removing private NIC before deleting its network"
                );
                nics.delete(server_id, nic_id).await?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}
