//! Unit tests of spec discovery, each normalization rule and generation errors, on tiny YAML
//! documents written in the official Scaleway style.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::codegen::generate::{generate, load};
use crate::codegen::normalize::{self, RULES};
use crate::codegen::specs::{
    DiscoveryError, declared_features, discover, from_paths, module_enabled, module_name,
};
use serde_json::{Value, json};

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("test YAML parses")
}

fn rule(name: &str) -> &'static normalize::Rule {
    RULES
        .iter()
        .find(|r| r.name == name)
        .unwrap_or_else(|| panic!("no rule {name}"))
}

/// Applies one rule and returns how many changes it made.
fn apply(name: &str, doc: &mut Value) -> usize {
    rule(name)
        .apply(doc)
        .unwrap_or_else(|e| panic!("rule {name} failed: {e}"))
}

const MINIMAL_HEADER: &str = "openapi: 3.0.0\ninfo: {title: Test API, version: v1}\n";

// ----------------------------------------------------------------------------------------------
// discovery

#[test]
fn module_names_come_from_file_names() {
    assert_eq!(module_name("instance.v1.yml").unwrap(), "instance_v1");
    assert_eq!(
        module_name("scaleway.instance.v1.Api.yml").unwrap(),
        "instance_v1"
    );
    assert_eq!(
        module_name("scaleway.block.v1alpha1.Api.yaml").unwrap(),
        "block_v1alpha1"
    );
    assert_eq!(module_name("Scaleway.VPC.v2.api.yml").unwrap(), "vpc_v2");
    assert_eq!(module_name("my-api v3.yml").unwrap(), "my_api_v3");
    assert!(module_name("instance.v1.json").is_err());
    assert!(module_name("1password.yml").unwrap_err().contains("digit"));
    assert!(module_name("scaleway..Api.yml").is_err());
}

#[test]
fn two_files_for_one_module_is_an_error_naming_both() {
    let err = from_paths(vec![
        PathBuf::from("specs/instance.v1.yml"),
        PathBuf::from("specs/scaleway.instance.v1.Api.yml"),
    ])
    .unwrap_err();
    assert!(matches!(&err, DiscoveryError::SameModule { module, .. } if module == "instance_v1"));
    let message = err.to_string();
    assert!(message.contains("specs/instance.v1.yml"), "{message}");
    assert!(
        message.contains("specs/scaleway.instance.v1.Api.yml"),
        "{message}"
    );
    assert!(message.contains("instance_v1"), "{message}");
}

#[test]
fn discovery_finds_yaml_files_only() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("discovery-test");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    for name in [
        "scaleway.vpc.v2.Api.yml",
        "account.v3.yaml",
        "README.md",
        "notes.txt",
    ] {
        std::fs::write(dir.join(name), "x").unwrap();
    }
    let found = discover(&dir).unwrap();
    let modules: Vec<&str> = found.iter().map(|s| s.module.as_str()).collect();
    assert_eq!(modules, ["account_v3", "vpc_v2"]);
    assert!(discover(&dir.join("missing")).is_err());
}

// ----------------------------------------------------------------------------------------------
// rules

#[test]
fn declared_features_are_read_as_a_toml_parser_reads_them() {
    let from_toml = |text: &str| -> BTreeSet<String> {
        let table: toml::Table = text.parse().expect("the manifest is TOML");
        table
            .get("features")
            .and_then(toml::Value::as_table)
            .map(|features| features.keys().cloned().collect())
            .unwrap_or_default()
    };
    let own = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    assert!(from_toml(&own).contains("instance_v1"));
    assert_eq!(declared_features(&own), from_toml(&own));

    let tricky = r#"
[package]
name = "x" # [features]
[features]
# not = ["a feature"]
default = [
    "a", # a comment ] with a bracket
    "b=c",
]
"quoted-key" = []
a = ["dep:x"] # [not a header]
'b' = [ "a" ]

[dependencies]
x = { version = "1", optional = true }
"#;
    assert_eq!(
        declared_features(tricky),
        BTreeSet::from(["a", "b", "default", "quoted-key"].map(String::from))
    );
    assert_eq!(declared_features(tricky), from_toml(tricky));
    assert!(declared_features("[package]\nname = \"x\"\n").is_empty());
}

