//! `Servers`: create (every option), get, list, find by name, list by tag, waits, power,
//! actions, and delete under each `VolumePolicy`.

use futures_util::TryStreamExt;
use scaleway_client::api::block_v1::types::VolumeStatus;
use scaleway_client::api::instance_v1::types::{
    CreatePlacementGroupBodyPolicyMode, CreatePlacementGroupBodyPolicyType, IpType, PrivateNicState, Server,
    ServerAction, ServerIpFamily, ServerState,
};
use scaleway_client::resources::{
    ExtraVolume, IpKind, PublicIp, RootKind, RootVolume, Scaleway, ServerFilter, ServerSpec, ServerTarget,
    VolumePolicy, VolumeSpec, attached_server, device_path,
};

use super::{Env, env, gb, in_subnet};

const CLOUD_INIT: &str = "#cloud-config\npackages: [postgresql]\n";

/// A small server with a default Block root and one extra 20 GB volume; returns its id, its root
/// volume and its extra volume.
async fn server_with_extra_volume(env: &Env, name: &str) -> (String, String, String) {
    let server = env
        .scw
        .servers()
        .create(
            &ServerSpec::new(name, "DEV1-S", "ubuntu-24.04")
                .root_volume(RootVolume::block(gb(10)))
                .extra_volume(ExtraVolume::New {
                    size: gb(20),
                    iops: None,
                })
                .wait_running(true),
        )
        .await
        .unwrap();
    assert_eq!(server.state, ServerState::Running);
    let volume = |index: &str| server.volumes[index].id.clone().unwrap();
    (server.id.clone().unwrap(), volume("0"), volume("1"))
}

#[tokio::test]
async fn a_server_with_a_15k_root_an_extra_volume_two_networks_an_ip_and_cloud_init_runs_then_goes_entirely()
{
    // A little over a screen: the whole create, then the whole delete, of one server; what it
    // holds is checked by the named helpers below.
    let env = env().await;
    let scw = &env.scw;
    let (net_a, net_b) = (env.network("pn-a").await, env.network("pn-b").await);
    let ip = scw.ips().create(IpKind::RoutedIpv4, &[]).await.unwrap();
    let ip_id = ip.id.clone().unwrap();
    let spec = ServerSpec::new("db-1", "PRO2-S", "ubuntu-24.04")
        .root_volume(RootVolume::block(gb(50)).iops(15_000))
        .extra_volume(ExtraVolume::New {
            size: gb(20),
            iops: None,
        })
        .private_network(net_a.clone())
        .private_network(net_b.clone())
        .public_ip(PublicIp::Flexible(ip_id.clone()))
        .tag("db")
        .cloud_init(CLOUD_INIT)
        .wait_running(true);

    let server = scw.servers().create(&spec).await.unwrap();
    let id = server.id.clone().unwrap();
    assert_eq!(server.state, ServerState::Running);
    assert_eq!(server.name.as_deref(), Some("db-1"));
    assert!(server.tags.iter().any(|t| t == "db"));
    assert_eq!(
        server.public_ips.len(),
        1,
        "only the flexible IP: {:?}",
        server.public_ips
    );
    assert_eq!(server.public_ips[0].id.as_deref(), Some(ip_id.as_str()));
    assert_eq!(server.public_ips[0].address, ip.address);
    assert_eq!(server.volumes.len(), 2);
    assert_eq!(server.private_nics.len(), 2);
    assert!(
        server
            .private_nics
            .iter()
            .all(|n| n.state == PrivateNicState::Available)
    );

    assert_the_root_is_15k_and_both_volumes_attached_here(scw, &server).await;

    // Cloud-init as sent.
    assert_eq!(
        scw.user_data().get(&id, "cloud-init").await.unwrap().as_deref(),
        Some(CLOUD_INIT)
    );

    assert_each_nic_has_addresses_in_its_network(scw, &server).await;
    let networks: Vec<&str> = server
        .private_nics
        .iter()
        .filter_map(|n| n.private_network_id.as_deref())
        .collect();
    assert_eq!(networks, [net_a.as_str(), net_b.as_str()]);

    // DeleteAll: the server, its NICs and both volumes go; the flexible IP is the user's.
    scw.servers().delete(&id, VolumePolicy::DeleteAll).await.unwrap();
    assert!(scw.servers().get(&id).await.unwrap().is_none());
    let left = env.sim.inventory();
    assert!(left.servers.is_empty() && left.volumes.is_empty() && left.private_nics.is_empty());
    assert_eq!(left.ips, [ip_id.as_str()]);
    let ip = scw.ips().get(&ip_id).await.unwrap().unwrap();
    assert!(ip.server.is_none(), "the IP is detached: {ip:?}");
    scw.ips().delete(&ip_id).await.unwrap();
    scw.private_networks().delete(&net_a).await.unwrap();
    scw.private_networks().delete(&net_b).await.unwrap();
    env.assert_nothing_left();
}

