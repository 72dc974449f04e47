//! Section 4: decoding answers into the generated types against `serde_json::Value`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use scaleway_client::api::instance_v1::types::{ListServersResponse, ListServersTypesResponse};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::common::{self, Section};

const ROUNDS: usize = 5;
const PHASE: Duration = Duration::from_millis(400);

/// Decodes per second of `T`, over a fixed time.
fn rate<T: DeserializeOwned>(bytes: &[u8]) -> (u64, f64) {
    let started = Instant::now();
    let mut n = 0u64;
    while started.elapsed() < PHASE {
        for _ in 0..8 {
            black_box(serde_json::from_slice::<T>(black_box(bytes)).expect("decodes"));
        }
        n += 8;
    }
    (n, started.elapsed().as_secs_f64())
}

/// Time per decode as generated type / `Value`, interleaved over rounds.
fn compare<T: DeserializeOwned>(bytes: &[u8]) -> f64 {
    let (mut typed, mut untyped) = ((0u64, 0.0), (0u64, 0.0));
    for _ in 0..ROUNDS {
        let t = rate::<T>(bytes);
        let v = rate::<Value>(bytes);
        typed = (typed.0 + t.0, typed.1 + t.1);
        untyped = (untyped.0 + v.0, untyped.1 + v.1);
    }
    let per_typed = typed.1 / typed.0 as f64;
    let per_value = untyped.1 / untyped.0 as f64;
    per_typed / per_value
}

/// The largest recorded `GET products/servers` answer of the real API, if the recordings are
/// beside the checkout.
fn recorded_products() -> Option<(Vec<u8>, String)> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/reference/real-traffic/dev.jsonl");
    let text = std::fs::read_to_string(&path).ok()?;
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|r| r["template"] == "/instance/v1/zones/{zone}/products/servers" && r["status"] == 200)
        .map(|r| {
            (
                serde_json::to_vec(&r["resp_body"]).unwrap(),
                r["source"].as_str().unwrap_or("").to_string(),
            )
        })
        .max_by_key(|(b, _)| b.len())
}

/// A 100-server `ListServers` page from the simulator.
async fn servers_page() -> Vec<u8> {
    let sim = common::simulator(0.0).await;
    let http = scaleway_client::http_client_builder().unwrap().build().unwrap();
    let base = format!(
        "{}/instance/v1/zones/{}/servers",
        sim.base_url().trim_end_matches('/'),
        common::ZONE
    );
    for n in 0..100 {
        let (kind, image) = if n % 2 == 0 {
            ("PRO2-XXS", common::SBS_IMAGE)
        } else {
            ("DEV1-S", common::LOCAL_IMAGE)
        };
        let answer = http
            .post(&base)
            .header("X-Auth-Token", sim.secret_key())
            .json(&json!({"name": format!("page-{n}"), "commercial_type": kind, "image": image, "project": sim.project_id(), "tags": ["bench", format!("n={n}")]}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 201);
    }
    let page = http
        .get(format!("{base}?per_page=100"))
        .header("X-Auth-Token", sim.secret_key())
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    page.to_vec()
}

pub async fn section() -> Section {
    println!("4. decode cost…");
    let mut md = String::from("## 4. Decode cost: generated types against `serde_json::Value`\n\n");
    md += &format!(
        "The same bytes decoded with `serde_json::from_slice` into the generated type and into \
         `serde_json::Value`, alternately for {ROUNDS} rounds of {} ms each; the ratio is time per \
         decode, generated / `Value` (below 1: the typed decode is cheaper).\n\n",
        PHASE.as_millis()
    );
    let mut rows = Vec::new();
    match recorded_products() {
        Some((bytes, source)) => {
            let ratio = compare::<ListServersTypesResponse>(&bytes);
            rows.push(vec![
                format!(
                    "recorded `GET products/servers` ({source}), {} KiB",
                    bytes.len() / 1024
                ),
                format!("{ratio:.2}"),
            ]);
        }
        None => {
            md += "The recordings (`../shared/reference/real-traffic/dev.jsonl`) are not beside \
                       the checkout: the recorded `products/servers` answer was skipped.\n\n"
        }
    }
    let page = servers_page().await;
    let ratio = compare::<ListServersResponse>(&page);
    rows.push(vec![
        format!("simulator `ListServers`, 100 servers, {} KiB", page.len() / 1024),
        format!("{ratio:.2}"),
    ]);
    md += &common::table(&["answer", "time per decode, generated / `Value`"], &rows);
    md += "\n";
    Section {
        markdown: md,
        targets: Vec::new(),
    }
}
