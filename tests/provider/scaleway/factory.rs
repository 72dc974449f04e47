//! Making a provider: `provider_for`, `ProviderConfig`, and a zone without Block Storage.

use serde_json::json;

use super::*;
use crate::common::mock_api::*;

#[test]
fn test_provider_for_unknown_provider() {
    let config = ProviderConfig {
        provider: "aws".into(),
        ..ProviderConfig::default()
    };
    let err = provider_for(&config).err().expect("aws is not a provider");
    assert_eq!(err.to_string(), "unknown provider: aws");
    assert!(matches!(err, ProviderError::UnknownProvider(name) if name == "aws"));
}

#[test]
fn test_provider_config_json_schema() {
    let schema = ProviderConfig::json_schema();
    let properties = schema["properties"].as_object().expect("properties");
    for key in [
        "provider",
        "scaleway_secret_key",
        "scaleway_project_id",
        "scaleway_zone",
    ] {
        assert!(properties.contains_key(key), "{key} missing from {schema:#}");
    }
    assert_eq!(schema["required"], json!(["provider"]));
}

#[test]
fn test_provider_config_debug_never_shows_the_secret_key() {
    let secret = "11111111-2222-4333-8444-555555555555";
    let config = ProviderConfig {
        scaleway_secret_key: Some(secret.into()),
        scaleway_project_id: Some(PROJECT.into()),
        ..ProviderConfig::scaleway()
    };
    let shown = format!("{config:?} {config:#?}");
    assert!(!shown.contains(secret), "{shown}");
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(shown.contains(PROJECT), "{shown}");
}

#[tokio::test]
async fn test_a_zone_without_block_storage_boots_from_local_volumes_and_refuses_volumes() {
    let api = Api::start().await;
    api.seal().await;

    // Asked for a Block root where there is none: refused when the provider is made.
    let err = scaleway_client::provider::scaleway::ScalewayProvider::with_options(
        api.client("it-mil-1"),
        fast_options(),
    )
    .unwrap_err();
    assert_invalid::<()>(Err(err), "zone");
    // The default provider there boots from local volumes.
    let provider =
        scaleway_client::provider::scaleway::ScalewayProvider::new(api.client("it-mil-1")).unwrap();
    assert!(
        format!("{provider:?}").contains("block_root_volume: false"),
        "{provider:?}"
    );

    assert_invalid(provider.create_volume(&volume_options("data", 10)).await, "zone");
    assert_invalid(provider.get_volume(DATA_VOLUME).await, "zone");
    assert_invalid(provider.get_volume_by_name("data").await, "zone");
    assert_invalid(provider.attach_volume(DATA_VOLUME, SERVER_ID).await, "zone");
    assert_invalid(provider.detach_volume(DATA_VOLUME).await, "zone");
    assert_invalid(provider.delete_volume(DATA_VOLUME).await, "zone");

    api.assert_silent();
    api.finish().await;
}
