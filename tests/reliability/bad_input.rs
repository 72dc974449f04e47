//! Bad input through every operation of the `Provider` and of the Scaleway layer: each case must
//! fail with `InvalidInput` naming the expected field and, when the mistake can be seen locally,
//! without a single request reaching the (simulated) API. Adding a case is one line.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use scaleway_client::api::instance_v1::types::ServerAction;
use scaleway_client::provider::scaleway::{ScalewayOptions, ScalewayProvider};
use scaleway_client::provider::{
    Provider, ProviderConfig, ProviderError, ProviderResult, ServerOptions, VolumeOptions, VolumeTier,
    provider_for,
};
use scaleway_client::resources::{
    ExtraVolume, IpKind, NetworkSpec, PublicIp, RootKind, RootVolume, Scaleway, SecurityGroupSpec,
    ServerSpec, ServerTarget, VolumePolicy, VolumeSpec,
};
use scaleway_client::{ByteSize, Client, Error, Zone};
use scaleway_sim::Simulator;

use crate::common;

/// A well-formed id that names nothing.
const ID: &str = "123e4567-e89b-12d3-a456-426614174000";
/// The length of a UUID, with a `/`: it must never reach a URL.
const SLASHED: &str = "123e4567-e89b-12d3-a456-4266141740/0";
/// One byte more than the API accepts for one user data value (64 KiB).
const TOO_MUCH_USER_DATA: usize = 64 * 1024 + 1;

/// What a call ended with.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// `InvalidInput` naming this field.
    Refused(String),
    /// Any other error.
    Failed(String),
    /// It succeeded.
    Accepted,
}

fn layer<T>(result: scaleway_client::Result<T>) -> Outcome {
    match result {
        Ok(_) => Outcome::Accepted,
        Err(Error::InvalidInput { field, .. }) => Outcome::Refused(field),
        Err(e) => Outcome::Failed(format!("{e:?}")),
    }
}

fn provider<T>(result: ProviderResult<T>) -> Outcome {
    match result {
        Ok(_) => Outcome::Accepted,
        Err(ProviderError::InvalidInput { field, .. }) => Outcome::Refused(field),
        Err(e) => Outcome::Failed(format!("{e:?}")),
    }
}

/// Everything the calls run against: one simulator, the layer and the provider on it, in a zone
/// with Block Storage and in `it-mil-1`, which has none.
struct Fixture {
    sim: Simulator,
    scw: Scaleway,
    /// The layer with no project configured.
    scw_no_project: Scaleway,
    provider: ScalewayProvider,
    provider_mil: ScalewayProvider,
}

/// A client on the simulator in `zone`, with its default project or none.
fn client(sim: &Simulator, zone: Zone, project: bool) -> Client {
    let config = if project {
        common::simulator_config(sim)
    } else {
        common::simulator_config_without_project(sim)
    };
    common::client(config.zone(zone), common::quick_retries())
}

async fn fixture() -> Arc<Fixture> {
    let sim = common::simulator(0.0).await;
    let scw = Scaleway::new(client(&sim, Zone::FR_PAR_1, true));
    let scw_no_project = Scaleway::new(client(&sim, Zone::FR_PAR_1, false));
    let provider = common::simulator_provider(&sim);
    let provider_mil = ScalewayProvider::with_options(
        client(&sim, Zone::IT_MIL_1, true),
        ScalewayOptions {
            block_root_volume: false,
            ..common::quick_provider_options()
        },
    )
    .unwrap();
    Arc::new(Fixture {
        sim,
        scw,
        scw_no_project,
        provider,
        provider_mil,
    })
}

/// Whether the mistake can be seen without asking the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Seen {
    /// Locally: no request may reach the API.
    Locally,
    /// Only from the API's answers (a commercial type the zone does not offer, an image label
    /// it does not have): requests are expected, the error must still name the field.
    ByTheApi,
}

type Call = fn(Arc<Fixture>) -> Pin<Box<dyn Future<Output = Outcome>>>;

struct Case {
    description: &'static str,
    field: &'static str,
    seen: Seen,
    call: Call,
}

