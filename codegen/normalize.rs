//! Normalization of Scaleway OpenAPI documents before code generation.
//!
//! Official Scaleway spec files have quirks that make progenitor fail or, worse, generate wrong
//! types. Each quirk is fixed by one small rule below, applied to the document as JSON so that a
//! file downloaded from Scaleway's developer site can be used unchanged. Rules are idempotent: a
//! document that is already clean passes through untouched, and running them twice changes
//! nothing the second time.
//!
//! | rule | quirk it fixes |
//! |---|---|
//! | `quoted_scalar_defaults` | integer, number and boolean defaults written as strings (`default: "50"`) |
//! | `wildcard_request_bodies` | request bodies declared as `*/*` (user_data), which progenitor rejects |
//! | `pseudo_property_maps` | maps written as a `<somethingKey>` property plus `additionalProperties: true` |
//! | `untyped_locality_parameters` | the `zone`/`region` parameter (path, or query filter) as an inline enum in every operation |
//! | `scalar_parameter_refs` | parameters typed by a `$ref` to a wrapper of one plain value (`per_page` as `google.protobuf.UInt32Value`) |
//! | `short_schema_names` | component names like `scaleway.instance.v1.Server` (types become `Server`) |
//! | `inline_name_collisions` | inline schemas whose generated type name is already taken |
//! | `scaleway_error_responses` | no error responses declared anywhere |
//! | `readable_operation_ids` | plural acronyms in operationIds (`ListVPCs` would become `list_vp_cs`) |
//! | `user_data_as_text` | user_data values declared as a JSON `scaleway.std.File` while the API answers raw text |
//! | `success_status_ranges` | one exact success code (`200`) where the API answers another (`201`, `202`) |

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use heck::{ToPascalCase, ToSnakeCase};
use serde_json::{Map, Value, json};

/// One normalization rule.
pub struct Rule {
    /// Stable name, used in reports and in `specs/README.md`.
    pub name: &'static str,
    /// What the rule fixes, in one sentence.
    pub summary: &'static str,
    apply: fn(&mut Value) -> Result<usize, RuleError>,
}

impl Rule {
    /// Applies the rule and returns how many places it changed.
    pub fn apply(&self, doc: &mut Value) -> Result<usize, RuleError> {
        (self.apply)(doc)
    }
}

/// A document a rule cannot fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// The operation at fault, when there is one.
    pub operation_id: Option<String>,
    /// What is wrong.
    pub reason: String,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.operation_id {
            Some(op) => write!(f, "operation {op}: {}", self.reason),
            None => f.write_str(&self.reason),
        }
    }
}

/// A rule that failed, with its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizeError {
    pub rule: &'static str,
    pub error: RuleError,
}

impl fmt::Display for NormalizeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "normalization rule {}: {}", self.rule, self.error)
    }
}

impl std::error::Error for NormalizeError {}

/// Name of the component schema that describes Scaleway error bodies.
pub const ERROR_SCHEMA: &str = "ScalewayError";

