//! A cloud-agnostic provider interface and its Scaleway implementation.
//!
//! Deployment tools drive every cloud through one [`Provider`]: networks, firewalls, servers,
//! volumes, validation and a small catalogue, with neutral model types that carry no Scaleway
//! type. [`provider_for`] builds the provider a [`ProviderConfig`] names.
//!
//! ```no_run
//! # async fn example() -> Result<(), scaleway_client::provider::ProviderError> {
//! use scaleway_client::provider::{provider_for, ProviderConfig, ServerOptions};
//!
//! let provider = provider_for(&ProviderConfig::scaleway())?;
//! provider.validate_credentials().await?;
//! let network = provider.find_or_create_network("app").await?;
//! let firewall = provider.find_or_create_firewall("app").await?;
//! let server = provider
//!     .create_server(&ServerOptions {
//!         name: "web-1".into(),
//!         instance_type: "DEV1-S".into(),
//!         image: "ubuntu-24.04".into(),
//!         user_data: Some("#cloud-config\npackages: [nginx]\n".into()),
//!         network_id: Some(network.id.clone()),
//!         firewall_id: Some(firewall.id.clone()),
//!         tags: vec!["app=web".into()],
//!         ..ServerOptions::default()
//!     })
//!     .await?;
//! let server = provider.wait_for_server(&server.id, 60).await?;
//! println!("{} is {:?} at {:?}", server.name, server.status, server.public_ipv4);
//! # Ok(())
//! # }
//! ```

use std::fmt;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

pub mod contract;
pub mod scaleway;

pub use scaleway::ScalewayProvider;

/// A private network.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Network {
    /// Provider id.
    pub id: String,
    /// Name, unique per project and location.
    pub name: String,
    /// The IPv4 range in CIDR notation, when it has one.
    pub ip_range: Option<String>,
}

/// A firewall (a security group on Scaleway).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Firewall {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: String,
}

/// The lifecycle state of a server, in neutral terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerStatus {
    /// Being started.
    Starting,
    /// Running.
    Running,
    /// Being stopped.
    Stopping,
    /// Stopped (and, on Scaleway, not billed for compute when fully stopped).
    Stopped,
    /// Being deleted.
    Deleting,
    /// Locked by the provider.
    Locked,
    /// A state this version does not know.
    Unknown,
}

/// A server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Server {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Neutral state.
    pub status: ServerStatus,
    /// The provider's own state, e.g. `stopped in place`.
    pub provider_status: String,
    /// Public IPv4 address, once it has one.
    pub public_ipv4: Option<String>,
    /// Private IPv4 address on its (first) private network, once it has one. On Scaleway it
    /// comes from the IPAM API: known once the server's NIC exists.
    pub private_ipv4: Option<String>,
    /// Private IPv6 address on its (first) private network, once it has one.
    #[serde(default)]
    pub private_ipv6: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Zone (location) of the server.
    pub zone: String,
}

/// The state of a volume, in neutral terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeStatus {
    /// Being created.
    Creating,
    /// Ready and not attached.
    Available,
    /// Attached to a server.
    InUse,
    /// Being changed (resized, attached, detached).
    Updating,
    /// Being deleted.
    Deleting,
    /// In error.
    Error,
    /// A state this version does not know.
    Unknown,
}

/// A block volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Volume {
    /// Provider id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Size in GB (10^9 bytes, rounded down).
    pub size_gb: u64,
    /// Zone (location) of the volume.
    pub location: String,
    /// Neutral state.
    pub status: VolumeStatus,
    /// The server it is attached to.
    pub server_id: Option<String>,
    /// The stable device path on its server while it is attached
    /// (`/dev/disk/by-id/scsi-0SCW_sbs_volume-<id>` on Scaleway), `None` when there is none.
    pub device_path: Option<String>,
}

/// The performance class of a volume, in neutral terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VolumeTier {
    /// The provider's standard block storage (5000 IOPS on Scaleway).
    Standard,
    /// The provider's faster block storage (15000 IOPS on Scaleway).
    Performance,
}