/// `case!(Locally, "what", "field", |f| call(&f).await)`: one line per case.
macro_rules! case {
    ($seen:ident, $description:expr, $field:expr, |$f:ident| $call:expr) => {
        Case {
            description: $description,
            field: $field,
            seen: Seen::$seen,
            call: |$f| Box::pin(async move { $call }),
        }
    };
}

fn gb(gb: u64) -> ByteSize {
    ByteSize::from_gb(gb).unwrap()
}

fn spec() -> ServerSpec {
    ServerSpec::new("web-1", "DEV1-S", "ubuntu-24.04")
}

fn options() -> ServerOptions {
    ServerOptions {
        name: "web-1".into(),
        instance_type: "DEV1-S".into(),
        image: "ubuntu-24.04".into(),
        ..ServerOptions::default()
    }
}

fn volume_options() -> VolumeOptions {
    VolumeOptions {
        name: "data".into(),
        size_gb: 10,
        ..VolumeOptions::default()
    }
}

async fn create_server(f: &Fixture, spec: ServerSpec) -> Outcome {
    layer(f.scw.servers().create(&spec).await)
}

async fn create_server_in_milan(f: &Fixture, spec: ServerSpec) -> Outcome {
    layer(f.scw.servers().zone(Zone::IT_MIL_1).create(&spec).await)
}

async fn provider_create_server(f: &Fixture, options: ServerOptions) -> Outcome {
    provider(f.provider.create_server(&options).await)
}

async fn provider_create_volume(f: &Fixture, options: VolumeOptions) -> Outcome {
    provider(f.provider.create_volume(&options).await)
}

fn scaleway_provider(client: Client, options: ScalewayOptions) -> Outcome {
    provider(ScalewayProvider::with_options(client, options))
}

