//! The records the store keeps, one type per kind of resource, and the durations of their
//! transitions.

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use serde_json::Value;
use tokio::time::Instant;

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
