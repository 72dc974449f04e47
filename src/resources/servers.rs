//! Servers: the workflows the Instance API forces on clients.
//!
//! Create: the server is created stopped (with its root and extra volumes, its flexible IP and
//! its security group), the IOPS of its Block volumes are set, its cloud-init is set as raw
//! `text/plain`, its private NICs are created and awaited before it boots (a server booted
//! before its NIC misses DHCP), then it is powered on. A step that fails undoes everything
//! created so far.
//!
//! Delete: what happens to volumes is the caller's [`VolumePolicy`]; NICs are removed; a running
//! server is terminated, a stopped one deleted; its own root volume is deleted too, because a
//! Block volume left behind is billed.

use std::collections::BTreeMap;

use futures_util::{Stream, TryStreamExt};

use super::images::{RootKind, check_image};
use super::user_data::check_value;
use super::volumes::{check_iops, check_size, made_by_create};
use super::{
    IpKind, check_id, check_name, check_tag, check_user_tag, create_once, create_token, find_by_exact_name,
    ignore_missing, listing_or_error, offers_block_storage, optional, reached, until_known, zonal_handler,
};
use crate::api::instance_v1::types::{
    PrivateNic, Server, ServerAction, ServerState, VolumeServerTemplate, VolumeServerVolumeType,
    VolumeVolumeType,
};
use crate::wait::{Outcome, Status, Transition, WaitOptions, wait_for};
use crate::{ByteSize, Error, Result};

pub use super::user_data::MAX_USER_DATA_BYTES;

/// The tag that marks a resource with the request that created it (`scaleway-client-create=<uuid>`),
/// so that a create whose answer was lost finds what it made instead of making a second one.
/// Resources a server create makes for the server (a routed IPv6) carry the server's token.
pub const CREATE_TOKEN_TAG: &str = "scaleway-client-create";

/// The root volume of a new server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RootVolume {
    /// Block Storage (`sbs_volume`) or local (`l_ssd`).
    pub kind: RootKind,
    /// Size; `None` for the image's (Block) or the commercial type's (local) default.
    pub size: Option<ByteSize>,
    /// Provisioned IOPS of a Block root: 5000 (the API's default) or 15000.
    pub iops: Option<u32>,
}

impl RootVolume {
    /// A Block Storage root of this size, at 5000 IOPS unless [`RootVolume::iops`] says.
    pub fn block(size: ByteSize) -> RootVolume {
        RootVolume {
            kind: RootKind::Block,
            size: Some(size),
            iops: None,
        }
    }

    /// A local (`l_ssd`) root of this size.
    pub fn local(size: ByteSize) -> RootVolume {
        RootVolume {
            kind: RootKind::Local,
            size: Some(size),
            iops: None,
        }
    }

    /// A root of this kind with the default size.
    pub fn default_size(kind: RootKind) -> RootVolume {
        RootVolume {
            kind,
            size: None,
            iops: None,
        }
    }

    /// Provisioned IOPS of a Block root: 5000 or 15000.
    pub fn iops(mut self, iops: u32) -> Self {
        self.iops = Some(iops);
        self
    }
}

/// A volume attached to a new server besides its root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExtraVolume {
    /// A new Block volume, made with the server (and deleted with it by
    /// [`VolumePolicy::DeleteAll`] only).
    New {
        /// Size, 5 GB to 10 TB.
        size: ByteSize,
        /// Provisioned IOPS: 5000 or 15000; `None` for 5000.
        iops: Option<u32>,
    },
    /// An existing Block volume, by id; never deleted by an undo.
    Existing(String),
}

/// How a new server reaches the internet.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum PublicIp {
    /// A dynamic IPv4, given at power-on and released with the server.
    #[default]
    Dynamic,
    /// An existing flexible IP, by id; kept when the server is deleted.
    Flexible(String),
    /// A new routed IPv6 flexible IP, reserved for the server and released with it.
    RoutedIpv6,
    /// No public address.
    None,
}

/// What to create a server with: [`ServerSpec::new`], then the builder methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSpec {
    /// Name (it becomes the hostname): 1 to 63 letters, digits, `-`, `_` or `.`.
    pub name: String,
    /// Commercial type, e.g. `DEV1-S`.
    pub commercial_type: String,
    /// Image: an alias (`ubuntu-24.04`), a label (`ubuntu_noble`) or an image id.
    pub image: String,
    /// Root volume; `None` for a default-size Block root (a local one in zones without Block
    /// Storage).
    pub root_volume: Option<RootVolume>,
    /// Volumes besides the root, in order.
    pub extra_volumes: Vec<ExtraVolume>,
    /// Private networks to connect before the server boots, by id.
    pub private_networks: Vec<String>,
    /// Security group, by id; `None` for the project's default one.
    pub security_group: Option<String>,
    /// Public address.
    pub public_ip: PublicIp,
    /// Placement group, by id.
    pub placement_group: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
    /// Cloud-init user data.
    pub cloud_init: Option<String>,
    /// Whether [`Servers::create`] returns only once the server is `running` and the private
    /// addresses of its NICs are known to IPAM (rather than once it has been powered on).
    pub wait_running: bool,
}

