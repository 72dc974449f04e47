//! Build-time code generation: spec discovery and normalization rules, official spec files
//! dropped in unchanged, the generated types against real recorded traffic, and a stream on
//! every list operation.
//!
//! The tests include `codegen/` itself, so what they check is exactly what `build.rs` runs.

#[path = "../common/mod.rs"]
#[allow(dead_code)]
mod common;

#[path = "../../codegen/mod.rs"]
mod codegen;

mod official_specs;
mod real_traffic;
mod rules;
mod streams;
