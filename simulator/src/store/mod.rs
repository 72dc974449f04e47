//! The simulator's state: one map per resource type, transitions computed lazily from the time of
//! each step. The records themselves are in `records`, CIDR arithmetic and IPAM bookings in
//! `addresses`, the creation log and what tests see of the state in `inventory`.

mod addresses;
mod inventory;
mod records;

pub(crate) use addresses::*;
pub use inventory::{Created, CreatedKind, CreationLog, Inventory, InventoryNic};
pub(crate) use records::*;

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

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
