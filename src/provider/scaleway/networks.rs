//! Private networks (VPC v2, regional) and the private NICs that attach servers to them.

use super::{ScalewayProvider, check_id, check_name, found};
use crate::Zone;
use crate::api::vpc_v2::types::PrivateNetwork;
use crate::paginate::{Page, collect_all};
use crate::provider::{Network, ProviderError, ProviderResult};
use crate::wait::{Status, wait_for};

fn to_network(network: &PrivateNetwork) -> Network {
    // The first IPv4 subnet; the API also adds an IPv6 /64.
    let ip_range = network
        .subnets
        .iter()
        .filter_map(|s| s.subnet.clone())
        .find(|cidr| !cidr.contains(':'))
        .or_else(|| network.subnets.iter().find_map(|s| s.subnet.clone()));
    Network {
        id: network.id.clone().unwrap_or_default(),
        name: network.name.clone().unwrap_or_default(),
        ip_range,
    }
}

/// The project's private network named exactly `name` in the region. The API's `name` filter
/// matches substrings, so every page of candidates is compared.
pub(super) async fn find_raw(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<PrivateNetwork>> {
    let vpc = p.client.vpc();
    let candidates = collect_all(100, |request| {
        let vpc = vpc.clone();
        async move {
            let answer = vpc
                .list_private_networks()
                .region(&p.region)
                .project_id(p.project_id.as_str())
                .name(name)
                .page(request.page as i32)
                .page_size(request.size)
                .send()
                .await?
                .into_inner();
            Ok(Page::new(
                answer.private_networks,
                answer.total_count.map(u64::from),
            ))
        }
    })
    .await?;
    Ok(candidates.into_iter().find(|n| n.name.as_deref() == Some(name)))
}

pub(super) async fn find(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<Network>> {
    Ok(find_raw(p, name).await?.as_ref().map(to_network))
}

pub(super) async fn find_or_create(p: &ScalewayProvider, name: &str) -> ProviderResult<Network> {
    check_name("network name", name)?;
    let lock = p.create_lock("network", p.region.as_str(), name);
    let _one_at_a_time = lock.lock().await;
    if let Some(existing) = find_raw(p, name).await? {
        return Ok(to_network(&existing));
    }
    let created = p
        .client
        .vpc()
        .create_private_network()
        .region(&p.region)
        .body_map(|b| {
            let b = b.name(name.to_string()).project_id(p.project_id.clone());
            let b = match &p.options.vpc_id {
                Some(vpc) => b.vpc_id(vpc.clone()),
                None => b,
            };
            match &p.options.subnet {
                Some(subnet) => b.subnets(vec![subnet.clone()]),
                None => b,
            }
        })
        .send()
        .await;
    match created {
        Ok(network) => Ok(to_network(&network)),
        // An ambiguous failure may have created it: look before reporting.
        Err(e) => {
            let e = crate::Error::from(e);
            if e.may_have_been_applied()
                && let Some(network) = find_raw(p, name).await?
            {
                return Ok(to_network(&network));
            }
            Err(e.into())
        }
    }
}

pub(super) async fn delete(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    check_id("network id", id)?;
    let vpc = p.client.vpc();
    if found(
        vpc.get_private_network()
            .region(&p.region)
            .private_network_id(id)
            .send()
            .await,
    )?
    .is_none()
    {
        return Ok(());
    }
    let removed = detach_servers(p, id).await?;
    let delete = || async {
        match vpc
            .delete_private_network()
            .region(&p.region)
            .private_network_id(id)
            .send()
            .await
        {
            Ok(_) => Ok(None),
            Err(e) => match crate::Error::from(e) {
                crate::Error::Precondition { help, message, .. } => {
                    Ok(Some(if help.is_empty() { message } else { help }))
                }
                other if other.is_not_found() => Ok(None),
                other => Err(other),
            },
        }
    };
    let in_use = if removed == 0 {
        delete().await?
    } else {
        // The network lets go of NICs just removed a moment after their DELETE answered: while
        // it still counts them, the refusal is about them, so the delete is tried again.
        let outcome = wait_for(
            &p.options.wait,
            delete,
            |refusal: &Option<String>| match refusal {
                None => Status::Reached,
                Some(_) => Status::Pending,
            },
        )
        .await?;
        outcome.state().clone()
    };
    match in_use {
        None => Ok(()),
        Some(reason) => Err(ProviderError::InUse {
            kind: "network",
            id: id.to_string(),
            users: vec![reason],
        }),
    }
}

/// Removes every private NIC of the project's servers that connects to the network. A private
/// network is regional: servers of every zone of the region may be attached to it, so each zone
/// is looked at, the provider's own first.
/// Returns how many NICs it removed.
async fn detach_servers(p: &ScalewayProvider, network_id: &str) -> ProviderResult<usize> {
    let mut zones = vec![p.zone.clone()];
    zones.extend(p.region.zones().into_iter().filter(|z| *z != p.zone));
    let mut removed = 0;
    for zone in &zones {
        removed += detach_servers_in(p, zone, network_id).await?;
    }
    Ok(removed)
}

async fn detach_servers_in(p: &ScalewayProvider, zone: &Zone, network_id: &str) -> ProviderResult<usize> {
    let instance = p.client.instance();
    let servers = collect_all(100, |request| {
        let instance = instance.clone();
        async move {
            let answer = instance
                .list_servers()
                .zone(zone)
                .project(p.project_id.as_str())
                .private_network(network_id)
                .page(request.page as i32)
                .per_page(request.size)
                .send()
                .await?;
            Ok(Page::from_instance(answer, |body| body.servers))
        }
    })
    .await?;
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
            super::servers::remove_nic(p, zone, server_id, nic_id).await?;
            removed += 1;
        }
    }
    Ok(removed)
}