/// What to create a server with. Fields added later default to `None`: build with
/// `..ServerOptions::default()` to stay compatible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServerOptions {
    /// Name (1 to 63 characters).
    pub name: String,
    /// Instance type, e.g. `DEV1-S`.
    pub instance_type: String,
    /// Image: an alias (`ubuntu-24.04`), a Scaleway label (`ubuntu_noble`) or an image id.
    pub image: String,
    /// Cloud-init user data.
    pub user_data: Option<String>,
    /// Private network to attach the server to, before it boots.
    pub network_id: Option<String>,
    /// Firewall to put the server in.
    pub firewall_id: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Size of the root volume in GB (10^9 bytes); `None` for the image's default.
    #[serde(default)]
    pub root_volume_gb: Option<u64>,
    /// Performance class of the root volume; `None` for the provider's default.
    #[serde(default)]
    pub root_volume_tier: Option<VolumeTier>,
    /// Location to create the server in; `None` for the provider's.
    #[serde(default)]
    pub location: Option<String>,
}

/// What to create a volume with. Fields added later default to `None`: build with
/// `..VolumeOptions::default()` to stay compatible.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VolumeOptions {
    /// Name.
    pub name: String,
    /// Size in GB (10^9 bytes).
    pub size_gb: u64,
    /// Server whose zone the volume is created in (the provider's zone otherwise). The volume is
    /// not attached; use [`Provider::attach_volume`].
    pub server_id: Option<String>,
    /// Provisioned IOPS; the provider's default when `None` (5000 on Scaleway; 15000 selectable).
    /// [`VolumeOptions::tier`] says the same in neutral terms; the two must agree when both are set.
    pub iops: Option<u32>,
    /// Performance class; the provider's default when `None`.
    #[serde(default)]
    pub tier: Option<VolumeTier>,
}

/// One size of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    /// Neutral name: `small`, `medium` or `large`.
    pub name: String,
    /// The provider's instance type.
    pub instance_type: String,
    /// Virtual CPUs, when known.
    pub vcpus: Option<u32>,
    /// Memory in GB, when known.
    pub memory_gb: Option<u64>,
    /// Whether the location offers it now.
    pub available: bool,
}

/// One location of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// Location name, e.g. `fr-par-1`.
    pub name: String,
    /// The region it belongs to, e.g. `fr-par`.
    pub region: String,
    /// City.
    pub city: String,
    /// ISO country code.
    pub country: String,
}

/// Errors of the provider layer. They describe any cloud: an implementation maps its own
/// errors onto them, keeping the cloud's error as the source of [`ProviderError::Api`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// [`provider_for`] was asked for a provider it does not know.
    #[error("unknown provider: {0}")]
    UnknownProvider(String),
    /// Input rejected before any request.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// What was wrong.
        field: String,
        /// Why.
        reason: String,
    },
    /// A resource looked up does not exist.
    #[error("{kind} `{name}` not found")]
    NotFound {
        /// `network`, `firewall`, `server`, `volume`, ...
        kind: &'static str,
        /// The name or id looked up.
        name: String,
    },
    /// A resource cannot be deleted because others use it.
    #[error("{kind} {id} is still in use by {}", users.join(", "))]
    InUse {
        /// `network`, `firewall`, `volume`.
        kind: &'static str,
        /// Its id.
        id: String,
        /// What uses it (servers by name and id, or a description).
        users: Vec<String>,
    },
    /// A wait ran out.
    #[error("timed out waiting for {what}; last state: {last_state}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The last state seen.
        last_state: String,
    },
    /// A resource reached a state it will not leave by itself.
    #[error("{what} ended in state `{state}`")]
    FailedState {
        /// What was awaited.
        what: String,
        /// The state it ended in.
        state: String,
    },
    /// The cloud's API refused or failed, or could not be reached.
    #[error("{source}")]
    Api {
        /// The HTTP status of the answer, when there was one.
        status: Option<u16>,
        /// Whether the same call may succeed later.
        retryable: bool,
        /// Whether the call may have taken effect although it failed.
        may_have_been_applied: bool,
        /// The cloud's request id, for its support.
        request_id: Option<String>,
        /// The cloud's own error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The work was done, but a billed resource that was to go with it could not be deleted (a
    /// deleted server's root volume): it is still there, and still billed, until deleted by its
    /// id. Calling the same delete again does not find it: the resource it belonged to is gone.
    #[error("{kind} {id} was left behind, still billed until it is deleted by its id: {source}")]
    LeftBehind {
        /// `volume`, ...
        kind: &'static str,
        /// Its id.
        id: String,
        /// Why its delete failed.
        source: Box<ProviderError>,
    },
    /// A step failed and undoing what was created failed too.
    #[error("{original}; cleaning up also failed: {cleanup}")]
    CleanupFailed {
        /// The error that made the workflow stop.
        original: Box<ProviderError>,
        /// The error of the cleanup.
        cleanup: Box<ProviderError>,
    },
}

