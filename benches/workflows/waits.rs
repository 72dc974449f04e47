//! Section 2: how late each way of waiting sees a transition end, and how many reads it takes.

use std::future::Future;
use std::time::{Duration, Instant};

use scaleway_client::api::block_v1::types::{CreateVolumeRequestFromEmpty, ReferenceStatus, VolumeStatus};
use scaleway_client::api::instance_v1::types::{
    AttachServerVolumeBodyVolumeType, PrivateNicState, ServerAction, ServerState,
};
use scaleway_client::resources::{NetworkSpec, Scaleway, VolumeSpec, attached_server};
use scaleway_client::{ByteSize, Client, Result};
use serde_json::json;

use crate::common::{self, Section, Target, measure};

/// Transitions last this fraction of the simulator's realistic times (and every wait schedule
/// is scaled alike): long enough to measure against request latency (a 1 s attach lasts
/// 100 ms), short enough to repeat.
pub const SCALE: f64 = 0.1;
const REPEATS: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Strategy {
    /// The layer's own waits (`wait_for` through `servers().power_on`, `volumes().attach`, …).
    Layer,
    /// A fixed 5 s poll, the first at once: the Go SDK's `WaitFor*` default (`RetryInterval`
    /// 5 s, `async.WaitSync`).
    Fixed5s,
    /// The Python SDK's `wait_for_resource` with its default `WaitForOptions` (scaleway-core
    /// 2.12.0): sleep first, then read; the k-th delay is uniform in [1, 2^(k-1)] s while
    /// k ≤ log2(30)+1, then 30 s.
    Python,
}

const STRATEGIES: [Strategy; 3] = [Strategy::Layer, Strategy::Fixed5s, Strategy::Python];

impl Strategy {
    fn name(self) -> &'static str {
        match self {
            Strategy::Layer => "this crate's layer",
            Strategy::Fixed5s => "fixed 5 s (Go SDK default)",
            Strategy::Python => "Python SDK waiter",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Transition {
    PowerOnBlock,
    PowerOnLocal,
    PowerOff,
    Terminate,
    NicAvailable,
    VolumeCreate,
    Attach,
    Detach,
}

const TRANSITIONS: [Transition; 8] = [
    Transition::PowerOnBlock,
    Transition::PowerOnLocal,
    Transition::PowerOff,
    Transition::Terminate,
    Transition::NicAvailable,
    Transition::VolumeCreate,
    Transition::Attach,
    Transition::Detach,
];

impl Transition {
    fn name(self) -> &'static str {
        match self {
            Transition::PowerOnBlock => "poweron, Block root (→ running)",
            Transition::PowerOnLocal => "poweron, local root (→ running)",
            Transition::PowerOff => "poweroff (→ stopped)",
            Transition::Terminate => "terminate, local root (→ gone)",
            Transition::NicAvailable => "private NIC on a running server (→ available)",
            Transition::VolumeCreate => "Block volume create (→ available)",
            Transition::Attach => "attach a Block volume (→ attached)",
            Transition::Detach => "detach a Block volume (→ detached)",
        }
    }

    /// The simulator's realistic duration (src/simulator/instance.rs, block.rs, store.rs), in
    /// seconds at time scale 1.
    fn seconds(self) -> f64 {
        match self {
            Transition::PowerOnBlock => 5.0,
            Transition::PowerOnLocal => 16.0,
            Transition::PowerOff => 25.0,
            Transition::Terminate => 10.0,
            Transition::NicAvailable => 55.0,
            Transition::VolumeCreate => 2.0,
            Transition::Attach => 1.0,
            Transition::Detach => 3.0,
        }
    }
}

struct Sample {
    transition: Transition,
    strategy: Strategy,
    /// Detection delay as a fraction of the transition's time.
    delay: f64,
    /// Reads after the action (the one that saw the end included).
    polls: usize,
}

/// A small deterministic generator for the Python waiter's random delays.
struct XorShift(u64);

impl XorShift {
    fn uniform(&mut self, low: f64, high: f64) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        low + (high - low) * ((self.0 >> 11) as f64 / (1u64 << 53) as f64)
    }
}

