//! A lazy `stream()` on the builder of every list operation, and the module's `LIST_OPERATIONS`
//! table, appended to progenitor's output.
//!
//! A list operation is a GET with a `page` query parameter and a page-size one whose success
//! answer has exactly one list field (or map field, streamed as `(key, value)` pairs). The
//! page-size parameter names the style: `per_page` (Instance v1) puts the total in the
//! `X-Total-Count` header, `page_size` (the other APIs) in the body's `total_count`.
//!
//! Which operations qualify is read from the normalized document (method and query parameters)
//! and from the generated code (the builder, its `send()` success type, that type's fields), so
//! the emitted calls cannot disagree with the client. A GET with paging parameters that does not
//! fit is an error naming the operation: a listing is never left without its stream.
//!
//! The paging itself is the runtime's (`paginate::Listing`): each `stream()` is one call to it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use quote::format_ident;
use serde_json::Value;
use syn::ext::IdentExt;
use syn::parse_quote;

use super::normalize;

/// The query parameter that selects the page, from 1.
pub const PAGE_PARAMETER: &str = "page";
/// The page-size parameter of the style with the total in the `X-Total-Count` header.
pub const PER_PAGE_PARAMETER: &str = "per_page";
/// The page-size parameter of the style with the total in the body.
pub const PAGE_SIZE_PARAMETER: &str = "page_size";
/// The body field that holds the total in the `page_size` style.
pub const TOTAL_COUNT_FIELD: &str = "total_count";

/// A GET with paging parameters that cannot be streamed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    /// The spec's operationId, as written in the spec.
    pub operation_id: String,
    /// Why it cannot be streamed, as a sentence that says it looks like a list.
    pub reason: String,
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "operation {}: {}", self.operation_id, self.reason)
    }
}

impl std::error::Error for StreamError {}

/// A GET of the normalized document that takes paging parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PagedOperation {
    /// The operationId as written in the spec (the `OPERATIONS` table's id).
    pub original_id: String,
    /// The generated builder's struct name.
    pub builder: String,
    /// Its query parameters among `page`, `per_page` and `page_size`.
    pub paging_parameters: BTreeSet<String>,
}

/// Every GET of a normalized document with at least one of `page`, `per_page` and `page_size`
/// among its query parameters, in document order.
pub fn paged_operations(doc: &Value) -> Vec<PagedOperation> {
    let mut out = Vec::new();
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return out;
    };
    for item in paths.values() {
        let Some(operation) = item.get("get") else {
            continue;
        };
        let parameters = item
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .chain(operation.get("parameters").and_then(Value::as_array))
            .flatten()
            .filter_map(|parameter| resolve(doc, parameter))
            .filter(|parameter| parameter.get("in").and_then(Value::as_str) == Some("query"))
            .filter_map(|parameter| parameter.get("name").and_then(Value::as_str));
        let paging_parameters: BTreeSet<String> = parameters
            .filter(|name| [PAGE_PARAMETER, PER_PAGE_PARAMETER, PAGE_SIZE_PARAMETER].contains(name))
            .map(str::to_string)
            .collect();
        if paging_parameters.is_empty() {
            continue;
        }
        let id = operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let original_id = operation
            .get(normalize::ORIGINAL_OPERATION_ID)
            .and_then(Value::as_str)
            .unwrap_or(id);
        out.push(PagedOperation {
            original_id: original_id.to_string(),
            builder: normalize::type_name(id),
            paging_parameters,
        });
    }
    out
}

/// A parameter, or the component a `$ref` parameter points to.
fn resolve<'d>(doc: &'d Value, parameter: &'d Value) -> Option<&'d Value> {
    match parameter.get("$ref").and_then(Value::as_str) {
        Some(reference) => doc.pointer(reference.strip_prefix('#')?),
        None => Some(parameter),
    }
}

