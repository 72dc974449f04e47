//! Wire tests of the Scaleway layer: every public function against httpmock, asserting the exact
//! requests (method, path, query, content type, body), how many times each is made and in which
//! order, and that bad input is refused before any request.
//!
//! The harness is the provider's (`tests/common/mock_api.rs`): one mock server per test, mocks
//! that answer only the exact request they describe, a log of every request, and a catch-all
//! answering 418 that `api.finish()` checks was never reached. Answers are the bodies of the
//! fixtures (`tests/fixtures/traffic/`, in the real API's shape), renamed.

mod catalog;
mod images;
mod instance_volumes;
mod ipam;
mod ips;
mod lookup;
mod private_networks;
mod private_nics;
mod security_groups;
mod servers;
mod snapshots;
mod user_data;
mod volumes;

use scaleway_client::Error;

const SERVER_ID: &str = "5f5a33b1-c733-4c20-b0c8-63edbb38f620";
const OTHER_SERVER_ID: &str = "d1ed4b6d-697a-42ca-97b9-16c053f98cca";
const ROOT_VOLUME: &str = "2321930f-3147-4b09-a514-b5a8082990fe";
const DATA_VOLUME: &str = "4f70120c-36f1-49d4-90c2-8850e0896970";
const NEW_VOLUME: &str = "3bc1eaca-fbfb-4c84-bcff-b82652818dc2";
const NETWORK_ID: &str = "c4afcdb0-e269-4d25-b9eb-460c7d948edc";
const OTHER_NETWORK_ID: &str = "e920fd51-0361-4bd8-8a4e-37af8156bf57";
const GROUP_ID: &str = "98cc7dc1-392f-4318-9f19-b9d7ef608527";
const NIC_ID: &str = "df6c6151-4d46-4cd4-b7f2-35b535c4f203";
const OTHER_NIC_ID: &str = "b3be75c7-5201-44c6-9c0f-604ae33e3431";
const IP_ID: &str = "65a60f6b-fa89-4e49-bc25-fced17fa3df3";
const PLACEMENT_GROUP_ID: &str = "7a5e3c1b-2d4f-4a6b-8c9d-0e1f2a3b4c5d";
const VPC_ID: &str = "0c3f9a7e-5b1d-4e2a-9f8c-6d4b3a2e1f0a";
/// The x86_64 sbs `ubuntu_noble` image of fr-par-1, compatible with DEV1-S.
const IMAGE_SBS: &str = "da954c89-6891-4c70-8fdc-63e094449a63";
const NOT_AN_ID: &str = "web-1";

/// An Instance path in fr-par-1.
fn inst(path: &str) -> String {
    format!("/instance/v1/zones/fr-par-1{path}")
}

/// A Block v1 path in fr-par-1.
fn block(path: &str) -> String {
    format!("/block/v1/zones/fr-par-1{path}")
}

/// A VPC v2 path in fr-par.
fn vpc(path: &str) -> String {
    format!("/vpc/v2/regions/fr-par{path}")
}

/// The result is [`Error::InvalidInput`] about `expected_field`.
#[track_caller]
fn assert_invalid<T: std::fmt::Debug>(result: Result<T, Error>, expected_field: &str) {
    match result {
        Err(Error::InvalidInput { field, .. }) => assert_eq!(field, expected_field),
        other => panic!("expected invalid {expected_field}, got {other:?}"),
    }
}

/// The result is [`Error::InUse`] of this resource, naming `user` among its users.
#[track_caller]
fn assert_in_use<T: std::fmt::Debug>(result: Result<T, Error>, expected_id: &str, user: &str) {
    match result {
        Err(Error::InUse { id, users, .. }) => {
            assert_eq!(id, expected_id);
            assert!(users.iter().any(|u| u.contains(user)), "{users:?}");
        }
        other => panic!("expected {expected_id} in use, got {other:?}"),
    }
}
