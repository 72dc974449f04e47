//! The crate's main job in one run, through the cloud-agnostic `Provider` trait: validate, create
//! a network, a firewall and a server with cloud-init on that network, wait for it, create,
//! attach, detach and delete a volume, delete everything, and check nothing is left.
//!
//! By default it starts the in-process Scaleway simulator: no account, no network.
//!
//! ```text
//! cargo run --example quickstart
//! cargo run --example quickstart -- --real   # the real API, billed
//! ```
//!
//! With `--real`, credentials come from `Config::infer()` (`SCW_SECRET_KEY`,
//! `SCW_DEFAULT_PROJECT_ID`, `SCW_DEFAULT_ZONE` or the `scw` profile file). What it creates is
//! printed first, and it is removed again on failure and on Ctrl-C.

use std::future::Future;
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use scaleway_client::provider::scaleway::{ScalewayOptions, ScalewayProvider};
use scaleway_client::provider::{Provider, ProviderError, ServerOptions, VolumeOptions};
use scaleway_client::wait::WaitOptions;
use scaleway_client::{Client, Config};
use scaleway_sim::{Simulator, SimulatorOptions};
use tokio::sync::Mutex;

/// The simulator's transitions last this fraction of the real API's.
const SIMULATOR_TIME_SCALE: f64 = 0.2;

const CLOUD_INIT: &str = "#cloud-config\npackages: [nginx]\nruncmd: [systemctl enable --now nginx]\n";

/// What the run created and has not deleted yet, for cleaning up after a failure or Ctrl-C.
#[derive(Default, Debug)]
struct Ledger {
    network: Option<String>,
    firewall: Option<String>,
    server: Option<String>,
    volume: Option<String>,
}

struct Run {
    provider: ScalewayProvider,
    client: Client,
    ledger: Arc<Mutex<Ledger>>,
    prefix: String,
}

impl Run {
    /// Runs one step, showing a spinner with the elapsed time while it waits, then a line with
    /// its duration and the API calls it made.
    async fn step<T, F>(&self, what: &str, future: F) -> Result<T, ProviderError>
    where
        F: Future<Output = Result<T, ProviderError>>,
    {
        let started = Instant::now();
        let calls_before = self.client.request_count();
        let mut future = std::pin::pin!(future);
        let mut ticker = tokio::time::interval(Duration::from_millis(100));
        let frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
        let mut frame = 0;
        // A spinner only where someone watches: not in logs and pipes.
        let spinner = std::io::stderr().is_terminal();
        let result = loop {
            tokio::select! {
                result = &mut future => break result,
                _ = ticker.tick(), if spinner => {
                    eprint!("\r  {} {what:<48} {:>5.1}s", frames[frame % frames.len()], started.elapsed().as_secs_f64());
                    let _ = std::io::stderr().flush();
                    frame += 1;
                }
            }
        };
        let calls = self.client.request_count() - calls_before;
        let mark = if result.is_ok() { "✓" } else { "✗" };
        if spinner {
            eprint!("\r{:<80}\r", "");
        }
        println!(
            "  {mark} {what:<48} {:>6.2}s  {calls:>2} API call(s)",
            started.elapsed().as_secs_f64()
        );
        result
    }

    fn name(&self, what: &str) -> String {
        format!("{}-{what}", self.prefix)
    }
}

async fn scenario(run: &Run) -> Result<(), ProviderError> {
    let p = &run.provider;
    let zone = run.client.config().zone().to_string();
    run.step("validate credentials", p.validate_credentials()).await?;
    run.step(&format!("validate zone {zone}"), p.validate_region(&zone))
        .await?;
    run.step(
        "validate instance type DEV1-S",
        p.validate_instance_type("DEV1-S"),
    )
    .await?;

    let network = run
        .step(
            "find or create network",
            p.find_or_create_network(&run.name("net")),
        )
        .await?;
    run.ledger.lock().await.network = Some(network.id.clone());
    println!(
        "      network {} {}",
        network.id,
        network.ip_range.as_deref().unwrap_or("")
    );
    let firewall = run
        .step(
            "find or create firewall (SSH only)",
            p.find_or_create_firewall(&run.name("fw")),
        )
        .await?;
    run.ledger.lock().await.firewall = Some(firewall.id.clone());

    let options = ServerOptions {
        name: run.name("web"),
        instance_type: "DEV1-S".into(),
        image: "ubuntu-24.04".into(),
        user_data: Some(CLOUD_INIT.into()),
        network_id: Some(network.id.clone()),
        firewall_id: Some(firewall.id.clone()),
        tags: vec![format!("quickstart={}", run.prefix)],
        ..ServerOptions::default()
    };
    let server = run
        .step(
            "create server with cloud-init on the network",
            p.create_server(&options),
        )
        .await?;
    run.ledger.lock().await.server = Some(server.id.clone());
    let server = run
        .step("wait until the server runs", p.wait_for_server(&server.id, 120))
        .await?;
    println!(
        "      server {} {:?} public {} private {}",
        server.id,
        server.status,
        server.public_ipv4.as_deref().unwrap_or("-"),
        server.private_ipv4.as_deref().unwrap_or("-")
    );

    let volume_options = VolumeOptions {
        name: run.name("data"),
        size_gb: 10,
        ..VolumeOptions::default()
    };
    let volume = run
        .step("create a 10 GB volume", p.create_volume(&volume_options))
        .await?;
    run.ledger.lock().await.volume = Some(volume.id.clone());
    run.step("attach the volume", p.attach_volume(&volume.id, &server.id))
        .await?;
    run.step("detach the volume", p.detach_volume(&volume.id)).await?;
    run.step("delete the volume", p.delete_volume(&volume.id)).await?;
    run.ledger.lock().await.volume = None;

    run.step(
        "delete the server (and its root volume)",
        p.delete_server(&server.id),
    )
    .await?;
    run.ledger.lock().await.server = None;
    run.step("delete the firewall", p.delete_firewall(&firewall.id))
        .await?;
    run.ledger.lock().await.firewall = None;
    run.step("delete the network", p.delete_network(&network.id))
        .await?;
    run.ledger.lock().await.network = None;
    Ok(())
}

