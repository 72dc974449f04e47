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
use std::time::Instant;

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use scaleway_client::wait::Transition;
use serde::Serialize;

use crate::http::Ctx;
use crate::store::scaled;

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
    /// `terminate` of a server that ends within the first 5 s: `stopping` → gone
    /// ([`TransitionKind::terminate_of`] says which terminate a server goes through).
    TerminateQuick,
    /// `terminate` of a server that takes 10 to 17 s.
    TerminateSlow,
    /// `terminate` of a Windows server (about two minutes).
    TerminateWindows,
    /// A private NIC added to a running server: `syncing` → `available`.
    PrivateNic,
    /// A new Block volume: `creating` → `available`.
    VolumeCreate,
    /// A Block volume attached to a server: reference `attaching` → `attached`.
    Attach,
    /// A Block volume detached from a server by a detach: reference `detaching` → gone.
    Detach,
    /// A Block volume a server held when that server was deleted (DELETE of a stopped
    /// server): reference `detaching` → gone.
    DetachOnDelete,
}

impl TransitionKind {
    /// Every kind.
    pub const ALL: [TransitionKind; 11] = [
        TransitionKind::PowerOnBlockRoot,
        TransitionKind::PowerOnLocalRoot,
        TransitionKind::PowerOff,
        TransitionKind::TerminateQuick,
        TransitionKind::TerminateSlow,
        TransitionKind::TerminateWindows,
        TransitionKind::PrivateNic,
        TransitionKind::VolumeCreate,
        TransitionKind::Attach,
        TransitionKind::Detach,
        TransitionKind::DetachOnDelete,
    ];

    /// The terminate a server goes through, by what it holds: the recorded classes the
    /// client's waits know too ([`Transition::terminate_of`]: local volumes wiped quickly up to
    /// 15 GB, larger types slow, Windows about two minutes). Where the recordings cannot tell
    /// (DEV1 and PLAY2 with a Block root: quick 14 times in 22), `chance`, a uniform draw in
    /// [0, 1), picks quick below [`TERMINATE_QUICK_SHARE`].
    pub fn terminate_of(commercial_type: &str, local_bytes: u64, chance: f64) -> TransitionKind {
        match Transition::terminate_of(commercial_type, local_bytes) {
            Transition::TerminateQuick => TransitionKind::TerminateQuick,
            Transition::TerminateWindows => TransitionKind::TerminateWindows,
            Transition::Terminate if chance < TERMINATE_QUICK_SHARE => TransitionKind::TerminateQuick,
            _ => TransitionKind::TerminateSlow,
        }
    }

    /// The distribution its durations are drawn from.
    pub fn duration(self) -> Lognormal {
        match self {
            TransitionKind::PowerOnBlockRoot => POWER_ON_BLOCK_ROOT,
            TransitionKind::PowerOnLocalRoot => POWER_ON_LOCAL_ROOT,
            TransitionKind::PowerOff => POWER_OFF,
            TransitionKind::TerminateQuick => TERMINATE_QUICK,
            TransitionKind::TerminateSlow => TERMINATE_SLOW,
            TransitionKind::TerminateWindows => TERMINATE_WINDOWS,
            TransitionKind::PrivateNic => PRIVATE_NIC,
            TransitionKind::VolumeCreate => VOLUME_CREATE,
            TransitionKind::Attach => ATTACH,
            TransitionKind::Detach => DETACH,
            TransitionKind::DetachOnDelete => DETACH_ON_DELETE,
        }
    }

    /// Whether [`TransitionKind::duration`] was fitted to recorded intervals (rather than set
    /// from the few facts the recordings give).
    pub fn fitted(self) -> bool {
        !matches!(
            self,
            TransitionKind::Attach | TransitionKind::Detach | TransitionKind::DetachOnDelete
        )
    }

