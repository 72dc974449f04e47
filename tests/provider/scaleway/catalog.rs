//! Instance types, regions, credentials and sizes, as the catalogue and Account answer them.

use httpmock::prelude::*;
use serde_json::json;

use super::*;
use crate::common::mock_api::*;

#[tokio::test]
async fn test_validate_instance_type_valid() {
    let api = Api::start().await;
    let products = mock_products(&api, "fr-par-1").await;
    api.seal().await;
    let provider = api.provider();

    provider.validate_instance_type("DEV1-S").await.unwrap();
    // On the second page, and from the cache: the catalogue is read once.
    provider.validate_instance_type("PRO2-XS").await.unwrap();

    products.assert_calls_async(1).await;
    assert_eq!(api.seen().len(), 2);
    api.finish().await;
}

#[tokio::test]
async fn test_validate_instance_type_invalid() {
    let api = Api::start().await;
    mock_products(&api, "fr-par-1").await;
    api.seal().await;

    let err = api
        .provider()
        .validate_instance_type("DEV1-XXL")
        .await
        .unwrap_err();

    match err {
        ProviderError::InvalidInput { field, reason } => {
            assert_eq!(field, "instance type");
            assert!(
                reason.contains("DEV1-XXL") && reason.contains("fr-par-1"),
                "{reason}"
            );
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    assert_eq!(api.seen().len(), 2);
    api.finish().await;
}

#[tokio::test]
async fn test_validate_region_valid() {
    let api = Api::start().await;
    api.seal().await;
    let provider = api.provider();

    for zone in [
        "fr-par-1", "fr-par-2", "fr-par-3", "nl-ams-1", "nl-ams-3", "pl-waw-1", "pl-waw-3",
    ] {
        provider
            .validate_region(zone)
            .await
            .unwrap_or_else(|e| panic!("{zone}: {e}"));
    }

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_validate_region_invalid() {
    let api = Api::start().await;
    api.seal().await;
    let provider = api.provider();

    for zone in ["us-east-1", "fr-par-9", "fr-par", "", "FR-PAR-1x"] {
        assert_invalid(provider.validate_region(zone).await, "zone");
    }

    api.assert_silent();
    api.finish().await;
}

#[tokio::test]
async fn test_validate_credentials_success() {
    let api = Api::start().await;
    let mut body = fixture_body("get a project");
    body["id"] = json!(PROJECT);
    let project = api
        .on(GET, format!("/account/v3/projects/{PROJECT}"))
        .reply(200, body)
        .mount()
        .await;
    api.seal().await;

    api.provider().validate_credentials().await.unwrap();

    project.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_validate_credentials_names_a_project_the_key_cannot_see() {
    let api = Api::start().await;
    let project = api
        .on(GET, format!("/account/v3/projects/{PROJECT}"))
        .not_found("project", PROJECT)
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().validate_credentials().await.unwrap_err();

    match &err {
        ProviderError::InvalidInput { field, reason } => {
            assert_eq!(*field, "project id");
            assert!(reason.contains(PROJECT), "{reason}");
        }
        other => panic!("expected InvalidInput, got {other:?}"),
    }
    project.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_validate_credentials_failure() {
    let api = Api::start().await;
    let projects = api
        .on(GET, format!("/account/v3/projects/{PROJECT}"))
        .reply(
            401,
            json!({"message": "authentication is denied", "method": "api_key", "reason": "invalid_argument", "type": "denied_authentication"}),
        )
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().validate_credentials().await.unwrap_err();

    assert!(err.is_authentication(), "{err:?}");
    assert!(!err.to_string().contains(SECRET), "{err}");
    assert!(!format!("{err:?}").contains(SECRET), "{err:?}");
    projects.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_sizes_map_to_offered_types() {
    let api = Api::start().await;
    let products = mock_products(&api, "fr-par-1").await;
    let availability = api
        .on(GET, inst("/products/servers/availability"))
        .query(&[("page", "1"), ("per_page", "100")])
        .total(3)
        .reply(
            200,
            json!({"servers": {
                "DEV1-M": {"availability": "available"},
                "DEV1-XL": {"availability": "shortage"},
                "GP1-S": {"availability": "scarce"},
            }}),
        )
        .mount()
        .await;
    api.seal().await;

    let sizes = api.provider().sizes().await.unwrap();

    let (first, _) = product_pages();
    let summary: Vec<(&str, &str, bool, Option<u32>)> = sizes
        .iter()
        .map(|s| (s.name.as_str(), s.instance_type.as_str(), s.available, s.vcpus))
        .collect();
    let cpus = |t: &str| first["servers"][t]["ncpus"].as_u64().map(|n| n as u32);
    assert_eq!(
        summary,
        [
            ("small", "DEV1-M", true, cpus("DEV1-M")),
            ("medium", "DEV1-XL", false, cpus("DEV1-XL")),
            ("large", "GP1-S", true, cpus("GP1-S")),
        ]
    );
    products.assert_calls_async(1).await;
    availability.assert_calls_async(1).await;
    api.finish().await;
}
