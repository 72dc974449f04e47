//! The waiting primitive, on tokio's paused clock: outcomes, poll spacing, limits, cancellation.

use std::cell::RefCell;
use std::time::Duration;

use scaleway_client::wait::{Observed, Outcome, Profile, Status, Transition, WaitOptions, wait_for};
use scaleway_client::{Error, Result};
use tokio::time::Instant;

fn server_state(state: &&'static str) -> Status {
    match *state {
        "running" => Status::Reached,
        "locked" => Status::Failed,
        _ => Status::Pending,
    }
}

/// A poll function that returns the given states in order and records when it was called.
struct Script {
    states: RefCell<Vec<&'static str>>,
    calls: RefCell<Vec<Duration>>,
    start: Instant,
}

impl Script {
    fn new(states: &[&'static str]) -> Script {
        Script {
            states: RefCell::new(states.iter().rev().copied().collect()),
            calls: RefCell::default(),
            start: Instant::now(),
        }
    }

    async fn poll(&self) -> Result<&'static str> {
        self.calls.borrow_mut().push(self.start.elapsed());
        let mut states = self.states.borrow_mut();
        Ok(if states.len() > 1 {
            states.pop().unwrap()
        } else {
            states[0]
        })
    }
}

#[tokio::test(start_paused = true)]
async fn reaches_the_state_polling_at_once_then_backing_off() {
    let script = Script::new(&["starting", "starting", "starting", "running"]);
    let options = WaitOptions::default()
        .first_interval(Duration::from_millis(500))
        .factor(2.0)
        .max_interval(Duration::from_secs(5));
    let outcome = wait_for(&options, || script.poll(), server_state).await.unwrap();
    assert_eq!(outcome, Outcome::Reached("running"));
    let calls = script.calls.borrow().clone();
    assert_eq!(
        calls,
        [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_millis(1500),
            Duration::from_millis(3500)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn intervals_stop_growing_at_the_cap() {
    let script = Script::new(&["a", "b", "c", "d", "e", "running"]);
    let options = WaitOptions::default()
        .first_interval(Duration::from_secs(1))
        .factor(3.0)
        .max_interval(Duration::from_secs(4));
    wait_for(&options, || script.poll(), server_state).await.unwrap();
    let calls = script.calls.borrow().clone();
    let gaps: Vec<u64> = calls.windows(2).map(|w| (w[1] - w[0]).as_secs()).collect();
    assert_eq!(gaps, [1, 3, 4, 4, 4]);
}

#[tokio::test(start_paused = true)]
async fn a_failed_state_ends_the_wait() {
    let script = Script::new(&["starting", "locked", "running"]);
    let outcome = wait_for(&WaitOptions::default(), || script.poll(), server_state)
        .await
        .unwrap();
    assert_eq!(outcome, Outcome::Failed("locked"));
    assert_eq!(script.calls.borrow().len(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_timeout_reports_the_last_state_and_polls_at_the_deadline() {
    let script = Script::new(&["starting"]);
    let options = WaitOptions::default()
        .timeout(Duration::from_secs(10))
        .first_interval(Duration::from_secs(3))
        .factor(1.0);
    let outcome = wait_for(&options, || script.poll(), server_state).await.unwrap();
    match outcome {
        Outcome::TimedOut { last, waited, polls } => {
            assert_eq!(last, "starting");
            assert_eq!(waited, Duration::from_secs(10));
            assert_eq!(polls, 5, "at 0, 3, 6, 9 and 10 s");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(*script.calls.borrow().last().unwrap(), Duration::from_secs(10));
}

#[tokio::test(start_paused = true)]
async fn a_poll_limit_ends_the_wait() {
    let script = Script::new(&["starting"]);
    let options = WaitOptions::default().max_polls(3);
    let outcome = wait_for(&options, || script.poll(), server_state).await.unwrap();
    assert!(
        matches!(outcome, Outcome::TimedOut { polls: 3, .. }),
        "{outcome:?}"
    );
    assert_eq!(script.calls.borrow().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_poll_error_ends_the_wait_with_that_error() {
    let mut calls = 0;
    let result = wait_for(
        &WaitOptions::default(),
        || {
            calls += 1;
            let n = calls;
            async move {
                if n < 2 {
                    Ok("starting")
                } else {
                    Err(Error::invalid_input("server id", "gone"))
                }
            }
        },
        server_state,
    )
    .await;
    assert!(matches!(result, Err(Error::InvalidInput { .. })), "{result:?}");
    assert_eq!(calls, 2);
}

#[tokio::test(start_paused = true)]
async fn dropping_the_future_cancels_the_wait() {
    let script = Script::new(&["starting"]);
    let options = WaitOptions::default()
        .first_interval(Duration::from_secs(1))
        .factor(1.0);
    let waited = tokio::time::timeout(
        Duration::from_millis(2500),
        wait_for(&options, || script.poll(), server_state),
    )
    .await;
    assert!(waited.is_err(), "the wait was still pending");
    let polls = script.calls.borrow().len();
    assert_eq!(polls, 3, "polled at 0, 1 and 2 s");
    tokio::time::sleep(Duration::from_secs(30)).await;
    assert_eq!(
        script.calls.borrow().len(),
        polls,
        "no poll after the future was dropped"
    );
}

#[tokio::test(start_paused = true)]
async fn the_first_interval_is_capped_by_the_max_interval() {
    let script = Script::new(&["a", "b", "c", "running"]);
    let options = WaitOptions::default()
        .first_interval(Duration::from_secs(10))
        .max_interval(Duration::from_secs(2))
        .factor(1.5);
    wait_for(&options, || script.poll(), server_state).await.unwrap();
    let calls = script.calls.borrow().clone();
    assert_eq!(
        calls,
        [
            Duration::ZERO,
            Duration::from_secs(2),
            Duration::from_secs(4),
            Duration::from_secs(6)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn an_infinite_or_nan_factor_is_clamped() {
    assert_eq!(
        WaitOptions::default().factor(f64::INFINITY),
        WaitOptions::default().factor(10.0)
    );
    assert_eq!(
        WaitOptions::default().factor(1e300),
        WaitOptions::default().factor(10.0)
    );
    assert_eq!(
        WaitOptions::default().factor(f64::NAN),
        WaitOptions::default().factor(1.0)
    );
    assert_eq!(
        WaitOptions::default().factor(f64::NEG_INFINITY),
        WaitOptions::default().factor(1.0)
    );

    let script = Script::new(&["a", "b", "c", "running"]);
    let options = WaitOptions::default()
        .first_interval(Duration::from_millis(100))
        .max_interval(Duration::from_secs(3))
        .factor(f64::INFINITY);
    wait_for(&options, || script.poll(), server_state).await.unwrap();
    let gaps: Vec<Duration> = script.calls.borrow().windows(2).map(|w| w[1] - w[0]).collect();
    assert_eq!(
        gaps,
        [
            Duration::from_millis(100),
            Duration::from_secs(1),
            Duration::from_secs(3)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_huge_max_interval_does_not_overflow() {
    let script = Script::new(&["a", "b", "c", "running"]);
    let options = WaitOptions::default()
        .first_interval(Duration::from_secs(u64::MAX / 4))
        .max_interval(Duration::MAX)
        .factor(10.0)
        .max_polls(3);
    let outcome = wait_for(&options, || script.poll(), server_state).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::TimedOut {
            last: "b",
            waited: Duration::from_secs(600),
            polls: 2
        }
    );

    let script = Script::new(&["a", "b", "running"]);
    let options = WaitOptions::default()
        .first_interval(Duration::MAX)
        .max_interval(Duration::MAX)
        .timeout(Duration::from_secs(30));
    let outcome = wait_for(&options, || script.poll(), server_state).await.unwrap();
    assert_eq!(
        outcome,
        Outcome::TimedOut {
            last: "b",
            waited: Duration::from_secs(30),
            polls: 2
        }
    );
}

#[tokio::test(start_paused = true)]
async fn a_poll_still_running_at_the_deadline_ends_the_wait_with_the_previous_state() {
    let mut calls = 0u32;
    let options = WaitOptions::default()
        .timeout(Duration::from_secs(10))
        .first_interval(Duration::from_secs(1))
        .factor(1.0);
    let outcome = wait_for(
        &options,
        || {
            calls += 1;
            let n = calls;
            async move {
                if n == 1 {
                    Ok("starting")
                } else {
                    // An answer that comes long after the deadline.
                    tokio::time::sleep(Duration::from_secs(60)).await;
                    Ok("running")
                }
            }
        },
        server_state,
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        Outcome::TimedOut {
            last: "starting",
            waited: Duration::from_secs(10),
            polls: 2
        }
    );
    assert_eq!(calls, 2);
}

#[tokio::test(start_paused = true)]
async fn the_first_poll_is_never_cut_short_so_there_is_always_a_state() {
    let options = WaitOptions::default().timeout(Duration::from_secs(10));
    let outcome = wait_for(
        &options,
        || async {
            tokio::time::sleep(Duration::from_secs(20)).await;
            Ok("starting")
        },
        server_state,
    )
    .await
    .unwrap();
    assert_eq!(
        outcome,
        Outcome::TimedOut {
            last: "starting",
            waited: Duration::from_secs(20),
            polls: 1
        }
    );
}

const TRANSITIONS: [Transition; 11] = [
    Transition::PowerOnBlockRoot,
    Transition::PowerOnLocalRoot,
    Transition::PowerOff,
    Transition::Terminate,
    Transition::TerminateQuick,
    Transition::TerminateSlow,
    Transition::TerminateWindows,
    Transition::PrivateNic,
    Transition::VolumeCreate,
    Transition::Attach,
    Transition::Detach,
];

/// The shaped reads of `profile` up to `until` seconds, in seconds.
fn reads_until(profile: Profile, until: f64) -> Vec<f64> {
    profile
        .reads()
        .map(|d| d.as_secs_f64())
        .take_while(|at| *at <= until)
        .collect()
}

#[test]
fn a_terminate_is_picked_by_what_the_server_holds() {
    const GB: u64 = 1_000_000_000;
    // Local volumes are wiped: up to 15 GB quickly, more slowly.
    assert_eq!(
        Transition::terminate_of("DEV1-S", 10 * GB),
        Transition::TerminateQuick
    );
    assert_eq!(
        Transition::terminate_of("DEV1-S", 15 * GB),
        Transition::TerminateQuick
    );
    assert_eq!(
        Transition::terminate_of("DEV1-S", 20 * GB),
        Transition::TerminateSlow
    );
    // A Block root: either on the small types, slow on the others.
    assert_eq!(Transition::terminate_of("PLAY2-PICO", 0), Transition::Terminate);
    assert_eq!(Transition::terminate_of("DEV1-M", 0), Transition::Terminate);
    assert_eq!(Transition::terminate_of("PRO2-XXS", 0), Transition::TerminateSlow);
    assert_eq!(
        Transition::terminate_of("POP2-2C-8G-WIN", 0),
        Transition::TerminateWindows
    );
    // The profiles follow: quick, then either, then slow, then Windows.
    let medians: Vec<f64> = [
        Transition::TerminateQuick,
        Transition::Terminate,
        Transition::TerminateSlow,
        Transition::TerminateWindows,
    ]
    .iter()
    .map(|t| t.recorded().median.as_secs_f64())
    .collect();
    assert!(medians.windows(2).all(|pair| pair[0] < pair[1]), "{medians:?}");
}

#[test]
fn shaped_reads_see_a_transition_end_less_than_ten_percent_late_from_the_first_read_on() {
    for transition in TRANSITIONS {
        let profile = transition.recorded();
        let median = profile.median.as_secs_f64();
        let percentile = |z: f64| median * (z * profile.spread).exp();
        let reads = reads_until(profile, percentile(Profile::DENSE_END));
        assert!(reads.len() >= 2, "{transition:?}: {reads:?}");
        // No read before the 5th percentile, where most transitions are still under way.
        assert!(
            reads[0] >= percentile(Profile::FIRST) * 0.999,
            "{transition:?}: {reads:?}"
        );
        // An end between two reads is seen at the second, less than 10% of its time late.
        for pair in reads.windows(2) {
            assert!(pair[1] > pair[0], "{transition:?}: {reads:?}");
            assert!(pair[1] <= pair[0] * 1.1, "{transition:?}: {pair:?}");
        }
        // Up to the 99th percentile.
        assert!(*reads.last().unwrap() * 1.1 >= percentile(Profile::DENSE_END));
    }
}

#[test]
fn shaped_reads_make_no_more_reads_than_a_fixed_5s_poll_up_to_the_median() {
    for transition in TRANSITIONS {
        let profile = transition.recorded();
        let median = profile.median.as_secs_f64();
        // A fixed 5 s poll reads at 0, 5, 10, ... s: to see an end at the median it makes
        // this many reads.
        let fixed = (median / 5.0).ceil() as usize + 1;
        let seen_at = profile.reads().position(|at| at.as_secs_f64() >= median).unwrap() + 1;
        assert!(seen_at <= fixed, "{transition:?}: {seen_at} reads, fixed {fixed}");
    }
}

#[test]
fn shaped_reads_are_never_further_apart_than_a_fixed_poll() {
    for transition in TRANSITIONS {
        let reads: Vec<Duration> = transition.recorded().reads().take(500).collect();
        for pair in reads.windows(2) {
            assert!(
                pair[1] - pair[0] <= Profile::FIXED_POLL,
                "{transition:?}: {pair:?}"
            );
        }
        // Far past the median, reads come every 5 s.
        assert_eq!(reads[499] - reads[498], Profile::FIXED_POLL);
    }
}

#[test]
fn observations_move_the_expected_median_a_bounded_way() {
    let recorded = Transition::PowerOff.recorded();
    let median = recorded.median.as_secs_f64();
    let reach = (Profile::REACH * recorded.spread).exp();
    // Many observations of 30 s: the median moves most of the way there.
    let many = Observed {
        count: 45,
        log_sum: 45.0 * 30f64.ln(),
    };
    let refined = recorded.refined(many).median.as_secs_f64();
    assert!(refined > 28.0 && refined < 30.0, "{refined}");
    assert_eq!(recorded.refined(many).spread, recorded.spread);
    // One absurd observation (a day) never moves it past the reach.
    let odd = Observed {
        count: 1,
        log_sum: 86_400f64.ln(),
    };
    let refined = recorded.refined(odd).median.as_secs_f64();
    assert!(refined <= median * reach, "{refined}");
    // Nothing observed: the recorded profile.
    assert_eq!(recorded.refined(Observed::default()), recorded);
    // Endless observations of a day stop at the reach.
    let endless = Observed {
        count: 1_000_000,
        log_sum: 1_000_000.0 * 86_400f64.ln(),
    };
    let refined = recorded.refined(endless).median.as_secs_f64();
    assert!((refined - median * reach).abs() < 1e-6 * refined, "{refined}");
}

#[tokio::test(start_paused = true)]
async fn after_an_action_the_wait_reads_on_the_shaped_schedule_scaled() {
    // Detach is awaited by no other test of this binary: its profile is the one read here.
    let expected: Vec<Duration> = Transition::Detach
        .profile()
        .reads()
        .take(3)
        .map(|d| d.mul_f64(0.1))
        .collect();
    let script = Script::new(&["detaching", "detaching", "running"]);
    let options = WaitOptions::default()
        .transition(Transition::Detach)
        .delay_first_poll(true)
        .time_scale(0.1);
    let outcome = wait_for(&options, || script.poll(), server_state).await.unwrap();
    assert_eq!(outcome, Outcome::Reached("running"));
    let calls = script.calls.borrow().clone();
    assert_eq!(calls.len(), 3);
    for (call, read) in calls.iter().zip(&expected) {
        // The paused clock's timers fire on the millisecond.
        assert!(
            call.abs_diff(*read) <= Duration::from_millis(1),
            "{calls:?} vs {expected:?}"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn intervals_the_caller_sets_win_over_the_shaped_reads() {
    let script = Script::new(&["stopping", "stopping", "stopped"]);
    let options = WaitOptions::default()
        .transition(Transition::PowerOff)
        .delay_first_poll(true)
        .first_interval(Duration::from_secs(1))
        .factor(2.0);
    let stopped = |s: &&'static str| {
        if *s == "stopped" {
            Status::Reached
        } else {
            Status::Pending
        }
    };
    let outcome = wait_for(&options, || script.poll(), stopped).await.unwrap();
    assert_eq!(outcome, Outcome::Reached("stopped"));
    assert_eq!(
        script.calls.borrow().clone(),
        [
            Duration::from_secs(1),
            Duration::from_secs(3),
            Duration::from_secs(7)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn without_an_action_just_sent_a_transition_keeps_the_default_schedule() {
    let script = Script::new(&["starting", "starting", "running"]);
    let options = WaitOptions::default().transition(Transition::PowerOnLocalRoot);
    wait_for(&options, || script.poll(), server_state).await.unwrap();
    assert_eq!(
        script.calls.borrow().clone(),
        [
            Duration::ZERO,
            Duration::from_millis(500),
            Duration::from_millis(1250)
        ]
    );
}

#[test]
fn observed_brackets_move_the_process_profile_within_bounds() {
    // Terminate is observed by no other test of this binary.
    let transition = Transition::Terminate;
    let recorded = transition.recorded();
    let reach = (Profile::REACH * recorded.spread).exp();
    let recorded_median = recorded.median.as_secs_f64();
    // Transitions seen under way at 100 s and over at 110 s: the median moves up, to the bound.
    for _ in 0..200 {
        transition.observe(Duration::from_secs(100), Duration::from_secs(110));
    }
    let up = transition.profile().median.as_secs_f64();
    assert!(up > recorded_median * 1.5, "{up}");
    assert!(up <= recorded_median * reach * 1.0001, "{up}");
    // Transitions over by a first read at 1 s count too (as the short durations the profile
    // expects under 1 s): the median comes down.
    for _ in 0..2000 {
        transition.observe(Duration::ZERO, Duration::from_secs(1));
    }
    let down = transition.profile().median.as_secs_f64();
    assert!(down < up, "{down} vs {up}");
    assert!(down >= recorded_median / reach * 0.9999, "{down}");
    // An empty bracket says nothing.
    transition.observe(Duration::from_secs(3), Duration::from_secs(2));
    assert_eq!(transition.profile().median.as_secs_f64(), down);
}