/// Polls `check` on `strategy`'s schedule (scaled) until it says done; returns the reads.
async fn poll_until<F, Fut>(strategy: Strategy, rng: &mut XorShift, mut check: F) -> usize
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<bool>>,
{
    let scaled = |secs: f64| Duration::from_secs_f64(secs * SCALE);
    let mut reads = 0;
    let mut attempt = 1u32;
    let max_attempt = (30f64 / 1.0).log2() + 1.0;
    loop {
        match strategy {
            Strategy::Fixed5s => {
                if reads > 0 {
                    tokio::time::sleep(scaled(5.0)).await;
                }
            }
            Strategy::Python => {
                let delay = if f64::from(attempt) > max_attempt {
                    30.0
                } else {
                    rng.uniform(1.0, 2f64.powi(attempt as i32 - 1))
                };
                attempt += 1;
                tokio::time::sleep(scaled(delay)).await;
            }
            Strategy::Layer => unreachable!("the layer waits by itself"),
        }
        reads += 1;
        if check().await.expect("a read") {
            return reads;
        }
    }
}

/// Times `work` (an action and its wait) for `transition`; for the layer, the polls are the
/// reads after its last call that is not a read.
async fn timed<T>(
    client: &Client,
    strategy: Strategy,
    label: &str,
    transition: Transition,
    work: impl Future<Output = (T, usize)>,
) -> (T, Sample) {
    let label = format!("{label}/{transition:?}");
    let started = Instant::now();
    let ((value, own_reads), cost) = measure(client, &label, work).await;
    let elapsed = started.elapsed().as_secs_f64();
    let polls = if strategy == Strategy::Layer {
        let last_change = cost.calls.iter().rposition(|c| c.method != "GET").unwrap_or(0);
        cost.calls.len() - last_change - 1
    } else {
        own_reads
    };
    let transition_secs = transition.seconds() * SCALE;
    let sample = Sample {
        transition,
        strategy,
        delay: (elapsed - transition_secs).max(0.0) / transition_secs,
        polls,
    };
    (value, sample)
}

/// One chain of transitions, on its own client so that its calls are its own.
struct Chain {
    scw: Scaleway,
    client: Client,
    strategy: Strategy,
    rng: XorShift,
    label: String,
    samples: Vec<Sample>,
}

impl Chain {
    fn zone(&self) -> &str {
        common::ZONE
    }

    async fn action(&self, server: &str, action: ServerAction) {
        self.client
            .instance()
            .server_action()
            .zone(self.zone())
            .server_id(server)
            .body_map(|b| b.action(action))
            .send()
            .await
            .expect("the action");
    }

    async fn server_state(&self, server: &str) -> Result<Option<ServerState>> {
        Ok(self.scw.servers().get(server).await?.map(|s| s.state))
    }

    async fn power(&mut self, transition: Transition, server: &str, on: bool) {
        let strategy = self.strategy;
        let mut rng = XorShift(self.rng.0);
        let this = &*self;
        let work = async {
            if strategy == Strategy::Layer {
                let servers = this.scw.servers();
                if on {
                    servers.power_on(server).await.unwrap();
                } else {
                    servers.power_off(server).await.unwrap();
                }
                return ((), 0);
            }
            let (action, target) = if on {
                (ServerAction::Poweron, ServerState::Running)
            } else {
                (ServerAction::Poweroff, ServerState::Stopped)
            };
            this.action(server, action).await;
            let reads = poll_until(strategy, &mut rng, || async {
                Ok(this.server_state(server).await? == Some(target))
            })
            .await;
            ((), reads)
        };
        let ((), sample) = timed(&self.client, strategy, &self.label, transition, work).await;
        self.samples.push(sample);
        self.rng.0 = rng.0;
    }

