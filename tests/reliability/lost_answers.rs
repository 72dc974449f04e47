//! A lost answer on every non-idempotent step of every workflow: the table of steps below runs a
//! whole lifecycle once per (step, fault), the fault injected on that step's request alone, and
//! checks that the lifecycle succeeds and leaves nothing behind. A step run twice would leave a
//! duplicate (a second network, server, volume, rule, IP or NIC) that the lifecycle's deletes do
//! not know of, so an empty inventory also proves that nothing was made twice.
//!
//! The faults: the request applied and its answer lost (`ResetAfterApply`), the connection
//! closed before it was applied (`Reset`), and a 502 from a proxy (not applied, but ambiguous to
//! the client). The retry policy repeats none of them for a POST: each workflow has to look up
//! what happened and go on.

use std::time::Duration;

use scaleway_client::ByteSize;
use scaleway_client::provider::{Provider, ServerOptions, VolumeOptions};
use scaleway_client::resources::{Options, PublicIp, RootVolume, Scaleway, ServerSpec, VolumePolicy};
use scaleway_sim::{CreatedKind, Fault, FaultRule, Simulator};

use crate::common;

/// The steps of the provider's lifecycle, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Network,
    Firewall,
    CreateServer,
    CreateVolume,
    PowerOff,
    PowerOn,
    Attach,
    Detach,
    DeleteVolume,
    DeleteServer,
    DeleteFirewall,
    DeleteNetwork,
}

/// Every non-idempotent request of the lifecycle: the step it belongs to and its operation.
const PROVIDER_STEPS: &[(Step, &str)] = &[
    (Step::Network, "CreatePrivateNetwork"),
    (Step::Firewall, "CreateSecurityGroup"),
    (Step::Firewall, "CreateSecurityGroupRule"),
    (Step::CreateServer, "CreateServer"),
    (Step::CreateServer, "CreatePrivateNIC"),
    // poweron
    (Step::CreateServer, "ServerAction"),
    (Step::PowerOff, "ServerAction"),
    (Step::PowerOn, "ServerAction"),
    (Step::CreateVolume, "block_v1.CreateVolume"),
    (Step::Attach, "AttachServerVolume"),
    (Step::Detach, "DetachServerVolume"),
    (Step::DeleteVolume, "block_v1.DeleteVolume"),
    // terminate (which takes the server's NICs with it)
    (Step::DeleteServer, "ServerAction"),
    // the root volume
    (Step::DeleteServer, "block_v1.DeleteVolume"),
    (Step::DeleteFirewall, "DeleteSecurityGroup"),
    (Step::DeleteNetwork, "DeletePrivateNetwork"),
];

/// The non-idempotent requests only the layer's richer create sends: a routed IPv6 reserved for
/// the server, and the IOPS of its root raised after the create.
const LAYER_STEPS: &[&str] = &[
    "CreateIp",
    "block_v1.UpdateVolume",
    "CreateServer",
    "ServerAction",
];

const FAULTS: &[Fault] = &[Fault::ResetAfterApply, Fault::Reset, Fault::Status(502)];

/// A simulator whose transitions are done at the next read.
async fn simulator() -> Simulator {
    common::simulator(0.0).await
}

/// The provider's lifecycle, with `fault` on the first `operation` request of `faulty`.
async fn provider_lifecycle(
    sim: &Simulator,
    faulty: Step,
    operation: &str,
    fault: Fault,
) -> Result<(), String> {
    // Longer than a screen on purpose: one lifecycle in order, each step armed with the fault when
    // it is the faulty one; splitting it would hide the order the table of steps refers to.
    let p = common::simulator_provider(sim);
    let arm = |step: Step| {
        if step == faulty {
            sim.faults().push(FaultRule::new(Some(operation), fault, Some(1)));
        }
    };
    let fail = |what: &str, e: &dyn std::fmt::Display| format!("{what}: {e}");
    arm(Step::Network);
    let network = p
        .find_or_create_network("net")
        .await
        .map_err(|e| fail("network", &e))?;
    arm(Step::Firewall);
    let firewall = p
        .find_or_create_firewall("fw")
        .await
        .map_err(|e| fail("firewall", &e))?;
    arm(Step::CreateServer);
    let server = p
        .create_server(&ServerOptions {
            name: "web".into(),
            instance_type: "DEV1-S".into(),
            image: "ubuntu-24.04".into(),
            user_data: Some("#cloud-config\n".into()),
            network_id: Some(network.id.clone()),
            firewall_id: Some(firewall.id.clone()),
            ..ServerOptions::default()
        })
        .await
        .map_err(|e| fail("create server", &e))?;
    p.wait_for_server(&server.id, 100)
        .await
        .map_err(|e| fail("wait", &e))?;
    arm(Step::CreateVolume);
    let volume = p
        .create_volume(&VolumeOptions {
            name: "data".into(),
            size_gb: 10,
            ..VolumeOptions::default()
        })
        .await
        .map_err(|e| fail("create volume", &e))?;
    arm(Step::Attach);
    p.attach_volume(&volume.id, &server.id)
        .await
        .map_err(|e| fail("attach", &e))?;
    arm(Step::Detach);
    p.detach_volume(&volume.id)
        .await
        .map_err(|e| fail("detach", &e))?;
    arm(Step::DeleteVolume);
    p.delete_volume(&volume.id)
        .await
        .map_err(|e| fail("delete volume", &e))?;
    arm(Step::DeleteServer);
    p.delete_server(&server.id)
        .await
        .map_err(|e| fail("delete server", &e))?;
    arm(Step::DeleteFirewall);
    p.delete_firewall(&firewall.id)
        .await
        .map_err(|e| fail("delete firewall", &e))?;
    arm(Step::DeleteNetwork);
    p.delete_network(&network.id)
        .await
        .map_err(|e| fail("delete network", &e))?;
    Ok(())
}

