//! The secret key never shows: a realistic run through the provider and the layer, failures
//! included (a wrong key, missing permissions, injected faults, bad input, a timeout), with every
//! tracing event and span captured at TRACE level, then every error's `Display` and `Debug`, the
//! `Debug` of every configuration and client value, and the whole trace searched for the key.
//!
//! The subscriber is the process's global one, installed once: a subscriber scoped to one thread
//! misses the callsites that other test threads register while it is not there (tracing caches
//! their interest as "never"), so the trace would depend on the order tests run in. Other tests
//! of this binary write to it too, which only widens the search.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use scaleway_client::provider::scaleway::ScalewayProvider;
use scaleway_client::provider::{
    Firewall, Network, Provider, ProviderConfig, Server, ServerOptions, Volume, VolumeOptions, provider_for,
};
use scaleway_client::resources::{Scaleway, VolumeSpec};
use scaleway_client::{ByteSize, Client, Config, Error, RetryPolicy};
use scaleway_sim::{Fault, FaultRule, Simulator, SimulatorOptions};
use tracing_subscriber::fmt::format::FmtSpan;

use crate::common;

/// The key the simulator accepts: a valid UUID no other value of the run contains.
const SECRET: &str = "c0ffee00-5eed-4bad-8bad-decafbad5ec7";
/// A key the simulator refuses: just as secret.
const WRONG_SECRET: &str = "0ddba11a-feed-4ace-9ace-ba5eba11f00d";
/// A malformed key: the configuration error must not repeat it either.
const MALFORMED_SECRET: &str = "hunter2-0ddba11-not-a-uuid";

/// The process's trace, captured at TRACE level from the first call on.
fn captured() -> &'static Captured {
    static CAPTURED: std::sync::OnceLock<Captured> = std::sync::OnceLock::new();
    CAPTURED.get_or_init(|| {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_span_events(FmtSpan::FULL)
            .with_ansi(false)
            .with_target(true)
            .with_file(true)
            .with_line_number(true)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in the reliability tests");
        captured
    })
}

/// Collects everything a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

/// What was printed of every error and value, each with where it came from.
#[derive(Default)]
struct Printed(Vec<(String, String)>);

impl Printed {
    /// An error's `Display` and `Debug`, and those of every error in its source chain.
    fn error(&mut self, what: &str, error: &(dyn std::error::Error + 'static)) {
        let mut current = Some(error);
        let mut depth = 0;
        while let Some(e) = current {
            self.0
                .push((format!("{what} (source {depth}) Display"), e.to_string()));
            self.0
                .push((format!("{what} (source {depth}) Debug"), format!("{e:?}")));
            current = e.source();
            depth += 1;
        }
    }

    fn debug(&mut self, what: &str, value: &dyn std::fmt::Debug) {
        self.0.push((format!("{what} Debug"), format!("{value:?}")));
        self.0
            .push((format!("{what} Debug (alternate)"), format!("{value:#?}")));
    }
}

fn quick_retries() -> RetryPolicy {
    common::quick_retries().max_retries(2)
}

/// The simulator's URL with this key and project.
fn config(sim: &Simulator, secret: &str, project: &str) -> Config {
    common::simulator_config(sim)
        .secret_key(secret)
        .project_id(project)
        .build()
        .unwrap()
}

#[tokio::test]
async fn the_secret_key_appears_in_no_error_no_debug_and_no_trace() {
    let captured = captured();

    let sim = common::simulator_with(SimulatorOptions {
        time_scale: 0.0,
        secret_key: Some(SECRET.into()),
        ..SimulatorOptions::default()
    })
    .await;
    let mut printed = Printed::default();

    let (provider, scw) = every_configuration_and_client_printed(&sim, &mut printed).await;
    let made = the_happy_path(&provider, &scw).await;
    refused_keys_and_projects(&sim, &made.server.id, &mut printed).await;
    let recovered = injected_faults(&sim, &provider, &scw, &made.server.id, &mut printed).await;
    bad_input_and_a_timeout(&sim, &provider, &scw, &made.server.id, &mut printed).await;
    let Made {
        network,
        firewall,
        server,
        volume,
    } = made;

    // Clean up, and check that the run left nothing.
    provider.delete_volume(&volume.id).await.unwrap();
    provider.delete_server(&server.id).await.unwrap();
    provider.delete_server(&recovered.id).await.unwrap();
    provider.delete_firewall(&firewall.id).await.unwrap();
    provider.delete_network(&network.id).await.unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());

    assert_no_secret_shows(&captured.text(), &printed);
}

