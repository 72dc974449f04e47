//! The one waiting primitive.
//!
//! Scaleway applies most changes asynchronously: a server goes `starting` → `running`, a volume
//! `creating` → `available`, a NIC `syncing` → `available`. [`wait_for`] polls until a state is
//! reached, a failed state is seen, or a deadline passes. It polls at once, then after a short
//! delay that grows to a cap, so fast transitions are seen quickly and slow ones cost few calls.
//! After a [`Transition`] the caller has just started, it reads instead where that transition
//! is likely to end: from its recorded duration ([`Transition::recorded`]), refined by the
//! durations this process has seen, so that the read after the end comes less than 10% of the
//! transition's time late, with no more reads up to the median duration than a fixed 5 s poll.
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
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Result;

/// The largest growth factor between two polls: anything more is a jump to the max interval.
const MAX_FACTOR: f64 = 10.0;

/// How to wait.
///
/// Two schedules: intervals that grow (the first after [`WaitOptions::first_interval`], each
/// [`WaitOptions::factor`] times the one before, up to [`WaitOptions::max_interval`]), or, for
/// a [`Transition`] the caller has just started ([`WaitOptions::transition`] with
/// [`WaitOptions::delay_first_poll`]), reads shaped by how long that transition takes
/// ([`Profile::reads`]). Intervals the caller sets win over the shaped reads.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitOptions {
    timeout: Duration,
    first_interval: Duration,
    max_interval: Duration,
    factor: f64,
    max_polls: Option<u32>,
    delay_first_poll: bool,
    /// Whether the caller set an interval or the factor: then its intervals are used.
    explicit_intervals: bool,
    transition: Option<Transition>,
    time_scale: f64,
}

impl Default for WaitOptions {
    /// Up to 10 minutes; polls at once, then after 0.5 s, growing by half each time up to 5 s;
    /// after a [`Transition`] the caller started, reads shaped by its duration.
    fn default() -> Self {
        WaitOptions {
            timeout: Duration::from_secs(600),
            first_interval: Duration::from_millis(500),
            max_interval: Duration::from_secs(5),
            factor: 1.5,
            max_polls: None,
            delay_first_poll: false,
            explicit_intervals: false,
            transition: None,
            time_scale: 1.0,
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
        self.explicit_intervals = true;
        self
    }

    /// The longest delay between two polls.
    pub fn max_interval(mut self, interval: Duration) -> Self {
        self.max_interval = interval;
        self.explicit_intervals = true;
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
        self.explicit_intervals = true;
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

    /// The transition awaited: with [`WaitOptions::delay_first_poll`] (the caller has just
    /// started it) and no interval set by the caller, the reads follow its [`Profile`], and the
    /// wait's outcome refines that profile ([`Transition::profile`]).
    pub fn transition(mut self, transition: Transition) -> Self {
        self.transition = Some(transition);
        self
    }

    /// Multiplies every delay between polls (not the timeout), and the durations the shaped
    /// reads expect: for a simulator whose transitions last that fraction of the real ones. A
    /// scale that is not a positive finite number counts as 1.
    pub fn time_scale(mut self, scale: f64) -> Self {
        self.time_scale = if scale.is_finite() && scale > 0.0 {
            scale
        } else {
            1.0
        };
        self
    }

    /// The configured timeout.
    pub fn get_timeout(&self) -> Duration {
        self.timeout
    }

    /// The shaped reads, when this wait follows them.
    fn shaped(&self) -> Option<Reads> {
        let transition = self.transition?;
        (self.delay_first_poll && !self.explicit_intervals).then(|| transition.profile().reads())
    }

    fn scaled(&self, delay: Duration) -> Duration {
        Duration::try_from_secs_f64(delay.as_secs_f64() * self.time_scale).unwrap_or(Duration::MAX)
    }
}

/// A transition this crate starts and then waits for. Each has a [`Profile`] of its duration,
/// from recorded real traffic, which the waits of this process refine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Transition {
    /// `poweron` of a server whose root volume is a Block volume: `starting` → `running`.
    PowerOnBlockRoot,
    /// `poweron` of a server whose root volume is local (its image is copied first).
    PowerOnLocalRoot,
    /// `poweroff`: `stopping` → `stopped`.
    PowerOff,
    /// `terminate` of a server nothing is known of, or with a Block root on a DEV1 or PLAY2
    /// type (recorded both quick and slow): `stopping` → gone. [`Transition::terminate_of`]
    /// picks the terminate a server goes through.
    Terminate,
    /// `terminate` of a server with up to 15 GB of local volumes: gone within 5 s.
    TerminateQuick,
    /// `terminate` of a server with more local storage, or with a Block root on a larger type:
    /// 10 to 17 s.
    TerminateSlow,
    /// `terminate` of a Windows server: about two minutes.
    TerminateWindows,
    /// A private NIC on a running server: `syncing` → `available`.
    PrivateNic,
    /// A new Block volume: `creating` → `available`.
    VolumeCreate,
    /// A Block volume attached to a server.
    Attach,
    /// A Block volume detached from a server.
    Detach,
}

const TRANSITIONS: usize = 11;

/// The spread (standard deviation of the logarithm) where the recorded times bound a
/// transition from above only: the one of the transitions recorded with both bounds (poweron
/// with a local root 0.33, private NIC 0.38).
const SHARED_SPREAD: f64 = 0.35;

impl Transition {
    fn index(self) -> usize {
        self as usize
    }

