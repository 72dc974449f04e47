//! Requests and answers as the handlers see them, the API's error bodies and its two pagination
//! styles.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};

use serde_json::{Value, json};

use scaleway_client::api::Operation;

use crate::store::Store;

/// What a handler gets besides the store and the request: the time scale and the moment the
/// request is served, from which transitions are dated.
pub(crate) struct Ctx {
    pub scale: f64,
    pub now: tokio::time::Instant,
}

/// Serves one operation.
pub(crate) type Handler = fn(&mut Store, &Ctx, &Req) -> Res;

/// An API's dispatch table: each spec operation id with its handler.
pub(crate) type Routes = &'static [(&'static str, Handler)];

/// One API request, parsed.
pub(crate) struct Req {
    pub module: &'static str,
    pub op: &'static Operation,
    pub path: String,
    pub params: HashMap<&'static str, String>,
    query: Vec<(String, String)>,
    pub body: bytes::Bytes,
    /// The query parameters a handler asked for, so that the front door can tell which ones the
    /// request sent and no handler looked at ([`Req::ignored_query`]).
    read: RefCell<BTreeSet<String>>,
}

impl Req {
    pub fn new(
        module: &'static str,
        op: &'static Operation,
        path: String,
        params: HashMap<&'static str, String>,
        query: Vec<(String, String)>,
        body: bytes::Bytes,
    ) -> Req {
        Req {
            module,
            op,
            path,
            params,
            query,
            body,
            read: RefCell::default(),
        }
    }

    /// The query parameters the request sent that no handler read (a list filter the simulator
    /// would silently ignore).
    pub fn ignored_query(&self) -> BTreeSet<String> {
        let read = self.read.borrow();
        self.query
            .iter()
            .map(|(k, _)| k.trim_end_matches("[]").to_string())
            .filter(|k| !read.contains(k))
            .collect()
    }

    fn mark_read(&self, name: &str) {
        self.read.borrow_mut().insert(name.to_string());
    }

    pub fn param(&self, name: &str) -> &str {
        self.params.get(name).map(String::as_str).unwrap_or_default()
    }

    /// The last value of a query parameter.
    pub fn q(&self, name: &str) -> Option<&str> {
        self.mark_read(name);
        self.query
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// Every value of a repeated (or comma-separated) query parameter.
    pub fn q_all(&self, name: &str) -> Vec<String> {
        self.mark_read(name);
        self.query
            .iter()
            .filter(|(k, _)| k == name || k == &format!("{name}[]"))
            .flat_map(|(_, v)| v.split(','))
            .filter(|v| !v.is_empty())
            .map(str::to_string)
            .collect()
    }

    /// The JSON body, `{}` when empty.
    pub fn json(&self) -> Result<Value, Reply> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(json!({}));
        }
        serde_json::from_slice(&self.body)
            .map_err(|e| invalid_arguments(vec![("body".into(), "constraint", format!("invalid JSON: {e}"))]))
    }
}

/// An answer body.
pub(crate) enum Body {
    Json(Value),
    Text(String),
    /// No body; `Content-Type: application/json` like the API's 204s.
    Empty,
    /// No body and no Content-Type (429).
    Nothing,
}

/// One answer.
pub(crate) struct Reply {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Body,
}

impl Reply {
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Body::Json(body),
        }
    }

    pub fn ok(body: Value) -> Reply {
        Reply::json(200, body)
    }

    pub fn no_content() -> Reply {
        Reply {
            status: 204,
            headers: Vec::new(),
            body: Body::Empty,
        }
    }

    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Reply {
        self.headers.push((name, value.into()));
        self
    }
}

pub(crate) type Res = Result<Reply, Reply>;

pub(crate) fn not_found(resource: &str, id: &str) -> Reply {
    Reply::json(
        404,
        json!({"type": "not_found", "message": "resource is not found", "resource": resource, "resource_id": id}),
    )
}

pub(crate) fn invalid_arguments(details: Vec<(String, &str, String)>) -> Reply {
    let details: Vec<Value> = details
        .into_iter()
        .map(|(name, reason, help)| json!({"argument_name": name, "reason": reason, "help_message": help}))
        .collect();
    Reply::json(
        400,
        json!({"type": "invalid_arguments", "message": "invalid argument(s)", "details": details}),
    )
}

pub(crate) fn required(names: &[&str]) -> Reply {
    invalid_arguments(
        names
            .iter()
            .map(|n| (n.to_string(), "required", "required key not provided".to_string()))
            .collect(),
    )
}

pub(crate) fn constraint(name: &str, help: impl Into<String>) -> Reply {
    invalid_arguments(vec![(name.to_string(), "constraint", help.into())])
}

