//! A server the neutral `Provider` cannot describe, made through the Scaleway layer
//! (`scaleway_client::resources`): a 50 GB Block root at 15k IOPS, an extra 20 GB volume, two private
//! networks and a flexible IPv4. It prints the server's public and private addresses and the
//! device paths of its volumes, deletes everything and checks nothing is left.
//!
//! By default it starts the in-process Scaleway simulator: no account, no network.
//!
//! ```text
//! cargo run --example custom_server
//! cargo run --example custom_server -- --real   # the real API, billed
//! ```
//!
//! With `--real`, credentials come from `Config::infer()` (`SCW_SECRET_KEY`,
//! `SCW_DEFAULT_PROJECT_ID`, `SCW_DEFAULT_ZONE` or the `scw` profile file). What it creates is
//! removed again on failure and on Ctrl-C.

use std::time::{Duration, Instant};

use scaleway_client::resources::{
    ExtraVolume, IpKind, NetworkSpec, Options, PublicIp, RootVolume, Scaleway, ServerSpec, VolumePolicy,
};
use scaleway_client::wait::WaitOptions;
use scaleway_client::{ByteSize, Client, Config, Error};
use scaleway_sim::{Simulator, SimulatorOptions};

/// What the run created and has not deleted yet.
#[derive(Default, Debug)]
struct Created {
    networks: Vec<String>,
    ip: Option<String>,
    server: Option<String>,
}

async fn scenario(scw: &Scaleway, prefix: &str, created: &mut Created) -> Result<(), Error> {
    let region = scw.client().config().region().clone();
    let networks = scw.private_networks().region(region.clone());
    for name in ["front", "back"] {
        let network = networks
            .find_or_create(&format!("{prefix}-{name}"), &NetworkSpec::default())
            .await?;
        println!(
            "  private network {name}: {} {:?}",
            network.id.as_deref().unwrap_or_default(),
            network
                .subnets
                .iter()
                .filter_map(|s| s.subnet.as_deref())
                .collect::<Vec<_>>()
        );
        created.networks.push(network.id.unwrap_or_default());
    }

    let ip = scw
        .ips()
        .create(IpKind::RoutedIpv4, &[format!("example={prefix}")])
        .await?;
    println!("  flexible IP: {}", ip.address.as_deref().unwrap_or("-"));
    created.ip = ip.id.clone();

    let mut spec = ServerSpec::new(format!("{prefix}-db"), "PRO2-XXS", "ubuntu-24.04")
        .root_volume(RootVolume::block(ByteSize::from_gb(50)?).iops(15_000))
        .extra_volume(ExtraVolume::New {
            size: ByteSize::from_gb(20)?,
            iops: None,
        })
        .public_ip(PublicIp::Flexible(ip.id.clone().unwrap_or_default()))
        .tag(format!("example={prefix}"))
        .cloud_init("#cloud-config\npackages: [postgresql]\n")
        .wait_running(true);
    for network in &created.networks {
        spec = spec.private_network(network.clone());
    }
    let started = Instant::now();
    let server = scw.servers().create(&spec).await?;
    let server_id = server.id.clone().unwrap_or_default();
    created.server = Some(server_id.clone());
    println!(
        "  server {} is {} after {:.1}s",
        server_id,
        server.state,
        started.elapsed().as_secs_f64()
    );
    for public in &server.public_ips {
        println!("    public {}", public.address.as_deref().unwrap_or("-"));
    }
    let private = scw
        .ipam()
        .region(region)
        .of_servers(std::slice::from_ref(&server))
        .await?;
    for nic in private.get(&server_id).into_iter().flatten() {
        println!(
            "    private {} / {} (NIC {})",
            nic.ipv4.as_deref().unwrap_or("-"),
            nic.ipv6.as_deref().unwrap_or("-"),
            nic.nic_id
        );
    }
    let volumes = scw.volumes();
    for (index, attached) in &server.volumes {
        let Some(volume_id) = attached.id.as_deref() else {
            continue;
        };
        let Some(volume) = volumes.get(volume_id).await? else {
            continue;
        };
        println!(
            "    volume {index}: {} GB, {} IOPS, {}",
            volume
                .size
                .map(ByteSize::from_bytes)
                .map_or(0, ByteSize::whole_gb),
            volume
                .specs
                .as_ref()
                .and_then(|s| s.perf_iops)
                .unwrap_or_default(),
            scaleway_client::resources::device_path(&volume).unwrap_or_else(|| "no device path".into())
        );
    }

    clean_up(scw, created).await
}

/// Deletes what is left, in dependency order: the server and all its volumes, the IP, the
/// networks.
async fn clean_up(scw: &Scaleway, created: &mut Created) -> Result<(), Error> {
    if let Some(server) = created.server.take() {
        scw.servers().delete(&server, VolumePolicy::DeleteAll).await?;
        println!("  deleted the server and its volumes");
    }
    if let Some(ip) = created.ip.take() {
        scw.ips().delete(&ip).await?;
        println!("  released the flexible IP");
    }
    let networks = scw.private_networks();
    for network in std::mem::take(&mut created.networks) {
        networks.delete(&network).await?;
    }
    println!("  deleted the private networks");
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real = std::env::args().any(|a| a == "--real");
    // The simulator is kept alive for the whole run; it stops when dropped.
    let (config, simulator) = if real {
        let config = Config::infer()?;
        println!(
            "Using the real Scaleway API in {} (billed while it exists).",
            config.zone()
        );
        (config, None)
    } else {
        let simulator = Simulator::start(SimulatorOptions {
            time_scale: 0.05,
            ..SimulatorOptions::default()
        })
        .await?;
        println!(
            "Using the in-process Scaleway simulator at {}.",
            simulator.base_url()
        );
        let config = Config::builder()
            .secret_key(simulator.secret_key())
            .project_id(simulator.project_id())
            .api_url(simulator.base_url())
            .build()?;
        (config, Some(simulator))
    };
    let client = Client::new(config)?;
    let scw = Scaleway::with_options(
        client.clone(),
        Options {
            wait: WaitOptions::default().max_interval(Duration::from_secs(if real { 5 } else { 1 })),
            ..Options::default()
        },
    );
    let prefix = format!("custom-{}", &uuid::Uuid::new_v4().to_string()[..8]);
    let mut created = Created::default();
    let outcome = tokio::select! {
        outcome = scenario(&scw, &prefix, &mut created) => outcome.map_err(|e| e.to_string()),
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
    };
    if let Err(why) = &outcome {
        println!("Stopped: {why}. Removing what was created…");
        if let Err(e) = clean_up(&scw, &mut created).await {
            println!(
                "Could not remove everything ({e}): left {created:?}, remove it by hand to stop paying for it."
            );
        }
    }
    println!("{} calls to the API.", client.request_count());
    if let Some(simulator) = &simulator {
        let left = simulator.inventory();
        if !left.is_empty() {
            println!("Left behind: {left:?}");
            std::process::exit(1);
        }
        println!("Checked: the simulator holds no server, volume, IP, security group, NIC or network.");
    }
    outcome.map_err(Into::into)
}
