//! Throughput and memory of the simulator on this machine (run with `--release`):
//!
//! ```text
//! cargo run --release --features simulator --example simulator_bench
//! ```
//!
//! Creates 10,000 servers (time_scale 0) with concurrent keep-alive clients, then hammers
//! `GET /servers/{id}` for a few seconds, and reads VmRSS from /proc/self/status before and after
//! the servers exist. Clients and simulator share the process and the CPUs, so the numbers are a
//! lower bound for the simulator alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use scaleway_sdk::simulator::{Simulator, SimulatorOptions};
use serde_json::{Value, json};

const SERVERS: usize = 10_000;
const CLIENTS: usize = 8;
const GET_SECONDS: u64 = 5;
const SBS_IMAGE: &str = "da954c89-6891-4c70-8fdc-63e094449a63";

fn vm_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_max_idle_per_host(4)
        .build()
        .unwrap()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let sim = Simulator::start(SimulatorOptions {
        time_scale: 0.0,
        ..Default::default()
    })
    .await
    .unwrap();
    let base = format!("{}/instance/v1/zones/fr-par-1/servers", sim.base_url());
    let token = sim.secret_key().to_string();
    let rss_before = vm_rss_kib();

    // Creates.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (next, base, token) = (next.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let client = http();
            let mut ids = Vec::new();
            loop {
                let n = next.fetch_add(1, Ordering::Relaxed);
                if n >= SERVERS {
                    break ids;
                }
                let r = client
                    .post(&base)
                    .header("X-Auth-Token", &token)
                    .json(&json!({"name": format!("bench-{n}"), "commercial_type": "PRO2-XXS", "image": SBS_IMAGE}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 201);
                let v: Value = r.json().await.unwrap();
                ids.push(v["server"]["id"].as_str().unwrap().to_string());
            }
        }));
    }
    let mut ids = Vec::new();
    for t in tasks {
        ids.extend(t.await.unwrap());
    }
    let create_secs = started.elapsed().as_secs_f64();
    let rss_after = vm_rss_kib();
    let inventory = sim.inventory();
    assert_eq!(inventory.servers.len(), SERVERS);

    // GETs.
    let ids = Arc::new(ids);
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(GET_SECONDS);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (ids, count, base, token) = (ids.clone(), count.clone(), base.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let client = http();
            let mut i = c * 7919;
            while Instant::now() < deadline {
                let id = &ids[i % ids.len()];
                i += 13;
                let r = client
                    .get(format!("{base}/{id}"))
                    .header("X-Auth-Token", &token)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
                r.bytes().await.unwrap();
                count.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let get_secs = started.elapsed().as_secs_f64();
    let gets = count.load(Ordering::Relaxed);

    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    println!("machine: {cpus} CPU(s); {CLIENTS} concurrent keep-alive clients in the same process");
    println!(
        "create: {SERVERS} servers (each with an sbs root volume) in {create_secs:.2} s = {:.0} creates/s",
        SERVERS as f64 / create_secs
    );
    println!(
        "GET /servers/{{id}}: {gets} requests in {get_secs:.2} s = {:.0} GETs/s",
        gets as f64 / get_secs
    );
    match (rss_before, rss_after) {
        (Some(b), Some(a)) => println!(
            "memory (VmRSS): {:.1} MiB before, {:.1} MiB with {SERVERS} servers (+{:.1} MiB, {:.2} KiB per server)",
            b as f64 / 1024.0,
            a as f64 / 1024.0,
            (a.saturating_sub(b)) as f64 / 1024.0,
            a.saturating_sub(b) as f64 / SERVERS as f64
        ),
        _ => println!("memory: /proc/self/status not readable"),
    }
    println!(
        "inventory: {} servers, {} volumes",
        inventory.servers.len(),
        inventory.volumes.len()
    );
}
