/// One operation of a generated API, as described by its spec.
///
/// Each generated module has an `OPERATIONS` table of these, in spec order, so that tools (the
/// simulator's router, conformance tests, request logging) can map a method and a concrete path
/// back to an operation without hard-coding paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The spec's operationId as written in the spec, e.g. `ListServers` or `ListVPCs` (the
    /// generated method is `list_vpcs`).
    pub id: &'static str,
    /// HTTP method in upper case.
    pub method: &'static str,
    /// Path template with the spec's parameter names, e.g. `/instance/v1/zones/{zone}/servers/{server_id}`.
    pub path: &'static str,
    /// The success status the spec declares (the lowest 2xx).
    pub success_status: u16,
}

impl Operation {
    /// Whether a concrete request path matches this operation's template: literal segments are
    /// equal and each `{parameter}` matches exactly one non-empty segment.
    pub fn matches_path(&self, path: &str) -> bool {
        let mut template = self.path.split('/');
        let mut concrete = path.split('/');
        loop {
            match (template.next(), concrete.next()) {
                (None, None) => return true,
                (Some(t), Some(c)) => {
                    let is_parameter = t.starts_with('{') && t.ends_with('}');
                    if (is_parameter && c.is_empty()) || (!is_parameter && t != c) {
                        return false;
                    }
                }
                _ => return false,
            }
        }
    }

    /// How many segments of the template are literal rather than `{parameter}`.
    pub fn literal_segments(&self) -> usize {
        self.path.split('/').filter(|s| !s.starts_with('{')).count()
    }

    /// The path parameters of a concrete path that matches this operation, by name.
    pub fn path_parameters<'p>(&self, path: &'p str) -> Option<Vec<(&'static str, &'p str)>> {
        if !self.matches_path(path) {
            return None;
        }
        Some(
            self.path
                .split('/')
                .zip(path.split('/'))
                .filter_map(|(t, c)| {
                    t.strip_prefix('{')
                        .and_then(|t| t.strip_suffix('}'))
                        .map(|name| (name, c))
                })
                .collect(),
        )
    }
}

/// A list operation of a generated API: its builder has a `stream()` that reads every page
/// lazily (see [`crate::paginate::Listing`]).
///
/// Each generated module has a `LIST_OPERATIONS` table of these, in spec order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListOperation {
    /// The spec's operationId as written in the spec, as in [`Operation::id`].
    pub id: &'static str,
    /// The field of the answer that holds the items, e.g. `servers`.
    pub items: &'static str,
    /// How it pages.
    pub pagination: Pagination,
}

/// The two pagination styles of Scaleway's APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pagination {
    /// `page` and `per_page`, the total in the `X-Total-Count` header (Instance v1).
    PerPage,
    /// `page` and `page_size`, the total in the body's `total_count` (the other APIs).
    PageSize,
}

impl Pagination {
    /// The query parameter that sets the number of items per page.
    pub fn page_size_parameter(self) -> &'static str {
        match self {
            Pagination::PerPage => "per_page",
            Pagination::PageSize => "page_size",
        }
    }
}

/// Makes a generated module's `OPERATIONS` and `check_response_body` of its table of operations,
/// which `codegen/generate.rs` writes at the end of the module, one row per operation:
///
/// ```text
/// GET "/instance/v1/zones/{zone}/servers" "ListServers" "list_servers" 200 types::ListServersResponse;
/// ```
///
/// the method, the path template, the spec's operationId, the name the client reports to its
/// hooks, the success status and, for an answer decoded from JSON, its type. Paths are resolved
/// from the generated module (`super::Operation`), so the official-spec test can compile the
/// generated code with stand-ins of its own.
#[allow(unused_macros)] // with every API module left out by the features
macro_rules! operations {
    ($($method:ident $path:literal $id:literal $client_id:literal $status:literal $($success:ty)?;)*) => {
        /// Every operation of this API, in spec order.
        pub const OPERATIONS: &[super::Operation] = &[$(
            super::Operation { id: $id, method: stringify!($method), path: $path, success_status: $status },
        )*];

        /// Deserializes a successful JSON response body of `operation_id` (the spec's operationId,
        /// or the client's snake-case name of it) with its generated type.
        ///
        /// `None` when the operation is unknown or has no JSON response.
        // The two names are the same when the spec's operationId is already snake case.
        #[allow(unreachable_patterns)]
        pub fn check_response_body(operation_id: &str, body: &[u8]) -> Option<Result<(), ::serde_json::Error>> {
            match operation_id {
                $($($id | $client_id => Some(::serde_json::from_slice::<$success>(body).map(|_| ())),)?)*
                _ => None,
            }
        }
    };
}
pub(crate) use operations;

/// Deserializes a successful JSON body of an operation (by operationId) with its generated type;
/// `None` when the operation is unknown or answers no JSON.
pub type CheckResponseBody = fn(&str, &[u8]) -> Option<Result<(), serde_json::Error>>;

/// One generated API module, for tools that work across all of them.
#[derive(Debug, Clone, Copy)]
pub struct ApiModule {
    /// Module name under `api`, e.g. `instance_v1`.
    pub name: &'static str,
    /// The spec file it was generated from, relative to the crate root.
    pub spec_file: &'static str,
    /// The module's operations.
    pub operations: &'static [Operation],
    /// The module's `check_response_body`.
    pub check_response_body: CheckResponseBody,
    /// The module's list operations, each with a `stream()` on its builder.
    pub list_operations: &'static [ListOperation],
}

impl ApiModule {
    /// The operation that answers `method` on the concrete `path`, if any. When several
    /// templates match (`/security_groups/default/rules` and `/security_groups/{id}/rules`),
    /// the one with more literal segments wins, as in the API's own router.
    pub fn find_operation(&self, method: &str, path: &str) -> Option<&'static Operation> {
        self.operations
            .iter()
            .filter(|op| op.method.eq_ignore_ascii_case(method) && op.matches_path(path))
            .max_by_key(|op| op.literal_segments())
    }
}
