//! The harness of the wire tests of the provider and of the Scaleway layer: one httpmock server
//! per test, mocks that answer only the exact request they describe, a log of every request
//! received, and a catch-all that answers 418 to anything unexpected (so a stray request fails
//! the workflow instead of getting httpmock's 404, which the provider would read as "already
//! gone").

use std::sync::{Arc, Mutex};
use std::time::Duration;

use httpmock::prelude::*;
use httpmock::{HttpMockRequest, Mock};
use scaleway_client::provider::scaleway::{ScalewayOptions, ScalewayProvider};
use scaleway_client::resources::{Options, Scaleway};
use scaleway_client::wait::WaitOptions;
use scaleway_client::{Client, RetryPolicy, Zone};
use serde_json::{Value, json};

pub use super::reference::fixture_body;
pub use super::{PROJECT, SECRET};

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Seen {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub content_type: Option<String>,
    pub body: String,
}

impl Seen {
    /// `METHOD /path`.
    pub fn line(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

type Predicate = Arc<dyn Fn(&HttpMockRequest) -> bool + Send + Sync>;
type BodyPredicate = Arc<dyn Fn(&Value) -> bool + Send + Sync>;
type QueryPredicate = Arc<dyn Fn(&[(String, String)]) -> bool + Send + Sync>;

pub struct Api {
    pub server: MockServer,
    log: Arc<Mutex<Vec<Seen>>>,
    stray: Mutex<Option<usize>>,
}

impl Api {
    /// A mock server whose first mock records every request and matches none.
    pub async fn start() -> Api {
        let server = MockServer::start_async().await;
        let log = Arc::new(Mutex::new(Vec::new()));
        let tap = log.clone();
        server
            .mock_async(move |when, then| {
                when.is_true(move |req: &HttpMockRequest| {
                    let content_type = req
                        .headers()
                        .get("content-type")
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_string);
                    tap.lock().unwrap().push(Seen {
                        method: req.method().to_string(),
                        path: req.uri().path().to_string(),
                        query: req.query_params(),
                        content_type,
                        body: req.body_string(),
                    });
                    false
                });
                then.status(599);
            })
            .await;
        Api {
            server,
            log,
            stray: Mutex::new(None),
        }
    }

    /// The runtime client: the secret key, the project, the mock server, no retries.
    pub fn client(&self, zone: &str) -> Client {
        let config = super::mock_config(self.server.base_url())
            .project_id(PROJECT)
            .zone(zone.parse::<Zone>().unwrap());
        super::client(config, RetryPolicy::none())
    }

    /// The provider in fr-par-1, with instant waits.
    pub fn provider(&self) -> ScalewayProvider {
        self.provider_in("fr-par-1")
    }

    pub fn provider_in(&self, zone: &str) -> ScalewayProvider {
        ScalewayProvider::with_options(self.client(zone), fast_options()).unwrap()
    }

    /// The Scaleway layer in fr-par-1, with instant waits (used by the `resources` binary).
    pub fn scaleway(&self) -> Scaleway {
        self.scaleway_in("fr-par-1")
    }

    /// The Scaleway layer in `zone`, with instant waits (used by the `resources` binary).
    pub fn scaleway_in(&self, zone: &str) -> Scaleway {
        Scaleway::with_options(self.client(zone), fast_layer_options())
    }

    /// Starts describing a request the server must answer.
    pub fn on(&self, method: httpmock::Method, path: impl Into<String>) -> Expect<'_> {
        Expect {
            api: self,
            method,
            path: path.into(),
            query: Some(Vec::new()),
            query_pred: None,
            json: None,
            json_pred: None,
            text: None,
            status: 200,
            reply: None,
            reply_text: None,
            headers: Vec::new(),
            times: None,
        }
    }

    /// Installs the catch-all: call after the last mock of the test.
    pub async fn seal(&self) {
        let mock = self
            .server
            .mock_async(|when, then| {
                when.any_request();
                then.status(418)
                    .header("content-type", "application/json")
                    .json_body(json!({"type": "unexpected", "message": "no mock for this request"}));
            })
            .await;
        *self.stray.lock().unwrap() = Some(mock.id());
    }

    /// Every request received, in order.
    pub fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    /// `METHOD /path` of every request received, in order.
    pub fn lines(&self) -> Vec<String> {
        self.seen().iter().map(Seen::line).collect()
    }

