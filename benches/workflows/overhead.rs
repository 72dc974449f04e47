//! Section 3: what the client adds to a request, against a raw reqwest GET, on a simulator in
//! another process.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use scaleway_client::api::instance_v1::types::GetServerResponse;
use scaleway_client::provider::Provider;
use scaleway_client::provider::scaleway::ScalewayProvider;
use scaleway_client::{Client, Config};
use serde_json::{Value, json};

use crate::common::{self, Section, Target};
use crate::trace;

const CONCURRENCY: usize = 64;
/// Rounds of one phase per way: an odd number, for a median that is one round's figure.
const ROUNDS: usize = 15;
/// Short phases, many rounds: a change of load on this shared machine falls on few rounds'
/// ratios, which the median leaves out, rather than on one way's whole total.
const PHASE: Duration = Duration::from_millis(800);

#[derive(Clone, Copy, PartialEq, Debug)]
enum Way {
    Provider,
    Generated,
    Raw,
    RawTyped,
}

const WAYS: [Way; 4] = [Way::Provider, Way::Generated, Way::Raw, Way::RawTyped];

impl Way {
    fn name(self) -> &'static str {
        match self {
            Way::Provider => "`provider.get_server(id)`",
            Way::Generated => "`client.instance().get_server()…send()`",
            Way::Raw => "raw `reqwest` GET → `serde_json::Value`",
            Way::RawTyped => "raw `reqwest` GET → `types::GetServerResponse`",
        }
    }

    /// The way's name in a round's order.
    fn short(self) -> &'static str {
        match self {
            Way::Provider => "provider",
            Way::Generated => "generated",
            Way::Raw => "raw",
            Way::RawTyped => "raw typed",
        }
    }
}

/// The simulator as its own process, killed when dropped.
struct External {
    child: Child,
    url: String,
    key: String,
    project: String,
}

impl Drop for External {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Why the client can miss the overhead targets, shown when it does.
const OVERHEAD_WHY: &str = "most of the excess is in the generated code, which this crate does not \
     edit. Counted with callgrind (instructions per request, one server, 8 concurrent requests on \
     a single-threaded runtime, start-up left out): the raw GET decoded into the generated type \
     134,500; the generated call with its hook cut down to sending the request (a build for the \
     measure only) 144,800, 1.08×: progenitor's builder makes owned strings of its parameters, \
     formats and percent-encodes the path, builds a header map and merges it into the request, \
     copies the answer's headers into its `ResponseValue` and moves the 1.6 kB decoded server \
     through its futures; the whole generated call 151,500, 1.13× (the hook: the copy of the \
     request kept for a retry, reading the body, its registration, the answer rebuilt around it); \
     the provider 155,400, 1.16× (the server moved again, the look at the root volume's memory, \
     the conversion). The generated code alone is past the 5% target: it is what progenitor \
     writes, and this crate trims what it generates but never rewrites it. The \
     system time and the syscalls per request are the raw GET's (one `writev`, one `recvfrom`). \
     The raw GET decoded into \
     `serde_json::Value` counts 192,900 instructions (1.43×) and still costs about the raw typed \
     GET's CPU time here: instruction counts say where the work is, not what it costs on this \
     machine. The ratios also move from round to round on this shared machine by more than the \
     target's 5%";

/// Set on the child process that serves the simulator, to the address it listens on.
pub const SERVE_VAR: &str = "SCW_SDK_BENCH_SERVE_SIMULATOR";

/// The child process's whole life: the simulator on `listen` with instant transitions, its
/// credentials printed as `scaleway-sim` prints them, until the parent kills it.
pub fn serve_simulator(listen: &str) -> ! {
    let listen: std::net::SocketAddr = listen.parse().expect("an address to listen on");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        let options = scaleway_sim::SimulatorOptions {
            time_scale: 0.0,
            ..Default::default()
        };
        let sim = scaleway_sim::Simulator::start_on(listen, options)
            .await
            .expect("the simulator listens");
        println!("SCW_API_URL={}", sim.base_url());
        println!("SCW_SECRET_KEY={}", sim.secret_key());
        println!("SCW_DEFAULT_PROJECT_ID={}", sim.project_id());
        println!("SCW_DEFAULT_ORGANIZATION_ID={}", sim.organization_id());
        std::io::Write::flush(&mut std::io::stdout()).expect("stdout");
        std::future::pending::<()>().await;
    });
    unreachable!("the simulator serves until the process is killed")
}