/// The values a host tool holds, each configuration and client made from them printed with
/// `Debug`, and a malformed key refused; the provider and the layer on the right key.
async fn every_configuration_and_client_printed(
    sim: &Simulator,
    printed: &mut Printed,
) -> (ScalewayProvider, Scaleway) {
    // The values a host tool holds.
    let provider_config = ProviderConfig {
        scaleway_secret_key: Some(SECRET.into()),
        scaleway_project_id: Some(sim.project_id().into()),
        scaleway_api_url: Some(sim.base_url().into()),
        ..ProviderConfig::scaleway()
    };
    printed.debug("ProviderConfig", &provider_config);
    let runtime_config = provider_config.runtime_config().unwrap();
    printed.debug("Config from ProviderConfig", &runtime_config);
    let boxed = provider_for(&provider_config).unwrap();
    boxed.validate_credentials().await.unwrap();

    let builder = Client::builder(config(sim, SECRET, sim.project_id())).retry_policy(quick_retries());
    printed.debug("ClientBuilder", &builder);
    let client = builder.build().unwrap();
    printed.debug("Config", client.config());
    printed.debug("Client", &client);
    printed.debug("reqwest::Client", client.http());
    printed.debug("SecretKey", client.config().secret_key());
    printed.0.push((
        "SecretKey Display".into(),
        client.config().secret_key().to_string(),
    ));
    let provider = ScalewayProvider::with_options(client.clone(), common::quick_provider_options()).unwrap();
    printed.debug("ScalewayProvider", &provider);
    let scw = Scaleway::new(client.clone());
    printed.debug("Scaleway", &scw);
    printed.debug(
        "ConfigBuilder",
        &Config::builder().secret_key(SECRET).project_id(sim.project_id()),
    );

    // A malformed key: refused without being repeated.
    let malformed = Config::builder()
        .secret_key(MALFORMED_SECRET)
        .build()
        .unwrap_err();
    printed.error("malformed key", &malformed);

    (provider, scw)
}

/// What the happy path made, for the later steps and the clean-up.
struct Made {
    network: Network,
    firewall: Firewall,
    server: Server,
    volume: Volume,
}

/// The happy path, through the provider and the layer: a network, a firewall, a server with
/// cloud-init, a volume attached and detached.
async fn the_happy_path(provider: &ScalewayProvider, scw: &Scaleway) -> Made {
    // The happy path, through the provider and the layer.
    provider.validate_credentials().await.unwrap();
    let network = provider.find_or_create_network("secrets-net").await.unwrap();
    let firewall = provider.find_or_create_firewall("secrets-fw").await.unwrap();
    let server = provider
        .create_server(&ServerOptions {
            name: "secrets-1".into(),
            instance_type: "DEV1-S".into(),
            image: "ubuntu-24.04".into(),
            user_data: Some("#cloud-config\npackages: [nginx]\n".into()),
            network_id: Some(network.id.clone()),
            firewall_id: Some(firewall.id.clone()),
            tags: vec!["app=secrets".into()],
            ..ServerOptions::default()
        })
        .await
        .unwrap();
    let server = provider.wait_for_server(&server.id, 50).await.unwrap();
    let cloud_init = scw.user_data().get(&server.id, "cloud-init").await.unwrap();
    assert_eq!(cloud_init.as_deref(), Some("#cloud-config\npackages: [nginx]\n"));
    let volume = provider
        .create_volume(&VolumeOptions {
            name: "secrets-data".into(),
            size_gb: 10,
            ..VolumeOptions::default()
        })
        .await
        .unwrap();
    provider.attach_volume(&volume.id, &server.id).await.unwrap();
    provider.detach_volume(&volume.id).await.unwrap();

    Made {
        network,
        firewall,
        server,
        volume,
    }
}

/// A wrong key (401, through the provider and the layer) and a project the key cannot write to
/// (403), each error printed.
async fn refused_keys_and_projects(sim: &Simulator, server_id: &str, printed: &mut Printed) {
    // A wrong key: 401.
    let stranger = ScalewayProvider::with_options(
        Client::builder(config(sim, WRONG_SECRET, sim.project_id()))
            .retry_policy(quick_retries())
            .build()
            .unwrap(),
        common::quick_provider_options(),
    )
    .unwrap();
    printed.debug("ScalewayProvider with the wrong key", &stranger);
    let refused = stranger.validate_credentials().await.unwrap_err();
    assert!(refused.is_authentication(), "{refused:?}");
    printed.error("wrong key (provider)", &refused);
    let refused = Scaleway::new(stranger.client().clone())
        .servers()
        .get(server_id)
        .await
        .unwrap_err();
    assert!(matches!(refused, Error::Authentication { .. }), "{refused:?}");
    printed.error("wrong key (layer)", &refused);

    // Missing permissions: a project the key cannot write to.
    let elsewhere = ScalewayProvider::with_options(
        Client::builder(config(sim, SECRET, "7e57ab1e-0000-4000-8000-000000000001"))
            .retry_policy(quick_retries())
            .build()
            .unwrap(),
        common::quick_provider_options(),
    )
    .unwrap();
    let denied = elsewhere.find_or_create_firewall("not-mine").await.unwrap_err();
    assert_eq!(denied.status(), Some(403), "{denied:?}");
    printed.error("missing permissions", &denied);
}

