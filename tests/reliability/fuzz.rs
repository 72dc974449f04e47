//! Property tests of the two parsers that read what others wrote: the spec normalizer (the
//! build's first step on a spec file downloaded from Scaleway) and the error-body parser
//! (`Error::from_response`, on whatever an API or a proxy answers).
//!
//! Each property runs 256 cases by default, a few seconds in all; a long run:
//!
//! ```sh
//! SCW_SDK_FUZZ_CASES=100000 cargo test --test reliability fuzz::
//! ```

#[path = "../../codegen/normalize.rs"]
#[allow(dead_code)]
mod normalize;

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use reqwest::header::{HeaderMap, HeaderValue};
use scaleway_client::Error;
use serde_json::{Map, Value, json};

/// Cases per property: `SCW_SDK_FUZZ_CASES`, else 256.
fn config() -> ProptestConfig {
    let cases = std::env::var("SCW_SDK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        // A failure prints its minimal input; no regression file is written into the tree.
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

// ---------------------------------------------------------------------------------------------
// JSON with the quirks of official spec files

/// Strings that mean something to a rule, and a few that mean nothing.
fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "50", " 7 ", "-3", "1.5", "true", "false", "yes", "", "NaN", "18446744073709551616",
            "integer", "number", "boolean", "string", "object", "array",
            "*/*", "application/json", "text/plain",
            "<volumeKey>", "<Key>", "<key>", "zone", "region", "path", "query", "body",
            "fr-par-1", "ScalewayError", "scaleway.instance.v1.Server", "scaleway.instance.v1.",
            "scaleway.x.v.Server", "#/components/schemas/scaleway.instance.v1.Server",
            "#/components/schemas/Server", "#/components/schemas/ScalewayError",
            "ListVPCs", "ListIPs", "GetServer", "2XX", "200", "201", "4XX", "default",
            "/servers/{server_id}/user_data/{key}", "Server", "server", "Server_volumes",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,12}",
    ]
}

/// Keys of OpenAPI documents, the quirky ones included.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "openapi", "info", "paths", "components", "schemas", "parameters", "requestBodies",
            "responses", "properties", "type", "default", "enum", "items", "additionalProperties",
            "$ref", "requestBody", "content", "*/*", "application/json", "text/plain", "schema",
            "200", "201", "202", "204", "2XX", "4XX", "5XX", "default", "name", "in",
            "operationId", "x-one-of", "x-properties-order", "title", "description", "allOf",
            "oneOf", "anyOf", "not", "nullable", "required", "format", "pattern", "<volumeKey>",
            "<fooKey>", "get", "post", "patch", "put", "delete", "/servers", "/servers/{server_id}",
            "/servers/{server_id}/user_data/{key}", "scaleway.instance.v1.Server", "Server",
            "ScalewayError", "x-scaleway-operation-id", "x-scaleway-success-status",
        ])
        .prop_map(str::to_string),
        1 => word(),
    ]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-1e9f64..1e9).prop_map(Value::from),
        word().prop_map(Value::String),
    ]
}

/// Any JSON, biased towards OpenAPI's keys and words.
fn json_value() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(6, 96, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(key(), inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Property names: some that make inline type names collide (`Server.volumes` and a component
/// `ServerVolumes`), and any others.
fn property_name() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["volumes", "server", "state", "type", "ip", "tags", "value"])
            .prop_map(str::to_string),
        "[a-z_]{1,10}",
    ]
}

