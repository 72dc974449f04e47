//! The client every call goes through: one HTTP connection pool, the secret key, timeouts, the
//! retry policy and a tracing span per request, shared by all generated API clients.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderValue};
use tracing::Instrument;

use crate::api;
use crate::config::Config;
use crate::error::{Error, Result, UndecodableAnswer, canonical_error_body, payload_mismatch};
use crate::retry::{self, Failure, RetryPolicy};

/// The value of the `User-Agent` header: this crate and its version.
pub const USER_AGENT: &str = concat!("scaleway-sdk-rust/", env!("CARGO_PKG_VERSION"));

/// A configured connection to the Scaleway API.
///
/// Cheap to clone: clones share the connection pool and the request counter. The generated
/// clients it hands out ([`Client::instance`], [`Client::vpc`], ...) send every request through
/// the same retry policy and tracing.
///
/// ```no_run
/// # async fn example() -> Result<(), scaleway_sdk::Error> {
/// use scaleway_sdk::{Client, Config};
///
/// let client = Client::new(Config::infer()?)?;
/// let servers = client.instance().list_servers().zone(client.config().zone()).send().await?;
/// println!("{} servers", servers.servers.len());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct Client {
    config: Arc<Config>,
    http: reqwest::Client,
    context: ClientContext,
}

/// Options of a [`Client`].
#[derive(Debug)]
pub struct ClientBuilder {
    config: Config,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
}

/// What the generated clients carry to reach the runtime: the retry policy and the request and
/// retry counters. It is the generated clients' "inner" value; get one from [`Client::context`].
#[derive(Clone, Debug)]
pub struct ClientContext {
    retry: RetryPolicy,
    requests: Arc<AtomicU64>,
    retries: Arc<AtomicU64>,
}

impl ClientBuilder {
    /// Time allowed to establish a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Time allowed for one attempt of a request, from sending to the end of the answer
    /// (default 60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How failed requests are retried (default [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Appends a product token to the `User-Agent` header, e.g. `my-tool/1.2`.
    pub fn user_agent_suffix(mut self, suffix: &str) -> Self {
        self.user_agent = format!("{USER_AGENT} {suffix}");
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client> {
        let mut headers = HeaderMap::new();
        let mut token = HeaderValue::from_str(self.config.secret_key().expose())
            .map_err(|_| Error::invalid_input("secret key", "it cannot be sent in an HTTP header"))?;
        // Keeps the key out of reqwest's Debug output and marks it for HTTP/2 header compression
        // exclusion.
        token.set_sensitive(true);
        headers.insert("x-auth-token", token);
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .user_agent(self.user_agent)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .build()
            .map_err(|source| Error::Transport {
                may_have_been_applied: false,
                source,
            })?;
        Ok(Client {
            config: Arc::new(self.config),
            http,
            context: ClientContext::new(self.retry),
        })
    }
}

impl Client {
    /// A client with default options.
    pub fn new(config: Config) -> Result<Client> {
        Client::builder(config).build()
    }

    /// A client with options.
    pub fn builder(config: Config) -> ClientBuilder {
        ClientBuilder {
            config,
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            retry: RetryPolicy::default(),
            user_agent: USER_AGENT.to_string(),
        }
    }

    /// The configuration this client was built with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The API base URL (`https://api.scaleway.com` unless configured otherwise).
    pub fn base_url(&self) -> &str {
        self.config.api_url()
    }

    /// The underlying HTTP client, which sends the secret key with every request.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// The runtime context generated clients need, for building one by hand:
    /// `api::x::Client::new_with_client(client.base_url(), client.http().clone(), client.context().clone())`.
    pub fn context(&self) -> &ClientContext {
        &self.context
    }

    /// Requests sent so far by this client and its clones, retries included.
    pub fn request_count(&self) -> u64 {
        self.context.request_count()
    }

    /// Retries made so far by this client and its clones: attempts after the first of a
    /// request, made by the [`RetryPolicy`]. `request_count() - retry_count()` is the number of
    /// calls of the generated clients. A workflow that sends a request again itself (a create
    /// looked up then sent a second time) makes a new call, not a retry.
    pub fn retry_count(&self) -> u64 {
        self.context.retry_count()
    }

    /// The Instance v1 API (servers, volumes, security groups, IPs, private NICs, ...). Feature `instance_v1`.
    #[cfg(feature = "instance_v1")]
    pub fn instance(&self) -> api::instance_v1::Client {
        api::instance_v1::Client::new_with_client(self.base_url(), self.http.clone(), self.context.clone())
    }

    /// The VPC v2 API (VPCs, private networks). Feature `vpc_v2`.
    #[cfg(feature = "vpc_v2")]
    pub fn vpc(&self) -> api::vpc_v2::Client {
        api::vpc_v2::Client::new_with_client(self.base_url(), self.http.clone(), self.context.clone())
    }

    /// The IPAM v1 API (the private IPv4 and IPv6 addresses of private NICs and other resources). Feature `ipam_v1`.
    #[cfg(feature = "ipam_v1")]
    pub fn ipam(&self) -> api::ipam_v1::Client {
        api::ipam_v1::Client::new_with_client(self.base_url(), self.http.clone(), self.context.clone())
    }

    /// The Block Storage v1 API (the current one). Feature `block_v1`.
    #[cfg(feature = "block_v1")]
    pub fn block(&self) -> api::block_v1::Client {
        api::block_v1::Client::new_with_client(self.base_url(), self.http.clone(), self.context.clone())
    }