/// Injected faults: a create whose answer is lost (recovered; the server it made), a listing that
/// keeps failing, a reset; each error printed.
async fn injected_faults(
    sim: &Simulator,
    provider: &ScalewayProvider,
    scw: &Scaleway,
    server_id: &str,
    printed: &mut Printed,
) -> Server {
    // Injected faults: a create whose answer is lost (recovered), a listing that keeps failing.
    sim.faults().push(FaultRule::new(
        Some("CreateServer"),
        Fault::ResetAfterApply,
        Some(1),
    ));
    let recovered = provider
        .create_server(&ServerOptions {
            name: "secrets-2".into(),
            instance_type: "DEV1-S".into(),
            image: "ubuntu-24.04".into(),
            ..ServerOptions::default()
        })
        .await
        .unwrap();
    sim.faults()
        .push(FaultRule::new(Some("ListServers"), Fault::Status(503), None));
    let unavailable = provider.list_servers().await.unwrap_err();
    assert_eq!(unavailable.status(), Some(503), "{unavailable:?}");
    printed.error("injected 503", &unavailable);
    sim.faults().clear();
    sim.faults()
        .push(FaultRule::new(Some("GetServer"), Fault::Reset, None));
    let reset = scw.servers().get(server_id).await.unwrap_err();
    assert!(matches!(reset, Error::Transport { .. }), "{reset:?}");
    printed.error("injected reset", &reset);
    sim.faults().clear();

    recovered
}

/// Bad input through the provider and the layer, and an answer slower than the request timeout;
/// each error printed.
async fn bad_input_and_a_timeout(
    sim: &Simulator,
    provider: &ScalewayProvider,
    scw: &Scaleway,
    server_id: &str,
    printed: &mut Printed,
) {
    // Bad input, through both.
    let bad = provider
        .create_server(&ServerOptions {
            name: "bad name".into(),
            ..ServerOptions::default()
        })
        .await
        .unwrap_err();
    printed.error("bad input (provider)", &bad);
    let bad = scw
        .volumes()
        .create(&VolumeSpec::new("tiny", ByteSize::from_gb(1).unwrap()))
        .await
        .unwrap_err();
    assert!(matches!(bad, Error::InvalidInput { .. }), "{bad:?}");
    printed.error("bad input (layer)", &bad);

    // A timeout: an answer slower than the request timeout.
    let impatient = Scaleway::new(
        Client::builder(config(sim, SECRET, sim.project_id()))
            .request_timeout(Duration::from_millis(200))
            .retry_policy(RetryPolicy::none())
            .build()
            .unwrap(),
    );
    sim.faults().push(FaultRule::new(
        Some("GetServer"),
        Fault::Latency(Duration::from_secs(5)),
        Some(1),
    ));
    let timed_out = impatient.servers().get(server_id).await.unwrap_err();
    assert!(matches!(timed_out, Error::Timeout { .. }), "{timed_out:?}");
    printed.error("timeout", &timed_out);
    sim.faults().clear();
}

/// The trace holds the run, failures included, and neither it nor anything printed shows a
/// secret key, dashed, upper-case or not.
fn assert_no_secret_shows(trace: &str, printed: &Printed) {
    // The check can fail: the trace holds the run, failures included.
    assert!(trace.len() > 1000, "the trace is almost empty: {trace}");
    for expected in [
        "scaleway_request",
        "status=401",
        "status=403",
        "status=503",
        "method=POST",
        "path=/instance/v1/zones/fr-par-1/servers",
        "DEBUG",
        "WARN",
    ] {
        assert!(trace.contains(expected), "the trace lacks `{expected}`");
    }
    assert!(printed.0.len() > 30);
    for secret in [SECRET, WRONG_SECRET, MALFORMED_SECRET] {
        let upper = secret.to_uppercase();
        let leaks: Vec<&str> = printed
            .0
            .iter()
            .filter(|(_, text)| text.contains(secret) || text.contains(&upper))
            .map(|(what, _)| what.as_str())
            .collect();
        assert!(leaks.is_empty(), "`{secret}` appears in: {leaks:?}");
        let lines: Vec<&str> = trace
            .lines()
            .filter(|line| line.contains(secret) || line.contains(&upper))
            .collect();
        assert!(lines.is_empty(), "`{secret}` appears in the trace: {lines:#?}");
    }
    // What the key is made of, for a leak that reformats it (without dashes).
    let undashed = SECRET.replace('-', "");
    assert!(!trace.contains(&undashed));
    assert!(printed.0.iter().all(|(_, text)| !text.contains(&undashed)));
}
