//! Fault injection: rules matched by operation id, applied after authentication.

use std::time::Duration;

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

/// The faults of a run, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FaultPlan {
    /// The rules; every matching rule with uses left applies (latencies add up), the first
    /// matching non-latency rule decides the answer.
    #[serde(default)]
    pub rules: Vec<FaultRule>,
}

impl FaultPlan {
    /// A plan with these rules.
    pub fn new(rules: Vec<FaultRule>) -> FaultPlan {
        FaultPlan { rules }
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
        (latency, decided)
    }
}