#[test]
fn quoted_scalar_defaults_are_parsed_or_dropped() {
    let mut doc = yaml(
        r#"
components:
  schemas:
    A:
      type: object
      properties:
        per_page: {type: integer, default: "50"}
        ratio: {type: number, default: "0.5"}
        flag: {type: boolean, default: "false"}
        broken: {type: integer, default: "fifty"}
        name: {type: string, default: "50"}
        ok: {type: integer, default: 1}
"#,
    );
    assert_eq!(apply("quoted_scalar_defaults", &mut doc), 4);
    let props = &doc["components"]["schemas"]["A"]["properties"];
    assert_eq!(props["per_page"]["default"], json!(50));
    assert_eq!(props["ratio"]["default"], json!(0.5));
    assert_eq!(props["flag"]["default"], json!(false));
    assert!(props["broken"].get("default").is_none());
    assert_eq!(
        props["name"]["default"],
        json!("50"),
        "string defaults stay strings"
    );
    assert_eq!(props["ok"]["default"], json!(1));
    assert_eq!(apply("quoted_scalar_defaults", &mut doc), 0, "idempotent");
}

#[test]
fn quoted_defaults_in_parameters_are_fixed_too() {
    let mut doc = yaml(
        r#"
paths:
  /things:
    get:
      operationId: ListThings
      parameters:
      - {in: query, name: per_page, schema: {type: integer, default: "50"}}
"#,
    );
    assert_eq!(apply("quoted_scalar_defaults", &mut doc), 1);
    assert_eq!(
        doc["paths"]["/things"]["get"]["parameters"][0]["schema"]["default"],
        json!(50)
    );
}

#[test]
fn string_patterns_are_left_to_the_server() {
    let mut doc = yaml(&format!(
        "{MINIMAL_HEADER}{}",
        r#"
paths:
  /servers/{server_id}:
    get:
      operationId: GetServer
      parameters:
      - {in: path, name: server_id, required: true, schema: {type: string, pattern: "^[0-9a-f-]{36}$"}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Server'}
components:
  schemas:
    Server:
      type: object
      properties:
        name: {type: string, pattern: "^[a-z]+$", maxLength: 63}
        tags: {type: array, items: {type: string, pattern: "^[a-z]+$"}}
"#
    ));
    // Without the rule, typify checks each pattern with `regress`.
    let raw = generate_raw(&doc).unwrap_or_else(|e| panic!("{e}"));
    assert!(raw.contains("regress"), "{raw}");
    let code = generate(Path::new("servers.yml"), doc.clone()).unwrap().code;
    assert!(!code.contains("regress"), "{code}");
    // The length limit has nothing to do with patterns: its checked type stays.
    assert!(code.contains("pub struct ServerName("), "{code}");

    assert_eq!(apply("string_patterns_left_to_the_server", &mut doc), 3);
    let name = &doc["components"]["schemas"]["Server"]["properties"]["name"];
    assert!(name.get("pattern").is_none());
    assert_eq!(name[normalize::ORIGINAL_PATTERN], json!("^[a-z]+$"));
    assert_eq!(name["maxLength"], json!(63));
    assert_eq!(
        apply("string_patterns_left_to_the_server", &mut doc),
        0,
        "idempotent"
    );
}

#[test]
fn wildcard_string_bodies_become_text_plain() {
    let mut doc = yaml(
        r#"
paths:
  /servers/{server_id}/user_data/{key}:
    patch:
      operationId: SetServerUserData
      requestBody:
        required: true
        content:
          '*/*':
            schema: {type: string, format: binary}
"#,
    );
    assert_eq!(apply("wildcard_request_bodies", &mut doc), 1);
    let content = &doc["paths"]["/servers/{server_id}/user_data/{key}"]["patch"]["requestBody"]["content"];
    assert_eq!(content, &json!({"text/plain": {"schema": {"type": "string"}}}));
    assert_eq!(apply("wildcard_request_bodies", &mut doc), 0, "idempotent");
}

#[test]
fn wildcard_object_bodies_become_json() {
    let mut doc = yaml(
        r#"
paths:
  /things:
    post:
      operationId: CreateThing
      requestBody:
        content:
          '*/*':
            schema: {type: object, properties: {name: {type: string}}}
"#,
    );
    assert_eq!(apply("wildcard_request_bodies", &mut doc), 1);
    let content = &doc["paths"]["/things"]["post"]["requestBody"]["content"];
    assert!(content.get("application/json").is_some());
    assert!(content.get("*/*").is_none());
}

#[test]
fn pseudo_property_maps_become_real_maps() {
    let mut doc = yaml(
        r#"
components:
  schemas:
    Server:
      type: object
      properties:
        name: {type: string}
        volumes:
          type: object
          properties:
            <volumeKey>:
              $ref: '#/components/schemas/Volume'
          additionalProperties: true
          x-properties-order: ['<volumeKey>']
    Volume: {type: object, properties: {id: {type: string}}}
"#,
    );
    assert_eq!(apply("pseudo_property_maps", &mut doc), 1);
    assert_eq!(
        doc["components"]["schemas"]["Server"]["properties"]["volumes"],
        json!({"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Volume"}})
    );
    assert_eq!(apply("pseudo_property_maps", &mut doc), 0, "idempotent");
}