/// Legacy Instance refusal shape (`invalid_request_error`), used where the recordings show none.
pub(crate) fn invalid_request(message: impl Into<String>) -> Reply {
    Reply::json(
        400,
        json!({"type": "invalid_request_error", "message": message.into()}),
    )
}

pub(crate) fn precondition(precondition: &str, help: impl Into<String>) -> Reply {
    Reply::json(
        412,
        json!({"type": "precondition_failed", "message": "precondition is not respected",
               "precondition": precondition, "help_message": help.into()}),
    )
}

pub(crate) fn permissions_denied(action: &str, resource: &str) -> Reply {
    Reply::json(
        403,
        json!({"type": "permissions_denied", "message": "insufficient permissions",
               "details": [{"action": action, "resource": resource}]}),
    )
}

pub(crate) fn denied_authentication() -> Reply {
    Reply::json(
        401,
        json!({"type": "denied_authentication", "message": "authentication is denied",
               "method": "api_key", "reason": "invalid_argument"}),
    )
}

pub(crate) fn not_implemented(module: &str, op: &str) -> Reply {
    Reply::json(
        501,
        json!({"type": "not_implemented",
               "message": format!("{module} {op} is not implemented by the simulator")}),
    )
}

pub(crate) fn transient_state(resource: &str, id: &str, state: &str) -> Reply {
    Reply::json(
        409,
        json!({"type": "transient_state", "message": "resource is in a transient state",
               "resource": resource, "resource_id": id, "current_state": state}),
    )
}

pub(crate) fn server_error(module: &str, status: u16) -> Reply {
    // A 429 comes from the rate limiter in front of every API, so its shape never depends on the
    // API behind it; only VPC's own 5xx answers have their terser body.
    let body = match (module, status) {
        (_, 429) => return rate_limited(),
        ("vpc_v2", s) if s >= 500 => json!({"message": "internal error"}),
        (_, 503) => json!({"type": "service_unavailable", "message": "Service Unavailable"}),
        (_, s) if s >= 500 => json!({"type": "internal_server_error", "message": "Internal error"}),
        (_, _) => json!({"type": "invalid_request_error", "message": "injected fault"}),
    };
    Reply::json(status, body)
}

pub(crate) fn rate_limited() -> Reply {
    Reply {
        status: 429,
        headers: vec![("x-envoy-ratelimited", "true".into())],
        body: Body::Nothing,
    }
}

/// Page and size asked for, for the Instance style (`page`, `per_page`: default 50, 100 for
/// `/volumes` as the API's Link headers show; max 100).
pub(crate) fn instance_page(req: &Req) -> Result<(usize, usize), Reply> {
    let page = parse_num(req, "page", 1)?;
    let default = if req.op.id == "ListVolumes" { 100 } else { 50 };
    let per_page = parse_num(req, "per_page", default)?;
    if per_page == 0 || per_page > 100 {
        return Err(constraint("per_page", "per_page must be between 1 and 100"));
    }
    if page == 0 {
        return Err(constraint("page", "page must be at least 1"));
    }
    Ok((page, per_page))
}

/// Page and size asked for, for the other APIs (`page`, `page_size`: default 50, max 100).
pub(crate) fn standard_page(req: &Req) -> Result<(usize, usize), Reply> {
    let page = parse_num(req, "page", 1)?;
    let size = parse_num(req, "page_size", 50)?;
    if size == 0 || size > 100 {
        return Err(constraint("page_size", "page_size must be between 1 and 100"));
    }
    if page == 0 {
        return Err(constraint("page", "page must be at least 1"));
    }
    Ok((page, size))
}

fn parse_num(req: &Req, name: &str, default: usize) -> Result<usize, Reply> {
    match req.q(name) {
        None => Ok(default),
        Some(v) => v
            .parse()
            .map_err(|_| constraint(name, format!("{name} must be a positive integer"))),
    }
}

pub(crate) fn slice_page<T: Clone>(items: &[T], page: usize, size: usize) -> Vec<T> {
    items.iter().skip((page - 1) * size).take(size).cloned().collect()
}

/// An Instance list answer: the page of `items` under `key`, each rendered with `render` (only
/// the page is rendered), with the `X-Total-Count` and `Link` headers.
pub(crate) fn instance_list<T>(
    req: &Req,
    key: &str,
    items: &[T],
    (page, size): (usize, usize),
    render: impl Fn(&T) -> Value,
) -> Reply {
    let rendered: Vec<Value> = items
        .iter()
        .skip((page - 1) * size)
        .take(size)
        .map(render)
        .collect();
    instance_list_headers(req, Reply::ok(json!({ key: rendered })), items.len(), page, size)
}