impl ServerSpec {
    /// A server of this name, commercial type and image, with a dynamic public IPv4.
    pub fn new(
        name: impl Into<String>,
        commercial_type: impl Into<String>,
        image: impl Into<String>,
    ) -> ServerSpec {
        ServerSpec {
            name: name.into(),
            commercial_type: commercial_type.into(),
            image: image.into(),
            root_volume: None,
            extra_volumes: Vec::new(),
            private_networks: Vec::new(),
            security_group: None,
            public_ip: PublicIp::Dynamic,
            placement_group: None,
            tags: Vec::new(),
            cloud_init: None,
            wait_running: false,
        }
    }

    /// The root volume.
    pub fn root_volume(mut self, root: RootVolume) -> Self {
        self.root_volume = Some(root);
        self
    }

    /// One more volume besides the root.
    pub fn extra_volume(mut self, volume: ExtraVolume) -> Self {
        self.extra_volumes.push(volume);
        self
    }

    /// One more private network.
    pub fn private_network(mut self, network_id: impl Into<String>) -> Self {
        self.private_networks.push(network_id.into());
        self
    }

    /// The security group.
    pub fn security_group(mut self, group_id: impl Into<String>) -> Self {
        self.security_group = Some(group_id.into());
        self
    }

    /// The public address.
    pub fn public_ip(mut self, ip: PublicIp) -> Self {
        self.public_ip = ip;
        self
    }

    /// The placement group.
    pub fn placement_group(mut self, group_id: impl Into<String>) -> Self {
        self.placement_group = Some(group_id.into());
        self
    }

    /// One more tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Cloud-init user data.
    pub fn cloud_init(mut self, cloud_init: impl Into<String>) -> Self {
        self.cloud_init = Some(cloud_init.into());
        self
    }

    /// Returns only once the server runs and its private addresses are known.
    pub fn wait_running(mut self, wait: bool) -> Self {
        self.wait_running = wait;
        self
    }

    fn root_kind(&self, zone_has_block: bool) -> RootKind {
        match self.root_volume {
            Some(root) => root.kind,
            None if zone_has_block => RootKind::Block,
            None => RootKind::Local,
        }
    }

    /// Everything that can be checked before a request.
    fn check(&self, zone_has_block: bool) -> Result<()> {
        check_name("server name", &self.name)?;
        if self.name.len() > 63
            || !self
                .name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
        {
            return Err(Error::invalid_input(
                "server name",
                "must be 1 to 63 letters, digits, `-`, `_` or `.` (it becomes the hostname)",
            ));
        }
        if self.commercial_type.trim().is_empty() {
            return Err(Error::invalid_input("commercial type", "must not be empty"));
        }
        if self.image.trim().is_empty() {
            return Err(Error::invalid_input("image", "must not be empty"));
        }
        check_image(&self.image)?;
        let uses_block = self.root_kind(zone_has_block) == RootKind::Block || !self.extra_volumes.is_empty();
        if uses_block && !zone_has_block {
            return Err(Error::invalid_input(
                "zone",
                "this zone offers no Block Storage: use a local root volume and no extra volumes",
            ));
        }
        if let Some(root) = &self.root_volume {
            match (root.kind, root.size) {
                (RootKind::Block, Some(size)) => check_size("root volume size", size)?,
                (RootKind::Local, Some(size)) if size.bytes() == 0 => {
                    return Err(Error::invalid_input("root volume size", "must not be zero"));
                }
                _ => {}
            }
            match (root.kind, root.iops) {
                (RootKind::Block, Some(iops)) => check_iops("root volume IOPS", iops)?,
                (RootKind::Local, Some(_)) => {
                    return Err(Error::invalid_input(
                        "root volume IOPS",
                        "only Block volumes have an IOPS class",
                    ));
                }
                _ => {}
            }
        }
        for volume in &self.extra_volumes {
            match volume {
                ExtraVolume::New { size, iops } => {
                    check_size("volume size", *size)?;
                    if let Some(iops) = iops {
                        check_iops("volume IOPS", *iops)?;
                    }
                }
                ExtraVolume::Existing(id) => check_id("volume id", id)?,
            }
        }
        if let Some(cloud_init) = &self.cloud_init {
            check_value(cloud_init)?;
        }
        for network in &self.private_networks {
            check_id("private network id", network)?;
        }
        let mut networks = self.private_networks.clone();
        networks.sort();
        networks.dedup();
        if networks.len() != self.private_networks.len() {
            return Err(Error::invalid_input(
                "private network id",
                "a network is given twice",
            ));
        }
        if let Some(group) = &self.security_group {
            check_id("security group id", group)?;
        }
        if let Some(group) = &self.placement_group {
            check_id("placement group id", group)?;
        }
        if let PublicIp::Flexible(ip) = &self.public_ip {
            check_id("IP id", ip)?;
        }
        for tag in &self.tags {
            check_user_tag(tag)?;
        }
        Ok(())
    }
}