#[test]
fn pseudo_property_maps_inside_request_bodies_and_nested_maps() {
    let mut doc = yaml(
        r#"
paths:
  /servers:
    post:
      operationId: CreateServer
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                volumes:
                  type: object
                  properties:
                    <volumeKey>:
                      type: object
                      properties:
                        tags:
                          type: object
                          properties:
                            <tagKey>: {type: string}
                          additionalProperties: true
                  additionalProperties: true
"#,
    );
    assert_eq!(apply("pseudo_property_maps", &mut doc), 2);
    let volumes = &doc["paths"]["/servers"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
        ["volumes"];
    assert_eq!(
        volumes["additionalProperties"]["properties"]["tags"]["additionalProperties"],
        json!({"type": "string"})
    );
}

#[test]
fn locality_path_parameters_become_plain_strings() {
    let mut doc = yaml(
        r#"
paths:
  /instance/v1/zones/{zone}/servers:
    get:
      operationId: ListServers
      parameters:
      - in: path
        name: zone
        required: true
        schema: {type: string, description: The zone, enum: [fr-par-1, nl-ams-1]}
      - in: query
        name: state
        schema: {type: string, enum: [running, stopped]}
      - in: query
        name: zone
        schema: {type: string, enum: [fr-par-1, nl-ams-1]}
  /vpc/v2/regions/{region}/vpcs:
    parameters:
    - in: path
      name: region
      required: true
      schema: {type: string, enum: [fr-par], default: fr-par}
"#,
    );
    assert_eq!(apply("untyped_locality_parameters", &mut doc), 3);
    let params = &doc["paths"]["/instance/v1/zones/{zone}/servers"]["get"]["parameters"];
    assert_eq!(
        params[0]["schema"],
        json!({"type": "string", "description": "The zone"})
    );
    assert!(
        params[1]["schema"].get("enum").is_some(),
        "other enums are untouched"
    );
    assert_eq!(
        doc["paths"]["/vpc/v2/regions/{region}/vpcs"]["parameters"][0]["schema"],
        json!({"type": "string"})
    );
}

#[test]
fn parameters_typed_by_a_scalar_wrapper_are_inlined() {
    let mut doc = yaml(&format!(
        "{MINIMAL_HEADER}{}",
        r#"
paths:
  /servers:
    parameters:
    - {in: query, name: order, schema: {$ref: '#/components/schemas/Order'}}
    get:
      operationId: ListServers
      parameters:
      - {in: query, name: per_page, schema: {$ref: '#/components/schemas/google.protobuf.UInt32Value'}}
      - {in: query, name: page, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {servers: {type: array, items: {type: string}}}}
components:
  schemas:
    google.protobuf.UInt32Value: {type: integer, nullable: true}
    Order: {type: string, enum: [asc, desc]}
"#
    ));
    assert_eq!(apply("scalar_parameter_refs", &mut doc), 1);
    let params = &doc["paths"]["/servers"]["get"]["parameters"];
    assert_eq!(params[0]["schema"], json!({"type": "integer", "nullable": true}));
    assert_eq!(params[1]["schema"], json!({"type": "integer"}));
    // An enum keeps its named type.
    assert_eq!(
        doc["paths"]["/servers"]["parameters"][0]["schema"],
        json!({"$ref": "#/components/schemas/Order"})
    );
    assert_eq!(apply("scalar_parameter_refs", &mut doc), 0, "idempotent");

    // The setter then takes a plain number, as the list's stream needs.
    let code = generate(Path::new("servers.yml"), doc).unwrap().code;
    let file: syn::File = syn::parse_str(&code).unwrap();
    let builder = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref(),
            _ => None,
        })
        .unwrap();
    let per_page = builder
        .1
        .iter()
        .filter_map(|item| match item {
            syn::Item::Impl(imp) => Some(imp),
            _ => None,
        })
        .flat_map(|imp| &imp.items)
        .find_map(|item| match item {
            syn::ImplItem::Fn(f) if f.sig.ident == "per_page" => Some(f),
            _ => None,
        })
        .unwrap();
    let bound = quote::ToTokens::to_token_stream(&per_page.sig.generics.where_clause).to_string();
    assert!(bound.contains("TryInto < i64 >"), "{bound}");
}

