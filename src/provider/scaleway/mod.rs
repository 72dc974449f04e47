//! The Scaleway implementation of [`Provider`].
//!
//! One provider works in one zone (servers, volumes, security groups) and its region (private
//! networks), for one project. Each operation is a workflow over the generated clients; the
//! ones the API makes multi-step (create a server, delete it without leaking billed volumes,
//! attach a volume) are in their own modules and undo what they created when a step fails.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;

use super::{
    Firewall, Location, Network, Provider, ProviderError, ProviderResult, Server, ServerOptions, Size,
    Volume, VolumeOptions,
};
use crate::wait::{Outcome, WaitOptions};
use crate::{Client, Region, Zone};

mod catalog;
mod firewalls;
mod networks;
mod servers;
mod volumes;

pub use catalog::{IMAGE_ALIASES, SIZE_CHOICES};

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
        ScalewayOptions {
            subnet: None,
            vpc_id: None,
            volume_iops: 5000,
            block_root_volume: true,
            wait: WaitOptions::default(),
            server_poll_interval: Duration::from_secs(5),
            create_lookup_delay: Duration::from_secs(5),
        }
    }
}

/// The [`Provider`] for Scaleway.
pub struct ScalewayProvider {
    client: Client,
    zone: Zone,
    region: Region,
    project_id: String,
    options: ScalewayOptions,
    catalog: catalog::Cache,
    /// One lock per server for volume changes: the API refuses a second change while one is in
    /// progress (`allowed_actions` is empty during an attach).
    server_locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl std::fmt::Debug for ScalewayProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScalewayProvider")
            .field("zone", &self.zone)
            .field("project_id", &self.project_id)
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
        let project_id = client.config().project_id().map(str::to_string).ok_or_else(|| {
            ProviderError::invalid(
                "project id",
                "none configured: set SCW_DEFAULT_PROJECT_ID (or SCALEWAY_PROJECT_ID, or scaleway_project_id)",
            )
        })?;
        if ![5000, 15000].contains(&options.volume_iops) {
            return Err(ProviderError::invalid("volume IOPS", "must be 5000 or 15000"));
        }
        if let Some(vpc) = &options.vpc_id {
            check_id("VPC id", vpc)?;
        }
        let zone = client.config().zone();
        if options.block_root_volume && !offers_block_storage(zone) {
            return Err(ProviderError::invalid(
                "zone",
                format!(
                    "{zone} offers no Block Storage: set block_root_volume to false for a local root volume"
                ),
            ));
        }
        Ok(ScalewayProvider {
            zone: client.config().zone().clone(),
            region: client.config().region().clone(),
            client,
            project_id,
            options,
            catalog: catalog::Cache::default(),
            server_locks: Mutex::new(HashMap::new()),
        })
    }

    /// The runtime client, for calls the provider does not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The zone the provider works in.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    fn server_lock(&self, server_id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.server_locks.lock().unwrap_or_else(|e| e.into_inner());
        locks.entry(server_id.to_string()).or_default().clone()
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

    /// The lock that serializes find-or-create of one named resource (`kind`: "network",
    /// "firewall") in this project and place, shared by every provider of the process: concurrent
    /// calls with one name create one resource even through different provider values.
    fn create_lock(&self, kind: &'static str, place: &str, name: &str) -> Arc<tokio::sync::Mutex<()>> {
        type Key = (&'static str, String, String, String);
        static LOCKS: OnceLock<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
        let mut locks = LOCKS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let key = (kind, self.project_id.clone(), place.to_string(), name.to_string());
        locks.entry(key).or_default().clone()
    }
}

/// Zones without Block Storage (Block v1): servers there boot from local volumes.
const ZONES_WITHOUT_BLOCK_STORAGE: &[&str] = &["it-mil-1"];

/// Whether the zone offers Block Storage volumes.
fn offers_block_storage(zone: &Zone) -> bool {
    !ZONES_WITHOUT_BLOCK_STORAGE.contains(&zone.as_str())
}

