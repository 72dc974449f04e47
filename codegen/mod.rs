//! Build-time code generation from the vendored OpenAPI specs.
//!
//! Used by `build.rs` (through `#[path]`) and by the tests, which include the same modules so
//! that what they check is exactly what the build does.

#![allow(dead_code)]

pub mod generate;
pub mod normalize;
pub mod specs;
pub mod streams;