#[test]
fn schema_names_are_shortened_unless_taken() {
    let mut doc = yaml(
        r#"
components:
  schemas:
    scaleway.instance.v1.Server:
      type: object
      properties:
        image: {$ref: '#/components/schemas/scaleway.instance.v1.Image'}
    scaleway.instance.v1.Image: {type: object, properties: {id: {type: string}}}
    scaleway.std.File: {type: object, properties: {name: {type: string}}}
    scaleway.instance.v1.Volume: {type: object, properties: {id: {type: string}}}
    Volume: {type: object, properties: {other: {type: string}}}
"#,
    );
    assert_eq!(apply("short_schema_names", &mut doc), 2);
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut names: Vec<&str> = schemas.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "Image",
            "Server",
            "Volume",
            "scaleway.instance.v1.Volume",
            "scaleway.std.File"
        ]
    );
    assert_eq!(
        schemas["Server"]["properties"]["image"]["$ref"],
        json!("#/components/schemas/Image")
    );
    assert_eq!(apply("short_schema_names", &mut doc), 0, "idempotent");
}

#[test]
fn identical_inline_schema_is_replaced_by_the_component() {
    let mut doc = yaml(
        r#"
components:
  schemas:
    ServerState: {type: string, enum: [running, stopped], default: running}
    Server:
      type: object
      properties:
        state: {type: string, description: Current state, enum: [running, stopped], default: running}
"#,
    );
    assert_eq!(apply("inline_name_collisions", &mut doc), 1);
    assert_eq!(
        doc["components"]["schemas"]["Server"]["properties"]["state"],
        json!({"$ref": "#/components/schemas/ServerState"})
    );
    assert_eq!(apply("inline_name_collisions", &mut doc), 0, "idempotent");
}

const COLLIDING: &str = r#"
paths:
  /servers:
    get:
      operationId: GetServer
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/Server'}
components:
  schemas:
    ServerState: {type: string, enum: [running, stopped]}
    Server:
      type: object
      properties:
        state: {type: string, enum: [starting, stopping]}
        other: {$ref: '#/components/schemas/ServerState'}
"#;

#[test]
fn different_inline_schema_with_a_taken_name_is_renamed() {
    let mut doc = yaml(COLLIDING);
    assert_eq!(apply("inline_name_collisions", &mut doc), 1);
    assert_eq!(
        doc["components"]["schemas"]["Server"]["properties"]["state"]["title"],
        json!("ServerState2")
    );
}

/// Runs progenitor on a document as it is, without normalization.
fn generate_raw(doc: &Value) -> Result<String, String> {
    let spec: openapiv3::OpenAPI = serde_json::from_value(doc.clone()).map_err(|e| e.to_string())?;
    std::panic::catch_unwind(|| {
        let mut generator = progenitor::Generator::new(&crate::codegen::generate::settings());
        generator
            .generate_tokens(&spec)
            .map(|t| t.to_string())
            .map_err(|e| e.to_string())
    })
    .map_err(|_| "progenitor panicked".to_string())?
}

