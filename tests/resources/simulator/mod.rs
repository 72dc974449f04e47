//! Every public function of the layer against the simulator: the workflows end to end, with
//! the states and counts the simulator holds afterwards.

mod catalog;
mod images;
mod instance_volumes;
mod ipam;
mod ips;
mod lookup;
mod private_networks;
mod private_nics;
mod security_groups;
mod servers;
mod snapshots;
mod user_data;
mod volumes;

use std::time::Duration;

use scaleway_client::ByteSize;
use scaleway_client::resources::{NetworkSpec, Options, Scaleway};
use scaleway_client::wait::WaitOptions;
use scaleway_sim::Simulator;

use crate::common;

/// A simulator whose transitions take a hundredth of the real API's time (a server starts in
/// 50 ms, an Instance snapshot takes 0.4 s), and the layer on it with fast polling.
pub struct Env {
    pub sim: Simulator,
    pub scw: Scaleway,
}

/// The simulator's time scale in these tests.
const TIME_SCALE: f64 = 0.01;

pub async fn env() -> Env {
    env_with_scale(TIME_SCALE).await
}

/// [`env`] with another time scale (0.0: every transition is done at the next read).
pub async fn env_with_scale(time_scale: f64) -> Env {
    let sim = common::simulator(time_scale).await;
    let client = common::client(common::simulator_config(&sim), common::quick_retries());
    let options = Options {
        wait: WaitOptions::default()
            .first_interval(Duration::from_millis(5))
            .max_interval(Duration::from_millis(25))
            .timeout(Duration::from_secs(60)),
        create_lookup_delay: Duration::from_millis(5),
    };
    let scw = Scaleway::with_options(client, options);
    Env { sim, scw }
}

impl Env {
    /// Asserts that the simulator holds nothing any more.
    pub fn assert_nothing_left(&self) {
        let left = self.sim.inventory();
        assert!(left.is_empty(), "left behind: {left:?}");
    }

    /// A private network of the configured region, made for the test.
    pub async fn network(&self, name: &str) -> String {
        self.scw
            .private_networks()
            .find_or_create(name, &NetworkSpec::default())
            .await
            .expect("the network is created")
            .id
            .expect("the network has an id")
    }
}

pub fn gb(n: u64) -> ByteSize {
    ByteSize::from_gb(n).expect("a valid size")
}

/// Whether `address` (without prefix length) is a host of `cidr` (`172.16.4.0/22`).
pub fn in_subnet(address: &str, cidr: &str) -> bool {
    use std::net::IpAddr;
    let (network, prefix) = cidr.split_once('/').expect("a CIDR");
    let prefix: u32 = prefix.parse().expect("a prefix length");
    match (address.parse::<IpAddr>(), network.parse::<IpAddr>()) {
        (Ok(IpAddr::V4(a)), Ok(IpAddr::V4(n))) => {
            let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask && a != n
        }
        (Ok(IpAddr::V6(a)), Ok(IpAddr::V6(n))) => {
            let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask && a != n
        }
        _ => false,
    }
}
