//! Error mapping: every error answer of the fixtures and of the recordings, the shapes of the
//! fixtures and those documented in `../shared/reference/scaleway-behaviour.md`, and error
//! answers through a generated client. The recordings and the digest are checked when
//! `../shared/reference` is there (`tests/common/reference.rs`).

use httpmock::prelude::*;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use scaleway_client::{Client, Error, RetryPolicy};
use serde_json::{Value, json};

use crate::common::reference::{fixture_traffic, recorded_traffic, reference};
use crate::common::{self, SECRET as TOKEN};

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
    // Longer than a screen on purpose: one arm per kind of error answer, each with what its variant
    // must hold; a table reads best whole.
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
        (409, Some("transient_state")) => match err {
            Error::Conflict {
                current_state,
                resource,
                ..
            } => {
                assert_eq!(
                    current_state.as_deref(),
                    body["current_state"].as_str(),
                    "{context}"
                );
                assert_eq!(*resource, text(body, "resource"), "{context}");
                assert!(err.is_retryable());
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
            Error::Server { message, answer } => {
                assert_eq!(answer.status, status);
                assert_eq!(*message, text(body, "message"));
                assert!(err.is_retryable());
            }
            other => panic!("{context}: {other:?}"),
        },
        other => panic!("{context}: no expectation for {other:?}"),
    }
}

#[test]
fn every_fixture_error_answer_maps_to_its_variant() {
    every_error_answer_maps_to_its_variant(fixture_traffic());
}

#[test]
fn every_recorded_error_answer_maps_to_its_variant() {
    let files = ["dev.jsonl", "dev-supplement.jsonl"];
    if let Some(traffic) = recorded_traffic(&files, "the recorded error answers") {
        every_error_answer_maps_to_its_variant(&traffic);
    }
}

/// Every error answer of `traffic` maps to the variant its status and type call for, with its
/// request id; the answers include one of each kind the API sends.
fn every_error_answer_maps_to_its_variant(traffic: &[Value]) {
    let mut checked = std::collections::BTreeMap::<String, usize>::new();
    for (n, record) in traffic.iter().enumerate() {
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
        let context = format!(
            "{} #{} {} {}",
            text(record, "source"),
            record["seq"],
            record["method"],
            record["template"]
        );
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
            "the answers should include a {expected} one"
        );
    }
}

/// JSON examples of error bodies written in the behaviour digest.
fn documented_error_bodies(digest: &std::path::Path) -> Vec<Value> {
    let doc = std::fs::read_to_string(digest).unwrap();
    doc.split('`')
        .filter(|s| s.starts_with('{') && s.ends_with('}'))
        .filter_map(|s| serde_json::from_str::<Value>(s).ok())
        .filter(|v| v.get("message").is_some())
        .collect()
}

#[test]
fn documented_error_shapes_map_to_their_variants() {
    if let Some(digest) = reference(
        "scaleway-behaviour.md",
        "the error shapes of the behaviour digest",
    ) {
        error_shapes_map_to_their_variants(&documented_error_bodies(&digest));
    }
}

#[test]
fn the_fixtures_error_shapes_map_to_their_variants() {
    let bodies: Vec<Value> = fixture_traffic()
        .iter()
        .filter(|r| r["status"].as_u64().is_some_and(|s| s >= 400))
        .map(|r| r["resp_body"].clone())
        .filter(|body| body.get("message").is_some())
        .collect();
    error_shapes_map_to_their_variants(&bodies);
}