#[test]
fn colliding_inline_schema_gets_its_own_type() {
    let doc = yaml(&format!("{MINIMAL_HEADER}{COLLIDING}"));
    // Without the rule, the generator emits two enums named `ServerState` and types both
    // fields with the first one.
    let raw = generate_raw(&doc).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(raw.matches("pub enum ServerState {").count(), 2, "{raw}");
    assert_eq!(raw.matches("Option < ServerState >").count(), 2, "{raw}");

    let code = generate(Path::new("colliding.yml"), doc).unwrap().code;
    assert!(code.contains("pub enum ServerState2"), "{code}");
    assert!(
        code.contains("Starting") && code.contains("Running"),
        "both enums keep their variants"
    );
    assert!(
        code.contains("pub state: ::std::option::Option<ServerState2>"),
        "{code}"
    );
}

#[test]
fn wildcard_bodies_break_the_generator_until_normalized() {
    let doc = yaml(&format!(
        "{MINIMAL_HEADER}{}",
        r#"
paths:
  /servers/{server_id}/user_data/{key}:
    patch:
      operationId: SetServerUserData
      parameters:
      - {in: path, name: server_id, required: true, schema: {type: string}}
      - {in: path, name: key, required: true, schema: {type: string}}
      requestBody:
        required: true
        content:
          '*/*':
            schema: {type: string, format: binary}
      responses: {"204": {description: done}}
"#
    ));
    assert!(generate_raw(&doc).is_err());
    let code = generate(Path::new("user_data.yml"), doc).unwrap().code;
    assert!(code.contains("\"text/plain\""), "the body is sent as text/plain");
}

#[test]
fn error_responses_are_added_with_the_scaleway_error_body() {
    // A little over a screen: the YAML the rule runs on is written out in the test.
    let mut doc = yaml(
        r#"
paths:
  /things:
    get:
      operationId: ListThings
      responses:
        "200": {description: ok}
    delete:
      operationId: DeleteThings
      responses:
        "204": {description: gone}
        "404": {description: declared by the spec itself}
"#,
    );
    assert_eq!(
        apply("scaleway_error_responses", &mut doc),
        2,
        "the schema and one operation"
    );
    let responses = &doc["paths"]["/things"]["get"]["responses"];
    for range in ["4XX", "5XX"] {
        assert_eq!(
            responses[range]["content"]["application/json"]["schema"]["$ref"],
            json!("#/components/schemas/ScalewayError")
        );
    }
    assert!(
        doc["paths"]["/things"]["delete"]["responses"]
            .get("4XX")
            .is_none()
    );
    let error = &doc["components"]["schemas"]["ScalewayError"];
    assert_eq!(
        error["properties"]["details"],
        json!({
            "type": "array",
            "nullable": true,
            "description": "Per-argument details of `invalid_arguments`, the missing permissions of \
                            `permissions_denied`, the quotas of `quotas_exceeded`: free-form objects.",
            "items": {"type": "object", "additionalProperties": true}
        }),
        "each error type puts different keys of different types in its details"
    );
    let properties: Vec<&str> = error["properties"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        properties,
        [
            "current_state",
            "details",
            "expired_since",
            "fields",
            "help_message",
            "message",
            "precondition",
            "resource",
            "resource_id",
            "type"
        ]
    );
    assert_eq!(apply("scaleway_error_responses", &mut doc), 0, "idempotent");
}

#[test]
fn a_different_schema_named_like_the_error_schema_is_refused() {
    let mut doc = yaml("components: {schemas: {ScalewayError: {type: string}}}\npaths: {}");
    let err = rule("scaleway_error_responses").apply(&mut doc).unwrap_err();
    assert!(err.reason.contains("ScalewayError"), "{err}");
}

