//! The Scaleway layer: what the official SDKs' hand-written helpers know, for every Rust user.
//!
//! The generated clients ([`crate::api`]) can call any endpoint but know nothing of how the API
//! wants to be driven. This layer does: image labels resolved per zone and volume kind, typed
//! waiters with each resource's terminal states, user data as `text/plain`, a server create that
//! goes stopped → cloud-init → NICs ready → power on and undoes everything on failure, a delete
//! that leaves no billed volume behind, attach and detach serialized per server, private
//! addresses from IPAM. Every call takes its zone (or region) from the handler, which defaults
//! to the configuration's and can be changed per call with `.zone(…)` / `.region(…)`; sizes are
//! [`ByteSize`](crate::ByteSize); errors are the runtime's [`Error`].
//!
//! ```no_run
//! # async fn example() -> Result<(), scaleway_client::Error> {
//! use scaleway_client::resources::{RootVolume, Scaleway, ServerSpec, VolumePolicy};
//! use scaleway_client::{ByteSize, Client, Config, Zone};
//!
//! let scw = Scaleway::new(Client::new(Config::infer()?)?);
//! let server = scw
//!     .servers()
//!     .zone(Zone::NL_AMS_1)
//!     .create(
//!         &ServerSpec::new("db-1", "PRO2-S", "ubuntu-24.04")
//!             .root_volume(RootVolume::block(ByteSize::from_gb(50)?).iops(15_000))
//!             .cloud_init("#cloud-config\npackages: [postgresql]\n"),
//!     )
//!     .await?;
//! let id = server.id.unwrap_or_default();
//! println!("{id} is {}", server.state);
//! scw.servers().zone(Zone::NL_AMS_1).delete(&id, VolumePolicy::DeleteAll).await?;
//! # Ok(())
//! # }
//! ```
//!
//! The [`Provider`](crate::provider::Provider) for Scaleway is a thin mapping onto this layer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::{Stream, TryStreamExt, stream};

use crate::api;
use crate::paginate::Listing;
use crate::wait::{Outcome, WaitOptions};
use crate::{Client, Error, Result, Zone};

mod catalog;
mod images;
mod instance_volumes;
mod ipam;
mod ips;
mod lookup;
mod private_networks;
mod private_nics;
mod security_groups;
mod servers;
mod snapshots;
mod user_data;
mod volumes;

pub use catalog::{Catalog, SIZE_CHOICES};
pub use images::RootKind;
pub use images::{IMAGE_ALIASES, Images, image_label};
pub use instance_volumes::InstanceVolumes;
pub use ipam::{Ipam, PrivateAddresses};
pub use ips::{IpKind, Ips};
pub use lookup::find_by_exact_name;
pub use private_networks::{NetworkSpec, PrivateNetworks};
pub use private_nics::PrivateNics;
pub use security_groups::{SecurityGroupSpec, SecurityGroups};
pub use servers::{
    CREATE_TOKEN_TAG, ExtraVolume, MAX_USER_DATA_BYTES, PublicIp, RootVolume, ServerFilter, ServerSpec,
    ServerTarget, Servers, VolumePolicy,
};
pub use snapshots::Snapshots;
pub use user_data::UserData;
pub use volumes::{
    BLOCK_IOPS, MAX_VOLUME_SIZE, MIN_VOLUME_SIZE, VolumeSpec, Volumes, attached_server, device_path,
};

/// How the layer waits and looks for lost answers.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// How long and how often to poll while waiting for a state.
    pub wait: WaitOptions,
    /// How long a create whose outcome is unknown (timeout, connection lost, 5xx) is given to
    /// show up before it is sent again. Default 5 s.
    pub create_lookup_delay: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            wait: WaitOptions::default(),
            create_lookup_delay: Duration::from_secs(5),
        }
    }
}

/// The entry point of the layer: a [`Client`] plus the caches the workflows share (commercial
/// types and resolved images per zone, the root volume of each server seen). Cheap to clone;
/// clones share the caches.
#[derive(Clone)]
pub struct Scaleway {
    shared: Arc<Shared>,
}

