//! The HTTP side: accept loop, authentication, faults, routing through the spec operation tables.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};

use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, Request, StatusCode};
use http_body_util::BodyExt;
use serde_json::json;
use tower::ServiceExt;

use crate::faults::{Activity, Fault, FaultPlan};
use crate::http::{Body, Ctx, Handler, Reply, Req, Routes};
use crate::store::{Credentials, Inventory, Store};
use crate::{account, block, http as h, instance, ipam, marketplace, vpc};
use scaleway_client::api::{ApiModule, MODULES, Operation};

#[derive(Debug)]
pub(crate) struct Shared {
    pub credentials: Credentials,
    pub time_scale: f64,
    pub store: Mutex<Store>,
    pub faults: Mutex<FaultPlan>,
    pub activity: Mutex<Activity>,
}

impl Shared {
    pub fn activity(&self) -> std::sync::MutexGuard<'_, Activity> {
        self.activity.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn lock(&self) -> std::sync::MutexGuard<'_, Store> {
        self.store.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn inventory(&self) -> Inventory {
        let mut store = self.lock();
        store.tick(tokio::time::Instant::now());
        store.inventory()
    }
}

/// The operation a request was matched to, passed from the connection service to the router.
#[derive(Clone, Copy)]
struct Matched {
    module: &'static ApiModule,
    op: &'static Operation,
}

const RESERVED: &str = "/__simulator/";

pub(crate) async fn serve(
    listener: tokio::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: tokio::sync::oneshot::Receiver<()>,
) {
    let router = axum::Router::new()
        .route("/__simulator/inventory", get(inventory))
        .route("/__simulator/counts", get(counts))
        .route("/__simulator/created", get(created))
        .route(
            "/__simulator/faults",
            get(get_faults).post(set_faults).delete(clear_faults),
        )
        .fallback(api)
        .with_state(shared.clone());
    let mut connections = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let shared = shared.clone();
                let service = hyper::service::service_fn(move |request: Request<hyper::body::Incoming>| {
                    let router = router.clone();
                    let shared = shared.clone();
                    async move { front(shared, router, request).await }
                });
                connections.spawn(async move {
                    let io = hyper_util::rt::TokioIo::new(stream);
                    let _ = hyper::server::conn::http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(io, service)
                        .await;
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
}

/// Authentication, then faults, then the router. A `Reset` fault answers with an error, which
/// makes hyper close the connection without writing a response.
async fn front(
    shared: Arc<Shared>,
    router: axum::Router,
    request: Request<hyper::body::Incoming>,
) -> Result<Response, std::io::Error> {
    let mut request = request.map(AxumBody::new);
    let path = request.uri().path().to_string();
    if !path.starts_with(RESERVED) {
        shared.activity().counts.requests += 1;
        let token = request
            .headers()
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok());
        if token != Some(shared.credentials.secret_key.as_str()) {
            return Ok(to_response(h::denied_authentication()));
        }
        let method = request.method().as_str();
        let matched = MODULES.iter().find_map(|m| {
            m.find_operation(method, &path)
                .map(|op| Matched { module: m, op })
        });
        let Some(matched) = matched else {
            return Ok(to_response(h::not_found("unknown", "")));
        };
        let (latency, fault) = shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take(matched.module.name, matched.op.id);
        let user_agent = request
            .headers()
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        shared.activity().record(
            matched.module.name,
            matched.op.id,
            (request.method().as_str(), &path, user_agent),
            latency,
            fault,
        );
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let mut reset_after_apply = false;
        match fault {
            None | Some(Fault::Latency(_)) => {}
            Some(Fault::Reset) => return Err(std::io::Error::other("simulated connection reset")),
            Some(Fault::ResetAfterApply) => reset_after_apply = true,
            Some(Fault::RateLimit) => return Ok(to_response(h::rate_limited())),
            Some(Fault::Status(status)) => {
                return Ok(to_response(h::server_error(matched.module.name, status)));
            }
            Some(Fault::TransientState) => {
                let params = matched.op.path_parameters(&path).unwrap_or_default();
                let id = params
                    .iter()
                    .rev()
                    .find(|(name, _)| *name != "zone" && *name != "region")
                    .map(|(_, v)| v.to_string())
                    .unwrap_or_default();
                let resource = resource_name(matched.module.name, matched.op.path);
                return Ok(to_response(h::transient_state(&resource, &id, "starting")));
            }
        }
        request.extensions_mut().insert(matched);
        if reset_after_apply {
            let Ok(_applied) = router.oneshot(request).await;
            return Err(std::io::Error::other(
                "simulated connection reset after applying the request",
            ));
        }
    }
    match router.oneshot(request).await {
        Ok(response) => Ok(response),
        Err(never) => match never {},
    }
}

/// A guess of the API's resource name for the last `{id}` of a path (for `transient_state`).
fn resource_name(module: &str, template: &str) -> String {
    let segments: Vec<&str> = template.split('/').collect();
    let collection = segments
        .iter()
        .enumerate()
        .rev()
        .find(|(i, s)| s.starts_with('{') && *i > 0 && !matches!(**s, "{zone}" | "{region}"))
        .map(|(i, _)| segments[i - 1])
        .unwrap_or("resource");
    let singular = collection.trim_end_matches('s').replace('-', "_");
    if module == "instance_v1" {
        format!("instance_{singular}")
    } else {
        singular
    }
}

async fn api(State(shared): State<Arc<Shared>>, request: Request<AxumBody>) -> Response {
    let Some(matched) = request.extensions().get::<Matched>().copied() else {
        return to_response(h::not_found("unknown", ""));
    };
    let path = request.uri().path().to_string();
    let raw_query = request.uri().query().unwrap_or_default();
    let query: Vec<(String, String)> = serde_urlencoded::from_str(raw_query).unwrap_or_default();
    let params: HashMap<&'static str, String> = matched
        .op
        .path_parameters(&path)
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    let body = match request.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return to_response(h::invalid_request("could not read the body")),
    };
    let req = Req::new(matched.module.name, matched.op, path, params, query, body);
    let reply = {
        let ctx = Ctx {
            scale: shared.time_scale,
            now: tokio::time::Instant::now(),
        };
        let mut store = shared.lock();
        store.tick(ctx.now);
        let result = match handler(matched.module.name, matched.op.id) {
            Some(handler) => handler(&mut store, &ctx, &req),
            None => Err(h::not_implemented(req.module, req.op.id)),
        };
        match result {
            Ok(r) | Err(r) => r,
        }
    };
    shared
        .activity()
        .record_ignored_query(matched.module.name, matched.op.id, req.ignored_query());
    checked_response(matched.module, matched.op, reply)
}