    /// What the recorded real traffic says of its duration: lognormal fits of the recorded
    /// times (each known between the last read that showed the transition under way and the
    /// first that showed it done, reads being about 5 s apart).
    pub fn recorded(self) -> Profile {
        let (median, spread) = match self {
            // 31 recorded, 29 within 7 s, two about 20 s.
            Transition::PowerOnBlockRoot => (4.26, SHARED_SPREAD),
            // 13 recorded, 10 to 35 s, most 10 to 16 s.
            Transition::PowerOnLocalRoot => (15.64, 0.33),
            // 2 recorded, 20 to 27 s.
            Transition::PowerOff => (22.65, SHARED_SPREAD),
            // 41 recorded: 22 within 7 s, 17 within 9 to 17 s, one 26 s, one 118 s.
            Transition::Terminate => (5.70, 1.03),
            // 22 recorded, all seen gone by the first read at 5 s: the median whose 95th
            // percentile is 6 s.
            Transition::TerminateQuick => (3.37, SHARED_SPREAD),
            // 18 recorded: 17 within 9 to 17 s, one 20 to 27 s.
            Transition::TerminateSlow => (13.33, 0.17),
            // 1 recorded, 111 to 119 s.
            Transition::TerminateWindows => (114.93, SHARED_SPREAD),
            // 3 recorded: 20 to 27 s, and twice 50 to 57 s.
            Transition::PrivateNic => (40.45, 0.38),
            // 45 recorded, all within 7 s, 6 within 1 s.
            Transition::VolumeCreate => (0.69, SHARED_SPREAD),
            // About 1 s.
            Transition::Attach => (1.0, SHARED_SPREAD),
            // Once, within the second of the request: the median whose 95th percentile is 1 s.
            Transition::Detach => (0.56, SHARED_SPREAD),
        };
        Profile {
            median: Duration::from_secs_f64(median),
            spread,
        }
    }

    /// The terminate a server goes through, by what it holds: its commercial type and the
    /// bytes of its local volumes. In the recordings, terminate wipes local volumes (10 and
    /// 15 GB were gone by the first read at 5 s, 20 GB after 10 to 15 s); with a Block root,
    /// DEV1 and PLAY2 servers were gone by 5 s two times in three and after 10 to 15 s
    /// otherwise, larger types always took 10 s or more, and a Windows server two minutes.
    pub fn terminate_of(commercial_type: &str, local_bytes: u64) -> Transition {
        /// The local volumes recorded wiped within 5 s: 15 GB (20 GB never).
        const QUICK_WIPE_BYTES: u64 = 15_000_000_000;
        if commercial_type.ends_with("-WIN") {
            Transition::TerminateWindows
        } else if local_bytes > 0 {
            if local_bytes <= QUICK_WIPE_BYTES {
                Transition::TerminateQuick
            } else {
                Transition::TerminateSlow
            }
        } else if ["DEV1-", "PLAY2-"]
            .iter()
            .any(|family| commercial_type.starts_with(family))
        {
            Transition::Terminate
        } else {
            Transition::TerminateSlow
        }
    }

    /// The profile this process expects now: [`Transition::recorded`], with its median moved
    /// toward the durations this process's waits observed ([`Profile::refined`]).
    pub fn profile(self) -> Profile {
        let observed = OBSERVED.lock().unwrap_or_else(|e| e.into_inner())[self.index()];
        self.recorded().refined(observed)
    }

    /// Tells the profile that a transition of this kind was still under way `pending` after it
    /// started and over by `done`.
    pub fn observe(self, pending: Duration, done: Duration) {
        let Some(log) = Observation::bracket(self.recorded(), self.profile(), pending, done) else {
            return;
        };
        let mut observed = OBSERVED.lock().unwrap_or_else(|e| e.into_inner());
        let slot = &mut observed[self.index()];
        slot.count += 1;
        slot.log_sum += log;
    }
}

/// The durations observed of one transition kind, in this process.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Observed {
    /// How many were observed.
    pub count: u32,
    /// The sum of their logarithms (of seconds).
    pub log_sum: f64,
}

