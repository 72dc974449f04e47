//! The retry policy at the wire: what is retried, how many times, and what never is.

use std::io::{Read, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use scaleway_client::{Client, Error, RetryPolicy};
use serde_json::json;

use crate::common::{self, PROJECT};

/// Retries without real waiting, so that the tests count calls, not seconds.
fn fast_policy(retries: usize) -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(retries)
        .min_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(5))
        .jitter(false)
}

fn client(base_url: &str, policy: RetryPolicy, timeout: Duration) -> Client {
    common::client_builder(common::mock_config(base_url))
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

/// Collects what a tracing subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Records the events of this thread (the tests run on a current-thread runtime) until the
    /// guard is dropped.
    fn install(&self) -> tracing::subscriber::DefaultGuard {
        // A process-wide subscriber that takes warnings and throws them away: with only
        // per-thread subscribers, a callsite first reached on a thread without one can be
        // cached as of no interest, and this thread's events would then be lost.
        static EVERY_THREAD: std::sync::Once = std::sync::Once::new();
        EVERY_THREAD.call_once(|| {
            let discard = tracing_subscriber::fmt()
                .with_max_level(tracing::Level::WARN)
                .with_writer(std::io::sink)
                .finish();
            let _ = tracing::subscriber::set_global_default(discard);
        });
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::WARN)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        tracing::subscriber::set_default(subscriber)
    }

    /// The delay of every logged retry, in milliseconds, in order.
    fn retry_delays_ms(&self) -> Vec<u64> {
        String::from_utf8_lossy(&self.0.lock().unwrap())
            .lines()
            .filter(|line| line.contains("retrying Scaleway request"))
            .map(|line| {
                let value = line.split("delay_ms=").nth(1).expect("a delay_ms field");
                value
                    .split(|c: char| !c.is_ascii_digit())
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect()
    }
}

/// A 429 on every call, with `Retry-After: 1` (a second, much more than the test policies allow).
async fn rate_limited_with_retry_after(server: &MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(429)
                .header("retry-after", "1")
                .header("x-request-id", "rl");
        })
        .await
}

#[tokio::test]
async fn retry_after_is_capped_at_the_max_delay() {
    let server = MockServer::start_async().await;
    let limited = rate_limited_with_retry_after(&server).await;
    let policy = RetryPolicy::default()
        .max_retries(3)
        .min_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(10))
        .max_total_delay(None)
        .jitter(false);
    let client = client(&server.base_url(), policy, Duration::from_secs(10));
    let captured = Captured::default();
    let guard = captured.install();
    let err: Error = client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err()
        .into();
    drop(guard);
    limited.assert_calls_async(4).await;
    assert_eq!(captured.retry_delays_ms(), [10, 10, 10]);
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d == Duration::from_secs(1)),
        "{err:?}"
    );
}

#[tokio::test]
async fn retry_after_counts_towards_the_max_total_delay() {
    let server = MockServer::start_async().await;
    let limited = rate_limited_with_retry_after(&server).await;
    let policy = RetryPolicy::default()
        .max_retries(10)
        .min_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(20))
        .max_total_delay(Some(Duration::from_millis(50)))
        .jitter(false);
    let client = client(&server.base_url(), policy, Duration::from_secs(10));
    let captured = Captured::default();
    let guard = captured.install();
    let err: Error = client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err()
        .into();
    drop(guard);
    // 20 + 20 ms; a third wait would make 60 ms, more than the 50 ms allowed.
    assert_eq!(captured.retry_delays_ms(), [20, 20]);
    limited.assert_calls_async(3).await;
    assert_eq!(client.request_count(), 3);
    assert_eq!(err.request_id(), Some("rl"));
}

#[tokio::test]
async fn backoff_delays_count_towards_the_max_total_delay() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(503);
        })
        .await;
    let policy = RetryPolicy::default()
        .max_retries(10)
        .min_delay(Duration::from_millis(2))
        .max_delay(Duration::from_millis(16))
        .max_total_delay(Some(Duration::from_millis(40)))
        .jitter(false);
    let client = client(&server.base_url(), policy, Duration::from_secs(10));
    let captured = Captured::default();
    let guard = captured.install();
    let err: Error = client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err()
        .into();
    drop(guard);
    // 2 + 4 + 8 + 16 = 30 ms; another 16 would make 46.
    assert_eq!(captured.retry_delays_ms(), [2, 4, 8, 16]);
    limited.assert_calls_async(5).await;
    assert_eq!(err.status(), Some(503));
}

#[tokio::test]
async fn jitter_never_takes_a_delay_past_the_max_delay() {
    let server = MockServer::start_async().await;
    let limited = server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(429);
        })
        .await;
    // The smallest delay is the largest: jitter can only lengthen it, and may not.
    let policy = RetryPolicy::default()
        .max_retries(4)
        .min_delay(Duration::from_millis(10))
        .max_delay(Duration::from_millis(10))
        .max_total_delay(None)
        .jitter(true);
    let client = client(&server.base_url(), policy, Duration::from_secs(10));
    let captured = Captured::default();
    let guard = captured.install();
    client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err();
    drop(guard);
    limited.assert_calls_async(5).await;
    assert_eq!(captured.retry_delays_ms(), [10, 10, 10, 10]);
}

#[tokio::test]
async fn a_connect_timeout_was_never_sent_and_is_retried_even_for_a_create() {
    // A listener whose accept queue (backlog 0) is already full: the kernel drops further
    // connection attempts, so connecting hangs until the connect timeout.
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let listener = socket.listen(0).unwrap();
    let address = listener.local_addr().unwrap();
    let _queued = std::net::TcpStream::connect(address).unwrap();
    let client = common::client_builder(common::mock_config(format!("http://{address}")))
        .retry_policy(fast_policy(2))
        .connect_timeout(Duration::from_millis(100))
        .request_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
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
    assert!(!err.may_have_been_applied());
    assert!(err.is_retryable());
    assert_eq!(client.request_count(), 3);
    drop(listener);
}

/// A server that answers every request with `head` (status line, headers and the start of a
/// body shorter than its `content-length`), then closes the connection. Returns its URL and
/// the number of requests it received.
fn truncated_answer_server(head: &'static str) -> (String, Arc<AtomicUsize>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut received = Vec::new();
            let mut buf = [0u8; 4096];
            while !received.windows(4).any(|w| w == b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => received.extend_from_slice(&buf[..n]),
                }
            }
            counter.fetch_add(1, Ordering::SeqCst);
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.flush();
        }
    });
    (url, requests)
}

#[tokio::test]
async fn an_error_answer_whose_body_cannot_be_read_keeps_its_status_and_request_id() {
    let (url, requests) = truncated_answer_server(
        "HTTP/1.1 400 Bad Request\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\
         x-request-id: cut-1\r\nconnection: close\r\n\r\n{\"type\": \"invalid_argu",
    );
    let client = client(&url, fast_policy(3), Duration::from_secs(10));
    let err: Error = client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err()
        .into();
    match &err {
        Error::Validation {
            message,
            arguments,
            answer,
        } => {
            assert_eq!(answer.status, 400);
            assert_eq!(message, "");
            assert!(arguments.is_empty());
            assert_eq!(answer.request_id.as_deref(), Some("cut-1"));
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(requests.load(Ordering::SeqCst), 1, "a 400 is not repeated");
    assert_eq!(client.request_count(), 1);
}
