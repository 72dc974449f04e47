//! The front door: authentication, routes outside the specs or not simulated, and shutting down.

use std::time::Duration;

use scaleway_client::Error;
use serde_json::Value;

use super::requests::*;

#[tokio::test]
async fn authentication_is_required() {
    let sim = sim(0.0).await;
    let wrong = client_with(&sim, "00000000-0000-4000-8000-000000000000");
    let err = Error::from(
        wrong
            .instance()
            .list_servers()
            .zone(ZONE)
            .send()
            .await
            .unwrap_err(),
    );
    assert!(matches!(err, Error::Authentication { .. }), "{err:?}");
    let none = scaleway_client::http_client_builder()
        .unwrap()
        .build()
        .unwrap()
        .get(format!("{}/instance/v1/zones/{ZONE}/servers", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(none.status(), 401);
    let b: Value = none.json().await.unwrap();
    assert_eq!(b["type"], "denied_authentication");
    // Unknown route: 404.
    assert_eq!(
        raw(&sim, "GET", "/instance/v1/zones/fr-par-1/nothing", None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn simulator_stops_on_drop() {
    let sim = sim(0.0).await;
    let url = format!("{}/__simulator/inventory", sim.base_url());
    assert!(
        scaleway_client::http_client_builder()
            .unwrap()
            .build()
            .unwrap()
            .get(&url)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    );
    drop(sim);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fresh = scaleway_client::http_client_builder()
        .unwrap()
        .pool_max_idle_per_host(0)
        .build()
        .unwrap();
    assert!(fresh.get(&url).send().await.is_err());
}
