//! Generates one client module per spec file in `specs/` (see `codegen/`).

#[path = "codegen/mod.rs"]
mod codegen;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use proc_macro2::Literal;
use quote::{format_ident, quote};

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
    let mut modules = Vec::new();
    let mut table = Vec::new();
    for spec in &files {
        println!("cargo::rerun-if-changed={}", spec.path.display());
        let generated = codegen::generate::generate_file(&spec.path).map_err(|e| e.to_string())?;
        write_if_changed(&out_dir.join(format!("{}.rs", spec.module)), &generated.code)?;
        let file_name = spec.path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let spec_file = format!("specs/{file_name}");
        let name = &spec.module;
        let module = format_ident!("{name}");
        let title = generated.title.replace('\n', " ");
        let version = &generated.version;
        let operations = Literal::usize_unsuffixed(generated.operations);
        // The module, its documentation and its hooks are written by `generated_api!` in
        // `src/api.rs`; only the facts of this spec are generated.
        modules.push(quote!(generated_api!(#module, #title, #version, #spec_file, #operations);));
        table.push(quote!(ApiModule {
            name: #name,
            spec_file: #spec_file,
            operations: #module::OPERATIONS,
            check_response_body: #module::check_response_body,
            list_operations: #module::LIST_OPERATIONS,
        }));
    }
    let index = quote! {
        #(#modules)*

        /// Every generated module, sorted by name.
        pub const MODULES: &[ApiModule] = &[#(#table),*];
    };
    let index =
        syn::parse2::<syn::File>(index).map_err(|e| format!("the module index does not parse: {e}"))?;
    write_if_changed(&out_dir.join("api_modules.rs"), &prettyplease::unparse(&index))
}

/// The features `Cargo.toml` declares.
fn declared_features(manifest: &Path) -> Result<BTreeSet<String>, String> {
    let text =
        std::fs::read_to_string(manifest).map_err(|e| format!("cannot read {}: {e}", manifest.display()))?;
    Ok(codegen::specs::declared_features(&text))
}

/// Leaves an unchanged file alone so that its timestamp does not force a recompilation.
fn write_if_changed(path: &Path, content: &str) -> Result<(), String> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == content) {
        return Ok(());
    }
    std::fs::write(path, content).map_err(|e| format!("cannot write {}: {e}", path.display()))
}