struct Shared {
    client: Client,
    apis: Apis,
    options: Options,
    catalog: catalog::Cache,
    images: images::Cache,
    /// Known roots by zone, then by server id: a lookup borrows both, with no key to build.
    roots: Mutex<HashMap<Zone, HashMap<String, KnownRoot>>>,
}

/// The generated clients the layer's lazy listings read from. A listing's stream borrows its
/// client for as long as it is read, past the call that returns it, so the clients are built
/// once with the layer instead of per call.
pub(crate) struct Apis {
    pub(crate) instance: api::instance_v1::Client,
    pub(crate) vpc: api::vpc_v2::Client,
    pub(crate) ipam: api::ipam_v1::Client,
    pub(crate) block: api::block_v1::Client,
}

impl std::fmt::Debug for Scaleway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scaleway")
            .field("zone", self.client().config().zone())
            .field("project_id", &self.client().config().project_id())
            .field("options", &self.shared.options)
            .finish_non_exhaustive()
    }
}

/// A handler bound to one zone: `$name<'a>` with a `zone` method to change it for one call.
macro_rules! zonal_handler {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<'a> {
            scw: &'a $crate::resources::Scaleway,
            zone: $crate::Zone,
        }

        impl<'a> $name<'a> {
            pub(crate) fn new(scw: &'a $crate::resources::Scaleway) -> Self {
                $name {
                    scw,
                    zone: scw.client().config().zone().clone(),
                }
            }

            /// The same handler in another zone (the configuration's by default).
            pub fn zone(mut self, zone: $crate::Zone) -> Self {
                self.zone = zone;
                self
            }

            /// The zone this handler works in.
            pub fn current_zone(&self) -> &$crate::Zone {
                &self.zone
            }
        }
    };
}

/// A handler bound to one region: `$name<'a>` with a `region` method to change it for one call.
macro_rules! regional_handler {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone)]
        pub struct $name<'a> {
            scw: &'a $crate::resources::Scaleway,
            region: $crate::Region,
        }

        impl<'a> $name<'a> {
            pub(crate) fn new(scw: &'a $crate::resources::Scaleway) -> Self {
                $name {
                    scw,
                    region: scw.client().config().region().clone(),
                }
            }

            /// The same handler in another region (the configuration's by default).
            pub fn region(mut self, region: $crate::Region) -> Self {
                self.region = region;
                self
            }

            /// The region this handler works in.
            pub fn current_region(&self) -> &$crate::Region {
                &self.region
            }
        }
    };
}
pub(crate) use {regional_handler, zonal_handler};

impl Scaleway {
    /// The layer over a client, with default [`Options`].
    pub fn new(client: Client) -> Scaleway {
        Scaleway::with_options(client, Options::default())
    }

    /// The layer with options.
    pub fn with_options(client: Client, options: Options) -> Scaleway {
        Scaleway {
            shared: Arc::new(Shared {
                apis: Apis {
                    instance: client.instance(),
                    vpc: client.vpc(),
                    ipam: client.ipam(),
                    block: client.block(),
                },
                client,
                options,
                catalog: catalog::Cache::default(),
                images: images::Cache::default(),
                roots: Mutex::default(),
            }),
        }
    }

    /// The runtime client, for the generated calls this layer does not cover.
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// The generated clients for lazy listings.
    pub(crate) fn apis(&self) -> &Apis {
        &self.shared.apis
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.shared.options
    }

    /// How to wait for a transition this layer has just started: the first poll comes after the
    /// first interval, since one at once would only see the transition under way.
    pub(crate) fn wait_after_action(&self) -> WaitOptions {
        self.options().wait.clone().delay_first_poll(true)
    }

    /// How to wait for `transition`, which this layer has just started: reads shaped by its
    /// expected duration, unless the options set their own intervals.
    pub(crate) fn wait_after(&self, transition: crate::wait::Transition) -> WaitOptions {
        self.wait_after_action().transition(transition)
    }

