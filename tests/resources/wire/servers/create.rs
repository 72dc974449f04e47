//! `Servers::create`: one POST with the whole spec, then IOPS, cloud-init, NICs, power on; the
//! undo when a step fails.

use super::*;

/// The catalogue lookups of a create in `zone`: commercial types and the `ubuntu_noble` images
/// of the root kind (the recorded fr-par-1 listing: only the query matters here).
async fn mock_catalog<'a>(api: &'a Api, zone: &str, kind: &str) -> (httpmock::Mock<'a>, httpmock::Mock<'a>) {
    let products = mock_products(api, zone).await;
    let images = api
        .on(GET, "/marketplace/v2/local-images")
        .query(&[
            ("image_label", "ubuntu_noble"),
            ("zone", zone),
            ("type", kind),
            ("page", "1"),
            ("page_size", "100"),
        ])
        .reply(200, fixture_body("local images of a label for a Block root"))
        .mount()
        .await;
    (products, images)
}

/// The POST /servers body of `web-1`, without its create-token tag, with `extra` fields.
fn create_body(extra: &[(&str, Value)]) -> Value {
    let mut body = json!({
        "name": "web-1",
        "commercial_type": "DEV1-S",
        "image": IMAGE_SBS,
        "project": PROJECT,
        "dynamic_ip_required": true,
        "tags": [],
    });
    for (key, value) in extra {
        body[*key] = value.clone();
    }
    body
}

/// POST /servers with exactly `expected` plus one create-token tag; answers `answer`, stopped.
async fn mock_post<'a>(api: &'a Api, zone: &str, expected: Value, answer: Value) -> httpmock::Mock<'a> {
    api.on(POST, format!("/instance/v1/zones/{zone}/servers"))
        .json_where(move |body| token_of(body).is_some() && without_token(body) == expected)
        .reply(201, json!({"server": answer}))
        .mount()
        .await
}

fn spec() -> ServerSpec {
    ServerSpec::new("web-1", "DEV1-S", "ubuntu-24.04")
}

fn gb(n: u64) -> ByteSize {
    ByteSize::from_gb(n).unwrap()
}

/// PATCH of a volume's IOPS, then its GET: available.
async fn mock_iops<'a>(api: &'a Api, volume: &str) -> Vec<httpmock::Mock<'a>> {
    let path = block(&format!("/volumes/{volume}"));
    vec![
        api.on(PATCH, &path)
            .json(json!({"perf_iops": 15000}))
            .reply(200, block_volume(volume, "v", "updating", None))
            .mount()
            .await,
        api.on(GET, &path)
            .reply(
                200,
                block_volume(volume, "v", "available", Some((SERVER_ID, "attached"))),
            )
            .mount()
            .await,
    ]
}

#[tokio::test]
async fn one_post_carries_the_whole_spec_then_iops_are_raised() {
    // Longer than a screen on purpose: the mocks describe every request of one create in order, and
    // the exact POST body is written out.
    let api = Api::start().await;
    let (products, images) = mock_catalog(&api, "fr-par-1", "instance_sbs").await;
    let expected = create_body(&[
        ("dynamic_ip_required", json!(false)),
        ("public_ips", json!([IP_ID])),
        ("tags", json!(["app=web", "tier=front"])),
        ("security_group", json!(GROUP_ID)),
        ("placement_group", json!(PLACEMENT_GROUP_ID)),
        (
            "volumes",
            json!({
                "0": {"size": 20_000_000_000u64, "volume_type": "sbs_volume"},
                "1": {"size": 10_000_000_000u64, "volume_type": "sbs_volume"},
                "2": {"id": DATA_VOLUME, "volume_type": "sbs_volume"},
            }),
        ),
    ]);
    let mut created = web("stopped");
    created["volumes"] =
        json!({"0": sbs_entry(ROOT_VOLUME), "1": sbs_entry(NEW_VOLUME), "2": sbs_entry(DATA_VOLUME)});
    let post = mock_post(&api, "fr-par-1", expected, created.clone()).await;
    let root_iops = mock_iops(&api, ROOT_VOLUME).await;
    let new_iops = mock_iops(&api, NEW_VOLUME).await;
    let poweron = mock_action(&api, "poweron", 202).await;
    api.seal().await;
    let spec = spec()
        .root_volume(RootVolume::block(gb(20)).iops(15_000))
        .extra_volume(ExtraVolume::New {
            size: gb(10),
            iops: Some(15_000),
        })
        .extra_volume(ExtraVolume::Existing(DATA_VOLUME.into()))
        .security_group(GROUP_ID)
        .public_ip(PublicIp::Flexible(IP_ID.into()))
        .placement_group(PLACEMENT_GROUP_ID)
        .tag("app=web")
        .tag("tier=front");

    let server = api.scaleway().servers().create(&spec).await.unwrap();

    // Built from the answers: no read after the power-on.
    assert_eq!(server.state.to_string(), "starting");
    assert_eq!(server.volumes["1"].id.as_deref(), Some(NEW_VOLUME));
    products.assert_calls_async(1).await;
    assert_each_called_once(vec![images, post, poweron]).await;
    assert_each_called_once(root_iops).await;
    assert_each_called_once(new_iops).await;
    let (root, new) = (
        block(&format!("/volumes/{ROOT_VOLUME}")),
        block(&format!("/volumes/{NEW_VOLUME}")),
    );
    assert_eq!(
        api.lines()[3..],
        [
            format!("POST {}", inst("/servers")),
            format!("PATCH {root}"),
            format!("GET {root}"),
            format!("PATCH {new}"),
            format!("GET {new}"),
            format!("POST {}", action_path()),
        ]
    );
    api.finish().await;
}