/// A schema in the official style: component names with the API prefix, quoted defaults,
/// inline enums, pseudo-property maps, `x-one-of` groups, nested objects and arrays.
fn schema() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        (prop::option::of(prop::sample::select(vec!["50", "true", "abc", " 3 ", "1.25"]))).prop_map(|d| {
            match d {
                Some(d) => json!({"type": "integer", "default": d}),
                None => json!({"type": "integer", "format": "uint32"}),
            }
        }),
        prop::option::of(prop::sample::select(vec!["true", "false", "maybe"]))
            .prop_map(|d| json!({"type": "boolean", "default": d})),
        prop::option::of(prop::sample::select(vec!["0.5", "x"]))
            .prop_map(|d| json!({"type": "number", "default": d})),
        prop::collection::vec("[a-z_]{1,8}", 1..4)
            .prop_map(|values| json!({"type": "string", "enum": values, "default": values[0]})),
        Just(json!({"type": "string", "nullable": true})),
        Just(json!({"$ref": "#/components/schemas/scaleway.instance.v1.Server"})),
        Just(json!({"$ref": "#/components/schemas/scaleway.instance.v1.Volume"})),
    ];
    scalar.prop_recursive(4, 48, 5, |inner| {
        prop_oneof![
            prop::collection::btree_map(property_name(), inner.clone(), 0..5).prop_map(|props| {
                let one_of: Vec<&String> = props.keys().take(2).collect();
                json!({"type": "object", "properties": props, "x-one-of": one_of})
            }),
            (
                prop::sample::select(vec!["<volumeKey>", "<fooKey>"]),
                inner.clone()
            )
                .prop_map(|(pseudo, value)| json!({
                    "type": "object",
                    "properties": {pseudo: value},
                    "additionalProperties": true,
                    "x-properties-order": [pseudo],
                })),
            inner
                .clone()
                .prop_map(|items| json!({"type": "array", "items": items})),
            prop::collection::vec(inner, 1..3).prop_map(|all| json!({"allOf": all})),
        ]
    })
}

/// One operation: inline zone enums, `*/*` or JSON bodies, one success code.
fn operation() -> impl Strategy<Value = Value> {
    (
        prop::sample::select(vec![
            "ListVPCs",
            "GetServer",
            "CreateServer",
            "SetServerUserData",
            "ListIPs",
        ]),
        prop::bool::ANY,
        prop::option::of((prop::sample::select(vec!["*/*", "application/json"]), schema())),
        prop::sample::select(vec!["200", "201", "202", "204"]),
        prop::option::of(schema()),
        prop::bool::ANY,
    )
        .prop_map(|(id, zone_enum, body, code, answer, with_errors)| {
            let mut zone = json!({"type": "string"});
            if zone_enum {
                zone = json!({"type": "string", "enum": ["fr-par-1", "nl-ams-1"], "default": "fr-par-1"});
            }
            let mut op = json!({
                "operationId": id,
                "parameters": [{"name": "zone", "in": "path", "required": true, "schema": zone}],
                "responses": {code: {"description": "ok"}},
            });
            if let Some((media, schema)) = body {
                op["requestBody"] = json!({"content": {media: {"schema": schema}}});
            }
            if let Some(answer) = answer {
                op["responses"][code]["content"] = json!({"application/json": {"schema": answer}});
            }
            if with_errors {
                op["responses"]["4XX"] = json!({"description": "error"});
            }
            op
        })
}

/// A whole document in the official format.
fn document() -> impl Strategy<Value = Value> {
    (
        prop::collection::btree_map(
            prop::sample::select(vec![
                "scaleway.instance.v1.Server",
                "scaleway.instance.v1.Volume",
                "scaleway.block.v1.Volume",
                "scaleway.std.File",
                "Server",
                "ServerVolumes",
            ]),
            schema(),
            0..5,
        ),
        prop::collection::btree_map(
            prop::sample::select(vec![
                "/instance/v1/zones/{zone}/servers",
                "/instance/v1/zones/{zone}/servers/{server_id}",
                "/instance/v1/zones/{zone}/servers/{server_id}/user_data/{key}",
                "/vpc/v2/regions/{region}/vpcs",
            ]),
            prop::collection::btree_map(
                prop::sample::select(vec!["get", "post", "patch", "delete"]),
                operation(),
                1..3,
            ),
            0..4,
        ),
    )
        .prop_map(|(schemas, paths)| {
            json!({
                "openapi": "3.0.0",
                "info": {"title": "Fuzzed API", "version": "v1"},
                "paths": paths,
                "components": {"schemas": schemas},
            })
        })
}

/// Runs the normalizer; a failure must name its rule and say what is wrong.
fn normalized(doc: &mut Value) -> Result<usize, String> {
    match normalize::normalize(doc) {
        Ok(applied) => Ok(applied.iter().map(|a| a.changes).sum()),
        Err(e) => {
            let message = e.to_string();
            assert!(
                normalize::RULES.iter().any(|r| r.name == e.rule),
                "unknown rule {}",
                e.rule
            );
            assert!(message.contains(e.rule), "{message}");
            assert!(!e.error.reason.trim().is_empty(), "{message}");
            Err(message)
        }
    }
}