    async fn terminate(&mut self, server: &str) {
        let strategy = self.strategy;
        let mut rng = XorShift(self.rng.0);
        let this = &*self;
        let work = async {
            if strategy == Strategy::Layer {
                let gone = this
                    .scw
                    .servers()
                    .action_and_wait(server, ServerAction::Terminate)
                    .await
                    .unwrap();
                assert!(gone.is_none());
                return ((), 0);
            }
            this.action(server, ServerAction::Terminate).await;
            let reads = poll_until(strategy, &mut rng, || async {
                Ok(this.server_state(server).await?.is_none())
            })
            .await;
            ((), reads)
        };
        let ((), sample) = timed(&self.client, strategy, &self.label, Transition::Terminate, work).await;
        self.samples.push(sample);
        self.rng.0 = rng.0;
    }

    async fn nic(&mut self, server: &str, network: &str) -> String {
        let strategy = self.strategy;
        let mut rng = XorShift(self.rng.0);
        let this = &*self;
        let work = async {
            if strategy == Strategy::Layer {
                let nic = this.scw.private_nics().create(server, network).await.unwrap();
                return (nic.id.unwrap(), 0);
            }
            let nic = this
                .client
                .instance()
                .create_private_nic()
                .zone(this.zone())
                .server_id(server)
                .body_map(|b| b.private_network_id(network.to_string()))
                .send()
                .await
                .unwrap()
                .into_inner()
                .private_nic
                .unwrap();
            let id = nic.id.unwrap();
            let reads = poll_until(strategy, &mut rng, || async {
                let nic = this.scw.private_nics().get(server, &id).await?;
                Ok(nic.is_some_and(|n| n.state == PrivateNicState::Available))
            })
            .await;
            (id, reads)
        };
        let (id, sample) = timed(
            &self.client,
            strategy,
            &self.label,
            Transition::NicAvailable,
            work,
        )
        .await;
        self.samples.push(sample);
        self.rng.0 = rng.0;
        id
    }

    async fn create_volume(&mut self) -> String {
        let strategy = self.strategy;
        let mut rng = XorShift(self.rng.0);
        let this = &*self;
        let size = ByteSize::from_gb(10).unwrap();
        let work = async {
            if strategy == Strategy::Layer {
                let volume = this
                    .scw
                    .volumes()
                    .create(&VolumeSpec::new("wait-data", size))
                    .await
                    .unwrap();
                return (volume.id.unwrap(), 0);
            }
            let project = this.client.config().project_id().unwrap().to_string();
            let volume = this
                .client
                .block()
                .create_volume()
                .zone(this.zone())
                .body_map(|b| {
                    b.name("wait-data".to_string())
                        .perf_iops(5000)
                        .project_id(project)
                        .from_empty(CreateVolumeRequestFromEmpty {
                            size: Some(size.bytes()),
                        })
                })
                .send()
                .await
                .unwrap()
                .into_inner();
            let id = volume.id.unwrap();
            let reads = poll_until(strategy, &mut rng, || async {
                let volume = this.scw.volumes().get(&id).await?;
                Ok(volume.is_some_and(|v| v.status == Some(VolumeStatus::Available)))
            })
            .await;
            (id, reads)
        };
        let (id, sample) = timed(
            &self.client,
            strategy,
            &self.label,
            Transition::VolumeCreate,
            work,
        )
        .await;
        self.samples.push(sample);
        self.rng.0 = rng.0;
        id
    }

    async fn attach(&mut self, volume: &str, server: &str, attach: bool) {
        let strategy = self.strategy;
        let mut rng = XorShift(self.rng.0);
        let this = &*self;
        let work = async {
            let volumes = this.scw.volumes();
            if strategy == Strategy::Layer {
                if attach {
                    volumes.attach(volume, server).await.unwrap();
                } else {
                    volumes.detach(volume).await.unwrap();
                }
                return ((), 0);
            }
            let instance = this.client.instance();
            if attach {
                instance
                    .attach_server_volume()
                    .zone(this.zone())
                    .server_id(server)
                    .body_map(|b| {
                        b.volume_id(volume)
                            .volume_type(AttachServerVolumeBodyVolumeType::SbsVolume)
                    })
                    .send()
                    .await
                    .unwrap();
            } else {
                instance
                    .detach_server_volume()
                    .zone(this.zone())
                    .server_id(server)
                    .body_map(|b| b.volume_id(volume))
                    .send()
                    .await
                    .unwrap();
            }
            let reads = poll_until(strategy, &mut rng, || async {
                let v = volumes.get(volume).await?.expect("the volume");
                Ok(if attach {
                    v.references.iter().any(|r| r.status == ReferenceStatus::Attached)
                } else {
                    attached_server(&v).is_none()
                })
            })
            .await;
            ((), reads)
        };
        let transition = if attach {
            Transition::Attach
        } else {
            Transition::Detach
        };
        let ((), sample) = timed(&self.client, strategy, &self.label, transition, work).await;
        self.samples.push(sample);
        self.rng.0 = rng.0;
    }

