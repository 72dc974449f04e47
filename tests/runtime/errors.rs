//! Error mapping: every real error answer in the recordings, the shapes documented in
//! `../shared/reference/scaleway-behaviour.md`, and error answers through a generated client.

use std::path::Path;

use httpmock::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use scaleway_sdk::{Client, Config, Error, RetryPolicy};
use serde_json::{Value, json};

const TOKEN: &str = "11111111-2222-4333-8444-555555555555";

fn reference(path: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/reference")
        .join(path)
}

fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    map
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Checks that one error answer maps to the variant its status and `type` call for.
fn check_mapping(status: u16, body: &Value, err: &Error, context: &str) {
    let kind = body.get("type").and_then(Value::as_str);
    match (status, kind) {
        (404, _) => match err {
            Error::NotFound {
                resource,
                resource_id,
                ..
            } => {
                assert_eq!(*resource, text(body, "resource"), "{context}");
                assert_eq!(*resource_id, text(body, "resource_id"), "{context}");
                assert!(err.is_not_found());
            }
            other => panic!("{context}: {other:?}"),
        },
        (403, Some("permissions_denied")) => match err {
            Error::PermissionDenied { missing, .. } => {
                let details = body["details"].as_array().unwrap();
                assert_eq!(missing.len(), details.len(), "{context}");
                assert_eq!(
                    missing[0],
                    format!(
                        "{} {}",
                        text(&details[0], "action"),
                        text(&details[0], "resource")
                    )
                );
            }
            other => panic!("{context}: {other:?}"),
        },
        (403, _) => assert!(
            matches!(err, Error::PermissionDenied { .. }),
            "{context}: {err:?}"
        ),
        (400, Some("invalid_arguments")) => match err {
            Error::Validation { arguments, .. } => {
                let details = body["details"].as_array().unwrap();
                assert_eq!(arguments.len(), details.len(), "{context}");
                for (argument, detail) in arguments.iter().zip(details) {
                    assert_eq!(argument.name, text(detail, "argument_name"));
                    assert_eq!(argument.reason, text(detail, "reason"));
                    assert_eq!(argument.help, text(detail, "help_message"));
                }
            }
            other => panic!("{context}: {other:?}"),
        },
        (400, Some("invalid_request_error")) => match err {
            Error::Validation {
                arguments, message, ..
            } => {
                assert_eq!(*message, text(body, "message"));
                let fields = body.get("fields").and_then(Value::as_object);
                let expected: usize = fields
                    .map(|f| f.values().map(|v| v.as_array().unwrap().len()).sum())
                    .unwrap_or(0);
                assert_eq!(arguments.len(), expected, "{context}");
                if let Some((field, _)) = fields.and_then(|f| f.iter().next()) {
                    assert_eq!(arguments[0].name, *field);
                }
            }
            other => panic!("{context}: {other:?}"),
        },
        (410, Some("expired")) => match err {
            Error::Expired {
                resource,
                expired_since,
                ..
            } => {
                assert_eq!(*resource, text(body, "resource"));
                assert_eq!(expired_since.as_deref(), body["expired_since"].as_str());
            }
            other => panic!("{context}: {other:?}"),
        },
        (412, Some("precondition_failed")) => match err {
            Error::Precondition {
                precondition, help, ..
            } => {
                assert_eq!(*precondition, text(body, "precondition"));
                assert_eq!(*help, text(body, "help_message"));
            }
            other => panic!("{context}: {other:?}"),
        },
        (429, _) => {
            assert!(
                matches!(
                    err,
                    Error::RateLimited {
                        retry_after: None,
                        ..
                    }
                ),
                "{context}: {err:?}"
            );
            assert!(err.is_retryable());
        }
        (500..=599, _) => match err {
            Error::Server {
                status: s, message, ..
            } => {
                assert_eq!(*s, status);
                assert_eq!(*message, text(body, "message"));
                assert!(err.is_retryable());
            }
            other => panic!("{context}: {other:?}"),
        },
        other => panic!("{context}: no expectation for {other:?}"),
    }
}

