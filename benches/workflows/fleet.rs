//! Section 6: a fleet of servers created and deleted through the layer, with bounded concurrency.

use std::time::Instant;

use futures_util::{StreamExt, stream};
use scaleway_client::resources::{ServerSpec, VolumePolicy};

use crate::common::{self, Section, measure};

const SERVERS: usize = 200;
const CONCURRENCY: usize = 16;

pub async fn section() -> Section {
    println!("6. a fleet of {SERVERS} servers, {CONCURRENCY} at a time…");
    let sim = common::simulator(0.0).await;
    let client = common::client(&sim);
    let scw = common::layer(client.clone(), 0.0);

    let started = Instant::now();
    let creates = stream::iter(0..SERVERS)
        .map(|n| {
            let scw = scw.clone();
            async move {
                let spec = ServerSpec::new(format!("fleet-{n}"), "PRO2-XXS", "ubuntu-24.04").tag("fleet");
                scw.servers().create(&spec).await.expect("a create").id.unwrap()
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<String>>();
    let (ids, cost) = measure(&client, "fleet/create", creates).await;
    let create_secs = started.elapsed().as_secs_f64();
    let create_calls = cost.requests;
    let lookups = cost
        .calls
        .iter()
        .filter(|c| matches!(c.operation.as_str(), "list_servers_types" | "list_local_images"))
        .count();
    assert_eq!(sim.inventory().servers.len(), SERVERS);

    let requests = client.request_count();
    let started = Instant::now();
    stream::iter(ids)
        .map(|id| {
            let scw = scw.clone();
            async move {
                scw.servers()
                    .delete(&id, VolumePolicy::DeleteAll)
                    .await
                    .expect("a delete")
            }
        })
        .buffer_unordered(CONCURRENCY)
        .collect::<Vec<()>>()
        .await;
    let delete_secs = started.elapsed().as_secs_f64();
    let delete_calls = client.request_count() - requests;
    let left = sim.inventory();
    assert!(left.is_empty(), "the fleet left {left:?}");

    let mut md = String::from("## 6. A fleet\n\n");
    md += &format!(
        "{SERVERS} servers (PRO2-XXS, `ubuntu-24.04`, Block root) created with the layer's \
         `servers().create`, then deleted with `servers().delete(…, DeleteAll)`, {CONCURRENCY} \
         at a time, through one `Scaleway` (its catalogue and image caches shared), on the \
         in-process simulator at time scale 0 (instant transitions, so the wall time is the \
         client's and the simulator's work on this machine, not the API's).\n\n"
    );
    md += &common::table(
        &["phase", "wall time (this machine)", "calls", "calls per server"],
        &[
            vec![
                "create".into(),
                format!("{create_secs:.2} s"),
                create_calls.to_string(),
                format!("{:.2}", create_calls as f64 / SERVERS as f64),
            ],
            vec![
                "delete".into(),
                format!("{delete_secs:.2} s"),
                delete_calls.to_string(),
                format!("{:.2}", delete_calls as f64 / SERVERS as f64),
            ],
        ],
    );
    md += &format!(
        "\nRetries over both phases: {}. Of the create calls, {lookups} are catalogue and image \
         look-ups (`products/servers`, marketplace `local-images`): one of each would do, the \
         caches being shared, but the first {CONCURRENCY} creates start together and each misses \
         the empty cache. The rest are 3 per server: POST, poweron, and a GET to return the \
         server's state. A delete is 6: GET, terminate, GET (404), two GETs of the root volume, \
         its DELETE.\n",
        client.retry_count()
    );
    Section {
        markdown: md,
        targets: Vec::new(),
    }
}
