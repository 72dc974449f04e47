//! From a spec file to Rust source: load the YAML, normalize it, run progenitor.
//!
//! Shared by `build.rs` and by the tests that check official spec files, so that both generate
//! exactly the same way.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};
use serde_json::Value;

use super::normalize::{self, Applied};

/// Generated code for one spec file.
#[derive(Debug)]
pub struct Generated {
    /// Formatted Rust source of the module's content.
    pub code: String,
    /// Number of operations (generated client methods).
    pub operations: usize,
    /// `info.title` and `info.version` of the spec, for the module's documentation.
    pub title: String,
    pub version: String,
    /// What normalization changed.
    pub applied: Vec<Applied>,
}

/// Why a spec file could not be turned into code. Always names the file; names the operation
/// when one operation is at fault.
#[derive(Debug)]
pub struct GenerateError {
    pub file: PathBuf,
    pub operation_id: Option<String>,
    pub reason: String,
}

impl fmt::Display for GenerateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(op) = &self.operation_id {
            write!(f, ": operation {op}")?;
        }
        write!(f, ": {}", self.reason)
    }
}

impl std::error::Error for GenerateError {}

/// The type generated clients carry to reach the hand-written runtime (retries, tracing). It is
/// resolved from inside the generated module, so the crate defines it in `api`.
pub const CLIENT_CONTEXT: &str = "super::ClientContext";

/// The generator settings used for every spec: builder-style calls
/// (`client.list_servers().zone(z).send()`), one client per spec carrying the runtime context,
/// ordered maps.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    let context: syn::Type = syn::parse_str(CLIENT_CONTEXT).expect("a valid type path");
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_inner_type(quote::ToTokens::to_token_stream(&context))
        .with_tag(TagStyle::Merged)
        .with_derive("PartialEq")
        .with_map_type("::std::collections::BTreeMap");
    settings
}

/// Reads a YAML spec file as JSON.
pub fn load(file: &Path) -> Result<Value, GenerateError> {
    let fail = |reason: String| GenerateError {
        file: file.to_path_buf(),
        operation_id: None,
        reason,
    };
    let text = std::fs::read_to_string(file).map_err(|e| fail(format!("cannot read: {e}")))?;
    serde_yaml_ng::from_str(&text).map_err(|e| fail(format!("invalid YAML: {e}")))
}

/// Normalizes and generates one spec file.
pub fn generate_file(file: &Path) -> Result<Generated, GenerateError> {
    let doc = load(file)?;
    generate(file, doc)
}

/// Normalizes and generates a spec already loaded as JSON; `file` is used in error messages.
pub fn generate(file: &Path, mut doc: Value) -> Result<Generated, GenerateError> {
    let fail = |operation_id: Option<String>, reason: String| GenerateError {
        file: file.to_path_buf(),
        operation_id,
        reason,
    };
    let applied = normalize::normalize(&mut doc).map_err(|e| {
        fail(
            e.error.operation_id.clone(),
            format!("normalization rule {}: {}", e.rule, e.error.reason),
        )
    })?;
    let title = doc
        .pointer("/info/title")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let version = doc
        .pointer("/info/version")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let operations = operation_ids(&doc).len();
    match run_progenitor(&doc) {
        Ok(code) => Ok(Generated {
            code,
            operations,
            title,
            version,
            applied,
        }),
        Err(Failure {
            operation_id: Some(operation_id),
            reason,
        }) => Err(fail(Some(operation_id), reason)),
        Err(Failure { reason, .. }) => {
            let operation_id = find_failing_operation(&doc);
            Err(fail(operation_id, reason))
        }
    }
}

/// Why `run_progenitor` failed; the operation when the failure names it already.
struct Failure {
    operation_id: Option<String>,
    reason: String,
}

impl From<String> for Failure {
    fn from(reason: String) -> Failure {
        Failure {
            operation_id: None,
            reason,
        }
    }
}

