//! The client every call goes through: one HTTP connection pool, the secret key, timeouts, the
//! retry policy and a tracing span per request, shared by all generated API clients.

use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};

#[allow(unused_imports)] // `api` names the generated modules, which the features may all leave out
use crate::api::{self, ClientContext};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// The value of the `User-Agent` header: this crate and its version.
pub const USER_AGENT: &str = concat!("scaleway-client-rust/", env!("CARGO_PKG_VERSION"));

/// A configured connection to the Scaleway API.
///
/// It speaks HTTPS with rustls and the `ring` crypto provider (TLS 1.2 and 1.3), and checks the
/// API's certificate, hostname included, against the roots this machine trusts.
///
/// Cheap to clone: clones share the connection pool and the request counter. The generated
/// clients it hands out ([`Client::instance`], [`Client::vpc`], ...) send every request through
/// the same retry policy and tracing.
///
/// ```no_run
/// # async fn example() -> Result<(), scaleway_client::Error> {
/// use scaleway_client::{Client, Config};
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
        let http = http_client_builder()?
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

/// A `reqwest` client builder that speaks this crate's TLS (see [`Client`]): what to start from
/// to build a `reqwest::Client` by hand, e.g. for a generated client made with
/// `new_with_client`.
///
/// This crate enables reqwest's rustls support without a process-wide crypto provider, and hands
/// its own (`ring`) to every client it builds. A `reqwest::Client::new()` elsewhere in the program
/// needs a provider of its own: one installed with `CryptoProvider::install_default`, or
/// reqwest's `rustls` feature (its `aws-lc-rs` default) enabled by the program.
///
/// ```
/// let http = scaleway_client::http_client_builder()?.build()?;
/// # let _ = http;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn http_client_builder() -> Result<reqwest::ClientBuilder> {
    let tls = crate::tls::client_config().map_err(|source| Error::Tls { source })?;
    Ok(reqwest::Client::builder().tls_backend_preconfigured(tls))
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