impl ProviderError {
    /// Whether the error says something does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            ProviderError::NotFound { .. }
                | ProviderError::Api {
                    status: Some(404),
                    ..
                }
        )
    }

    /// Whether the credentials were refused.
    pub fn is_authentication(&self) -> bool {
        matches!(
            self,
            ProviderError::Api {
                status: Some(401),
                ..
            }
        )
    }

    /// Whether the same call may succeed later.
    pub fn is_retryable(&self) -> bool {
        matches!(self, ProviderError::Api { retryable: true, .. })
    }

    /// The HTTP status of the cloud's answer, when the error came from one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ProviderError::Api { status, .. } => *status,
            _ => None,
        }
    }

    /// The cloud's request id, when the error came from an answer.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            ProviderError::Api { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// A [`ProviderError::InvalidInput`].
    pub fn invalid(field: impl Into<String>, reason: impl fmt::Display) -> ProviderError {
        ProviderError::InvalidInput {
            field: field.into(),
            reason: reason.to_string(),
        }
    }
}

/// Convenience alias.
pub type ProviderResult<T> = std::result::Result<T, ProviderError>;

/// The operations a deployment tool needs from a cloud: the union of the interfaces of the two
/// host tools (nvoi's `Providers::Base` and SAM's provider interface).
///
/// Contracts every implementation keeps: lookups by name compare names exactly and return
/// `None` (or [`ProviderError::NotFound`] for the `get_*_by_name` of networks and firewalls)
/// when nothing matches; deletes are idempotent; a failed create leaves nothing behind.
#[async_trait]
pub trait Provider: Send + Sync {
    /// The provider's name, e.g. `scaleway`.
    fn name(&self) -> &str;

    /// The network with this name, created if it does not exist.
    async fn find_or_create_network(&self, name: &str) -> ProviderResult<Network>;
    /// The network with this name; [`ProviderError::NotFound`] if there is none.
    async fn get_network_by_name(&self, name: &str) -> ProviderResult<Network>;
    /// Deletes a network, detaching what is attached to it first; Ok if it is already gone.
    async fn delete_network(&self, id: &str) -> ProviderResult<()>;

    /// The firewall with this name, created (inbound closed but SSH, outbound open) if missing.
    async fn find_or_create_firewall(&self, name: &str) -> ProviderResult<Firewall>;
    /// The firewall with this name; [`ProviderError::NotFound`] if there is none.
    async fn get_firewall_by_name(&self, name: &str) -> ProviderResult<Firewall>;
    /// Deletes a firewall; [`ProviderError::InUse`] naming the servers that still use it.
    async fn delete_firewall(&self, id: &str) -> ProviderResult<()>;

    /// The server with this exact name, if any.
    async fn find_server(&self, name: &str) -> ProviderResult<Option<Server>>;
    /// The server with this id, if it exists.
    async fn get_server(&self, id: &str) -> ProviderResult<Option<Server>>;
    /// Every server.
    async fn list_servers(&self) -> ProviderResult<Vec<Server>>;
    /// Every server carrying this tag.
    async fn list_servers_by_tag(&self, tag: &str) -> ProviderResult<Vec<Server>>;
    /// Creates a server and starts it; on failure nothing it created is left.
    async fn create_server(&self, options: &ServerOptions) -> ProviderResult<Server>;
    /// Waits until the server runs, polling at most `max_attempts` times.
    async fn wait_for_server(&self, id: &str, max_attempts: u32) -> ProviderResult<Server>;
    /// Starts a server and waits until it runs; nothing to do if it already does.
    async fn power_on(&self, id: &str) -> ProviderResult<()>;
    /// Stops a server and waits until it is stopped; nothing to do if it already is.
    async fn power_off(&self, id: &str) -> ProviderResult<()>;
    /// Deletes a server and what it owns, keeping the volumes the user attached; Ok if gone.
    async fn delete_server(&self, id: &str) -> ProviderResult<()>;

    /// Creates a volume and waits until it is available.
    async fn create_volume(&self, options: &VolumeOptions) -> ProviderResult<Volume>;
    /// The volume with this id, if it exists.
    async fn get_volume(&self, id: &str) -> ProviderResult<Option<Volume>>;
    /// The volume with this exact name, if any.
    async fn get_volume_by_name(&self, name: &str) -> ProviderResult<Option<Volume>>;
    /// Deletes a detached volume; [`ProviderError::InUse`] if attached; Ok if already gone.
    async fn delete_volume(&self, id: &str) -> ProviderResult<()>;
    /// Attaches a volume to a server and waits until it is attached.
    async fn attach_volume(&self, volume_id: &str, server_id: &str) -> ProviderResult<()>;
    /// Detaches a volume from its server and waits until it is available.
    async fn detach_volume(&self, volume_id: &str) -> ProviderResult<()>;