    async fn raw_server(&self, name: &str, commercial_type: &str, image: &str) -> String {
        let base = self.client.base_url().trim_end_matches('/').to_string();
        let answer: serde_json::Value = self
            .client
            .http()
            .post(format!("{base}/instance/v1/zones/{}/servers", self.zone()))
            .json(&json!({
                "name": name,
                "commercial_type": commercial_type,
                "image": image,
                "project": self.client.config().project_id().unwrap(),
            }))
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["server"]["id"].as_str().unwrap().to_string()
    }

    /// Block root: poweron, NIC, volume create, attach, detach, poweroff; then removed.
    async fn block_chain(&mut self, network: &str) {
        let server = self.raw_server("wait-block", "PRO2-XXS", common::SBS_IMAGE).await;
        self.power(Transition::PowerOnBlock, &server, true).await;
        self.nic(&server, network).await;
        let volume = self.create_volume().await;
        self.attach(&volume, &server, true).await;
        self.attach(&volume, &server, false).await;
        self.power(Transition::PowerOff, &server, false).await;
        self.scw
            .servers()
            .delete(&server, scaleway_client::resources::VolumePolicy::DeleteAll)
            .await
            .unwrap();
        self.scw.volumes().delete(&volume).await.unwrap();
    }

    /// Local root: poweron, terminate (which deletes its local volume).
    async fn local_chain(&mut self) {
        let server = self.raw_server("wait-local", "DEV1-S", common::LOCAL_IMAGE).await;
        self.power(Transition::PowerOnLocal, &server, true).await;
        self.terminate(&server).await;
    }
}