static OBSERVED: Mutex<[Observed; TRANSITIONS]> = Mutex::new(
    [Observed {
        count: 0,
        log_sum: 0.0,
    }; TRANSITIONS],
);

struct Observation;

impl Observation {
    /// The logarithm of a duration known to lie between `pending` and `done` (the middle, in
    /// logarithms), or, for a transition over by the first read (`pending` zero), the mean
    /// logarithm of the durations under `done` that the `current` profile expects: leaving
    /// those out would count only the longer transitions. `None` for an empty bracket. The
    /// estimate stays within [`Profile::REACH`] spreads of the recorded median, so that one odd
    /// wait weighs like an unusual but possible one.
    fn bracket(recorded: Profile, current: Profile, pending: Duration, done: Duration) -> Option<f64> {
        if done.is_zero() || done < pending {
            return None;
        }
        let estimate = if pending.is_zero() {
            let center = current.median.as_secs_f64().ln();
            let spread = current.spread.max(1e-3);
            let a = (done.as_secs_f64().ln() - center) / spread;
            // The mean of a normal truncated above `a`: center − spread·φ(a)/Φ(a).
            let density = (-0.5 * a * a).exp() / (2.0 * std::f64::consts::PI).sqrt();
            let below = 0.5 * libm::erfc(-a / std::f64::consts::SQRT_2);
            center - spread * density / below.max(1e-12)
        } else {
            0.5 * (pending.as_secs_f64().ln() + done.as_secs_f64().ln())
        };
        let center = recorded.median.as_secs_f64().ln();
        let reach = Profile::REACH * recorded.spread;
        Some(estimate.clamp(center - reach, center + reach))
    }
}

/// Forgets what this process's waits observed: every profile is the recorded one again (for a
/// process that moves to another environment, e.g. from a simulator to the real API).
pub fn forget_observations() {
    *OBSERVED.lock().unwrap_or_else(|e| e.into_inner()) = [Observed::default(); TRANSITIONS];
}

/// What a transition's duration is expected to be: lognormal, with this median and spread.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    /// The median duration.
    pub median: Duration,
    /// The standard deviation of the logarithm of the duration (0.35: half of the durations
    /// within ×/÷1.27 of the median, 90% within ×/÷1.78).
    pub spread: f64,
}

impl Profile {
    /// Each shaped read comes at most this factor after the one before, until the transition is
    /// almost surely over: a transition that ends between two reads is seen less than 8% of its
    /// time late, which leaves 2% for the time a read takes.
    pub const STEP: f64 = 1.08;
    /// What a fixed poll's interval is: 5 s, the official Go SDK's default. Up to the median
    /// duration, the shaped reads are no more than a fixed poll makes (its first read at once).
    pub const FIXED_POLL: Duration = Duration::from_secs(5);
    /// The read that a fixed poll's reads up to the median allow (the last one no more reads
    /// than the fixed poll's sees) comes this many spreads above the median or more (the 58th
    /// percentile): a run's median transition, a little longer or shorter than the expected
    /// median, is then seen by it most of the time.
    pub const ANCHOR_MIN: f64 = 0.2;
    /// ... and up to this many (the 74th percentile) when the reads before it still start early
    /// enough ([`Profile::COVERED`]): long transitions, with many reads before their median.
    pub const ANCHOR_MAX: f64 = 0.65;
    /// The first read comes no later than this many spreads from the median (the 25th
    /// percentile) when [`Profile::ANCHOR_MIN`] allows: the transitions after it, three in four,
    /// are seen less than 10% late.
    pub const COVERED: f64 = -0.674;
    /// No read before this many spreads below the median (the 5th percentile).
    pub const FIRST: f64 = -1.645;
    /// Reads stay close until this many spreads above the median (the 99th percentile), then
    /// the intervals grow by half up to the fixed poll's.
    pub const DENSE_END: f64 = 2.326;
    /// How far from the recorded median (in spreads) observations may move the expected median.
    pub const REACH: f64 = 2.0;
    /// How many observations the recorded profile weighs like.
    pub const PRIOR_WEIGHT: f64 = 5.0;

