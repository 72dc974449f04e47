//! The simulator's state: one map per resource type, transitions computed lazily from the time of
//! each step.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::time::Instant;

/// What exists in the simulator, to check that a test left nothing behind.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// Instance servers (all zones).
    pub servers: Vec<String>,
    /// Block volumes and Instance (local) volumes.
    pub volumes: Vec<String>,
    /// Instance IPs: flexible ones and the dynamic ones of running servers.
    pub ips: Vec<String>,
    /// Security groups created through the API (not the projects' default groups).
    pub security_groups: Vec<String>,
    /// Private NICs with the private IPv4 each was given.
    pub private_nics: Vec<InventoryNic>,
    /// VPC private networks.
    pub private_networks: Vec<String>,
    /// VPCs that are not a region's default VPC.
    pub vpcs: Vec<String>,
    /// Projects created through the Account API (not the ones the simulator started with).
    pub projects: Vec<String>,
    /// IPAM addresses booked through the IPAM API (`BookIP`). The addresses of private NICs are
    /// not listed: they come and go with their NIC.
    #[serde(default)]
    pub ipam_ips: Vec<String>,
    /// Block snapshots and Instance snapshots.
    #[serde(default)]
    pub snapshots: Vec<String>,
    /// Instance images created through the API (not the marketplace's).
    #[serde(default)]
    pub images: Vec<String>,
    /// Instance placement groups.
    #[serde(default)]
    pub placement_groups: Vec<String>,
    /// VPC routes created through the API.
    #[serde(default)]
    pub vpc_routes: Vec<String>,
    /// VPC ingress rules.
    #[serde(default)]
    pub ingress_rules: Vec<String>,
    /// VPC connectors.
    #[serde(default)]
    pub vpc_connectors: Vec<String>,
}

/// A private NIC in the [`Inventory`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct InventoryNic {
    /// NIC id.
    pub id: String,
    /// Its server.
    pub server_id: String,
    /// Its private network.
    pub private_network_id: String,
    /// The IPv4 address given to it from the private network's subnet.
    pub private_ipv4: String,
}

impl Inventory {
    /// Whether nothing is left.
    pub fn is_empty(&self) -> bool {
        self.total() == 0
    }

    /// How many resources in all.
    pub fn total(&self) -> usize {
        self.servers.len()
            + self.volumes.len()
            + self.ips.len()
            + self.security_groups.len()
            + self.private_nics.len()
            + self.private_networks.len()
            + self.vpcs.len()
            + self.projects.len()
            + self.ipam_ips.len()
            + self.snapshots.len()
            + self.images.len()
            + self.placement_groups.len()
            + self.vpc_routes.len()
            + self.ingress_rules.len()
            + self.vpc_connectors.len()
    }
}

/// The kind of a [`Created`] resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreatedKind {
    /// An Instance server.
    Server,
    /// A Block Storage volume (made through Block, or with a server).
    BlockVolume,
    /// An Instance local volume.
    InstanceVolume,
    /// An Instance IP: flexible, or the dynamic IPv4 of a server at power-on.
    Ip,
    /// A security group (a project's default one too, made the first time it is needed).
    SecurityGroup,
    /// A private NIC.
    PrivateNic,
    /// A VPC private network.
    PrivateNetwork,
    /// A VPC (a region's default one too, made the first time it is needed).
    Vpc,
    /// A project.
    Project,
    /// An IPAM address (booked for a private NIC, or through `BookIP`).
    IpamIp,
}

/// One resource the simulator created, as it was created: the [`CreationLog`] keeps every one,
/// deleted or not, so that a test can check that no duplicate ever existed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Created {
    /// What it is.
    pub kind: CreatedKind,
    /// Its id.
    pub id: String,
    /// Its project.
    pub project: String,
    /// Its zone (Instance and Block resources) or region (VPC and IPAM ones); empty for a project.
    pub place: String,
    /// Its name (empty for what has none: IPs, NICs, IPAM addresses).
    pub name: String,
    /// Its tags at creation.
    pub tags: Vec<String>,
    /// The server of a private NIC, of a dynamic IP, or of a volume made with a server.
    pub server_id: Option<String>,
    /// The private network of a private NIC or an IPAM address.
    pub private_network_id: Option<String>,
}

/// Every resource the simulator created since it started, in order.
pub type CreationLog = Vec<Created>;

impl Created {
    /// A record with the fields every kind has.
    pub(crate) fn new(
        kind: CreatedKind,
        id: &str,
        project: &str,
        place: &str,
        name: &str,
        tags: &[String],
    ) -> Created {
        Created {
            kind,
            id: id.to_string(),
            project: project.to_string(),
            place: place.to_string(),
            name: name.to_string(),
            tags: tags.to_vec(),
            server_id: None,
            private_network_id: None,
        }
    }

    /// The same record with the server it was made for.
    pub(crate) fn server(mut self, server_id: Option<&str>) -> Created {
        self.server_id = server_id.map(str::to_string);
        self
    }

    /// The same record with its private network.
    pub(crate) fn network(mut self, network_id: &str) -> Created {
        self.private_network_id = Some(network_id.to_string());
        self
    }
}

