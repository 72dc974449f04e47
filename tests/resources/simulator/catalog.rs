//! `Catalog`: commercial types and their availability.

use scaleway_client::resources::SIZE_CHOICES;
use scaleway_client::{Error, Zone};

use super::env;

#[tokio::test]
async fn the_catalogue_lists_every_type_of_the_zone_across_pages() {
    let env = env().await;
    let catalog = env.scw.catalog();
    let types = catalog.server_types().await.unwrap();
    // More than one page of 100 would hold is not needed; more than one page of 50 (the API's
    // default) is: the simulator serves some 70 types.
    assert!(types.len() > 50, "{} types", types.len());
    assert!(types.contains_key("DEV1-S") && types.contains_key("PRO2-S"));
    // Cached: the same map.
    let again = catalog.server_types().await.unwrap();
    assert!(std::sync::Arc::ptr_eq(&types, &again));

    let dev1 = catalog.server_type("DEV1-S").await.unwrap();
    assert_eq!(dev1.ncpus, Some(2));
    let err = catalog.server_type("NOPE-1").await.unwrap_err();
    match err {
        Error::InvalidInput { reason, .. } => assert!(reason.contains("DEV1-"), "{reason}"),
        other => panic!("{other}"),
    }
    assert!(catalog.server_type(" ").await.is_err());

    let availability = catalog.availability().await.unwrap();
    assert_eq!(availability.len(), types.len());
    assert_eq!(availability.get("DEV1-S").map(String::as_str), Some("available"));

    // Every size maps to at least one type the zone offers.
    for (size, choices) in SIZE_CHOICES {
        assert!(choices.iter().any(|c| types.contains_key(*c)), "{size}");
    }

    // Another zone is read separately.
    let other = env.scw.catalog().zone(Zone::NL_AMS_1);
    assert_eq!(other.current_zone(), &Zone::NL_AMS_1);
    assert_eq!(other.server_types().await.unwrap().len(), types.len());
    env.assert_nothing_left();
}