proptest! {
    #![proptest_config(config())]

    /// Any JSON at all: the normalizer answers, it never panics, and what it accepted it
    /// accepts again unchanged.
    #[test]
    fn the_normalizer_never_panics_on_any_json(mut doc in json_value()) {
        if normalized(&mut doc).is_ok() {
            let once = doc.clone();
            prop_assert!(normalized(&mut doc).is_ok());
            prop_assert_eq!(&doc, &once);
        }
    }

    /// Any JSON placed where a document expects its parts.
    #[test]
    fn the_normalizer_never_panics_on_documents_with_any_parts(
        paths in json_value(),
        components in json_value(),
        schemas in json_value(),
    ) {
        let mut doc = json!({"openapi": "3.0.0", "paths": paths, "components": components});
        let _ = normalized(&mut doc);
        let mut doc = json!({"openapi": "3.0.0", "paths": {"/x": {"get": {"operationId": "GetX"}}},
                             "components": {"schemas": schemas}});
        let _ = normalized(&mut doc);
    }

    /// A document in the official format: normalized without error, and normalizing it again
    /// changes nothing.
    #[test]
    fn normalizing_an_official_style_document_is_idempotent(mut doc in document()) {
        let changes = normalized(&mut doc);
        prop_assert!(changes.is_ok(), "{:?}", changes);
        let once = doc.clone();
        let again = normalized(&mut doc);
        prop_assert_eq!(again, Ok(0), "the second pass changed something");
        prop_assert_eq!(&doc, &once);
        // What the rules promise: no quoted scalar default, no `*/*` body, no pseudo-property.
        let text = serde_json::to_string(&doc).unwrap();
        prop_assert!(!text.contains("\"*/*\""));
        prop_assert!(!text.contains("Key>\""));
        prop_assert!(doc.pointer("/components/schemas/ScalewayError").is_some());
    }

    /// A document broken in one known place: an error that names the place, never a panic.
    #[test]
    fn a_malformed_document_is_an_error_naming_the_problem(
        doc in document(),
        breakage in 0..4usize,
        junk in prop_oneof![Just(json!(3)), Just(json!("x")), Just(json!([1, 2])), Just(json!(true))],
    ) {
        let mut doc = doc;
        let expected = match breakage {
            0 => {
                doc = json!([doc]);
                "not a mapping"
            }
            1 => {
                doc["components"] = junk;
                "`components` is not a mapping"
            }
            2 => {
                doc["components"]["schemas"]["Broken"] = json!({"type": "object", "properties": {
                    "<aKey>": {"type": "string"}, "<bKey>": {"type": "string"}}});
                "several pseudo-properties"
            }
            _ => {
                doc["paths"]["/broken"] = json!({"get": {"operationId": "GetBroken", "responses": junk}});
                "operation GetBroken: `responses` is not a mapping"
            }
        };
        let error = normalized(&mut doc);
        prop_assert!(
            matches!(&error, Err(message) if message.contains(expected)),
            "expected an error saying {:?}, got {:?}", expected, error
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Error bodies

/// The keys of Scaleway error bodies, and some others.
fn error_key() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => prop::sample::select(vec![
            "type", "message", "details", "resource", "resource_id", "precondition",
            "help_message", "fields", "quota", "current", "current_state", "expired_since",
            "argument_name", "reason", "action", "method",
        ])
        .prop_map(str::to_string),
        1 => "\\PC{0,10}",
    ]
}

/// Error types, the known ones mostly.
fn error_type() -> impl Strategy<Value = Value> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "not_found", "unknown_resource", "invalid_arguments", "invalid_request_error",
            "precondition_failed", "permissions_denied", "authorization_required",
            "denied_authentication", "quotas_exceeded", "transient_state", "locked",
            "out_of_stock", "expired", "internal_server_error", "service_unavailable",
        ])
        .prop_map(|t| Value::String(t.to_string())),
        1 => json_value(),
    ]
}

/// A JSON error body whose known keys hold values of any type.
fn error_body() -> impl Strategy<Value = Value> {
    (
        prop::option::of(error_type()),
        prop::collection::btree_map(error_key(), json_value(), 0..8),
        prop::option::of(prop::collection::vec(
            prop::collection::btree_map(error_key(), json_value(), 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<_, _>>())),
            0..3,
        )),
    )
        .prop_map(|(kind, mut fields, details)| {
            if let Some(kind) = kind {
                fields.insert("type".into(), kind);
            }
            if let Some(details) = details {
                fields.insert("details".into(), Value::Array(details));
            }
            Value::Object(fields.into_iter().collect())
        })
}