#[test]
fn every_recorded_error_answer_maps_to_its_variant() {
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for name in ["dev.jsonl", "dev-supplement.jsonl"] {
        let file = reference(&format!("real-traffic/{name}"));
        let content = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (n, line) in content.lines().enumerate() {
            let record: Value = serde_json::from_str(line).unwrap();
            let status = record["status"].as_u64().unwrap() as u16;
            if status < 400 {
                continue;
            }
            let body = record["resp_body"].clone();
            let raw = if body.is_null() {
                Vec::new()
            } else {
                serde_json::to_vec(&body).unwrap()
            };
            let request_id = format!("recorded-{n}");
            let mut pairs = vec![("x-request-id", request_id.as_str())];
            if let Some(v) = record["resp_headers"]["X-Envoy-Ratelimited"].as_str() {
                pairs.push(("x-envoy-ratelimited", v));
            }
            let err = Error::from_response(status, &headers(&pairs), &raw);
            let context = format!("{name}:{} {} {}", n + 1, record["method"], record["template"]);
            check_mapping(status, &body, &err, &context);
            assert_eq!(err.status(), Some(status), "{context}");
            assert_eq!(err.request_id(), Some(request_id.as_str()), "{context}");
            assert!(
                err.to_string().contains(&request_id),
                "the message names the request id: {err}"
            );
            *checked
                .entry(format!(
                    "{status} {}",
                    body.get("type").and_then(Value::as_str).unwrap_or("-")
                ))
                .or_default() += 1;
        }
    }
    println!("error answers checked: {checked:?}");
    for expected in [
        "400 invalid_arguments",
        "403 permissions_denied",
        "404 not_found",
        "412 precondition_failed",
        "429 -",
    ] {
        assert!(
            checked.contains_key(expected),
            "the recordings should contain a {expected} answer"
        );
    }
}

/// JSON examples of error bodies written in the behaviour digest.
fn documented_error_bodies() -> Vec<Value> {
    let doc = std::fs::read_to_string(reference("scaleway-behaviour.md")).unwrap();
    doc.split('`')
        .filter(|s| s.starts_with('{') && s.ends_with('}'))
        .filter_map(|s| serde_json::from_str::<Value>(s).ok())
        .filter(|v| v.get("message").is_some())
        .collect()
}