#[test]
fn normalizing_an_official_file_twice_changes_nothing_the_second_time() {
    let what = "normalizing the official instance file twice";
    let Some(dir) = crate::common::reference::reference("official-specs", what) else {
        return;
    };
    let mut doc = load(&dir.join("scaleway.instance.v1.Api.yml")).unwrap();
    let first = normalize::normalize(&mut doc).unwrap();
    // Rules for shapes no official file has today (a spec added later may): they change nothing.
    let precautions = ["string_patterns_left_to_the_server"];
    assert!(
        first
            .iter()
            .all(|a| (a.changes > 0) != precautions.contains(&a.rule)),
        "every other rule applies to the official instance file: {first:?}"
    );
    let second = normalize::normalize(&mut doc).unwrap();
    assert!(second.iter().all(|a| a.changes == 0), "{second:?}");
}

#[test]
fn plural_acronyms_in_operation_ids_read_as_words() {
    use crate::codegen::normalize::readable_operation_id as r;
    assert_eq!(r("ListVPCs"), "ListVpcs");
    assert_eq!(r("ListPrivateNICs"), "ListPrivateNics");
    assert_eq!(r("ListIPs"), "ListIps");
    assert_eq!(r("ListVPCsForProject"), "ListVpcsForProject");
    assert_eq!(r("GetVPC"), "GetVPC", "no plural, unchanged");
    assert_eq!(r("ListServers"), "ListServers");
    assert_eq!(r("CreateIP"), "CreateIP");
    let mut doc = yaml("paths: {/vpcs: {get: {operationId: ListVPCs}}}");
    assert_eq!(apply("readable_operation_ids", &mut doc), 1);
    assert_eq!(doc["paths"]["/vpcs"]["get"]["operationId"], json!("ListVpcs"));
    assert_eq!(
        doc["paths"]["/vpcs"]["get"]["x-scaleway-operation-id"],
        json!("ListVPCs")
    );
    assert_eq!(apply("readable_operation_ids", &mut doc), 0, "idempotent");
}

#[test]
fn user_data_values_are_read_as_text() {
    let mut doc = yaml(
        r#"
paths:
  /servers/{server_id}/user_data/{key}:
    get:
      operationId: GetServerUserData
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/scaleway.std.File'}
  /servers/{server_id}:
    get:
      operationId: GetServer
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
"#,
    );
    assert_eq!(apply("user_data_as_text", &mut doc), 1);
    assert_eq!(
        doc["paths"]["/servers/{server_id}/user_data/{key}"]["get"]["responses"]["200"]["content"],
        json!({"text/plain": {"schema": {"type": "string"}}})
    );
    assert!(
        doc["paths"]["/servers/{server_id}"]["get"]["responses"]["200"]["content"]["application/json"]
            .is_object()
    );
    assert_eq!(apply("user_data_as_text", &mut doc), 0, "idempotent");
}

#[test]
fn a_single_success_code_becomes_a_range_and_is_remembered() {
    let mut doc = yaml(
        r#"
paths:
  /servers/{server_id}/action:
    post:
      operationId: ServerAction
      responses:
        "200": {description: ok, content: {application/json: {schema: {type: object}}}}
  /both:
    get:
      operationId: Both
      responses:
        "200": {description: ok}
        "204": {description: empty}
"#,
    );
    assert_eq!(apply("success_status_ranges", &mut doc), 1);
    let op = &doc["paths"]["/servers/{server_id}/action"]["post"];
    assert!(op["responses"].get("200").is_none());
    assert!(op["responses"]["2XX"]["content"]["application/json"].is_object());
    assert_eq!(op["x-scaleway-success-status"], json!(200));
    assert!(
        doc["paths"]["/both"]["get"]["responses"].get("204").is_some(),
        "two codes: left alone"
    );
    assert_eq!(apply("success_status_ranges", &mut doc), 0, "idempotent");
}

// ----------------------------------------------------------------------------------------------
// generation