/// The `stream()` of every list operation and the `LIST_OPERATIONS` table, as items to append
/// to the module; or the first paged GET that cannot be streamed.
pub fn list_streams(doc: &Value, file: &syn::File) -> Result<syn::File, StreamError> {
    let code = GeneratedCode::read(file);
    let mut items: Vec<syn::Item> = Vec::new();
    let mut rows: Vec<syn::Expr> = Vec::new();
    for operation in paged_operations(doc) {
        let list = List::resolve(&operation, &code).map_err(|reason| StreamError {
            operation_id: operation.original_id.clone(),
            reason: format!(
                "a GET with paging parameters is a list, but this one cannot be streamed: {reason}"
            ),
        })?;
        items.push(list.stream_impl());
        rows.push(list.table_row(&operation.original_id));
    }
    items.push(parse_quote! {
        /// The list operations of this API, in spec order: each one's builder has a `stream()`.
        pub const LIST_OPERATIONS: &[super::ListOperation] = &[#(#rows),*];
    });
    Ok(syn::File {
        shebang: None,
        frontmatter: None,
        attrs: Vec::new(),
        items,
    })
}

/// What the streams need from progenitor's output.
struct GeneratedCode<'f> {
    /// `mod builder`: struct name → (struct, its inherent methods).
    builders: BTreeMap<String, (&'f syn::ItemStruct, Vec<&'f syn::ImplItemFn>)>,
    /// `mod types`: struct name → struct.
    structs: BTreeMap<String, &'f syn::ItemStruct>,
    /// Every item name of `mod types`, for the paths that must be written `types::X` outside it.
    type_names: BTreeSet<String>,
}

impl<'f> GeneratedCode<'f> {
    fn read(file: &'f syn::File) -> Self {
        let mut code = GeneratedCode {
            builders: BTreeMap::new(),
            structs: BTreeMap::new(),
            type_names: BTreeSet::new(),
        };
        for item in &file.items {
            let syn::Item::Mod(module) = item else { continue };
            let Some((_, items)) = &module.content else {
                continue;
            };
            if module.ident == "builder" {
                for item in items {
                    if let syn::Item::Struct(s) = item {
                        code.builders.insert(s.ident.to_string(), (s, Vec::new()));
                    }
                }
                for item in items {
                    let syn::Item::Impl(imp) = item else { continue };
                    if imp.trait_.is_some() {
                        continue;
                    }
                    let Some(name) = type_name_of(&imp.self_ty) else {
                        continue;
                    };
                    if let Some((_, methods)) = code.builders.get_mut(&name) {
                        methods.extend(imp.items.iter().filter_map(|i| match i {
                            syn::ImplItem::Fn(f) => Some(f),
                            _ => None,
                        }));
                    }
                }
            } else if module.ident == "types" {
                for item in items {
                    let ident = match item {
                        syn::Item::Struct(s) => {
                            code.structs.insert(s.ident.to_string(), s);
                            &s.ident
                        }
                        syn::Item::Enum(e) => &e.ident,
                        syn::Item::Type(t) => &t.ident,
                        syn::Item::Mod(m) => &m.ident,
                        _ => continue,
                    };
                    code.type_names.insert(ident.to_string());
                }
            }
        }
        code
    }
}

