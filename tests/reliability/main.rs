//! Reliability: what the SDK does with bad input.
//!
//! - `bad_input`: every operation of the `Provider` and of the Scaleway layer refuses invalid
//!   input with a typed error naming the field, before any request reaches the API.

mod bad_input;
