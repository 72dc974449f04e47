//! The one retry policy, applied to every request of every generated client.
//!
//! What is retried, with exponential backoff and jitter, within a bounded number of attempts and
//! a bounded total delay:
//!
//! | failure | retried for |
//! |---|---|
//! | 429 (rate limited; `Retry-After` honoured when present) | every request |
//! | 503, 409 `transient_state` | every request (the API did not apply it) |
//! | connection refused / not established | every request (it was never sent) |
//! | 500, 502, 504, timeouts, connections lost after sending | requests that are safe to repeat: GET, HEAD, OPTIONS, PUT, PATCH, DELETE |
//!
//! A POST (a create or an action) that fails ambiguously (timeout, reset after sending, 500,
//! 502, 504) is **not** repeated here: it may have been applied, and repeating it could create a
//! second server. The error says so ([`crate::Error::may_have_been_applied`]) and the workflow
//! that sent it looks for what the first attempt created before trying again.
//!
//! Every retry is logged as a `WARN` tracing event with the operation, the attempt, the reason and
//! the delay.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode};

/// How requests are retried. The default suits interactive tools: up to 4 retries, delays from
/// 0.5 s doubling to at most 10 s, with jitter, and at most 60 s spent waiting in total.
///
/// ```
/// use std::time::Duration;
/// use scaleway_sdk::RetryPolicy;
///
/// let patient = RetryPolicy::default().max_retries(8).max_total_delay(Some(Duration::from_secs(300)));
/// let never = RetryPolicy::none();
/// # let _ = (patient, never);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RetryPolicy {
    max_retries: usize,
    min_delay: Duration,
    max_delay: Duration,
    max_total_delay: Option<Duration>,
    jitter: bool,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 4,
            min_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
            max_total_delay: Some(Duration::from_secs(60)),
            jitter: true,
        }
    }
}

impl RetryPolicy {
    /// Never retry.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// At most this many retries after the first attempt.
    pub fn max_retries(mut self, retries: usize) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first delay; each next one doubles.
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The longest single delay.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The most time spent waiting between attempts of one request (`None`: no bound).
    pub fn max_total_delay(mut self, total: Option<Duration>) -> Self {
        self.max_total_delay = total;
        self
    }

    /// Randomize delays so that many clients do not retry in step (on by default).
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    fn backoff(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries)
            .with_total_delay(self.max_total_delay);
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }
}

/// Whether a request can be sent twice with the effect of sending it once.
pub fn is_safe_to_repeat(method: &Method) -> bool {
    matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::PUT | Method::PATCH | Method::DELETE
    )
}

/// An attempt that did not succeed.
#[derive(Debug)]
pub(crate) enum Failure {
    /// An error answer, already read.
    Answer {
        status: StatusCode,
        headers: HeaderMap,
        body: bytes::Bytes,
    },
    /// No answer.
    Transport(reqwest::Error),
}

impl Failure {
    /// Why this failure may be retried for a request with `method`, or `None` if it may not.
    fn retry_reason(&self, method: &Method) -> Option<&'static str> {
        let safe = is_safe_to_repeat(method);
        match self {
            Failure::Answer { status, body, .. } => match status.as_u16() {
                429 => Some("rate limited"),
                503 => Some("service unavailable"),
                409 if is_transient_state(body) => Some("resource in a transient state"),
                500 if safe => Some("internal server error"),
                502 if safe => Some("bad gateway"),
                504 if safe => Some("gateway timeout"),
                _ => None,
            },
            Failure::Transport(e) if e.is_connect() => Some("connection failed"),
            Failure::Transport(e) if safe && e.is_timeout() => Some("timeout"),
            Failure::Transport(_) if safe => Some("connection error"),
            Failure::Transport(_) => None,
        }
    }

    /// `Retry-After` in seconds, when the answer had one.
    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Answer { headers, .. } => headers
                .get(reqwest::header::RETRY_AFTER)?
                .to_str()
                .ok()?
                .trim()
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs),
            Failure::Transport(_) => None,
        }
    }
}

fn is_transient_state(body: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| v.get("type")?.as_str().map(|t| t == "transient_state"))
        .unwrap_or(false)
}

/// Sends `request` with `http`, retrying as the policy allows. Returns the first success, or the
/// last failure: an error answer (with its body read) or a transport error. `attempts` counts
/// every attempt made.
pub(crate) async fn send(
    http: &reqwest::Client,
    request: reqwest::Request,
    policy: &RetryPolicy,
    operation: &str,
    mut on_attempt: impl FnMut(),
) -> Result<reqwest::Response, Failure> {
    let method = request.method().clone();
    // A streaming body cannot be sent twice: such requests get one attempt.
    let repeatable = request.try_clone().is_some();
    let mut original = Some(request);
    let attempt = || {
        let request = if repeatable {
            original.as_ref().and_then(|r| r.try_clone())
        } else {
            original.take()
        };
        on_attempt();
        async move {
            let Some(request) = request else {
                unreachable!("a request that cannot be cloned is only sent once");
            };
            match http.execute(request).await {
                Ok(response)
                    if !response.status().is_client_error() && !response.status().is_server_error() =>
                {
                    Ok(response)
                }
                Ok(response) => {
                    let status = response.status();
                    let headers = response.headers().clone();
                    let body = response.bytes().await.map_err(Failure::Transport)?;
                    Err(Failure::Answer {
                        status,
                        headers,
                        body,
                    })
                }
                Err(e) => Err(Failure::Transport(e)),
            }
        }
    };
    let policy = if repeatable {
        policy.clone()
    } else {
        RetryPolicy::none()
    };
    attempt
        .retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|failure: &Failure| failure.retry_reason(&method).is_some())
        .adjust(|failure: &Failure, delay: Option<Duration>| {
            // Honour the server's delay, but never past the end of the backoff.
            delay.map(|d| failure.retry_after().unwrap_or(d))
        })
        .notify(|failure: &Failure, delay: Duration| {
            tracing::warn!(
                operation,
                reason = failure.retry_reason(&method).unwrap_or("unknown"),
                delay_ms = delay.as_millis() as u64,
                "retrying Scaleway request"
            );
        })
        .await
}
