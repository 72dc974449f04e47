//! Fault injection: rules matched by operation id, and a seeded random storm, applied after
//! authentication; counters of what was served and injected.

use std::collections::BTreeMap;
use std::time::Duration;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::{Deserialize, Serialize};

/// One fault to inject.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// 429 as the real API answers it: empty body, no Content-Type, `X-Envoy-Ratelimited: true`.
    RateLimit,
    /// An error status with the API's body for it (500 `internal_server_error`, 503, ...).
    Status(u16),
    /// Wait this long, then answer normally (serialized as milliseconds).
    #[serde(with = "millis")]
    Latency(Duration),
    /// Close the connection without answering.
    Reset,
    /// Apply the request, then close the connection without answering: the client cannot
    /// know that it succeeded (a lost answer to a create).
    ResetAfterApply,
    /// 409 `transient_state` for the resource of the path.
    TransientState,
}

mod millis {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(d.as_millis() as u64)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_millis(u64::deserialize(d)?))
    }
}

/// A fault for one operation (or all), a number of times (or always).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultRule {
    /// Spec operationId (`GetServer`, `CreatePrivateNIC`), optionally qualified by module
    /// (`block_v1.ListVolumes`); `None` = every operation.
    #[serde(default)]
    pub operation: Option<String>,
    /// What to do.
    pub fault: Fault,
    /// How many requests it applies to; `None` = all.
    #[serde(default)]
    pub times: Option<u32>,
}

impl FaultRule {
    /// A rule for every request to `operation`.
    pub fn new(operation: Option<&str>, fault: Fault, times: Option<u32>) -> FaultRule {
        FaultRule {
            operation: operation.map(str::to_string),
            fault,
            times,
        }
    }

    fn matches(&self, module: &str, operation: &str) -> bool {
        match &self.operation {
            None => true,
            Some(wanted) => match wanted.split_once('.') {
                Some((m, op)) => m == module && op == operation,
                None => wanted == operation,
            },
        }
    }
}

/// How often a [`Storm`] injects each fault: probabilities per request, from 0 to 1.
///
/// The three fault probabilities are drawn from one number per request, in the order of the
/// fields: if they add up to more than 1, the later ones get what is left.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StormRates {
    /// A 429 in the rate limiter's shape ([`Fault::RateLimit`]) or a 503 in the API's
    /// ([`Fault::Status`]), one or the other with even odds. Neither is applied.
    pub rate_limit_or_unavailable: f64,
    /// The connection is closed before the request is applied ([`Fault::Reset`]).
    pub reset_before_apply: f64,
    /// The request is applied, then the connection is closed without an answer
    /// ([`Fault::ResetAfterApply`]).
    pub applied_answer_lost: f64,
    /// Every request is delayed by a random time from zero to this (serialized as milliseconds).
    #[serde(with = "millis")]
    pub max_latency: Duration,
}

/// A seeded random fault for every request: [`FaultPlan::storm`].
///
/// The `n`-th request the storm decides on gets a fault that depends only on the seed and `n`,
/// so a run that sends its requests in the same order meets the same faults. (Concurrent
/// clients, or waits whose number of polls depends on timing, change which request is `n`-th.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Storm {
    /// The seed of the random draws.
    pub seed: u64,
    /// The probabilities.
    pub rates: StormRates,
    /// How many requests it decided on so far.
    #[serde(default)]
    pub draws: u64,
}

impl Storm {
    /// The latency and the fault (if any) for the next request.
    fn draw(&mut self) -> (Duration, Option<Fault>) {
        // One generator per draw, seeded from the seed and the draw's number: the plan stays
        // plain data (comparable, serializable) and the n-th draw never depends on the others.
        let mut rng = StdRng::seed_from_u64(self.seed ^ self.draws.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        self.draws += 1;
        let max = self.rates.max_latency.as_micros().min(u128::from(u64::MAX)) as u64;
        let latency = if max == 0 {
            Duration::ZERO
        } else {
            Duration::from_micros(rng.random_range(0..=max))
        };
        let p = |rate: f64| {
            if rate.is_finite() {
                rate.clamp(0.0, 1.0)
            } else {
                0.0
            }
        };
        let throttled = p(self.rates.rate_limit_or_unavailable);
        let reset = throttled + p(self.rates.reset_before_apply);
        let lost = reset + p(self.rates.applied_answer_lost);
        let x: f64 = rng.random();
        let fault = if x < throttled {
            Some(if rng.random_bool(0.5) {
                Fault::RateLimit
            } else {
                Fault::Status(503)
            })
        } else if x < reset {
            Some(Fault::Reset)
        } else if x < lost {
            Some(Fault::ResetAfterApply)
        } else {
            None
        };
        (latency, fault)
    }
}

/// The faults of a run, in order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The rules; every matching rule with uses left applies (latencies add up), the first
    /// matching non-latency rule decides the answer.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
    /// Random faults for every request that no rule decided (its latency adds to the rules').
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storm: Option<Storm>,
}

impl FaultPlan {
    /// A plan with these rules.
    pub fn new(rules: Vec<FaultRule>) -> FaultPlan {
        FaultPlan { rules, storm: None }
    }

    /// A plan of seeded random faults on every request:
    ///
    /// ```
    /// use std::time::Duration;
    /// use scaleway_sim::{FaultPlan, StormRates};
    ///
    /// let plan = FaultPlan::storm(42, StormRates {
    ///     rate_limit_or_unavailable: 0.20,
    ///     reset_before_apply: 0.02,
    ///     applied_answer_lost: 0.02,
    ///     max_latency: Duration::from_millis(20),
    /// });
    /// # let _ = plan;
    /// ```
    pub fn storm(seed: u64, rates: StormRates) -> FaultPlan {
        FaultPlan {
            rules: Vec::new(),
            storm: Some(Storm {
                seed,
                rates,
                draws: 0,
            }),
        }
    }