/// The last segment's name of a plain path type.
fn type_name_of(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) if p.qself.is_none() => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `T<A, B>` → (`T`, [`A`, `B`]) for a plain path type.
fn generic_type(ty: &syn::Type) -> Option<(String, Vec<&syn::Type>)> {
    let syn::Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    let arguments = match &last.arguments {
        syn::PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|arg| match arg {
                syn::GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((last.ident.to_string(), arguments))
}

/// `Option<T>` → (true, `T`); anything else → (false, itself).
fn without_option(ty: &syn::Type) -> (bool, &syn::Type) {
    match generic_type(ty) {
        Some((name, arguments)) if name == "Option" && arguments.len() == 1 => (true, arguments[0]),
        _ => (false, ty),
    }
}

/// The item a list or map field yields, written for the module around `mod types`: `T` for a
/// `Vec<T>`, `(K, V)` for a map; `None` for any other type.
fn collection_item(ty: &syn::Type, type_names: &BTreeSet<String>) -> Option<syn::Type> {
    let (name, arguments) = generic_type(ty)?;
    match (name.as_str(), arguments.as_slice()) {
        ("Vec", [item]) => Some(in_module_scope(item, type_names)),
        ("BTreeMap" | "HashMap", [key, value]) => {
            let key = in_module_scope(key, type_names);
            let value = in_module_scope(value, type_names);
            Some(parse_quote!((#key, #value)))
        }
        _ => None,
    }
}

/// A type written inside `mod types`, rewritten for the module around it: a path that starts
/// with one of `types`' own items gets the `types::` prefix (`Server` → `types::Server`); paths
/// from the crate root (`::std::string::String`) and primitives stay as they are.
fn in_module_scope(ty: &syn::Type, type_names: &BTreeSet<String>) -> syn::Type {
    // Copied through tokens: syn's `Clone` impls are an optional feature.
    let mut ty: syn::Type = parse_quote!(#ty);
    rescope(&mut ty, type_names);
    ty
}

fn rescope(ty: &mut syn::Type, type_names: &BTreeSet<String>) {
    match ty {
        syn::Type::Path(p) => {
            if p.qself.is_none()
                && p.path.leading_colon.is_none()
                && p.path
                    .segments
                    .first()
                    .is_some_and(|s| type_names.contains(&s.ident.to_string()))
            {
                p.path.segments.insert(0, parse_quote!(types));
            }
            for segment in &mut p.path.segments {
                if let syn::PathArguments::AngleBracketed(a) = &mut segment.arguments {
                    for arg in &mut a.args {
                        if let syn::GenericArgument::Type(t) = arg {
                            rescope(t, type_names);
                        }
                    }
                }
            }
        }
        syn::Type::Tuple(t) => t.elems.iter_mut().for_each(|t| rescope(t, type_names)),
        syn::Type::Array(a) => rescope(&mut a.elem, type_names),
        syn::Type::Slice(s) => rescope(&mut s.elem, type_names),
        syn::Type::Reference(r) => rescope(&mut r.elem, type_names),
        syn::Type::Paren(p) => rescope(&mut p.elem, type_names),
        syn::Type::Group(g) => rescope(&mut g.elem, type_names),
        _ => {}
    }
}

/// A list operation, with everything its `stream()` needs.
struct List {
    builder: syn::Ident,
    lifetime: syn::Lifetime,
    /// The `page_size` style, else `per_page`.
    total_in_body: bool,
    body: syn::Ident,
    field: syn::Ident,
    /// The list field is an `Option`.
    optional_field: bool,
    /// The item type, written for the module scope.
    item: syn::Type,
    /// `total_count` is an `Option` (only for the `page_size` style).
    optional_total: bool,
}

impl List {
    /// Checks a paged GET against the generated code; the error says what is missing.
    fn resolve(operation: &PagedOperation, code: &GeneratedCode<'_>) -> Result<List, String> {
        let parameters = &operation.paging_parameters;
        let has = |name: &str| parameters.contains(name);
        let total_in_body = match (
            has(PAGE_PARAMETER),
            has(PER_PAGE_PARAMETER),
            has(PAGE_SIZE_PARAMETER),
        ) {
            (true, true, false) => false,
            (true, false, true) => true,
            (false, _, _) => {
                return Err(format!(
                    "it has no `{PAGE_PARAMETER}` query parameter, only {parameters:?}"
                ));
            }
            (true, false, false) => {
                return Err(format!(
                    "it has `{PAGE_PARAMETER}` but no page size (`{PER_PAGE_PARAMETER}` or `{PAGE_SIZE_PARAMETER}`)"
                ));
            }
            (true, true, true) => {
                return Err(format!(
                    "it has both `{PER_PAGE_PARAMETER}` and `{PAGE_SIZE_PARAMETER}`, so its pagination style is unknown"
                ));
            }
        };
        let size_parameter = if total_in_body {
            PAGE_SIZE_PARAMETER
        } else {
            PER_PAGE_PARAMETER
        };

        let (builder, methods) = code
            .builders
            .get(&operation.builder)
            .ok_or_else(|| format!("no builder `{}` in the generated code", operation.builder))?;
        let lifetime = match builder.generics.lifetimes().collect::<Vec<_>>().as_slice() {
            [only] if builder.generics.params.len() == 1 => only.lifetime.clone(),
            _ => {
                return Err(format!(
                    "builder `{}` does not have exactly one lifetime parameter",
                    operation.builder
                ));
            }
        };
        let method = |name: &str| methods.iter().copied().find(|f| f.sig.ident == name);
        for name in [PAGE_PARAMETER, size_parameter] {
            if method(name).is_none() {
                return Err(format!("builder `{}` has no `{name}` method", operation.builder));
            }
        }
        if method("stream").is_some() {
            return Err(format!(
                "builder `{}` already has a `stream` method (a parameter named `stream`)",
                operation.builder
            ));
        }
        let send =
            method("send").ok_or_else(|| format!("builder `{}` has no `send` method", operation.builder))?;
        let body = success_type(send).ok_or_else(|| {
            format!(
                "`{}::send` does not answer `Result<ResponseValue<types::X>, _>`: no JSON body to read items from",
                operation.builder
            )
        })?;
        let body_struct = code
            .structs
            .get(&body.to_string())
            .ok_or_else(|| format!("its answer `types::{body}` is not a struct"))?;

        let mut lists = Vec::new();
        let mut total = None;
        for field in &body_struct.fields {
            let Some(ident) = &field.ident else { continue };
            let (optional, inner) = without_option(&field.ty);
            if ident.unraw() == TOTAL_COUNT_FIELD {
                total = Some((optional, inner));
            }
            if let Some(item) = collection_item(inner, &code.type_names) {
                lists.push((ident, optional, item));
            }
        }
        let (field, optional_field, item) = match lists.len() {
            1 => lists.remove(0),
            0 => return Err(format!("its answer `types::{body}` has no list or map field")),
            _ => {
                let names: Vec<String> = lists
                    .iter()
                    .map(|(ident, ..)| ident.unraw().to_string())
                    .collect();
                return Err(format!(
                    "its answer `types::{body}` has several list or map fields ({}), so which one holds the items is unknown",
                    names.join(", ")
                ));
            }
        };
        let optional_total = match (total_in_body, total) {
            (false, _) => false,
            (true, None) => {
                return Err(format!(
                    "it pages with `{PAGE_SIZE_PARAMETER}`, whose total is the body's `{TOTAL_COUNT_FIELD}`, but `types::{body}` has no such field"
                ));
            }
            (true, Some((optional, ty))) => {
                let integer = matches!(
                    type_name_of(ty).as_deref(),
                    Some("u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize")
                ) && generic_type(ty).is_some_and(|(_, arguments)| arguments.is_empty());
                if !integer {
                    return Err(format!("`types::{body}::{TOTAL_COUNT_FIELD}` is not an integer"));
                }
                optional
            }
        };
        Ok(List {
            builder: builder.ident.clone(),
            lifetime,
            total_in_body,
            body,
            field: field.clone(),
            optional_field,
            item,
            optional_total,
        })
    }

    fn stream_impl(&self) -> syn::Item {
        let List {
            builder,
            lifetime,
            body,
            field,
            item,
            ..
        } = self;
        let items: syn::Expr = if self.optional_field {
            parse_quote!(body.#field.unwrap_or_default())
        } else {
            parse_quote!(body.#field)
        };
        let (total_source, call): (&str, syn::Expr) = if self.total_in_body {
            let total: syn::Expr = if self.optional_total {
                parse_quote!(body.total_count)
            } else {
                parse_quote!(::std::option::Option::Some(body.total_count))
            };
            (
                "the answer's `total_count`",
                parse_quote! {
                    super::paginate::Listing::total_in_body(
                        self,
                        |list, request| list.page(request.page).page_size(request.size).send(),
                        |body: types::#body| (#items, #total),
                    )
                },
            )
        } else {
            (
                "the answer's `X-Total-Count` header",
                parse_quote! {
                    super::paginate::Listing::total_in_header(
                        self,
                        |list, request| list.page(request.page).per_page(request.size).send(),
                        |body: types::#body| #items,
                    )
                },
            )
        };
        let size_parameter = if self.total_in_body {
            PAGE_SIZE_PARAMETER
        } else {
            PER_PAGE_PARAMETER
        };
        let doc = [
            " Every item of the listing, as a lazy stream: each page is requested once the previous"
                .to_string(),
            format!(
                " one has been read, with the parameters as given plus `{PAGE_PARAMETER}` and `{size_parameter}`;"
            ),
            format!(" the total is {total_source}. Pages of `paginate::DEFAULT_PAGE_SIZE`"),
            " items unless the stream's `.page_size(n)` says otherwise.".to_string(),
        ];
        parse_quote! {
            impl<#lifetime> builder::#builder<#lifetime> {
                #(#[doc = #doc])*
                pub fn stream(self) -> super::paginate::Listing<#lifetime, #item> {
                    #call
                }
            }
        }
    }

    fn table_row(&self, original_id: &str) -> syn::Expr {
        let items = self.field.unraw().to_string();
        let pagination = if self.total_in_body {
            format_ident!("PageSize")
        } else {
            format_ident!("PerPage")
        };
        parse_quote! {
            super::ListOperation {
                id: #original_id,
                items: #items,
                pagination: super::Pagination::#pagination,
            }
        }
    }
}

/// The `X` of a `send()` answering `Result<ResponseValue<types::X>, _>`, read the way the
/// operations table reads it ([`super::generate::success_type`]).
fn success_type(send: &syn::ImplItemFn) -> Option<syn::Ident> {
    let syn::Type::Path(body) = super::generate::success_type(&send.sig.output)?? else {
        return None;
    };
    match body.path.segments.iter().collect::<Vec<_>>().as_slice() {
        [module, name] if module.ident == "types" && name.arguments.is_none() => Some(name.ident.clone()),
        _ => None,
    }
}
