//! A stateful, in-process simulator of the vendored Scaleway APIs (Instance v1, VPC v2, IPAM v1,
//! Block v1 and v1alpha1, Account v3, Marketplace v2), for tests and for running the quickstart
//! anywhere.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use scaleway_sim::{Simulator, SimulatorOptions};
//!
//! let sim = Simulator::start(SimulatorOptions { time_scale: 0.0, ..Default::default() }).await?;
//! let config = scaleway_client::Config::builder()
//!     .secret_key(sim.secret_key())
//!     .project_id(sim.project_id())
//!     .api_url(sim.base_url())
//!     .build()?;
//! let client = scaleway_client::Client::new(config)?;
//! let servers = client.instance().list_servers().zone("fr-par-1").send().await?;
//! assert!(servers.servers.is_empty());
//! assert!(sim.inventory().is_empty());
//! # Ok(())
//! # }
//! ```
//!
//! Routing goes through [`scaleway_client::api::MODULES`]: a request is matched to a spec operation, and
//! only the spec's routes exist. Every JSON body the simulator answers with is checked against the
//! generated response type of its operation (`check_response_body`) before it is sent, so the
//! simulator cannot drift from the specs: a body that the generated type does not accept becomes a
//! 500 `simulator_error`. Every operation of the vendored specs is served; one added to a spec
//! answers 501 `{"type":"not_implemented",...}` until it has a handler.
//!
//! State transitions (a server starting then booted, a volume being created, a Block volume
//! `attaching` for about a second and `detaching` or `updating` for a few, ...) are computed
//! lazily from the time of each step, scaled by [`SimulatorOptions::time_scale`]; there is no background task.
//! The durations of the transitions clients wait for are drawn, seeded by
//! [`SimulatorOptions::seed`], from distributions fitted to recorded traffic ([`timings`]);
//! [`Simulator::transitions`] lists them.
//! Reserved routes (no authentication, never faulted, not counted): `GET /__simulator/inventory`,
//! `GET|POST|DELETE /__simulator/faults`, `GET /__simulator/counts` (the
//! [`FaultCounts`]), `GET /__simulator/created` (the
//! [`CreationLog`]).
//!
//! Faults ([`FaultPlan`]) are rules for chosen operations, or a
//! seeded random storm on every request ([`FaultPlan::storm`]):
//! 429s in the rate limiter's shape, 503s in the API's, connections closed before or after
//! applying, latency. [`Simulator::fault_counts`]
//! counts what was served and injected, [`Simulator::fault_log`]
//! lists each fault with its request, and [`Simulator::created`]
//! lists every resource ever created, so that a test can prove that no duplicate existed even for
//! a moment.

mod account;
mod block;
mod catalog;
mod faults;
mod front_door;
mod http;
mod instance;
mod ipam;
mod marketplace;
mod store;
pub mod timings;
mod vpc;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use faults::{Fault, FaultCounts, FaultPlan, FaultRule, InjectedFault, Storm, StormRates};
pub use store::{Created, CreatedKind, CreationLog, Inventory, InventoryNic};
pub use timings::{DrawnTransition, TransitionKind};

/// How a simulator behaves.
#[derive(Debug, Clone)]
pub struct SimulatorOptions {
    /// Multiplies every transition time: 1.0 = the real API's timings (about 4 s for a server
    /// with a block root to start, drawn as [`timings`] says), 0.0 = every transition is done
    /// at the next read.
    pub time_scale: f64,
    /// Seeds the draws of transition times: the same seed and the same requests in the same
    /// order give the same durations (each kind of transition has its own sequence of draws).
    pub seed: u64,
    /// The secret key to accept; a random UUID when `None`.
    pub secret_key: Option<String>,
    /// The default project id; a random UUID when `None`.
    pub project_id: Option<String>,
    /// The organization id; the default project's id when `None`, as in a real account, whose
    /// default project has the organization's id (so a body may name either in `project` or the
    /// legacy `organization`).
    pub organization_id: Option<String>,
    /// Names of extra projects to create in the organization at start.
    pub extra_projects: Vec<String>,
    /// Faults to inject from the start.
    pub faults: FaultPlan,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions {
            time_scale: 1.0,
            seed: 0,
            secret_key: None,
            project_id: None,
            organization_id: None,
            extra_projects: Vec::new(),
            faults: FaultPlan::default(),
        }
    }
}