#[rustfmt::skip] // one line per case
fn cases() -> Vec<Case> {
    // Longer than a screen on purpose: the table of every bad input, one line per case, reads
    // best whole.
    vec![
        // ---- the layer: servers().create with a bad ServerSpec
        case!(Locally, "empty server name", "server name", |f| create_server(&f, ServerSpec { name: String::new(), ..spec() }).await),
        case!(Locally, "blank server name", "server name", |f| create_server(&f, ServerSpec { name: "   ".into(), ..spec() }).await),
        case!(Locally, "server name of 64 characters", "server name", |f| create_server(&f, ServerSpec { name: "a".repeat(64), ..spec() }).await),
        case!(Locally, "server name of 300 characters", "server name", |f| create_server(&f, ServerSpec { name: "a".repeat(300), ..spec() }).await),
        case!(Locally, "server name with a space", "server name", |f| create_server(&f, ServerSpec { name: "web 1".into(), ..spec() }).await),
        case!(Locally, "server name with a slash", "server name", |f| create_server(&f, ServerSpec { name: "web/1".into(), ..spec() }).await),
        case!(Locally, "server name with a newline", "server name", |f| create_server(&f, ServerSpec { name: "web\n1".into(), ..spec() }).await),
        case!(Locally, "server name with a non-ASCII letter", "server name", |f| create_server(&f, ServerSpec { name: "wéb-1".into(), ..spec() }).await),
        case!(Locally, "empty commercial type", "commercial type", |f| create_server(&f, ServerSpec { commercial_type: String::new(), ..spec() }).await),
        case!(Locally, "blank commercial type", "commercial type", |f| create_server(&f, ServerSpec { commercial_type: " \t".into(), ..spec() }).await),
        case!(Locally, "empty image", "image", |f| create_server(&f, ServerSpec { image: String::new(), ..spec() }).await),
        case!(Locally, "image with a space", "image", |f| create_server(&f, ServerSpec { image: "ubuntu 24.04".into(), ..spec() }).await),
        case!(Locally, "image that is a path", "image", |f| create_server(&f, ServerSpec { image: "../images/ubuntu".into(), ..spec() }).await),
        case!(Locally, "Block root of 4 GB", "root volume size", |f| create_server(&f, spec().root_volume(RootVolume::block(gb(4)))).await),
        case!(Locally, "Block root of 1 byte", "root volume size", |f| create_server(&f, spec().root_volume(RootVolume::block(ByteSize::from_bytes(1)))).await),
        case!(Locally, "Block root over 10 TB", "root volume size", |f| create_server(&f, spec().root_volume(RootVolume::block(gb(10_001)))).await),
        case!(Locally, "local root of 0 bytes", "root volume size", |f| create_server(&f, spec().root_volume(RootVolume::local(ByteSize::ZERO))).await),
        case!(Locally, "Block root at 7000 IOPS", "root volume IOPS", |f| create_server(&f, spec().root_volume(RootVolume::block(gb(20)).iops(7000))).await),
        case!(Locally, "Block root at 0 IOPS", "root volume IOPS", |f| create_server(&f, spec().root_volume(RootVolume::block(gb(20)).iops(0))).await),
        case!(Locally, "IOPS on a local root", "root volume IOPS", |f| create_server(&f, spec().root_volume(RootVolume::local(gb(20)).iops(15_000))).await),
        case!(Locally, "Block root in it-mil-1", "zone", |f| create_server_in_milan(&f, spec().root_volume(RootVolume::block(gb(20)))).await),
        case!(Locally, "default (Block) root kind asked for in it-mil-1", "zone", |f| create_server_in_milan(&f, spec().root_volume(RootVolume::default_size(RootKind::Block))).await),
        case!(Locally, "extra Block volume in it-mil-1", "zone", |f| create_server_in_milan(&f, spec().extra_volume(ExtraVolume::New { size: gb(10), iops: None })).await),
        case!(Locally, "new extra volume of 1 GB", "volume size", |f| create_server(&f, spec().extra_volume(ExtraVolume::New { size: gb(1), iops: None })).await),
        case!(Locally, "new extra volume at 7000 IOPS", "volume IOPS", |f| create_server(&f, spec().extra_volume(ExtraVolume::New { size: gb(10), iops: Some(7000) })).await),
        case!(Locally, "existing volume id that is a name", "volume id", |f| create_server(&f, spec().extra_volume(ExtraVolume::Existing("data".into()))).await),
        case!(Locally, "existing volume id with a slash", "volume id", |f| create_server(&f, spec().extra_volume(ExtraVolume::Existing(SLASHED.into()))).await),
        case!(Locally, "the same private network twice", "private network id", |f| create_server(&f, spec().private_network(ID).private_network(ID)).await),
        case!(Locally, "private network id that is a name", "private network id", |f| create_server(&f, spec().private_network("app")).await),
        case!(Locally, "private network id with a slash", "private network id", |f| create_server(&f, spec().private_network(SLASHED)).await),
        case!(Locally, "security group id that is a name", "security group id", |f| create_server(&f, spec().security_group("default")).await),
        case!(Locally, "placement group id with a slash", "placement group id", |f| create_server(&f, spec().placement_group(SLASHED)).await),
        case!(Locally, "flexible IP given as an address", "IP id", |f| create_server(&f, spec().public_ip(PublicIp::Flexible("51.15.0.1".into()))).await),
        case!(Locally, "tag with a comma", "tag", |f| create_server(&f, spec().tag("env=prod,web")).await),
        case!(Locally, "empty tag", "tag", |f| create_server(&f, spec().tag("")).await),
        case!(Locally, "tag with the reserved create-token prefix", "tag", |f| create_server(&f, spec().tag(format!("scaleway-client-create={ID}"))).await),
        case!(Locally, "cloud-init over 64 KiB", "user data", |f| create_server(&f, spec().cloud_init("#".repeat(TOO_MUCH_USER_DATA))).await),
        case!(Locally, "a valid spec but no project configured", "project id", |f| layer(f.scw_no_project.servers().create(&spec()).await)),
        // ---- the layer: the other server operations
        case!(Locally, "server get by name", "server id", |f| layer(f.scw.servers().get("web-1").await)),
        case!(Locally, "server get with a slash", "server id", |f| layer(f.scw.servers().get(SLASHED).await)),
        case!(Locally, "server get_existing of an empty id", "server id", |f| layer(f.scw.servers().get_existing("").await)),
        case!(Locally, "server delete with a slash", "server id", |f| layer(f.scw.servers().delete(SLASHED, VolumePolicy::DeleteAll).await)),
        case!(Locally, "server power_on of a name", "server id", |f| layer(f.scw.servers().power_on("web-1").await)),
        case!(Locally, "server power_off of a name", "server id", |f| layer(f.scw.servers().power_off("web-1").await)),
        case!(Locally, "server wait of a name", "server id", |f| layer(f.scw.servers().wait("web-1", ServerTarget::Running).await)),
        case!(Locally, "server action_and_wait with a slash", "server id", |f| layer(f.scw.servers().action_and_wait(SLASHED, ServerAction::Poweron).await)),
        case!(Locally, "server find_by_name of an empty name", "server name", |f| layer(f.scw.servers().find_by_name("").await)),
        case!(Locally, "server list_by_tag with a comma", "tag", |f| layer(f.scw.servers().list_by_tag("a,b").await)),
        // ---- the layer: Block volumes
        case!(Locally, "volume with an empty name", "volume name", |f| layer(f.scw.volumes().create(&VolumeSpec::new("", gb(10))).await)),
        case!(Locally, "volume name of 256 characters", "volume name", |f| layer(f.scw.volumes().create(&VolumeSpec::new("v".repeat(256), gb(10))).await)),
        case!(Locally, "volume of 4 GB", "volume size", |f| layer(f.scw.volumes().create(&VolumeSpec::new("data", gb(4))).await)),
        case!(Locally, "volume over 10 TB", "volume size", |f| layer(f.scw.volumes().create(&VolumeSpec::new("data", gb(10_001))).await)),
        case!(Locally, "volume at 7000 IOPS", "volume IOPS", |f| layer(f.scw.volumes().create(&VolumeSpec::new("data", gb(10)).iops(7000)).await)),
        case!(Locally, "volume tag with a comma", "tag", |f| layer(f.scw.volumes().create(&VolumeSpec::new("data", gb(10)).tag("a,b")).await)),
        case!(Locally, "volume tag with the reserved create-token prefix", "tag", |f| layer(f.scw.volumes().create(&VolumeSpec::new("data", gb(10)).tag(format!("scaleway-client-create={ID}"))).await)),
        case!(Locally, "a valid volume but no project configured", "project id", |f| layer(f.scw_no_project.volumes().create(&VolumeSpec::new("data", gb(10))).await)),
        case!(Locally, "volume get by name", "volume id", |f| layer(f.scw.volumes().get("data").await)),
        case!(Locally, "volume delete with a slash", "volume id", |f| layer(f.scw.volumes().delete(SLASHED).await)),
        case!(Locally, "volume attach of a bad volume id", "volume id", |f| layer(f.scw.volumes().attach("data", ID).await)),
        case!(Locally, "volume attach to a bad server id", "server id", |f| layer(f.scw.volumes().attach(ID, SLASHED).await)),
        case!(Locally, "volume detach with a slash", "volume id", |f| layer(f.scw.volumes().detach(SLASHED).await)),
        case!(Locally, "volume wait of a name", "volume id", |f| layer(f.scw.volumes().wait("data").await)),
        case!(Locally, "volume wait_with_references of a name", "volume id", |f| layer(f.scw.volumes().wait_with_references("data").await)),
        case!(Locally, "volume set_iops to 7000", "volume IOPS", |f| layer(f.scw.volumes().set_iops(ID, 7000).await)),
        case!(Locally, "volume find_by_name of an empty name", "volume name", |f| layer(f.scw.volumes().find_by_name("").await)),
        // ---- the layer: user data
        case!(Locally, "user data key with a slash", "user data key", |f| layer(f.scw.user_data().set(ID, "cloud/init", "x").await)),
        case!(Locally, "user data key that is empty", "user data key", |f| layer(f.scw.user_data().get(ID, "").await)),
        case!(Locally, "user data key with a space", "user data key", |f| layer(f.scw.user_data().delete(ID, "cloud init").await)),
        case!(Locally, "user data value over 64 KiB", "user data", |f| layer(f.scw.user_data().set(ID, "cloud-init", &"#".repeat(TOO_MUCH_USER_DATA)).await)),
        case!(Locally, "user data set on a bad server id", "server id", |f| layer(f.scw.user_data().set("web-1", "cloud-init", "x").await)),
        case!(Locally, "user data keys of a bad server id", "server id", |f| layer(f.scw.user_data().keys(SLASHED).await)),
        case!(Locally, "user data set_all with a key with a slash", "user data key", |f| layer(f.scw.user_data().set_all(ID, &BTreeMap::from([("a/b".to_string(), "x".to_string())])).await)),
        case!(Locally, "user data set_all with a value over 64 KiB", "user data", |f| layer(f.scw.user_data().set_all(ID, &BTreeMap::from([("k".to_string(), "#".repeat(TOO_MUCH_USER_DATA))])).await)),
        // ---- the layer: security groups, private networks, NICs, IPs, images, snapshots
        case!(Locally, "security group rule with a bad IP range", "ip range", |f| layer(f.scw.security_groups().find_or_create("web", &SecurityGroupSpec::closed().allow_tcp(80, "everywhere")).await)),
        case!(Locally, "security group with an empty name", "security group name", |f| layer(f.scw.security_groups().find_or_create("", &SecurityGroupSpec::default()).await)),
        case!(Locally, "security group get by name", "security group id", |f| layer(f.scw.security_groups().get("web").await)),
        case!(Locally, "security group delete with a slash", "security group id", |f| layer(f.scw.security_groups().delete(SLASHED).await)),
        case!(Locally, "private network with an empty name", "network name", |f| layer(f.scw.private_networks().find_or_create("", &NetworkSpec::default()).await)),
        case!(Locally, "private network in a VPC named, not by id", "VPC id", |f| layer(f.scw.private_networks().find_or_create("app", &NetworkSpec { vpc_id: Some("default".into()), ..NetworkSpec::default() }).await)),
        case!(Locally, "private network get by name", "private network id", |f| layer(f.scw.private_networks().get("app").await)),
        case!(Locally, "private network delete with a slash", "private network id", |f| layer(f.scw.private_networks().delete(SLASHED).await)),
        case!(Locally, "private network find_by_name with a control character", "network name", |f| layer(f.scw.private_networks().find_by_name("app\u{7}").await)),
        case!(Locally, "private NIC create on a bad server id", "server id", |f| layer(f.scw.private_nics().create("web-1", ID).await)),
        case!(Locally, "private NIC create on a bad network id", "private network id", |f| layer(f.scw.private_nics().create(ID, "app").await)),
        case!(Locally, "private NIC list of a bad server id", "server id", |f| layer(f.scw.private_nics().list(SLASHED).await)),
        case!(Locally, "private NIC find on a bad network id", "private network id", |f| layer(f.scw.private_nics().find(ID, SLASHED).await)),
        case!(Locally, "private NIC wait of a bad NIC id", "private NIC id", |f| layer(f.scw.private_nics().wait(ID, "nic").await)),
        case!(Locally, "private NIC wait_mac_address on a bad server id", "server id", |f| layer(f.scw.private_nics().wait_mac_address("web-1", ID).await)),
        case!(Locally, "private NIC delete with a slash", "private NIC id", |f| layer(f.scw.private_nics().delete(ID, SLASHED).await)),
        case!(Locally, "flexible IP with a tag with a comma", "tag", |f| layer(f.scw.ips().create(IpKind::RoutedIpv6, &["a,b".to_string()]).await)),
        case!(Locally, "flexible IP with the reserved create-token prefix", "tag", |f| layer(f.scw.ips().create(IpKind::RoutedIpv4, &[format!("scaleway-client-create={ID}")]).await)),
        case!(Locally, "flexible IP get by address", "IP id", |f| layer(f.scw.ips().get("51.15.0.1").await)),
        case!(Locally, "flexible IP delete with a slash", "IP id", |f| layer(f.scw.ips().delete(SLASHED).await)),
        case!(Locally, "flexible IP list_by_tag of an empty tag", "tag", |f| layer(f.scw.ips().list_by_tag("").await)),
        case!(Locally, "image resolve of a malformed label", "image", |f| layer(f.scw.images().resolve("ubuntu 24.04", "DEV1-S", RootKind::Block).await)),
        case!(Locally, "image wait of a name", "image id", |f| layer(f.scw.images().wait("ubuntu_noble").await)),
        case!(Locally, "Block snapshot wait with a slash", "snapshot id", |f| layer(f.scw.snapshots().wait_block(SLASHED).await)),
        case!(Locally, "Instance snapshot wait of a name", "snapshot id", |f| layer(f.scw.snapshots().wait_instance("backup").await)),
        case!(Locally, "Instance volume get of a name", "volume id", |f| layer(f.scw.instance_volumes().get("data").await)),
        case!(Locally, "Instance volume wait with a slash", "volume id", |f| layer(f.scw.instance_volumes().wait(SLASHED).await)),
        case!(Locally, "catalog lookup of an empty commercial type", "commercial type", |f| layer(f.scw.catalog().server_type("").await)),
        case!(ByTheApi, "a commercial type the zone does not offer", "commercial type", |f| create_server(&f, ServerSpec { commercial_type: "XXL-9000".into(), ..spec() }).await),
        case!(ByTheApi, "an image label the zone does not have", "image", |f| create_server(&f, ServerSpec { image: "no_such_label".into(), ..spec() }).await),
        // ---- the provider: networks and firewalls
        case!(Locally, "provider network with an empty name", "network name", |f| provider(f.provider.find_or_create_network("").await)),
        case!(Locally, "provider get_network_by_name of a blank name", "network name", |f| provider(f.provider.get_network_by_name(" ").await)),
        case!(Locally, "provider delete_network of a name", "network id", |f| provider(f.provider.delete_network("app").await)),
        case!(Locally, "provider firewall with an empty name", "firewall name", |f| provider(f.provider.find_or_create_firewall("").await)),
        case!(Locally, "provider get_firewall_by_name of a name too long", "firewall name", |f| provider(f.provider.get_firewall_by_name(&"f".repeat(256)).await)),
        case!(Locally, "provider delete_firewall with a slash", "firewall id", |f| provider(f.provider.delete_firewall(SLASHED).await)),
        // ---- the provider: servers
        case!(Locally, "provider find_server of an empty name", "server name", |f| provider(f.provider.find_server("").await)),
        case!(Locally, "provider get_server of a name", "server id", |f| provider(f.provider.get_server("web-1").await)),
        case!(Locally, "provider list_servers_by_tag with a comma", "tag", |f| provider(f.provider.list_servers_by_tag("a,b").await)),
        case!(Locally, "provider server with an empty name", "server name", |f| provider_create_server(&f, ServerOptions { name: String::new(), ..options() }).await),
        case!(Locally, "provider server name with a space", "server name", |f| provider_create_server(&f, ServerOptions { name: "web 1".into(), ..options() }).await),
        case!(Locally, "provider server with an empty instance type", "instance type", |f| provider_create_server(&f, ServerOptions { instance_type: String::new(), ..options() }).await),
        case!(Locally, "provider server with an empty image", "image", |f| provider_create_server(&f, ServerOptions { image: String::new(), ..options() }).await),
        case!(Locally, "provider server in an unknown location", "location", |f| provider_create_server(&f, ServerOptions { location: Some("mars-1".into()), ..options() }).await),
        case!(Locally, "provider server with a root of 1 GB", "root volume size", |f| provider_create_server(&f, ServerOptions { root_volume_gb: Some(1), ..options() }).await),
        case!(Locally, "provider server with a root of 20 TB", "root volume size", |f| provider_create_server(&f, ServerOptions { root_volume_gb: Some(20_000), ..options() }).await),
        case!(Locally, "provider server with a root size that overflows", "root volume size", |f| provider_create_server(&f, ServerOptions { root_volume_gb: Some(u64::MAX), ..options() }).await),
        case!(Locally, "provider server with a performance root in it-mil-1 (local roots only)", "root volume IOPS", |f| provider_create_server(&f, ServerOptions { location: Some("it-mil-1".into()), root_volume_tier: Some(VolumeTier::Performance), ..options() }).await),
        case!(Locally, "provider server on a network named, not by id", "network id", |f| provider_create_server(&f, ServerOptions { network_id: Some("app".into()), ..options() }).await),
        case!(Locally, "provider server in a firewall named, not by id", "firewall id", |f| provider_create_server(&f, ServerOptions { firewall_id: Some("web".into()), ..options() }).await),
        case!(Locally, "provider server with a reserved tag", "tag", |f| provider_create_server(&f, ServerOptions { tags: vec![format!("scaleway-client-create={ID}")], ..options() }).await),
        case!(Locally, "provider server with cloud-init over 64 KiB", "user data", |f| provider_create_server(&f, ServerOptions { user_data: Some("#".repeat(TOO_MUCH_USER_DATA)), ..options() }).await),
        case!(Locally, "provider wait_for_server of a name", "server id", |f| provider(f.provider.wait_for_server("web-1", 3).await)),
        case!(Locally, "provider power_on with a slash", "server id", |f| provider(f.provider.power_on(SLASHED).await)),
        case!(Locally, "provider power_off of a name", "server id", |f| provider(f.provider.power_off("web-1").await)),
        case!(Locally, "provider delete_server with a slash", "server id", |f| provider(f.provider.delete_server(SLASHED).await)),
        case!(ByTheApi, "provider server of an instance type the zone does not offer", "instance type", |f| provider_create_server(&f, ServerOptions { instance_type: "XXL-9000".into(), ..options() }).await),
        // ---- the provider: volumes
        case!(Locally, "provider volume of 0 GB", "volume size", |f| provider_create_volume(&f, VolumeOptions { size_gb: 0, ..volume_options() }).await),
        case!(Locally, "provider volume of 11 TB", "volume size", |f| provider_create_volume(&f, VolumeOptions { size_gb: 11_000, ..volume_options() }).await),
        case!(Locally, "provider volume size that overflows", "volume size", |f| provider_create_volume(&f, VolumeOptions { size_gb: u64::MAX, ..volume_options() }).await),
        case!(Locally, "provider volume at 7000 IOPS", "volume IOPS", |f| provider_create_volume(&f, VolumeOptions { iops: Some(7000), ..volume_options() }).await),
        case!(Locally, "provider volume whose tier disagrees with its IOPS", "volume IOPS", |f| provider_create_volume(&f, VolumeOptions { iops: Some(5000), tier: Some(VolumeTier::Performance), ..volume_options() }).await),
        case!(Locally, "provider volume with an empty name", "volume name", |f| provider_create_volume(&f, VolumeOptions { name: String::new(), ..volume_options() }).await),
        case!(Locally, "provider volume next to a server named, not by id", "server id", |f| provider_create_volume(&f, VolumeOptions { server_id: Some("web-1".into()), ..volume_options() }).await),
        case!(Locally, "provider volume in it-mil-1 (no Block Storage)", "zone", |f| provider(f.provider_mil.create_volume(&volume_options()).await)),
        case!(Locally, "provider get_volume of a name", "volume id", |f| provider(f.provider.get_volume("data").await)),
        case!(Locally, "provider get_volume_by_name of an empty name", "volume name", |f| provider(f.provider.get_volume_by_name("").await)),
        case!(Locally, "provider delete_volume with a slash", "volume id", |f| provider(f.provider.delete_volume(SLASHED).await)),
        case!(Locally, "provider attach_volume of a bad volume id", "volume id", |f| provider(f.provider.attach_volume("data", ID).await)),
        case!(Locally, "provider attach_volume to a bad server id", "server id", |f| provider(f.provider.attach_volume(ID, "web-1").await)),
        case!(Locally, "provider detach_volume of a name", "volume id", |f| provider(f.provider.detach_volume("data").await)),
        // ---- the provider: validation and construction
        case!(Locally, "provider validate_instance_type of an empty type", "instance type", |f| provider(f.provider.validate_instance_type("").await)),
        case!(Locally, "provider validate_region of an unknown zone", "zone", |f| provider(f.provider.validate_region("mars-1").await)),
        case!(Locally, "provider validate_region of an empty name", "zone", |f| provider(f.provider.validate_region("").await)),
        case!(ByTheApi, "provider validate_instance_type of a type the zone does not offer", "instance type", |f| provider(f.provider.validate_instance_type("XXL-9000").await)),
        case!(Locally, "provider_for with an unknown zone", "scaleway_zone", |f| provider(provider_for(&ProviderConfig { scaleway_zone: Some("mars-1".into()), scaleway_secret_key: Some(f.sim.secret_key().into()), scaleway_project_id: Some(f.sim.project_id().into()), scaleway_api_url: Some(f.sim.base_url().into()), ..ProviderConfig::scaleway() }))),
        case!(Locally, "ScalewayProvider with 7000 IOPS volumes", "volume IOPS", |f| scaleway_provider(client(&f.sim, Zone::FR_PAR_1, true), ScalewayOptions { volume_iops: 7000, ..common::quick_provider_options() })),
        case!(Locally, "ScalewayProvider in a VPC named, not by id", "VPC id", |f| scaleway_provider(client(&f.sim, Zone::FR_PAR_1, true), ScalewayOptions { vpc_id: Some("default".into()), ..common::quick_provider_options() })),
        case!(Locally, "ScalewayProvider with Block roots in it-mil-1", "zone", |f| scaleway_provider(client(&f.sim, Zone::IT_MIL_1, true), ScalewayOptions { block_root_volume: true, ..common::quick_provider_options() })),
        case!(Locally, "ScalewayProvider with no project", "project id", |f| scaleway_provider(client(&f.sim, Zone::FR_PAR_1, false), common::quick_provider_options())),
    ]
}