    /// This profile with its median moved toward what was `observed`: the mean of the
    /// logarithms, the recorded median counting as [`Profile::PRIOR_WEIGHT`] observations.
    pub fn refined(self, observed: Observed) -> Profile {
        if observed.count == 0 {
            return self;
        }
        let prior = self.median.as_secs_f64().ln();
        let log = (Self::PRIOR_WEIGHT * prior + observed.log_sum)
            / (Self::PRIOR_WEIGHT + f64::from(observed.count));
        let reach = Self::REACH * self.spread;
        let median = log.clamp(prior - reach, prior + reach).exp();
        Profile {
            median: Duration::from_secs_f64(median),
            ..self
        }
    }

    /// When to read, from the moment the transition started, for a transition with this
    /// profile: close reads ([`Profile::STEP`]) from the 5th percentile on, or from as late as
    /// lets the reads up to a little past the median ([`Profile::ANCHOR_MIN`]) be no more than
    /// a fixed 5 s poll's, up to the 99th percentile; then growing by half up to 5 s. Endless.
    pub fn reads(&self) -> Reads {
        let median = self.median.as_secs_f64().max(1e-3);
        let spread = if self.spread.is_finite() {
            self.spread.clamp(0.0, 3.0)
        } else {
            0.0
        };
        let fixed = Self::FIXED_POLL.as_secs_f64();
        // A fixed poll reads at 0, 5, 10, ... s: it sees a transition of median length at its
        // `allowed`-th read.
        let allowed = (median / fixed).ceil().max(1.0) + 1.0;
        // The highest anchor whose first read, `allowed - 1` steps before it, sees within 10% the
        // transitions from the `COVERED` percentile on; within the bounds.
        let span = (1.1 * Self::STEP.powf(allowed - 1.0)).ln();
        let anchor_z = if spread > 0.0 {
            (Self::COVERED + span / spread).clamp(Self::ANCHOR_MIN, Self::ANCHOR_MAX)
        } else {
            Self::ANCHOR_MIN
        };
        let anchor = median * (anchor_z * spread).exp();
        let first = (anchor / Self::STEP.powf(allowed - 1.0)).max(median * (Self::FIRST * spread).exp());
        Reads {
            next: first,
            interval: first * (Self::STEP - 1.0),
            dense_end: median * (Self::DENSE_END * spread).exp(),
        }
    }
}

/// The read times of [`Profile::reads`], from the start of the transition.
#[derive(Debug, Clone)]
pub struct Reads {
    next: f64,
    interval: f64,
    dense_end: f64,
}

impl Iterator for Reads {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let at = self.next;
        let cap = Profile::FIXED_POLL.as_secs_f64();
        self.interval = if at < self.dense_end {
            at * (Profile::STEP - 1.0)
        } else {
            self.interval * 1.5
        }
        .min(cap);
        self.next = at + self.interval;
        Some(Duration::from_secs_f64(at))
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
    let max_interval = options.scaled(options.max_interval);
    let mut interval = options.scaled(options.first_interval).min(max_interval);
    let mut shaped = options.shaped();
    // The next read's time, on the shaped schedule (each read after the one before, even when
    // a slow read took the time of the next).
    let mut shaped_read = |now: Instant| {
        shaped
            .as_mut()
            .and_then(Iterator::next)
            .map(|at| now.max(started.checked_add(options.scaled(at)).unwrap_or(deadline)))
    };
    if options.delay_first_poll {
        match shaped_read(started) {
            Some(at) => tokio::time::sleep_until(at.min(deadline)).await,
            None => {
                tokio::time::sleep(interval).await;
                interval = grow(interval, options.factor, max_interval);
            }
        }
    }
    // When the last read that saw the transition under way started (from the start of the
    // wait), and when the current read started: the bracket a reached state tells the
    // transition's profile.
    let mut pending_read: Option<Duration> = None;
    let mut this_read = started.elapsed();
    let mut state = poll().await?;
    let mut polls = 1u32;
    loop {
        match classify(&state) {
            Status::Reached => {
                if let (Some(transition), true) = (options.transition, options.delay_first_poll) {
                    let unscaled = |d: Duration| d.div_f64(options.time_scale);
                    transition.observe(unscaled(pending_read.unwrap_or_default()), unscaled(this_read));
                }
                return Ok(Outcome::Reached(state));
            }
            Status::Failed => return Ok(Outcome::Failed(state)),
            Status::Pending => pending_read = Some(this_read),
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
        let next = match shaped_read(now) {
            Some(at) => at.min(deadline),
            None => {
                let at = now.checked_add(interval).map_or(deadline, |at| at.min(deadline));
                interval = grow(interval, options.factor, max_interval);
                at
            }
        };
        tokio::time::sleep_until(next).await;
        polls += 1;
        this_read = started.elapsed();
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
