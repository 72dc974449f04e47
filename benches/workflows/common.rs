//! What the sections share: simulators, clients, providers with scaled waits, measurements of
//! the process, and the report.

use std::future::Future;
use std::time::Duration;

use scaleway_client::provider::scaleway::{ScalewayOptions, ScalewayProvider};
use scaleway_client::resources::{Options, Scaleway};
use scaleway_client::wait::WaitOptions;
use scaleway_client::{Client, Config};
use scaleway_sim::{Simulator, SimulatorOptions};
use tracing::Instrument;

use crate::trace::{self, Call};

/// A Block-root image of the simulator's catalogue (Ubuntu, for PRO2 types).
pub const SBS_IMAGE: &str = "da954c89-6891-4c70-8fdc-63e094449a63";
/// A local-root image of the simulator's catalogue (Ubuntu, for DEV1 types).
pub const LOCAL_IMAGE: &str = "98cf81a9-f0bd-4deb-8893-33f362f7421e";
pub const ZONE: &str = "fr-par-1";

/// One part of the report, and the targets it measured.
pub struct Section {
    pub markdown: String,
    pub targets: Vec<Target>,
}

/// One of the targets: met or not, by how much, and why when missed.
pub struct Target {
    pub name: String,
    pub met: bool,
    pub detail: String,
    /// Why the target is missed, shown only then.
    pub why: Option<String>,
}

impl Target {
    pub fn new(name: impl Into<String>, met: bool, detail: impl Into<String>) -> Target {
        Target {
            name: name.into(),
            met,
            detail: detail.into(),
            why: None,
        }
    }

    /// What explains a miss of this target (shown only if it is missed).
    pub fn because(mut self, why: impl Into<String>) -> Target {
        self.why = Some(why.into());
        self
    }
}

pub async fn simulator(time_scale: f64) -> Simulator {
    seeded_simulator(time_scale, SimulatorOptions::default().seed).await
}

/// A simulator whose transition times are drawn from `seed`.
pub async fn seeded_simulator(time_scale: f64, seed: u64) -> Simulator {
    Simulator::start(SimulatorOptions {
        time_scale,
        seed,
        ..SimulatorOptions::default()
    })
    .await
    .expect("the simulator starts")
}

pub fn client(sim: &Simulator) -> Client {
    let config = Config::builder()
        .secret_key(sim.secret_key())
        .project_id(sim.project_id())
        .api_url(sim.base_url())
        .build()
        .expect("a valid configuration");
    Client::new(config).expect("a client")
}

/// The layer's default waits (polls at once, then after 0.5 s, growing by half up to 5 s, and
/// after a transition it started, reads shaped by the transition's expected duration; for up to
/// 10 minutes), every delay multiplied by `scale` (the timeout by at least 0.1): with a
/// simulator at the same time scale, a wait makes the polls it would make against the real
/// API's timings. A scale of 0 (instant transitions) keeps 1% of them so that nothing spins.
pub fn scaled_waits(scale: f64) -> WaitOptions {
    let s = if scale == 0.0 { 0.01 } else { scale };
    WaitOptions::default()
        .time_scale(s)
        .timeout(Duration::from_secs_f64(600.0 * s.max(0.1)))
}

pub fn layer(client: Client, scale: f64) -> Scaleway {
    let s = if scale == 0.0 { 0.01 } else { scale };
    Scaleway::with_options(
        client,
        Options {
            wait: scaled_waits(scale),
            create_lookup_delay: Duration::from_secs_f64(5.0 * s),
        },
    )
}

/// The provider with its default options, every duration scaled like [`scaled_waits`].
pub fn provider(client: Client, scale: f64) -> ScalewayProvider {
    let s = if scale == 0.0 { 0.01 } else { scale };
    let defaults = ScalewayOptions::default();
    let options = ScalewayOptions {
        wait: scaled_waits(scale),
        server_poll_interval: defaults.server_poll_interval.mul_f64(s),
        create_lookup_delay: defaults.create_lookup_delay.mul_f64(s),
        ..defaults
    };
    ScalewayProvider::with_options(client, options).expect("a provider")
}

/// What one piece of code cost in API calls.
#[derive(Debug, Clone)]
pub struct Cost {
    pub calls: Vec<Call>,
    /// `Client::request_count()` difference: calls and their retries.
    pub requests: u64,
    /// `Client::retry_count()` difference.
    pub retries: u64,
}

impl Cost {
    pub fn add(&mut self, other: &Cost) {
        self.calls.extend(other.calls.iter().cloned());
        self.requests += other.requests;
        self.retries += other.retries;
    }
}

/// Runs `future` under a recording scope and returns its output and its cost. Nothing else may
/// use `client` meanwhile (the counters are the client's).
pub async fn measure<T>(client: &Client, label: &str, future: impl Future<Output = T>) -> (T, Cost) {
    let (requests, retries) = (client.request_count(), client.retry_count());
    let output = future
        .instrument(tracing::info_span!("bench_scope", label = %label))
        .await;
    let cost = Cost {
        calls: trace::take(label),
        requests: client.request_count() - requests,
        retries: client.retry_count() - retries,
    };
    assert_eq!(
        cost.calls.len() as u64 + cost.retries,
        cost.requests,
        "{label}: every request is seen"
    );
    (output, cost)
}

/// CPU time of this process so far, all its threads, user + system: the kernel's count in
/// nanoseconds (`CLOCK_PROCESS_CPUTIME_ID`), which /proc/self/stat rounds to clock ticks (10 ms,
/// a percent of a one-second phase).
pub fn process_cpu() -> Option<Duration> {
    let mut now = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `now` is a valid, writable timespec for the call's whole duration.
    let status = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut now) };
    (status == 0).then(|| Duration::new(now.tv_sec as u64, now.tv_nsec as u32))
}

/// VmRSS of this process in KiB.
pub fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

/// A markdown table.
pub fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = format!("| {} |\n", header.join(" | "));
    out += &format!("|{}\n", header.iter().map(|_| "---|").collect::<String>());
    for row in rows {
        out += &format!("| {} |\n", row.join(" | "));
    }
    out
}