/// Every rule, in the order they are applied.
///
/// The order matters in two places: maps must be real maps and schemas must have their short
/// names before type names are predicted for collision detection, and error responses are added
/// last so that their schema is never renamed.
pub const RULES: &[Rule] = &[
    Rule {
        name: "quoted_scalar_defaults",
        summary: "Integer, number and boolean defaults written as strings are parsed; unparsable ones are dropped.",
        apply: quoted_scalar_defaults,
    },
    Rule {
        name: "string_patterns_left_to_the_server",
        summary: "A string schema's `pattern` is dropped (kept in `x-scaleway-pattern`): the API checks its own inputs, and an answer that does not match a pattern is still an answer to read.",
        apply: string_patterns_left_to_the_server,
    },
    Rule {
        name: "wildcard_request_bodies",
        summary: "A `*/*` request body of type string becomes `text/plain` (sent raw); any other becomes JSON.",
        apply: wildcard_request_bodies,
    },
    Rule {
        name: "pseudo_property_maps",
        summary: "A `<somethingKey>` pseudo-property becomes the `additionalProperties` schema of a real map.",
        apply: pseudo_property_maps,
    },
    Rule {
        name: "untyped_locality_parameters",
        summary: "The `zone` / `region` parameter (path or query) becomes a plain string; the facade types it.",
        apply: untyped_locality_parameters,
    },
    Rule {
        name: "scalar_parameter_refs",
        summary: "A parameter whose schema is a `$ref` to a component holding one plain integer, number, boolean or string (no enum) gets that schema inline, so its setter takes the plain value.",
        apply: scalar_parameter_refs,
    },
    Rule {
        name: "short_schema_names",
        summary: "Component schemas named `scaleway.<api>.<version>.<Name>` are renamed `<Name>` unless that name is taken.",
        apply: short_schema_names,
    },
    Rule {
        name: "inline_name_collisions",
        summary: "An inline schema whose generated type name is already used is replaced by a `$ref` when identical, given a distinct `title` otherwise.",
        apply: inline_name_collisions,
    },
    Rule {
        name: "scaleway_error_responses",
        summary: "Operations without error responses get `4XX`/`5XX` responses with the Scaleway error body.",
        apply: scaleway_error_responses,
    },
    Rule {
        name: "readable_operation_ids",
        summary: "Plural acronyms in operationIds are capitalized as words (`ListVPCs` → `ListVpcs`, method `list_vpcs`); the original id is kept in `x-scaleway-operation-id`.",
        apply: readable_operation_ids,
    },
    Rule {
        name: "user_data_as_text",
        summary: "The answer of `GET …/user_data/{key}` is declared as `text/plain`, which is what the API sends.",
        apply: user_data_as_text,
    },
    Rule {
        name: "success_status_ranges",
        summary: "An operation's single success code becomes the range `2XX` (the code is kept in `x-scaleway-success-status`), so a 201 or 202 where a file says 200 is still a success.",
        apply: success_status_ranges,
    },
];

/// What one rule changed in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    pub rule: &'static str,
    pub changes: usize,
}

/// Applies every rule, in order.
pub fn normalize(doc: &mut Value) -> Result<Vec<Applied>, NormalizeError> {
    RULES
        .iter()
        .map(|rule| {
            rule.apply(doc)
                .map(|changes| Applied {
                    rule: rule.name,
                    changes,
                })
                .map_err(|error| NormalizeError {
                    rule: rule.name,
                    error,
                })
        })
        .collect()
}

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// Every operation object, with its operationId (or `METHOD path` when it has none).
fn operations_mut(doc: &mut Value) -> Vec<(String, &mut Map<String, Value>)> {
    let mut out = Vec::new();
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return out;
    };
    for (path, item) in paths.iter_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            if !HTTP_METHODS.contains(&method.as_str()) {
                continue;
            }
            let Some(op) = op.as_object_mut() else { continue };
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| format!("{} {path}", method.to_uppercase()));
            out.push((id, op));
        }
    }
    out
}

/// A function called on schema objects; an error stops the walk.
type SchemaVisitor<'a> = dyn FnMut(&mut Map<String, Value>) -> Result<(), RuleError> + 'a;

