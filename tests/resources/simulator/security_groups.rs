//! `SecurityGroups`: find or create with rules (once, even concurrently), get, list, find by
//! name, delete (refused while a server uses the group).

use futures_util::TryStreamExt;
use futures_util::future::join_all;
use scaleway_client::Error;
use scaleway_client::api::instance_v1::types::{SecurityGroupPolicy, SecurityGroupRuleDirection};
use scaleway_client::resources::{SecurityGroupSpec, ServerSpec, VolumePolicy};

use super::{Env, env};

/// The user rules of a group (the API lists its non-editable default rules first).
async fn user_rules(env: &Env, group_id: &str) -> Vec<(u32, String)> {
    env.scw
        .client()
        .instance()
        .list_security_group_rules()
        .zone("fr-par-1")
        .security_group_id(group_id)
        .send()
        .await
        .unwrap()
        .into_inner()
        .rules
        .into_iter()
        .filter(|r| r.editable == Some(true))
        .map(|r| {
            assert_eq!(r.direction, Some(SecurityGroupRuleDirection::Inbound));
            (r.dest_port_from.unwrap(), r.ip_range.unwrap())
        })
        .collect()
}

#[tokio::test]
async fn concurrent_find_or_create_calls_make_one_group_with_its_rules() {
    let env = env().await;
    let scw = &env.scw;
    let spec = SecurityGroupSpec::default().allow_tcp(443, "10.0.0.0/8");
    let spec = &spec;
    let found =
        join_all((0..10).map(|_| async move { scw.security_groups().find_or_create("web", spec).await }))
            .await;
    let ids: Vec<String> = found.into_iter().map(|g| g.unwrap().id.unwrap()).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    assert_eq!(env.sim.inventory().security_groups, [ids[0].clone()]);
    assert_eq!(
        user_rules(&env, &ids[0]).await,
        [(22, "0.0.0.0/0".to_string()), (443, "10.0.0.0/8".to_string())]
    );
    let group = scw.security_groups().get(&ids[0]).await.unwrap().unwrap();
    assert_eq!(group.inbound_default_policy, Some(SecurityGroupPolicy::Drop));
    assert_eq!(group.outbound_default_policy, Some(SecurityGroupPolicy::Accept));
    assert_eq!(group.stateful, Some(true));

    scw.security_groups().delete(&ids[0]).await.unwrap();
    scw.security_groups().delete(&ids[0]).await.unwrap();
    assert!(scw.security_groups().get(&ids[0]).await.unwrap().is_none());
    env.assert_nothing_left();
}

#[tokio::test]
async fn groups_are_listed_found_by_exact_name_and_kept_while_used() {
    // A little over a screen: the same groups are listed, looked up and kept while a server uses
    // one.
    let env = env().await;
    let scw = &env.scw;
    let groups = scw.security_groups();
    let closed = groups
        .find_or_create("closed", &SecurityGroupSpec::closed())
        .await
        .unwrap();
    let closed_id = closed.id.clone().unwrap();
    assert!(user_rules(&env, &closed_id).await.is_empty());
    let closed2 = groups
        .find_or_create("closed-2", &SecurityGroupSpec::closed())
        .await
        .unwrap();

    let listed: Vec<_> = groups.list(Some("closed")).try_collect().await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(
        groups.find_by_name("closed").await.unwrap().unwrap().id,
        closed.id
    );
    assert!(groups.find_by_name("close").await.unwrap().is_none());
    // Found, not made again, whatever the spec.
    let again = groups
        .find_or_create("closed", &SecurityGroupSpec::default())
        .await
        .unwrap();
    assert_eq!(again.id, closed.id);
    assert!(user_rules(&env, &closed_id).await.is_empty());
    assert!(matches!(
        groups
            .find_or_create("bad", &SecurityGroupSpec::closed().allow_tcp(22, "nowhere"))
            .await
            .unwrap_err(),
        Error::InvalidInput { .. }
    ));

    let server = scw
        .servers()
        .create(&ServerSpec::new("guarded", "DEV1-S", "ubuntu-24.04").security_group(closed_id.clone()))
        .await
        .unwrap();
    let server_id = server.id.clone().unwrap();
    assert_eq!(
        server.security_group.as_ref().and_then(|g| g.id.as_deref()),
        Some(closed_id.as_str())
    );
    match groups.delete(&closed_id).await.unwrap_err() {
        Error::InUse { users, .. } => {
            assert_eq!(users.len(), 1);
            assert!(users[0].contains(&server_id), "{users:?}");
        }
        other => panic!("{other}"),
    }
    scw.servers()
        .delete(&server_id, VolumePolicy::DeleteAll)
        .await
        .unwrap();
    groups.delete(&closed_id).await.unwrap();
    groups.delete(closed2.id.as_deref().unwrap()).await.unwrap();
    env.assert_nothing_left();
}
