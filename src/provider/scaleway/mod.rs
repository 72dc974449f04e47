//! The Scaleway implementation of [`Provider`]: a mapping onto the Scaleway layer
//! ([`crate::resources`]).
//!
//! One provider works in one zone (servers, volumes, security groups; a server or volume may
//! name another) and its region (private networks), for one project. Every operation converts
//! the neutral options to the layer's, calls it, and converts the answer back: the workflows,
//! waits and checks live in the layer, for every Rust user.

use std::time::Duration;

use async_trait::async_trait;

use super::{
    Firewall, Location, Network, Provider, ProviderError, ProviderResult, Server, ServerOptions, Size,
    Volume, VolumeOptions,
};
use crate::resources::{self, Scaleway, offers_block_storage};
use crate::wait::WaitOptions;
use crate::{Client, Region, Zone};

mod catalog;
mod errors;
mod firewalls;
mod networks;
mod servers;
mod volumes;

pub use crate::resources::{IMAGE_ALIASES, SIZE_CHOICES};

/// Choices of the Scaleway provider beyond the runtime configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalewayOptions {
    /// IPv4 subnet of new private networks. Default `None`: the API assigns a free /22 from
    /// 172.16.0.0/12, which never collides with the VPC's other networks.
    pub subnet: Option<String>,
    /// VPC of new private networks. Default `None`: the region's default VPC.
    pub vpc_id: Option<String>,
    /// IOPS of new volumes when the caller does not say: 5000 (`sbs_5k`); 15000 is the other choice.
    pub volume_iops: u32,
    /// Root volume of new servers: `true` for a Block Storage (sbs) root, `false` for a local one
    /// (required in a zone without Block Storage, such as it-mil-1).
    pub block_root_volume: bool,
    /// How long and how often to poll while waiting for a state.
    pub wait: WaitOptions,
    /// Delay between polls of [`Provider::wait_for_server`], whose limit is a number of polls.
    pub server_poll_interval: Duration,
    /// How long a server create whose outcome is unknown (timeout, connection lost, 5xx) is
    /// given to show up before it is sent again. Default 5 s.
    pub create_lookup_delay: Duration,
}

impl Default for ScalewayOptions {
    fn default() -> Self {
        let layer = resources::Options::default();
        ScalewayOptions {
            subnet: None,
            vpc_id: None,
            volume_iops: 5000,
            block_root_volume: true,
            wait: layer.wait,
            server_poll_interval: Duration::from_secs(5),
            create_lookup_delay: layer.create_lookup_delay,
        }
    }
}

/// The [`Provider`] for Scaleway.
pub struct ScalewayProvider {
    scw: Scaleway,
    zone: Zone,
    region: Region,
    options: ScalewayOptions,
}

impl std::fmt::Debug for ScalewayProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScalewayProvider")
            .field("zone", &self.zone)
            .field("project_id", &self.scw.client().config().project_id())
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl ScalewayProvider {
    /// A provider for the client's zone and project. The project id is required: every resource
    /// is created in it and every listing is scoped to it. Servers boot from a Block Storage
    /// root volume, or from a local one in a zone without Block Storage (it-mil-1).
    pub fn new(client: Client) -> ProviderResult<ScalewayProvider> {
        let options = ScalewayOptions {
            block_root_volume: offers_block_storage(client.config().zone()),
            ..ScalewayOptions::default()
        };
        ScalewayProvider::with_options(client, options)
    }

    /// A provider with options.
    pub fn with_options(client: Client, options: ScalewayOptions) -> ProviderResult<ScalewayProvider> {
        if client.config().project_id().is_none() {
            return Err(ProviderError::invalid(
                "project id",
                "none configured: set SCW_DEFAULT_PROJECT_ID (or SCALEWAY_PROJECT_ID, or scaleway_project_id)",
            ));
        }
        if !resources::BLOCK_IOPS.contains(&options.volume_iops) {
            return Err(ProviderError::invalid("volume IOPS", "must be 5000 or 15000"));
        }
        if let Some(vpc) = &options.vpc_id {
            check_id("VPC id", vpc)?;
        }
        let zone = client.config().zone().clone();
        if options.block_root_volume && !offers_block_storage(&zone) {
            return Err(ProviderError::invalid(
                "zone",
                format!(
                    "{zone} offers no Block Storage: set block_root_volume to false for a local root volume"
                ),
            ));
        }
        let layer = resources::Options {
            wait: options.wait.clone(),
            create_lookup_delay: options.create_lookup_delay,
        };
        Ok(ScalewayProvider {
            region: zone.region(),
            zone,
            scw: Scaleway::with_options(client, layer),
            options,
        })
    }

    /// The runtime client, for calls the provider does not cover.
    pub fn client(&self) -> &Client {
        self.scw.client()
    }

    /// The Scaleway layer the provider maps onto, for what the neutral options cannot say.
    pub fn scaleway(&self) -> &Scaleway {
        &self.scw
    }

    /// The zone the provider works in.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// Block Storage is not offered in every zone: volume operations there fail before any
    /// request.
    fn check_block_storage(&self) -> ProviderResult<()> {
        if offers_block_storage(&self.zone) {
            Ok(())
        } else {
            Err(ProviderError::invalid(
                "zone",
                format!("{} offers no Block Storage volumes", self.zone),
            ))
        }
    }
}

