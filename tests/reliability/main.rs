//! Reliability: what the SDK does with bad input and with secrets.
//!
//! - `bad_input`: every operation of the `Provider` and of the Scaleway layer refuses invalid
//!   input with a typed error naming the field, before any request reaches the API;
//! - `secrets`: a realistic run with failures never shows the secret key in an error, a `Debug`
//!   or the trace.

mod bad_input;
mod secrets;