    /// Instance servers: create, delete, power, wait, list.
    pub fn servers(&self) -> Servers<'_> {
        Servers::new(self)
    }

    /// Server user data (cloud-init and other keys), as `text/plain`.
    pub fn user_data(&self) -> UserData<'_> {
        UserData::new(self)
    }

    /// Images: labels and aliases resolved to the zone's local image; image waits.
    pub fn images(&self) -> Images<'_> {
        Images::new(self)
    }

    /// The zone's catalogue: commercial types and their availability.
    pub fn catalog(&self) -> Catalog<'_> {
        Catalog::new(self)
    }

    /// Block Storage volumes (Block v1): create, delete, attach, detach, wait.
    pub fn volumes(&self) -> Volumes<'_> {
        Volumes::new(self)
    }

    /// Instance volumes (local `l_ssd` and `scratch`, and the Instance view of Block volumes).
    pub fn instance_volumes(&self) -> InstanceVolumes<'_> {
        InstanceVolumes::new(self)
    }

    /// Block and Instance snapshots: waits.
    pub fn snapshots(&self) -> Snapshots<'_> {
        Snapshots::new(self)
    }

    /// Private NICs: a server's link to a private network.
    pub fn private_nics(&self) -> PrivateNics<'_> {
        PrivateNics::new(self)
    }

    /// VPC private networks (regional).
    pub fn private_networks(&self) -> PrivateNetworks<'_> {
        PrivateNetworks::new(self)
    }

    /// Instance security groups.
    pub fn security_groups(&self) -> SecurityGroups<'_> {
        SecurityGroups::new(self)
    }

    /// Instance flexible IPs (routed IPv4 and IPv6).
    pub fn ips(&self) -> Ips<'_> {
        Ips::new(self)
    }

    /// Private addresses from IPAM (regional).
    pub fn ipam(&self) -> Ipam<'_> {
        Ipam::new(self)
    }

    /// The configured project, required by every create and listing.
    pub(crate) fn project_id(&self) -> Result<&str> {
        self.client().config().project_id().ok_or_else(|| {
            Error::invalid_input(
                "project id",
                "none configured: set SCW_DEFAULT_PROJECT_ID (or SCALEWAY_PROJECT_ID)",
            )
        })
    }
}

/// A listing whose request could not be built (no project id configured) fails when it is read,
/// with the error as its only item, as a listing whose first page fails does.
pub(crate) fn listing_or_error<'s, T: Send + 's>(
    listing: Result<Listing<'s, T>>,
) -> impl Stream<Item = Result<T>> + 's {
    stream::iter([listing]).try_flatten()
}

/// The lock that serializes changes of one server's volumes in this process (the API refuses a
/// second change while one is in progress: `allowed_actions` is empty during an attach), shared
/// by every [`Scaleway`] value. A server is named by its API as well as its zone and id: the
/// same id behind another endpoint (another simulator, a mock) is another server, whose changes
/// must neither wait for this one's nor be taken for them.
pub(crate) fn server_lock(api_url: &str, zone: &Zone, server_id: &str) -> Arc<tokio::sync::Mutex<()>> {
    named_lock("server-volumes", &format!("{api_url} {zone}"), "", server_id)
}

/// What this process knows of a server's root volume, from the answers it has read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KnownRoot {
    /// The volume at index 0 in the latest answer read.
    pub volume_id: String,
    /// Whether that volume is the one the server's create answer showed at index 0: the server's
    /// own root, made with it, never a user's volume moved there since.
    pub made_with_server: bool,
    /// The poweron and the terminate the server goes through, by what the latest answer showed
    /// it holding: an action sent with no read before it still awaits on the right profile.
    pub power_on: crate::wait::Transition,
    /// See `power_on`.
    pub terminate: crate::wait::Transition,
}

