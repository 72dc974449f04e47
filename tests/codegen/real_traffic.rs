//! Traffic conformance: answers of api.scaleway.com deserialize with the generated types, every
//! operation called exists in our specs, and the specs declare the keys the API really sends;
//! over the fixtures (`tests/fixtures/traffic/`) and over the recordings of real traffic.
//!
//! Recordings are JSON lines (see `../shared/reference/real-traffic/README.md`). By default the
//! test reads `dev.jsonl`, `dev-supplement.jsonl` and `ipam-dev.jsonl` (the IPAM calls, which come
//! from many services' tests) from there, when it is there; `SCW_SDK_TRAFFIC_FILES`, a
//! colon-separated list of files in the same format, replaces that list.

use crate::codegen;
use crate::common::reference::{RECORDED_FILES, fixture_traffic, read_json_lines, reference};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use scaleway_client::api::{ApiModule, MODULES, Operation};
use serde_json::Value;

/// The recorded files to read, or `None` when the recordings are absent.
fn traffic_files() -> Option<Vec<PathBuf>> {
    match std::env::var("SCW_SDK_TRAFFIC_FILES") {
        Ok(list) if !list.is_empty() => Some(list.split(':').map(PathBuf::from).collect()),
        _ => {
            let dir = reference("real-traffic", "the recorded traffic against the specs")?;
            Some(RECORDED_FILES.iter().map(|name| dir.join(name)).collect())
        }
    }
}

struct Interaction {
    source: String,
    api: String,
    method: String,
    path: String,
    template: String,
    status: u16,
    json_body: Option<Value>,
}

/// The interactions of `records` (fixtures or recordings, in the recordings' format).
fn interactions(records: &[Value]) -> Vec<Interaction> {
    let mut out = Vec::new();
    for record in records {
        let field = |name: &str| {
            record
                .get(name)
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        };
        let content_type = record
            .get("resp_headers")
            .and_then(Value::as_object)
            .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case("content-type")))
            .and_then(|(_, v)| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.get(0)?.as_str().map(str::to_string))
            })
            .unwrap_or_default();
        let body = record.get("resp_body").cloned().unwrap_or(Value::Null);
        let json_body = (content_type.starts_with("application/json")
            && (body.is_object() || body.is_array()))
        .then_some(body);
        out.push(Interaction {
            source: format!(
                "{}#{}",
                field("source"),
                record.get("seq").unwrap_or(&Value::Null)
            ),
            api: field("api"),
            method: field("method"),
            path: field("path"),
            template: field("template"),
            status: record.get("status").and_then(Value::as_u64).unwrap_or(0) as u16,
            json_body,
        });
    }
    out
}

/// The APIs this crate vendors, as recordings name them. Recordings of other APIs are ignored;
/// recordings of these must all be covered.
const VENDORED_APIS: &[&str] = &[
    "instance/v1",
    "vpc/v2",
    "block/v1",
    "block/v1alpha1",
    "account/v3",
    "marketplace/v2",
    "ipam/v1",
];

/// The generated module for a recording's `api` field (`instance/v1` → `instance_v1`).
fn module_for(api: &str) -> Option<&'static ApiModule> {
    let name = api.replace(['/', '.', '-'], "_");
    MODULES.iter().find(|m| m.name == name)
}

/// Normalized spec documents by module name, to know which keys each schema declares.
fn spec_documents() -> BTreeMap<String, Value> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    codegen::specs::discover(&dir)
        .unwrap()
        .into_iter()
        .map(|spec| {
            let mut doc = codegen::generate::load(&spec.path).unwrap();
            codegen::normalize::normalize(&mut doc).unwrap();
            (spec.module, doc)
        })
        .collect()
}

fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    let mut schema = schema;
    for _ in 0..32 {
        match schema.get("$ref").and_then(Value::as_str) {
            Some(target) => {
                let pointer = target.trim_start_matches('#');
                schema = doc
                    .pointer(pointer)
                    .unwrap_or_else(|| panic!("unresolved $ref {target}"));
            }
            None => {
                // A single-element allOf is how some specs attach a $ref to extra keywords.
                match schema.get("allOf").and_then(Value::as_array) {
                    Some(all) if all.len() == 1 => schema = &all[0],
                    _ => return schema,
                }
            }
        }
    }
    schema
}