/// One step of a transition: at `at`, the resource shows `state`/`detail`.
#[derive(Debug, Clone)]
pub(crate) struct Step {
    pub at: Instant,
    pub state: &'static str,
    pub detail: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Completion {
    None,
    /// The server is gone at the end of the transition.
    Terminate,
    /// Poweroff finished: release the dynamic IP.
    Stopped,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum VolKind {
    Local,
    Block,
}

#[derive(Debug, Clone)]
pub(crate) struct VolRef {
    pub id: String,
    pub kind: VolKind,
    pub boot: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Server {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub zone: String,
    pub project: String,
    pub organization: String,
    pub commercial_type: String,
    pub arch: String,
    pub boot_type: String,
    pub image: Option<Value>,
    pub tags: Vec<String>,
    pub state: &'static str,
    pub detail: &'static str,
    pub steps: VecDeque<Step>,
    pub completion: Completion,
    pub volumes: BTreeMap<u32, VolRef>,
    pub dynamic_ip_required: bool,
    pub routed_ip_enabled: bool,
    pub enable_ipv6: bool,
    pub protected: bool,
    pub public_ips: Vec<String>,
    pub security_group: String,
    pub user_data: BTreeMap<String, String>,
    pub mac: String,
    pub created: String,
    pub modified: String,
    pub location: Option<Value>,
    pub placement_group: Option<String>,
    /// File Storage file systems attached to the server, by id (the spec's `filesystems`).
    pub filesystems: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct InstanceVolume {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub zone: String,
    pub project: String,
    pub organization: String,
    pub volume_type: String,
    pub size: u64,
    pub server: Option<String>,
    pub deleting: bool,
    pub tags: Vec<String>,
    pub created: String,
    pub modified: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Reference {
    pub id: String,
    pub server_id: String,
    pub created: String,
    /// `attaching`, `attached` or `detaching`.
    pub status: &'static str,
    /// When an `attaching` reference becomes `attached`, or a `detaching` one goes away.
    pub settles_at: Option<Instant>,
}

/// A Block volume's new specs or size, shown once the volume leaves `updating`.
#[derive(Debug, Clone)]
pub(crate) struct SpecUpdate {
    pub until: Instant,
    pub size: u64,
    pub iops: u64,
    /// The `updated_at` the volume shows afterwards: the time of the PATCH (recorded).
    pub stamped: String,
}

/// Seconds a Block volume stays `updating` after a PATCH of its size or IOPS (recorded: still
/// `updating` right after the PATCH, `available` with the new values at the next poll 5 s later).
pub(crate) const UPDATE_SECONDS: f64 = 5.0;

#[derive(Debug, Clone)]
pub(crate) struct BlockVolume {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub zone: String,
    pub project: String,
    pub size: u64,
    pub iops: u64,
    pub tags: Vec<String>,
    pub reference: Option<Reference>,
    pub creating_until: Option<Instant>,
    /// A PATCH of size or IOPS in progress: the volume shows `updating` and its old values.
    pub update: Option<SpecUpdate>,
    pub parent_snapshot_id: Option<String>,
    pub last_detached_at: Option<String>,
    pub created: String,
    pub updated: String,
}

/// Seconds a Block snapshot stays `creating` (recorded: `available` at the next poll, 5 s later,
/// for most).
pub(crate) const BLOCK_SNAPSHOT_SECONDS: f64 = 5.0;
/// Seconds an Instance snapshot of a local volume stays `snapshotting` (recorded: 10 s to a
/// minute and more, 40 s typically).
pub(crate) const INSTANCE_SNAPSHOT_SECONDS: f64 = 40.0;
/// Seconds an Instance snapshot stays `exporting` after an export to Object Storage (recorded:
/// 44 s and 46 s for 10 GB snapshots, polled every 5 s).
pub(crate) const EXPORT_SNAPSHOT_SECONDS: f64 = 45.0;
/// Seconds an Instance snapshot made from an Object Storage object stays `importing` (recorded:
/// 28 s for a 10 GB image, polled every 5 s).
pub(crate) const IMPORT_SNAPSHOT_SECONDS: f64 = 30.0;
/// Seconds a volume moved from the Instance API to Block Storage shows `updating` there, and a
/// moved snapshot `creating`: only the resource's management moves, its data stays where it is,
/// so the move is short; a few polls of a client waiting for it.
pub(crate) const BLOCK_MIGRATION_SECONDS: f64 = 10.0;
/// IOPS a `b_ssd` volume shows once in Block Storage: its performance does not change with the
/// move, and Block Storage's lowest class (`sbs_5k`) is the one that matches it.
pub(crate) const MIGRATED_B_SSD_IOPS: u64 = 5000;

/// The volume a Block snapshot was taken from, as it was then.
#[derive(Debug, Clone)]
pub(crate) struct ParentVolume {
    pub id: String,
    pub name: String,
    pub iops: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct BlockSnapshot {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub zone: String,
    pub project: String,
    pub size: u64,
    pub tags: Vec<String>,
    pub parent_volume: Option<ParentVolume>,
    pub creating_until: Option<Instant>,
    pub created: String,
    pub updated: String,
    /// Whether the snapshot is shared publicly (Block v1 only shows it).
    pub public: bool,
    /// An export to Object Storage in progress: the snapshot shows `exporting` until then.
    pub exporting_until: Option<Instant>,
}

#[derive(Debug, Clone)]
pub(crate) struct InstanceSnapshot {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub zone: String,
    pub project: String,
    pub organization: String,
    pub volume_type: String,
    pub size: u64,
    /// The volume it was taken from: id and name.
    pub base_volume: Option<(String, String)>,
    pub tags: Vec<String>,
    pub snapshotting_until: Option<Instant>,
    pub created: String,
    pub modified: String,
    /// An export to Object Storage in progress: the snapshot shows `exporting` until then.
    pub exporting_until: Option<Instant>,
    /// An import from Object Storage in progress: the snapshot shows `importing` until then.
    pub importing_until: Option<Instant>,
}

/// An Instance image made through the API from a snapshot (Instance or Block).
#[derive(Debug, Clone)]
pub(crate) struct Image {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub zone: String,
    pub project: String,
    pub organization: String,
    pub arch: String,
    /// The root snapshot's id.
    pub root_snapshot: String,
    pub public: bool,
    pub tags: Vec<String>,
    pub created: String,
    pub modified: String,
}

#[derive(Debug, Clone)]
pub(crate) struct PlacementGroup {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub zone: String,
    pub project: String,
    pub organization: String,
    pub policy_mode: String,
    pub policy_type: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Ip {
    pub id: String,
    pub seq: u64,
    /// An IPv4 address, or the address a routed IPv6 gives its server (in its prefix).
    pub address: String,
    /// The /64 of a routed IPv6.
    pub prefix: Option<String>,
    pub zone: String,
    pub project: String,
    pub organization: String,
    pub ip_type: String,
    pub server: Option<String>,
    pub dynamic: bool,
    pub reverse: Option<String>,
    pub tags: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Rule {
    pub id: String,
    pub protocol: String,
    pub direction: String,
    pub action: String,
    pub ip_range: String,
    pub dest_ip_range: Option<String>,
    pub dest_port_from: Option<u64>,
    pub dest_port_to: Option<u64>,
    pub position: u64,
}

#[derive(Debug, Clone)]
pub(crate) struct SecurityGroup {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub description: Option<String>,
    pub zone: String,
    pub project: String,
    pub organization: String,
    pub stateful: bool,
    pub inbound_default_policy: String,
    pub outbound_default_policy: String,
    pub project_default: bool,
    pub enable_default_security: bool,
    pub tags: Vec<String>,
    pub rules: Vec<Rule>,
    pub created: String,
    pub modified: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Nic {
    pub id: String,
    pub seq: u64,
    pub server_id: String,
    pub private_network_id: String,
    pub zone: String,
    pub mac: String,
    pub tags: Vec<String>,
    pub ipv4: u32,
    pub ipam_ip_ids: Vec<String>,
    pub syncing_until: Option<Instant>,
    pub created: String,
    pub modified: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Subnet {
    pub id: String,
    pub subnet: String,
    pub created: String,
}

#[derive(Debug, Clone)]
pub(crate) struct PrivateNetwork {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub region: String,
    pub project: String,
    pub organization: String,
    pub vpc_id: String,
    pub tags: Vec<String>,
    /// An IPv4 and an IPv6 subnet; the addresses booked in them are in [`Store::ipam`].
    pub subnets: Vec<Subnet>,
    pub default_route_propagation_enabled: bool,
    pub created: String,
    pub updated: String,
    pub dhcp_enabled: bool,
    /// Reaches Object Storage through its VPC's private access (formerly "S3 integration").
    pub object_storage_private_access: bool,
}

/// An address booked in IPAM: one of the two addresses of a private NIC, or one booked through
/// `BookIP`. The addresses in use in a subnet are exactly the IPAM addresses of that subnet.
#[derive(Debug, Clone)]
pub(crate) struct IpamIp {
    pub id: String,
    pub seq: u64,
    pub address: IpAddr,
    /// Prefix length of the subnet, shown after the address (`172.16.4.2/22`).
    pub prefix: u8,
    pub project: String,
    pub region: String,
    pub private_network_id: String,
    pub subnet_id: String,
    pub resource: Option<IpamResource>,
    pub tags: Vec<String>,
    pub reverses: Vec<IpamReverse>,
    pub created: String,
    pub updated: String,
}

impl IpamIp {
    pub fn is_ipv6(&self) -> bool {
        self.address.is_ipv6()
    }

    /// The address with its prefix length, as IPAM shows every address.
    pub fn cidr(&self) -> String {
        format!("{}/{}", self.address, self.prefix)
    }
}

/// What an IPAM address is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IpamResource {
    /// `instance_private_nic`, `custom`, ...
    pub kind: String,
    pub id: String,
    pub mac: Option<String>,
    pub name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct IpamReverse {
    pub hostname: String,
    pub address: Option<String>,
}

/// What to book in IPAM.
#[derive(Debug, Clone)]
pub(crate) struct Booking {
    pub private_network_id: String,
    pub is_ipv6: bool,
    /// A chosen address; the first free one when `None`.
    pub address: Option<IpAddr>,
    pub project: String,
    pub tags: Vec<String>,
    pub resource: Option<IpamResource>,
}

/// Why an address could not be booked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BookingError {
    /// No such private network, or it has no subnet of that family.
    NoSubnet,
    /// The chosen address is not a host address of the subnet (network, gateway, broadcast, or
    /// outside).
    NotInSubnet,
    /// The chosen address is already booked.
    Taken,
    /// Every host address of the subnet is booked.
    Exhausted,
}

#[derive(Debug, Clone)]
pub(crate) struct Vpc {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub region: String,
    pub project: String,
    pub organization: String,
    pub is_default: bool,
    pub tags: Vec<String>,
    pub created: String,
    pub updated: String,
    pub routing_enabled: bool,
    pub custom_routes_propagation_enabled: bool,
    /// Object Storage private access (formerly "S3 integration") is on for the VPC.
    pub object_storage_private_access: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct Project {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub description: String,
    pub organization: String,
    pub initial: bool,
    pub created: String,
    pub updated: String,
}

/// The account the simulator serves: the one secret key it accepts, and the default project
/// and organization.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub secret_key: String,
    pub project_id: String,
    pub organization_id: String,
}

// ---- VPC routing: routes, ACLs, ingress rules and VPC connectors ----

/// A custom route of a VPC: traffic to `destination` goes to the nexthop.
#[derive(Debug, Clone)]
pub(crate) struct VpcRoute {
    pub id: String,
    pub seq: u64,
    pub vpc_id: String,
    pub region: String,
    pub description: String,
    pub tags: Vec<String>,
    /// Canonical CIDR.
    pub destination: String,
    pub nexthop_resource_id: Option<String>,
    pub nexthop_private_network_id: Option<String>,
    pub nexthop_vpc_connector_id: Option<String>,
    pub created: String,
    pub updated: String,
}

/// The ACL of a VPC for one IP version: rules as the API shows them, and the default policy.
#[derive(Debug, Clone)]
pub(crate) struct VpcAcl {
    pub rules: Vec<serde_json::Value>,
    pub default_policy: String,
}

/// Traffic entering a VPC from `source` goes to an address of one of its private networks.
#[derive(Debug, Clone)]
pub(crate) struct IngressRule {
    pub id: String,
    pub seq: u64,
    pub vpc_id: String,
    pub region: String,
    pub project: String,
    pub organization: String,
    /// Canonical CIDR.
    pub source: String,
    pub nexthop_resource_ip: String,
    pub nexthop_private_network_id: String,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub created: String,
    pub updated: String,
}

/// One side of a peering between two VPCs; the peering is up when the target VPC has the
/// connector back.
#[derive(Debug, Clone)]
pub(crate) struct VpcConnector {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub region: String,
    pub project: String,
    pub organization: String,
    pub vpc_id: String,
    pub target_vpc_id: String,
    pub tags: Vec<String>,
    pub created: String,
    pub updated: String,
}

#[derive(Debug, Default)]
pub(crate) struct Store {
    pub organization: String,
    pub default_project: String,
    pub extra_projects: Vec<String>,
    pub seq: u64,
    pub projects: HashMap<String, Project>,
    pub servers: HashMap<String, Server>,
    pub ivolumes: HashMap<String, InstanceVolume>,
    pub bvolumes: HashMap<String, BlockVolume>,
    pub ips: HashMap<String, Ip>,
    pub sgs: HashMap<String, SecurityGroup>,
    pub nics: HashMap<String, Nic>,
    pub pns: HashMap<String, PrivateNetwork>,
    pub vpcs: HashMap<String, Vpc>,
    pub ipam: HashMap<String, IpamIp>,
    pub bsnapshots: HashMap<String, BlockSnapshot>,
    pub isnapshots: HashMap<String, InstanceSnapshot>,
    pub images: HashMap<String, Image>,
    pub placement_groups: HashMap<String, PlacementGroup>,
    /// Block and Instance snapshots still being made.
    pub pending_snapshots: BTreeSet<String>,
    pub pending_servers: BTreeSet<String>,
    pub pending_volumes: BTreeSet<String>,
    pub pending_nics: BTreeSet<String>,
    pub ip_counter: u32,
    pub ipv6_counter: u32,
    pub mac_counter: u32,
    pub subnet_counter: u32,
    /// Every resource ever created, in order.
    pub created: CreationLog,
    /// The durations of transitions, drawn as they start.
    pub timings: crate::timings::Timings,
    /// The Object Storage objects snapshots (Block or Instance) were exported to: (bucket, key)
    /// → size in bytes, so that an import of that object, by either API, makes a snapshot of the
    /// same size.
    pub exported_objects: HashMap<(String, String), u64>,
    /// Account contract signatures.
    pub contract_signatures: HashMap<String, ContractSignature>,
    /// Projects' qualifications set through the Account API (a project without one shows the
    /// `unknown_architecture_type` qualification).
    pub project_qualifications: HashMap<String, Value>,
    pub vpc_routes: HashMap<String, VpcRoute>,
    /// By VPC id and IP version (`true` for IPv6).
    pub vpc_acls: HashMap<(String, bool), VpcAcl>,
    pub ingress_rules: HashMap<String, IngressRule>,
    pub vpc_connectors: HashMap<String, VpcConnector>,
}

/// Instance-style timestamp: `2026-07-30T12:53:14.841115+00:00`.
pub(crate) fn instance_time() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.6f+00:00")
        .to_string()
}

/// Timestamp of the other APIs: `2026-07-30T12:53:14.344463Z`.
pub(crate) fn api_time() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

pub(crate) fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub(crate) fn ipv4(n: u32) -> String {
    std::net::Ipv4Addr::from(n).to_string()
}

impl Store {
    pub fn new(credentials: &Credentials, extra_projects: &[String], seed: u64) -> Store {
        let mut store = Store {
            organization: credentials.organization_id.clone(),
            default_project: credentials.project_id.clone(),
            timings: crate::timings::Timings::new(seed),
            ..Store::default()
        };
        let id = credentials.project_id.clone();
        store.add_project(id, "default".into(), String::new(), true);
        for name in extra_projects {
            let id = new_id();
            store.extra_projects.push(id.clone());
            store.add_project(id, name.clone(), String::new(), true);
        }
        store
    }

    pub fn add_project(&mut self, id: String, name: String, description: String, initial: bool) {
        let seq = self.next_seq();
        let now = api_time();
        self.record(Created::new(CreatedKind::Project, &id, &id, "", &name, &[]));
        self.projects.insert(
            id.clone(),
            Project {
                id,
                seq,
                name,
                description,
                organization: self.organization.clone(),
                initial,
                created: now.clone(),
                updated: now,
            },
        );
    }

    pub fn initial_extra_projects(&self) -> Vec<String> {
        self.extra_projects.clone()
    }

    /// Adds a resource to the creation log.
    pub fn record(&mut self, created: Created) {
        self.created.push(created);
    }

    /// Notes in the creation log the server a resource was made with (a server's Block volume,
    /// made before it is attached).
    pub fn record_server_of(&mut self, id: &str, server_id: &str) {
        if let Some(created) = self.created.iter_mut().rev().find(|c| c.id == id) {
            created.server_id = Some(server_id.to_string());
        }
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn next_public_address(&mut self) -> String {
        self.ip_counter += 1;
        // 51.158.0.0/16, skipping .0 and .255 host bytes.
        let n = self.ip_counter;
        let host = n % 254 + 1;
        let third = (n / 254) % 256;
        let second = 158 + n / (254 * 256);
        format!("51.{second}.{third}.{host}")
    }

    /// A routed IPv6 /64 from 2001:bc8:711::/48, and the address a server gets in it.
    pub fn next_ipv6_prefix(&mut self) -> (String, String) {
        self.ipv6_counter += 1;
        let n = self.ipv6_counter;
        (
            format!("2001:bc8:711:{n:x}::/64"),
            format!("2001:bc8:711:{n:x}:dc00:1ff:fe27:{n:x}"),
        )
    }

    /// Whether an Instance or Block snapshot is still being made.
    pub fn snapshot_pending(&self, id: &str) -> bool {
        self.isnapshots
            .get(id)
            .is_some_and(|s| s.snapshotting_until.is_some())
            || self
                .bsnapshots
                .get(id)
                .is_some_and(|s| s.creating_until.is_some())
    }

    pub fn next_mac(&mut self, prefix: &str) -> String {
        self.mac_counter += 1;
        let n = self.mac_counter;
        format!(
            "{prefix}:{:02x}:{:02x}:{:02x}",
            (n >> 16) & 0xff,
            (n >> 8) & 0xff,
            n & 0xff
        )
    }

    /// Whether `project` exists (a known project of the organization).
    pub fn project_known(&self, project: &str) -> bool {
        self.projects.contains_key(project)
    }

    /// Applies every step that is due at `now`.
    pub fn tick(&mut self, now: Instant) {
        if !self.pending_servers.is_empty() {
            let ids: Vec<String> = self.pending_servers.iter().cloned().collect();
            for id in ids {
                let Some(server) = self.servers.get_mut(&id) else {
                    self.pending_servers.remove(&id);
                    continue;
                };
                while server.steps.front().is_some_and(|s| s.at <= now) {
                    let step = server.steps.pop_front().unwrap_or_else(|| unreachable!());
                    server.state = step.state;
                    server.detail = step.detail;
                    server.modified = instance_time();
                    server.location = match step.state {
                        "running" | "stopped in place" => Some(location(&server.zone)),
                        "starting" if step.detail != "allocating node" => Some(location(&server.zone)),
                        "stopped" => None,
                        _ => server.location.take(),
                    };
                }
                if server.steps.is_empty() {
                    let completion = std::mem::replace(&mut server.completion, Completion::None);
                    self.pending_servers.remove(&id);
                    match completion {
                        Completion::Terminate => self.finish_terminate(&id),
                        Completion::Stopped => self.release_dynamic_ips(&id),
                        Completion::None => {}
                    }
                }
            }
        }
        if !self.pending_volumes.is_empty() {
            let ids: Vec<String> = self.pending_volumes.iter().cloned().collect();
            for id in ids {
                let Some(v) = self.bvolumes.get_mut(&id) else {
                    self.pending_volumes.remove(&id);
                    continue;
                };
                let mut waiting = false;
                match v.creating_until {
                    Some(t) if t > now => waiting = true,
                    Some(_) => {
                        v.creating_until = None;
                        v.updated = api_time();
                    }
                    None => {}
                }
                match v.update.as_ref().map(|u| u.until) {
                    Some(t) if t > now => waiting = true,
                    Some(_) => {
                        if let Some(u) = v.update.take() {
                            v.size = u.size;
                            v.iops = u.iops;
                            v.updated = u.stamped;
                        }
                    }
                    None => {}
                }
                match v.reference.as_ref().and_then(|r| r.settles_at) {
                    Some(t) if t > now => waiting = true,
                    Some(_) => {
                        let detached = v.reference.as_ref().is_some_and(|r| r.status == "detaching");
                        if detached {
                            v.reference = None;
                            v.last_detached_at = Some(api_time());
                        } else if let Some(r) = v.reference.as_mut() {
                            r.status = "attached";
                            r.settles_at = None;
                        }
                        v.updated = api_time();
                    }
                    None => {}
                }
                if !waiting {
                    self.pending_volumes.remove(&id);
                }
            }
        }
        if !self.pending_snapshots.is_empty() {
            self.tick_snapshots(now);
        }
        if !self.pending_nics.is_empty() {
            let ids: Vec<String> = self.pending_nics.iter().cloned().collect();
            for id in ids {
                match self.nics.get_mut(&id) {
                    Some(n) if n.syncing_until.is_some_and(|t| t > now) => {}
                    Some(n) => {
                        n.syncing_until = None;
                        n.modified = instance_time();
                        self.pending_nics.remove(&id);
                    }
                    None => {
                        self.pending_nics.remove(&id);
                    }
                }
            }
        }
    }

    /// Snapshots that are done become available.
    fn tick_snapshots(&mut self, now: Instant) {
        let ids: Vec<String> = self.pending_snapshots.iter().cloned().collect();
        for id in ids {
            let mut waiting = false;
            if let Some(s) = self.bsnapshots.get_mut(&id) {
                match s.creating_until {
                    Some(t) if t > now => waiting = true,
                    Some(_) => {
                        s.creating_until = None;
                        s.updated = api_time();
                    }
                    None => {}
                }
            }
            if let Some(s) = self.isnapshots.get_mut(&id) {
                match s.snapshotting_until {
                    Some(t) if t > now => waiting = true,
                    Some(_) => {
                        s.snapshotting_until = None;
                        s.modified = instance_time();
                    }
                    None => {}
                }
            }
            if !waiting {
                self.pending_snapshots.remove(&id);
            }
        }
    }

    /// Schedules a transition: the first step now, the others after the given delays.
    pub fn transition(
        &mut self,
        id: &str,
        now: Instant,
        scale: f64,
        steps: &[(f64, &'static str, &'static str)],
        completion: Completion,
    ) {
        let Some(server) = self.servers.get_mut(id) else {
            return;
        };
        server.steps = steps
            .iter()
            .map(|(secs, state, detail)| Step {
                at: now + scaled(*secs, scale),
                state,
                detail,
            })
            .collect();
        // The first step is visible at once.
        if let Some(first) = server.steps.pop_front() {
            server.state = first.state;
            server.detail = first.detail;
        }
        server.completion = completion;
        server.modified = instance_time();
        self.pending_servers.insert(id.to_string());
        self.tick(now);
    }

    /// Detaches and forgets what a terminated server held. Its Block volumes are free the moment
    /// the server is gone (`available`, no reference), as recorded after a terminate; they show
    /// `attached` while it is `terminating`. (After a DELETE of a stopped server, they are
    /// `detaching` first, as recorded: up to 5 s, [`TransitionKind::DetachOnDelete`](crate::timings::TransitionKind::DetachOnDelete).)
    fn finish_terminate(&mut self, id: &str) {
        let Some(server) = self.servers.remove(id) else {
            return;
        };
        for vol in server.volumes.values() {
            match vol.kind {
                VolKind::Local => {
                    self.ivolumes.remove(&vol.id);
                }
                VolKind::Block => self.detach_block(&vol.id, None),
            }
        }
        self.release_server_resources(&server);
    }

    /// After a DELETE or a terminate: IPs detached (dynamic ones released), NICs removed.
    pub fn release_server_resources(&mut self, server: &Server) {
        self.release_dynamic_ips(&server.id);
        for ip in self.ips.values_mut() {
            if ip.server.as_deref() == Some(server.id.as_str()) {
                ip.server = None;
            }
        }
        let nics: Vec<String> = self
            .nics
            .values()
            .filter(|n| n.server_id == server.id)
            .map(|n| n.id.clone())
            .collect();
        for nic in nics {
            self.remove_nic(&nic);
        }
    }

    pub fn release_dynamic_ips(&mut self, server_id: &str) {
        let dynamic: Vec<String> = self
            .ips
            .values()
            .filter(|ip| ip.dynamic && ip.server.as_deref() == Some(server_id))
            .map(|ip| ip.id.clone())
            .collect();
        for id in &dynamic {
            self.ips.remove(id);
        }
        if let Some(server) = self.servers.get_mut(server_id) {
            server.public_ips.retain(|ip| !dynamic.contains(ip));
        }
    }

    /// Removes a private NIC and releases its IPAM addresses.
    pub fn remove_nic(&mut self, nic_id: &str) {
        if let Some(nic) = self.nics.remove(nic_id) {
            for id in &nic.ipam_ip_ids {
                self.ipam.remove(id);
            }
        }
    }

    /// Books an address in the subnet of the private network's family (IPv4 or IPv6) and returns
    /// its IPAM id.
    pub fn book_ipam_in(
        &mut self,
        booking: Booking,
        subnet_id: Option<&str>,
    ) -> Result<String, BookingError> {
        let pn = self
            .pns
            .get(&booking.private_network_id)
            .ok_or(BookingError::NoSubnet)?;
        let (subnet_id, network, prefix) =
            booking_subnet(pn, &booking, subnet_id).ok_or(BookingError::NoSubnet)?;
        let region = pn.region.clone();
        let used: BTreeSet<IpAddr> = self
            .ipam
            .values()
            .filter(|ip| ip.subnet_id == subnet_id)
            .map(|ip| ip.address)
            .collect();
        let address = match booking.address {
            Some(wanted) => {
                if !is_host_address(network, prefix, wanted) {
                    return Err(BookingError::NotInSubnet);
                }
                if used.contains(&wanted) {
                    return Err(BookingError::Taken);
                }
                wanted
            }
            None => free_address(network, prefix, &used).ok_or(BookingError::Exhausted)?,
        };
        let seq = self.next_seq();
        let now = api_time();
        let id = new_id();
        self.record(
            Created::new(
                CreatedKind::IpamIp,
                &id,
                &booking.project,
                &region,
                "",
                &booking.tags,
            )
            .network(&booking.private_network_id),
        );
        self.ipam.insert(
            id.clone(),
            IpamIp {
                id: id.clone(),
                seq,
                address,
                prefix,
                project: booking.project,
                region,
                private_network_id: booking.private_network_id,
                subnet_id,
                resource: booking.resource,
                tags: booking.tags,
                reverses: Vec::new(),
                created: now.clone(),
                updated: now,
            },
        );
        Ok(id)
    }

    /// Detaches a Block volume: at once, or `detaching` until `settles_at` (the volume stays
    /// `in_use` meanwhile).
    pub fn detach_block(&mut self, volume_id: &str, settles_at: Option<Instant>) {
        let Some(v) = self.bvolumes.get_mut(volume_id) else {
            return;
        };
        let now = api_time();
        match (settles_at, v.reference.as_mut()) {
            (_, None) => return,
            (Some(at), Some(reference)) => {
                reference.status = "detaching";
                reference.settles_at = Some(at);
                self.pending_volumes.insert(volume_id.to_string());
            }
            (None, Some(_)) => {
                v.reference = None;
                v.last_detached_at = Some(now.clone());
            }
        }
        v.updated = now;
    }

    /// Attaches a Block volume: at once, or `attaching` until `settles_at`.
    pub fn attach_block(&mut self, volume_id: &str, server_id: &str, settles_at: Option<Instant>) {
        if let Some(v) = self.bvolumes.get_mut(volume_id) {
            let now = api_time();
            v.reference = Some(Reference {
                id: new_id(),
                server_id: server_id.to_string(),
                created: now.clone(),
                status: if settles_at.is_some() {
                    "attaching"
                } else {
                    "attached"
                },
                settles_at,
            });
            v.updated = now;
            if settles_at.is_some() {
                self.pending_volumes.insert(volume_id.to_string());
            }
        }
    }

    /// Whether a Block volume is still being attached.
    pub fn block_attaching(&self, volume_id: &str) -> bool {
        self.bvolumes
            .get(volume_id)
            .and_then(|v| v.reference.as_ref())
            .is_some_and(|r| r.status == "attaching")
    }

    /// The server a volume (Block or Instance) is attached to.
    pub fn volume_server(&self, volume_id: &str) -> Option<String> {
        if let Some(v) = self.bvolumes.get(volume_id) {
            return v.reference.as_ref().map(|r| r.server_id.clone());
        }
        self.ivolumes.get(volume_id).and_then(|v| v.server.clone())
    }

    pub fn inventory(&self) -> Inventory {
        fn sorted(mut v: Vec<String>) -> Vec<String> {
            v.sort();
            v
        }
        let mut nics: Vec<InventoryNic> = self
            .nics
            .values()
            .map(|n| InventoryNic {
                id: n.id.clone(),
                server_id: n.server_id.clone(),
                private_network_id: n.private_network_id.clone(),
                private_ipv4: ipv4(n.ipv4),
            })
            .collect();
        nics.sort_by(|a, b| a.id.cmp(&b.id));
        Inventory {
            servers: sorted(self.servers.keys().cloned().collect()),
            volumes: sorted(
                self.bvolumes
                    .keys()
                    .chain(self.ivolumes.keys())
                    .cloned()
                    .collect(),
            ),
            ips: sorted(self.ips.keys().cloned().collect()),
            security_groups: sorted(
                self.sgs
                    .values()
                    .filter(|g| !g.project_default)
                    .map(|g| g.id.clone())
                    .collect(),
            ),
            private_nics: nics,
            private_networks: sorted(self.pns.keys().cloned().collect()),
            vpcs: sorted(
                self.vpcs
                    .values()
                    .filter(|v| !v.is_default)
                    .map(|v| v.id.clone())
                    .collect(),
            ),
            projects: sorted(
                self.projects
                    .values()
                    .filter(|p| !p.initial)
                    .map(|p| p.id.clone())
                    .collect(),
            ),
            ipam_ips: sorted(
                self.ipam
                    .values()
                    .filter(|ip| ip.resource.as_ref().is_none_or(|r| r.kind != NIC_RESOURCE))
                    .map(|ip| ip.id.clone())
                    .collect(),
            ),
            snapshots: sorted(
                self.bsnapshots
                    .keys()
                    .chain(self.isnapshots.keys())
                    .cloned()
                    .collect(),
            ),
            images: sorted(self.images.keys().cloned().collect()),
            placement_groups: sorted(self.placement_groups.keys().cloned().collect()),
            vpc_routes: sorted(self.vpc_routes.keys().cloned().collect()),
            ingress_rules: sorted(self.ingress_rules.keys().cloned().collect()),
            vpc_connectors: sorted(self.vpc_connectors.keys().cloned().collect()),
        }
    }
}

/// The IPAM resource type of an Instance private NIC.
pub(crate) const NIC_RESOURCE: &str = "instance_private_nic";

/// `172.16.4.0/22` or `fd5c:1:2:3::/64` → network address (host bits cleared) and prefix length.
pub(crate) fn parse_cidr(text: &str) -> Option<(IpAddr, u8)> {
    let (address, prefix) = text.split_once('/')?;
    let address: IpAddr = address.parse().ok()?;
    let prefix: u8 = prefix.parse().ok()?;
    match address {
        IpAddr::V4(v4) if prefix <= 32 => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            Some((IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask)), prefix))
        }
        IpAddr::V6(v6) if prefix <= 128 => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            Some((IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask)), prefix))
        }
        _ => None,
    }
}

/// The host part of `address` in `network/prefix`, or `None` when it is outside.
fn host_part(network: IpAddr, prefix: u8, address: IpAddr) -> Option<u128> {
    let (net, addr, bits) = match (network, address) {
        (IpAddr::V4(n), IpAddr::V4(a)) => (u128::from(u32::from(n)), u128::from(u32::from(a)), 32),
        (IpAddr::V6(n), IpAddr::V6(a)) => (u128::from(n), u128::from(a), 128),
        _ => return None,
    };
    let host_bits = bits - u32::from(prefix);
    let host_mask = if host_bits >= 128 {
        u128::MAX
    } else {
        (1u128 << host_bits) - 1
    };
    (addr & !host_mask == net).then_some(addr & host_mask)
}

/// Whether an address can be given to a resource: inside the subnet, not the network address,
/// not the gateway (the first host, as on every Scaleway private network) and, in IPv4, not the
/// broadcast address.
fn is_host_address(network: IpAddr, prefix: u8, address: IpAddr) -> bool {
    let Some(host) = host_part(network, prefix, address) else {
        return false;
    };
    match network {
        IpAddr::V4(_) => host >= 2 && host < (1u128 << (32 - u32::from(prefix))) - 1,
        IpAddr::V6(_) => host >= 2,
    }
}

/// A free address: in IPv4 the lowest free host after the gateway (`.2`, then `.3`, as the API
/// gives them); in IPv6 a random interface identifier, as the API's addresses are.
fn free_address(network: IpAddr, prefix: u8, used: &BTreeSet<IpAddr>) -> Option<IpAddr> {
    match network {
        IpAddr::V4(n) => {
            let base = u32::from(n);
            let hosts = 1u64 << (32 - u32::from(prefix));
            (2..hosts.saturating_sub(1))
                .map(|h| IpAddr::V4(Ipv4Addr::from(base + h as u32)))
                .find(|a| !used.contains(a))
        }
        IpAddr::V6(n) => {
            let host_bits = 128 - u32::from(prefix);
            let host_mask = if host_bits >= 128 {
                u128::MAX
            } else {
                (1u128 << host_bits) - 1
            };
            // A /64 has 2^64 hosts: a few random draws always find a free one.
            (0..64).find_map(|_| {
                let host = uuid::Uuid::new_v4().as_u128() & host_mask;
                let address = IpAddr::V6(Ipv6Addr::from(u128::from(n) | host));
                (host >= 2 && !used.contains(&address)).then_some(address)
            })
        }
    }
}

impl Store {
    #[allow(clippy::too_many_arguments)]
    /// A new Block volume, `creating` until `creating_until`.
    pub(crate) fn new_block_volume(
        &mut self,
        name: &str,
        zone: &str,
        project: &str,
        size: u64,
        iops: u64,
        tags: Vec<String>,
        parent_snapshot_id: Option<String>,
        creating_until: Instant,
    ) -> String {
        let seq = self.next_seq();
        let now = api_time();
        let id = new_id();
        self.record(Created::new(
            CreatedKind::BlockVolume,
            &id,
            project,
            zone,
            name,
            &tags,
        ));
        self.bvolumes.insert(
            id.clone(),
            BlockVolume {
                id: id.clone(),
                seq,
                name: name.to_string(),
                zone: zone.to_string(),
                project: project.to_string(),
                size,
                iops,
                tags,
                reference: None,
                creating_until: Some(creating_until),
                update: None,
                parent_snapshot_id,
                last_detached_at: None,
                created: now.clone(),
                updated: now,
            },
        );
        // Shown as `creating` in the create answer; the next read applies the transition.
        self.pending_volumes.insert(id.clone());
        id
    }
}

pub(crate) fn scaled(secs: f64, scale: f64) -> Duration {
    Duration::from_secs_f64((secs * scale).max(0.0))
}

fn location(zone: &str) -> Value {
    serde_json::json!({"zone_id": zone, "platform_id": "14", "cluster_id": "16", "hypervisor_id": "101", "node_id": "34"})
}

// ---------------------------------------------------------------------------------------------
// Block snapshot jobs, Block volume constraints, Account contract signatures and project
// deletion with its resources.

/// Seconds an export of a Block snapshot to Object Storage lasts (recorded: `exporting` right
/// after the call, `available` at the next poll 5 to 6 s later).
pub(crate) const BLOCK_EXPORT_SECONDS: f64 = 5.0;
/// Seconds an import of a Block snapshot from Object Storage stays `creating` (recorded: 100 s
/// for a 10 GB object, 3.5 min for another).
pub(crate) const BLOCK_IMPORT_SECONDS: f64 = 100.0;
/// Size of an imported snapshot when neither the request nor an earlier export gives one (the
/// recorded import of a 1 GiB qcow2 image).
pub(crate) const BLOCK_IMPORT_DEFAULT_SIZE: u64 = 1_073_741_824;
/// Smallest and largest size of a Block volume of the `sbs_5k` and `sbs_15k` types.
pub(crate) const BLOCK_MIN_SIZE: u64 = 1_000_000_000;
pub(crate) const BLOCK_MAX_SIZE: u64 = 10_000_000_000_000;

/// An Account contract signature.
#[derive(Debug, Clone)]
pub(crate) struct ContractSignature {
    pub id: String,
    pub seq: u64,
    pub organization: String,
    pub contract_type: String,
    pub contract_name: String,
    pub created: String,
    /// When it was validated (signed); unsigned until then.
    pub signed: Option<String>,
    pub expires: Option<String>,
}

impl Store {
    /// Removes everything a project holds in every API, then the project itself.
    pub(crate) fn delete_project_with_resources(&mut self, project: &str) {
        let servers: Vec<String> = self
            .servers
            .values()
            .filter(|s| s.project == project)
            .map(|s| s.id.clone())
            .collect();
        for id in servers {
            if let Some(server) = self.servers.remove(&id) {
                self.release_server_resources(&server);
            }
            self.pending_servers.remove(&id);
        }
        self.bvolumes.retain(|_, v| v.project != project);
        self.ivolumes.retain(|_, v| v.project != project);
        self.bsnapshots.retain(|_, s| s.project != project);
        self.isnapshots.retain(|_, s| s.project != project);
        self.images.retain(|_, i| i.project != project);
        self.placement_groups.retain(|_, g| g.project != project);
        self.ips.retain(|_, ip| ip.project != project);
        self.ipam.retain(|_, ip| ip.project != project);
        let networks: Vec<String> = self
            .pns
            .values()
            .filter(|n| n.project == project)
            .map(|n| n.id.clone())
            .collect();
        self.nics.retain(|_, n| !networks.contains(&n.private_network_id));
        self.ipam
            .retain(|_, ip| !networks.contains(&ip.private_network_id));
        self.pns.retain(|_, n| n.project != project);
        self.sgs.retain(|_, g| g.project != project);
        // What lives in the project's VPCs goes with them.
        let vpcs: Vec<String> = self
            .vpcs
            .values()
            .filter(|v| v.project == project)
            .map(|v| v.id.clone())
            .collect();
        self.vpc_routes.retain(|_, r| !vpcs.contains(&r.vpc_id));
        self.vpc_acls.retain(|(vpc, _), _| !vpcs.contains(vpc));
        self.ingress_rules
            .retain(|_, r| r.project != project && !vpcs.contains(&r.vpc_id));
        self.vpc_connectors
            .retain(|_, c| c.project != project && !vpcs.contains(&c.vpc_id));
        self.vpcs.retain(|_, v| v.project != project);
        self.project_qualifications.remove(project);
        self.projects.remove(project);
    }
}

// ---- CIDR helpers and VPC queries shared by the VPC and IPAM APIs ----

/// A network in canonical notation (`172.16.4.0/22`, `fd5c:0:1:79b1::/64`).
pub(crate) fn cidr_text(network: IpAddr, prefix: u8) -> String {
    format!("{network}/{prefix}")
}

/// Whether `inner` lies inside `outer` (both parsed by [`parse_cidr`]).
pub(crate) fn cidr_contains(outer: (IpAddr, u8), inner: (IpAddr, u8)) -> bool {
    inner.1 >= outer.1 && host_part(outer.0, outer.1, inner.0).is_some()
}

/// Whether two networks share an address.
pub(crate) fn cidrs_overlap(a: (IpAddr, u8), b: (IpAddr, u8)) -> bool {
    cidr_contains(a, b) || cidr_contains(b, a)
}

impl Store {
    /// The subnets of every private network of a VPC: (subnet id, parsed network, text).
    pub fn vpc_subnets(&self, vpc_id: &str) -> Vec<(String, (IpAddr, u8), String)> {
        let mut pns: Vec<&PrivateNetwork> = self.pns.values().filter(|p| p.vpc_id == vpc_id).collect();
        pns.sort_by_key(|p| p.seq);
        pns.iter()
            .flat_map(|p| &p.subnets)
            .filter_map(|s| Some((s.id.clone(), parse_cidr(&s.subnet)?, s.subnet.clone())))
            .collect()
    }

    /// Books an address in the private network's first subnet of the family, or the one holding
    /// the address asked for.
    pub fn book_ipam(&mut self, booking: Booking) -> Result<String, BookingError> {
        self.book_ipam_in(booking, None)
    }

    /// Whether any IPAM address is booked in a subnet.
    pub fn subnet_in_use(&self, subnet_id: &str) -> bool {
        self.ipam.values().any(|ip| ip.subnet_id == subnet_id)
    }
}

/// The subnet an address is booked in: of the family asked for, the one named if any, else the
/// one holding the address asked for, else the first: (subnet id, network, prefix length).
fn booking_subnet(
    pn: &PrivateNetwork,
    booking: &Booking,
    subnet_id: Option<&str>,
) -> Option<(String, IpAddr, u8)> {
    let candidates: Vec<(String, IpAddr, u8)> = pn
        .subnets
        .iter()
        .filter(|s| subnet_id.is_none_or(|id| id == s.id))
        .filter_map(|s| {
            let (network, prefix) = parse_cidr(&s.subnet)?;
            (network.is_ipv6() == booking.is_ipv6).then(|| (s.id.clone(), network, prefix))
        })
        .collect();
    let holding = booking.address.and_then(|a| {
        candidates
            .iter()
            .find(|(_, network, prefix)| host_part(*network, *prefix, a).is_some())
    });
    holding.or(candidates.first()).cloned()
}

// Placement groups' servers and the move of Instance `b_ssd` resources to Block Storage

impl Store {
    /// Makes `servers` the members of placement group `group`: each of them joins it, the other
    /// servers that were in it leave it.
    pub(crate) fn set_placement_group_servers(&mut self, group: &str, servers: &[String]) {
        for server in self.servers.values_mut() {
            let wanted = servers.contains(&server.id);
            let member = server.placement_group.as_deref() == Some(group);
            if wanted && !member {
                server.placement_group = Some(group.to_string());
                server.modified = instance_time();
            } else if member && !wanted {
                server.placement_group = None;
                server.modified = instance_time();
            }
        }
    }

    /// Moves an Instance volume to Block Storage under the same id: it leaves the Instance API,
    /// shows `updating` in Block Storage until `until`, and stays attached to its server.
    pub(crate) fn migrate_volume_to_block(&mut self, volume_id: &str, until: Instant) {
        let Some(volume) = self.ivolumes.remove(volume_id) else {
            return;
        };
        let now = api_time();
        if let Some(server) = volume.server.as_ref().and_then(|id| self.servers.get_mut(id)) {
            for attached in server.volumes.values_mut().filter(|r| r.id == volume.id) {
                attached.kind = VolKind::Block;
            }
        }
        let reference = volume.server.as_ref().map(|server_id| Reference {
            id: new_id(),
            server_id: server_id.clone(),
            created: now.clone(),
            status: "attached",
            settles_at: None,
        });
        let migrated = BlockVolume {
            id: volume.id.clone(),
            seq: volume.seq,
            name: volume.name,
            zone: volume.zone,
            project: volume.project,
            size: volume.size,
            iops: MIGRATED_B_SSD_IOPS,
            tags: volume.tags,
            reference,
            creating_until: None,
            update: Some(SpecUpdate {
                until,
                size: volume.size,
                iops: MIGRATED_B_SSD_IOPS,
                stamped: now.clone(),
            }),
            parent_snapshot_id: None,
            last_detached_at: None,
            created: api_time_of(&volume.created),
            updated: now,
        };
        self.bvolumes.insert(volume.id.clone(), migrated);
        self.pending_volumes.insert(volume.id);
    }

    /// Moves an Instance snapshot to Block Storage under the same id: it leaves the Instance API
    /// and shows `creating` in Block Storage until `until`.
    pub(crate) fn migrate_snapshot_to_block(&mut self, snapshot_id: &str, until: Instant) {
        let Some(snapshot) = self.isnapshots.remove(snapshot_id) else {
            return;
        };
        // Its volume is a parent in Block Storage only if it moved there too.
        let parent_volume = snapshot
            .base_volume
            .filter(|(id, _)| self.bvolumes.contains_key(id))
            .map(|(id, name)| ParentVolume {
                id,
                name,
                iops: MIGRATED_B_SSD_IOPS,
            });
        let migrated = BlockSnapshot {
            id: snapshot.id.clone(),
            seq: snapshot.seq,
            name: snapshot.name,
            zone: snapshot.zone,
            project: snapshot.project,
            size: snapshot.size,
            tags: snapshot.tags,
            parent_volume,
            creating_until: Some(until),
            exporting_until: None,
            public: false,
            created: api_time_of(&snapshot.created),
            updated: api_time(),
        };
        self.bsnapshots.insert(snapshot.id.clone(), migrated);
        self.pending_snapshots.insert(snapshot.id);
    }
}

/// An Instance-style timestamp (`+00:00`) as the other APIs write it (`Z`).
fn api_time_of(instance_time: &str) -> String {
    match instance_time.strip_suffix("+00:00") {
        Some(utc) => format!("{utc}Z"),
        None => instance_time.to_string(),
    }
}
