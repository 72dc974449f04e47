//! Tracing of requests, and the secret key absent from everything traced at TRACE level.
//!
//! The subscriber is installed for the test's thread only (`set_default` on a current-thread
//! runtime), so the other tests of this binary, running on their own threads, never write to it.

use std::io::Write;
use std::sync::{Arc, Mutex};

use httpmock::prelude::*;
use scaleway_client::{Client, Error, RetryPolicy};
use serde_json::json;

use crate::common;

const SECRET: &str = "9f8e7d6c-5b4a-4321-8fed-cba987654321";

/// Collects everything a tracing subscriber writes.
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
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

fn client(server: &MockServer, policy: RetryPolicy) -> Client {
    common::client(common::mock_config(server.base_url()).secret_key(SECRET), policy)
}

#[tokio::test]
async fn requests_are_traced_with_their_outcome_and_the_secret_never_shows() {
    // Longer than a screen on purpose: the subscriber is installed for this thread only, so the
    // requests whose traces are checked must run here, between installing it and reading it.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(429)
                .header("x-request-id", "req-limited")
                .up_to_n_times(1);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/block/v1/zones/fr-par-1/volumes");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "req-ok")
                .json_body(json!({"volumes": [], "total_count": 0}));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/instance/v1/zones/fr-par-1/servers/nope");
            then.status(404).header("content-type", "application/json").header("x-request-id", "req-404")
                .json_body(json!({"type": "not_found", "message": "resource is not found", "resource": "instance_server", "resource_id": "nope"}));
        })
        .await;

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let policy = RetryPolicy::default()
        .min_delay(std::time::Duration::from_millis(1))
        .jitter(false);
    let config = common::mock_config(server.base_url())
        .secret_key(SECRET)
        .build()
        .unwrap();
    tracing::debug!(?config, "configuration");
    let client = client(&server, policy);
    tracing::debug!(?client, "client");
    client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap();
    let err: Error = client
        .instance()
        .get_server()
        .zone("fr-par-1")
        .server_id("nope")
        .send()
        .await
        .unwrap_err()
        .into();
    tracing::debug!(%err, ?err, "error");

    let output = captured.text();
    assert!(!output.is_empty());
    assert!(
        !output.contains(SECRET),
        "the secret key leaked into the trace:\n{output}"
    );
    assert!(
        !output.contains(&SECRET[..8]),
        "part of the secret key leaked into the trace"
    );
    // One span per request, with its outcome.
    assert!(output.contains("scaleway_request"), "{output}");
    assert!(output.contains("operation=\"list_volumes\""), "{output}");
    assert!(output.contains("method=GET"), "{output}");
    assert!(
        output.contains("path=/block/v1/zones/fr-par-1/volumes"),
        "{output}"
    );
    assert!(output.contains("status=200"), "{output}");
    assert!(output.contains("request_id=req-ok"), "{output}");
    assert!(output.contains("attempts=2"), "{output}");
    assert!(output.contains("duration_ms="), "{output}");
    assert!(
        output.contains("status=404") && output.contains("request_id=req-404"),
        "{output}"
    );
    // The retry is logged.
    assert!(
        output.contains("retrying Scaleway request") && output.contains("rate limited"),
        "{output}"
    );
    assert_eq!(err.request_id(), Some("req-404"));
    assert!(!format!("{err:?}").contains(SECRET));
    assert!(!format!("{client:?}").contains(SECRET));
}