/// Walks a JSON value along its schema, recording each object key path as declared or not.
/// Keys of maps (`additionalProperties`) are data, not key paths.
fn walk_keys(doc: &Value, schema: &Value, value: &Value, prefix: &str, seen: &mut BTreeMap<String, bool>) {
    let schema = resolve(doc, schema);
    match value {
        Value::Object(fields) => {
            let props = schema.get("properties").and_then(Value::as_object);
            let map_values = schema.get("additionalProperties").filter(|v| v.is_object());
            for (key, child) in fields {
                match props.and_then(|p| p.get(key)) {
                    Some(child_schema) => {
                        let path = format!("{prefix}.{key}");
                        seen.entry(path.clone()).or_insert(true);
                        walk_keys(doc, child_schema, child, &path, seen);
                    }
                    None => match map_values {
                        Some(value_schema) => {
                            walk_keys(doc, value_schema, child, &format!("{prefix}{{}}"), seen)
                        }
                        None => {
                            let path = format!("{prefix}.{key}");
                            seen.insert(path.clone(), false);
                            collect_all_keys(child, &path, seen);
                        }
                    },
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = schema.get("items") {
                for item in items {
                    walk_keys(doc, item_schema, item, &format!("{prefix}[]"), seen);
                }
            }
        }
        _ => {}
    }
}

/// Below an undeclared key everything is undeclared too.
fn collect_all_keys(value: &Value, prefix: &str, seen: &mut BTreeMap<String, bool>) {
    match value {
        Value::Object(fields) => {
            for (key, child) in fields {
                let path = format!("{prefix}.{key}");
                seen.insert(path.clone(), false);
                collect_all_keys(child, &path, seen);
            }
        }
        Value::Array(items) => items
            .iter()
            .for_each(|item| collect_all_keys(item, &format!("{prefix}[]"), seen)),
        _ => {}
    }
}

fn success_schema<'a>(doc: &'a Value, op: &Operation) -> Option<&'a Value> {
    let path = op.path.replace('~', "~0").replace('/', "~1");
    let responses = doc
        .pointer(&format!("/paths/{path}/{}/responses", op.method.to_lowercase()))?
        .as_object()?;
    responses
        .iter()
        .filter(|(code, _)| code.starts_with('2'))
        .find_map(|(_, r)| r.pointer("/content/application~1json/schema"))
}

#[test]
fn fixture_traffic_conforms_to_the_specs() {
    traffic_conforms_to_the_specs(&interactions(fixture_traffic()));
}

#[test]
fn recorded_traffic_conforms_to_the_specs() {
    let Some(files) = traffic_files() else {
        return;
    };
    let records: Vec<Value> = files.iter().flat_map(|file| read_json_lines(file)).collect();
    traffic_conforms_to_the_specs(&interactions(&records));
}