/// What [`Servers::delete`] does with the server's volumes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum VolumePolicy {
    /// Delete the server's root volume; detach every other volume and keep it.
    #[default]
    KeepAttached,
    /// Delete every volume attached to the server.
    DeleteAll,
    /// Detach every volume and delete none, the root included. (Terminating a running server
    /// deletes its local volumes all the same: that is how the API terminates.)
    DetachAll,
}

/// What a server wait waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerTarget {
    /// `running`.
    Running,
    /// `stopped`.
    Stopped,
    /// `stopped in place`.
    StoppedInPlace,
    /// Any state but `starting` and `stopping`.
    Settled,
    /// Gone.
    Deleted,
}

/// Filters of a server listing; every field narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ServerFilter {
    /// Name substring (the API's match).
    pub name: Option<String>,
    /// Tag.
    pub tag: Option<String>,
    /// Private network id.
    pub private_network: Option<String>,
}

zonal_handler!(
    /// Servers of a zone. From [`Scaleway::servers`](super::Scaleway::servers).
    Servers
);

impl Servers<'_> {
    /// The server, `None` if it does not exist.
    pub async fn get(&self, server_id: &str) -> Result<Option<Server>> {
        check_id("server id", server_id)?;
        let server = optional(
            self.scw
                .apis()
                .instance
                .get_server()
                .zone(&self.zone)
                .server_id(server_id)
                .send()
                .await,
        )?
        .and_then(|answer| answer.into_inner().server);
        if let Some(server) = &server {
            self.scw.learn_root(&self.zone, server, false);
        }
        Ok(server)
    }

    /// The server, or [`Error::NotFound`].
    pub async fn get_existing(&self, server_id: &str) -> Result<Server> {
        self.get(server_id)
            .await?
            .ok_or_else(|| Error::not_found("instance_server", server_id))
    }

    /// The project's servers, lazily.
    pub fn list<'s>(&'s self, filter: &'s ServerFilter) -> impl Stream<Item = Result<Server>> + 's {
        listing_or_error(self.scw.project_id().map(|project| {
            let mut call = self
                .scw
                .apis()
                .instance
                .list_servers()
                .zone(&self.zone)
                .project(project);
            if let Some(name) = &filter.name {
                call = call.name(name.as_str());
            }
            if let Some(tag) = &filter.tag {
                call = call.tags(tag.as_str());
            }
            if let Some(network) = &filter.private_network {
                call = call.private_network(network.as_str());
            }
            call.stream()
        }))
    }

    /// The project's server named exactly `name`, if any.
    pub async fn find_by_name(&self, name: &str) -> Result<Option<Server>> {
        check_name("server name", name)?;
        let filter = ServerFilter {
            name: Some(name.to_string()),
            ..ServerFilter::default()
        };
        find_by_exact_name(self.list(&filter), name, |s| s.name.as_deref()).await
    }

    /// The project's servers carrying `tag`.
    pub async fn list_by_tag(&self, tag: &str) -> Result<Vec<Server>> {
        check_tag(tag)?;
        let filter = ServerFilter {
            tag: Some(tag.to_string()),
            ..ServerFilter::default()
        };
        self.list(&filter).try_collect().await
    }

    /// Polls the server until `target`, with `options`. `Ok(None)` only for
    /// [`ServerTarget::Deleted`] and [`ServerTarget::Settled`] (a server that vanished while it
    /// settled); a server that disappears while a state is awaited is [`Error::NotFound`], and
    /// `locked` is [`Error::FailedState`].
    pub async fn wait_with(
        &self,
        server_id: &str,
        target: ServerTarget,
        options: &WaitOptions,
    ) -> Result<Option<Server>> {
        check_id("server id", server_id)?;
        let state = |target| match target {
            ServerTarget::Running => Some(ServerState::Running),
            ServerTarget::Stopped => Some(ServerState::Stopped),
            ServerTarget::StoppedInPlace => Some(ServerState::StoppedInPlace),
            ServerTarget::Settled | ServerTarget::Deleted => None,
        };
        let outcome = wait_for(
            options,
            || self.get(server_id),
            |server: &Option<Server>| match (server.as_ref().map(|s| s.state), target) {
                (None, ServerTarget::Deleted | ServerTarget::Settled) => Status::Reached,
                (None, _) => Status::Failed,
                (Some(ServerState::Starting | ServerState::Stopping), _) => Status::Pending,
                (Some(_), ServerTarget::Settled) => Status::Reached,
                (Some(now), _) if Some(now) == state(target) => Status::Reached,
                (Some(ServerState::Locked), _) => Status::Failed,
                _ => Status::Pending,
            },
        )
        .await?;
        if let Outcome::Failed(None) = outcome {
            return Err(Error::not_found("instance_server", server_id));
        }
        let what = match target {
            ServerTarget::Deleted => format!("server {server_id} to be deleted"),
            ServerTarget::Settled => format!("server {server_id} to settle"),
            target => format!(
                "server {server_id} to be {}",
                state(target).map(|s| s.to_string()).unwrap_or_default()
            ),
        };
        let describe = |s: &Option<Server>| s.as_ref().map_or("deleted".into(), |s| s.state.to_string());
        reached(outcome, what, describe)
    }

    /// Polls the server until `target`, with the layer's wait options. See
    /// [`Servers::wait_with`].
    pub async fn wait(&self, server_id: &str, target: ServerTarget) -> Result<Option<Server>> {
        self.wait_with(server_id, target, &self.scw.options().wait).await
    }

    /// Sends an action, exactly once: when its answer is lost (or it failed in a way that may
    /// have been applied), the server's state says whether it took effect, and it is sent again
    /// only if it did not. Actions whose effect the state does not show are sent once.
    async fn action(&self, server_id: &str, action: ServerAction) -> Result<()> {
        let instance = &self.scw.apis().instance;
        let post = || async {
            instance
                .server_action()
                .zone(&self.zone)
                .server_id(server_id)
                .body_map(|b| b.action(action))
                .send()
                .await?;
            Ok(())
        };
        let Some(took_effect) = action_effect(action) else {
            return post().await;
        };
        let applied = || async {
            let server = self.get(server_id).await?;
            Ok(took_effect.contains(&server.map(|s| s.state)).then_some(()))
        };
        create_once(&self.scw.options().wait, "server action", post, applied).await
    }

    /// Sends an action and waits for the state it leads to: `running` for `poweron` and
    /// `reboot`, `stopped` for `poweroff`, `stopped in place` for `stop_in_place`, gone for
    /// `terminate`; other actions are awaited until the server settles. `Ok(None)` when the
    /// server is gone.
    pub async fn action_and_wait(&self, server_id: &str, action: ServerAction) -> Result<Option<Server>> {
        check_id("server id", server_id)?;
        let target = match action {
            ServerAction::Poweron | ServerAction::Reboot => ServerTarget::Running,
            ServerAction::Poweroff => ServerTarget::Stopped,
            ServerAction::StopInPlace => ServerTarget::StoppedInPlace,
            ServerAction::Terminate => ServerTarget::Deleted,
            _ => ServerTarget::Settled,
        };
        self.action(server_id, action).await?;
        // A poweron's and a terminate's durations depend on what the server holds, known from
        // the latest answer that showed it, if any.
        let known = self.scw.known_root(&self.zone, server_id);
        let options = match (action, known) {
            (ServerAction::Poweroff, _) => self.scw.wait_after(Transition::PowerOff),
            (ServerAction::Poweron, Some(known)) => self.scw.wait_after(known.power_on),
            (ServerAction::Terminate, known) => self
                .scw
                .wait_after(known.map_or(Transition::Terminate, |k| k.terminate)),
            _ => self.scw.wait_after_action(),
        };
        self.wait_with(server_id, target, &options).await
    }

    /// The state a server in transition settles in; [`Error::NotFound`] if it disappears.
    async fn settled_state(&self, server_id: &str) -> Result<ServerState> {
        match self.wait(server_id, ServerTarget::Settled).await? {
            Some(server) => Ok(server.state),
            None => Err(Error::not_found("instance_server", server_id)),
        }
    }

    /// Starts a server and waits until it runs. The action is decided from the server's state,
    /// so a repeated call sends nothing: running is done, starting is awaited, a stop in
    /// progress is awaited before the power-on.
    pub async fn power_on(&self, server_id: &str) -> Result<Server> {
        let server = self.get_existing(server_id).await?;
        let state = match server.state {
            // A stop ends in `stopped` or, for a stop in place, `stopped in place`: see which.
            ServerState::Stopping => self.settled_state(server_id).await?,
            state => state,
        };
        let options = match state {
            ServerState::Running => return Ok(server),
            ServerState::Stopped | ServerState::StoppedInPlace => {
                self.action(server_id, ServerAction::Poweron).await?;
                self.scw.wait_after(power_on_transition(&server))
            }
            ServerState::Starting | ServerState::Stopping | ServerState::Locked => {
                self.scw.options().wait.clone()
            }
        };
        self.wait_with(server_id, ServerTarget::Running, &options)
            .await?
            .ok_or_else(|| Error::not_found("instance_server", server_id))
    }

    /// Stops a server for good (releasing its node) and waits until it is stopped; decided from
    /// its state like [`Servers::power_on`].
    pub async fn power_off(&self, server_id: &str) -> Result<Server> {
        let server = self.get_existing(server_id).await?;
        let state = match server.state {
            ServerState::Starting | ServerState::Stopping => self.settled_state(server_id).await?,
            state => state,
        };
        let options = match state {
            ServerState::Stopped => return Ok(server),
            // A server stopped in place still holds its node: power it off for good.
            ServerState::Running | ServerState::StoppedInPlace => {
                self.action(server_id, ServerAction::Poweroff).await?;
                self.scw.wait_after(Transition::PowerOff)
            }
            ServerState::Starting | ServerState::Stopping | ServerState::Locked => {
                self.scw.options().wait.clone()
            }
        };
        self.wait_with(server_id, ServerTarget::Stopped, &options)
            .await?
            .ok_or_else(|| Error::not_found("instance_server", server_id))
    }

    /// Creates a server: stopped first, then its Block volumes' IOPS, its cloud-init (as
    /// `text/plain`), its private NICs (each awaited until available), then powered on. If any
    /// step fails, everything it made is removed (the server, its root and new volumes, its
    /// NICs and a routed IPv6 reserved for it; never an existing volume or flexible IP) and the
    /// error is returned, or [`Error::CleanupFailed`] if the undo failed too. The server returned
    /// is `starting`, as the answers describe it (no read after the power-on: what only the boot
    /// brings, a dynamic public IP, shows at the next read), or `running` with
    /// [`ServerSpec::wait_running`].
    ///
    /// The POST carries a unique token tag: when its outcome is unknown (timeout, connection
    /// lost, 5xx), the server is looked up by that tag, at once and again after
    /// [`Options::create_lookup_delay`](super::Options::create_lookup_delay), before trying
    /// again; should the first attempt still land after that, its twin is deleted.
    pub async fn create(&self, spec: &ServerSpec) -> Result<Server> {
        let zone_has_block = offers_block_storage(&self.zone);
        spec.check(zone_has_block)?;
        self.scw.project_id()?;
        let root_kind = spec.root_kind(zone_has_block);
        self.scw
            .catalog()
            .zone(self.zone.clone())
            .server_type(&spec.commercial_type)
            .await?;
        let image = self
            .scw
            .images()
            .zone(self.zone.clone())
            .resolve(&spec.image, &spec.commercial_type, root_kind)
            .await?;
        let token = create_token();
        let ips = self.scw.ips().zone(self.zone.clone());
        let routed_ipv6 = match spec.public_ip {
            PublicIp::RoutedIpv6 => Some(
                ips.create_tagged(IpKind::RoutedIpv6, std::slice::from_ref(&token))
                    .await?,
            ),
            _ => None,
        };
        let posted = match self
            .post(
                spec,
                &image,
                &token,
                routed_ipv6.as_ref().and_then(|ip| ip.id.as_deref()),
            )
            .await
        {
            Ok(posted) => posted,
            Err(original) => {
                let undo = match &routed_ipv6 {
                    Some(ip) => ips.delete(ip.id.as_deref().unwrap_or_default()).await,
                    None => Ok(()),
                };
                return Err(Error::with_cleanup(original, undo));
            }
        };
        let id = posted.server.id.clone().unwrap_or_default();
        let finished = async {
            if posted.retried {
                self.remove_twins(&token, &id).await?;
            }
            self.finish_create(&posted.server, spec).await
        };
        match finished.await {
            Ok(server) => Ok(server),
            Err(original) => {
                tracing::warn!(server_id = %id, error = %original, "server creation failed; removing what was created");
                let keep: Vec<&str> = spec
                    .extra_volumes
                    .iter()
                    .filter_map(|v| match v {
                        ExtraVolume::Existing(id) => Some(id.as_str()),
                        ExtraVolume::New { .. } => None,
                    })
                    .collect();
                Err(Error::with_cleanup(
                    original,
                    self.remove(&id, VolumePolicy::DeleteAll, &keep).await,
                ))
            }
        }
    }

    /// `POST /servers`, created stopped, at most twice (see [`Servers::create`]).
    async fn post(
        &self,
        spec: &ServerSpec,
        image: &str,
        token: &str,
        routed_ipv6: Option<&str>,
    ) -> Result<Posted> {
        let project = self.scw.project_id()?;
        let mut tags = spec.tags.clone();
        tags.push(token.to_string());
        let volumes = volume_templates(spec);
        let (dynamic_ip, public_ips) = match (&spec.public_ip, routed_ipv6) {
            (PublicIp::Dynamic, _) => (true, Vec::new()),
            (PublicIp::Flexible(ip), _) => (false, vec![ip.clone()]),
            (PublicIp::RoutedIpv6, Some(ip)) => (false, vec![ip.to_string()]),
            (PublicIp::RoutedIpv6 | PublicIp::None, _) => (false, Vec::new()),
        };
        for attempt in 1..=2 {
            let sent = self
                .scw
                .apis()
                .instance
                .create_server()
                .zone(&self.zone)
                .body_map(|b| {
                    let mut b = b
                        .name(spec.name.clone())
                        .commercial_type(spec.commercial_type.clone())
                        .image(image.to_string())
                        .project(project.to_string())
                        .dynamic_ip_required(dynamic_ip)
                        .tags(tags.clone());
                    if !public_ips.is_empty() {
                        b = b.public_ips(public_ips.clone());
                    }
                    if !volumes.is_empty() {
                        b = b.volumes(volumes.clone());
                    }
                    if let Some(group) = &spec.security_group {
                        b = b.security_group(group.clone());
                    }
                    if let Some(group) = &spec.placement_group {
                        b = b.placement_group(group.clone());
                    }
                    b
                })
                .send()
                .await;
            match sent {
                Ok(answer) => {
                    let incomplete = Error::incomplete_answer(
                        answer.status().as_u16(),
                        answer.headers(),
                        "no server in the answer",
                    );
                    let server = answer.into_inner().server.ok_or(incomplete)?;
                    self.scw.learn_root(&self.zone, &server, true);
                    return Ok(Posted {
                        server,
                        retried: attempt > 1,
                    });
                }
                Err(e) => {
                    let e = Error::from(e);
                    if !e.may_have_been_applied() {
                        return Err(e);
                    }
                    if let Some(server) = self.find_created(token).await? {
                        tracing::info!(server_id = ?server.id, "found the server of a create whose answer was lost");
                        self.scw.learn_root(&self.zone, &server, true);
                        return Ok(Posted {
                            server,
                            retried: false,
                        });
                    }
                    if attempt == 2 {
                        return Err(e);
                    }
                    tracing::warn!(error = %e, "server create failed before it was applied; trying once more");
                }
            }
        }
        unreachable!("the loop returns on its last attempt")
    }

    /// The server a create with this token made, looked for at once and once more after the
    /// lookup delay (an answer lost to a timeout may belong to a request still being applied).
    /// Each look-up is tried until its outcome is known: a failed listing is no proof that
    /// nothing was made.
    async fn find_created(&self, token: &str) -> Result<Option<Server>> {
        let options = &self.scw.options().wait;
        let lookup = || async { Ok(self.list_by_tag(token).await?.into_iter().next()) };
        if let Some(server) = until_known(options, lookup).await? {
            return Ok(Some(server));
        }
        tokio::time::sleep(self.scw.options().create_lookup_delay).await;
        until_known(options, lookup).await
    }

    /// After a second attempt: deletes any other server carrying the token (the first attempt
    /// applied after all), so that one create leaves one server.
    async fn remove_twins(&self, token: &str, kept_id: &str) -> Result<()> {
        for twin in self.list_by_tag(token).await? {
            let Some(twin_id) = twin.id.as_deref().filter(|id| *id != kept_id) else {
                continue;
            };
            tracing::warn!(server_id = twin_id, "deleting the second server of one create");
            self.remove(twin_id, VolumePolicy::DeleteAll, &[]).await?;
        }
        Ok(())
    }

    /// Everything after the POST: IOPS, cloud-init, private NICs, power on.
    async fn finish_create(&self, server: &Server, spec: &ServerSpec) -> Result<Server> {
        let id = server.id.as_deref().unwrap_or_default();
        let volumes = self.scw.volumes().zone(self.zone.clone());
        for (index, iops) in wanted_iops(spec) {
            if let Some(volume_id) = server
                .volumes
                .get(&index.to_string())
                .and_then(|v| v.id.as_deref())
            {
                volumes.set_iops(volume_id, iops).await?;
            }
        }
        if let Some(cloud_init) = &spec.cloud_init {
            self.scw
                .user_data()
                .zone(self.zone.clone())
                .set(id, "cloud-init", cloud_init)
                .await?;
        }
        let mut server = server.clone();
        let nics = self.scw.private_nics().zone(self.zone.clone());
        for network in &spec.private_networks {
            let on_network = |n: &PrivateNic| n.private_network_id.as_deref() == Some(network.as_str());
            let existing = server.private_nics.iter().find(|n| on_network(n)).cloned();
            let nic = nics.create_unless(id, network, existing).await?;
            server.private_nics.retain(|n| !on_network(n));
            server.private_nics.push(nic);
        }
        self.action(id, ServerAction::Poweron).await?;
        if spec.wait_running {
            let running = self
                .wait_with(
                    id,
                    ServerTarget::Running,
                    &self.scw.wait_after(power_on_transition(&server)),
                )
                .await?
                .ok_or_else(|| Error::not_found("instance_server", id))?;
            if !running.private_nics.is_empty() {
                let region = self.zone.region();
                let ipam = self.scw.ipam().region(region);
                ipam.wait_for_servers(std::slice::from_ref(&running)).await?;
            }
            return Ok(running);
        }
        // No read after the power-on: the answers already say what the server is. It was created
        // stopped with its volumes and security group (the create answer), its NICs are the ones
        // just awaited, and an accepted power-on makes it `starting`. What only the boot brings
        // (a dynamic public IP, the node) shows at the next read; the actions the stopped server
        // allowed no longer apply.
        server.state = ServerState::Starting;
        server.state_detail = None;
        server.allowed_actions.clear();
        Ok(server)
    }

    /// Deletes a server, doing with its volumes what `policy` says; NICs are removed; a
    /// flexible IP reserved for it by [`Servers::create`] is released. Ok if it is already
    /// gone. Safe to repeat after an interruption.
    ///
    /// The API does most of the work: terminating a running server (or deleting a stopped one)
    /// takes its private NICs with it and detaches its Block volumes, which survive, `available`
    /// (the volumes kept may still show `detaching` for a few seconds once this returns). The
    /// Block volumes the policy deletes are deleted once the server is gone; a root volume that
    /// cannot be is [`Error::LeftBehind`], naming it.
    pub async fn delete(&self, server_id: &str, policy: VolumePolicy) -> Result<()> {
        check_id("server id", server_id)?;
        self.remove(server_id, policy, &[]).await
    }

    /// [`Servers::delete`], keeping the volumes in `keep` whatever the policy.
    async fn remove(&self, server_id: &str, policy: VolumePolicy, keep: &[&str]) -> Result<()> {
        let Some(mut server) = self.get(server_id).await? else {
            self.scw.forget_root(&self.zone, server_id);
            return Ok(());
        };
        // Read before the server goes: whether its root is the one it was created with.
        let own_root = self
            .scw
            .known_root(&self.zone, server_id)
            .filter(|known| known.made_with_server)
            .map(|known| known.volume_id);
        // A server in transition accepts no action: let it settle first.
        if matches!(server.state, ServerState::Starting | ServerState::Stopping) {
            match self.wait(server_id, ServerTarget::Settled).await? {
                Some(settled) => server = settled,
                // It was being terminated (by an earlier, interrupted delete): its Block volumes
                // are left behind, billed, so those the policy deletes go too.
                None => {
                    self.scw.forget_root(&self.zone, server_id);
                    return self
                        .delete_volumes_of(&server, policy, keep, own_root.as_deref())
                        .await;
                }
            }
        }
        let instance = &self.scw.apis().instance;
        // Local volumes kept are detached first, or they would go with the server. Block volumes
        // need nothing: the API detaches them from a server it deletes, whichever way.
        let mut detached_first = Vec::new();
        for (index, volume) in server.volumes.iter().filter(|(index, _)| index.as_str() != "0") {
            let Some(volume_id) = volume.id.as_deref() else {
                continue;
            };
            let kept = keep.contains(&volume_id) || policy != VolumePolicy::DeleteAll;
            if !kept || volume.volume_type == VolumeServerVolumeType::SbsVolume {
                continue;
            }
            tracing::info!(
                server_id,
                volume_id,
                index,
                "detaching a local volume before deleting its server"
            );
            ignore_missing(
                instance
                    .detach_server_volume()
                    .zone(&self.zone)
                    .server_id(server_id)
                    .body_map(|b| b.volume_id(volume_id))
                    .send()
                    .await,
            )?;
            detached_first.push(volume_id);
        }
        match server.state {
            // terminate removes the server's private NICs (sub-resources of the server: a NIC of
            // a server gone answers 404 `instance_server`), deletes its local volumes and
            // detaches its Block ones.
            ServerState::Running | ServerState::StoppedInPlace => {
                match self.action(server_id, ServerAction::Terminate).await {
                    Err(e) if e.is_not_found() => {}
                    other => other?,
                }
            }
            // A stopped server, rarely deleted here (a failed create's undo, mostly): its NICs
            // are removed first, as the DELETE of a server has always been sent; it deletes no
            // volume at all.
            _ => {
                let nics = self.scw.private_nics().zone(self.zone.clone());
                for nic in &server.private_nics {
                    let Some(nic_id) = nic.id.as_deref() else { continue };
                    nics.delete(server_id, nic_id).await?;
                }
                ignore_missing(
                    instance
                        .delete_server()
                        .zone(&self.zone)
                        .server_id(server_id)
                        .send()
                        .await,
                )?
            }
        }
        let options = match server.state {
            ServerState::Running | ServerState::StoppedInPlace => self
                .scw
                .wait_after(terminate_transition(&server, &detached_first)),
            _ => self.scw.wait_after_action(),
        };
        self.wait_with(server_id, ServerTarget::Deleted, &options).await?;
        self.scw.forget_root(&self.zone, server_id);
        self.delete_volumes_of(&server, policy, keep, own_root.as_deref())
            .await
    }

    /// After the server is gone: deletes the Block and local volumes it held that the policy
    /// deletes, and releases the flexible IPs reserved for it. `own_root` is the root the server
    /// was created with, when this process saw its create.
    async fn delete_volumes_of(
        &self,
        server: &Server,
        policy: VolumePolicy,
        keep: &[&str],
        own_root: Option<&str>,
    ) -> Result<()> {
        let volumes = self.scw.volumes().zone(self.zone.clone());
        let instance = &self.scw.apis().instance;
        let server_id = server.id.as_deref().unwrap_or_default();
        for (index, volume) in &server.volumes {
            let Some(volume_id) = volume.id.as_deref() else {
                continue;
            };
            let root = index == "0";
            let deleted = !keep.contains(&volume_id)
                && match policy {
                    VolumePolicy::DeleteAll => true,
                    VolumePolicy::KeepAttached => root,
                    VolumePolicy::DetachAll => false,
                };
            if !deleted {
                continue;
            }
            match volume.volume_type {
                VolumeServerVolumeType::SbsVolume => {
                    // The root is the server's own; a volume made by `Volumes::create` is the
                    // user's even where the root was, and only `DeleteAll` deletes it. A root
                    // this process saw the server created with needs no read to tell.
                    let maybe_users = policy != VolumePolicy::DeleteAll && own_root != Some(volume_id);
                    if maybe_users {
                        match volumes.get(volume_id).await? {
                            None => continue,
                            Some(read) if made_by_create(&read) => {
                                tracing::warn!(
                                    volume_id,
                                    "the volume at a deleted server's root position was made by create: kept"
                                );
                                continue;
                            }
                            Some(_) => {}
                        }
                    }
                    volumes.delete_freed_by(volume_id, server_id).await?
                }
                _ => ignore_missing(
                    instance
                        .delete_volume()
                        .zone(&self.zone)
                        .volume_id(volume_id)
                        .send()
                        .await,
                )?,
            }
        }
        let token = server.tags.iter().find(|t| t.starts_with(CREATE_TOKEN_TAG));
        let ips = self.scw.ips().zone(self.zone.clone());
        for ip in &server.public_ips {
            let reserved_for_it = token.is_some_and(|token| ip.tags.contains(token));
            if let (true, Some(ip_id)) = (reserved_for_it, ip.id.as_deref()) {
                ips.delete(ip_id).await?;
            }
        }
        Ok(())
    }
}