pub async fn section() -> Section {
    println!("2. detection delay and polls per transition (time scale {SCALE}, {REPEATS} repeats)…");
    let sim = common::simulator(SCALE).await;
    let setup = common::layer(common::client(&sim), SCALE);
    let network = setup
        .private_networks()
        .find_or_create("wait-net", &NetworkSpec::default())
        .await
        .unwrap()
        .id
        .unwrap();
    let mut samples = Vec::new();
    for repeat in 0..REPEATS {
        // Every strategy's two chains run side by side, on their own resources and clients.
        let mut chains = Vec::new();
        for (i, strategy) in STRATEGIES.into_iter().enumerate() {
            for local in [false, true] {
                let client = common::client(&sim);
                chains.push((
                    local,
                    Chain {
                        scw: common::layer(client.clone(), SCALE),
                        client,
                        strategy,
                        rng: XorShift(
                            0x9E37_79B9_7F4A_7C15 ^ ((repeat * 8 + i * 2 + local as usize) as u64 + 1),
                        ),
                        label: format!("wait-{repeat}-{strategy:?}-{local}"),
                        samples: Vec::new(),
                    },
                ));
            }
        }
        let network = network.clone();
        let runs = chains.into_iter().map(|(local, mut chain)| {
            let network = network.clone();
            async move {
                if local {
                    chain.local_chain().await;
                } else {
                    chain.block_chain(&network).await;
                }
                chain.samples
            }
        });
        for chain_samples in futures_util::future::join_all(runs).await {
            samples.extend(chain_samples);
        }
    }
    setup.private_networks().delete(&network).await.unwrap();
    let left = sim.inventory();
    assert!(left.is_empty(), "the waits left {left:?}");

    let mut md = String::from("## 2. Detection delay and polls per transition\n\n");
    md += &format!(
        "The simulator's realistic transition times multiplied by {SCALE} (so a 1 s attach lasts \
         100 ms), and every wait schedule multiplied alike: the layer's own waits (its default \
         `WaitOptions`: first read at once, or after 0.5 s following an action it sent, then \
         intervals growing by 1.5× up to 5 s), a fixed 5 s poll with the first read at once (the \
         Go SDK's `WaitFor*` default), and the Python SDK's `wait_for_resource` with its default \
         `WaitForOptions` (scaleway-core 2.12.0: min_delay 1 s, max_delay 30 s; it sleeps before \
         every read, the k-th delay uniform in [1, 2^(k-1)] s while k ≤ log2(30)+1, then 30 s; \
         seeded here). Each transition ran {REPEATS} times per strategy, the three strategies side \
         by side on their own resources. Delay = time from sending the action to the wait's end, \
         minus the transition's time, as % of the transition's time (median); polls = reads after \
         the action, the one that saw the end included (median). For the layer the timed call \
         is the public one (`servers().power_on`, `power_off`, `action_and_wait(terminate)`, \
         `private_nics().create`, `volumes().create`, `attach`, `detach`), whose reads before the \
         action are not counted as polls.\n\n"
    );
    let mut header = vec!["transition".to_string(), "time (real)".to_string()];
    for strategy in STRATEGIES {
        header.push(format!("{}: delay", strategy.name()));
        header.push(format!("{}: polls", strategy.name()));
    }
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut rows = Vec::new();
    let mut targets_delay = Vec::new();
    let mut targets_polls = Vec::new();
    for transition in TRANSITIONS {
        let mut row = vec![
            transition.name().to_string(),
            format!("{:.0} s", transition.seconds()),
        ];
        let mut medians = Vec::new();
        for strategy in STRATEGIES {
            let of = |f: &dyn Fn(&Sample) -> f64| {
                let mut v: Vec<f64> = samples
                    .iter()
                    .filter(|s| s.transition == transition && s.strategy == strategy)
                    .map(f)
                    .collect();
                common::median(&mut v)
            };
            let delay = of(&|s| s.delay);
            let polls = of(&|s| s.polls as f64);
            row.push(format!("{:.1}%", delay * 100.0));
            row.push(format!("{polls}"));
            medians.push((delay, polls));
        }
        let (layer_delay, layer_polls) = medians[0];
        let fixed_polls = medians[1].1;
        if layer_delay > 0.10 {
            targets_delay.push(format!("{} {:.1}%", transition.name(), layer_delay * 100.0));
        }
        if layer_polls > fixed_polls {
            targets_polls.push(format!("{} {layer_polls} vs {fixed_polls}", transition.name()));
        }
        rows.push(row);
    }
    md += &common::table(&header, &rows);
    md += "\n";
    md += "Why, from the schedules: after an action it sent, the layer reads at 0.5, 1.25, 2.4, \
           4.1, 6.6, 10.4, 15.4 s and every 5 s after that (real timings). On the short \
           transitions the read after the end comes up to 1.7 s (then 2.5 s, then 3.8 s) late: \
           a 5 s poweron is seen at 6.6 s (+32%), a 1 s attach at 1.25 s (+25%), a 3 s detach at \
           4.1 s (+35%), before request latency; and its early reads cost more polls than a fixed \
           5 s poll on every transition of 2 s or more. A fixed 5 s poll sees the 5 s and 10 s \
           transitions at once (the simulator's round timings fall on its reads) and the 1 to 3 s \
           ones only at 5 s. The Python waiter sleeps first and doubles its ceiling each time, so \
           it is cheap in polls but late on the long transitions.\n\n";
    let targets = vec![
        Target::new(
            "median detection delay ≤ 10% of the transition (layer)",
            targets_delay.is_empty(),
            if targets_delay.is_empty() {
                "all 8 transitions".to_string()
            } else {
                format!("above on {}: {}", targets_delay.len(), targets_delay.join("; "))
            },
        ),
        Target::new(
            "polls ≤ fixed 5 s polling (layer, median)",
            targets_polls.is_empty(),
            if targets_polls.is_empty() {
                "all 8 transitions".to_string()
            } else {
                format!("more on {}: {}", targets_polls.len(), targets_polls.join("; "))
            },
        ),
    ];
    Section {
        markdown: md,
        targets,
    }
}
