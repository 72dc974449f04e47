//! The retry policy at the wire: what is retried, how many times, and what never is.

use std::time::Duration;

use httpmock::prelude::*;
use scaleway_sdk::{Client, Config, Error, RetryPolicy};
use serde_json::json;

const TOKEN: &str = "11111111-2222-4333-8444-555555555555";
const PROJECT: &str = "6a1e1b5c-3b4a-4f7e-9d2a-0c9f2f1e8b7d";

/// Retries without real waiting, so that the tests count calls, not seconds.
fn fast_policy(retries: usize) -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(retries)
        .min_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .jitter(false)
}

fn client(base_url: &str, policy: RetryPolicy, timeout: Duration) -> Client {
    let config = Config::builder()
        .secret_key(TOKEN)
        .api_url(base_url)
        .build()
        .unwrap();
    Client::builder(config)
        .retry_policy(policy)
        .request_timeout(timeout)
        .build()
        .unwrap()
}

fn volumes_body() -> serde_json::Value {
    json!({"volumes": [], "total_count": 0})
}

#[tokio::test]
async fn rate_limited_get_is_retried_until_it_succeeds() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(429)
                .header("x-envoy-ratelimited", "true")
                .up_to_n_times(2);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(volumes_body());
        })
        .await;
    let client = client(&server.base_url(), fast_policy(4), Duration::from_secs(10));
    let answer = client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.total_count, Some(0));
    limited.assert_calls_async(2).await;
    ok.assert_calls_async(1).await;
    assert_eq!(client.request_count(), 3);
}

#[tokio::test]
async fn retries_stop_at_the_limit_and_return_the_last_error() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(429).header("x-request-id", "last");
        })
        .await;
    let client = client(&server.base_url(), fast_policy(3), Duration::from_secs(10));
    let err: Error = client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err()
        .into();
    limited.assert_calls_async(4).await;
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("last"));
}

#[tokio::test]
async fn a_bad_request_is_not_retried() {
    let server = MockServer::start_async().await;
    let bad = server
        .mock_async(|when, then| {
            when.method(POST).path("/block/v1/zones/fr-par-1/volumes");
            then.status(400).header("content-type", "application/json").json_body(json!({
                "type": "invalid_arguments", "message": "invalid argument(s)",
                "details": [{"argument_name": "from_empty.size", "reason": "constraint", "help_message": "too small"}]
            }));
        })
        .await;
    let client = client(&server.base_url(), fast_policy(4), Duration::from_secs(10));
    let err: Error = client
        .block()
        .create_volume()
        .zone("fr-par-1")
        .body_map(|b| b.name("v".to_string()).project_id(PROJECT.to_string()))
        .send()
        .await
        .unwrap_err()
        .into();
    bad.assert_calls_async(1).await;
    assert!(
        matches!(&err, Error::Validation { arguments, .. } if arguments[0].name == "from_empty.size"),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_create_that_fails_with_500_is_not_repeated() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            when.method(POST).path("/block/v1/zones/fr-par-1/volumes");
            then.status(500)
                .header("content-type", "application/json")
                .json_body(json!({"type": "internal_server_error", "message": "Internal error"}));
        })
        .await;
    let client = client(&server.base_url(), fast_policy(4), Duration::from_secs(10));
    let err: Error = client
        .block()
        .create_volume()
        .zone("fr-par-1")
        .body_map(|b| b.name("v".to_string()).project_id(PROJECT.to_string()))
        .send()
        .await
        .unwrap_err()
        .into();
    failing.assert_calls_async(1).await;
    assert!(
        err.may_have_been_applied(),
        "the caller must look for the volume before trying again"
    );
}

#[tokio::test]
async fn a_read_that_fails_with_500_is_retried() {
    let server = MockServer::start_async().await;
    let failing = server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(500)
                .json_body(json!({"type": "internal_server_error", "message": "Internal error"}))
                .up_to_n_times(1);
        })
        .await;
    let ok = server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(volumes_body());
        })
        .await;
    let client = client(&server.base_url(), fast_policy(4), Duration::from_secs(10));
    client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap();
    failing.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_create_that_times_out_is_not_repeated_but_a_read_is() {
    let server = MockServer::start_async().await;
    let slow_create = server
        .mock_async(|when, then| {
            when.method(POST).path("/block/v1/zones/fr-par-1/volumes");
            then.status(200)
                .delay(Duration::from_millis(400))
                .json_body(json!({"id": "v"}));
        })
        .await;
    let slow_list = server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(200)
                .delay(Duration::from_millis(400))
                .json_body(volumes_body());
        })
        .await;
    let client = client(&server.base_url(), fast_policy(2), Duration::from_millis(100));

    let err: Error = client
        .block()
        .create_volume()
        .zone("fr-par-1")
        .body_map(|b| b.name("v".to_string()).project_id(PROJECT.to_string()))
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.may_have_been_applied());
    slow_create.assert_calls_async(1).await;

    let err: Error = client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    slow_list.assert_calls_async(3).await;
}

#[tokio::test]
async fn a_transient_state_conflict_is_retried_even_for_an_action() {
    let server = MockServer::start_async().await;
    let busy = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/vpc/v2/regions/fr-par/vpcs/vpc-1/enable-routing");
            then.status(409)
                .header("content-type", "application/json")
                .json_body(json!({
                    "type": "transient_state", "message": "resource is in a transient state",
                    "resource": "vpc", "resource_id": "vpc-1", "current_state": "updating"
                }))
                .up_to_n_times(1);
        })
        .await;
    let done = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/vpc/v2/regions/fr-par/vpcs/vpc-1/enable-routing");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"id": "vpc-1", "routing_enabled": true}));
        })
        .await;
    let client = client(&server.base_url(), fast_policy(3), Duration::from_secs(10));
    client
        .vpc()
        .enable_routing()
        .region("fr-par")
        .vpc_id("vpc-1")
        .body(serde_json::Map::new())
        .send()
        .await
        .unwrap();
    busy.assert_calls_async(1).await;
    done.assert_calls_async(1).await;
}

#[tokio::test]
async fn connection_refused_is_retried_even_for_a_create() {
    // Nothing listens there: the request is never sent, so repeating it is safe.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let client = client(
        &format!("http://{address}"),
        fast_policy(2),
        Duration::from_secs(5),
    );
    let err: Error = client
        .block()
        .create_volume()
        .zone("fr-par-1")
        .body_map(|b| b.name("v".to_string()).project_id(PROJECT.to_string()))
        .send()
        .await
        .unwrap_err()
        .into();
    assert!(
        matches!(
            err,
            Error::Transport {
                may_have_been_applied: false,
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(client.request_count(), 3);
}