/// `X-Total-Count` and `Link` of an Instance list; the Link path is relative to the zone and keeps
/// the other query parameters.
pub(crate) fn instance_list_headers(
    req: &Req,
    reply: Reply,
    total: usize,
    page: usize,
    size: usize,
) -> Reply {
    let zone_prefix = format!("/instance/v1/zones/{}", req.param("zone"));
    let relative = req
        .path
        .strip_prefix(&zone_prefix)
        .unwrap_or(&req.path)
        .to_string();
    let others: Vec<&(String, String)> = req
        .query
        .iter()
        .filter(|(k, _)| k != "page" && k != "per_page")
        .collect();
    let others = serde_urlencoded::to_string(others).unwrap_or_default();
    let last = total.div_ceil(size);
    let link = |p: usize, rel: &str| format!("<{relative}?page={p}&per_page={size}&{others}>; rel=\"{rel}\"");
    let mut links = Vec::new();
    if page > 1 {
        links.push(link(1, "first"));
        links.push(link(page - 1, "previous"));
    }
    if page < last {
        links.push(link(page + 1, "next"));
    }
    links.push(link(last, "last"));
    reply
        .header("x-total-count", total.to_string())
        .header("link", links.join(","))
}

/// Name filters are substring matches.
/// The `project_id` and `organization_id` filters of a list, read once before the listing (read
/// inside its filter, they would go unread on an empty store). Instance's lists name them
/// `project` and `organization` and compare each resource's own `organization` (a public image's
/// is not the account's), so they read them themselves.
pub(crate) struct OwnerFilter<'r> {
    project: Option<&'r str>,
    organization: Option<&'r str>,
}

impl<'r> OwnerFilter<'r> {
    /// The filters `req` asks for.
    pub(crate) fn of(req: &'r Req) -> Self {
        OwnerFilter {
            project: req.q("project_id"),
            organization: req.q("organization_id"),
        }
    }

    /// Whether a resource of `project` passes (every project of the simulator belongs to its
    /// one organization).
    pub(crate) fn matches(&self, st: &Store, project: &str) -> bool {
        self.project.is_none_or(|p| p == project)
            && self
                .organization
                .is_none_or(|o| o == st.organization && st.project_known(project))
    }
}

pub(crate) fn name_matches(filter: Option<&str>, name: &str) -> bool {
    filter.is_none_or(|f| name.contains(f))
}

/// A tag filter matches when every listed tag is present.
pub(crate) fn tags_match(filter: &[String], tags: &[String]) -> bool {
    filter.iter().all(|t| tags.contains(t))
}

/// A string field of a JSON object, if it is a non-empty string.
pub(crate) fn s<'v>(v: &'v Value, key: &str) -> Option<&'v str> {
    v.get(key).and_then(Value::as_str).filter(|s| !s.is_empty())
}

/// String array field (null/missing → empty).
pub(crate) fn strings(v: &Value, key: &str) -> Vec<String> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
        .unwrap_or_default()
}

pub(crate) fn is_uuid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

/// A list answer of the non-Instance APIs: `{"<key>": [...], "total_count": N}`.
pub(crate) fn paged(req: &Req, key: &str, items: Vec<Value>) -> Res {
    let (page, size) = standard_page(req)?;
    let total = items.len();
    Ok(Reply::ok(
        json!({key: slice_page(&items, page, size), "total_count": total}),
    ))
}

/// The project of a create: `key` (`project`), else `organization` (legacy), else the default;
/// unknown projects are refused as the API does for a project the key cannot reach. The legacy
/// `organization` names the organization, whose resources go to its default project.
pub(crate) fn project_of(st: &Store, body: &Value, key: &str, resource: &str) -> Result<String, Reply> {
    let project = match (s(body, key), s(body, "organization")) {
        (Some(project), _) => project,
        (None, Some(org)) if org == st.organization => &st.default_project,
        (None, Some(org)) => org,
        (None, None) => &st.default_project,
    }
    .to_string();
    if !st.project_known(&project) {
        return Err(permissions_denied("write", resource));
    }
    Ok(project)
}

// ---------------------------------------------------------------------------------------------
// Zones

/// The request's `zone`, refused unless it is one of `zones` (the API's).
pub(crate) fn zone_among<'r>(req: &'r Req, zones: &[&str]) -> Result<&'r str, Reply> {
    let zone = req.param("zone");
    if zones.contains(&zone) {
        Ok(zone)
    } else {
        Err(constraint("zone", format!("unknown zone {zone}")))
    }
}