/// An answer's body: bytes, text, or a JSON error body.
fn answer_body() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..200),
        1 => "\\PC{0,60}".prop_map(String::into_bytes),
        1 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap()),
        3 => error_body().prop_map(|v| serde_json::to_vec(&v).unwrap()),
    ]
}

/// An `X-Request-Id`: readable, unreadable (bytes that are not visible ASCII), or absent.
#[derive(Debug, Clone)]
enum RequestId {
    Absent,
    Readable(String),
    Unreadable(Vec<u8>),
}

fn request_id() -> impl Strategy<Value = RequestId> {
    prop_oneof![
        Just(RequestId::Absent),
        "[ -~]{1,40}"
            .prop_filter("a header value has no edge spaces", |s| s.trim() == s)
            .prop_map(RequestId::Readable),
        prop::collection::vec(0x80u8..=0xff, 1..8).prop_map(RequestId::Unreadable),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Any answer: a typed error with the answer's status and request id, printable.
    #[test]
    fn error_answers_are_read_without_panicking(
        status in 100u16..=599,
        body in answer_body(),
        id in request_id(),
        retry_after in prop::option::of(0u32..100_000),
    ) {
        let mut headers = HeaderMap::new();
        match &id {
            RequestId::Absent => {}
            RequestId::Readable(text) => {
                headers.insert("x-request-id", HeaderValue::from_str(text).unwrap());
            }
            RequestId::Unreadable(bytes) => {
                headers.insert("x-request-id", HeaderValue::from_bytes(bytes).unwrap());
            }
        }
        if let Some(seconds) = retry_after {
            headers.insert("retry-after", HeaderValue::from(seconds));
        }
        let error = Error::from_response(status, &headers, &body);
        let display = error.to_string();
        let _ = format!("{error:?}");
        prop_assert!(!display.is_empty());

        // The request id is the header's, whenever it can be read.
        match &id {
            RequestId::Readable(text) => {
                prop_assert_eq!(error.request_id(), Some(text.as_str()));
                // Every variant read from an answer prints it, for support.
                let suffix = format!("[request id {text}]");
                prop_assert!(display.contains(&suffix), "{}", display);
            }
            RequestId::Absent | RequestId::Unreadable(_) => prop_assert_eq!(error.request_id(), None),
        }

        // The status is the answer's, whatever the type decided.
        let kind = serde_json::from_slice::<Value>(&body)
            .ok()
            .and_then(|v| v.get("type").and_then(Value::as_str).map(str::to_string));
        let got = error.status();
        prop_assert!(
            got == Some(status),
            "status {} with type {:?} gave {:?}: {:?}", status, kind, got, error
        );

        // A few variants the status alone decides.
        if status == 429 {
            let expected = retry_after.map(|s| Duration::from_secs(u64::from(s)));
            let is_rate_limited = matches!(&error, Error::RateLimited { retry_after: r, .. } if *r == expected);
            prop_assert!(is_rate_limited, "{:?}", error);
            prop_assert!(error.is_retryable());
        }
        if (500..=599).contains(&status) && kind.is_none() {
            prop_assert!(matches!(error, Error::Server { .. }), "{:?}", error);
        }
    }
}

/// Each known type decides the variant, and the error still reports the answer's own status and
/// the type as its kind.
#[test]
fn every_known_type_keeps_the_answers_status_and_names_its_kind() {
    let headers = HeaderMap::new();
    for kind in [
        "not_found",
        "unknown_resource",
        "invalid_arguments",
        "invalid_request_error",
        "precondition_failed",
        "permissions_denied",
        "authorization_required",
        "denied_authentication",
        "quotas_exceeded",
        "transient_state",
        "locked",
        "out_of_stock",
        "expired",
        "internal_server_error",
    ] {
        let body = serde_json::to_vec(&json!({"type": kind, "message": "m"})).unwrap();
        let error = Error::from_response(418, &headers, &body);
        assert_eq!(error.status(), Some(418), "{kind}: {error:?}");
        assert_eq!(
            error.answer().and_then(|a| a.kind.as_deref()),
            Some(kind),
            "{kind}: {error:?}"
        );
    }
}
