//! Account v3: projects and contract signatures.

mod contracts;
mod projects;

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[projects::OPERATIONS, contracts::OPERATIONS];
