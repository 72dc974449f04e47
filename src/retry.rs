//! The one retry policy, applied to every request of every generated client.
//!
//! What is retried, with exponential backoff and jitter, within a bounded number of attempts and
//! a bounded total delay:
//!
//! | failure | retried for |
//! |---|---|
//! | 429 (rate limited; `Retry-After` honoured within the policy's limits) | every request |
//! | 503, 409 `transient_state` | every request (the API did not apply it) |
//! | connection refused / not established, connect timeouts | every request (it was never sent) |
//! | 500, 502, 504, timeouts, connections lost after sending | requests that are safe to repeat: GET, HEAD, OPTIONS, PUT, PATCH, DELETE |
//!
//! An error answer whose body cannot be read is still that answer (with an empty body): its
//! status decides, as above.
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

use crate::error::NoAnswer;

/// How requests are retried. The default suits interactive tools: up to 4 retries, delays from
/// 0.5 s doubling to at most 10 s, with jitter, and at most 60 s spent waiting in total.
///
/// The bounds hold for every delay, whatever its origin:
/// - each delay is at most [`max_delay`](RetryPolicy::max_delay), jitter and `Retry-After`
///   included (a server asking for more gets `max_delay`);
/// - the delays of one request add up to at most
///   [`max_total_delay`](RetryPolicy::max_total_delay): when the next one would go past it, the
///   request is not retried and its last failure is returned;
/// - there are at most [`max_retries`](RetryPolicy::max_retries) retries.
///
/// Time spent in the attempts themselves is not counted: each is bounded by the client's
/// request timeout.
///
/// ```
/// use std::time::Duration;
/// use scaleway_client::RetryPolicy;
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

    /// The first delay (before jitter); each next one doubles, up to the max delay.
    pub fn min_delay(mut self, delay: Duration) -> Self {
        self.min_delay = delay;
        self
    }

    /// The longest single delay, jitter and `Retry-After` included.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The most time spent waiting between attempts of one request, all delays added up
    /// (`None`: no bound). A retry whose delay would go past it is not made.
    pub fn max_total_delay(mut self, total: Option<Duration>) -> Self {
        self.max_total_delay = total;
        self
    }

    /// Randomize delays so that many clients do not retry in step (on by default): each delay
    /// is lengthened by a random amount of up to 100%, and still capped at the max delay.
    pub fn jitter(mut self, jitter: bool) -> Self {
        self.jitter = jitter;
        self
    }

    /// The backoff's delays: doubling, capped before jitter, as many as the retries. The caps
    /// that must hold after jitter and `Retry-After` are applied by [`RetryPolicy::next_delay`].
    fn backoff(&self) -> ExponentialBuilder {
        let builder = ExponentialBuilder::default()
            .with_min_delay(self.min_delay)
            .with_max_delay(self.max_delay)
            .with_max_times(self.max_retries);
        if self.jitter {
            builder.with_jitter()
        } else {
            builder
        }
    }

    /// The delay before the next retry, or `None` to stop: the backoff's delay (`None` when its
    /// retries are used up), or the server's `Retry-After` instead, capped at the max delay;
    /// `waited` (the delays so far) grows by it, and may not pass the max total delay.
    fn next_delay(
        &self,
        waited: &mut Duration,
        backoff: Option<Duration>,
        retry_after: Option<Duration>,
    ) -> Option<Duration> {
        let delay = retry_after.unwrap_or(backoff?).min(self.max_delay);
        let total = waited.saturating_add(delay);
        if self.max_total_delay.is_some_and(|max| total > max) {
            return None;
        }
        *waited = total;
        Some(delay)
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
            // Read as `Error::from` reads it: a request that was never sent is repeated
            // whatever its method.
            Failure::Transport(e) => match NoAnswer::of(e) {
                NoAnswer::NotSent => Some("connection failed"),
                NoAnswer::TimedOut if safe => Some("timeout"),
                NoAnswer::Lost if safe => Some("connection error"),
                NoAnswer::TimedOut | NoAnswer::Lost => None,
            },
        }
    }

    /// `Retry-After` in seconds, when the answer had one. The HTTP-date form is ignored (the
    /// backoff's delay applies): Scaleway sends seconds, and a date would need the server's and
    /// this machine's clocks to agree.
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
/// last failure: an error answer (with its body read) or a transport error. `on_attempt` is
/// called before every attempt.
///
/// The first attempt is made here, outside the retry loop: most requests succeed at once, and
/// the future of every call then carries neither the backoff, its timer nor a second copy of the
/// attempt. The loop, with the first failure as its first attempt's outcome, is allocated only
/// when that failure is retried.
pub(crate) async fn send(
    http: &reqwest::Client,
    request: reqwest::Request,
    policy: &RetryPolicy,
    operation: &'static str,
    mut on_attempt: impl FnMut(),
) -> Result<reqwest::Response, Failure> {
    // A streaming body cannot be sent twice: such requests get one attempt. (What
    // `Request::try_clone` would refuse, found without making a copy.)
    let repeatable = request.body().is_none_or(|body| body.as_bytes().is_some());
    // Kept to send again; a policy that never retries needs no copy.
    let copy = if repeatable && policy.max_retries > 0 {
        request.try_clone()
    } else {
        None
    };
    let method = request.method().clone();
    on_attempt();
    let failure = match attempt(http, request, operation).await {
        Ok(response) => return Ok(response),
        Err(failure) => failure,
    };
    match copy {
        Some(copy) if failure.retry_reason(&method).is_some() => {
            Box::pin(retry_after(http, copy, policy, operation, failure, on_attempt)).await
        }
        _ => Err(failure),
    }
}

