//! The client: headers it sends, what it traces, and that the secret key never shows.

use httpmock::prelude::*;
use scaleway_sdk::{Client, Config, RetryPolicy};
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
    let user_agent = format!("scaleway-sdk-rust/{} test-tool/1.0", env!("CARGO_PKG_VERSION"));
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