/// The states (`None`: gone) that show an action took effect, for the actions whose effect
/// shows at once in the state.
fn action_effect(action: ServerAction) -> Option<&'static [Option<ServerState>]> {
    use ServerState::{Running, Starting, Stopped, StoppedInPlace, Stopping};
    Some(match action {
        ServerAction::Poweron => &[Some(Starting), Some(Running)],
        ServerAction::Poweroff => &[Some(Stopping), Some(Stopped)],
        ServerAction::StopInPlace => &[Some(Stopping), Some(StoppedInPlace)],
        // Terminating: stopping on its way out, then gone.
        ServerAction::Terminate => &[Some(Stopping), None],
        _ => return None,
    })
}

/// What `POST /servers` made, and whether it took a second attempt.
struct Posted {
    server: Server,
    retried: bool,
}

/// The `volumes` map of a create: empty when the root is the image's default and there is no
/// extra volume (the API then makes the root from the image, of the image's kind).
fn volume_templates(spec: &ServerSpec) -> BTreeMap<String, VolumeServerTemplate> {
    let mut map = BTreeMap::new();
    if spec.root_volume.is_none_or(|r| r.size.is_none()) && spec.extra_volumes.is_empty() {
        return map;
    }
    let template = |kind: VolumeVolumeType, size: Option<ByteSize>| VolumeServerTemplate {
        base_snapshot: None,
        boot: None,
        id: None,
        name: None,
        organization: None,
        project: None,
        size: size.map(ByteSize::bytes),
        volume_type: Some(kind),
    };
    let root = spec
        .root_volume
        .unwrap_or(RootVolume::default_size(RootKind::Block));
    let root_type = match root.kind {
        RootKind::Block => VolumeVolumeType::SbsVolume,
        RootKind::Local => VolumeVolumeType::LSsd,
    };
    map.insert("0".to_string(), template(root_type, root.size));
    for (index, volume) in spec.extra_volumes.iter().enumerate() {
        let entry = match volume {
            ExtraVolume::New { size, .. } => template(VolumeVolumeType::SbsVolume, Some(*size)),
            ExtraVolume::Existing(id) => VolumeServerTemplate {
                id: Some(id.clone()),
                ..template(VolumeVolumeType::SbsVolume, None)
            },
        };
        map.insert((index + 1).to_string(), entry);
    }
    map
}

