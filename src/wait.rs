//! The one waiting primitive.
//!
//! Scaleway applies most changes asynchronously: a server goes `starting` → `running`, a volume
//! `creating` → `available`, a NIC `syncing` → `available`. [`wait_for`] polls until a state is
//! reached, a failed state is seen, or a deadline passes. It polls at once, then after a short
//! delay that grows to a cap, so fast transitions are seen quickly and slow ones cost few calls.
//! The deadline holds while a poll is running too: a poll still running at the deadline is
//! abandoned and the wait reports the state before it. Only the first poll is not cut short, so
//! that a wait always has a state to report; it is bounded by the poll itself (for an API call
//! through a [`Client`](crate::Client), by its request timeout and retry policy). Dropping the
//! future cancels the wait.
//!
//! ```no_run
//! # async fn example(client: scaleway_client::Client, id: &str) -> Result<(), scaleway_client::Error> {
//! use std::time::Duration;
//! use scaleway_client::wait::{wait_for, Outcome, Status, WaitOptions};
//!
//! let options = WaitOptions::default().timeout(Duration::from_secs(300));
//! let outcome = wait_for(&options, || async {
//!     let answer = client.instance().get_server().zone("fr-par-1").server_id(id).send().await?;
//!     Ok(answer.into_inner().server.map(|s| s.state.to_string()).unwrap_or_default())
//! }, |state: &String| match state.as_str() {
//!     "running" => Status::Reached,
//!     "stopped in place" | "locked" => Status::Failed,
//!     _ => Status::Pending,
//! })
//! .await?;
//! match outcome {
//!     Outcome::Reached(_) => println!("running"),
//!     Outcome::Failed(state) => println!("failed: {state}"),
//!     Outcome::TimedOut { last, .. } => println!("still {last:?}"),
//! }
//! # Ok(())
//! # }
//! ```

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Result;

/// The largest growth factor between two polls: anything more is a jump to the max interval.
const MAX_FACTOR: f64 = 10.0;

/// How to wait.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    timeout: Duration,
    first_interval: Duration,
    max_interval: Duration,
    factor: f64,
    max_polls: Option<u32>,
    delay_first_poll: bool,
}

impl Default for WaitOptions {
    /// Up to 10 minutes; polls at once, then after 0.5 s, growing by half each time up to 5 s.
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(600),
            first_interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(5),
            factor: 1.5,
            max_polls: None,
            delay_first_poll: false,
        }
    }
}

impl WaitOptions {
    /// Give up after this long.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The delay before the second poll (at most the max interval).
    pub fn first_interval(mut self, interval: Duration) -> Self {
        self.first_interval = interval;
        self
    }

    /// The longest delay between two polls.
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self
    }

    /// How much each delay grows: between 1 and 10; a factor out of that range is clamped to
    /// it, and NaN counts as 1 (no growth).
    pub fn factor(mut self, factor: f64) -> Self {
        // A factor must stay finite: an interval times infinity (or NaN) is no `Duration`.
        self.factor = if factor.is_nan() {
            1.0
        } else {
            factor.clamp(1.0, MAX_FACTOR)
        };
        self
    }

    /// Give up after this many polls, whatever the time (at least 1).
    pub fn max_polls(mut self, polls: u32) -> Self {
        self.max_polls = Some(polls.max(1));
        self
    }

    /// Makes the first poll after the first interval rather than at once: for a transition the
    /// caller has just started (an action whose answer says it is under way), a poll at once
    /// would only see it still under way.
    pub fn delay_first_poll(mut self, delay: bool) -> Self {
        self.delay_first_poll = delay;
        self
    }

    /// The configured timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }
}

/// What a polled state means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The wanted state.
    Reached,
    /// A state from which the wanted one will not come.
    Failed,
    /// Not there yet.
    Pending,
}

/// How a wait ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome<S> {
    /// The wanted state, as last polled.
    Reached(S),
    /// A failed state, as polled.
    Failed(S),
    /// The deadline or the poll limit passed; `last` is the last state seen.
    TimedOut {
        /// The last state polled (before a poll cut short by the deadline).
        last: S,
        /// How long the wait took.
        waited: Duration,
        /// How many polls were made, a poll cut short by the deadline included.
        polls: u32,
    },
}

impl<S> Outcome<S> {
    /// The state the wait ended on.
    pub fn state(&self) -> &S {
        match self {
            Outcome::Reached(s) | Outcome::Failed(s) | Outcome::TimedOut { last: s, .. } => s,
        }
    }

    /// Whether the wanted state was reached.
    pub fn is_reached(&self) -> bool {
        matches!(self, Outcome::Reached(_))
    }
}

/// Polls `poll` until `classify` says the state is reached or failed, or the options' deadline
/// or poll limit passes. An error from `poll` ends the wait with that error.
///
/// Every poll but the first ends at the deadline: one still running then is dropped, and the
/// wait ends with [`Outcome::TimedOut`] and the state polled before. The first poll is not cut
/// short, so that there is always a state to report: it is bounded by the poll itself (for an
/// API call through a [`Client`](crate::Client), by its request timeout and retry policy), and
/// the wait may then end after the deadline.
pub async fn wait_for<S, F, Fut, C>(options: &WaitOptions, mut poll: F, classify: C) -> Result<Outcome<S>>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<S>>,
    C: Fn(&S) -> Status,
{
    let started = Instant::now();
    // A timeout too long to add to the clock is no deadline at all; 30 years stands for it.
    let deadline = started
        .checked_add(options.timeout)
        .unwrap_or_else(|| started + Duration::from_secs(30 * 365 * 86_400));
    let mut interval = options.first_interval.min(options.max_interval);
    if options.delay_first_poll {
        tokio::time::sleep(interval).await;
        interval = grow(interval, options.factor, options.max_interval);
    }
    let mut state = poll().await?;
    let mut polls = 1u32;
    loop {
        match classify(&state) {
            Status::Reached => return Ok(Outcome::Reached(state)),
            Status::Failed => return Ok(Outcome::Failed(state)),
            Status::Pending => {}
        }
        let now = Instant::now();
        let out_of_polls = options.max_polls.is_some_and(|max| polls >= max);
        if out_of_polls || now >= deadline {
            return Ok(Outcome::TimedOut {
                last: state,
                waited: now - started,
                polls,
            });
        }
        // The last poll starts at the deadline rather than after it (and, the deadline being
        // past, only counts if it answers at once).
        let next = now.checked_add(interval).map_or(deadline, |at| at.min(deadline));
        tokio::time::sleep_until(next).await;
        interval = grow(interval, options.factor, options.max_interval);
        polls += 1;
        state = match tokio::time::timeout_at(deadline, poll()).await {
            Ok(polled) => polled?,
            Err(_) => {
                return Ok(Outcome::TimedOut {
                    last: state,
                    waited: Instant::now() - started,
                    polls,
                });
            }
        };
    }
}

/// The next interval: `interval` times `factor`, at most `max` (also when the product is too
/// large for a `Duration`).
fn grow(interval: Duration, factor: f64, max: Duration) -> Duration {
    Duration::try_from_secs_f64(interval.as_secs_f64() * factor).map_or(max, |next| next.min(max))
}
