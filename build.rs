//! Generates one client module per spec file in `specs/` (see `codegen/`).

#[path = "codegen/mod.rs"]
mod codegen;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    if let Err(message) = run() {
        // Cargo shows this line as the build error.
        for line in message.lines() {
            println!("cargo::error={line}");
        }
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let spec_dir = manifest_dir.join("specs");

    // A file added to or removed from specs/ changes the directory's modification time.
    println!("cargo::rerun-if-changed={}", spec_dir.display());
    println!("cargo::rerun-if-changed=codegen");
    println!("cargo::rerun-if-changed=Cargo.toml");

    let files = codegen::specs::discover(&spec_dir).map_err(|e| e.to_string())?;
    let features = declared_features(&manifest_dir.join("Cargo.toml"))?;
    let files: Vec<_> = files
        .into_iter()
        .filter(|spec| {
            codegen::specs::module_enabled(&spec.module, &features, |feature| {
                std::env::var_os(format!("CARGO_FEATURE_{}", feature.to_uppercase())).is_some()
            })
        })
        .collect();
    let mut index = String::new();
    let mut modules = String::new();
    for spec in &files {
        println!("cargo::rerun-if-changed={}", spec.path.display());
        let generated = codegen::generate::generate_file(&spec.path).map_err(|e| e.to_string())?;
        let target = out_dir.join(format!("{}.rs", spec.module));
        write_if_changed(&target, &generated.code)?;
        let file_name = spec.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        writeln!(
            index,
            "/// {} {}: client generated from `specs/{}` ({} operations).\n\
             ///\n\
             /// `Client` holds the base URL and a `reqwest::Client`; every operation is a builder:\n\
             /// `client.operation_name().param(value).send().await`. Request and response types are in\n\
             /// `types`; errors are `Error<types::ScalewayError>`.\n\
             #[allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, dead_code, rustdoc::all)]\n\
             pub mod {} {{\n\
             \x20   include!(concat!(env!(\"OUT_DIR\"), \"/{}.rs\"));\n\n\
             \x20   // Every request goes through the runtime: retries, tracing, error normalization,\n\
             \x20   // and success bodies checked while their request id is at hand.\n\
             \x20   impl progenitor_client::ClientHooks<super::ClientContext> for Client {{\n\
             \x20       async fn exec(\n\
             \x20           &self,\n\
             \x20           request: reqwest::Request,\n\
             \x20           info: &progenitor_client::OperationInfo,\n\
             \x20       ) -> reqwest::Result<reqwest::Response> {{\n\
             \x20           self.inner.execute(&self.client, request, info.operation_id, check_response_body).await\n\
             \x20       }}\n\n\
             \x20       async fn post<E>(\n\
             \x20           &self,\n\
             \x20           result: &reqwest::Result<reqwest::Response>,\n\
             \x20           _info: &progenitor_client::OperationInfo,\n\
             \x20       ) -> Result<(), progenitor_client::Error<E>> {{\n\
             \x20           super::ClientContext::reject_undecodable(result)\n\
             \x20       }}\n\
             \x20   }}\n\
             }}\n",
            generated.title.replace('\n', " "),
            generated.version,
            file_name,
            generated.operations,
            spec.module,
            spec.module,
        )
        .map_err(|e| e.to_string())?;
        writeln!(
            modules,
            "    ApiModule {{ name: {:?}, spec_file: \"specs/{}\", operations: {}::OPERATIONS, check_response_body: {}::check_response_body, list_operations: {}::LIST_OPERATIONS }},",
            spec.module, file_name, spec.module, spec.module, spec.module
        )
        .map_err(|e| e.to_string())?;
    }
    writeln!(
        index,
        "/// Every generated module, sorted by name.\npub const MODULES: &[ApiModule] = &[\n{modules}];"
    )
    .map_err(|e| e.to_string())?;
    write_if_changed(&out_dir.join("api_modules.rs"), &index)
}

/// The features `Cargo.toml` declares.
fn declared_features(manifest: &Path) -> Result<BTreeSet<String>, String> {
    let text =
        std::fs::read_to_string(manifest).map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    let table: toml::Table = text.parse().map_err(|e| format!("{}: {e}", manifest.display()))?;
    Ok(table
        .get("features")
        .and_then(toml::Value::as_table)
        .map(|features| features.keys().cloned().collect())
        .unwrap_or_default())
}

/// Leaves an unchanged file alone so that its timestamp does not force a recompilation.
fn write_if_changed(path: &Path, content: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    std::fs::write(path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