/// Deletes what the ledger still holds, in dependency order.
async fn clean_up(run: &Run) {
    let ledger = std::mem::take(&mut *run.ledger.lock().await);
    let p = &run.provider;
    if let Some(id) = &ledger.volume {
        let _ = p.detach_volume(id).await;
        report("delete volume", p.delete_volume(id).await);
    }
    if let Some(id) = &ledger.server {
        report("delete server", p.delete_server(id).await);
    }
    if let Some(id) = &ledger.firewall {
        report("delete firewall", p.delete_firewall(id).await);
    }
    if let Some(id) = &ledger.network {
        report("delete network", p.delete_network(id).await);
    }
}

fn report(what: &str, result: Result<(), ProviderError>) {
    match result {
        Ok(()) => println!("  cleaned up: {what}"),
        Err(e) => println!("  could not {what}: {e} (remove it by hand to stop paying for it)"),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let real = std::env::args().any(|a| a == "--real");
    // The simulator is kept alive for the whole run; it stops when dropped.
    let (config, simulator) = if real {
        let config = Config::infer()?;
        println!(
            "Using the real Scaleway API at {} in {}.",
            config.api_url(),
            config.zone()
        );
        println!("This creates, then deletes: a private network, a security group, a DEV1-S server with a");
        println!(
            "Block root volume and a public IP, and a 10 GB Block volume. They are billed while they exist."
        );
        (config, None)
    } else {
        let simulator = Simulator::start(SimulatorOptions {
            time_scale: SIMULATOR_TIME_SCALE,
            ..SimulatorOptions::default()
        })
        .await?;
        println!(
            "Using the in-process Scaleway simulator at {} (no account, nothing billed).",
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
    let options = ScalewayOptions {
        server_poll_interval: Duration::from_millis(500),
        // The waits expect the simulator's transitions to last as long as they make them.
        wait: WaitOptions::default().time_scale(if simulator.is_some() {
            SIMULATOR_TIME_SCALE
        } else {
            1.0
        }),
        ..ScalewayOptions::default()
    };
    let run = Run {
        provider: ScalewayProvider::with_options(client.clone(), options)?,
        client,
        ledger: Arc::default(),
        prefix: format!("quickstart-{}", &uuid::Uuid::new_v4().to_string()[..8]),
    };

    let started = Instant::now();
    let outcome = tokio::select! {
        outcome = scenario(&run) => outcome.map_err(|e| e.to_string()),
        _ = tokio::signal::ctrl_c() => Err("interrupted".to_string()),
    };
    if let Err(why) = &outcome {
        println!("\nStopped: {why}. Removing what was created…");
        clean_up(&run).await;
    }
    println!(
        "\n{} in {:.1}s with {} API calls.",
        if outcome.is_ok() { "Done" } else { "Failed" },
        started.elapsed().as_secs_f64(),
        run.client.request_count()
    );

    // Nothing may be left behind.
    if let Some(simulator) = &simulator {
        let left = simulator.inventory();
        if !left.is_empty() {
            println!("Left behind: {left:?}");
            std::process::exit(1);
        }
        println!("Checked: the simulator holds no server, volume, IP, security group, NIC or network.");
    } else {
        let p = &run.provider;
        let servers = p
            .list_servers_by_tag(&format!("quickstart={}", run.prefix))
            .await?;
        let volume = p.get_volume_by_name(&run.name("data")).await?;
        if !servers.is_empty() || volume.is_some() {
            println!("Left behind: {servers:?} {volume:?}");
            std::process::exit(1);
        }
        println!("Checked: no server or volume of this run is left.");
    }
    outcome.map_err(Into::into)
}
