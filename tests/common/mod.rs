//! What every test binary sets up the same way, included by each `main.rs` as `mod common`:
//! configurations and clients pointed at a mock server or at the simulator, the simulator
//! itself, and the retries and waits that keep tests quick; `mock_api` is the harness of the
//! wire tests on a mock server, `reference` the fixtures and the reference data answers are
//! checked against.
//!
//! Each binary uses a part of it, hence the `dead_code` allowance where it is included.

use std::time::Duration;

use scaleway_client::{Client, ClientBuilder, ConfigBuilder, RetryPolicy};

pub mod mock_api;
pub mod reference;

// The binaries that never start a simulator leave these unused.
#[allow(unused_imports)]
pub use simulated::*;

/// The secret key of clients pointed at a mock server: the mocks answer only requests that carry
/// it.
pub const SECRET: &str = "11111111-2222-4333-8444-555555555555";

/// The project of clients pointed at a mock server.
pub const PROJECT: &str = "6a1e1b5c-3b4a-4f7e-9d2a-0c9f2f1e8b7d";

/// A configuration for the mock server at `base_url`, with [`SECRET`]; the caller adds a project
/// or a zone where the test needs one.
pub fn mock_config(base_url: impl Into<String>) -> ConfigBuilder {
    scaleway_client::Config::builder()
        .secret_key(SECRET)
        .api_url(base_url)
}

/// A client on `config`, for a test that sets timeouts or a user agent too.
pub fn client_builder(config: ConfigBuilder) -> ClientBuilder {
    Client::builder(config.build().expect("a valid test configuration"))
}

/// A client on `config` that retries as `retry` says.
pub fn client(config: ConfigBuilder, retry: RetryPolicy) -> Client {
    client_builder(config)
        .retry_policy(retry)
        .build()
        .expect("a client")
}

/// Retries that wait 1 ms, growing to 20 ms: a test sees its faults absorbed without waiting
/// for them.
pub fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .min_delay(Duration::from_millis(1))
        .max_delay(Duration::from_millis(20))
}

mod simulated {
    use std::time::Duration;

    use scaleway_client::provider::scaleway::{ScalewayOptions, ScalewayProvider};
    use scaleway_client::wait::WaitOptions;
    use scaleway_client::{Config, ConfigBuilder};
    use scaleway_sim::{Simulator, SimulatorOptions};

    use super::{client, quick_retries};

    /// A simulator whose transitions take `time_scale` times the real API's (0.0: every
    /// transition is done at the next read).
    pub async fn simulator(time_scale: f64) -> Simulator {
        simulator_with(SimulatorOptions {
            time_scale,
            ..SimulatorOptions::default()
        })
        .await
    }

    /// A simulator started with `options`.
    pub async fn simulator_with(options: SimulatorOptions) -> Simulator {
        Simulator::start(options).await.expect("the simulator starts")
    }

    /// A configuration for `sim`: its secret key, its default project and its URL.
    pub fn simulator_config(sim: &Simulator) -> ConfigBuilder {
        simulator_config_without_project(sim).project_id(sim.project_id())
    }

    /// [`simulator_config`] with no project, for what a missing project changes.
    pub fn simulator_config_without_project(sim: &Simulator) -> ConfigBuilder {
        Config::builder()
            .secret_key(sim.secret_key())
            .api_url(sim.base_url())
    }

    /// Waits that poll from 1 ms, growing to 20 ms, and give up after 30 s.
    pub fn quick_waits() -> WaitOptions {
        WaitOptions::default()
            .first_interval(Duration::from_millis(1))
            .max_interval(Duration::from_millis(20))
            .timeout(Duration::from_secs(30))
    }

    /// The provider's options with [`quick_waits`] and short pauses between polls and before a
    /// lost create is looked up again.
    pub fn quick_provider_options() -> ScalewayOptions {
        ScalewayOptions {
            wait: quick_waits(),
            server_poll_interval: Duration::from_millis(5),
            create_lookup_delay: Duration::from_millis(5),
            ..ScalewayOptions::default()
        }
    }

    /// The Scaleway provider on `sim`, with [`quick_retries`] and [`quick_provider_options`].
    pub fn simulator_provider(sim: &Simulator) -> ScalewayProvider {
        ScalewayProvider::with_options(
            client(simulator_config(sim), quick_retries()),
            quick_provider_options(),
        )
        .expect("the provider accepts its options")
    }
}