/// Calls `f` on every schema object of the document, parents before children.
fn for_each_schema(doc: &mut Value, f: &mut SchemaVisitor) -> Result<(), RuleError> {
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            walk_schema(schema, f)?;
        }
    }
    for section in ["parameters", "requestBodies", "responses"] {
        if let Some(items) = doc
            .pointer_mut(&format!("/components/{section}"))
            .and_then(Value::as_object_mut)
        {
            for item in items.values_mut() {
                walk_container(item, f)?;
            }
        }
    }
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, value) in item.iter_mut() {
                if key == "parameters" {
                    walk_container(value, f)?;
                } else if HTTP_METHODS.contains(&key.as_str()) {
                    let Some(op) = value.as_object_mut() else { continue };
                    for part in ["parameters", "requestBody", "responses"] {
                        if let Some(v) = op.get_mut(part) {
                            walk_container(v, f)?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// Finds schemas inside parameters, request bodies and responses (any `schema` key).
fn walk_container(value: &mut Value, f: &mut SchemaVisitor) -> Result<(), RuleError> {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "schema" {
                    walk_schema(v, f)?;
                } else {
                    walk_container(v, f)?;
                }
            }
        }
        Value::Array(items) => {
            for v in items {
                walk_container(v, f)?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn walk_schema(value: &mut Value, f: &mut SchemaVisitor) -> Result<(), RuleError> {
    let Some(schema) = value.as_object_mut() else {
        return Ok(());
    };
    f(schema)?;
    for (_, child) in child_schemas(schema) {
        walk_schema(child, f)?;
    }
    Ok(())
}

/// The direct sub-schemas of a schema, each with the suffix typify appends to the parent's type
/// name when it names an inline sub-schema.
fn child_schemas(schema: &mut Map<String, Value>) -> Vec<(ChildKind, &mut Value)> {
    let mut out = Vec::new();
    for (key, value) in schema.iter_mut() {
        match key.as_str() {
            "properties" => {
                if let Some(props) = value.as_object_mut() {
                    for (name, prop) in props.iter_mut() {
                        out.push((ChildKind::Property(name.clone()), prop));
                    }
                }
            }
            "items" | "not" => out.push((ChildKind::Item, value)),
            "additionalProperties" if value.is_object() => out.push((ChildKind::MapValue, value)),
            "allOf" | "oneOf" | "anyOf" => {
                if let Some(items) = value.as_array_mut() {
                    for item in items {
                        out.push((ChildKind::Subschema, item));
                    }
                }
            }
            _ => {}
        }
    }
    out
}

#[derive(Debug, Clone)]
enum ChildKind {
    Property(String),
    Item,
    MapValue,
    Subschema,
}

// ---------------------------------------------------------------------------------------------
// quoted_scalar_defaults

fn quoted_scalar_defaults(doc: &mut Value) -> Result<usize, RuleError> {
    let mut changes = 0;
    for_each_schema(doc, &mut |schema| {
        let Some(Value::String(text)) = schema.get("default") else {
            return Ok(());
        };
        let parsed = match schema.get("type").and_then(Value::as_str) {
            Some("integer") => text
                .trim()
                .parse::<i64>()
                .ok()
                .map(Value::from)
                .or_else(|| text.trim().parse::<u64>().ok().map(Value::from)),
            Some("number") => text
                .trim()
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number),
            Some("boolean") => match text.trim() {
                "true" => Some(Value::Bool(true)),
                "false" => Some(Value::Bool(false)),
                _ => None,
            },
            _ => return Ok(()),
        };
        match parsed {
            Some(value) => schema.insert("default".into(), value),
            None => schema.remove("default"),
        };
        changes += 1;
        Ok(())
    })?;
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// string_patterns_left_to_the_server

/// Where a dropped `pattern` is kept, for a reader of the normalized document.
pub const ORIGINAL_PATTERN: &str = "x-scaleway-pattern";

/// typify checks a `pattern` with a regular expression engine of its own (`regress`) in every
/// generated type that carries one, on requests and on answers alike: a pattern the server
/// loosened would make its answers undecodable, and every user of the crate would compile that
/// engine. The server checks its inputs and answers a typed error, which the runtime reports.
fn string_patterns_left_to_the_server(doc: &mut Value) -> Result<usize, RuleError> {
    let mut changes = 0;
    for_each_schema(doc, &mut |schema| {
        if let Some(pattern) = schema.remove("pattern") {
            schema.insert(ORIGINAL_PATTERN.into(), pattern);
            changes += 1;
        }
        Ok(())
    })?;
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// wildcard_request_bodies

fn wildcard_request_bodies(doc: &mut Value) -> Result<usize, RuleError> {
    let mut changes = 0;
    for (_, op) in operations_mut(doc) {
        let Some(content) = op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        let Some(media) = content.remove("*/*") else {
            continue;
        };
        let is_string = media.pointer("/schema/type").and_then(Value::as_str) == Some("string");
        let (media_type, media) = if is_string {
            // Raw bytes of a string: what the API expects is the text itself, so it is sent as
            // `text/plain`, which progenitor accepts only for a plain `type: string` schema.
            let mut schema = Map::new();
            schema.insert("type".into(), json!("string"));
            if let Some(d) = media.pointer("/schema/description") {
                schema.insert("description".into(), d.clone());
            }
            ("text/plain", json!({ "schema": schema }))
        } else {
            ("application/json", media)
        };
        if !content.contains_key(media_type) {
            content.insert(media_type.into(), media);
        }
        changes += 1;
    }
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// pseudo_property_maps

fn is_pseudo_key(name: &str) -> bool {
    name.len() > 5 && name.starts_with('<') && name.ends_with("Key>")
}

fn pseudo_property_maps(doc: &mut Value) -> Result<usize, RuleError> {
    let mut changes = 0;
    for_each_schema(doc, &mut |schema| {
        let Some(props) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
            return Ok(());
        };
        let pseudo: Vec<String> = props.keys().filter(|k| is_pseudo_key(k)).cloned().collect();
        let value_schema = match pseudo.as_slice() {
            [] => return Ok(()),
            [one] => props.remove(one).unwrap_or(Value::Bool(true)),
            many => {
                return Err(RuleError {
                    operation_id: None,
                    reason: format!("a map schema has several pseudo-properties: {}", many.join(", ")),
                });
            }
        };
        if props.is_empty() {
            schema.remove("properties");
            if let Some(order) = schema.get("x-properties-order").and_then(Value::as_array)
                && order.iter().all(|v| v.as_str().is_some_and(is_pseudo_key))
            {
                schema.remove("x-properties-order");
            }
        }
        schema.insert("additionalProperties".into(), value_schema);
        schema.entry("type").or_insert(json!("object"));
        changes += 1;
        Ok(())
    })?;
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// untyped_locality_parameters

fn untyped_locality_parameters(doc: &mut Value) -> Result<usize, RuleError> {
    let mut changes = 0;
    let mut fix = |params: &mut Value| {
        let Some(params) = params.as_array_mut() else {
            return;
        };
        for param in params {
            // Zones and regions also appear as query filters (marketplace `zone`); the same
            // reasoning applies: one string, typed by the facade.
            let is_locality = matches!(param.get("in").and_then(Value::as_str), Some("path" | "query"))
                && matches!(param.get("name").and_then(Value::as_str), Some("zone" | "region"));
            if !is_locality {
                continue;
            }
            let Some(schema) = param.get_mut("schema").and_then(Value::as_object_mut) else {
                continue;
            };
            if schema.contains_key("enum") || schema.contains_key("default") {
                schema.remove("enum");
                schema.remove("default");
                schema.insert("type".into(), json!("string"));
                changes += 1;
            }
        }
    };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, value) in item.iter_mut() {
                if key == "parameters" {
                    fix(value);
                } else if HTTP_METHODS.contains(&key.as_str())
                    && let Some(params) = value.get_mut("parameters")
                {
                    fix(params);
                }
            }
        }
    }
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// scalar_parameter_refs

/// Whether a component schema is one plain value: an integer, number, boolean or string with no
/// `enum` (an enum is worth its named type) and nothing composed.
fn is_plain_scalar(schema: &Value) -> bool {
    let Some(schema) = schema.as_object() else {
        return false;
    };
    let composed = [
        "$ref",
        "enum",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "properties",
        "items",
    ]
    .iter()
    .any(|key| schema.contains_key(*key));
    !composed
        && matches!(
            schema.get("type").and_then(Value::as_str),
            Some("integer" | "number" | "boolean" | "string")
        )
}

/// Official files type some parameters with a wrapper component (Instance's `per_page` is a
/// `$ref` to `google.protobuf.UInt32Value`, a nullable integer in other operations): the setter
/// would then take the generated wrapper type instead of a number, and differ from one list to
/// the next.
fn scalar_parameter_refs(doc: &mut Value) -> Result<usize, RuleError> {
    let Some(schemas) = doc
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .cloned()
    else {
        return Ok(0);
    };
    let mut changes = 0;
    let mut inline = |params: &mut Value| {
        let Some(params) = params.as_array_mut() else {
            return;
        };
        for param in params {
            let Some(schema) = param.get_mut("schema") else {
                continue;
            };
            let target = schema
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|r| r.strip_prefix("#/components/schemas/"))
                .and_then(|name| schemas.get(name))
                .filter(|target| is_plain_scalar(target));
            if let Some(target) = target {
                *schema = target.clone();
                changes += 1;
            }
        }
    };
    if let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) {
        for item in paths.values_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            for (key, value) in item.iter_mut() {
                if key == "parameters" {
                    inline(value);
                } else if HTTP_METHODS.contains(&key.as_str())
                    && let Some(params) = value.get_mut("parameters")
                {
                    inline(params);
                }
            }
        }
    }
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// short_schema_names

/// `scaleway.instance.v1.Server` → `Server`; `None` for names of another form.
fn short_name(name: &str) -> Option<&str> {
    let rest = name.strip_prefix("scaleway.")?;
    let (_api, rest) = rest.split_once('.')?;
    let (version, short) = rest.split_once('.')?;
    let is_version = version.starts_with('v') && version[1..].chars().all(|c| c.is_ascii_alphanumeric());
    (is_version && !short.is_empty()).then_some(short)
}

fn short_schema_names(doc: &mut Value) -> Result<usize, RuleError> {
    let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) else {
        return Ok(0);
    };
    let names: Vec<String> = schemas.keys().cloned().collect();
    let taken: BTreeSet<String> = names.iter().map(|n| type_name(n)).collect();
    let mut wanted: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in &names {
        if let Some(short) = short_name(name) {
            wanted.entry(type_name(short)).or_default().push(name.clone());
        }
    }
    let mut renames = BTreeMap::new();
    for (short_type, longs) in wanted {
        // Two long names with one short name, or a short name some other schema already has:
        // keep the long names, which are unique.
        if longs.len() == 1 && !taken.contains(&short_type) {
            let long = &longs[0];
            renames.insert(long.clone(), short_name(long).unwrap_or(long).to_string());
        }
    }
    if renames.is_empty() {
        return Ok(0);
    }
    let schemas = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
        .expect("checked above");
    let old = std::mem::take(schemas);
    for (name, schema) in old {
        let name = renames.get(&name).cloned().unwrap_or(name);
        schemas.insert(name, schema);
    }
    rewrite_refs(doc, &|target| {
        target
            .strip_prefix("#/components/schemas/")
            .and_then(|n| renames.get(n))
            .map(|n| format!("#/components/schemas/{n}"))
    });
    Ok(renames.len())
}

fn rewrite_refs(value: &mut Value, rename: &dyn Fn(&str) -> Option<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(target)) = map.get("$ref")
                && let Some(new) = rename(target)
            {
                map.insert("$ref".into(), Value::String(new));
            }
            for v in map.values_mut() {
                rewrite_refs(v, rename);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| rewrite_refs(v, rename)),
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// inline_name_collisions

/// The Rust type name typify derives from a schema name (the same conversion it uses).
pub fn type_name(name: &str) -> String {
    let cleaned: String = name
        .replace('\'', "")
        .chars()
        .map(|c| if c.is_alphanumeric() || c == '_' { c } else { '-' })
        .collect();
    let out = cleaned.to_pascal_case();
    match out.chars().next() {
        None => "X".into(),
        Some(c) if c.is_alphabetic() || c == '_' => out,
        Some(_) => format!("X{out}"),
    }
}

/// Whether typify turns this schema into a named Rust type (rather than a built-in type, a
/// vector, a map or a reference).
fn defines_named_type(schema: &Map<String, Value>) -> bool {
    if schema.contains_key("$ref") {
        return false;
    }
    if schema.contains_key("enum") || schema.contains_key("oneOf") || schema.contains_key("anyOf") {
        return true;
    }
    if schema
        .get("allOf")
        .and_then(Value::as_array)
        .is_some_and(|all| all.len() > 1)
    {
        return true;
    }
    let has_props = schema
        .get("properties")
        .and_then(Value::as_object)
        .is_some_and(|p| !p.is_empty());
    if has_props {
        return true;
    }
    schema.get("type").and_then(Value::as_str) == Some("string")
        && ["pattern", "minLength", "maxLength"]
            .iter()
            .any(|k| schema.contains_key(*k))
}

/// A schema with its documentation stripped, to compare what two schemas mean.
fn meaning(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| {
                    !matches!(
                        k.as_str(),
                        "description" | "title" | "example" | "examples" | "deprecated" | "externalDocs"
                    ) && !k.starts_with("x-")
                })
                .map(|(k, v)| (k.clone(), meaning(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(meaning).collect()),
        other => other.clone(),
    }
}

struct NameRegistry {
    /// Type name → the schema that owns it (components first, then inline schemas in order).
    owners: BTreeMap<String, Value>,
    /// Type name → component key, for names owned by a component.
    components: BTreeMap<String, String>,
    changes: usize,
}

impl NameRegistry {
    /// Visits an inline schema that typify would name `suggested`, fixing a collision, and
    /// returns the name the schema ends up with (for naming its own children).
    fn visit(&mut self, schema: &mut Value, suggested: String) -> Option<String> {
        let map = schema.as_object_mut()?;
        if map.contains_key("$ref") {
            return None;
        }
        let name = match map.get("title").and_then(Value::as_str) {
            Some(title) => type_name(title),
            None => type_name(&suggested),
        };
        if !defines_named_type(map) {
            self.visit_children(schema, &name);
            return Some(name);
        }
        let mine = meaning(schema);
        match self.owners.get(&name) {
            None => {
                self.owners.insert(name.clone(), mine);
                self.visit_children(schema, &name);
                Some(name)
            }
            Some(owner) if *owner == mine => {
                if let Some(component) = self.components.get(&name) {
                    *schema = json!({ "$ref": format!("#/components/schemas/{component}") });
                    self.changes += 1;
                }
                // Identical inline twins share one generated type, which is what typify does.
                None
            }
            Some(_) => {
                let mut n = 2;
                let unique = loop {
                    let candidate = format!("{name}{n}");
                    if !self.owners.contains_key(&candidate) {
                        break candidate;
                    }
                    n += 1;
                };
                if let Some(map) = schema.as_object_mut() {
                    map.insert("title".into(), Value::String(unique.clone()));
                }
                self.owners.insert(unique.clone(), meaning(schema));
                self.changes += 1;
                self.visit_children(schema, &unique);
                Some(unique)
            }
        }
    }

    fn visit_children(&mut self, schema: &mut Value, name: &str) {
        let Some(map) = schema.as_object_mut() else { return };
        for (kind, child) in child_schemas(map) {
            let suggested = match kind {
                ChildKind::Property(prop) => format!("{name}_{}", prop.to_snake_case()),
                ChildKind::Item => format!("{name}_item"),
                ChildKind::MapValue => format!("{name}Value"),
                ChildKind::Subschema => format!("{name}_subtype"),
            };
            self.visit(child, suggested);
        }
    }
}

fn inline_name_collisions(doc: &mut Value) -> Result<usize, RuleError> {
    let mut registry = NameRegistry {
        owners: BTreeMap::new(),
        components: BTreeMap::new(),
        changes: 0,
    };
    if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for (key, schema) in schemas {
            let name = type_name(key);
            if let Some(previous) = registry.components.get(&name) {
                return Err(RuleError {
                    operation_id: None,
                    reason: format!(
                        "component schemas `{previous}` and `{key}` both become the Rust type `{name}`"
                    ),
                });
            }
            registry.owners.insert(name.clone(), meaning(schema));
            registry.components.insert(name, key.clone());
        }
    }
    // Children of component schemas.
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for (key, schema) in schemas.iter_mut() {
            registry.visit_children(schema, &type_name(key));
        }
    }
    // Operation bodies, responses and parameters, named as progenitor names them.
    for (op_id, op) in operations_mut(doc) {
        if let Some(params) = op.get_mut("parameters").and_then(Value::as_array_mut) {
            for param in params {
                let pname = param
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string();
                if let Some(schema) = param.get_mut("schema") {
                    registry.visit(schema, format!("{op_id}-{pname}"));
                }
            }
        }
        if let Some(content) = op
            .get_mut("requestBody")
            .and_then(|b| b.get_mut("content"))
            .and_then(Value::as_object_mut)
            && let Some(schema) = content
                .get_mut("application/json")
                .and_then(|m| m.get_mut("schema"))
        {
            registry.visit(schema, format!("{op_id}-body"));
        }
        if let Some(responses) = op.get_mut("responses").and_then(Value::as_object_mut) {
            for response in responses.values_mut() {
                if let Some(schema) = response.pointer_mut("/content/application~1json/schema") {
                    registry.visit(schema, format!("{op_id}-response"));
                }
            }
        }
    }
    Ok(registry.changes)
}

