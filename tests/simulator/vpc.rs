//! VPC: a private network in use by a NIC, and a security group in use by a server.

use scaleway_sdk::Error;
use scaleway_sdk::api::instance_v1;
use serde_json::{Value, json};

use super::requests::*;

#[tokio::test]
async fn private_network_in_use_and_security_group_in_use() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let s = create_server(&c, "pn", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap();
    let pn = create_pn(&c, "busy").await;
    let pn_id = pn["id"].as_str().unwrap();
    let nic = create_nic(&c, id, pn_id).await;
    let err = Error::from(
        c.vpc()
            .delete_private_network()
            .region("fr-par")
            .private_network_id(pn_id)
            .send()
            .await
            .unwrap_err(),
    );
    match err {
        Error::Precondition {
            precondition, help, ..
        } => {
            assert_eq!(precondition, "resource_still_in_use");
            assert_eq!(help, "Private Network must be empty to be deleted");
        }
        other => panic!("{other:?}"),
    }
    c.instance()
        .delete_private_nic()
        .zone(ZONE)
        .server_id(id)
        .private_nic_id(nic["id"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    c.vpc()
        .delete_private_network()
        .region("fr-par")
        .private_network_id(pn_id)
        .send()
        .await
        .unwrap();

    // Security group used by a server.
    let sg = raw(
        &sim,
        "POST",
        &format!("/instance/v1/zones/{ZONE}/security_groups"),
        Some(json!({"name": "web", "inbound_default_policy": "drop", "outbound_default_policy": "accept", "stateful": true})),
    )
    .await;
    assert_eq!(sg.status(), 201);
    let sg: Value = sg.json().await.unwrap();
    let sg_id = sg["security_group"]["id"].as_str().unwrap();
    assert_eq!(sim.inventory().security_groups, vec![sg_id.to_string()]);
    c.instance()
        .update_server()
        .zone(ZONE)
        .server_id(id)
        .body(body::<instance_v1::types::UpdateServerBody>(
            json!({"security_group": {"id": sg_id}}),
        ))
        .send()
        .await
        .unwrap();
    let r = raw(
        &sim,
        "DELETE",
        &format!("/instance/v1/zones/{ZONE}/security_groups/{sg_id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 400);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["type"], "invalid_request_error");
}
