//! List streams: every GET with paging parameters of every generated module has a `stream()` on
//! its builder and a `LIST_OPERATIONS` row, and a paged GET that cannot be streamed fails
//! generation naming it.

use crate::codegen;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use scaleway_client::api::{MODULES, Pagination};
use serde_json::Value;

/// What a test reads of a generated `stream()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Stream {
    /// The item type of the returned `Listing<'a, T>`, as tokens.
    pub item: String,
    /// The `paginate::Listing` constructor it calls (`total_in_header` or `total_in_body`).
    pub constructor: String,
}

/// Builder name → its `stream()`, for every `impl builder::X { fn stream }` at the top of a
/// generated module.
pub(crate) fn streams(file: &syn::File) -> BTreeMap<String, Stream> {
    let mut out = BTreeMap::new();
    for item in &file.items {
        let syn::Item::Impl(imp) = item else { continue };
        let syn::Type::Path(self_ty) = imp.self_ty.as_ref() else {
            continue;
        };
        let segments: Vec<&syn::PathSegment> = self_ty.path.segments.iter().collect();
        let [module, builder] = segments.as_slice() else {
            continue;
        };
        if module.ident != "builder" {
            continue;
        }
        for impl_item in &imp.items {
            let syn::ImplItem::Fn(f) = impl_item else { continue };
            if f.sig.ident != "stream" {
                continue;
            }
            let syn::ReturnType::Type(_, ty) = &f.sig.output else {
                panic!("{}::stream returns nothing", builder.ident)
            };
            let syn::Type::Path(listing) = ty.as_ref() else {
                panic!("{}::stream does not return a path type", builder.ident)
            };
            let last = listing.path.segments.last().unwrap();
            assert_eq!(last.ident, "Listing", "{}::stream", builder.ident);
            let syn::PathArguments::AngleBracketed(arguments) = &last.arguments else {
                panic!("{}::stream returns a Listing without arguments", builder.ident)
            };
            let item = arguments
                .args
                .iter()
                .find_map(|a| match a {
                    syn::GenericArgument::Type(t) => Some(quote::ToTokens::to_token_stream(t).to_string()),
                    _ => None,
                })
                .unwrap();
            let [syn::Stmt::Expr(syn::Expr::Call(call), None)] = f.block.stmts.as_slice() else {
                panic!("{}::stream is not one call", builder.ident)
            };
            let syn::Expr::Path(callee) = call.func.as_ref() else {
                panic!("{}::stream calls no function path", builder.ident)
            };
            let constructor = callee.path.segments.last().unwrap().ident.to_string();
            out.insert(builder.ident.to_string(), Stream { item, constructor });
        }
    }
    out
}

/// A GET with paging parameters, read from the normalized document independently of the code
/// generator: (operationId as written in the spec, builder name, the page-size parameter).
pub(crate) fn paged_gets(doc: &Value) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for item in doc["paths"].as_object().unwrap().values() {
        let Some(get) = item.get("get") else { continue };
        let names: BTreeSet<&str> = get
            .get("parameters")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|p| p["in"] == "query")
            .filter_map(|p| p["name"].as_str())
            .collect();
        let paging: Vec<&str> = ["page", "per_page", "page_size"]
            .into_iter()
            .filter(|n| names.contains(n))
            .collect();
        if paging.is_empty() {
            continue;
        }
        assert!(
            paging.len() == 2 && paging[0] == "page",
            "{}: paging parameters {paging:?}",
            get["operationId"]
        );
        let id = get["operationId"].as_str().unwrap();
        let original = get
            .get(codegen::normalize::ORIGINAL_OPERATION_ID)
            .and_then(Value::as_str)
            .unwrap_or(id);
        out.push((
            original.to_string(),
            codegen::normalize::type_name(id),
            paging[1].to_string(),
        ));
    }
    out
}

#[test]
fn every_list_operation_of_every_module_has_a_stream() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut lists = 0;
    assert_eq!(MODULES.len(), 7, "one module per spec in specs/");
    for module in MODULES {
        let file = manifest_dir.join(module.spec_file);
        let raw = codegen::generate::load(&file).unwrap();
        let mut doc = raw.clone();
        codegen::normalize::normalize(&mut doc).unwrap();
        let expected = paged_gets(&doc);
        // Every vendored API lists something: an empty expectation would check nothing.
        assert!(!expected.is_empty(), "{}: no paged GET found", module.name);
        lists += expected.len();

        let generated = codegen::generate::generate(&file, raw).unwrap_or_else(|e| panic!("{e}"));
        let code: syn::File = syn::parse_str(&generated.code).unwrap();
        let found = streams(&code);
        let expected_builders: BTreeSet<&str> = expected.iter().map(|(_, b, _)| b.as_str()).collect();
        let found_builders: BTreeSet<&str> = found.keys().map(String::as_str).collect();
        assert_eq!(
            found_builders, expected_builders,
            "{}: builders with a stream()",
            module.name
        );

        // The table the crate was built with names the same operations, in spec order, each with
        // the style of its page-size parameter, a GET of the module's `OPERATIONS`.
        let listed: Vec<&str> = module.list_operations.iter().map(|l| l.id).collect();
        let expected_ids: Vec<&str> = expected.iter().map(|(id, _, _)| id.as_str()).collect();
        assert_eq!(listed, expected_ids, "{}: LIST_OPERATIONS", module.name);
        for ((id, builder, size), list) in expected.iter().zip(module.list_operations) {
            assert_eq!(
                list.pagination.page_size_parameter(),
                size,
                "{}: {id}",
                module.name
            );
            let constructor = match list.pagination {
                Pagination::PerPage => "total_in_header",
                Pagination::PageSize => "total_in_body",
            };
            assert_eq!(found[builder].constructor, constructor, "{}: {id}", module.name);
            let operation = module
                .operations
                .iter()
                .find(|op| op.id == *id)
                .unwrap_or_else(|| panic!("{}: {id} is not in OPERATIONS", module.name));
            assert_eq!(operation.method, "GET", "{}: {id}", module.name);
            assert!(!list.items.is_empty(), "{}: {id}", module.name);
        }
    }
    println!("{lists} list operations, each with a stream");
}

