//! Reliability: what the SDK does with bad input, secrets and malformed documents or answers.
//!
//! - `bad_input`: every operation of the `Provider` and of the Scaleway layer refuses invalid
//!   input with a typed error naming the field, before any request reaches the API;
//! - `secrets`: a realistic run with failures never shows the secret key in an error, a `Debug`
//!   or the trace;
//! - `fuzz`: property tests of the spec normalizer and the error-body parser
//!   (`SCW_SDK_FUZZ_CASES=100000` for a long run).

mod bad_input;
mod fuzz;
mod secrets;
