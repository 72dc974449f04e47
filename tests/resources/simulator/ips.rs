//! `Ips`: flexible routed IPv4 and IPv6, reserved, found by tag, released.

use scaleway_client::api::instance_v1::types::{IpState, IpType};
use scaleway_client::resources::{CREATE_TOKEN_TAG, IpKind};

use super::{env, in_subnet};

#[tokio::test]
async fn flexible_ips_are_reserved_listed_by_tag_and_released() {
    let env = env().await;
    let ips = env.scw.ips();
    let v4 = ips
        .create(IpKind::RoutedIpv4, &["front".to_string()])
        .await
        .unwrap();
    let v4_id = v4.id.clone().unwrap();
    assert_eq!(v4.type_, IpType::RoutedIpv4);
    assert_eq!(v4.state, IpState::Detached);
    let address: std::net::Ipv4Addr = v4.address.as_deref().unwrap().parse().unwrap();
    assert!(!address.is_private());
    assert!(v4.tags.iter().any(|t| t == "front"));
    assert!(v4.tags.iter().any(|t| t.starts_with(CREATE_TOKEN_TAG)));

    let v6 = ips.create(IpKind::RoutedIpv6, &[]).await.unwrap();
    let v6_id = v6.id.clone().unwrap();
    assert_eq!(v6.type_, IpType::RoutedIpv6);
    assert_eq!(v6.address, None, "a routed IPv6 is a prefix");
    let prefix = v6.prefix.clone().unwrap();
    assert!(prefix.ends_with("/64"), "{prefix}");
    assert!(in_subnet(&prefix.replace("::/64", "::1"), &prefix));

    assert_eq!(ips.get(&v6_id).await.unwrap().unwrap().prefix, Some(prefix));
    let tagged = ips.list_by_tag("front").await.unwrap();
    assert_eq!(tagged.len(), 1);
    assert_eq!(tagged[0].id, v4.id);
    assert!(ips.list_by_tag("none").await.unwrap().is_empty());
    let mut all = env.sim.inventory().ips;
    all.sort();
    let mut expected = vec![v4_id.clone(), v6_id.clone()];
    expected.sort();
    assert_eq!(all, expected);

    for id in [&v4_id, &v6_id] {
        ips.delete(id).await.unwrap();
        ips.delete(id).await.unwrap();
        assert!(ips.get(id).await.unwrap().is_none());
    }
    assert!(
        ips.create(IpKind::RoutedIpv4, &["a,b".to_string()])
            .await
            .is_err()
    );
    assert!(ips.get("1.2.3.4").await.is_err());
    env.assert_nothing_left();
}