/// The root: 50 GB at 15k IOPS; the extra volume: 20 GB at 5k; both attached to `server`, with
/// their device paths.
async fn assert_the_root_is_15k_and_both_volumes_attached_here(scw: &Scaleway, server: &Server) {
    let id = server.id.clone().unwrap();
    let volumes = scw.volumes();
    let root_id = server.volumes["0"].id.clone().unwrap();
    let extra_id = server.volumes["1"].id.clone().unwrap();
    let root = volumes.get(&root_id).await.unwrap().unwrap();
    assert_eq!(root.size, Some(50_000_000_000));
    assert_eq!(root.specs.as_ref().and_then(|s| s.perf_iops), Some(15_000));
    assert_eq!(root.type_.as_deref(), Some("sbs_15k"));
    let extra = volumes.get(&extra_id).await.unwrap().unwrap();
    assert_eq!(extra.size, Some(20_000_000_000));
    assert_eq!(extra.specs.as_ref().and_then(|s| s.perf_iops), Some(5_000));
    for volume in [&root, &extra] {
        assert_eq!(attached_server(volume).as_deref(), Some(id.as_str()));
        assert_eq!(
            device_path(volume),
            Some(format!(
                "/dev/disk/by-id/scsi-0SCW_sbs_volume-{}",
                volume.id.as_deref().unwrap()
            ))
        );
    }
}

/// One NIC per network, each with an IPv4 and an IPv6 inside its network's subnets and the NIC's
/// MAC address.
async fn assert_each_nic_has_addresses_in_its_network(scw: &Scaleway, server: &Server) {
    let id = server.id.clone().unwrap();
    let addresses = scw.ipam().of_servers(std::slice::from_ref(server)).await.unwrap();
    let addresses = &addresses[&id];
    assert_eq!(addresses.len(), 2);
    for (nic, found) in server.private_nics.iter().zip(addresses) {
        assert_eq!(Some(&found.nic_id), nic.id.as_ref());
        let network = scw
            .private_networks()
            .get(nic.private_network_id.as_deref().unwrap())
            .await
            .unwrap()
            .unwrap();
        let subnets: Vec<String> = network.subnets.iter().filter_map(|s| s.subnet.clone()).collect();
        let ipv4 = found.ipv4.as_deref().expect("an IPv4");
        let ipv6 = found.ipv6.as_deref().expect("an IPv6");
        assert!(
            subnets.iter().any(|s| in_subnet(ipv4, s)),
            "{ipv4} not in {subnets:?}"
        );
        assert!(
            subnets.iter().any(|s| in_subnet(ipv6, s)),
            "{ipv6} not in {subnets:?}"
        );
        assert_eq!(
            found.mac_address.as_deref().map(str::to_lowercase),
            nic.mac_address.as_deref().map(str::to_lowercase)
        );
    }
}