impl Scaleway {
    /// Why a memory of roots rather than a read: a detach must refuse a server's root volume,
    /// and a server delete must tell the server's own root (deleted with it) from a user's
    /// volume attached at index 0 after the root was swapped (kept). Both would need a read of
    /// the server or of the volume on every call; the answers this layer already reads (the
    /// create answer, every server read, every attach and detach answer, each carrying the
    /// server's volumes) tell the same for every server it has seen. An entry says what the
    /// latest answer said: an answer with another volume at index 0 replaces it and marks it as
    /// not made with the server, so a swap seen here is never taken for the own root. What it
    /// cannot see is a swap made by another client since its latest answer: the read at the
    /// start of a server delete catches that one; a detach of the new root is then sent, and
    /// left to the API. A server nothing is known of is read, as before. The memory lives with
    /// this value and its clones, as the caches do (the answers it holds came through its
    /// client), and forgets a server seen gone.
    fn roots(&self) -> std::sync::MutexGuard<'_, HashMap<Zone, HashMap<String, KnownRoot>>> {
        self.shared.roots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Learns a server's root from an answer that carries the server: `created` for the answer
    /// of its create (its root is then its own).
    pub(crate) fn learn_root(&self, zone: &Zone, server: &api::instance_v1::types::Server, created: bool) {
        let Some(server_id) = server.id.as_deref() else {
            return;
        };
        let mut roots = self.roots();
        let Some(volume_id) = server.volumes.get("0").and_then(|v| v.id.as_deref()) else {
            if let Some(servers) = roots.get_mut(zone) {
                servers.remove(server_id);
            }
            return;
        };
        let known = roots.get(zone).and_then(|servers| servers.get(server_id));
        let made_with_server =
            created || known.is_some_and(|known| known.made_with_server && known.volume_id == volume_id);
        let power_on = servers::power_on_transition(server);
        let terminate = servers::terminate_transition(server, &[]);
        // Every read of a server comes here: the usual answer repeats what is known, and
        // leaves the map as it is, with nothing allocated.
        if known.is_some_and(|known| {
            known.volume_id == volume_id
                && known.made_with_server == made_with_server
                && known.power_on == power_on
                && known.terminate == terminate
        }) {
            return;
        }
        roots.entry(zone.clone()).or_default().insert(
            server_id.to_string(),
            KnownRoot {
                volume_id: volume_id.to_string(),
                made_with_server,
                power_on,
                terminate,
            },
        );
    }

    /// The server's root as the latest answer read said, if any was.
    pub(crate) fn known_root(&self, zone: &Zone, server_id: &str) -> Option<KnownRoot> {
        self.roots().get(zone)?.get(server_id).cloned()
    }

    /// Forgets a server seen gone.
    pub(crate) fn forget_root(&self, zone: &Zone, server_id: &str) {
        if let Some(servers) = self.roots().get_mut(zone) {
            servers.remove(server_id);
        }
    }
}

/// Whether the API refused a request for the state of what it names (a 400, 409 or 412): the
/// optimistic workflows send first and read only then, to explain the refusal or recover from it.
pub(crate) fn refused_for_its_state(e: &Error) -> bool {
    !e.is_not_found() && matches!(e.status(), Some(400 | 409 | 412))
}

/// A process-wide lock per (kind, place, project, name): find-or-create of one named resource
/// creates one resource even when called concurrently through different values.
pub(crate) fn named_lock(
    kind: &'static str,
    place: &str,
    project: &str,
    name: &str,
) -> Arc<tokio::sync::Mutex<()>> {
    type Key = (&'static str, String, String, String);
    static LOCKS: OnceLock<Mutex<HashMap<Key, Arc<tokio::sync::Mutex<()>>>>> = OnceLock::new();
    let mut locks = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let key = (kind, place.to_string(), project.to_string(), name.to_string());
    locks.entry(key).or_default().clone()
}

/// A generated call's answer, `None` for a 404 or a 410 `expired` (Block answers so for a volume
/// deleted a while ago): for lookups and polls that must see a resource disappear.
pub(crate) fn optional<T, E: serde::Serialize>(
    result: std::result::Result<T, progenitor_client::Error<E>>,
) -> Result<Option<T>> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) => match Error::from(e) {
            e if e.is_not_found() || matches!(e, Error::Expired { .. }) => Ok(None),
            e => Err(e),
        },
    }
}

