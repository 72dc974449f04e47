//! Faults: rate limits, statuses, resets, transient states and latency, in the API's own shapes.

use std::time::Duration;

use scaleway_client::Error;
use scaleway_sim::{Fault, FaultPlan, FaultRule, SimulatorOptions};
use serde_json::{Value, json};

use super::requests::*;

#[tokio::test]
async fn faults_rate_limit_status_reset_transient_and_latency() {
    // Longer than a screen on purpose: each fault is armed for one request and checked on the next,
    // so that the faults are seen one at a time, in the order the plan consumes them.
    let sim = crate::common::simulator_with(SimulatorOptions {
        time_scale: 0.0,
        faults: FaultPlan::new(vec![FaultRule::new(
            Some("ListServers"),
            Fault::RateLimit,
            Some(1),
        )]),
        ..Default::default()
    })
    .await;
    let c = client(&sim);
    let path = format!("/instance/v1/zones/{ZONE}/servers");
    // 429 in the real shape, once.
    let r = raw(&sim, "GET", &path, None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-envoy-ratelimited"], "true");
    assert!(r.headers().get("content-type").is_none());
    assert!(r.bytes().await.unwrap().is_empty());
    assert_eq!(raw(&sim, "GET", &path, None).await.status(), 200);

    sim.faults()
        .push(FaultRule::new(Some("ListServers"), Fault::Status(503), Some(1)));
    let err = Error::from(c.instance().list_servers().zone(ZONE).send().await.unwrap_err());
    assert_eq!(err.status(), Some(503));
    assert!(err.is_retryable());

    sim.faults()
        .push(FaultRule::new(Some("ListServers"), Fault::Reset, Some(1)));
    let err = Error::from(c.instance().list_servers().zone(ZONE).send().await.unwrap_err());
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(err.status(), None);

    let s = create_server(&c, "busy", SBS_IMAGE, &[]).await;
    sim.faults().push(FaultRule::new(
        Some("instance_v1.ServerAction"),
        Fault::TransientState,
        None,
    ));
    let err = action(&c, s["id"].as_str().unwrap(), "poweron")
        .await
        .unwrap_err();
    match err {
        Error::Conflict {
            resource,
            resource_id,
            ..
        } => {
            assert_eq!(resource, "instance_server");
            assert_eq!(resource_id, s["id"].as_str().unwrap());
        }
        other => panic!("{other:?}"),
    }
    sim.faults().clear();
    action(&c, s["id"].as_str().unwrap(), "poweron").await.unwrap();

    // Over HTTP, without authentication: latency on GetServer.
    let http = scaleway_client::http_client_builder().unwrap().build().unwrap();
    let plan = json!({"rules": [{"operation": "GetServer", "fault": {"latency": 300}, "times": 1}]});
    let r = http
        .post(format!("{}/__simulator/faults", sim.base_url()))
        .json(&plan)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let started = std::time::Instant::now();
    get_server(&c, s["id"].as_str().unwrap()).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(sim.faults().get().rules.is_empty());

    // Inventory over HTTP.
    let inv: Value = scaleway_client::http_client_builder()
        .unwrap()
        .build()
        .unwrap()
        .get(format!("{}/__simulator/inventory", sim.base_url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(inv["servers"], json!([s["id"]]));
    assert_eq!(inv["ips"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_rate_limit_has_the_same_shape_on_every_api() {
    let sim = sim(0.0).await;
    let path = "/vpc/v2/regions/fr-par/vpcs";
    sim.faults()
        .push(FaultRule::new(Some("ListVPCs"), Fault::Status(429), Some(1)));
    let r = raw(&sim, "GET", path, None).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["x-envoy-ratelimited"], "true");
    assert!(r.headers().get("content-type").is_none());
    assert!(r.bytes().await.unwrap().is_empty());
    // VPC's own errors keep their body without a type.
    sim.faults()
        .push(FaultRule::new(Some("ListVPCs"), Fault::Status(500), Some(1)));
    let r = raw(&sim, "GET", path, None).await;
    assert_eq!(r.status(), 500);
    assert_eq!(
        r.json::<Value>().await.unwrap(),
        json!({"message": "internal error"})
    );
}