#[tokio::test]
async fn a_server_with_a_routed_ipv6_gets_an_inet6_address_released_with_it() {
    let env = env().await;
    let scw = &env.scw;
    let server = scw
        .servers()
        .create(
            &ServerSpec::new("v6", "DEV1-S", "ubuntu-24.04")
                .public_ip(PublicIp::RoutedIpv6)
                .wait_running(true),
        )
        .await
        .unwrap();
    let id = server.id.clone().unwrap();
    assert_eq!(server.public_ips.len(), 1, "{:?}", server.public_ips);
    let public = &server.public_ips[0];
    assert_eq!(public.family, ServerIpFamily::Inet6);
    assert_eq!(public.netmask.as_deref(), Some("64"));
    let ip = scw
        .ips()
        .get(public.id.as_deref().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ip.type_, IpType::RoutedIpv6);
    assert_eq!(
        ip.server.as_ref().and_then(|s| s.id.as_deref()),
        Some(id.as_str())
    );
    let prefix = ip.prefix.clone().expect("a /64");
    assert!(in_subnet(public.address.as_deref().unwrap(), &prefix));

    scw.servers()
        .delete(&id, VolumePolicy::KeepAttached)
        .await
        .unwrap();
    assert!(scw.ips().get(ip.id.as_deref().unwrap()).await.unwrap().is_none());
    env.assert_nothing_left();
}