/// `Ok(())` for a 404: deleting what is already gone succeeds.
pub(crate) fn ignore_missing<T, E: serde::Serialize>(
    result: std::result::Result<T, progenitor_client::Error<E>>,
) -> Result<()> {
    optional(result).map(|_| ())
}

/// The state a wait reached, or the error saying where it stopped instead.
pub(crate) fn reached<S>(
    outcome: Outcome<S>,
    what: impl Into<String>,
    describe: impl Fn(&S) -> String,
) -> Result<S> {
    match outcome {
        Outcome::Reached(state) => Ok(state),
        Outcome::Failed(state) => Err(Error::FailedState {
            what: what.into(),
            state: describe(&state),
        }),
        Outcome::TimedOut { last, .. } => Err(Error::WaitTimeout {
            what: what.into(),
            last_state: describe(&last),
        }),
    }
}

/// How many times a create is sent when its answer is lost and a look-up then finds nothing.
const CREATE_ATTEMPTS: u32 = 3;

/// Runs `lookup` until its outcome is known: a retryable failure (rate limit, 503, timeout, a
/// lost connection) is tried again with the wait options' growing interval until their
/// deadline, so that a failed look-up after a lost answer does not pass for "nothing there".
/// Another failure, or the last retryable one at the deadline, is returned.
pub(crate) async fn until_known<T, L, F>(options: &WaitOptions, mut lookup: L) -> Result<T>
where
    L: FnMut() -> F,
    F: std::future::Future<Output = Result<T>>,
{
    let outcome = crate::wait::wait_for(
        options,
        || {
            let looked = lookup();
            async move {
                match looked.await {
                    Ok(found) => Ok(Ok(found)),
                    Err(e) if e.is_retryable() => {
                        tracing::warn!(error = %e, "a look-up failed; trying again until its outcome is known");
                        Ok(Err(e))
                    }
                    Err(e) => Err(e),
                }
            }
        },
        |looked: &Result<T>| match looked {
            Ok(_) => crate::wait::Status::Reached,
            Err(_) => crate::wait::Status::Pending,
        },
    )
    .await?;
    match outcome {
        Outcome::Reached(looked) | Outcome::Failed(looked) | Outcome::TimedOut { last: looked, .. } => looked,
    }
}

/// Creates something exactly once: `post` is sent; if its outcome is unknown (a lost answer, a
/// timeout, a 5xx that may have been applied), `lookup` (run [`until_known`]) decides: what it
/// finds is the result, and only when it finds nothing is `post` sent again, at most
/// [`CREATE_ATTEMPTS`] times in all. `lookup` must find exactly what `post` makes (a unique
/// token tag, a name under a process lock, a server's NIC on a network).
pub(crate) async fn create_once<T, P, PF, L, LF>(
    options: &WaitOptions,
    what: &str,
    mut post: P,
    mut lookup: L,
) -> Result<T>
where
    P: FnMut() -> PF,
    PF: std::future::Future<Output = Result<T>>,
    L: FnMut() -> LF,
    LF: std::future::Future<Output = Result<Option<T>>>,
{
    let mut attempt = 1;
    loop {
        let e = match post().await {
            Ok(made) => return Ok(made),
            Err(e) if !e.may_have_been_applied() => return Err(e),
            Err(e) => e,
        };
        if let Some(made) = until_known(options, &mut lookup).await? {
            tracing::info!(what, "found what a create whose answer was lost made");
            return Ok(made);
        }
        if attempt == CREATE_ATTEMPTS {
            return Err(e);
        }
        tracing::warn!(what, error = %e, "a create was not applied; sending it again");
        attempt += 1;
    }
}

/// A resource to wait for: what it is called in errors, and its id.
pub(crate) struct Awaited<'a> {
    /// The API's name for the kind (`instance_image`, `snapshot`, ...), for [`Error::NotFound`].
    pub resource: &'static str,
    /// Its id.
    pub id: &'a str,
    /// What is awaited, e.g. `image 1a2b… to be available`.
    pub what: String,
}