// ---------------------------------------------------------------------------------------------
// scaleway_error_responses

/// The body of every Scaleway error answer. All fields are optional because each error type
/// fills a different subset (`not_found` has `resource`, `invalid_arguments` has `details`,
/// `precondition_failed` has `precondition`, legacy validation errors have `fields`, ...).
fn error_schema() -> Value {
    let nullable_string = json!({ "type": "string", "nullable": true });
    json!({
        "type": "object",
        "description": "Error body returned by Scaleway APIs.",
        "properties": {
            "type": { "type": "string", "nullable": true, "description": "Error type, e.g. `not_found`, `invalid_arguments`, `precondition_failed`." },
            "message": nullable_string,
            "resource": nullable_string,
            "resource_id": nullable_string,
            "precondition": nullable_string,
            "help_message": nullable_string,
            "current_state": nullable_string,
            "expired_since": nullable_string,
            // Free-form objects: each error type puts its own keys in its details, with types the
            // API does not document (`quotas_exceeded` sends `quota` and `current` as numbers), and
            // one mistyped key would make the whole error answer undecodable.
            "details": {
                "type": "array",
                "nullable": true,
                "description": "Per-argument details of `invalid_arguments`, the missing permissions of `permissions_denied`, the quotas of `quotas_exceeded`: free-form objects.",
                "items": { "type": "object", "additionalProperties": true }
            },
            "fields": {
                "type": "object",
                "nullable": true,
                "description": "Legacy `invalid_request_error`: messages per field.",
                "additionalProperties": { "type": "array", "items": { "type": "string" } }
            }
        },
        "additionalProperties": true
    })
}