    /// No request reached the catch-all.
    pub async fn finish(&self) {
        let id = self.stray.lock().unwrap().expect("seal() was not called");
        let stray = Mock::new(id, &self.server).calls_async().await;
        assert_eq!(stray, 0, "unexpected requests; all requests: {:#?}", self.seen());
    }

    /// No request at all reached the server.
    pub fn assert_silent(&self) {
        assert!(self.seen().is_empty(), "requests were made: {:#?}", self.seen());
    }
}

/// A request to mock.
pub struct Expect<'a> {
    api: &'a Api,
    method: httpmock::Method,
    path: String,
    /// `None`: any query; `Some`: exactly these pairs, in any order.
    query: Option<Vec<(String, String)>>,
    query_pred: Option<QueryPredicate>,
    json: Option<Value>,
    json_pred: Option<BodyPredicate>,
    text: Option<String>,
    status: u16,
    reply: Option<Value>,
    reply_text: Option<String>,
    headers: Vec<(String, String)>,
    times: Option<usize>,
}

impl<'a> Expect<'a> {
    /// Exactly this query (any order).
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.query = Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        );
        self
    }

    /// A query (its decoded pairs) for which `pred` holds.
    pub fn query_where(mut self, pred: impl Fn(&[(String, String)]) -> bool + Send + Sync + 'static) -> Self {
        self.query = None;
        self.query_pred = Some(Arc::new(pred));
        self
    }

    /// Any query.
    pub fn any_query(mut self) -> Self {
        self.query = None;
        self
    }

    /// An `application/json` body equal to this one.
    pub fn json(mut self, body: Value) -> Self {
        self.json = Some(body);
        self
    }

    /// An `application/json` body for which `pred` holds.
    pub fn json_where(mut self, pred: impl Fn(&Value) -> bool + Send + Sync + 'static) -> Self {
        self.json_pred = Some(Arc::new(pred));
        self
    }

    /// A `text/plain` body, byte for byte.
    pub fn text(mut self, body: impl Into<String>) -> Self {
        self.text = Some(body.into());
        self
    }

    /// Answer with this status and JSON body.
    pub fn reply(mut self, status: u16, body: Value) -> Self {
        self.status = status;
        self.reply = Some(body);
        self
    }

    /// Answer with this status and a `text/plain` body, as user data values are answered.
    pub fn reply_text(mut self, status: u16, body: impl Into<String>) -> Self {
        self.status = status;
        self.reply = None;
        self.reply_text = Some(body.into());
        self
    }

    /// Answer with this status and an empty body.
    pub fn status(mut self, status: u16) -> Self {
        self.status = status;
        self.reply = None;
        self
    }

    /// Answer a Scaleway `not_found` for this resource.
    pub fn not_found(self, resource: &str, id: &str) -> Self {
        self.reply(
            404,
            json!({"type": "not_found", "message": "resource is not found", "resource": resource, "resource_id": id}),
        )
    }

    /// An Instance list answer: `X-Total-Count`.
    pub fn total(mut self, total: u64) -> Self {
        self.headers.push(("x-total-count".into(), total.to_string()));
        self
    }

    /// Answer only the first `n` matching requests.
    pub fn times(mut self, n: usize) -> Self {
        self.times = Some(n);
        self
    }

    pub async fn mount(self) -> Mock<'a> {
        // Longer than a screen on purpose: one translation of every option of a mock to httpmock,
        // in one place.
        let Expect {
            api,
            method,
            path,
            query,
            query_pred,
            json,
            json_pred,
            text,
            status,
            reply,
            reply_text,
            headers,
            times,
        } = self;
        let json_content = json.is_some() || json_pred.is_some();
        // As recorded: user_data answers are `text/plain`, every other one JSON.
        let reply_type = if text.is_some() || reply_text.is_some() {
            "text/plain"
        } else {
            "application/json"
        };
        let mut predicates: Vec<Predicate> = Vec::new();
        if let Some(expected) = query {
            let mut expected = expected;
            expected.sort();
            predicates.push(Arc::new(move |req| {
                let mut got = req.query_params();
                got.sort();
                got == expected
            }));
        }
        if let Some(pred) = query_pred {
            predicates.push(Arc::new(move |req| pred(&req.query_params())));
        }
        if let Some(pred) = json_pred {
            predicates.push(Arc::new(move |req| {
                serde_json::from_slice::<Value>(req.body_ref()).is_ok_and(|v| pred(&v))
            }));
        }
        api.server
            .mock_async(move |when, then| {
                let mut when = when.method(method).path(path).header("x-auth-token", SECRET);
                for pred in predicates {
                    when = when.is_true(move |req| pred(req));
                }
                if json_content {
                    when = when.header("content-type", "application/json");
                }
                if let Some(body) = json {
                    when = when.json_body(body);
                }
                if let Some(body) = text {
                    when = when.header("content-type", "text/plain").body(body);
                }
                let _ = when;
                let mut then = then.status(status);
                for (name, value) in headers {
                    then = then.header(name, value);
                }
                then = then.header("content-type", reply_type);
                if let Some(body) = reply {
                    then = then.json_body(body);
                }
                if let Some(body) = reply_text {
                    then = then.body(body);
                }
                if let Some(n) = times {
                    then.up_to_n_times(n);
                }
            })
            .await
    }
}

