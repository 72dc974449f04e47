//! How long the transitions a client waits for last: each duration is drawn from a lognormal
//! fitted to recorded real traffic, from a generator seeded by
//! [`SimulatorOptions::seed`](crate::SimulatorOptions::seed), so that a run that sends its
//! requests in the same order sees the same durations.
//!
//! The recordings' clients read about every 5 s and their `Date` headers have a 1 s
//! resolution, so a recorded transition is only known to have ended after the last read that
//! still showed it under way and by the first that showed it done: an interval. The constants
//! below are interval-censored maximum-likelihood fits of a lognormal to those intervals (each
//! widened by 1 s on both sides for the `Date` resolution). Where every interval starts at 0
//! (the first read after the action already showed the end), the intervals bound a duration
//! from above only and leave its spread free: there the spread is the one fitted where both
//! sides are bounded ([`SHARED_SPREAD`]), and only the median is fitted. The simulator's tests
//! re-derive the intervals from the recordings and check these constants against them.

use std::collections::HashMap;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Serialize;

/// A transition whose duration is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TransitionKind {
    /// `poweron` of a server whose root volume is a Block volume: `starting` → `running`.
    PowerOnBlockRoot,
    /// `poweron` of a server whose root volume is local: `starting` → `running`.
    PowerOnLocalRoot,
    /// `poweroff`: `stopping` → `stopped`.
    PowerOff,
    /// `terminate`: `stopping` → gone.
    Terminate,
    /// A private NIC added to a running server: `syncing` → `available`.
    PrivateNic,
    /// A new Block volume: `creating` → `available`.
    VolumeCreate,
    /// A Block volume attached to a server: reference `attaching` → `attached`.
    Attach,
    /// A Block volume detached from a server: reference `detaching` → gone.
    Detach,
}

impl TransitionKind {
    /// Every kind.
    pub const ALL: [TransitionKind; 8] = [
        TransitionKind::PowerOnBlockRoot,
        TransitionKind::PowerOnLocalRoot,
        TransitionKind::PowerOff,
        TransitionKind::Terminate,
        TransitionKind::PrivateNic,
        TransitionKind::VolumeCreate,
        TransitionKind::Attach,
        TransitionKind::Detach,
    ];

    /// The distribution its durations are drawn from.
    pub fn duration(self) -> Lognormal {
        match self {
            TransitionKind::PowerOnBlockRoot => POWER_ON_BLOCK_ROOT,
            TransitionKind::PowerOnLocalRoot => POWER_ON_LOCAL_ROOT,
            TransitionKind::PowerOff => POWER_OFF,
            TransitionKind::Terminate => TERMINATE,
            TransitionKind::PrivateNic => PRIVATE_NIC,
            TransitionKind::VolumeCreate => VOLUME_CREATE,
            TransitionKind::Attach => ATTACH,
            TransitionKind::Detach => DETACH,
        }
    }

    /// Whether [`TransitionKind::duration`] was fitted to recorded intervals (rather than set
    /// from the few facts the recordings give).
    pub fn fitted(self) -> bool {
        !matches!(self, TransitionKind::Attach | TransitionKind::Detach)
    }

    /// Whether the fit bounded the spread too (else it is [`SHARED_SPREAD`]).
    pub fn spread_fitted(self) -> bool {
        matches!(
            self,
            TransitionKind::PowerOnLocalRoot | TransitionKind::Terminate | TransitionKind::PrivateNic
        )
    }
}

/// A lognormal distribution of durations in seconds: `ln(duration)` is normal with mean
/// `ln(median)` and standard deviation `spread`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Lognormal {
    /// The median, in seconds.
    pub median: f64,
    /// The standard deviation of the logarithm.
    pub spread: f64,
}

impl Lognormal {
    /// No draw is further than this many spreads from the median (in the logarithm): a run
    /// meets no absurd duration, and 99.7% of the distribution is kept.
    pub const BOUND: f64 = 3.0;

    /// The shortest and longest durations drawn.
    pub fn bounds(self) -> (f64, f64) {
        let reach = (Self::BOUND * self.spread).exp();
        (self.median / reach, self.median * reach)
    }