#[test]
fn generated_calls_return_the_typed_scaleway_error() {
    let doc = yaml(&format!(
        "{MINIMAL_HEADER}{}",
        r#"
paths:
  /things/{zone}:
    get:
      operationId: ListThings
      parameters:
      - {in: path, name: zone, required: true, schema: {type: string, enum: [fr-par-1]}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {type: object, properties: {things: {type: array, items: {type: string}}}}
"#
    ));
    let code = generate(Path::new("things.yml"), doc).unwrap().code;
    assert!(code.contains("Error<types::ScalewayError>"), "{code}");
    assert!(
        code.contains("pub fn list_things(&self) -> builder::ListThings"),
        "builder style"
    );
}

#[test]
fn only_request_bodies_keep_a_type_builder() {
    let doc = yaml(&format!(
        "{MINIMAL_HEADER}{}",
        r##"
paths:
  /things:
    post:
      operationId: CreateThing
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                name: {type: string}
                size: {$ref: "#/components/schemas/Size"}
      responses:
        "200":
          description: ok
          content:
            application/json: {schema: {$ref: "#/components/schemas/Thing"}}
components:
  schemas:
    Size:
      type: object
      properties: {bytes: {type: integer, format: uint64}}
    Thing:
      type: object
      properties:
        name: {type: string}
        size: {$ref: "#/components/schemas/Size"}
"##
    ));
    let code = generate(Path::new("things.yml"), doc).unwrap().code;
    let builders: Vec<&str> = code
        .lines()
        .filter_map(|l| l.trim().strip_prefix("pub fn builder() -> builder::"))
        .collect();
    assert_eq!(builders, ["CreateThingBody {"], "{code}");
    assert!(
        code.contains(".body_map(") || code.contains("fn body_map"),
        "the call still fills its body with the builder: {code}"
    );
    let conversion = |name: &str| format!("impl ::std::convert::From<super::{name}> for {name}");
    assert!(code.contains(&conversion("CreateThingBody")), "{code}");
    for answer_only in ["Thing", "Size"] {
        assert!(
            !code.contains(&conversion(answer_only)),
            "{answer_only} has no builder: {code}"
        );
    }
}

#[test]
fn a_spec_that_cannot_be_generated_names_the_file_and_the_operation() {
    // Two media types for one request body: progenitor does not support that.
    let doc = yaml(&format!(
        "{MINIMAL_HEADER}{}",
        r#"
paths:
  /fine:
    get:
      operationId: Fine
      responses: {"200": {description: ok}}
  /things:
    post:
      operationId: CreateThing
      requestBody:
        content:
          application/json: {schema: {type: object}}
          application/xml: {schema: {type: object}}
      responses: {"200": {description: ok}}
"#
    ));
    let err = generate(Path::new("specs/broken.yml"), doc).unwrap_err();
    assert_eq!(err.operation_id.as_deref(), Some("CreateThing"));
    let message = err.to_string();
    assert!(
        message.starts_with("specs/broken.yml: operation CreateThing: "),
        "{message}"
    );
    assert!(message.contains("media types"), "{message}");
}

#[test]
fn invalid_yaml_names_the_file_and_line() {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("invalid.yml");
    std::fs::write(&path, "openapi: 3.0.0\ninfo:\n  title: [unclosed\n").unwrap();
    let err = load(&path).unwrap_err();
    let message = err.to_string();
    assert!(message.contains("invalid.yml"), "{message}");
    assert!(message.contains("line"), "{message}");
}

#[test]
fn a_module_with_a_feature_is_built_only_with_it_and_one_without_always() {
    let declared: std::collections::BTreeSet<String> =
        ["instance_v1".to_string(), "provider".to_string()].into();
    assert!(module_enabled("instance_v1", &declared, |f| f == "instance_v1"));
    assert!(!module_enabled("instance_v1", &declared, |_| false));
    // A spec just added to specs/, with no feature declared yet.
    assert!(module_enabled("newapi_v1", &declared, |_| false));
}

/// Every vendored spec has a feature of its module's name, on by default: the per-API features
/// exist for users to turn off what they do not call, not to hide an API by accident.
#[test]
fn every_vendored_spec_has_its_feature_on_by_default() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let manifest: toml::Table = std::fs::read_to_string(root.join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let features = manifest["features"].as_table().unwrap();
    let default: Vec<&str> = features["default"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let specs = discover(&root.join("specs")).unwrap();
    assert!(specs.len() >= 7, "{specs:?}");
    for spec in specs {
        assert!(
            features.contains_key(&spec.module),
            "no feature `{}` in Cargo.toml",
            spec.module
        );
        assert!(
            default.contains(&spec.module.as_str()),
            "feature `{}` is not on by default",
            spec.module
        );
    }
}
