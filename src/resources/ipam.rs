//! Private addresses from IPAM.
//!
//! Since VPC v2, a server's `private_ip` stays empty: each private NIC gets an IPv4 and an IPv6
//! from its network's subnets, kept by the IPAM API as IPs whose resource is the NIC
//! (`resource_type=instance_private_nic`, `resource_id=<nic id>`). One listing filtered by the
//! NICs' ids gives the addresses of many servers at once.

use std::collections::HashMap;

use futures_util::{Stream, StreamExt, TryStreamExt, stream};

use super::{listing_or_error, regional_handler};
use crate::Result;
use crate::api::instance_v1::types::Server;
use crate::api::ipam_v1::types::{Ip, ListIpsResourceType};

/// The most NIC ids one listing filters on: keeps the query string of one request short.
const MAX_IDS_PER_LISTING: usize = 50;

/// The private addresses of one NIC.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PrivateAddresses {
    /// The NIC.
    pub nic_id: String,
    /// Its MAC address, as IPAM records it.
    pub mac_address: Option<String>,
    /// Its IPv4 address, without the prefix length (`172.16.4.2`).
    pub ipv4: Option<String>,
    /// Its IPv6 address, without the prefix length.
    pub ipv6: Option<String>,
}

regional_handler!(
    /// IPAM of a region. From [`Scaleway::ipam`](super::Scaleway::ipam).
    Ipam
);

/// `172.16.4.2/22` → `172.16.4.2`.
fn without_prefix(address: &str) -> String {
    address.split('/').next().unwrap_or(address).to_string()
}

impl Ipam<'_> {
    /// The IPs held by these NICs, lazily: one listing, filtered by the NICs' ids when they are
    /// few, otherwise every private NIC address of the project in the region (a query string of
    /// hundreds of ids is more than servers accept); no request when `nic_ids` is empty.
    pub fn ips_of_nics<'s>(&'s self, nic_ids: &'s [String]) -> impl Stream<Item = Result<Ip>> + 's {
        if nic_ids.is_empty() {
            return stream::empty().left_stream();
        }
        let call = self
            .scw
            .apis()
            .ipam
            .list_ips()
            .region(&self.region)
            .resource_type(ListIpsResourceType::InstancePrivateNic);
        let call = if nic_ids.len() <= MAX_IDS_PER_LISTING {
            Ok(call.resource_ids(nic_ids.to_vec()))
        } else {
            self.scw.project_id().map(|project| call.project_id(project))
        };
        listing_or_error(call.map(|call| call.stream())).right_stream()
    }

    /// The private addresses of these NICs, by NIC id: one listing.
    pub async fn of_nics(&self, nic_ids: &[String]) -> Result<HashMap<String, PrivateAddresses>> {
        let wanted: std::collections::HashSet<&str> = nic_ids.iter().map(String::as_str).collect();
        let mut by_nic: HashMap<String, PrivateAddresses> = HashMap::new();
        let ips: Vec<Ip> = self.ips_of_nics(nic_ids).try_collect().await?;
        for ip in ips {
            let Some(resource) = ip.resource else { continue };
            let Some(nic_id) = resource.id.filter(|id| wanted.contains(id.as_str())) else {
                continue;
            };
            let entry = by_nic.entry(nic_id.clone()).or_insert_with(|| PrivateAddresses {
                nic_id,
                ..PrivateAddresses::default()
            });
            if entry.mac_address.is_none() {
                entry.mac_address = resource.mac_address;
            }
            let Some(address) = ip.address.as_deref() else {
                continue;
            };
            match ip.is_ipv6 {
                Some(true) => entry.ipv6 = Some(without_prefix(address)),
                _ => entry.ipv4 = Some(without_prefix(address)),
            }
        }
        Ok(by_nic)
    }

    /// Waits until every NIC of these servers has its IPv4 in IPAM, and returns the addresses as
    /// [`Ipam::of_servers`] does.
    pub async fn wait_for_servers(
        &self,
        servers: &[Server],
    ) -> Result<HashMap<String, Vec<PrivateAddresses>>> {
        let nics: usize = servers.iter().map(|s| s.private_nics.len()).sum();
        let outcome = crate::wait::wait_for(
            &self.scw.options().wait,
            || self.of_servers(servers),
            |found: &HashMap<String, Vec<PrivateAddresses>>| {
                let known = found.values().flatten().filter(|a| a.ipv4.is_some()).count();
                if known >= nics {
                    crate::wait::Status::Reached
                } else {
                    crate::wait::Status::Pending
                }
            },
        )
        .await?;
        let describe = |found: &HashMap<String, Vec<PrivateAddresses>>| {
            let known = found.values().flatten().filter(|a| a.ipv4.is_some()).count();
            format!("{known} of {nics} NICs with an IPv4")
        };
        super::reached(outcome, "the private addresses of the servers' NICs", describe)
    }

    /// The private addresses of each server's NICs, in the order of its NICs, by server id:
    /// one IPAM listing for all of them (none when no server has a NIC).
    pub async fn of_servers(&self, servers: &[Server]) -> Result<HashMap<String, Vec<PrivateAddresses>>> {
        let nic_ids: Vec<String> = servers
            .iter()
            .flat_map(|s| s.private_nics.iter().filter_map(|n| n.id.clone()))
            .collect();
        let mut by_nic = self.of_nics(&nic_ids).await?;
        Ok(servers
            .iter()
            .filter_map(|s| {
                let addresses = s
                    .private_nics
                    .iter()
                    .filter_map(|n| by_nic.remove(n.id.as_deref()?))
                    .collect();
                Some((s.id.clone()?, addresses))
            })
            .collect())
    }
}