#[tokio::test]
async fn a_lost_answer_on_any_step_of_the_provider_lifecycle_is_absorbed_exactly_once() {
    let mut failures = Vec::new();
    let mut runs = 0;
    for &(step, operation) in PROVIDER_STEPS {
        for &fault in FAULTS {
            runs += 1;
            let sim = simulator().await;
            let outcome = provider_lifecycle(&sim, step, operation, fault).await;
            let injected = sim.faults().get().rules.is_empty();
            let left = sim.inventory();
            if outcome.is_err() || !left.is_empty() || !injected {
                failures.push(format!(
                    "{operation} in {step:?} with {fault:?}: {outcome:?}; fault used: {injected}; left: {left:?}"
                ));
            }
        }
    }
    println!("{runs} lifecycles, {} failed", failures.len());
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The layer's create with a routed IPv6 and a 15k IOPS root, then its delete.
async fn layer_lifecycle(sim: &Simulator, operation: &str, fault: Fault) -> Result<(), String> {
    let scw = Scaleway::with_options(
        common::client(common::simulator_config(sim), common::quick_retries()),
        Options {
            wait: common::quick_waits(),
            create_lookup_delay: Duration::from_millis(2),
        },
    );
    let spec = ServerSpec::new("db", "PRO2-XXS", "ubuntu-24.04")
        .root_volume(RootVolume::block(ByteSize::from_gb(50).unwrap()).iops(15_000))
        .public_ip(PublicIp::RoutedIpv6);
    sim.faults().push(FaultRule::new(Some(operation), fault, Some(1)));
    let server = scw
        .servers()
        .create(&spec)
        .await
        .map_err(|e| format!("create: {e}"))?;
    let id = server.id.unwrap_or_default();
    scw.servers()
        .delete(&id, VolumePolicy::DeleteAll)
        .await
        .map_err(|e| format!("delete: {e}"))
}

#[tokio::test]
async fn a_lost_answer_on_any_step_of_the_layer_create_is_absorbed_exactly_once() {
    let mut failures = Vec::new();
    for &operation in LAYER_STEPS {
        for &fault in FAULTS {
            let sim = simulator().await;
            let outcome = layer_lifecycle(&sim, operation, fault).await;
            let injected = sim.faults().get().rules.is_empty();
            let left = sim.inventory();
            if outcome.is_err() || !left.is_empty() || !injected {
                failures.push(format!(
                    "{operation} with {fault:?}: {outcome:?}; fault used: {injected}; left: {left:?}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// A lost create answer followed by a failing look-up: the listing that would find the server
/// answers 503 more times than the retry policy repeats it. The look-up is tried again until its
/// outcome is known, so the server it made is found and finished, not left stopped and billed.
#[tokio::test]
async fn a_lost_create_answer_whose_look_up_fails_too_still_makes_one_server() {
    let sim = simulator().await;
    let p = common::simulator_provider(&sim);
    sim.faults().push(FaultRule::new(
        Some("CreateServer"),
        Fault::ResetAfterApply,
        Some(1),
    ));
    // The default policy repeats a 503 four times: the first look-up fails for good.
    sim.faults()
        .push(FaultRule::new(Some("ListServers"), Fault::Status(503), Some(6)));

    let server = p
        .create_server(&ServerOptions {
            name: "web".into(),
            instance_type: "DEV1-S".into(),
            image: "ubuntu-24.04".into(),
            ..ServerOptions::default()
        })
        .await
        .unwrap();

    let servers = p.list_servers().await.unwrap();
    assert_eq!(servers.len(), 1, "{servers:?}");
    assert_eq!(servers[0].id, server.id);
    let made = sim.created();
    let servers_made = made.iter().filter(|c| c.kind == CreatedKind::Server).count();
    assert_eq!(servers_made, 1, "{made:?}");
    assert!(sim.faults().get().rules.is_empty(), "every fault was used");
    p.delete_server(&server.id).await.unwrap();
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
}
