//! The Scaleway provider against the simulator: the reusable contract suite, and the multi-step
//! properties (rollback, nothing leaked, concurrency) that only a stateful API can show.

use std::sync::Arc;
use std::time::Duration;

use scaleway_client::RetryPolicy;
use scaleway_client::provider::contract::{ContractFixture, run};
use scaleway_client::provider::scaleway::{ScalewayOptions, ScalewayProvider};
use scaleway_client::provider::{Provider, ProviderError, ServerOptions, VolumeOptions};
use scaleway_client::wait::WaitOptions;
use scaleway_sim::{Fault, FaultRule, Simulator};

use crate::common::{self, simulator_provider as provider};

/// A simulator whose transitions are done at the next read.
async fn simulator() -> Simulator {
    common::simulator(0.0).await
}

fn web(name: &str) -> ServerOptions {
    ServerOptions {
        name: name.into(),
        instance_type: "DEV1-S".into(),
        image: "ubuntu-24.04".into(),
        user_data: Some("#cloud-config\npackages: [nginx]\n".into()),
        ..ServerOptions::default()
    }
}

#[tokio::test]
async fn the_scaleway_provider_passes_the_contract_and_leaves_nothing_behind() {
    let sim = simulator().await;
    let provider = provider(&sim);
    let report = run(
        &provider,
        &ContractFixture::new("contract", "DEV1-S", "ubuntu-24.04"),
    )
    .await;
    println!("{report}");
    report.assert_passed();
    let left = sim.inventory();
    assert!(left.is_empty(), "the contract run leaked: {left:?}");
}

#[tokio::test]
async fn a_create_that_fails_at_poweron_removes_the_server_its_root_volume_and_its_nic() {
    let sim = simulator().await;
    let provider = provider(&sim);
    let network = provider.find_or_create_network("net").await.unwrap();
    sim.faults()
        .push(FaultRule::new(Some("ServerAction"), Fault::Status(400), Some(1)));
    let err = provider
        .create_server(&ServerOptions {
            network_id: Some(network.id.clone()),
            ..web("doomed")
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Api { .. }),
        "the original error is returned: {err:?}"
    );
    let left = sim.inventory();
    assert!(left.servers.is_empty(), "{left:?}");
    assert!(
        left.volumes.is_empty(),
        "the root volume is billed and must go: {left:?}"
    );
    assert!(left.private_nics.is_empty(), "{left:?}");
    assert_eq!(
        left.private_networks,
        vec![network.id.clone()],
        "the network was the caller's and stays"
    );
    provider.delete_network(&network.id).await.unwrap();
}

#[tokio::test]
async fn deleting_a_running_server_keeps_the_users_volume_and_removes_the_rest() {
    let sim = simulator().await;
    let provider = provider(&sim);
    let server = provider.create_server(&web("db-1")).await.unwrap();
    provider.wait_for_server(&server.id, 50).await.unwrap();
    let data = provider
        .create_volume(&VolumeOptions {
            name: "data".into(),
            size_gb: 20,
            ..Default::default()
        })
        .await
        .unwrap();
    provider.attach_volume(&data.id, &server.id).await.unwrap();
    assert_eq!(sim.inventory().volumes.len(), 2, "the root volume and the user's");

    provider.delete_server(&server.id).await.unwrap();
    let left = sim.inventory();
    assert!(left.servers.is_empty(), "{left:?}");
    assert_eq!(
        left.volumes,
        vec![data.id.clone()],
        "only the user's volume is left: {left:?}"
    );
    let data = provider.get_volume(&data.id).await.unwrap().unwrap();
    assert_eq!(data.server_id, None);
    provider.delete_volume(&data.id).await.unwrap();
    assert!(sim.inventory().is_empty());
}