/// The retry loop after a first attempt that failed with `first`: the backoff sees `first` as
/// its first attempt's outcome, then sends copies of `request`.
async fn retry_after(
    http: &reqwest::Client,
    request: reqwest::Request,
    policy: &RetryPolicy,
    operation: &'static str,
    first: Failure,
    mut on_attempt: impl FnMut(),
) -> Result<reqwest::Response, Failure> {
    let method = request.method().clone();
    let mut first = Some(first);
    let next = || {
        let replayed = first.take();
        let copy = match replayed {
            Some(_) => None,
            None => {
                on_attempt();
                request.try_clone()
            }
        };
        async move {
            if let Some(failure) = replayed {
                return Err(failure);
            }
            let Some(copy) = copy else {
                unreachable!("only a request that can be copied is retried");
            };
            attempt(http, copy, operation).await
        }
    };
    // The delays so far. The max total delay is checked here rather than by the backoff, which
    // would count its own delays: before the cap on jitter, and without `Retry-After`.
    let mut waited = Duration::ZERO;
    next.retry(policy.backoff())
        .sleep(tokio::time::sleep)
        .when(|failure: &Failure| failure.retry_reason(&method).is_some())
        .adjust(|failure: &Failure, delay: Option<Duration>| {
            // Honour the server's delay within the policy's limits, and never past the end of
            // the backoff.
            policy.next_delay(&mut waited, delay, failure.retry_after())
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

/// One attempt: a success answer as it comes, or the failure with an error answer's body read.
async fn attempt(
    http: &reqwest::Client,
    request: reqwest::Request,
    operation: &'static str,
) -> Result<reqwest::Response, Failure> {
    match http.execute(request).await {
        Ok(response) if !response.status().is_client_error() && !response.status().is_server_error() => {
            Ok(response)
        }
        Ok(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            // The status and headers are in: an answer whose body cannot be read (cut off, or
            // the request timeout passing while reading it) is still that answer. Read as a lost
            // connection, a 400 would be repeated and its status and request id lost.
            let body = match response.bytes().await {
                Ok(body) => body,
                Err(error) => {
                    tracing::warn!(
                        operation,
                        status = status.as_u16(),
                        %error,
                        "the body of an error answer could not be read"
                    );
                    bytes::Bytes::new()
                }
            };
            Err(Failure::Answer {
                status,
                headers,
                body,
            })
        }
        Err(e) => Err(Failure::Transport(e)),
    }
}