    /// The faults that apply to one request, counting down `times`; exhausted rules are removed.
    pub(crate) fn take(&mut self, module: &str, operation: &str) -> (Duration, Option<Fault>) {
        let mut latency = Duration::ZERO;
        let mut decided = None;
        for rule in &mut self.rules {
            if !rule.matches(module, operation) || rule.times == Some(0) {
                continue;
            }
            match rule.fault {
                Fault::Latency(d) => latency += d,
                other if decided.is_none() => decided = Some(other),
                _ => continue,
            }
            if let Some(times) = &mut rule.times {
                *times -= 1;
            }
        }
        self.rules.retain(|r| r.times != Some(0));
        if let Some(storm) = &mut self.storm {
            let (delay, fault) = storm.draw();
            latency += delay;
            decided = decided.or(fault);
        }
        (latency, decided)
    }
}

/// What the simulator served and injected since it started (whatever plans came and went).
/// Requests to its own `/__simulator/` routes are not counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultCounts {
    /// API requests received, answered or not.
    pub requests: u64,
    /// Requests per spec operation (`instance_v1.DetachServerVolume`), answered or not.
    pub operations: BTreeMap<String, u64>,
    /// 429s injected ([`Fault::RateLimit`]).
    pub rate_limited: u64,
    /// Error statuses injected ([`Fault::Status`]), by status.
    pub statuses: BTreeMap<u16, u64>,
    /// Connections closed before applying ([`Fault::Reset`]).
    pub resets: u64,
    /// Requests applied whose answer was dropped ([`Fault::ResetAfterApply`]).
    pub answers_lost: u64,
    /// 409 `transient_state` injected ([`Fault::TransientState`]).
    pub transient_states: u64,
    /// Requests delayed ([`Fault::Latency`] or a storm's latency).
    pub delayed: u64,
}

impl FaultCounts {
    /// Faults injected in all, latencies not counted.
    pub fn injected(&self) -> u64 {
        self.rate_limited
            + self.statuses.values().sum::<u64>()
            + self.resets
            + self.answers_lost
            + self.transient_states
    }

    /// Requests to one operation (`DetachServerVolume`, or qualified:
    /// `instance_v1.DetachServerVolume`), over every module when not qualified.
    pub fn operation(&self, operation: &str) -> u64 {
        self.operations
            .iter()
            .filter(|(key, _)| match operation.contains('.') {
                true => key.as_str() == operation,
                false => key.split_once('.').is_some_and(|(_, op)| op == operation),
            })
            .map(|(_, n)| n)
            .sum()
    }

    pub(crate) fn count(&mut self, module: &str, operation: &str, latency: Duration, fault: Option<Fault>) {
        *self
            .operations
            .entry(format!("{module}.{operation}"))
            .or_default() += 1;
        if !latency.is_zero() {
            self.delayed += 1;
        }
        match fault {
            None | Some(Fault::Latency(_)) => {}
            Some(Fault::RateLimit) => self.rate_limited += 1,
            Some(Fault::Status(status)) => *self.statuses.entry(status).or_default() += 1,
            Some(Fault::Reset) => self.resets += 1,
            Some(Fault::ResetAfterApply) => self.answers_lost += 1,
            Some(Fault::TransientState) => self.transient_states += 1,
        }
    }
}

/// One fault the simulator injected (latencies are not logged), in the order injected; the
/// simulator keeps the last 100,000.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InjectedFault {
    /// Its number: the faults injected before it ([`FaultCounts::injected`] when it came).
    pub seq: u64,
    /// Spec operation, qualified: `instance_v1.ServerAction`.
    pub operation: String,
    /// HTTP method.
    pub method: String,
    /// Request path (with the ids of the resources it names).
    pub path: String,
    /// The request's `User-Agent`, to tell clients apart (see
    /// [`ClientBuilder::user_agent_suffix`](scaleway_client::ClientBuilder::user_agent_suffix)).
    pub user_agent: String,
    /// What was injected.
    pub fault: Fault,
}

/// What [`InjectedFault`]s are kept: the most recent ones.
const LOG_CAPACITY: usize = 100_000;

/// The counters and the log of injected faults, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct Activity {
    pub counts: FaultCounts,
    pub log: std::collections::VecDeque<InjectedFault>,
    /// Per `module/OperationId`, the query parameters requests sent and no handler read.
    pub ignored_query: BTreeMap<String, std::collections::BTreeSet<String>>,
}

impl Activity {
    /// Notes the query parameters a request sent and no handler read.
    pub fn record_ignored_query(
        &mut self,
        module: &str,
        operation: &str,
        ignored: std::collections::BTreeSet<String>,
    ) {
        if !ignored.is_empty() {
            self.ignored_query
                .entry(format!("{module}/{operation}"))
                .or_default()
                .extend(ignored);
        }
    }

    /// Counts one matched request and logs its fault.
    pub fn record(
        &mut self,
        module: &str,
        operation: &str,
        request: (&str, &str, &str),
        latency: Duration,
        fault: Option<Fault>,
    ) {
        let seq = self.counts.injected();
        self.counts.count(module, operation, latency, fault);
        let Some(fault) = fault.filter(|f| !matches!(f, Fault::Latency(_))) else {
            return;
        };
        let (method, path, user_agent) = request;
        if self.log.len() == LOG_CAPACITY {
            self.log.pop_front();
        }
        self.log.push_back(InjectedFault {
            seq,
            operation: format!("{module}.{operation}"),
            method: method.to_string(),
            path: path.to_string(),
            user_agent: user_agent.to_string(),
            fault,
        });
    }
}