    /// Checks that an instance type exists in the provider's location.
    async fn validate_instance_type(&self, instance_type: &str) -> ProviderResult<()>;
    /// Checks that a location name is valid.
    async fn validate_region(&self, region: &str) -> ProviderResult<()>;
    /// Checks that the credentials are accepted.
    async fn validate_credentials(&self) -> ProviderResult<()>;

    /// The neutral sizes (`small`, `medium`, `large`) and the instance types behind them.
    async fn sizes(&self) -> ProviderResult<Vec<Size>>;
    /// The locations servers can be created in.
    async fn locations(&self) -> ProviderResult<Vec<Location>>;
}

/// Configuration a host tool keeps for its provider, with a JSON Schema for validating config
/// files ([`ProviderConfig::json_schema`]).
///
/// Scaleway fields fall back to the runtime configuration ([`crate::Config::infer`]): the
/// environment (`SCW_SECRET_KEY` or `SCALEWAY_SECRET_KEY`, ...), then the `scw` profile file.
///
/// `Debug` never shows the secret key.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    /// Which provider: `scaleway`.
    pub provider: String,
    /// Scaleway secret key (a UUID). Falls back to `SCW_SECRET_KEY` / `SCALEWAY_SECRET_KEY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaleway_secret_key: Option<String>,
    /// Scaleway project id (a UUID). Falls back to `SCW_DEFAULT_PROJECT_ID` / `SCALEWAY_PROJECT_ID`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaleway_project_id: Option<String>,
    /// Scaleway zone, default `fr-par-1`. Falls back to `SCW_DEFAULT_ZONE` / `SCALEWAY_ZONE`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaleway_zone: Option<String>,
    /// API URL override (the simulator, a proxy). Falls back to `SCW_API_URL`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scaleway_api_url: Option<String>,
}

impl std::fmt::Debug for ProviderConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProviderConfig")
            .field("provider", &self.provider)
            .field(
                "scaleway_secret_key",
                &self.scaleway_secret_key.as_ref().map(|_| "[redacted]"),
            )
            .field("scaleway_project_id", &self.scaleway_project_id)
            .field("scaleway_zone", &self.scaleway_zone)
            .field("scaleway_api_url", &self.scaleway_api_url)
            .finish()
    }
}

impl ProviderConfig {
    /// A Scaleway configuration with every value inferred.
    pub fn scaleway() -> ProviderConfig {
        ProviderConfig {
            provider: "scaleway".into(),
            ..ProviderConfig::default()
        }
    }

    /// The JSON Schema of this configuration, for validating host tools' config files.
    pub fn json_schema() -> serde_json::Value {
        serde_json::to_value(schemars::schema_for!(ProviderConfig)).unwrap_or_default()
    }

    /// The runtime configuration: the fields set here, then [`crate::Config::infer`]'s sources.
    pub fn runtime_config(&self) -> ProviderResult<crate::Config> {
        let mut builder = crate::Config::builder();
        if let Some(key) = &self.scaleway_secret_key {
            builder = builder.secret_key(key.clone());
        }
        if let Some(project) = &self.scaleway_project_id {
            builder = builder.project_id(project.clone());
        }
        if let Some(zone) = &self.scaleway_zone {
            let zone: crate::Zone = zone
                .parse()
                .map_err(|e| ProviderError::invalid("scaleway_zone", e))?;
            builder = builder.zone(zone);
        }
        if let Some(url) = &self.scaleway_api_url {
            builder = builder.api_url(url.clone());
        }
        Ok(builder.infer().map_err(crate::Error::from)?)
    }
}

/// The provider a configuration names: Scaleway for `"scaleway"`; `unknown provider: <name>`
/// for anything else.
pub fn provider_for(config: &ProviderConfig) -> ProviderResult<Box<dyn Provider>> {
    match config.provider.as_str() {
        "scaleway" => {
            let runtime = config.runtime_config()?;
            let client = crate::Client::new(runtime)?;
            Ok(Box::new(ScalewayProvider::new(client)?))
        }
        other => Err(ProviderError::UnknownProvider(other.to_string())),
    }
}
