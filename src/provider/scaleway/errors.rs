//! The layer's errors in neutral terms: Scaleway's names for fields and resources become the
//! provider model's, and API failures keep status, retryability and request id with the
//! runtime error as their source.

use crate::Error;
use crate::provider::ProviderError;

/// Scaleway's names for what a neutral caller knows by another name.
const NEUTRAL_NAMES: &[(&str, &str)] = &[
    ("commercial type", "instance type"),
    ("private network id", "network id"),
    ("private network", "network"),
    ("instance_private_network", "network"),
    ("security group id", "firewall id"),
    ("security group name", "firewall name"),
    ("security group", "firewall"),
    ("instance_security_group", "firewall"),
    ("instance_server", "server"),
    ("instance_volume", "volume"),
];

fn neutral(name: &str) -> &str {
    NEUTRAL_NAMES
        .iter()
        .find(|(scaleway, _)| *scaleway == name)
        .map_or(name, |(_, neutral)| neutral)
}

/// The neutral kind of a resource, as [`ProviderError`] names them.
fn neutral_kind(resource: &str) -> &'static str {
    match neutral(resource) {
        "server" => "server",
        "volume" => "volume",
        "network" => "network",
        "firewall" => "firewall",
        "image" | "instance_image" => "image",
        _ => "resource",
    }
}

impl From<Error> for ProviderError {
    fn from(e: Error) -> Self {
        match e {
            Error::InvalidInput { field, reason } => ProviderError::InvalidInput {
                field: neutral(&field).to_string(),
                reason,
            },
            // Decided by a workflow (a resource it needs is gone), not an answer of the API.
            Error::NotFound {
                resource,
                resource_id,
                answer: None,
            } => ProviderError::NotFound {
                kind: neutral_kind(&resource),
                name: resource_id,
            },
            Error::InUse { kind, id, users } => ProviderError::InUse {
                kind: neutral_kind(&kind),
                id,
                users,
            },
            Error::WaitTimeout { what, last_state } => ProviderError::Timeout { what, last_state },
            Error::FailedState { what, state } => ProviderError::FailedState { what, state },
            Error::LeftBehind { kind, id, source } => ProviderError::LeftBehind {
                kind: neutral_kind(&kind),
                id,
                source: Box::new((*source).into()),
            },
            Error::CleanupFailed { original, cleanup } => ProviderError::CleanupFailed {
                original: Box::new((*original).into()),
                cleanup: Box::new((*cleanup).into()),
            },
            e => ProviderError::Api {
                status: e.status(),
                retryable: e.is_retryable(),
                may_have_been_applied: e.may_have_been_applied(),
                request_id: e.request_id().map(str::to_string),
                source: Box::new(e),
            },
        }
    }
}