fn has_error_response(responses: &Map<String, Value>) -> bool {
    responses
        .keys()
        .any(|code| code == "default" || code.starts_with('4') || code.starts_with('5'))
}

fn scaleway_error_responses(doc: &mut Value) -> Result<usize, RuleError> {
    let schemas = doc
        .as_object_mut()
        .ok_or_else(|| RuleError {
            operation_id: None,
            reason: "the document is not a mapping".into(),
        })?
        .entry("components")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| RuleError {
            operation_id: None,
            reason: "`components` is not a mapping".into(),
        })?
        .entry("schemas")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| RuleError {
            operation_id: None,
            reason: "`components.schemas` is not a mapping".into(),
        })?;
    let mut changes = 0;
    match schemas.get(ERROR_SCHEMA) {
        None => {
            schemas.insert(ERROR_SCHEMA.into(), error_schema());
            changes += 1;
        }
        Some(existing) if meaning(existing) == meaning(&error_schema()) => {}
        Some(_) => {
            return Err(RuleError {
                operation_id: None,
                reason: format!(
                    "the spec already defines a different component schema named `{ERROR_SCHEMA}`"
                ),
            });
        }
    }
    let error_response = json!({
        "description": "Scaleway error",
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") } } }
    });
    for (op_id, op) in operations_mut(doc) {
        let responses = op
            .entry("responses")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| RuleError {
                operation_id: Some(op_id.clone()),
                reason: "`responses` is not a mapping".into(),
            })?;
        if !has_error_response(responses) {
            // progenitor reads `default` as a possible success, so errors are declared as the
            // 4XX and 5XX ranges: generated calls then return the body as a typed error.
            responses.insert("4XX".into(), error_response.clone());
            responses.insert("5XX".into(), error_response.clone());
            changes += 1;
        }
    }
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// readable_operation_ids