#[tokio::test]
async fn keep_attached_deletes_the_root_and_keeps_the_other_volumes_detached() {
    let env = env().await;
    let scw = &env.scw;
    let existing = scw
        .volumes()
        .create(&VolumeSpec::new("data", gb(10)))
        .await
        .unwrap()
        .id
        .unwrap();
    let server = scw
        .servers()
        .create(
            &ServerSpec::new("keep", "DEV1-S", "ubuntu-24.04")
                .extra_volume(ExtraVolume::New {
                    size: gb(20),
                    iops: Some(15_000),
                })
                .extra_volume(ExtraVolume::Existing(existing.clone()))
                .wait_running(true),
        )
        .await
        .unwrap();
    let id = server.id.clone().unwrap();
    let root = server.volumes["0"].id.clone().unwrap();
    let new = server.volumes["1"].id.clone().unwrap();
    assert_eq!(server.volumes["2"].id.as_deref(), Some(existing.as_str()));
    let raised = scw.volumes().get(&new).await.unwrap().unwrap();
    assert_eq!(raised.specs.and_then(|s| s.perf_iops), Some(15_000));

    scw.servers()
        .delete(&id, VolumePolicy::KeepAttached)
        .await
        .unwrap();
    assert!(scw.volumes().get(&root).await.unwrap().is_none());
    for kept in [&new, &existing] {
        let volume = scw.volumes().get(kept).await.unwrap().unwrap();
        assert_eq!(volume.status, Some(VolumeStatus::Available));
        assert!(volume.references.is_empty(), "{volume:?}");
        assert_eq!(device_path(&volume), None);
    }
    let mut expected = vec![new.clone(), existing.clone()];
    expected.sort();
    assert_eq!(env.sim.inventory().volumes, expected);
    assert_eq!(env.sim.inventory().total(), 2);
    scw.volumes().delete(&new).await.unwrap();
    scw.volumes().delete(&existing).await.unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn delete_all_of_a_stopped_server_leaves_nothing() {
    let env = env().await;
    let scw = &env.scw;
    let (id, _, _) = server_with_extra_volume(&env, "all").await;
    let stopped = scw.servers().power_off(&id).await.unwrap();
    assert_eq!(stopped.state, ServerState::Stopped);
    scw.servers().delete(&id, VolumePolicy::DeleteAll).await.unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn detach_all_keeps_every_block_volume_root_included() {
    let env = env().await;
    let scw = &env.scw;
    for stop_first in [false, true] {
        let (id, root, extra) = server_with_extra_volume(&env, "detach").await;
        if stop_first {
            scw.servers().power_off(&id).await.unwrap();
        }
        scw.servers().delete(&id, VolumePolicy::DetachAll).await.unwrap();
        assert!(scw.servers().get(&id).await.unwrap().is_none());
        let mut expected = vec![root.clone(), extra.clone()];
        expected.sort();
        let left = env.sim.inventory();
        assert_eq!(left.volumes, expected);
        assert_eq!(left.total(), 2, "{left:?}");
        for volume in [&root, &extra] {
            let volume = scw.volumes().wait_with_references(volume).await.unwrap();
            assert_eq!(attached_server(&volume), None);
            assert_eq!(volume.status, Some(VolumeStatus::Available));
            scw.volumes().delete(volume.id.as_deref().unwrap()).await.unwrap();
        }
        env.assert_nothing_left();
    }
}

#[tokio::test]
async fn a_local_root_goes_with_its_server() {
    let env = env().await;
    let scw = &env.scw;
    let server = scw
        .servers()
        .create(
            &ServerSpec::new("local", "DEV1-S", "ubuntu-22.04")
                .root_volume(RootVolume::local(gb(20)))
                .wait_running(true),
        )
        .await
        .unwrap();
    let root = &server.volumes["0"];
    assert_eq!(
        root.volume_type,
        scaleway_client::api::instance_v1::types::VolumeServerVolumeType::LSsd
    );
    assert_eq!(root.size, Some(20_000_000_000));
    scw.servers()
        .delete(server.id.as_deref().unwrap(), VolumePolicy::DetachAll)
        .await
        .unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn power_and_actions_reach_their_states_and_repeating_them_is_harmless() {
    // Longer than a screen on purpose: one server goes through each power change and action in
    // turn, each checked from the state the one before left, and repeated.
    let env = env().await;
    let scw = &env.scw;
    let servers = scw.servers();
    let created = servers
        .create(&ServerSpec::new("power", "DEV1-S", "ubuntu-24.04"))
        .await
        .unwrap();
    let id = created.id.clone().unwrap();
    // Powered on, not awaited: starting, or already running.
    assert!(matches!(
        created.state,
        ServerState::Starting | ServerState::Running
    ));
    let running = servers.wait(&id, ServerTarget::Running).await.unwrap().unwrap();
    assert_eq!(running.state, ServerState::Running);
    assert!(!running.public_ips.is_empty(), "a dynamic IPv4 at power-on");

    assert_eq!(servers.power_on(&id).await.unwrap().state, ServerState::Running);
    assert_eq!(servers.power_off(&id).await.unwrap().state, ServerState::Stopped);
    let stopped = servers.power_off(&id).await.unwrap();
    assert_eq!(stopped.state, ServerState::Stopped);
    assert!(
        stopped.public_ips.is_empty(),
        "the dynamic IP is released at stop"
    );
    assert_eq!(servers.power_on(&id).await.unwrap().state, ServerState::Running);

    let in_place = servers
        .action_and_wait(&id, ServerAction::StopInPlace)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(in_place.state, ServerState::StoppedInPlace);
    let settled = servers.wait(&id, ServerTarget::Settled).await.unwrap().unwrap();
    assert_eq!(settled.state, ServerState::StoppedInPlace);
    assert_eq!(
        servers
            .wait_with(&id, ServerTarget::StoppedInPlace, &scw.options().wait)
            .await
            .unwrap()
            .unwrap()
            .state,
        ServerState::StoppedInPlace
    );
    let on = servers
        .action_and_wait(&id, ServerAction::Poweron)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(on.state, ServerState::Running);
    let rebooted = servers
        .action_and_wait(&id, ServerAction::Reboot)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(rebooted.state, ServerState::Running);
    let off = servers
        .action_and_wait(&id, ServerAction::Poweroff)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(off.state, ServerState::Stopped);
    servers.power_on(&id).await.unwrap();

    // Terminate: gone, its Block root detached and left (terminate never deletes Block volumes).
    let root = on.volumes["0"].id.clone().unwrap();
    let gone = servers
        .action_and_wait(&id, ServerAction::Terminate)
        .await
        .unwrap();
    assert!(gone.is_none());
    assert!(servers.wait(&id, ServerTarget::Deleted).await.unwrap().is_none());
    assert!(servers.get(&id).await.unwrap().is_none());
    assert!(servers.get_existing(&id).await.unwrap_err().is_not_found());
    assert!(servers.power_on(&id).await.unwrap_err().is_not_found());
    assert_eq!(env.sim.inventory().volumes, [root.as_str()]);
    scw.volumes().delete(&root).await.unwrap();
    // Deleting what is gone succeeds.
    servers.delete(&id, VolumePolicy::DeleteAll).await.unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn listings_filter_by_name_tag_and_network_and_find_by_name_is_exact() {
    // A little over a screen: every listing runs over the same servers.
    let env = env().await;
    let scw = &env.scw;
    let servers = scw.servers();
    let network = env.network("pn-list").await;
    let web = servers
        .create(
            &ServerSpec::new("web", "DEV1-S", "ubuntu-24.04")
                .tag("front")
                .private_network(network.clone()),
        )
        .await
        .unwrap();
    let web2 = servers
        .create(&ServerSpec::new("web-2", "DEV1-S", "ubuntu-24.04").tag("front"))
        .await
        .unwrap();
    let other = servers
        .create(&ServerSpec::new("db", "DEV1-S", "ubuntu-24.04"))
        .await
        .unwrap();

    let named = |name: &str| ServerFilter {
        name: Some(name.into()),
        ..ServerFilter::default()
    };
    let by_name: Vec<_> = servers.list(&named("web")).try_collect().await.unwrap();
    assert_eq!(by_name.len(), 2, "the API's name filter is a substring");
    let found = servers.find_by_name("web").await.unwrap().unwrap();
    assert_eq!(found.id, web.id);
    assert!(servers.find_by_name("we").await.unwrap().is_none());
    let tagged = servers.list_by_tag("front").await.unwrap();
    let mut tagged: Vec<_> = tagged.into_iter().filter_map(|s| s.id).collect();
    tagged.sort();
    let mut expected = vec![web.id.clone().unwrap(), web2.id.clone().unwrap()];
    expected.sort();
    assert_eq!(tagged, expected);
    let on_network: Vec<_> = servers
        .list(&ServerFilter {
            private_network: Some(network.clone()),
            ..ServerFilter::default()
        })
        .try_collect()
        .await
        .unwrap();
    assert_eq!(on_network.len(), 1);
    assert_eq!(on_network[0].id, web.id);
    let all: Vec<_> = servers
        .list(&ServerFilter::default())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), 3);

    for server in [&web, &web2, &other] {
        servers
            .delete(server.id.as_deref().unwrap(), VolumePolicy::DeleteAll)
            .await
            .unwrap();
    }
    scw.private_networks().delete(&network).await.unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn a_placement_group_is_given_at_create_and_an_unknown_one_creates_nothing() {
    // A little over a screen: the placement group is made, given, checked and removed with the
    // server.
    let env = env().await;
    let scw = &env.scw;
    let instance = scw.client().instance();
    let group = instance
        .create_placement_group()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("spread".to_string())
                .project(env.sim.project_id().to_string())
                .policy_mode(CreatePlacementGroupBodyPolicyMode::Enforced)
                .policy_type(CreatePlacementGroupBodyPolicyType::MaxAvailability)
        })
        .send()
        .await
        .unwrap()
        .into_inner()
        .placement_group
        .unwrap();
    let group_id = group.id.clone().unwrap();

    let unknown = uuid::Uuid::new_v4().to_string();
    let err = scw
        .servers()
        .create(&ServerSpec::new("pg-0", "DEV1-S", "ubuntu-24.04").placement_group(unknown))
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    assert_eq!(env.sim.inventory().placement_groups, [group_id.as_str()]);
    assert_eq!(env.sim.inventory().total(), 1, "{:?}", env.sim.inventory());

    let server = scw
        .servers()
        .create(&ServerSpec::new("pg-1", "DEV1-S", "ubuntu-24.04").placement_group(group_id.clone()))
        .await
        .unwrap();
    assert_eq!(
        server.placement_group.as_ref().and_then(|g| g.id.as_deref()),
        Some(group_id.as_str())
    );
    // A group with a server cannot go.
    assert!(
        instance
            .delete_placement_group()
            .zone("fr-par-1")
            .placement_group_id(group_id.as_str())
            .send()
            .await
            .is_err()
    );
    scw.servers()
        .delete(server.id.as_deref().unwrap(), VolumePolicy::DeleteAll)
        .await
        .unwrap();
    instance
        .delete_placement_group()
        .zone("fr-par-1")
        .placement_group_id(group_id.as_str())
        .send()
        .await
        .unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn a_create_that_fails_removes_what_it_made_but_keeps_an_existing_volume() {
    let env = env().await;
    let scw = &env.scw;
    let existing = scw
        .volumes()
        .create(&VolumeSpec::new("mine", gb(10)))
        .await
        .unwrap()
        .id
        .unwrap();
    // A network that does not exist: the NIC create fails after the server, its root, a new
    // volume and a routed IPv6 were made.
    let err = scw
        .servers()
        .create(
            &ServerSpec::new("doomed", "DEV1-S", "ubuntu-24.04")
                .extra_volume(ExtraVolume::New {
                    size: gb(20),
                    iops: None,
                })
                .extra_volume(ExtraVolume::Existing(existing.clone()))
                .public_ip(PublicIp::RoutedIpv6)
                .private_network(uuid::Uuid::new_v4().to_string()),
        )
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err}");
    let left = env.sim.inventory();
    assert_eq!(left.volumes, [existing.as_str()]);
    assert_eq!(left.total(), 1, "{left:?}");
    let volume = scw.volumes().wait_with_references(&existing).await.unwrap();
    assert_eq!(attached_server(&volume), None);
    scw.volumes().delete(&existing).await.unwrap();
    env.assert_nothing_left();
}

#[tokio::test]
async fn bad_input_is_refused_before_any_request() {
    let env = env().await;
    let servers = env.scw.servers();
    for spec in [
        ServerSpec::new("bad name!", "DEV1-S", "ubuntu-24.04"),
        ServerSpec::new("ok", "", "ubuntu-24.04"),
        ServerSpec::new("ok", "DEV1-S", "ubuntu 24.04"),
        ServerSpec::new("ok", "DEV1-S", "ubuntu-24.04").root_volume(RootVolume::block(gb(1))),
        ServerSpec::new("ok", "DEV1-S", "ubuntu-24.04").root_volume(RootVolume::local(gb(20)).iops(15_000)),
        ServerSpec::new("ok", "DEV1-S", "ubuntu-24.04").private_network("not-a-uuid"),
        ServerSpec::new("ok", "DEV1-S", "ubuntu-24.04").tag("a,b"),
    ] {
        let err = servers.create(&spec).await.unwrap_err();
        assert!(
            matches!(err, scaleway_client::Error::InvalidInput { .. }),
            "{spec:?}: {err}"
        );
    }
    // Checked by the API's catalogue: a type the zone does not offer.
    let err = servers
        .create(&ServerSpec::new("ok", "NOPE-1", "ubuntu-24.04"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, scaleway_client::Error::InvalidInput { .. }),
        "{err}"
    );
    assert_eq!(RootVolume::default_size(RootKind::Block).size, None);
    env.assert_nothing_left();
}
