//! The client: headers it sends, what it traces, and that the secret key never shows.

use httpmock::prelude::*;
use scaleway_client::{Client, Config, RetryPolicy};
use serde_json::json;

use crate::common;

const SECRET: &str = "9f8e7d6c-5b4a-4321-8fed-cba987654321";

fn client(server: &MockServer, policy: RetryPolicy) -> Client {
    common::client_builder(common::mock_config(server.base_url()).secret_key(SECRET))
        .retry_policy(policy)
        .user_agent_suffix("test-tool/1.0")
        .build()
        .unwrap()
}

#[tokio::test]
async fn every_request_carries_the_key_and_a_user_agent_naming_the_crate() {
    let server = MockServer::start_async().await;
    let user_agent = format!("scaleway-client-rust/{} test-tool/1.0", env!("CARGO_PKG_VERSION"));
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/account/v3/projects")
                .header("x-auth-token", SECRET)
                .header("user-agent", user_agent.as_str());
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"projects": [], "total_count": 0}));
        })
        .await;
    let client = client(&server, RetryPolicy::none());
    client.account().list_projects().send().await.unwrap();
    client.account().list_projects().send().await.unwrap();
    mock.assert_calls_async(2).await;
    assert_eq!(client.request_count(), 2);
}

#[test]
fn a_secret_that_cannot_be_a_header_is_refused_without_being_shown() {
    // Valid UUIDs are always valid header values; the builder refuses anything else first.
    let err = Config::builder().secret_key("not a uuid\n").build().unwrap_err();
    assert!(!err.to_string().contains("not a uuid"), "{err}");
}

/// The runtime links a success body to its answer (status, request id) by the address of the
/// body's bytes while the generated code decodes them (`src/error/answer.rs`). That holds only if
/// reqwest hands the generated code the very allocation of an answer rebuilt from an
/// `http::Response<Bytes>`, as the runtime rebuilds it, and if a body that does not decode comes
/// back in progenitor's error as that allocation too.
#[tokio::test]
async fn a_rebuilt_answer_hands_its_body_on_without_copying_it() {
    let text = br#"{"servers": "not a list"}"#;
    let body = bytes::Bytes::from_owner(text.to_vec());
    let address = body.as_ptr();

    let read = reqwest::Response::from(http::Response::new(body.clone()))
        .bytes()
        .await
        .unwrap();
    assert_eq!(read.as_ptr(), address);
    assert_eq!(&read[..], text);

    let rebuilt = reqwest::Response::from(http::Response::new(body));
    let decoded = progenitor_client::ResponseValue::<
        scaleway_client::api::instance_v1::types::ListServersResponse,
    >::from_response::<()>(rebuilt)
    .await;
    match decoded {
        Err(progenitor_client::Error::InvalidResponsePayload(bytes, _)) => {
            assert_eq!(bytes.as_ptr(), address);
        }
        Err(other) => panic!("{other}"),
        Ok(value) => panic!("decoded {value:?}"),
    }
}