/// Polls `get` (the resource, `None` once gone) until `classify` says so. A resource that
/// disappears meanwhile ends the wait with [`Error::NotFound`]; a failed state with
/// [`Error::FailedState`], the deadline with [`Error::WaitTimeout`]; `describe` names states.
pub(crate) async fn wait_existing<T, F, Fut>(
    options: &WaitOptions,
    awaited: Awaited<'_>,
    get: F,
    classify: impl Fn(&T) -> crate::wait::Status,
    describe: impl Fn(&T) -> String,
) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Option<T>>>,
{
    let outcome = crate::wait::wait_for(options, get, |state: &Option<T>| {
        state.as_ref().map_or(crate::wait::Status::Failed, &classify)
    })
    .await?;
    not_gone(&outcome, awaited.resource, awaited.id)?;
    let describe = |state: &Option<T>| state.as_ref().map_or("deleted".into(), &describe);
    reached(outcome, awaited.what, describe)?.ok_or_else(|| Error::not_found(awaited.resource, awaited.id))
}

/// A resource that disappeared while one of its states was awaited is [`Error::NotFound`], as
/// the waits document (their polls classify a missing resource as failed, and [`reached`] alone
/// would report it as a failed state named `deleted`).
pub(crate) fn not_gone<T>(outcome: &Outcome<Option<T>>, resource: &str, id: &str) -> Result<()> {
    match outcome {
        Outcome::Failed(None) => Err(Error::not_found(resource, id)),
        _ => Ok(()),
    }
}

/// Scaleway ids are UUIDs; anything else (a name, a path with `/`) is refused before it reaches
/// a URL.
pub(crate) fn check_id(field: &'static str, id: &str) -> Result<()> {
    if id.len() == 36 && uuid::Uuid::try_parse(id).is_ok() {
        Ok(())
    } else {
        Err(Error::invalid_input(
            field,
            format!("`{}` is not a UUID", id.escape_debug()),
        ))
    }
}

/// Resource names: not empty, at most 255 characters, no control characters.
pub(crate) fn check_name(field: &'static str, name: &str) -> Result<()> {
    if name.trim().is_empty() {
        return Err(Error::invalid_input(field, "must not be empty"));
    }
    if name.chars().count() > 255 {
        return Err(Error::invalid_input(field, "must be at most 255 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::invalid_input(field, "must not contain control characters"));
    }
    Ok(())
}

/// Tags: not empty, no comma (the Instance API's tag filter splits on it).
pub(crate) fn check_tag(tag: &str) -> Result<()> {
    if tag.is_empty() || tag.contains(',') {
        return Err(Error::invalid_input(
            "tag",
            format!("`{}` must be non-empty and contain no comma", tag.escape_debug()),
        ));
    }
    Ok(())
}

/// Tags a caller gives a new resource: [`check_tag`], and not the create-token prefix, which
/// marks what a create made and decides what a delete removes.
pub(crate) fn check_user_tag(tag: &str) -> Result<()> {
    check_tag(tag)?;
    if tag.starts_with(CREATE_TOKEN_TAG) {
        return Err(Error::invalid_input(
            "tag",
            format!("`{tag}` must not start with `{CREATE_TOKEN_TAG}`"),
        ));
    }
    Ok(())
}

/// A unique tag value marking one create request, so that a create whose answer was lost can
/// find what it made instead of making a second one.
pub(crate) fn create_token() -> String {
    format!("{CREATE_TOKEN_TAG}={}", uuid::Uuid::new_v4())
}

/// The zones Block Storage is not offered in: servers there boot from local volumes.
const ZONES_WITHOUT_BLOCK_STORAGE: &[&str] = &["it-mil-1"];

/// Whether the zone offers Block Storage volumes.
pub fn offers_block_storage(zone: &Zone) -> bool {
    !ZONES_WITHOUT_BLOCK_STORAGE.contains(&zone.as_str())
}