    /// Whether the fit bounded the spread too (else it is [`SHARED_SPREAD`]).
    pub fn spread_fitted(self) -> bool {
        matches!(
            self,
            TransitionKind::PowerOnLocalRoot | TransitionKind::TerminateSlow | TransitionKind::PrivateNic
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
/// Terminate, quick: n=22, intervals (0, 6..7] s (the first read, 5 s after, saw it gone), which
/// bound it from above only. Fitted, with the shared spread, the likelihood grows as the median
/// shrinks to nothing; the median is instead the one whose 95th percentile is the bound, 6 s:
/// the longest the recordings make likely, a guess.
pub const TERMINATE_QUICK: Lognormal = Lognormal {
    median: 3.37,
    spread: SHARED_SPREAD,
};
/// Terminate, slow: n=18, 17 intervals (9..10, 16..17] s and one (20, 27] s (a PRO2-S).
pub const TERMINATE_SLOW: Lognormal = Lognormal {
    median: 13.33,
    spread: 0.17,
};
/// Terminate, Windows: n=1, (111, 119] s; the median fitted with the shared spread.
pub const TERMINATE_WINDOWS: Lognormal = Lognormal {
    median: 114.93,
    spread: SHARED_SPREAD,
};
/// The share of quick terminates of DEV1 and PLAY2 servers with a Block root: 14 of 22.
pub const TERMINATE_QUICK_SHARE: f64 = 14.0 / 22.0;
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
/// Detach: not fitted; one recorded detach, whose reference was `detaching` and then gone in
/// the same second as the request, (0, 1] s. The median is the one whose 95th percentile is 1 s,
/// with the shared spread, as for [`TERMINATE_QUICK`]: a guess.
pub const DETACH: Lognormal = Lognormal {
    median: 0.56,
    spread: SHARED_SPREAD,
};
/// Detach on a server's DELETE: not fitted; twice recorded, `detaching` and then gone within
/// 5 s and within 6 s of the DELETE: a median of 2 s with a spread that puts both in range.
pub const DETACH_ON_DELETE: Lognormal = Lognormal {
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
    /// When the simulator accepted the request that started it, on its clock (tokio's, which is
    /// the system's monotonic clock unless a test paused it). Not serialized: an instant means
    /// nothing outside the process.
    #[serde(skip)]
    pub began: Instant,
    /// When it ends at the simulator's time scale: `began` plus `seconds` times the scale. A
    /// request the simulator accepts at this instant or later sees it done.
    #[serde(skip)]
    pub ends: Instant,
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

    /// The generator of `kind`'s draws.
    fn generator(&mut self, kind: TransitionKind) -> &mut StdRng {
        let seed = self.seed;
        self.generators
            .entry(kind)
            .or_insert_with(|| StdRng::seed_from_u64(split_mix(seed ^ split_mix(kind as u64 + 1))))
    }

    /// The next duration of `kind` for `resource_id`, in seconds at time scale 1, for a
    /// transition that starts with the request `ctx` serves (its end is stamped from `ctx`'s
    /// instant and time scale, as the handlers date the transition's steps).
    pub fn draw(&mut self, kind: TransitionKind, resource_id: &str, ctx: &Ctx) -> f64 {
        let rng = self.generator(kind);
        // Box-Muller: two uniforms in (0, 1] make one standard normal draw.
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random();
        let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
        let seconds = kind.duration().at(z);
        self.drawn.push(DrawnTransition {
            kind,
            resource_id: resource_id.to_string(),
            seconds,
            began: ctx.now.into_std(),
            ends: (ctx.now + scaled(seconds, ctx.scale)).into_std(),
        });
        seconds
    }
}

impl Timings {
    /// The duration of `server_id`'s terminate, by what the server holds
    /// ([`TransitionKind::terminate_of`]); the chance that picks a quick or a slow one where
    /// the recordings cannot tell comes from the quick kind's generator.
    pub fn draw_terminate(
        &mut self,
        server_id: &str,
        commercial_type: &str,
        local_bytes: u64,
        ctx: &Ctx,
    ) -> f64 {
        let chance: f64 = self.generator(TransitionKind::TerminateQuick).random();
        let kind = TransitionKind::terminate_of(commercial_type, local_bytes, chance);
        self.draw(kind, server_id, ctx)
    }
}

/// SplitMix64's finalizer: nearby seeds (0, 1, 2, ...) give unrelated generators.
fn split_mix(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
