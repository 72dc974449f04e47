//! Servers: neutral options to a [`ServerSpec`], Scaleway servers to neutral ones with their
//! private addresses.

use std::time::Duration;

use futures_util::TryStreamExt;

use super::ScalewayProvider;
use crate::api::instance_v1::types::{Server as ApiServer, ServerState};
use crate::provider::{ProviderError, ProviderResult, Server, ServerOptions, ServerStatus, VolumeTier};
use crate::resources::{CREATE_TOKEN_TAG, RootKind, RootVolume, ServerFilter, ServerSpec, ServerTarget};
use crate::wait::WaitOptions;
use crate::{ByteSize, Zone};

/// The neutral view of a server, with its private addresses when known.
fn to_server(p: &ScalewayProvider, server: &ApiServer, private: Option<(String, Option<String>)>) -> Server {
    let detail = server.state_detail.as_deref().unwrap_or_default();
    let status = match server.state {
        ServerState::Running => ServerStatus::Running,
        ServerState::Starting => ServerStatus::Starting,
        ServerState::Stopping if detail == "terminating" => ServerStatus::Deleting,
        ServerState::Stopping => ServerStatus::Stopping,
        ServerState::Stopped | ServerState::StoppedInPlace => ServerStatus::Stopped,
        ServerState::Locked => ServerStatus::Locked,
    };
    let public_ipv4 = server
        .public_ips
        .iter()
        .find(|ip| ip.family.to_string() == "inet")
        .and_then(|ip| ip.address.clone())
        .or_else(|| {
            server
                .public_ip
                .as_ref()
                .and_then(|ip| ip.address.clone())
                .filter(|a| !a.contains(':'))
        });
    let (ipam_v4, ipam_v6) = match private {
        Some((v4, v6)) => (Some(v4), v6),
        None => (None, None),
    };
    Server {
        id: server.id.clone().unwrap_or_default(),
        name: server.name.clone().unwrap_or_default(),
        status,
        provider_status: server.state.to_string(),
        public_ipv4,
        private_ipv4: ipam_v4.or_else(|| server.private_ip.clone()),
        private_ipv6: ipam_v6,
        tags: server
            .tags
            .iter()
            .filter(|t| !t.starts_with(CREATE_TOKEN_TAG))
            .cloned()
            .collect(),
        zone: server.zone.clone().unwrap_or_else(|| p.zone.to_string()),
    }
}

/// Neutral servers, their private addresses read with one IPAM listing for all of them.
async fn to_servers(p: &ScalewayProvider, servers: &[ApiServer]) -> ProviderResult<Vec<Server>> {
    let addresses = p.scw.ipam().region(p.region.clone()).of_servers(servers).await?;
    Ok(servers
        .iter()
        .map(|s| {
            let first =
                s.id.as_deref()
                    .and_then(|id| addresses.get(id))
                    .and_then(|nics| nics.iter().find(|a| a.ipv4.is_some()))
                    .map(|a| (a.ipv4.clone().unwrap_or_default(), a.ipv6.clone()));
            to_server(p, s, first)
        })
        .collect())
}

async fn to_one(p: &ScalewayProvider, server: &ApiServer) -> ProviderResult<Server> {
    // A server without private NICs has no IPAM address to read: its neutral view is ready at
    // once, with no listing, map or id copies on the way.
    if server.private_nics.is_empty() {
        return Ok(to_server(p, server, None));
    }
    // Boxed: the listing's future is large, and carried inline it would make every caller's
    // future as large, NICs or not, to be moved and allocated on each call.
    let mut all = Box::pin(to_servers(p, std::slice::from_ref(server))).await?;
    Ok(all.remove(0))
}

pub(super) async fn get(p: &ScalewayProvider, id: &str) -> ProviderResult<Option<Server>> {
    // The read's future ends with this statement: a `match` on it would keep it beside the
    // conversion's, in a future twice as large, allocated and moved on every call.
    let Some(server) = p.scw.servers().zone(p.zone.clone()).get(id).await? else {
        return Ok(None);
    };
    Ok(Some(to_one(p, &server).await?))
}

pub(super) async fn find(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<Server>> {
    match p.scw.servers().zone(p.zone.clone()).find_by_name(name).await? {
        Some(server) => Ok(Some(to_one(p, &server).await?)),
        None => Ok(None),
    }
}

pub(super) async fn list(p: &ScalewayProvider, tag: Option<&str>) -> ProviderResult<Vec<Server>> {
    let servers = p.scw.servers().zone(p.zone.clone());
    let raw: Vec<ApiServer> = match tag {
        Some(tag) => servers.list_by_tag(tag).await?,
        None => servers.list(&ServerFilter::default()).try_collect().await?,
    };
    to_servers(p, &raw).await
}

fn iops(tier: VolumeTier) -> u32 {
    match tier {
        VolumeTier::Standard => 5000,
        VolumeTier::Performance => 15000,
    }
}

/// The layer's spec for neutral options, and the zone to create in.
fn spec(p: &ScalewayProvider, options: &ServerOptions) -> ProviderResult<(ServerSpec, Zone)> {
    let zone = match &options.location {
        Some(location) => location
            .parse::<Zone>()
            .map_err(|e| ProviderError::invalid("location", e))?,
        None => p.zone.clone(),
    };
    let block = p.options.block_root_volume && crate::resources::offers_block_storage(&zone);
    let kind = if block { RootKind::Block } else { RootKind::Local };
    let size = options
        .root_volume_gb
        .map(|gb| ByteSize::from_gb(gb).map_err(|e| ProviderError::invalid("root volume size", e)))
        .transpose()?;
    let mut spec = ServerSpec::new(&options.name, &options.instance_type, &options.image);
    if size.is_some() || options.root_volume_tier.is_some() || !block {
        spec = spec.root_volume(RootVolume {
            kind,
            size,
            iops: options.root_volume_tier.map(iops),
        });
    }
    spec.cloud_init = options.user_data.clone();
    spec.private_networks = options.network_id.iter().cloned().collect();
    spec.security_group = options.firewall_id.clone();
    spec.tags = options.tags.clone();
    Ok((spec, zone))
}

pub(super) async fn create(p: &ScalewayProvider, options: &ServerOptions) -> ProviderResult<Server> {
    let (spec, zone) = spec(p, options)?;
    let server = p.scw.servers().zone(zone).create(&spec).await?;
    to_one(p, &server).await
}

pub(super) async fn wait_running(
    p: &ScalewayProvider,
    id: &str,
    max_attempts: u32,
) -> ProviderResult<Server> {
    let interval = p.options.server_poll_interval;
    let options = WaitOptions::default()
        .max_polls(max_attempts.max(1))
        .first_interval(interval)
        .max_interval(interval)
        .factor(1.0)
        .timeout(interval.saturating_mul(max_attempts.max(1)) + Duration::from_secs(1));
    match p
        .scw
        .servers()
        .zone(p.zone.clone())
        .wait_with(id, ServerTarget::Running, &options)
        .await?
    {
        Some(server) => to_one(p, &server).await,
        None => Err(ProviderError::NotFound {
            kind: "server",
            name: id.into(),
        }),
    }
}
