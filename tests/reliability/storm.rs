//! A fault storm: full lifecycles through the `Provider` while the simulator answers about 20% of
//! requests with a 429 or a 503, closes 2% of connections before applying the request and 2%
//! after applying it (the answer is lost), and delays every request a little.
//!
//! Each lifecycle: find_or_create_network, find_or_create_firewall, create_server with cloud-init
//! on the network, wait_for_server, create_volume, attach_volume, detach_volume, delete_volume,
//! delete_server, delete_firewall, delete_network. Every call must end in success or a typed
//! error; a lifecycle that failed is cleaned up after the storm, with faults off. In the end
//! nothing may be left, no duplicate may ever have existed (the simulator's creation log), and no
//! lifecycle may have failed.
//!
//! CI runs a small seeded storm. The full one:
//! `SCW_SDK_STORM_LIFECYCLES=100 cargo test --test reliability storm:: -- --nocapture`
//! (`SCW_SDK_STORM_SEED` picks another seed, `SCW_SDK_STORM_PARALLEL` how many lifecycles run at
//! once).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::future::Future;
use std::time::Duration;

use futures_util::StreamExt;
use scaleway_client::RetryPolicy;
use scaleway_client::provider::scaleway::{ScalewayOptions, ScalewayProvider};
use scaleway_client::provider::{Provider, ProviderError, ServerOptions, ServerStatus, VolumeOptions};
use scaleway_client::resources::CREATE_TOKEN_TAG;
use scaleway_client::wait::WaitOptions;
use scaleway_sim::{
    Created, CreatedKind, FaultCounts, FaultPlan, InjectedFault, Inventory, Simulator, SimulatorOptions,
    StormRates,
};

use crate::common;

/// Lifecycles in CI; `SCW_SDK_STORM_LIFECYCLES` for more.
const CI_LIFECYCLES: u64 = 8;
/// The storm's seed unless `SCW_SDK_STORM_SEED` says.
const SEED: u64 = 20_260_730;
/// Lifecycles at once unless `SCW_SDK_STORM_PARALLEL` says.
const PARALLEL: u64 = 4;
/// Transitions at 2% of the real API's times: a server starts in about 0.1 s, a detach settles in
/// 60 ms. Short, but every wait still sees the transition under way.
const TIME_SCALE: f64 = 0.02;
/// A bound on one step, so that a hang is reported as the step that hung rather than as a test
/// that never ends. Not a timing assertion: a step takes well under a second.
const HANG_GUARD: Duration = Duration::from_secs(300);

/// The storm: 20% of requests 429 or 503, 2% reset before applying, 2% applied with the
/// answer lost, up to 20 ms of added latency.
pub(crate) fn storm_rates() -> StormRates {
    StormRates {
        rate_limit_or_unavailable: 0.20,
        reset_before_apply: 0.02,
        applied_answer_lost: 0.02,
        max_latency: Duration::from_millis(20),
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not `{value}`")),
        Err(_) => default,
    }
}

/// A provider on the simulator whose client says `label` in its user agent (so that the
/// simulator's fault log tells lifecycles apart), with fast waits and a retry policy patient
/// enough for a storm: 10 retries, 5 ms doubling to 100 ms.
pub(crate) fn provider(sim: &Simulator, label: &str) -> ScalewayProvider {
    let retry = RetryPolicy::default()
        .max_retries(10)
        .min_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(100))
        .max_total_delay(Some(Duration::from_secs(10)));
    let client = common::client_builder(common::simulator_config(sim))
        .retry_policy(retry)
        .request_timeout(Duration::from_secs(30))
        .user_agent_suffix(label)
        .build()
        .unwrap();
    let options = ScalewayOptions {
        wait: WaitOptions::default()
            .first_interval(Duration::from_millis(5))
            .max_interval(Duration::from_millis(50))
            .timeout(Duration::from_secs(60)),
        server_poll_interval: Duration::from_millis(10),
        create_lookup_delay: Duration::from_millis(20),
        ..ScalewayOptions::default()
    };
    ScalewayProvider::with_options(client, options).unwrap()
}

