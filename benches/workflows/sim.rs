//! Section 5: the simulator's throughput and memory with 10,000 servers.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{self, Section};

const SERVERS: usize = 10_000;
const CLIENTS: usize = 8;
const GET_SECONDS: u64 = 5;

fn http() -> reqwest::Client {
    scaleway_client::http_client_builder()
        .unwrap()
        .pool_max_idle_per_host(4)
        .build()
        .unwrap()
}

pub async fn section() -> Section {
    println!("5. the simulator with {SERVERS} servers…");
    let sim = common::simulator(0.0).await;
    let base = format!(
        "{}/instance/v1/zones/{}/servers",
        sim.base_url().trim_end_matches('/'),
        common::ZONE
    );
    let token = sim.secret_key().to_string();
    let project = sim.project_id().to_string();
    let rss_before = common::vm_rss_kib();

    // Creates, by concurrent keep-alive clients.
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (next, base, token, project) = (next.clone(), base.clone(), token.clone(), project.clone());
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
                    .json(&json!({"name": format!("bench-{n}"), "commercial_type": "PRO2-XXS", "image": common::SBS_IMAGE, "project": project}))
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
    let rss_after = common::vm_rss_kib();
    let inventory = sim.inventory();
    assert_eq!(inventory.servers.len(), SERVERS);

    // GETs of random servers among them.
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
    drop(sim);

    let mut md = String::from("## 5. The simulator with 10,000 servers\n\n");
    md += &format!(
        "{SERVERS} servers created (each with a Block root volume; time scale 0) by {CLIENTS} \
         concurrent keep-alive reqwest clients, then `GET /servers/{{id}}` of servers among them \
         for {GET_SECONDS} s. Clients and simulator share this process and its CPUs, so these \
         are lower bounds for the simulator alone, on this machine under its current load. \
         Memory is this process's VmRSS before the servers existed and with them.\n\n"
    );
    let mut rows = vec![
        vec![
            "creates".into(),
            format!(
                "{SERVERS} in {create_secs:.2} s = {:.0}/s",
                SERVERS as f64 / create_secs
            ),
        ],
        vec![
            "GETs".into(),
            format!("{gets} in {get_secs:.2} s = {:.0}/s", gets as f64 / get_secs),
        ],
    ];
    match (rss_before, rss_after) {
        (Some(b), Some(a)) => rows.push(vec![
            "memory (VmRSS)".into(),
            format!(
                "{:.1} MiB before, {:.1} MiB with {SERVERS} servers: {:.2} KiB per server",
                b as f64 / 1024.0,
                a as f64 / 1024.0,
                a.saturating_sub(b) as f64 / SERVERS as f64
            ),
        ]),
        _ => rows.push(vec!["memory".into(), "/proc/self/status not readable".into()]),
    }
    md += &common::table(&["", "this machine"], &rows);
    md += "\n";
    Section {
        markdown: md,
        targets: Vec::new(),
    }
}