/// Resource names: not empty, at most 255 characters, no control characters.
pub(crate) fn check_name(field: &'static str, name: &str) -> ProviderResult<()> {
    if name.trim().is_empty() {
        return Err(ProviderError::invalid(field, "must not be empty"));
    }
    if name.chars().count() > 255 {
        return Err(ProviderError::invalid(field, "must be at most 255 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(ProviderError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Scaleway ids are UUIDs; anything else (a name, a path with `/`) is refused before it reaches
/// a URL.
pub(crate) fn check_id(field: &'static str, id: &str) -> ProviderResult<()> {
    if uuid::Uuid::try_parse(id).is_ok() && id.len() == 36 {
        Ok(())
    } else {
        Err(ProviderError::invalid(
            field,
            format!("`{}` is not a UUID", id.escape_debug()),
        ))
    }
}

/// A generated call's answer, `None` for a 404 (looking something up that may not exist).
pub(crate) fn found<T, E: serde::Serialize>(
    result: Result<T, progenitor_client::Error<E>>,
) -> ProviderResult<Option<T>> {
    Ok(absent_as_none(result)?)
}

/// A generated call's answer, `None` for a 404, or a 410 `expired` (Block answers so for a volume
/// deleted a while ago): for polls that must see a resource disappear.
pub(crate) fn absent_as_none<T, E: serde::Serialize>(
    result: Result<T, progenitor_client::Error<E>>,
) -> crate::Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) => match crate::Error::from(e) {
            e if e.is_not_found() || matches!(e, crate::Error::Expired { .. }) => Ok(None),
            e => Err(e),
        },
    }
}

/// The state a wait reached, or the error saying where it stopped instead.
pub(crate) fn reached<S>(
    outcome: Outcome<S>,
    what: String,
    describe: impl Fn(&S) -> String,
) -> ProviderResult<S> {
    match outcome {
        Outcome::Reached(state) => Ok(state),
        Outcome::Failed(state) => Err(ProviderError::FailedState {
            what,
            state: describe(&state),
        }),
        Outcome::TimedOut { last, .. } => Err(ProviderError::Timeout {
            what,
            last_state: describe(&last),
        }),
    }
}

/// `Ok(())` for a 404: deleting what is already gone succeeds.
pub(crate) fn gone<T, E: serde::Serialize>(
    result: Result<T, progenitor_client::Error<E>>,
) -> ProviderResult<()> {
    found(result).map(|_| ())
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
        check_name("network name", name)?;
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
        check_name("firewall name", name)?;
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
        check_id("server id", id)?;
        Ok(servers::get(self, id)
            .await?
            .map(|s| servers::to_server(self, &s)))
    }

    async fn list_servers(&self) -> ProviderResult<Vec<Server>> {
        servers::list(self, None).await
    }

    async fn list_servers_by_tag(&self, tag: &str) -> ProviderResult<Vec<Server>> {
        if tag.is_empty() || tag.contains(',') {
            return Err(ProviderError::invalid(
                "tag",
                "must be non-empty and contain no comma",
            ));
        }
        servers::list(self, Some(tag)).await
    }

    async fn create_server(&self, options: &ServerOptions) -> ProviderResult<Server> {
        servers::create(self, options).await
    }

    async fn wait_for_server(&self, id: &str, max_attempts: u32) -> ProviderResult<Server> {
        servers::wait_running(self, id, max_attempts).await
    }

    async fn power_on(&self, id: &str) -> ProviderResult<()> {
        servers::power_on(self, id).await
    }

    async fn power_off(&self, id: &str) -> ProviderResult<()> {
        servers::power_off(self, id).await
    }

    async fn delete_server(&self, id: &str) -> ProviderResult<()> {
        servers::delete(self, id).await
    }

    async fn create_volume(&self, options: &VolumeOptions) -> ProviderResult<Volume> {
        self.check_block_storage()?;
        volumes::create(self, options).await
    }

    async fn get_volume(&self, id: &str) -> ProviderResult<Option<Volume>> {
        self.check_block_storage()?;
        check_id("volume id", id)?;
        Ok(volumes::get(self, id)
            .await?
            .map(|v| volumes::to_volume(self, &v)))
    }

    async fn get_volume_by_name(&self, name: &str) -> ProviderResult<Option<Volume>> {
        self.check_block_storage()?;
        volumes::find(self, name).await
    }

    async fn delete_volume(&self, id: &str) -> ProviderResult<()> {
        self.check_block_storage()?;
        volumes::delete(self, id).await
    }

    async fn attach_volume(&self, volume_id: &str, server_id: &str) -> ProviderResult<()> {
        self.check_block_storage()?;
        volumes::attach(self, volume_id, server_id).await
    }

    async fn detach_volume(&self, volume_id: &str) -> ProviderResult<()> {
        self.check_block_storage()?;
        volumes::detach(self, volume_id).await
    }

    async fn validate_instance_type(&self, instance_type: &str) -> ProviderResult<()> {
        catalog::validate_instance_type(self, instance_type).await
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
