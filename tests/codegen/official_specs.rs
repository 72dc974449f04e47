//! Drop-in robustness: official Scaleway spec files, unchanged, go through the same normalization
//! and generation as `specs/`, and the result compiles.
//!
//! The official files are read from `../shared/reference/official-specs/` (override with
//! `SCW_SDK_OFFICIAL_SPECS`, a directory); without either the test is skipped
//! (`tests/common/reference.rs`). For each file the test:
//! 1. generates the module exactly as `build.rs` does;
//! 2. checks that every map the file writes as a `<somethingKey>` pseudo-property became a
//!    `BTreeMap` field in the generated struct (not an optional field named after the key);
//! 3. checks that every GET with paging parameters got a `stream()`;
//! 4. compiles all generated modules in a scratch crate with `cargo build`.

use crate::codegen;
use crate::common::reference::reference;

use std::path::{Path, PathBuf};
use std::process::Command;

use heck::ToSnakeCase;
use serde_json::Value;

fn official_spec_dir() -> Option<PathBuf> {
    match std::env::var_os("SCW_SDK_OFFICIAL_SPECS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => reference(
            "official-specs",
            "the official spec files, generated and compiled",
        ),
    }
}

/// The official spec files, or `None` when there are none to read.
fn official_specs() -> Option<Vec<PathBuf>> {
    let dir = official_spec_dir()?;
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {} ({e}); set SCW_SDK_OFFICIAL_SPECS", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml")))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no official spec files in {}", dir.display());
    Some(files)
}

/// A map written as a pseudo-property: the generated struct and the field that must be a map.
#[derive(Debug)]
struct PseudoMap {
    rust_struct: String,
    field: String,
}

/// Finds every `<...Key>` pseudo-property in a raw (not normalized) document, with the Rust
/// struct and field it must end up in. Struct names follow the generator's naming: component
/// `scaleway.instance.v1.Dashboard` → `Dashboard`, request body of `CreateServer` →
/// `CreateServerBody`, inline property `x` of `T` → `TX`.
fn pseudo_maps(doc: &Value) -> Vec<PseudoMap> {
    // A little over a screen: one walk over the raw document, naming each place a pseudo-property
    // can stand (component, request body, inline property).
    fn walk(schema: &Value, name: &str, parent: Option<(&str, &str)>, out: &mut Vec<PseudoMap>) {
        let Some(map) = schema.as_object() else { return };
        if map.contains_key("$ref") {
            return;
        }
        if let Some(props) = map.get("properties").and_then(Value::as_object) {
            if props.keys().any(|k| k.starts_with('<') && k.ends_with("Key>")) {
                let (rust_struct, field) =
                    parent.expect("a pseudo-map at the top of a schema has no field to check");
                out.push(PseudoMap {
                    rust_struct: rust_struct.to_string(),
                    field: field.to_string(),
                });
            }
            for (prop, child) in props {
                if prop.starts_with('<') {
                    continue;
                }
                let child_name = codegen::normalize::type_name(&format!("{name}_{}", prop.to_snake_case()));
                walk(child, &child_name, Some((name, prop)), out);
            }
        }
    }
    let short = |key: &str| -> String {
        // Components get their short name unless it collides; the official files have no such
        // collisions, which the generated-code check below would reveal anyway.
        let parts: Vec<&str> = key.splitn(4, '.').collect();
        if parts.len() == 4 && parts[0] == "scaleway" {
            parts[3].to_string()
        } else {
            key.to_string()
        }
    };
    let mut out = Vec::new();
    if let Some(schemas) = doc.pointer("/components/schemas").and_then(Value::as_object) {
        for (key, schema) in schemas {
            walk(
                schema,
                &codegen::normalize::type_name(&short(key)),
                None,
                &mut out,
            );
        }
    }
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for item in paths.values() {
            for op in item.as_object().into_iter().flat_map(|m| m.values()) {
                let Some(id) = op.get("operationId").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(schema) = op.pointer("/requestBody/content/application~1json/schema") {
                    walk(
                        schema,
                        &codegen::normalize::type_name(&format!("{id}-body")),
                        None,
                        &mut out,
                    );
                }
            }
        }
    }
    out
}