// ----------------------------------------------------------------------------------------------
// one list on tiny documents

const HEADER: &str = "openapi: 3.0.0\ninfo: {title: Test API, version: v1}\n";

fn generate(paths: &str, schemas: &str) -> Result<syn::File, codegen::generate::GenerateError> {
    let text = format!("{HEADER}paths:\n{paths}components:\n  schemas:\n{schemas}");
    let doc: Value = serde_yaml_ng::from_str(&text).expect("test YAML parses");
    let generated = codegen::generate::generate(Path::new("specs/things.yml"), doc)?;
    Ok(syn::parse_str(&generated.code).unwrap())
}

const THING: &str = "    Thing: {type: object, properties: {id: {type: string}}}\n";

fn list_things(parameters: &[&str], answer: &str) -> String {
    let mut out = String::from(
        "  /things/{zone}/things:\n    get:\n      operationId: ListThings\n      parameters:\n      \
         - {in: path, name: zone, required: true, schema: {type: string}}\n",
    );
    for p in parameters {
        out.push_str(&format!(
            "      - {{in: query, name: {p}, schema: {{type: integer, format: uint32}}}}\n"
        ));
    }
    out.push_str(&format!(
        "      responses:\n        \"200\":\n          description: ok\n          content:\n            \
         application/json:\n              schema: {answer}\n"
    ));
    out
}

#[test]
fn a_body_total_list_streams_its_items() {
    let code = generate(
        &list_things(
            &["page", "page_size"],
            "{type: object, properties: {things: {type: array, items: {$ref: '#/components/schemas/Thing'}}, total_count: {type: integer, format: uint64}}}",
        ),
        THING,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        streams(&code)["ListThings"],
        Stream {
            item: "types :: Thing".into(),
            constructor: "total_in_body".into()
        }
    );
}

#[test]
fn a_header_total_list_of_a_map_streams_its_entries() {
    let code = generate(
        &list_things(
            &["page", "per_page"],
            "{type: object, properties: {things: {type: object, additionalProperties: {$ref: '#/components/schemas/Thing'}}}}",
        ),
        THING,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        streams(&code)["ListThings"],
        Stream {
            item: "(:: std :: string :: String , types :: Thing)".into(),
            constructor: "total_in_header".into()
        }
    );
}

#[test]
fn a_get_without_paging_parameters_has_no_stream() {
    let code = generate(
        &list_things(
            &[],
            "{type: object, properties: {things: {type: array, items: {$ref: '#/components/schemas/Thing'}}}}",
        ),
        THING,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(streams(&code).is_empty());
}

/// Generation fails naming the operation, with a reason that contains `why`.
fn refused(parameters: &[&str], answer: &str, why: &str) {
    let Err(err) = generate(&list_things(parameters, answer), THING) else {
        panic!("{parameters:?} with {answer} was streamed")
    };
    assert_eq!(err.operation_id.as_deref(), Some("ListThings"), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with("specs/things.yml: operation ListThings: "),
        "{message}"
    );
    assert!(message.contains("cannot be streamed"), "{message}");
    assert!(message.contains(why), "{message}");
}

#[test]
fn a_paged_get_that_cannot_be_streamed_fails_naming_it() {
    let things = "things: {type: array, items: {$ref: '#/components/schemas/Thing'}}";
    refused(
        &["page", "page_size"],
        &format!(
            "{{type: object, properties: {{{things}, others: {{type: array, items: {{type: string}}}}, total_count: {{type: integer}}}}}}"
        ),
        "several list or map fields (others, things)",
    );
    refused(
        &["page", "per_page"],
        "{type: object, properties: {count: {type: integer}}}",
        "no list or map field",
    );
    refused(
        &["page", "page_size"],
        &format!("{{type: object, properties: {{{things}}}}}"),
        "no such field",
    );
    refused(
        &["page", "page_size"],
        &format!("{{type: object, properties: {{{things}, total_count: {{type: string}}}}}}"),
        "total_count` is not an integer",
    );
    refused(
        &["page"],
        &format!("{{type: object, properties: {{{things}}}}}"),
        "no page size",
    );
    refused(
        &["per_page"],
        &format!("{{type: object, properties: {{{things}}}}}"),
        "no `page` query parameter",
    );
    refused(
        &["page", "per_page", "page_size"],
        &format!("{{type: object, properties: {{{things}}}}}"),
        "both `per_page` and `page_size`",
    );
}