#[tokio::test]
async fn twenty_concurrent_attaches_on_one_server_all_end_attached() {
    let sim = simulator().await;
    let provider = Arc::new(provider(&sim));
    let server = provider.create_server(&web("many-disks")).await.unwrap();
    let mut volumes = Vec::new();
    for i in 0..20 {
        let options = VolumeOptions {
            name: format!("disk-{i}"),
            size_gb: 5,
            ..Default::default()
        };
        volumes.push(provider.create_volume(&options).await.unwrap());
    }
    let tasks: Vec<_> = volumes
        .iter()
        .map(|v| {
            let (provider, volume_id, server_id) = (provider.clone(), v.id.clone(), server.id.clone());
            tokio::spawn(async move { provider.attach_volume(&volume_id, &server_id).await })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    for v in &volumes {
        let v = provider.get_volume(&v.id).await.unwrap().unwrap();
        assert_eq!(v.server_id.as_deref(), Some(server.id.as_str()), "{v:?}");
    }
    provider.delete_server(&server.id).await.unwrap();
    for v in &volumes {
        provider.delete_volume(&v.id).await.unwrap();
    }
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}

#[tokio::test]
async fn concurrent_find_or_create_of_one_network_creates_exactly_one() {
    let sim = simulator().await;
    let provider = Arc::new(provider(&sim));
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let provider = provider.clone();
            tokio::spawn(async move { provider.find_or_create_network("shared").await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(sim.inventory().private_networks.len(), 1);
}

#[tokio::test]
async fn a_network_still_used_by_a_server_is_detached_then_deleted() {
    let sim = simulator().await;
    let provider = provider(&sim);
    let network = provider.find_or_create_network("backend").await.unwrap();
    let server = provider
        .create_server(&ServerOptions {
            network_id: Some(network.id.clone()),
            ..web("api-1")
        })
        .await
        .unwrap();
    assert_eq!(sim.inventory().private_nics.len(), 1);
    provider.delete_network(&network.id).await.unwrap();
    let left = sim.inventory();
    assert!(
        left.private_networks.is_empty() && left.private_nics.is_empty(),
        "{left:?}"
    );
    provider.delete_server(&server.id).await.unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_finds_its_server_instead_of_making_a_second_one() {
    let sim = simulator().await;
    let provider = provider(&sim);
    // The API creates the server, then the connection drops before the answer arrives.
    sim.faults().push(FaultRule::new(
        Some("CreateServer"),
        Fault::ResetAfterApply,
        Some(1),
    ));
    let server = provider.create_server(&web("lost-answer")).await.unwrap();
    let left = sim.inventory();
    assert_eq!(
        left.servers,
        vec![server.id.clone()],
        "exactly one server: {left:?}"
    );
    provider.delete_server(&server.id).await.unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}

#[tokio::test]
async fn a_create_refused_before_it_was_applied_is_tried_once_more() {
    let sim = simulator().await;
    let provider = provider(&sim);
    // The connection drops before the API saw the request: nothing exists, so one more try.
    sim.faults()
        .push(FaultRule::new(Some("CreateServer"), Fault::Reset, Some(1)));
    let server = provider.create_server(&web("second-try")).await.unwrap();
    assert_eq!(sim.inventory().servers, vec![server.id.clone()]);
    provider.delete_server(&server.id).await.unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}

#[tokio::test]
async fn waiting_for_a_server_that_does_not_exist_is_not_found() {
    let sim = simulator().await;
    let provider = provider(&sim);
    let err = provider
        .wait_for_server("00000000-0000-4000-8000-000000000000", 3)
        .await
        .unwrap_err();
    assert!(err.is_not_found(), "{err:?}");
}

#[tokio::test]
async fn provider_for_builds_the_scaleway_provider_from_its_config() {
    use scaleway_client::provider::{ProviderConfig, provider_for};
    let sim = simulator().await;
    let config = ProviderConfig {
        provider: "scaleway".into(),
        scaleway_secret_key: Some(sim.secret_key().into()),
        scaleway_project_id: Some(sim.project_id().into()),
        scaleway_zone: Some("nl-ams-1".into()),
        scaleway_api_url: Some(sim.base_url().into()),
    };
    let provider = provider_for(&config).unwrap();
    assert_eq!(provider.name(), "scaleway");
    provider.validate_credentials().await.unwrap();
    let network = provider.find_or_create_network("in-amsterdam").await.unwrap();
    provider.delete_network(&network.id).await.unwrap();

    let bad_zone = ProviderConfig {
        scaleway_zone: Some("nowhere-1".into()),
        ..config.clone()
    };
    assert!(matches!(
        provider_for(&bad_zone).err(),
        Some(ProviderError::InvalidInput { field, .. }) if field == "scaleway_zone"
    ));

    let wrong_key = ProviderConfig {
        scaleway_secret_key: Some("00000000-0000-4000-8000-000000000001".into()),
        ..config
    };
    let err = provider_for(&wrong_key)
        .unwrap()
        .validate_credentials()
        .await
        .unwrap_err();
    assert!(err.is_authentication(), "{err:?}");
    assert!(
        !err.to_string().contains("00000000-0000-4000-8000-000000000001"),
        "{err}"
    );
}

#[tokio::test]
async fn a_server_with_a_local_root_volume_is_deleted_with_it() {
    let sim = simulator().await;
    let options = ScalewayOptions {
        block_root_volume: false,
        wait: WaitOptions::default()
            .first_interval(Duration::from_millis(1))
            .max_interval(Duration::from_millis(20)),
        ..ScalewayOptions::default()
    };
    let client = common::client(common::simulator_config(&sim), RetryPolicy::default());
    let provider = ScalewayProvider::with_options(client, options).unwrap();
    let server = provider.create_server(&web("local-root")).await.unwrap();
    assert_eq!(sim.inventory().volumes.len(), 1, "its l_ssd root");
    provider.power_off(&server.id).await.unwrap();
    provider.delete_server(&server.id).await.unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}

#[tokio::test]
async fn power_changes_wait_for_a_server_in_transition() {
    // Slow enough that the server is still starting or stopping when the next call comes.
    let sim = common::simulator(0.02).await;
    let provider = provider(&sim);
    let server = provider.create_server(&web("busy")).await.unwrap();
    // Still starting: power_off waits for it to run, then stops it.
    provider.power_off(&server.id).await.unwrap();
    let stopped = provider.get_server(&server.id).await.unwrap().unwrap();
    assert_eq!(stopped.status, scaleway_client::provider::ServerStatus::Stopped);

    provider.power_on(&server.id).await.unwrap();
    provider
        .client()
        .instance()
        .server_action()
        .zone("fr-par-1")
        .server_id(server.id.as_str())
        .body_map(|b| b.action(scaleway_client::api::instance_v1::types::ServerAction::Poweroff))
        .send()
        .await
        .unwrap();
    // Stopping: power_on waits for it to stop, then starts it.
    provider.power_on(&server.id).await.unwrap();
    let running = provider.get_server(&server.id).await.unwrap().unwrap();
    assert_eq!(running.status, scaleway_client::provider::ServerStatus::Running);
    provider.delete_server(&server.id).await.unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}

#[tokio::test]
async fn a_volume_that_never_becomes_available_is_removed() {
    let sim = simulator().await;
    let provider = provider(&sim);
    // The poll of the new volume fails, so the wait ends in an error.
    sim.faults().push(FaultRule::new(
        Some("block_v1.GetVolume"),
        Fault::Status(400),
        Some(1),
    ));
    let err = provider
        .create_volume(&VolumeOptions {
            name: "never-ready".into(),
            size_gb: 5,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(
        matches!(err, ProviderError::Api { .. }),
        "the original error, the cleanup having worked: {err:?}"
    );
    assert!(sim.inventory().volumes.is_empty(), "{:?}", sim.inventory());
}

#[tokio::test]
async fn a_volume_made_by_create_volume_at_the_root_position_survives_delete_server() {
    // A little over a screen: the volume is followed through the server's create and delete.
    use scaleway_client::api::instance_v1::types::{AttachServerVolumeBody, DetachServerVolumeBody};

    let sim = simulator().await;
    let provider = provider(&sim);
    let server = provider.create_server(&web("root-swap")).await.unwrap();
    provider.power_off(&server.id).await.unwrap();
    let data = provider
        .create_volume(&VolumeOptions {
            name: "data".into(),
            size_gb: 10,
            ..VolumeOptions::default()
        })
        .await
        .unwrap();
    // Outside the provider: the root is detached and the data volume attached in its place.
    let instance = provider.client().instance();
    let answer = instance
        .get_server()
        .zone("fr-par-1")
        .server_id(&server.id)
        .send()
        .await
        .unwrap()
        .into_inner();
    let root = answer.server.unwrap().volumes["0"].id.clone().unwrap();
    instance
        .detach_server_volume()
        .zone("fr-par-1")
        .server_id(&server.id)
        .body(DetachServerVolumeBody::builder().volume_id(root.clone()))
        .send()
        .await
        .unwrap();
    let attached = instance
        .attach_server_volume()
        .zone("fr-par-1")
        .server_id(&server.id)
        .body(
            AttachServerVolumeBody::builder()
                .volume_id(data.id.clone())
                .volume_type(
                    scaleway_client::api::instance_v1::types::AttachServerVolumeBodyVolumeType::SbsVolume,
                ),
        )
        .send()
        .await
        .unwrap()
        .into_inner();
    let volumes = attached.server.unwrap().volumes;
    assert_eq!(volumes["0"].id.as_deref(), Some(data.id.as_str()));

    provider.delete_server(&server.id).await.unwrap();

    let kept = provider
        .get_volume(&data.id)
        .await
        .unwrap()
        .expect("the data volume is kept");
    assert_eq!(kept.server_id, None);
    assert_eq!(
        sim.inventory().volumes.len(),
        2,
        "the data volume and the detached root"
    );
}

#[tokio::test]
async fn power_on_and_off_after_a_stop_in_place() {
    use scaleway_client::api::instance_v1::types::{ServerAction, ServerActionBody};

    let sim = simulator().await;
    let provider = provider(&sim);
    let server = provider.create_server(&web("parked")).await.unwrap();
    let stop_in_place = || async {
        provider
            .client()
            .instance()
            .server_action()
            .zone("fr-par-1")
            .server_id(&server.id)
            .body(ServerActionBody::builder().action(ServerAction::StopInPlace))
            .send()
            .await
            .unwrap();
    };
    stop_in_place().await;
    provider.power_on(&server.id).await.unwrap();
    assert_eq!(
        provider
            .get_server(&server.id)
            .await
            .unwrap()
            .unwrap()
            .provider_status,
        "running"
    );
    stop_in_place().await;
    provider.power_off(&server.id).await.unwrap();
    assert_eq!(
        provider
            .get_server(&server.id)
            .await
            .unwrap()
            .unwrap()
            .provider_status,
        "stopped"
    );
    provider.delete_server(&server.id).await.unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}