fn start_external() -> External {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    // The bench binary itself, in its serving mode: the simulator crate's binary belongs to
    // another package, which `cargo bench` of this one does not build.
    let mut child = Command::new(std::env::current_exe().expect("the bench's own path"))
        .env(SERVE_VAR, format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("scaleway-sim starts");
    let stdout = child.stdout.take().unwrap();
    let mut vars = std::collections::HashMap::new();
    for line in BufReader::new(stdout).lines().map_while(|l| l.ok()) {
        if let Some((k, v)) = line.split_once('=') {
            vars.insert(k.to_string(), v.to_string());
        }
        if vars.len() == 4 {
            break;
        }
    }
    External {
        child,
        url: vars["SCW_API_URL"].clone(),
        key: vars["SCW_SECRET_KEY"].clone(),
        project: vars["SCW_DEFAULT_PROJECT_ID"].clone(),
    }
}

struct Measured {
    ops: u64,
    secs: f64,
    cpu: f64,
}

impl Measured {
    fn throughput(&self) -> f64 {
        self.ops as f64 / self.secs
    }

    fn cpu_per_request(&self) -> f64 {
        self.cpu / self.ops as f64
    }
}

async fn phase(
    way: Way,
    provider: &Arc<ScalewayProvider>,
    client: &Client,
    raw: &reqwest::Client,
    url: &str,
    key: &str,
    id: &str,
) -> Measured {
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + PHASE;
    let cpu_before = common::process_cpu().unwrap_or_default();
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CONCURRENCY {
        let (count, provider, client, raw) = (count.clone(), provider.clone(), client.clone(), raw.clone());
        let (url, key, id) = (url.to_string(), key.to_string(), id.to_string());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                match way {
                    Way::Provider => {
                        let server = provider.get_server(&id).await.unwrap().unwrap();
                        assert_eq!(server.id, id);
                    }
                    Way::Generated => {
                        let server = client
                            .instance()
                            .get_server()
                            .zone(common::ZONE)
                            .server_id(&id)
                            .send()
                            .await
                            .unwrap()
                            .into_inner()
                            .server
                            .unwrap();
                        assert_eq!(server.id.as_deref(), Some(id.as_str()));
                    }
                    Way::Raw => {
                        let answer = raw.get(&url).header("X-Auth-Token", &key).send().await.unwrap();
                        assert_eq!(answer.status(), 200);
                        let value: Value = answer.json().await.unwrap();
                        assert_eq!(value["server"]["id"].as_str(), Some(id.as_str()));
                    }
                    Way::RawTyped => {
                        let answer = raw.get(&url).header("X-Auth-Token", &key).send().await.unwrap();
                        assert_eq!(answer.status(), 200);
                        let server = answer.json::<GetServerResponse>().await.unwrap().server.unwrap();
                        assert_eq!(server.id.as_deref(), Some(id.as_str()));
                    }
                }
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = (common::process_cpu().unwrap_or_default() - cpu_before).as_secs_f64();
    Measured {
        ops: count.load(Ordering::Relaxed),
        secs,
        cpu,
    }
}

pub async fn section() -> Section {
    println!("3. client overhead against a raw reqwest GET ({CONCURRENCY} concurrent, external simulator)…");
    let sim = start_external();
    let config = Config::builder()
        .secret_key(&sim.key)
        .project_id(&sim.project)
        .api_url(&sim.url)
        .build()
        .unwrap();
    let client = Client::new(config).unwrap();
    let provider = Arc::new(common::provider(client.clone(), 0.0));
    // The raw ways bound a request as the client does (its default timeouts): a client without
    // a timeout can wait forever on a lost answer, which no real client may do.
    let raw = scaleway_client::http_client_builder()
        .unwrap()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let base = sim.url.trim_end_matches('/');
    let created: Value = raw
        .post(format!("{base}/instance/v1/zones/{}/servers", common::ZONE))
        .header("X-Auth-Token", &sim.key)
        .json(&json!({"name": "overhead", "commercial_type": "PRO2-XXS", "image": common::SBS_IMAGE, "project": sim.project}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["server"]["id"].as_str().unwrap().to_string();
    let url = format!("{base}/instance/v1/zones/{}/servers/{id}", common::ZONE);

    // No span is recorded here: a library user without a subscriber pays for none either.
    trace::set_recording(false);
    // Warm-up: connections open, allocator warm.
    for way in WAYS {
        phase(way, &provider, &client, &raw, &url, &sim.key, &id).await;
    }
    // Each round measures every way once, one after the other, the order rotating; each way is
    // compared with the raw ways of its own round, a few seconds apart at most.
    let mut rounds: Vec<Vec<Measured>> = Vec::new();
    let mut orders: Vec<String> = Vec::new();
    for round in 0..ROUNDS {
        let mut measured: Vec<Option<Measured>> = WAYS.iter().map(|_| None).collect();
        let mut order = Vec::new();
        for k in 0..WAYS.len() {
            let i = (k + round) % WAYS.len();
            measured[i] = Some(phase(WAYS[i], &provider, &client, &raw, &url, &sim.key, &id).await);
            order.push(WAYS[i].short());
        }
        rounds.push(measured.into_iter().map(|m| m.expect("every way ran")).collect());
        orders.push(order.join(", "));
    }
    trace::set_recording(true);
    drop(sim);

    let index = |way: Way| WAYS.iter().position(|w| *w == way).expect("a way measured");
    let (raw_i, typed_i) = (index(Way::Raw), index(Way::RawTyped));
    // Per round and way: throughput / raw, CPU per request / raw, CPU per request / raw typed.
    let ratios: Vec<Vec<(f64, f64, f64)>> = rounds
        .iter()
        .map(|round| {
            round
                .iter()
                .map(|m| {
                    (
                        m.throughput() / round[raw_i].throughput(),
                        m.cpu_per_request() / round[raw_i].cpu_per_request(),
                        m.cpu_per_request() / round[typed_i].cpu_per_request(),
                    )
                })
                .collect()
        })
        .collect();
    let median_of = |i: usize, pick: fn(&(f64, f64, f64)) -> f64| {
        common::median(&mut ratios.iter().map(|r| pick(&r[i])).collect::<Vec<_>>())
    };
    let mut md = String::from("## 3. Client overhead against a raw reqwest GET\n\n");
    md += &format!(
        "One server on a simulator in its own process (this bench's binary started again in its \
         serving mode, at time scale 0), read by {CONCURRENCY} concurrent tasks in this process. \
         After a warm-up phase per way, {ROUNDS} rounds each run every way for {:.1} s, one after \
         the other, the order rotating from round to round. Each way's figures are ratios to the \
         raw ways' figures of the same round, and the table gives the median of the {ROUNDS} \
         rounds' ratios: a change of load on this shared machine during a few phases moves a few \
         rounds' ratios, not the median. CPU is this process's user + system time, all threads \
         (`CLOCK_PROCESS_CPUTIME_ID`, in nanoseconds), over each phase: the client side alone. \
         The provider's `get_server` makes one call here (a server without private NICs needs no \
         IPAM listing). Request tracing is off (no subscriber records anything).\n\n",
        PHASE.as_secs_f64()
    );
    let mut rows = Vec::new();
    let mut targets = Vec::new();
    for (i, way) in WAYS.into_iter().enumerate() {
        let requests: u64 = rounds.iter().map(|r| r[i].ops).sum();
        let (tput, cpu, cpu_typed) = (
            median_of(i, |r| r.0),
            median_of(i, |r| r.1),
            median_of(i, |r| r.2),
        );
        rows.push(vec![
            way.name().to_string(),
            requests.to_string(),
            format!("{tput:.2}"),
            format!("{cpu:.2}"),
            format!("{cpu_typed:.2}"),
        ]);
        if way == Way::Generated {
            targets.push(
                Target::new(
                    "generated call CPU per request ≤ 1.05× raw reqwest with the same typed decode",
                    cpu_typed <= 1.05,
                    format!("{cpu_typed:.3}× (median of {ROUNDS} rounds)"),
                )
                .because(OVERHEAD_WHY),
            );
        }
        if way == Way::Provider {
            targets.push(
                Target::new(
                    "provider throughput ≥ 0.95× raw reqwest",
                    tput >= 0.95,
                    format!("{tput:.3}× (median of {ROUNDS} rounds)"),
                )
                .because(OVERHEAD_WHY),
            );
            targets.push(
                Target::new(
                    "provider CPU per request ≤ 1.05× raw reqwest",
                    cpu <= 1.05,
                    format!("{cpu:.3}× (median of {ROUNDS} rounds)"),
                )
                .because(OVERHEAD_WHY),
            );
        }
    }
    md += &common::table(
        &[
            "way",
            "requests",
            "throughput / raw",
            "CPU per request / raw",
            "CPU per request / raw typed",
        ],
        &rows,
    );
    let (provider_i, generated_i) = (index(Way::Provider), index(Way::Generated));
    md += "\nEach round's ratios, and the raw GET's own figures in it:\n\n";
    md += &common::table(
        &[
            "round",
            "order",
            "raw: requests/s, CPU µs per request",
            "provider throughput / raw",
            "provider CPU / raw",
            "generated throughput / raw",
            "generated CPU / raw typed",
        ],
        &ratios
            .iter()
            .zip(&rounds)
            .zip(&orders)
            .enumerate()
            .map(|(n, ((r, m), order))| {
                vec![
                    (n + 1).to_string(),
                    order.clone(),
                    format!(
                        "{:.0}, {:.1}",
                        m[raw_i].throughput(),
                        m[raw_i].cpu_per_request() * 1e6
                    ),
                    format!("{:.3}", r[provider_i].0),
                    format!("{:.3}", r[provider_i].1),
                    format!("{:.3}", r[generated_i].0),
                    format!("{:.3}", r[generated_i].2),
                ]
            })
            .collect::<Vec<_>>(),
    );
    md += "\nThe two raw ways differ in the decode alone: into `serde_json::Value`, or into the \
           generated `types::GetServerResponse` as the generated call does. Their `reqwest` \
           client has the client's timeouts (10 s to connect, 60 s per request, a timer per \
           request): a request without a bound can wait forever on a lost answer, which no real \
           client may do. What the generated \
           call does beyond a raw GET: the builder formats the path, adds `Accept` and \
           `api-version` headers and copies the answer's headers into its `ResponseValue`; the \
           client adds its default headers (the key, the user agent); `ClientContext::execute` \
           opens a `scaleway_request` span (disabled here, though a tracing subscriber is \
           installed in this process, and then neither timed, entered at each poll nor given \
           the answer's request id), keeps a copy \
           of the request for the retry loop, reads the whole body and hands it to the generated \
           code in a buffer registered with the answer's status and request id (one lock to \
           register, one to unregister), which the generated code decodes once. The provider \
           adds the id check, a look at what it knows of the server's root volume (written only \
           when the answer changes it) and the conversion to a neutral `Server`; a server \
           without private NICs needs no IPAM listing, and its conversion no future of its \
           own.\n";
    Section {
        markdown: md,
        targets,
    }
}
