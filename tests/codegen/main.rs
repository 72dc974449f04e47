//! Build-time code generation: spec discovery and normalization rules, official spec files
//! dropped in unchanged, and the generated types against real recorded traffic.
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