/// A running simulator. It stops (and closes its connections) when dropped.
pub struct Simulator {
    address: SocketAddr,
    base_url: String,
    shared: Arc<front_door::Shared>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl Simulator {
    /// Starts a simulator on `127.0.0.1` with a free port.
    pub async fn start(options: SimulatorOptions) -> std::io::Result<Simulator> {
        Simulator::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), options).await
    }

    /// Starts a simulator listening on `address`.
    pub async fn start_on(address: SocketAddr, options: SimulatorOptions) -> std::io::Result<Simulator> {
        let random = || uuid::Uuid::new_v4().to_string();
        let project_id = options.project_id.clone().unwrap_or_else(random);
        let credentials = store::Credentials {
            secret_key: options.secret_key.clone().unwrap_or_else(random),
            organization_id: options
                .organization_id
                .clone()
                .unwrap_or_else(|| project_id.clone()),
            project_id,
        };
        let store = store::Store::new(&credentials, &options.extra_projects, options.seed);
        let shared = Arc::new(front_door::Shared {
            credentials,
            time_scale: options.time_scale.max(0.0),
            store: Mutex::new(store),
            faults: Mutex::new(options.faults.clone()),
            activity: Mutex::default(),
        });
        let listener = tokio::net::TcpListener::bind(address).await?;
        let address = listener.local_addr()?;
        let (shutdown, receiver) = tokio::sync::oneshot::channel();
        tokio::spawn(front_door::serve(listener, shared.clone(), receiver));
        Ok(Simulator {
            address,
            base_url: format!("http://{address}"),
            shared,
            shutdown: Some(shutdown),
        })
    }

    /// The API URL to give clients, e.g. `http://127.0.0.1:41234` (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The address the simulator listens on.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// The only secret key (`X-Auth-Token`) the simulator accepts.
    pub fn secret_key(&self) -> &str {
        &self.shared.credentials.secret_key
    }

    /// The default project id.
    pub fn project_id(&self) -> &str {
        &self.shared.credentials.project_id
    }

    /// The organization id.
    pub fn organization_id(&self) -> &str {
        &self.shared.credentials.organization_id
    }

    /// Ids of the extra projects created at start, in the order of
    /// [`SimulatorOptions::extra_projects`].
    pub fn extra_project_ids(&self) -> Vec<String> {
        self.shared
            .store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .initial_extra_projects()
    }

    /// What exists now: servers, volumes, IPs, user security groups, private NICs, private
    /// networks, non-default VPCs, projects created through the API, IPAM addresses booked
    /// through the API, snapshots, images made through the API, placement groups, VPC routes,
    /// ingress rules and VPC connectors.
    pub fn inventory(&self) -> Inventory {
        self.shared.inventory()
    }

    /// How many API requests the simulator has received since it started: every request but
    /// those to its own `/__simulator/` routes, whatever the answer (refused credentials, an
    /// injected fault, a dropped connection included). Read it before and after a call to know
    /// how many requests the call sent, e.g. none for input refused locally.
    pub fn requests_served(&self) -> u64 {
        self.shared.activity().counts.requests
    }

    /// Every resource created since the start, deleted or not, in order: to check that no
    /// duplicate ever existed (two servers of one create, two networks of one name, ...).
    pub fn created(&self) -> CreationLog {
        self.shared.lock().created.clone()
    }

    /// Requests served (in all and per operation) and faults injected, by kind, since the start.
    pub fn fault_counts(&self) -> FaultCounts {
        self.shared.activity().counts.clone()
    }

    /// The faults injected (latencies aside), oldest first: the last 100,000.
    pub fn fault_log(&self) -> Vec<InjectedFault> {
        self.shared.activity().log.iter().cloned().collect()
    }

    /// The query parameters that requests sent and that the simulator did not look at, per
    /// `module/OperationId` (e.g. `instance_v1/ListServers`): a filter it would have ignored.
    /// Empty when every parameter sent was read.
    pub fn ignored_query_parameters(&self) -> BTreeMap<String, BTreeSet<String>> {
        self.shared.activity().ignored_query.clone()
    }

    /// Every transition time drawn since the start, in order (at time scale 1: multiply by the
    /// time scale for the time it lasts here), each with the instants it began and ends here.
    pub fn transitions(&self) -> Vec<DrawnTransition> {
        self.shared.lock().timings.drawn.clone()
    }

    /// The fault plan, to change it while the simulator runs.
    pub fn faults(&self) -> FaultsHandle<'_> {
        FaultsHandle { shared: &self.shared }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// Changes the fault plan of a running simulator.
#[derive(Debug)]
pub struct FaultsHandle<'a> {
    shared: &'a front_door::Shared,
}

impl FaultsHandle<'_> {
    /// Replaces the plan.
    pub fn set(&self, plan: FaultPlan) {
        *self.shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = plan;
    }

    /// Adds one rule at the end of the plan.
    pub fn push(&self, rule: FaultRule) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .rules
            .push(rule);
    }

    /// Removes every rule.
    pub fn clear(&self) {
        self.set(FaultPlan::default());
    }

    /// The current plan (rules with `times` counted down).
    pub fn get(&self) -> FaultPlan {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}