/// Waits that end at once.
pub fn fast_options() -> ScalewayOptions {
    ScalewayOptions {
        wait: WaitOptions::default()
            .first_interval(Duration::from_millis(1))
            .max_interval(Duration::from_millis(5))
            .timeout(Duration::from_secs(5)),
        server_poll_interval: Duration::from_millis(1),
        create_lookup_delay: Duration::from_millis(1),
        ..Default::default()
    }
}

/// The layer's options with waits that end at once, as [`fast_options`] for the provider.
pub fn fast_layer_options() -> Options {
    let provider = fast_options();
    Options {
        wait: provider.wait,
        create_lookup_delay: provider.create_lookup_delay,
    }
}

// ---------------------------------------------------------------------------------------------
// Answer bodies: the fixtures (`tests/fixtures/traffic/`), renamed and put in the state a test
// needs.

/// How many commercial types `products/servers` lists here: more than one page of 100 (the page
/// size the layer asks for), as in a real zone.
pub const PRODUCT_COUNT: usize = 135;

/// `products/servers` served as two pages of 100 (the provider asks for `per_page=100`): the
/// fixture's commercial types, then copies of DEV1-S under numbered names (`DEV1-S-COPY-1`, ...)
/// to make up [`PRODUCT_COUNT`]; the tests check paging and the fixture's types, not the copies.
pub fn product_pages() -> (Value, Value) {
    let listed = fixture_body("list commercial types");
    let mut types: Vec<(String, Value)> = listed["servers"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(name, product)| (name.clone(), product.clone()))
        .collect();
    let dev1_s = listed["servers"]["DEV1-S"].clone();
    for n in 1..=PRODUCT_COUNT - types.len() {
        types.push((format!("DEV1-S-COPY-{n}"), dev1_s.clone()));
    }
    let second: serde_json::Map<String, Value> = types.split_off(100).into_iter().collect();
    let first: serde_json::Map<String, Value> = types.into_iter().collect();
    assert_eq!(first.len(), 100);
    (json!({"servers": first}), json!({"servers": second}))
}

/// Mocks the two pages of commercial types.
pub async fn mock_products<'a>(api: &'a Api, zone: &str) -> Mock<'a> {
    let (first, second) = product_pages();
    let path = format!("/instance/v1/zones/{zone}/products/servers");
    api.on(GET, &path)
        .query(&[("page", "2"), ("per_page", "100")])
        .total(PRODUCT_COUNT as u64)
        .reply(200, second)
        .mount()
        .await;
    api.on(GET, &path)
        .query(&[("page", "1"), ("per_page", "100")])
        .total(PRODUCT_COUNT as u64)
        .reply(200, first)
        .mount()
        .await
}

/// A server (DEV1-S, sbs root), renamed and put in a state.
pub fn server(id: &str, name: &str, state: &str) -> Value {
    let mut body = fixture_body("get a running server")["server"].clone();
    body["id"] = json!(id);
    body["name"] = json!(name);
    body["hostname"] = json!(name);
    body["project"] = json!(PROJECT);
    body["state"] = json!(state);
    body["state_detail"] = json!(match state {
        "running" => "booting kernel",
        "starting" => "allocating node",
        "stopping" => "stopping",
        _ => "",
    });
    body["dns"] = json!(format!("{id}.pub.instances.scw.cloud"));
    body["tags"] = json!([]);
    body
}

