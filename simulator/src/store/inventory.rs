//! What the simulator holds, as tests see it, and the log of everything created.

use serde::{Deserialize, Serialize};

use super::{NIC_RESOURCE, Store, ipv4};

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

impl Store {
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