/// The type of `field` in `pub struct rust_struct`, as source text.
fn field_type(code: &syn::File, rust_struct: &str, field: &str) -> Option<String> {
    fn find_in(items: &[syn::Item], rust_struct: &str, field: &str) -> Option<String> {
        for item in items {
            match item {
                syn::Item::Struct(s) if s.ident == rust_struct => {
                    for f in &s.fields {
                        let name = f.ident.as_ref()?.to_string();
                        if name.trim_end_matches('_') == field.to_snake_case() {
                            let ty = &f.ty;
                            return Some(quote_type(ty));
                        }
                    }
                }
                syn::Item::Mod(m) if m.ident == "types" => {
                    if let Some((_, items)) = &m.content
                        && let Some(found) = find_in(items, rust_struct, field)
                    {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        None
    }
    find_in(&code.items, rust_struct, field)
}

fn quote_type(ty: &syn::Type) -> String {
    let file: syn::File = syn::parse_quote! { type T = #ty; };
    prettyplease::unparse(&file)
}

/// `[dependencies]` of this crate, minus the optional ones: what generated code may use.
fn runtime_dependencies() -> String {
    let manifest = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml")).unwrap();
    let section = manifest
        .split("\n[dependencies]\n")
        .nth(1)
        .expect("Cargo.toml has a [dependencies] table");
    section
        .lines()
        .take_while(|line| !line.starts_with('['))
        .filter(|line| !line.contains("optional = true"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn official_specs_normalize_generate_and_compile() {
    // Longer than a screen on purpose: each official file is generated and checked, then all are
    // compiled in one scratch crate, one cargo build for every file.
    let Some(files) = official_specs() else {
        return;
    };
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("official-specs-crate");
    let _ = std::fs::remove_dir_all(scratch.join("src"));
    std::fs::create_dir_all(scratch.join("src")).unwrap();

    // Generated modules refer to `super::Operation` and `super::operations!` and carry
    // `super::ClientContext`, which the crate defines in `api`; here they are at the scratch
    // crate's root, the context a stand-in. Their streams call `super::paginate`: the crate's own
    // file, over a stand-in of the runtime's error that only converts the generated clients' one,
    // as the streams need.
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lib = format!(
        "include!({:?});\n#[derive(Clone, Debug)]\npub struct ClientContext;\n\
         #[path = {:?}]\n#[allow(dead_code)]\npub mod paginate;\n\
         pub mod error {{\n\
         \x20   #[derive(Debug)]\n\
         \x20   pub struct Error;\n\
         \x20   pub type Result<T, E = Error> = std::result::Result<T, E>;\n\
         \x20   impl<E> From<progenitor_client::Error<E>> for Error {{\n\
         \x20       fn from(_: progenitor_client::Error<E>) -> Error {{\n\
         \x20           Error\n\
         \x20       }}\n\
         \x20   }}\n\
         }}\n",
        manifest_dir.join("src/api/operation.rs"),
        manifest_dir.join("src/paginate.rs"),
    );
    for file in files {
        let raw = codegen::generate::load(&file).unwrap();
        let expected_maps = pseudo_maps(&raw);
        let mut normalized = raw.clone();
        codegen::normalize::normalize(&mut normalized).unwrap();
        let paged_gets = crate::streams::paged_gets(&normalized);
        let generated = codegen::generate::generate(&file, raw).unwrap_or_else(|e| panic!("{e}"));
        let module = codegen::specs::module_name(file.file_name().unwrap().to_str().unwrap()).unwrap();
        println!(
            "{}: {} operations, {} lines generated, {} pseudo-property maps",
            file.display(),
            generated.operations,
            generated.code.lines().count(),
            expected_maps.len()
        );
        for applied in &generated.applied {
            println!("  {:<28} {} change(s)", applied.rule, applied.changes);
        }

        let code: syn::File = syn::parse_str(&generated.code).unwrap();
        for map in &expected_maps {
            let ty = field_type(&code, &map.rust_struct, &map.field).unwrap_or_else(|| {
                panic!(
                    "{}: no field {}.{} in the generated code",
                    file.display(),
                    map.rust_struct,
                    map.field
                )
            });
            assert!(
                ty.contains("BTreeMap"),
                "{}: {}.{} should be a map, got `{}`",
                file.display(),
                map.rust_struct,
                map.field,
                ty.trim()
            );
        }
        assert!(
            !generated.code.contains("Key>"),
            "a pseudo-property survived in {}",
            file.display()
        );
        // Every list of the official file has its stream, compiled below with the rest.
        let streamed: Vec<String> = crate::streams::streams(&code).into_keys().collect();
        let mut expected: Vec<String> = paged_gets.into_iter().map(|(_, builder, _)| builder).collect();
        expected.sort();
        assert!(!expected.is_empty(), "{}: no paged GET", file.display());
        assert_eq!(streamed, expected, "{}: builders with a stream()", file.display());

        std::fs::write(scratch.join("src").join(format!("{module}.rs")), &generated.code).unwrap();
        lib.push_str(&format!(
            "#[allow(clippy::all, dead_code, unused_imports)]\npub mod {module} {{ include!(\"{module}.rs\"); }}\n"
        ));
    }
    std::fs::write(scratch.join("src/lib.rs"), lib).unwrap();
    std::fs::write(
        scratch.join("Cargo.toml"),
        format!(
            "[package]\nname = \"official-specs-check\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             [workspace]\n\n[profile.dev]\ndebug = false\nincremental = false\n\n[dependencies]\n{}\n",
            runtime_dependencies()
        ),
    )
    .unwrap();
    // Same dependency versions as this crate. The scratch crate has a target directory of its own
    // (the test's one is in use); without debug information it stays small.
    if let Ok(lock) = std::fs::read(manifest_dir.join("Cargo.lock")) {
        std::fs::write(scratch.join("Cargo.lock"), lock).unwrap();
    }
    let target_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("official-specs-target");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .arg("build")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(scratch.join("Cargo.toml"))
        .env("CARGO_TARGET_DIR", &target_dir)
        .output()
        .expect("cargo runs");
    assert!(
        output.status.success(),
        "the generated code does not compile:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