/// The `volumes` map entry of an sbs volume.
pub fn sbs_entry(id: &str) -> Value {
    json!({"boot": false, "volume_type": "sbs_volume", "id": id, "state": "available", "zone": "fr-par-1"})
}

/// A Block v1 volume (sbs_5k, 10 GB), renamed, with a status and its server reference.
pub fn block_volume(id: &str, name: &str, status: &str, attached_to: Option<(&str, &str)>) -> Value {
    let mut body = fixture_body("get a root volume in use");
    body["id"] = json!(id);
    body["name"] = json!(name);
    body["project_id"] = json!(PROJECT);
    body["status"] = json!(status);
    body["references"] = match attached_to {
        Some((server_id, ref_status)) => json!([{
            "id": "0fbb0f65-da5a-4bc0-b46a-4691e3892457",
            "product_resource_type": "instance_server",
            "product_resource_id": server_id,
            "created_at": "2026-07-30T12:55:26.638621Z",
            "type": "exclusive",
            "status": ref_status,
        }]),
        None => json!([]),
    };
    body
}

/// A task answer to a server action.
pub fn task(server_id: &str) -> Value {
    let mut body = fixture_body("power a server on");
    body["task"]["href_from"] = json!(format!("/servers/{server_id}/action"));
    body["task"]["href_result"] = json!(format!("/servers/{server_id}"));
    body
}

/// A private NIC, in a state.
pub fn private_nic(id: &str, server_id: &str, network_id: &str, state: &str) -> Value {
    let mut nic = fixture_body("create a private NIC")["private_nic"].clone();
    nic["id"] = json!(id);
    nic["server_id"] = json!(server_id);
    nic["private_network_id"] = json!(network_id);
    nic["state"] = json!(state);
    nic["tags"] = json!([]);
    nic
}

/// An IPAM listing of one private NIC's addresses (an IPv6 and an IPv4), for `nic_id`.
pub fn nic_addresses(nic_id: &str, ipv4: &str, ipv6: &str) -> Value {
    let mut body = fixture_body("a private NIC's addresses");
    for ip in body["ips"].as_array_mut().unwrap() {
        ip["resource"]["id"] = json!(nic_id);
        ip["address"] = json!(if ip["is_ipv6"] == json!(true) { ipv6 } else { ipv4 });
    }
    body
}

/// A private network (VPC v2), renamed.
pub fn private_network(id: &str, name: &str, region: &str) -> Value {
    let mut body = fixture_body("create a private network");
    body["id"] = json!(id);
    body["name"] = json!(name);
    body["project_id"] = json!(PROJECT);
    body["region"] = json!(region);
    for subnet in body["subnets"].as_array_mut().unwrap() {
        subnet["private_network_id"] = json!(id);
        subnet["project_id"] = json!(PROJECT);
        subnet["region"] = json!(region);
    }
    body
}

/// A security group, renamed, with the provider's policies.
pub fn security_group(id: &str, name: &str, servers: Value) -> Value {
    let mut group = fixture_body("create a security group")["security_group"].clone();
    group["id"] = json!(id);
    group["name"] = json!(name);
    group["description"] = Value::Null;
    group["project"] = json!(PROJECT);
    group["inbound_default_policy"] = json!("drop");
    group["outbound_default_policy"] = json!("accept");
    group["servers"] = servers;
    group
}

/// The create-token tag of a create request body, if exactly one is there.
pub fn token_of(body: &Value) -> Option<String> {
    let tokens: Vec<&str> = body["tags"]
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .filter(|t| t.starts_with("scaleway-client-create="))
        .collect();
    match tokens.as_slice() {
        [one] if uuid::Uuid::try_parse(&one["scaleway-client-create=".len()..]).is_ok() => {
            Some(one.to_string())
        }
        _ => None,
    }
}

/// The body without its create-token tag.
pub fn without_token(body: &Value) -> Value {
    let mut body = body.clone();
    if let Some(tags) = body["tags"].as_array_mut() {
        tags.retain(|t| {
            !t.as_str()
                .is_some_and(|t| t.starts_with("scaleway-client-create="))
        });
    }
    body
}