#[test]
fn documented_error_shapes_map_to_their_variants() {
    let bodies = documented_error_bodies();
    let by_type = |t: &str| {
        bodies
            .iter()
            .find(|b| b["type"] == t)
            .unwrap_or_else(|| panic!("the digest documents a {t} body"))
            .clone()
    };
    let none = HeaderMap::new();

    let transient = by_type("transient_state");
    let err = Error::from_response(409, &none, transient.to_string().as_bytes());
    match &err {
        Error::Conflict {
            current_state,
            resource,
            ..
        } => {
            assert_eq!(current_state.as_deref(), transient["current_state"].as_str());
            assert_eq!(*resource, text(&transient, "resource"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());

    let legacy = by_type("authorization_required");
    assert!(matches!(
        Error::from_response(403, &none, legacy.to_string().as_bytes()),
        Error::PermissionDenied { .. }
    ));

    let validation = by_type("invalid_request_error");
    let err = Error::from_response(400, &none, validation.to_string().as_bytes());
    assert!(matches!(err, Error::Validation { .. }), "{err:?}");

    // VPC's 500 has no `type`.
    let untyped = bodies
        .iter()
        .find(|b| b.get("type").is_none())
        .expect("an error body without type");
    let err = Error::from_response(500, &none, untyped.to_string().as_bytes());
    assert!(matches!(err, Error::Server { status: 500, .. }), "{err:?}");
}

#[test]
fn error_types_the_recordings_do_not_show() {
    let none = HeaderMap::new();
    let map = |status: u16, body: Value| Error::from_response(status, &none, body.to_string().as_bytes());

    let err = map(
        401,
        json!({"type": "denied_authentication", "message": "authentication is denied"}),
    );
    assert!(matches!(err, Error::Authentication { .. }), "{err:?}");
    assert_eq!(err.status(), Some(401));
    assert!(matches!(map(401, json!({})), Error::Authentication { .. }));

    let err = map(
        403,
        json!({"type": "quotas_exceeded", "message": "quota exceeded", "details": [{"resource": "instances", "quota": 10, "current": 10}]}),
    );
    assert!(
        matches!(&err, Error::QuotaExceeded { details, .. } if details.len() == 1),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(403));

    let err = map(
        403,
        json!({"type": "locked", "message": "resource is locked", "resource": "instance_server", "resource_id": "x"}),
    );
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");

    let err = map(
        503,
        json!({"type": "out_of_stock", "message": "out of stock", "resource": "GP1-XL"}),
    );
    assert!(
        matches!(&err, Error::OutOfStock { resource, .. } if resource == "GP1-XL"),
        "{err:?}"
    );
    assert_eq!(err.status(), Some(503));

    let err = map(
        404,
        json!({"type": "unknown_resource", "message": "\"x\" not found"}),
    );
    assert!(err.is_not_found());

    let err = Error::from_response(429, &headers(&[("retry-after", "7")]), b"");
    assert!(
        matches!(err, Error::RateLimited { retry_after: Some(d), .. } if d.as_secs() == 7),
        "{err:?}"
    );

    let err = Error::from_response(502, &none, b"<html>Bad Gateway</html>");
    assert!(
        matches!(&err, Error::Server { status: 502, message, .. } if message.contains("Bad Gateway")),
        "{err:?}"
    );
    assert!(err.may_have_been_applied());

    let err = map(418, json!({"type": "teapot", "message": "short and stout"}));
    assert!(
        matches!(&err, Error::Api { status: 418, kind: Some(k), .. } if k == "teapot"),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

fn client_for(server: &MockServer) -> Client {
    let config = Config::builder()
        .secret_key(TOKEN)
        .api_url(server.base_url())
        .build()
        .unwrap();
    Client::builder(config)
        .retry_policy(RetryPolicy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_rate_limit_answer_with_an_empty_body_keeps_its_status_and_request_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/block/v1/zones/fr-par-1/volumes")
                .header("x-auth-token", TOKEN);
            then.status(429)
                .header("x-envoy-ratelimited", "true")
                .header("x-request-id", "rl-1");
        })
        .await;
    let client = client_for(&server);
    let err: Error = client
        .block()
        .list_volumes()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err()
        .into();
    mock.assert_calls_async(1).await;
    assert!(matches!(err, Error::RateLimited { .. }), "{err:?}");
    assert_eq!(err.request_id(), Some("rl-1"));
    assert_eq!(err.status(), Some(429));
}

#[tokio::test]
async fn a_json_error_answer_through_a_generated_client_is_typed() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/vpc/v2/regions/fr-par/private-networks/pn-1");
            then.status(412)
                .header("content-type", "application/json")
                .header("x-request-id", "pre-1")
                .json_body(json!({
                    "help_message": "Private Network must be empty to be deleted",
                    "message": "precondition is not respected",
                    "precondition": "resource_still_in_use",
                    "type": "precondition_failed"
                }));
        })
        .await;
    let client = client_for(&server);
    let err: Error = client
        .vpc()
        .delete_private_network()
        .region("fr-par")
        .private_network_id("pn-1")
        .send()
        .await
        .unwrap_err()
        .into();
    match &err {
        Error::Precondition {
            precondition,
            help,
            request_id,
            ..
        } => {
            assert_eq!(precondition, "resource_still_in_use");
            assert_eq!(help, "Private Network must be empty to be deleted");
            assert_eq!(request_id.as_deref(), Some("pre-1"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.to_string().contains("must be empty"), "{err}");
}

#[tokio::test]
async fn an_html_gateway_error_is_a_server_error_with_its_text() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/account/v3/projects");
            then.status(502)
                .header("content-type", "text/html")
                .body("<html><body>502 Bad Gateway</body></html>");
        })
        .await;
    let client = client_for(&server);
    let err: Error = client.account().list_projects().send().await.unwrap_err().into();
    assert!(
        matches!(&err, Error::Server { status: 502, message, .. } if message.contains("502 Bad Gateway")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_success_body_that_does_not_match_the_spec_is_a_decode_error_with_its_request_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/instance/v1/zones/fr-par-1/servers");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-request-id", "drift-1")
                .json_body(json!({"servers": "not a list"}));
        })
        .await;
    let client = client_for(&server);
    let err: Error = client
        .instance()
        .list_servers()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap_err()
        .into();
    mock.assert_calls_async(1).await;
    match &err {
        Error::Decode {
            status,
            message,
            request_id,
        } => {
            assert_eq!(*status, Some(200));
            assert_eq!(request_id.as_deref(), Some("drift-1"));
            assert!(message.contains("invalid type"), "{message}");
            assert!(message.contains("not a list"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.request_id(), Some("drift-1"));
    assert!(!err.is_retryable());
    assert!(err.to_string().contains("[request id drift-1]"), "{err}");
}

#[tokio::test]
async fn a_matching_success_body_is_read_once_checked() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/instance/v1/zones/fr-par-1/servers");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-total-count", "0")
                .json_body(json!({"servers": []}));
        })
        .await;
    let client = client_for(&server);
    let answer = client
        .instance()
        .list_servers()
        .zone("fr-par-1")
        .send()
        .await
        .unwrap();
    assert_eq!(answer.headers()["x-total-count"], "0");
    assert!(answer.into_inner().servers.is_empty());
}