    /// A duration for the standard normal draw `z` (bounded to [`Lognormal::BOUND`]).
    fn at(self, z: f64) -> f64 {
        self.median * (z.clamp(-Self::BOUND, Self::BOUND) * self.spread).exp()
    }
}

/// The spread where the recorded intervals bound a duration from above only: the value fitted
/// where both sides are bounded (poweron with a local root 0.33, private NIC 0.38).
pub const SHARED_SPREAD: f64 = 0.35;

/// Poweron, Block root: n=31, 29 intervals (0, 6..7] s and two (15, 22] s; the median fitted
/// with the shared spread.
pub const POWER_ON_BLOCK_ROOT: Lognormal = Lognormal {
    median: 4.26,
    spread: SHARED_SPREAD,
};
/// Poweron, local root: n=13, intervals from (4, 11] to (29, 36] s, most (10, 17] s.
pub const POWER_ON_LOCAL_ROOT: Lognormal = Lognormal {
    median: 15.64,
    spread: 0.33,
};
/// Poweroff: n=2, (19, 26] and (20, 27] s; the median fitted with the shared spread.
pub const POWER_OFF: Lognormal = Lognormal {
    median: 22.65,
    spread: SHARED_SPREAD,
};
/// Terminate (either root): n=41, 22 intervals (0, 6..7] s, 17 (9, 17] s, one (20, 27] s and
/// one (111, 119] s (a Windows server): a wide spread.
pub const TERMINATE: Lognormal = Lognormal {
    median: 5.70,
    spread: 1.03,
};
/// A private NIC on a running server: n=3, (20, 27], (49, 56] and (50, 57] s.
pub const PRIVATE_NIC: Lognormal = Lognormal {
    median: 40.45,
    spread: 0.38,
};
/// A new Block volume: n=45, 6 intervals (0, 1] s, one (1, 3] s, the others (0, 3..7] s; the
/// median fitted with the shared spread.
pub const VOLUME_CREATE: Lognormal = Lognormal {
    median: 0.69,
    spread: SHARED_SPREAD,
};
/// Attach: not fitted; recorded `attaching` about 1 s after the change, then attached.
pub const ATTACH: Lognormal = Lognormal {
    median: 1.0,
    spread: SHARED_SPREAD,
};
/// Detach: not fitted; one recorded interval (0, 1] s, and a reference `detaching` for up to
/// 5 s after a server's DELETE: a median of 2 s with a spread that puts both in range (12%
/// below 1 s, 5% above 5.4 s).
pub const DETACH: Lognormal = Lognormal {
    median: 2.0,
    spread: 0.6,
};

/// One duration drawn.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DrawnTransition {
    /// What the transition is.
    pub kind: TransitionKind,
    /// The resource that goes through it (the volume, for an attach or a detach).
    pub resource_id: String,
    /// How long it lasts at time scale 1, in seconds.
    pub seconds: f64,
}

/// The generators of the durations: one per kind, so that the durations of one kind depend
/// only on the seed and on the order of that kind's requests.
#[derive(Debug, Default)]
pub(crate) struct Timings {
    seed: u64,
    generators: HashMap<TransitionKind, StdRng>,
    /// Every duration drawn, in order.
    pub drawn: Vec<DrawnTransition>,
}

impl Timings {
    pub fn new(seed: u64) -> Timings {
        Timings {
            seed,
            ..Timings::default()
        }
    }

    /// The next duration of `kind` for `resource_id`, in seconds at time scale 1.
    pub fn draw(&mut self, kind: TransitionKind, resource_id: &str) -> f64 {
        let seed = self.seed;
        let rng = self
            .generators
            .entry(kind)
            .or_insert_with(|| StdRng::seed_from_u64(split_mix(seed ^ split_mix(kind as u64 + 1))));
        // Box-Muller: two uniforms in (0, 1] make one standard normal draw.
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let seconds = kind.duration().at(z);
        self.drawn.push(DrawnTransition {
            kind,
            resource_id: resource_id.to_string(),
            seconds,
        });
        seconds
    }
}

/// SplitMix64's finalizer: nearby seeds (0, 1, 2, ...) give unrelated generators.
fn split_mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