/// Scaleway ids are UUIDs; anything else (a name, a path with `/`) is refused before any request.
fn check_id(field: &'static str, id: &str) -> ProviderResult<()> {
    Ok(resources::check_id(field, id)?)
}

#[async_trait]
impl Provider for ScalewayProvider {
    fn name(&self) -> &str {
        "scaleway"
    }

    async fn find_or_create_network(&self, name: &str) -> ProviderResult<Network> {
        networks::find_or_create(self, name).await
    }

    async fn get_network_by_name(&self, name: &str) -> ProviderResult<Network> {
        networks::find(self, name)
            .await?
            .ok_or_else(|| ProviderError::NotFound {
                kind: "network",
                name: name.into(),
            })
    }

    async fn delete_network(&self, id: &str) -> ProviderResult<()> {
        networks::delete(self, id).await
    }

    async fn find_or_create_firewall(&self, name: &str) -> ProviderResult<Firewall> {
        firewalls::find_or_create(self, name).await
    }

    async fn get_firewall_by_name(&self, name: &str) -> ProviderResult<Firewall> {
        firewalls::find(self, name)
            .await?
            .ok_or_else(|| ProviderError::NotFound {
                kind: "firewall",
                name: name.into(),
            })
    }

    async fn delete_firewall(&self, id: &str) -> ProviderResult<()> {
        firewalls::delete(self, id).await
    }

    async fn find_server(&self, name: &str) -> ProviderResult<Option<Server>> {
        servers::find(self, name).await
    }

    async fn get_server(&self, id: &str) -> ProviderResult<Option<Server>> {
        servers::get(self, id).await
    }

    async fn list_servers(&self) -> ProviderResult<Vec<Server>> {
        servers::list(self, None).await
    }

    async fn list_servers_by_tag(&self, tag: &str) -> ProviderResult<Vec<Server>> {
        servers::list(self, Some(tag)).await
    }

    async fn create_server(&self, options: &ServerOptions) -> ProviderResult<Server> {
        servers::create(self, options).await
    }

    async fn wait_for_server(&self, id: &str, max_attempts: u32) -> ProviderResult<Server> {
        servers::wait_running(self, id, max_attempts).await
    }

    async fn power_on(&self, id: &str) -> ProviderResult<()> {
        self.scw.servers().zone(self.zone.clone()).power_on(id).await?;
        Ok(())
    }

    async fn power_off(&self, id: &str) -> ProviderResult<()> {
        self.scw.servers().zone(self.zone.clone()).power_off(id).await?;
        Ok(())
    }

    async fn delete_server(&self, id: &str) -> ProviderResult<()> {
        Ok(self
            .scw
            .servers()
            .zone(self.zone.clone())
            .delete(id, resources::VolumePolicy::KeepAttached)
            .await?)
    }

    async fn create_volume(&self, options: &VolumeOptions) -> ProviderResult<Volume> {
        self.check_block_storage()?;
        volumes::create(self, options).await
    }

    async fn get_volume(&self, id: &str) -> ProviderResult<Option<Volume>> {
        self.check_block_storage()?;
        volumes::get(self, id).await
    }

    async fn get_volume_by_name(&self, name: &str) -> ProviderResult<Option<Volume>> {
        self.check_block_storage()?;
        volumes::find(self, name).await
    }

    async fn delete_volume(&self, id: &str) -> ProviderResult<()> {
        self.check_block_storage()?;
        Ok(self.scw.volumes().zone(self.zone.clone()).delete(id).await?)
    }

    async fn attach_volume(&self, volume_id: &str, server_id: &str) -> ProviderResult<()> {
        self.check_block_storage()?;
        self.scw
            .volumes()
            .zone(self.zone.clone())
            .attach(volume_id, server_id)
            .await?;
        Ok(())
    }

    async fn detach_volume(&self, volume_id: &str) -> ProviderResult<()> {
        self.check_block_storage()?;
        self.scw
            .volumes()
            .zone(self.zone.clone())
            .detach(volume_id)
            .await?;
        Ok(())
    }

    async fn validate_instance_type(&self, instance_type: &str) -> ProviderResult<()> {
        self.scw
            .catalog()
            .zone(self.zone.clone())
            .server_type(instance_type)
            .await?;
        Ok(())
    }

    async fn validate_region(&self, region: &str) -> ProviderResult<()> {
        region
            .parse::<Zone>()
            .map(|_| ())
            .map_err(|e| ProviderError::invalid("zone", e))
    }

    async fn validate_credentials(&self) -> ProviderResult<()> {
        catalog::validate_credentials(self).await
    }

    async fn sizes(&self) -> ProviderResult<Vec<Size>> {
        catalog::sizes(self).await
    }

    async fn locations(&self) -> ProviderResult<Vec<Location>> {
        Ok(catalog::locations())
    }
}