/// The extension that keeps an operation's original operationId when it was rewritten.
pub const ORIGINAL_OPERATION_ID: &str = "x-scaleway-operation-id";

/// `ListVPCs` → `ListVpcs`, `ListPrivateNICs` → `ListPrivateNics`, `ListIPs` → `ListIps`: a run
/// of two or more capitals followed by a plural `s` (at the end or before the next word) is
/// written as one word, so that snake-casing gives `list_vpcs` instead of `list_vp_cs`.
pub fn readable_operation_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    let mut out = String::with_capacity(id.len());
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        while i < chars.len() && chars[i].is_ascii_uppercase() {
            i += 1;
        }
        let run = i - start;
        let plural = i < chars.len()
            && chars[i] == 's'
            && (i + 1 == chars.len() || chars[i + 1].is_ascii_uppercase() || !chars[i + 1].is_alphanumeric());
        if run >= 2 && plural {
            out.push(chars[start]);
            out.extend(chars[start + 1..i].iter().map(char::to_ascii_lowercase));
        } else if run > 0 {
            out.extend(&chars[start..i]);
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
}

fn readable_operation_ids(doc: &mut Value) -> Result<usize, RuleError> {
    let mut changes = 0;
    for (_, op) in operations_mut(doc) {
        let Some(id) = op.get("operationId").and_then(Value::as_str).map(str::to_string) else {
            continue;
        };
        let readable = readable_operation_id(&id);
        if readable != id {
            op.insert("operationId".into(), Value::String(readable));
            op.entry(ORIGINAL_OPERATION_ID).or_insert(Value::String(id));
            changes += 1;
        }
    }
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// user_data_as_text

fn user_data_as_text(doc: &mut Value) -> Result<usize, RuleError> {
    let mut changes = 0;
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return Ok(0);
    };
    for (path, item) in paths.iter_mut() {
        let is_value_path = path.ends_with("/user_data/{key}");
        let Some(content) = item
            .pointer_mut("/get/responses/200/content")
            .filter(|_| is_value_path)
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        if content.contains_key("application/json") {
            content.clear();
            content.insert("text/plain".into(), json!({ "schema": { "type": "string" } }));
            changes += 1;
        }
    }
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// success_status_ranges

/// The extension that keeps the success code an operation declared before it became `2XX`.
pub const SUCCESS_STATUS: &str = "x-scaleway-success-status";

fn success_status_ranges(doc: &mut Value) -> Result<usize, RuleError> {
    let mut changes = 0;
    for (_, op) in operations_mut(doc) {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            continue;
        };
        let codes: Vec<&String> = responses.keys().filter(|k| k.starts_with('2')).collect();
        let [code] = codes.as_slice() else { continue };
        let Ok(status) = code.parse::<u16>() else { continue };
        let code = (*code).clone();
        let responses = op
            .get_mut("responses")
            .and_then(Value::as_object_mut)
            .expect("checked above");
        let response = responses.remove(&code).expect("listed above");
        responses.insert("2XX".into(), response);
        op.insert(SUCCESS_STATUS.into(), json!(status));
        changes += 1;
    }
    Ok(changes)
}