    /// The Block Storage v1alpha1 API (the one the `scw` CLI still calls). Feature `block_v1alpha1`.
    #[cfg(feature = "block_v1alpha1")]
    pub fn block_v1alpha1(&self) -> api::block_v1alpha1::Client {
        api::block_v1alpha1::Client::new_with_client(self.base_url(), self.http.clone(), self.context.clone())
    }

    /// The Account v3 API (projects). Feature `account_v3`.
    #[cfg(feature = "account_v3")]
    pub fn account(&self) -> api::account_v3::Client {
        api::account_v3::Client::new_with_client(self.base_url(), self.http.clone(), self.context.clone())
    }

    /// The Marketplace v2 API (images and their local variants per zone). Feature `marketplace_v2`.
    #[cfg(feature = "marketplace_v2")]
    pub fn marketplace(&self) -> api::marketplace_v2::Client {
        api::marketplace_v2::Client::new_with_client(self.base_url(), self.http.clone(), self.context.clone())
    }
}

impl ClientContext {
    /// A context with its own request counter, for generated clients built without a [`Client`].
    pub fn new(retry: RetryPolicy) -> ClientContext {
        ClientContext {
            retry,
            requests: Arc::new(AtomicU64::new(0)),
            retries: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Requests sent through this context so far, retries included.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Retries made through this context so far (see [`Client::retry_count`]).
    pub fn retry_count(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Sends one request of a generated client: with retries, inside a tracing span, and with
    /// error answers normalized so that the generated code can always read them as a Scaleway
    /// error body (429 comes with an empty body; proxies may answer in HTML). A success body is
    /// checked against the operation's generated type (`check`) while its request id is at hand;
    /// one that does not match is marked for [`ClientContext::reject_undecodable`].
    #[doc(hidden)]
    pub async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
        check: api::CheckResponseBody,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::info_span!(
            "scaleway_request",
            operation,
            method = %request.method(),
            path = %request.url().path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        let started = Instant::now();
        let mut attempts = 0u32;
        let outcome = retry::send(http, request, &self.retry, operation, || {
            attempts += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            if attempts > 1 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
        })
        .instrument(span.clone())
        .await;
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        span.record("attempts", attempts);
        let (status, headers) = match &outcome {
            Ok(response) => (Some(response.status()), Some(response.headers())),
            Err(Failure::Answer { status, headers, .. }) => (Some(*status), Some(headers)),
            Err(Failure::Transport(_)) => (None, None),
        };
        if let Some(status) = status {
            span.record("status", status.as_u16());
        }
        if let Some(id) = headers
            .and_then(|h| h.get("x-request-id"))
            .and_then(|v| v.to_str().ok())
        {
            span.record("request_id", tracing::field::display(id));
        }
        span.in_scope(|| tracing::debug!("Scaleway request finished"));
        match outcome {
            Ok(response) => checked_success(response, operation, check).instrument(span).await,
            Err(Failure::Transport(e)) => Err(e),
            Err(Failure::Answer {
                status,
                headers,
                body,
            }) => Ok(error_answer(status, headers, body)),
        }
    }
}

impl ClientContext {
    /// The generated clients' `post` hook: a success answer that [`ClientContext::execute`] found
    /// not to match the spec becomes an error here, before the generated code decodes it and
    /// the answer's request id is lost. [`Error::from`] reads it back as [`Error::Decode`].
    #[doc(hidden)]
    #[allow(clippy::result_large_err)] // the error type is the one progenitor's hook returns
    pub fn reject_undecodable<E>(
        result: &reqwest::Result<reqwest::Response>,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        match result
            .as_ref()
            .ok()
            .and_then(|r| r.extensions().get::<UndecodableAnswer>())
        {
            Some(answer) => Err(progenitor_client::Error::Custom(answer.encode())),
            None => Ok(()),
        }
    }
}

/// Reads a success answer's body and checks it against the operation's generated type; the
/// answer is rebuilt with the same status, headers and body, marked when the body does not match.
async fn checked_success(
    response: reqwest::Response,
    operation: &'static str,
    check: api::CheckResponseBody,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    let mismatch = match check(operation, &body) {
        Some(Err(e)) => Some(payload_mismatch(&body, &e)),
        _ => None,
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    if let Some(message) = mismatch {
        let request_id = rebuilt
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        tracing::warn!(
            operation,
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or(""),
            %message,
            "a success answer does not match the spec"
        );
        rebuilt.extensions_mut().insert(UndecodableAnswer {
            status: status.as_u16(),
            request_id,
            message,
        });
    }
    Ok(reqwest::Response::from(rebuilt))
}

/// Rebuilds an error answer whose body was read, with a body the generated code can always parse
/// as a Scaleway error: a JSON object is made to fit the error schema ([`canonical_error_body`]:
/// a field of an unexpected type must not turn the whole answer into an undecodable one, without
/// its status and request id); anything else becomes `{"message": <text>}`, or `{}` when empty.
fn error_answer(
    status: reqwest::StatusCode,
    mut headers: HeaderMap,
    body: bytes::Bytes,
) -> reqwest::Response {
    let value = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(mut object)) => {
            canonical_error_body(&mut object);
            serde_json::Value::Object(object)
        }
        _ => {
            let text = String::from_utf8_lossy(&body).trim().to_string();
            if text.is_empty() {
                serde_json::json!({})
            } else {
                serde_json::json!({ "message": text })
            }
        }
    };
    let body = serde_json::to_vec(&value).unwrap_or_default();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.remove(reqwest::header::CONTENT_LENGTH);
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    reqwest::Response::from(response)
}
