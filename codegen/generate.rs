//! From a spec file to Rust source: load the YAML, normalize it, run progenitor.
//!
//! Shared by `build.rs` and by the tests that check official spec files, so that both generate
//! exactly the same way.

use std::collections::BTreeMap;
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use proc_macro2::{Literal, TokenStream};
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle};
use quote::{format_ident, quote};
use serde_json::Value;
use syn::visit::Visit;
use syn::visit_mut::VisitMut;

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

/// The generator settings used for every spec: builder-style calls
/// (`client.list_servers().zone(z).send()`), one client per spec carrying the runtime context,
/// ordered maps.
///
/// The context type is resolved from inside the generated module: the crate defines it in `api`.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::default();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_inner_type(quote!(super::ClientContext))
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

/// Runs progenitor on a normalized document and formats the result, the module's table of
/// operations and its list streams included. Panics inside the generator (it has a few `todo!`s
/// for shapes it does not support) become errors.
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
    let mut file =
        syn::parse2::<syn::File>(tokens).map_err(|e| format!("generated code does not parse: {e}"))?;
    UsageSketchesAsText.visit_file_mut(&mut file);
    keep_type_builders_of_request_bodies(&mut file);
    let table = operation_table(doc, &send_signatures(&file)?)?;
    let streams = super::streams::list_streams(doc, &file).map_err(|e| Failure {
        operation_id: Some(e.operation_id),
        reason: e.reason,
    })?;
    file.items
        .push(syn::parse2(table).map_err(|e| format!("the operations table does not parse: {e}"))?);
    file.items.extend(streams.items);
    Ok(prettyplease::unparse(&file))
}

/// progenitor documents each operation with a usage sketch fenced as ```` ```ignore ````: it is
/// not meant to compile on its own, so its fence is made plain text (rustdoc would otherwise
/// count every sketch as an ignored doctest).
struct UsageSketchesAsText;

impl VisitMut for UsageSketchesAsText {
    fn visit_attribute_mut(&mut self, attribute: &mut syn::Attribute) {
        if let syn::Meta::NameValue(doc) = &mut attribute.meta
            && doc.path.is_ident("doc")
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            }) = &mut doc.value
            && text.value().contains("```ignore")
        {
            *text = syn::LitStr::new(&text.value().replace("```ignore", "```text"), text.span());
        }
    }
}

/// progenitor's builder-style calls make the type generator write a builder for every type of
/// the spec (`types::builder::X`, its setters, `X::builder()` and two conversions), yet a call
/// only uses the builders of its request bodies (`body_map`). The others were some 30% of the
/// generated lines (21,000 of 70,000), which every crate depending on this one compiled for
/// nothing. They are
/// removed here; answers are read, not built, and a request body's nested types take their
/// values whole.
fn keep_type_builders_of_request_bodies(file: &mut syn::File) {
    let Some(types) = file.items.iter().position(|item| module_named(item, "types")) else {
        return;
    };
    let mut used = BuildersUsed::default();
    for (i, item) in file.items.iter().enumerate() {
        if i != types {
            used.visit_item(item);
        }
    }
    let syn::Item::Mod(syn::ItemMod {
        content: Some((_, items)),
        ..
    }) = &mut file.items[types]
    else {
        return;
    };
    let kept = |ty: &syn::Type| last_segment(ty).is_none_or(|s| used.0.contains(&s.ident.to_string()));
    items.retain_mut(|item| match item {
        syn::Item::Mod(syn::ItemMod {
            ident,
            content: Some((_, builders)),
            ..
        }) if ident == "builder" => {
            builders.retain(|builder| match builder {
                syn::Item::Struct(s) => used.0.contains(&s.ident.to_string()),
                syn::Item::Impl(i) => kept(&i.self_ty),
                _ => true,
            });
            builders.iter().any(|b| matches!(b, syn::Item::Struct(_)))
        }
        // `impl X { pub fn builder() -> builder::X }`
        syn::Item::Impl(i) if i.trait_.is_none() && !kept(&i.self_ty) => {
            i.items
                .retain(|f| !matches!(f, syn::ImplItem::Fn(f) if f.sig.ident == "builder"));
            !i.items.is_empty()
        }
        _ => true,
    });
}

fn module_named(item: &syn::Item, name: &str) -> bool {
    matches!(item, syn::Item::Mod(m) if m.ident == name)
}

/// The type builders named as `types::builder::X` by the calls.
#[derive(Default)]
struct BuildersUsed(std::collections::BTreeSet<String>);

impl<'ast> Visit<'ast> for BuildersUsed {
    fn visit_path(&mut self, path: &'ast syn::Path) {
        let names: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
        if let [.., types, builder, name] = names.as_slice()
            && types == "types"
            && builder == "builder"
        {
            self.0.insert(name.clone());
        }
        syn::visit::visit_path(self, path);
    }
}

