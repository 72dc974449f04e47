//! Reliability: what the SDK does with bad input, secrets, malformed documents or answers, lost
//! answers, fault storms and many callers at once.
//!
//! - `bad_input`: every operation of the `Provider` and of the Scaleway layer refuses invalid
//!   input with a typed error naming the field, before any request reaches the API;
//! - `secrets`: a realistic run with failures never shows the secret key in an error, a `Debug`
//!   or the trace;
//! - `fuzz`: property tests of the spec normalizer and the error-body parser
//!   (`SCW_SDK_FUZZ_CASES=100000` for a long run);
//! - `lost_answers`: a lost answer on every non-idempotent step of every workflow (a table of
//!   steps), absorbed exactly once;
//! - `storm`: lifecycles under a seeded fault storm;
//! - `concurrency`: many callers at once.
//!
//! The simulator's creation log shows that nothing was ever created twice.

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;

mod bad_input;
mod concurrency;
mod fuzz;
mod lost_answers;
mod secrets;
mod storm;
