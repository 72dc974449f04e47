//! Networks as VPC private networks (regional).

use super::ScalewayProvider;
use crate::api::vpc_v2::types::PrivateNetwork;
use crate::provider::{Network, ProviderResult};
use crate::resources::NetworkSpec;

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

pub(super) async fn find(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<Network>> {
    let networks = p.scw.private_networks().region(p.region.clone());
    Ok(networks.find_by_name(name).await?.as_ref().map(to_network))
}

pub(super) async fn find_or_create(p: &ScalewayProvider, name: &str) -> ProviderResult<Network> {
    let spec = NetworkSpec {
        subnet: p.options.subnet.clone(),
        vpc_id: p.options.vpc_id.clone(),
        tags: Vec::new(),
    };
    let networks = p.scw.private_networks().region(p.region.clone());
    Ok(to_network(&networks.find_or_create(name, &spec).await?))
}

pub(super) async fn delete(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    Ok(p.scw
        .private_networks()
        .region(p.region.clone())
        .delete(id)
        .await?)
}