/// Runs progenitor on a normalized document and formats the result. Panics inside the generator
/// (it has a few `todo!`s for shapes it does not support) become errors.
fn run_progenitor(doc: &Value) -> Result<String, Failure> {
    let spec: openapiv3::OpenAPI =
        serde_json::from_value(doc.clone()).map_err(|e| format!("not a valid OpenAPI 3.0 document: {e}"))?;
    let outcome = quietly(|| {
        let mut generator = Generator::new(&settings());
        generator.generate_tokens(&spec)
    });
    let tokens = match outcome {
        Ok(Ok(tokens)) => tokens,
        Ok(Err(e)) => return Err(format!("progenitor: {e}").into()),
        Err(panic) => return Err(format!("progenitor panicked: {panic}").into()),
    };
    let file = syn::parse2::<syn::File>(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    let table = operation_table(doc, &file);
    let streams = super::streams::list_streams(doc, &file).map_err(|e| Failure {
        operation_id: Some(e.operation_id),
        reason: e.reason,
    })?;
    // progenitor documents each operation with a usage sketch fenced as ```ignore; it is not
    // meant to compile on its own, so it is marked as plain text instead.
    let code = prettyplease::unparse(&file).replace("```ignore", "```text");
    Ok(format!("{code}\n{table}\n{}", prettyplease::unparse(&streams)))
}

/// Source of the `OPERATIONS` table and of `check_response_body`, appended to each module.
///
/// The response type of each operation is read from the generated `send()` signatures rather than
/// predicted, so the table cannot disagree with the client.
fn operation_table(doc: &Value, file: &syn::File) -> String {
    let response_types = success_types(file);
    let client_ids = client_operation_ids(file);
    let mut rows = String::new();
    let mut arms = String::new();
    for (path, method, id) in operation_ids(doc) {
        let operation = doc.pointer(&format!("/paths/{}/{method}", escape_pointer(&path)));
        let declared = operation
            .and_then(|op| op.get(normalize::SUCCESS_STATUS))
            .and_then(Value::as_u64);
        let success_status = declared
            .map(|code| code as u16)
            .or_else(|| {
                operation
                    .and_then(|op| op.get("responses"))
                    .and_then(Value::as_object)
                    .and_then(|r| {
                        r.keys()
                            .filter_map(|k| k.parse::<u16>().ok())
                            .filter(|c| (200..300).contains(c))
                            .min()
                    })
            })
            .unwrap_or(200);
        let original_id = doc
            .pointer(&format!(
                "/paths/{}/{method}/{}",
                escape_pointer(&path),
                normalize::ORIGINAL_OPERATION_ID
            ))
            .and_then(Value::as_str)
            .unwrap_or(&id);
        rows.push_str(&format!(
            "    super::Operation {{ id: {original_id:?}, method: {:?}, path: {path:?}, success_status: {success_status} }},\n",
            method.to_uppercase()
        ));
        let builder = normalize::type_name(&id);
        if let Some(ty) = response_types.get(&builder) {
            let client_id = client_ids
                .get(&builder)
                .filter(|client_id| client_id.as_str() != original_id)
                .map(|client_id| format!(" | {client_id:?}"))
                .unwrap_or_default();
            arms.push_str(&format!(
                "        {original_id:?}{client_id} => Some(::serde_json::from_slice::<{ty}>(body).map(|_| ())),\n"
            ));
        }
    }
    format!(
        "/// Every operation of this API, in spec order.\n\
         pub const OPERATIONS: &[super::Operation] = &[\n{rows}];\n\n\
         /// Deserializes a successful JSON response body of `operation_id` (the spec's operationId,\n\
         /// or the client's snake-case name of it) with its generated type.\n\
         ///\n\
         /// `None` when the operation is unknown or has no JSON response.\n\
         pub fn check_response_body(operation_id: &str, body: &[u8]) -> Option<Result<(), ::serde_json::Error>> {{\n\
         \x20   match operation_id {{\n{arms}        _ => None,\n    }}\n}}\n"
    )
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Every builder's `send()` function, with the builder's struct name.
fn send_functions(file: &syn::File) -> Vec<(String, &syn::ImplItemFn)> {
    let builder = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(m) if m.ident == "builder" => m.content.as_ref().map(|(_, items)| items),
        _ => None,
    });
    let mut out = Vec::new();
    for item in builder.into_iter().flatten() {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(self_ty) = imp.self_ty.as_ref() else {
            continue;
        };
        let Some(name) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        for impl_item in &imp.items {
            if let syn::ImplItem::Fn(f) = impl_item
                && f.sig.ident == "send"
            {
                out.push((name.clone(), f));
            }
        }
    }
    out
}

/// Builder struct name → `types::X` of its `send()` success value, for JSON responses.
fn success_types(file: &syn::File) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for (name, f) in send_functions(file) {
        if let syn::ReturnType::Type(_, ty) = &f.sig.output {
            let text = quote::ToTokens::to_token_stream(ty).to_string().replace(' ', "");
            // Result<ResponseValue<types::X>,Error<...>>
            if let Some(inner) = text.strip_prefix("Result<ResponseValue<types::")
                && let Some(end) = inner.find(">,")
            {
                out.insert(name, format!("types::{}", &inner[..end]));
            }
        }
    }
    out
}

/// Builder struct name → the `operation_id` its `send()` reports to the client hooks.
fn client_operation_ids(file: &syn::File) -> std::collections::BTreeMap<String, String> {
    let mut out = std::collections::BTreeMap::new();
    for (name, f) in send_functions(file) {
        // `let info = OperationInfo { operation_id: "list_servers" };`
        let body = quote::ToTokens::to_token_stream(&f.block).to_string();
        if let Some(rest) = body.split("operation_id : \"").nth(1)
            && let Some(end) = rest.find('"')
        {
            out.insert(name, rest[..end].to_string());
        }
    }
    out
}

/// Runs `f`, turning a panic into its message without printing it.
fn quietly<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = catch_unwind(AssertUnwindSafe(f));
    std::panic::set_hook(previous);
    result.map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into())
    })
}

const HTTP_METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// `(path, method, operationId)` of every operation.
fn operation_ids(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    if let Some(paths) = doc.get("paths").and_then(Value::as_object) {
        for (path, item) in paths {
            let Some(item) = item.as_object() else { continue };
            for (method, op) in item {
                if HTTP_METHODS.contains(&method.as_str()) {
                    let id = op
                        .get("operationId")
                        .and_then(Value::as_str)
                        .unwrap_or("<no operationId>");
                    out.push((path.clone(), method.clone(), id.to_string()));
                }
            }
        }
    }
    out
}

/// When a whole document fails, generates each operation alone to name the one at fault.
fn find_failing_operation(doc: &Value) -> Option<String> {
    for (path, method, id) in operation_ids(doc) {
        let mut single = doc.clone();
        let item = doc.pointer(&format!("/paths/{}", path.replace('~', "~0").replace('/', "~1")))?;
        let mut kept = serde_json::Map::new();
        for (key, value) in item.as_object()? {
            if key == &method || !HTTP_METHODS.contains(&key.as_str()) {
                kept.insert(key.clone(), value.clone());
            }
        }
        let mut paths = serde_json::Map::new();
        paths.insert(path.clone(), Value::Object(kept));
        single["paths"] = Value::Object(paths);
        if run_progenitor(&single).is_err() {
            return Some(id);
        }
    }
    None
}