/// Every interaction of a vendored API matches an operation of the specs, its 2xx JSON body
/// decodes with the generated types, and the specs declare 99% of the keys its bodies hold.
fn traffic_conforms_to_the_specs(interactions: &[Interaction]) {
    // Longer than a screen on purpose: one pass over the interactions gathers every kind of
    // mismatch, and the report prints them all before any assertion, so that one run shows every
    // gap.
    let docs = spec_documents();

    let mut in_scope = 0usize;
    let mut unmatched: BTreeSet<String> = BTreeSet::new();
    let mut matched_templates: BTreeSet<(String, String)> = BTreeSet::new();
    let mut bodies_ok = 0usize;
    let mut body_failures: Vec<String> = Vec::new();
    // (module, operation) -> key path -> declared
    let mut keys: BTreeMap<(String, String), BTreeMap<String, bool>> = BTreeMap::new();
    let mut per_operation: BTreeMap<String, usize> = BTreeMap::new();

    for interaction in interactions {
        if !VENDORED_APIS.contains(&interaction.api.as_str()) {
            continue;
        }
        in_scope += 1;
        let Some(module) = module_for(&interaction.api) else {
            unmatched.insert(format!(
                "{} {} (no module for {})",
                interaction.method, interaction.template, interaction.api
            ));
            continue;
        };
        let Some(op) = module.find_operation(&interaction.method, &interaction.path) else {
            unmatched.insert(format!(
                "{} {} ({})",
                interaction.method, interaction.template, interaction.api
            ));
            continue;
        };
        matched_templates.insert((interaction.method.clone(), interaction.template.clone()));
        *per_operation
            .entry(format!("{}::{}", module.name, op.id))
            .or_default() += 1;
        if !(200..300).contains(&interaction.status) {
            continue;
        }
        let Some(body) = &interaction.json_body else {
            continue;
        };
        let bytes = serde_json::to_vec(body).unwrap();
        match (module.check_response_body)(op.id, &bytes) {
            Some(Ok(())) => bodies_ok += 1,
            Some(Err(e)) => {
                body_failures.push(format!("{} {}::{}: {e}", interaction.source, module.name, op.id))
            }
            None => body_failures.push(format!(
                "{} {}::{}: a JSON body was recorded but the spec declares no JSON response",
                interaction.source, module.name, op.id
            )),
        }
        let doc = &docs[module.name];
        if let Some(schema) = success_schema(doc, op) {
            let seen = keys
                .entry((module.name.to_string(), op.id.to_string()))
                .or_default();
            walk_keys(doc, schema, body, "", seen);
        }
    }

    let total_keys: usize = keys.values().map(BTreeMap::len).sum();
    let undeclared: Vec<String> = keys
        .iter()
        .flat_map(|((module, op), paths)| {
            paths
                .iter()
                .filter(|(_, declared)| !**declared)
                .map(move |(p, _)| format!("{module}::{op} {p}"))
        })
        .collect();
    let declared_share = if total_keys == 0 {
        0.0
    } else {
        100.0 * (total_keys - undeclared.len()) as f64 / total_keys as f64
    };

    println!(
        "interactions: {} ({} for the vendored APIs)",
        interactions.len(),
        in_scope
    );
    println!("distinct (method, template) matched: {}", matched_templates.len());
    println!("operations exercised: {}", per_operation.len());
    for (op, count) in &per_operation {
        println!("  {op:<55} {count}");
    }
    println!(
        "2xx JSON bodies deserialized: {bodies_ok} ok, {} failed",
        body_failures.len()
    );
    println!(
        "response key paths declared: {} of {} ({declared_share:.2}%)",
        total_keys - undeclared.len(),
        total_keys
    );
    for key in &undeclared {
        println!("  undeclared: {key}");
    }
    for failure in body_failures.iter().take(50) {
        println!("  body failure: {failure}");
    }

    assert!(in_scope > 0, "no recorded interaction belongs to a vendored API");
    assert!(
        unmatched.is_empty(),
        "recorded operations missing from the specs:\n{}",
        Vec::from_iter(unmatched).join("\n")
    );
    assert!(
        body_failures.is_empty(),
        "{} recorded 2xx bodies do not deserialize (listed above)",
        body_failures.len()
    );
    assert!(
        declared_share >= 99.0,
        "only {declared_share:.2}% of the recorded response keys are declared"
    );
}

#[test]
fn operation_templates_match_concrete_paths() {
    let op = Operation {
        id: "GetServer",
        method: "GET",
        path: "/instance/v1/zones/{zone}/servers/{server_id}",
        success_status: 200,
    };
    assert!(op.matches_path("/instance/v1/zones/fr-par-1/servers/11111111-1111-1111-1111-111111111111"));
    assert!(!op.matches_path("/instance/v1/zones/fr-par-1/servers"));
    assert!(!op.matches_path("/instance/v1/zones/fr-par-1/servers/x/action"));
    assert!(!op.matches_path("/instance/v1/zones//servers/x"));
    assert_eq!(
        op.path_parameters("/instance/v1/zones/fr-par-1/servers/abc"),
        Some(vec![("zone", "fr-par-1"), ("server_id", "abc")])
    );
}