/// What the creation log shows created twice: two servers, Block volumes or IPs of one create
/// token, two private networks or security groups of one name in one project and place, two
/// NICs of one server on one network. One line per duplicate, with the ids.
pub(crate) fn duplicates(log: &[Created]) -> Vec<String> {
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for created in log {
        let token = created.tags.iter().find(|t| t.starts_with(CREATE_TOKEN_TAG));
        let key = match created.kind {
            CreatedKind::Server | CreatedKind::BlockVolume | CreatedKind::Ip => {
                token.map(|token| format!("{:?}s tagged {token}", created.kind))
            }
            CreatedKind::PrivateNetwork | CreatedKind::SecurityGroup => Some(format!(
                "{:?}s named `{}` in project {} at {}",
                created.kind, created.name, created.project, created.place
            )),
            CreatedKind::PrivateNic => Some(format!(
                "NICs of server {} on network {}",
                created.server_id.as_deref().unwrap_or("?"),
                created.private_network_id.as_deref().unwrap_or("?")
            )),
            _ => None,
        };
        if let Some(key) = key {
            groups.entry(key).or_default().push(&created.id);
        }
    }
    groups
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|(key, ids)| format!("{} {key}: {}", ids.len(), ids.join(", ")))
        .collect()
}

/// One step of a lifecycle that did not succeed.
#[derive(Debug)]
struct Failure {
    lifecycle: u64,
    step: &'static str,
    error: String,
    /// The faults injected into this lifecycle's requests during the step.
    faults: Vec<InjectedFault>,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "lifecycle {} failed at {}: {}",
            self.lifecycle, self.step, self.error
        )?;
        for fault in &self.faults {
            writeln!(
                f,
                "    fault {:?} on {} {} ({})",
                fault.fault, fault.method, fault.path, fault.operation
            )?;
        }
        Ok(())
    }
}

/// What a lifecycle knows of what it made, for the cleanup.
#[derive(Debug, Default)]
struct Made {
    server: Option<String>,
    volume: Option<String>,
}

/// One lifecycle, its provider and what it made.
struct Lifecycle<'a> {
    sim: &'a Simulator,
    n: u64,
    label: String,
    provider: ScalewayProvider,
    made: Made,
}