#[tokio::test]
async fn every_bad_input_is_refused_with_its_field_and_local_mistakes_send_nothing() {
    let f = fixture().await;
    let cases = cases();
    let mut failures = Vec::new();
    let mut local = 0;
    for case in &cases {
        let before = f.sim.requests_served();
        let outcome = (case.call)(f.clone()).await;
        let sent = f.sim.requests_served() - before;
        if outcome != Outcome::Refused(case.field.to_string()) {
            failures.push(format!(
                "{}: expected invalid `{}`, got {outcome:?}",
                case.description, case.field
            ));
        }
        if case.seen == Seen::Locally {
            local += 1;
            if sent != 0 {
                failures.push(format!(
                    "{}: {sent} request(s) reached the API for a mistake seen locally",
                    case.description
                ));
            }
        }
    }
    println!(
        "{} bad-input cases ({local} refused locally, {} by the API's answers)",
        cases.len(),
        cases.len() - local
    );
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(cases.len() >= 40);
    // Nothing was created along the way, and the counter did count: the remote cases asked.
    assert!(f.sim.inventory().is_empty(), "{:?}", f.sim.inventory());
    assert!(f.sim.requests_served() > 0);
}

#[tokio::test]
async fn the_request_counter_counts_api_requests_only() {
    let f = fixture().await;
    let before = f.sim.requests_served();
    assert_eq!(layer(f.scw.servers().get(ID).await), Outcome::Accepted);
    assert_eq!(f.sim.requests_served(), before + 1);
    // A request refused for its credentials reached the API all the same.
    let stranger = Scaleway::new(common::client(
        common::simulator_config(&f.sim).secret_key(uuid_like_but_wrong()),
        common::quick_retries(),
    ));
    assert!(matches!(
        stranger.servers().get(ID).await,
        Err(Error::Authentication { .. })
    ));
    assert_eq!(f.sim.requests_served(), before + 2);
    // The simulator's own routes are not the API.
    let inventory = format!("{}/__simulator/inventory", f.sim.base_url());
    let answer = scaleway_client::http_client_builder()
        .unwrap()
        .build()
        .unwrap()
        .get(&inventory)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success());
    assert_eq!(f.sim.requests_served(), before + 2);
}

fn uuid_like_but_wrong() -> String {
    "00000000-0000-4000-8000-000000000000".into()
}