/// The module's table of operations: one `operations!` call (the macro is in
/// `src/api/operation.rs` and makes `OPERATIONS` and `check_response_body` of it), one row per
/// operation in spec order:
///
/// ```text
/// GET "/instance/v1/zones/{zone}/servers" "ListServers" "list_servers" 200 types::ListServersResponse;
/// ```
///
/// that is the method, the path template, the spec's operationId, the name the client reports to
/// its hooks, the success status and, when a success answer is decoded from JSON, its type. The
/// last two come from the generated `send()` functions, so the table cannot disagree with the
/// client.
fn operation_table(doc: &Value, signatures: &BTreeMap<String, SendSignature>) -> Result<TokenStream, String> {
    let mut rows = Vec::new();
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
        let original_id = operation
            .and_then(|op| op.get(normalize::ORIGINAL_OPERATION_ID))
            .and_then(Value::as_str)
            .unwrap_or(&id);
        let builder = normalize::type_name(&id);
        let signature = signatures
            .get(&builder)
            .ok_or_else(|| format!("operation {id}: no builder `{builder}` in the generated code"))?;
        let method = format_ident!("{}", method.to_uppercase());
        let client_id = &signature.operation_id;
        let status = Literal::u16_unsuffixed(success_status);
        let success = &signature.success;
        rows.push(quote!(#method #path #original_id #client_id #status #success;));
    }
    Ok(quote!(super::operations! { #(#rows)* }))
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// What a builder's `send()` says about its operation.
#[derive(Debug, Clone)]
pub struct SendSignature {
    /// The type a success answer's JSON body is decoded into (`types::ListServersResponse`);
    /// `None` when a success answer is not decoded from JSON (no content, a byte stream, an
    /// upgraded connection).
    pub success: Option<syn::Type>,
    /// The `operation_id` the builder reports to the client hooks, e.g. `list_servers`.
    pub operation_id: String,
}

/// Every builder's `send()`, by the builder's struct name (`ListServers`), read from the
/// generated syntax tree: the success type from the return type
/// `Result<ResponseValue<T>, Error<E>>`, the operation id from the
/// `OperationInfo { operation_id: "…" }` the body builds. A `send()` of another shape is an
/// error, not a builder left out.
pub fn send_signatures(file: &syn::File) -> Result<BTreeMap<String, SendSignature>, String> {
    let builders = file
        .items
        .iter()
        .find_map(|item| match item {
            syn::Item::Mod(m) if m.ident == "builder" => {
                m.content.as_ref().map(|(_, items)| items.as_slice())
            }
            _ => None,
        })
        .unwrap_or_default();
    let mut out = BTreeMap::new();
    for item in builders {
        let syn::Item::Impl(implementation) = item else {
            continue;
        };
        let Some(name) = last_segment(&implementation.self_ty).map(|s| s.ident.to_string()) else {
            continue;
        };
        for send in implementation.items.iter().filter_map(|item| match item {
            syn::ImplItem::Fn(f) if f.sig.ident == "send" => Some(f),
            _ => None,
        }) {
            let success = success_type(&send.sig.output).ok_or_else(|| {
                format!("builder {name}: `send()` does not return `Result<ResponseValue<_>, _>`")
            })?;
            let mut finder = OperationIdFinder::default();
            finder.visit_block(&send.block);
            let operation_id = finder.operation_id.ok_or_else(|| {
                format!("builder {name}: `send()` builds no `OperationInfo {{ operation_id }}`")
            })?;
            out.insert(
                name.clone(),
                SendSignature {
                    success,
                    operation_id,
                },
            );
        }
    }
    Ok(out)
}

fn last_segment(ty: &syn::Type) -> Option<&syn::PathSegment> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last(),
        _ => None,
    }
}

fn first_type_argument(segment: &syn::PathSegment) -> Option<&syn::Type> {
    let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    })
}

/// `Result<ResponseValue<T>, _>` → `Some(Some(T))` when `T` is decoded from JSON, `Some(None)`
/// for `()`, `ByteStream` and `Upgraded` (progenitor reads those without decoding); `None` for
/// any other return type.
pub(super) fn success_type(output: &syn::ReturnType) -> Option<Option<syn::Type>> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let result = last_segment(ty).filter(|s| s.ident == "Result")?;
    let value = first_type_argument(result)
        .and_then(last_segment)
        .filter(|s| s.ident == "ResponseValue")?;
    let success = first_type_argument(value)?;
    let decoded = match success {
        syn::Type::Tuple(unit) => !unit.elems.is_empty(),
        other => !last_segment(other).is_some_and(|s| s.ident == "ByteStream" || s.ident == "Upgraded"),
    };
    Some(decoded.then(|| success.clone()))
}

/// Finds the `operation_id` of an `OperationInfo { operation_id: "…" }` struct expression.
#[derive(Default)]
struct OperationIdFinder {
    operation_id: Option<String>,
}

impl<'ast> Visit<'ast> for OperationIdFinder {
    fn visit_expr_struct(&mut self, node: &'ast syn::ExprStruct) {
        if node
            .path
            .segments
            .last()
            .is_some_and(|s| s.ident == "OperationInfo")
        {
            for field in &node.fields {
                if let syn::Member::Named(member) = &field.member
                    && member == "operation_id"
                    && let syn::Expr::Lit(syn::ExprLit {
                        lit: syn::Lit::Str(id),
                        ..
                    }) = &field.expr
                {
                    self.operation_id = Some(id.value());
                }
            }
        }
        syn::visit::visit_expr_struct(self, node);
    }
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