impl<'a> Lifecycle<'a> {
    fn new(sim: &'a Simulator, n: u64) -> Lifecycle<'a> {
        let label = format!("storm-lifecycle/{n}");
        Lifecycle {
            provider: provider(sim, &label),
            sim,
            n,
            label,
            made: Made::default(),
        }
    }

    fn name(&self) -> String {
        format!("storm-{}", self.n)
    }

    /// Runs one step; a failure names the step, the typed error and the faults this lifecycle
    /// met during the step.
    async fn step<T>(
        &self,
        step: &'static str,
        call: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, Failure> {
        let mark = self.sim.fault_counts().injected();
        let error = match tokio::time::timeout(HANG_GUARD, call).await {
            Ok(Ok(value)) => return Ok(value),
            Ok(Err(e)) => format!("{e} [{}]", describe(&e)),
            Err(_) => format!("no answer within {HANG_GUARD:?}"),
        };
        Err(self.failure(step, error, mark))
    }

    fn failure(&self, step: &'static str, error: String, mark: u64) -> Failure {
        let faults = self
            .sim
            .fault_log()
            .into_iter()
            .filter(|f| f.seq >= mark && f.user_agent.ends_with(&self.label))
            .collect();
        Failure {
            lifecycle: self.n,
            step,
            error,
            faults,
        }
    }

    async fn run(&mut self) -> Result<(), Failure> {
        let p = &self.provider;
        let name = self.name();
        let network = self
            .step("find_or_create_network", p.find_or_create_network(&name))
            .await?;
        let firewall = self
            .step("find_or_create_firewall", p.find_or_create_firewall(&name))
            .await?;
        let options = ServerOptions {
            name: name.clone(),
            instance_type: "DEV1-S".into(),
            image: "ubuntu-24.04".into(),
            user_data: Some(format!("#cloud-config\nhostname: {name}\npackages: [nginx]\n")),
            network_id: Some(network.id.clone()),
            firewall_id: Some(firewall.id.clone()),
            tags: vec!["storm".into(), format!("lifecycle={}", self.n)],
            ..ServerOptions::default()
        };
        let server = self.step("create_server", p.create_server(&options)).await?;
        self.made.server = Some(server.id.clone());
        let mark = self.sim.fault_counts().injected();
        if server.private_ipv4.is_none() {
            let error = format!("the server has no private address on its network: {server:?}");
            return Err(self.failure("create_server (its NIC)", error, mark));
        }
        let running = self
            .step("wait_for_server", p.wait_for_server(&server.id, 1000))
            .await?;
        if running.status != ServerStatus::Running {
            let error = format!("waited for running, got {:?}", running.status);
            return Err(self.failure("wait_for_server", error, mark));
        }
        let volume = self
            .step(
                "create_volume",
                p.create_volume(&VolumeOptions {
                    name: format!("{name}-data"),
                    size_gb: 10,
                    server_id: Some(server.id.clone()),
                    ..VolumeOptions::default()
                }),
            )
            .await?;
        self.made.volume = Some(volume.id.clone());
        self.step("attach_volume", p.attach_volume(&volume.id, &server.id))
            .await?;
        self.step("detach_volume", p.detach_volume(&volume.id)).await?;
        self.step("delete_volume", p.delete_volume(&volume.id)).await?;
        self.step("delete_server", p.delete_server(&server.id)).await?;
        self.step("delete_firewall", p.delete_firewall(&firewall.id))
            .await?;
        self.step("delete_network", p.delete_network(&network.id)).await?;
        Ok(())
    }
}

/// The variant of a provider error, with what it says of the call.
fn describe(e: &ProviderError) -> String {
    match e {
        ProviderError::Api {
            status,
            retryable,
            may_have_been_applied,
            ..
        } => format!(
            "Api status={status:?} retryable={retryable} may_have_been_applied={may_have_been_applied}"
        ),
        ProviderError::CleanupFailed { original, cleanup } => {
            format!(
                "CleanupFailed original=[{}] cleanup=[{}]",
                describe(original),
                describe(cleanup)
            )
        }
        other => format!("{other:?}"),
    }
}

/// Removes whatever a failed lifecycle left, with faults off: by the ids it knew, then by names.
async fn clean_up(p: &ScalewayProvider, name: &str, made: &Made) -> Result<(), ProviderError> {
    if let Some(volume) = &made.volume
        && p.get_volume(volume).await?.is_some_and(|v| v.server_id.is_some())
    {
        p.detach_volume(volume).await?;
    }
    if let Some(server) = &made.server {
        p.delete_server(server).await?;
    }
    while let Some(server) = p.find_server(name).await? {
        p.delete_server(&server.id).await?;
    }
    if let Some(volume) = &made.volume {
        p.delete_volume(volume).await?;
    }
    while let Some(volume) = p.get_volume_by_name(&format!("{name}-data")).await? {
        if volume.server_id.is_some() {
            p.detach_volume(&volume.id).await?;
        }
        p.delete_volume(&volume.id).await?;
    }
    loop {
        match p.get_firewall_by_name(name).await {
            Ok(firewall) => p.delete_firewall(&firewall.id).await?,
            Err(e) if e.is_not_found() => break,
            Err(e) => return Err(e),
        }
    }
    loop {
        match p.get_network_by_name(name).await {
            Ok(network) => p.delete_network(&network.id).await?,
            Err(e) if e.is_not_found() => break,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The creation records of what is left, to tell whose it was.
pub(crate) fn leftovers<'a>(left: &Inventory, created: &'a [Created]) -> Vec<&'a Created> {
    let ids: Vec<&String> = left
        .servers
        .iter()
        .chain(&left.volumes)
        .chain(&left.ips)
        .chain(&left.security_groups)
        .chain(&left.private_networks)
        .chain(left.private_nics.iter().map(|n| &n.id))
        .collect();
    created.iter().filter(|c| ids.contains(&&c.id)).collect()
}

fn report(lifecycles: u64, failed: usize, counts: &FaultCounts, attempts: u64, retries: u64) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "lifecycles: {lifecycles}, failed: {failed}");
    let _ = writeln!(
        out,
        "requests served by the simulator: {} (client attempts {attempts}: {} calls + {retries} retries)",
        counts.requests,
        attempts - retries
    );
    let statuses: Vec<String> = counts
        .statuses
        .iter()
        .map(|(status, n)| format!("{status}: {n}"))
        .collect();
    let _ = writeln!(
        out,
        "faults injected: {} (429: {}, {}, reset before applying: {}, applied with the answer lost: {}, transient state: {}); requests delayed: {}",
        counts.injected(),
        counts.rate_limited,
        statuses.join(", "),
        counts.resets,
        counts.answers_lost,
        counts.transient_states,
        counts.delayed
    );
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lifecycles_under_a_fault_storm_leave_nothing_and_never_a_duplicate() {
    // A little over a screen: the lifecycles run at once and their outcomes, the leftovers and the
    // duplicates are reported together before any assertion, so a failing storm shows everything.
    let lifecycles = env_number("SCW_SDK_STORM_LIFECYCLES", CI_LIFECYCLES);
    let seed = env_number("SCW_SDK_STORM_SEED", SEED);
    let parallel = env_number("SCW_SDK_STORM_PARALLEL", PARALLEL).max(1) as usize;
    let sim = common::simulator(TIME_SCALE).await;
    println!("storm: {lifecycles} lifecycles, seed {seed}, {parallel} at a time");
    sim.faults().set(FaultPlan::storm(seed, storm_rates()));

    let outcomes: Vec<(Lifecycle<'_>, Result<(), Failure>)> = futures_util::stream::iter(0..lifecycles)
        .map(|n| {
            let sim = &sim;
            async move {
                let mut lifecycle = Lifecycle::new(sim, n);
                let outcome = lifecycle.run().await;
                (lifecycle, outcome)
            }
        })
        .buffer_unordered(parallel)
        .collect()
        .await;

    let storm = sim.fault_counts();
    sim.faults().clear();
    assert!(
        storm.injected() > 0,
        "the storm injected no fault: the test proves nothing"
    );

    let mut failures = Vec::new();
    let mut cleanup_failures = Vec::new();
    let (mut attempts, mut retries) = (0, 0);
    for (lifecycle, outcome) in outcomes {
        attempts += lifecycle.provider.client().request_count();
        retries += lifecycle.provider.client().retry_count();
        if let Err(failure) = outcome {
            if let Err(e) = clean_up(&lifecycle.provider, &lifecycle.name(), &lifecycle.made).await {
                cleanup_failures.push(format!("lifecycle {}: {e} [{}]", lifecycle.n, describe(&e)));
            }
            failures.push(failure);
        }
    }
    failures.sort_by_key(|f| f.lifecycle);

    println!(
        "{}",
        report(lifecycles, failures.len(), &storm, attempts, retries)
    );
    for failure in &failures {
        print!("{failure}");
    }
    let left = sim.inventory();
    let created = sim.created();
    let duplicated = duplicates(&created);
    println!("duplicates: {duplicated:#?}");
    println!("left behind: {:#?}", leftovers(&left, &created));
    assert!(
        cleanup_failures.is_empty(),
        "cleaning up failed lifecycles with faults off failed: {cleanup_failures:#?}"
    );
    assert!(duplicated.is_empty(), "duplicates existed: {duplicated:#?}");
    assert!(
        left.is_empty(),
        "left behind after the storm and the cleanups: {left:#?}\nas created: {:#?}",
        leftovers(&left, &created)
    );
    assert!(
        failures.is_empty(),
        "{} of {lifecycles} lifecycles failed under the storm:\n{}",
        failures.len(),
        failures.iter().map(ToString::to_string).collect::<String>()
    );
}

#[tokio::test]
async fn a_storm_is_seeded_and_spares_the_simulators_own_routes() {
    // The same seed gives the same faults for the same requests.
    let mut runs = Vec::new();
    for _ in 0..2 {
        let rates = StormRates {
            max_latency: Duration::from_millis(2),
            ..storm_rates()
        };
        let sim = common::simulator_with(SimulatorOptions {
            time_scale: 0.0,
            faults: FaultPlan::storm(7, rates),
            ..SimulatorOptions::default()
        })
        .await;
        let client = common::client(common::simulator_config(&sim), RetryPolicy::none());
        let mut answers = Vec::new();
        for _ in 0..200 {
            let answer = client.instance().list_servers().zone("fr-par-1").send().await;
            answers.push(
                answer
                    .map(|_| 200)
                    .unwrap_or_else(|e| scaleway_client::Error::from(e).status().map_or(0, |s| s)),
            );
        }
        let counts = sim.fault_counts();
        assert_eq!(counts.requests, 200);
        assert_eq!(counts.operation("ListServers"), 200);
        let failed = answers.iter().filter(|a| **a != 200).count() as u64;
        assert_eq!(
            failed,
            counts.injected(),
            "without retries every fault is an error: {counts:?}"
        );
        // 24% of 200 requests are faulted on average; far from none and far from all.
        assert!((10..=100).contains(&counts.injected()), "{counts:?}");
        assert!(counts.rate_limited > 0 && counts.statuses.get(&503).is_some_and(|n| *n > 0));
        // The simulator's own routes are never faulted nor counted.
        let http = scaleway_client::http_client_builder().unwrap().build().unwrap();
        for _ in 0..50 {
            let inventory = http
                .get(format!("{}/__simulator/inventory", sim.base_url()))
                .send()
                .await
                .unwrap();
            assert_eq!(inventory.status(), 200);
        }
        let served: FaultCounts = http
            .get(format!("{}/__simulator/counts", sim.base_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(served, counts, "the counts are the same over HTTP");
        assert_eq!(sim.fault_counts().requests, 200);
        runs.push((answers, counts));
    }
    assert_eq!(runs[0], runs[1], "one seed, one storm");
}

#[tokio::test]
async fn the_duplicate_check_sees_twins_even_once_deleted() {
    let sim = common::simulator(0.0).await;
    let p = provider(&sim, "twins");
    let client = p.client();
    let project = sim.project_id().to_string();
    let mut networks = Vec::new();
    for _ in 0..2 {
        let network = client
            .vpc()
            .create_private_network()
            .region("fr-par")
            .body_map(|b| b.name("twin".to_string()).project_id(project.clone()))
            .send()
            .await
            .unwrap();
        networks.push(network.into_inner().id.unwrap());
    }
    let token = format!("{CREATE_TOKEN_TAG}=one-create");
    for _ in 0..2 {
        client
            .block()
            .create_volume()
            .zone("fr-par-1")
            .body_map(|b| {
                b.name("data".to_string())
                    .perf_iops(5000)
                    .project_id(project.clone())
                    .from_empty(
                        scaleway_client::api::block_v1::types::CreateVolumeRequestFromEmpty {
                            size: Some(10_000_000_000),
                        },
                    )
                    .tags(vec![token.clone()])
            })
            .send()
            .await
            .unwrap();
    }
    // One of each pair is deleted at once: they existed together all the same.
    p.delete_network(&networks[1]).await.unwrap();
    let twins = duplicates(&sim.created());
    assert_eq!(twins.len(), 2, "{twins:#?}");
    assert!(
        twins[0].contains("BlockVolumes tagged") && twins[0].contains(&token),
        "{twins:#?}"
    );
    assert!(twins[1].contains("PrivateNetworks named `twin`"), "{twins:#?}");
    assert!(
        twins[1].contains(&networks[1]),
        "the deleted twin is remembered: {twins:#?}"
    );
}