/// POST of the NIC on `network`, answered in `state`.
async fn mock_nic<'a>(api: &'a Api, nic: &str, network: &str, state: &str) -> httpmock::Mock<'a> {
    api.on(POST, inst(&format!("/servers/{SERVER_ID}/private_nics")))
        .json(json!({"private_network_id": network}))
        .reply(
            201,
            json!({"private_nic": private_nic(nic, SERVER_ID, network, state)}),
        )
        .mount()
        .await
}

#[tokio::test]
async fn cloud_init_goes_as_text_and_every_nic_is_ready_before_power_on() {
    let api = Api::start().await;
    let cloud_init = "#cloud-config\nruncmd: [\"echo \\\"h\u{e9}\\\"\"]\n";
    mock_catalog(&api, "fr-par-1", "instance_sbs").await;
    mock_post(&api, "fr-par-1", create_body(&[]), web("stopped")).await;
    let user_data = api
        .on(PATCH, inst(&format!("/servers/{SERVER_ID}/user_data/cloud-init")))
        .text(cloud_init)
        .status(204)
        .mount()
        .await;
    let first = mock_nic(&api, NIC_ID, NETWORK_ID, "syncing").await;
    let nic_path = inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}"));
    let ready = api
        .on(GET, &nic_path)
        .reply(
            200,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")}),
        )
        .mount()
        .await;
    let second = mock_nic(&api, OTHER_NIC_ID, OTHER_NETWORK_ID, "available").await;
    let poweron = mock_action(&api, "poweron", 202).await;
    api.seal().await;
    let spec = spec()
        .cloud_init(cloud_init)
        .private_network(NETWORK_ID)
        .private_network(OTHER_NETWORK_ID);

    let server = api.scaleway().servers().create(&spec).await.unwrap();

    // The server as the answers told it: starting, with both NICs as last seen, available.
    assert_eq!(server.state.to_string(), "starting");
    let nics: Vec<_> = server
        .private_nics
        .iter()
        .map(|n| (n.id.as_deref(), n.state.to_string()))
        .collect();
    assert_eq!(
        nics,
        [
            (Some(NIC_ID), "available".to_string()),
            (Some(OTHER_NIC_ID), "available".to_string())
        ]
    );
    assert_each_called_once(vec![user_data, first, ready, second, poweron]).await;
    let patch = api.seen().into_iter().find(|r| r.method == "PATCH").unwrap();
    assert_eq!(patch.content_type.as_deref(), Some("text/plain"));
    assert_eq!(patch.body, cloud_init);
    let nics = inst(&format!("/servers/{SERVER_ID}/private_nics"));
    assert_eq!(
        api.lines()[4..],
        [
            format!(
                "PATCH {}",
                inst(&format!("/servers/{SERVER_ID}/user_data/cloud-init"))
            ),
            format!("POST {nics}"),
            format!("GET {nic_path}"),
            format!("POST {nics}"),
            format!("POST {}", action_path()),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn no_public_ip_asks_for_no_dynamic_ip() {
    let api = Api::start().await;
    mock_catalog(&api, "fr-par-1", "instance_sbs").await;
    let post = mock_post(
        &api,
        "fr-par-1",
        create_body(&[("dynamic_ip_required", json!(false))]),
        web("stopped"),
    )
    .await;
    mock_action(&api, "poweron", 202).await;
    api.seal().await;

    api.scaleway()
        .servers()
        .create(&spec().public_ip(PublicIp::None))
        .await
        .unwrap();

    post.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn a_routed_ipv6_is_reserved_with_the_server_token_first() {
    let api = Api::start().await;
    mock_catalog(&api, "fr-par-1", "instance_sbs").await;
    let mut ip = fixture_body("reserve a flexible IP");
    ip["ip"]["id"] = json!(IP_ID);
    ip["ip"]["type"] = json!("routed_ipv6");
    let reserve = api
        .on(POST, inst("/ips"))
        .json_where(|body| body["project"] == PROJECT && body["type"] == "routed_ipv6")
        .reply(201, ip)
        .mount()
        .await;
    let expected = create_body(&[
        ("dynamic_ip_required", json!(false)),
        ("public_ips", json!([IP_ID])),
    ]);
    let post = mock_post(&api, "fr-par-1", expected, web("stopped")).await;
    mock_action(&api, "poweron", 202).await;
    api.seal().await;

    api.scaleway()
        .servers()
        .create(&spec().public_ip(PublicIp::RoutedIpv6))
        .await
        .unwrap();

    reserve.assert_calls_async(1).await;
    post.assert_calls_async(1).await;
    // The IP carries the server's token (so a delete releases it), plus its own.
    let seen = api.seen();
    let body = |line: &str| -> Value {
        serde_json::from_str(&seen.iter().find(|r| r.line() == line).unwrap().body).unwrap()
    };
    let server_token = token_of(&body(&format!("POST {}", inst("/servers")))).unwrap();
    let ip_tags = body(&format!("POST {}", inst("/ips")))["tags"].clone();
    assert_eq!(ip_tags.as_array().unwrap().len(), 2, "{ip_tags}");
    assert_eq!(ip_tags[0], json!(server_token));
    assert!(
        ip_tags[1]
            .as_str()
            .unwrap()
            .starts_with("scaleway-client-create=")
    );
    api.finish().await;
}

#[tokio::test]
async fn wait_running_polls_after_power_on_until_running() {
    let api = Api::start().await;
    mock_catalog(&api, "fr-par-1", "instance_sbs").await;
    mock_post(&api, "fr-par-1", create_body(&[]), web("stopped")).await;
    let poweron = mock_action(&api, "poweron", 202).await;
    let states = mock_server_states(&api, &[web("starting")], Some(web("running"))).await;
    api.seal().await;

    let server = api
        .scaleway()
        .servers()
        .create(&spec().wait_running(true))
        .await
        .unwrap();

    assert_eq!(server.state.to_string(), "running");
    poweron.assert_calls_async(1).await;
    assert_each_called_once(states).await;
    api.finish().await;
}

#[tokio::test]
async fn a_local_root_in_a_zone_without_block_storage() {
    let api = Api::start().await;
    let (products, images) = mock_catalog(&api, "it-mil-1", "instance_local").await;
    let expected = create_body(&[(
        "volumes",
        json!({"0": {"size": 40_000_000_000u64, "volume_type": "l_ssd"}}),
    )]);
    let post = mock_post(&api, "it-mil-1", expected, web("stopped")).await;
    let path = format!("/instance/v1/zones/it-mil-1/servers/{SERVER_ID}");
    let poweron = api
        .on(POST, format!("{path}/action"))
        .json(json!({"action": "poweron"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    api.seal().await;

    let scw = api.scaleway();
    let spec = spec().root_volume(RootVolume::local(gb(40)));
    scw.servers().zone(Zone::IT_MIL_1).create(&spec).await.unwrap();

    products.assert_calls_async(1).await;
    assert_each_called_once(vec![images, post, poweron]).await;
    assert!(
        api.lines().iter().all(|l| !l.contains("fr-par")),
        "{:#?}",
        api.lines()
    );
    api.finish().await;
}

#[tokio::test]
async fn a_failed_step_undoes_the_server_but_keeps_an_existing_volume() {
    // Longer than a screen on purpose: the mocks describe the create, the failing step and every
    // request of the undo, in order.
    let api = Api::start().await;
    mock_catalog(&api, "fr-par-1", "instance_sbs").await;
    let expected = create_body(&[(
        "volumes",
        json!({
            "0": {"volume_type": "sbs_volume"},
            "1": {"size": 10_000_000_000u64, "volume_type": "sbs_volume"},
            "2": {"id": DATA_VOLUME, "volume_type": "sbs_volume"},
        }),
    )]);
    let mut created = web("stopped");
    created["volumes"] =
        json!({"0": sbs_entry(ROOT_VOLUME), "1": sbs_entry(NEW_VOLUME), "2": sbs_entry(DATA_VOLUME)});
    let post = mock_post(&api, "fr-par-1", expected, created.clone()).await;
    // A refusal that was certainly not applied: the create stops at once.
    let poweron = mock_action(&api, "poweron", 403).await;
    // The undo: the server is read and deleted (the API detaches its Block volumes), then its
    // root and the new volume are deleted; never the existing one. The create answer told which
    // root is the server's own: no volume is read.
    let states = mock_server_states(&api, &[created], None).await;
    let delete_server = api.on(DELETE, server_path()).status(204).mount().await;
    let mut volume_deletes = Vec::new();
    for volume in [ROOT_VOLUME, NEW_VOLUME] {
        let path = block(&format!("/volumes/{volume}"));
        volume_deletes.push(api.on(DELETE, &path).status(204).mount().await);
    }
    api.seal().await;
    let spec = spec()
        .extra_volume(ExtraVolume::New {
            size: gb(10),
            iops: None,
        })
        .extra_volume(ExtraVolume::Existing(DATA_VOLUME.into()));

    let err = api.scaleway().servers().create(&spec).await.unwrap_err();

    assert_eq!(err.status(), Some(403), "{err:?}");
    assert_each_called_once(vec![post, poweron, delete_server]).await;
    assert_each_called_once(states).await;
    assert_each_called_once(volume_deletes).await;
    let deletes: Vec<String> = api
        .lines()
        .into_iter()
        .filter(|l| l.starts_with("DELETE"))
        .collect();
    assert!(!deletes.iter().any(|l| l.contains(DATA_VOLUME)), "{deletes:#?}");
    api.finish().await;
}