/// A transient state, the legacy authorization error, a legacy validation error and VPC's
/// untyped 500, found among `bodies`, map to their variants.
fn error_shapes_map_to_their_variants(bodies: &[Value]) {
    let by_type = |t: &str| {
        bodies
            .iter()
            .find(|b| b["type"] == t)
            .unwrap_or_else(|| panic!("no {t} body among the shapes"))
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
    assert!(
        matches!(&err, Error::Server { answer, .. } if answer.status == 500),
        "{err:?}"
    );
}

#[test]
fn error_types_the_recordings_do_not_show() {
    // A little over a screen: one body per error type, each mapped and checked in turn.
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
        matches!(&err, Error::Server { answer, message } if answer.status == 502 && message.contains("Bad Gateway")),
        "{err:?}"
    );
    assert!(err.may_have_been_applied());

    let err = map(418, json!({"type": "teapot", "message": "short and stout"}));
    assert!(
        matches!(&err, Error::Api { answer, .. } if answer.status == 418 && answer.kind.as_deref() == Some("teapot")),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

fn client_for(server: &MockServer) -> Client {
    common::client(common::mock_config(server.base_url()), RetryPolicy::none())
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
            answer,
            ..
        } => {
            assert_eq!(precondition, "resource_still_in_use");
            assert_eq!(help, "Private Network must be empty to be deleted");
            assert_eq!(answer.request_id.as_deref(), Some("pre-1"));
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
        matches!(&err, Error::Server { answer, message } if answer.status == 502 && message.contains("502 Bad Gateway")),
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
        Error::Decode { message, answer } => {
            let answer = answer.as_ref().expect("the answer is known");
            assert_eq!(answer.status, 200);
            assert_eq!(answer.request_id.as_deref(), Some("drift-1"));
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
async fn an_empty_success_body_where_json_is_due_is_a_decode_error_with_its_request_id() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/instance/v1/zones/fr-par-1/servers");
            then.status(200).header("x-request-id", "empty-1");
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
        Error::Decode { message, answer } => {
            let answer = answer.as_ref().expect("the answer is known");
            assert_eq!(answer.status, 200);
            assert_eq!(answer.request_id.as_deref(), Some("empty-1"));
            assert!(message.contains("EOF"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(200));
    assert!(err.to_string().contains("[request id empty-1]"), "{err}");
}

#[tokio::test]
async fn an_empty_success_body_where_none_is_due_is_a_success() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path("/instance/v1/zones/fr-par-1/servers/s-1");
            then.status(204).header("x-request-id", "gone-1");
        })
        .await;
    let client = client_for(&server);
    let answer = client
        .instance()
        .delete_server()
        .zone("fr-par-1")
        .server_id("s-1")
        .send()
        .await
        .unwrap();
    mock.assert_calls_async(1).await;
    assert_eq!(answer.status(), 204);
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

#[tokio::test]
async fn a_quota_error_through_a_generated_client_keeps_its_status_request_id_and_details() {
    // The real shape: `quota` and `current` are numbers.
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/instance/v1/zones/fr-par-1/servers");
            then.status(403)
                .header("content-type", "application/json")
                .header("x-request-id", "q-1")
                .body(
                    r#"{"details":[{"current":10,"quota":10,"resource":"instances"}],"message":"quota(s) exceeded for this resource","type":"quotas_exceeded"}"#,
                );
        })
        .await;
    let client = client_for(&server);
    let err: Error = client
        .instance()
        .create_server()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("web-1".to_string())
                .commercial_type("DEV1-S")
                .project("6a1e1b5c-3b4a-4f7e-9d2a-0c9f2f1e8b7d".to_string())
        })
        .send()
        .await
        .unwrap_err()
        .into();
    mock.assert_calls_async(1).await;
    match &err {
        Error::QuotaExceeded {
            message,
            details,
            answer,
        } => {
            assert_eq!(answer.status, 403);
            assert_eq!(message, "quota(s) exceeded for this resource");
            assert_eq!(
                *details,
                vec![json!({"current": 10, "quota": 10, "resource": "instances"})]
            );
            assert_eq!(answer.request_id.as_deref(), Some("q-1"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.status(), Some(403));
    assert_eq!(err.request_id(), Some("q-1"));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_error_body_with_fields_of_unexpected_types_still_decodes_through_a_generated_client() {
    // Longer than a screen on purpose: one answer whose every field has the wrong type, and each
    // field checked on the typed error, side by side with the body that made it.
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/instance/v1/zones/fr-par-1/servers/s-1");
            then.status(404)
                .header("content-type", "application/json")
                .header("x-request-id", "odd-404")
                .json_body(json!({
                    "type": "not_found",
                    "message": {"text": "gone"},
                    "resource": "instance_server",
                    "resource_id": 42,
                    "details": "none",
                    "fields": {"name": "not a list"}
                }));
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(POST).path("/block/v1/zones/fr-par-1/volumes");
            then.status(400)
                .header("content-type", "application/json")
                .header("x-request-id", "odd-400")
                .json_body(json!({
                    "type": "invalid_arguments",
                    "message": ["invalid", "argument(s)"],
                    "details": [
                        {"argument_name": "name", "reason": "required", "help_message": "set a name"},
                        "stray",
                        {"argument_name": "size", "reason": 7}
                    ],
                    "fields": null
                }));
        })
        .await;
    let client = client_for(&server);

    let err: Error = client
        .instance()
        .get_server()
        .zone("fr-par-1")
        .server_id("s-1")
        .send()
        .await
        .unwrap_err()
        .into();
    match &err {
        Error::NotFound {
            resource,
            resource_id,
            answer,
        } => {
            assert_eq!(resource, "instance_server");
            assert_eq!(resource_id, "42");
            assert_eq!(
                answer.as_ref().and_then(|a| a.request_id.as_deref()),
                Some("odd-404")
            );
        }
        other => panic!("{other:?}"),
    }

    let err: Error = client
        .block()
        .create_volume()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("v".to_string())
                .project_id("6a1e1b5c-3b4a-4f7e-9d2a-0c9f2f1e8b7d".to_string())
        })
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
            assert_eq!(message, r#"["invalid","argument(s)"]"#);
            let arguments: Vec<(&str, &str, &str)> = arguments
                .iter()
                .map(|a| (a.name.as_str(), a.reason.as_str(), a.help.as_str()))
                .collect();
            assert_eq!(
                arguments,
                [("name", "required", "set a name"), ("", "", ""), ("size", "", "")]
            );
            assert_eq!(answer.request_id.as_deref(), Some("odd-400"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn one_field_of_an_unexpected_type_does_not_throw_away_the_error_body() {
    // Longer than a screen on purpose: one body per field of the error schema, each with that one
    // field of the wrong type and the rest checked intact.
    let none = HeaderMap::new();
    let map = |status: u16, body: Value| Error::from_response(status, &none, body.to_string().as_bytes());

    let err = map(
        404,
        json!({"type": "not_found", "message": null, "resource": "instance_server", "resource_id": 123}),
    );
    match &err {
        Error::NotFound {
            resource,
            resource_id,
            ..
        } => {
            assert_eq!(resource, "instance_server");
            assert_eq!(resource_id, "123");
        }
        other => panic!("{other:?}"),
    }

    let err = map(
        409,
        json!({"type": "transient_state", "message": "busy", "resource": "vpc", "resource_id": "vpc-1", "current_state": ["updating"]}),
    );
    match &err {
        Error::Conflict {
            resource,
            current_state,
            message,
            ..
        } => {
            assert_eq!(resource, "vpc");
            assert_eq!(current_state.as_deref(), Some(r#"["updating"]"#));
            assert_eq!(message, "busy");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());

    // `details` is not a list: only it is ignored.
    let err = map(
        400,
        json!({"type": "invalid_request_error", "message": "bad", "details": {"x": 1}, "fields": {"name": ["required"]}}),
    );
    match &err {
        Error::Validation {
            message, arguments, ..
        } => {
            assert_eq!(message, "bad");
            assert_eq!(
                *arguments,
                vec![scaleway_client::InvalidArgument {
                    name: "name".into(),
                    reason: "invalid".into(),
                    help: "required".into(),
                }]
            );
        }
        other => panic!("{other:?}"),
    }

    // `fields` is not a map of lists of strings: only it is ignored.
    let err = map(
        403,
        json!({"type": "permissions_denied", "message": "insufficient permissions", "fields": [1, 2],
               "details": [{"action": "read", "resource": "snapshot"}, 3]}),
    );
    match &err {
        Error::PermissionDenied { message, missing, .. } => {
            assert_eq!(message, "insufficient permissions");
            assert_eq!(*missing, vec!["read snapshot".to_string()]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn only_a_transient_state_conflict_is_retryable() {
    // Longer than a screen on purpose: each 409 body the API sends, next to the retryability it
    // must have.
    let none = HeaderMap::new();
    let map = |status: u16, body: Value| Error::from_response(status, &none, body.to_string().as_bytes());

    // What the retry policy repeats: a 409 `transient_state`.
    let err = map(
        409,
        json!({"type": "transient_state", "message": "resource is in a transient state", "resource": "instance_server", "resource_id": "s-1", "current_state": "starting"}),
    );
    match &err {
        Error::Conflict {
            resource,
            resource_id,
            current_state,
            message,
            answer,
        } => {
            assert_eq!(resource, "instance_server");
            assert_eq!(resource_id, "s-1");
            assert_eq!(current_state.as_deref(), Some("starting"));
            assert_eq!(message, "resource is in a transient state");
            assert_eq!(answer.request_id, None);
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    assert_eq!(err.status(), Some(409));

    // Any other conflict does not clear by waiting, and the policy does not repeat it.
    let err = map(
        409,
        json!({"type": "conflict", "message": "a resource with this name already exists", "resource": "instance_security_group"}),
    );
    match &err {
        Error::Api { message, answer } => {
            assert_eq!(answer.status, 409);
            assert_eq!(answer.kind.as_deref(), Some("conflict"));
            assert_eq!(message, "a resource with this name already exists");
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable());
    assert_eq!(err.status(), Some(409));

    let err = Error::from_response(409, &headers(&[("x-request-id", "c-1")]), b"");
    assert!(
        matches!(&err, Error::Api { answer, .. } if answer.status == 409 && answer.kind.is_none()),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_eq!(err.request_id(), Some("c-1"));

    // `transient_state` with another status is not repeated either: its status decides.
    let err = map(
        400,
        json!({"type": "transient_state", "message": "busy", "resource": "vpc", "resource_id": "vpc-1"}),
    );
    assert!(
        matches!(&err, Error::Validation { answer, .. } if answer.status == 400),
        "{err:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn a_conflict_that_is_not_transient_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/vpc/v2/regions/fr-par/vpcs/vpc-1/enable-routing");
            then.status(409)
                .header("content-type", "application/json")
                .header("x-request-id", "c-2")
                .json_body(json!({"type": "conflict", "message": "routing is already enabled"}));
        })
        .await;
    let client = common::client(
        common::mock_config(server.base_url()),
        RetryPolicy::default()
            .max_retries(3)
            .min_delay(std::time::Duration::from_millis(1))
            .jitter(false),
    );
    let err: Error = client
        .vpc()
        .enable_routing()
        .region("fr-par")
        .vpc_id("vpc-1")
        .body(serde_json::Map::new())
        .send()
        .await
        .unwrap_err()
        .into();
    mock.assert_calls_async(1).await;
    assert!(
        matches!(&err, Error::Api { answer, .. } if answer.status == 409
            && answer.kind.as_deref() == Some("conflict") && answer.request_id.as_deref() == Some("c-2")),
        "{err:?}"
    );
    assert!(!err.is_retryable(), "the error agrees with the policy");
}