/// The volume indexes whose IOPS must be raised after the create (the create template has no
/// IOPS: every new Block volume starts at 5000).
fn wanted_iops(spec: &ServerSpec) -> Vec<(usize, u32)> {
    let mut wanted = Vec::new();
    if let Some(RootVolume {
        kind: RootKind::Block,
        iops: Some(iops),
        ..
    }) = spec.root_volume
        && iops != 5000
    {
        wanted.push((0, iops));
    }
    for (index, volume) in spec.extra_volumes.iter().enumerate() {
        if let ExtraVolume::New { iops: Some(iops), .. } = volume
            && *iops != 5000
        {
            wanted.push((index + 1, *iops));
        }
    }
    wanted
}

/// The terminate `server` goes through ([`Transition::terminate_of`]): its local volumes but
/// those in `detached_first` are wiped with it.
pub(crate) fn terminate_transition(server: &Server, detached_first: &[&str]) -> Transition {
    let local_bytes = server
        .volumes
        .values()
        .filter(|v| v.volume_type != VolumeServerVolumeType::SbsVolume)
        .filter(|v| !v.id.as_deref().is_some_and(|id| detached_first.contains(&id)))
        .map(|v| v.size.unwrap_or_default())
        .sum();
    Transition::terminate_of(server.commercial_type.as_deref().unwrap_or_default(), local_bytes)
}

/// The transition a poweron of `server` goes through: a local root volume is copied first.
pub(crate) fn power_on_transition(server: &Server) -> Transition {
    let local_root = server
        .volumes
        .get("0")
        .is_some_and(|root| root.volume_type != VolumeServerVolumeType::SbsVolume);
    if local_root {
        Transition::PowerOnLocalRoot
    } else {
        Transition::PowerOnBlockRoot
    }
}