/// Each API's dispatch tables (one per resource), by module name.
fn routes(module: &str) -> &'static [Routes] {
    match module {
        "instance_v1" => instance::OPERATIONS,
        "block_v1" | "block_v1alpha1" => block::OPERATIONS,
        "vpc_v2" => vpc::OPERATIONS,
        "ipam_v1" => ipam::OPERATIONS,
        "account_v3" => account::OPERATIONS,
        "marketplace_v2" => marketplace::OPERATIONS,
        _ => &[],
    }
}

/// The handler of one operation of one module, if the simulator serves it.
fn handler(module: &str, operation: &str) -> Option<Handler> {
    routes(module)
        .iter()
        .flat_map(|table| table.iter())
        .find(|(id, _)| *id == operation)
        .map(|(_, handler)| *handler)
}

/// Serializes an answer; a 2xx JSON body must deserialize with the operation's generated type.
fn checked_response(module: &ApiModule, op: &Operation, reply: Reply) -> Response {
    if let Body::Json(value) = &reply.body
        && (200..300).contains(&reply.status)
    {
        let bytes = match serde_json::to_vec(value) {
            Ok(b) => b,
            Err(e) => return to_response(simulator_error(op, &e.to_string())),
        };
        if let Some(Err(e)) = (module.check_response_body)(op.id, &bytes) {
            return to_response(simulator_error(op, &e.to_string()));
        }
        let mut response = Response::new(AxumBody::from(bytes));
        finish(&mut response, reply.status, reply.headers, "application/json");
        return response;
    }
    to_response(reply)
}

fn simulator_error(op: &Operation, message: &str) -> Reply {
    Reply::json(
        500,
        json!({"type": "simulator_error",
               "message": format!("the simulator's answer to {} does not match the spec: {message}", op.id)}),
    )
}

fn finish(response: &mut Response, status: u16, headers: Vec<(&'static str, String)>, content_type: &str) {
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let map = response.headers_mut();
    if !content_type.is_empty() {
        map.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_str(content_type)
                .unwrap_or_else(|_| HeaderValue::from_static("application/json")),
        );
    }
    for (name, value) in headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            if name == "content-type" {
                map.insert(http::header::CONTENT_TYPE, value);
            } else {
                map.append(name, value);
            }
        }
    }
}

pub(crate) fn to_response(reply: Reply) -> Response {
    let (body, content_type) = match reply.body {
        Body::Json(v) => (
            AxumBody::from(serde_json::to_vec(&v).unwrap_or_default()),
            "application/json",
        ),
        Body::Text(t) => (AxumBody::from(t), "text/plain"),
        Body::Empty => (AxumBody::empty(), "application/json"),
        Body::Nothing => (AxumBody::empty(), ""),
    };
    let mut response = Response::new(body);
    finish(&mut response, reply.status, reply.headers, content_type);
    response
}

async fn inventory(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.inventory()).into_response()
}

async fn counts(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.activity().counts.clone()).into_response()
}

async fn created(State(shared): State<Arc<Shared>>) -> Response {
    axum::Json(shared.lock().created.clone()).into_response()
}

async fn get_faults(State(shared): State<Arc<Shared>>) -> Response {
    let plan = shared.faults.lock().unwrap_or_else(|e| e.into_inner()).clone();
    axum::Json(plan).into_response()
}

async fn set_faults(
    State(shared): State<Arc<Shared>>,
    body: axum::body::Bytes,
) -> Result<Response, Infallible> {
    match serde_json::from_slice::<FaultPlan>(&body) {
        Ok(plan) => {
            *shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = plan.clone();
            Ok(axum::Json(plan).into_response())
        }
        Err(e) => Ok(to_response(h::constraint("rules", e.to_string()))),
    }
}

async fn clear_faults(State(shared): State<Arc<Shared>>) -> Response {
    *shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = FaultPlan::default();
    to_response(Reply::no_content())
}
