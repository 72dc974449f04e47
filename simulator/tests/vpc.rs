//! VPC: a private network in use by a NIC.

use scaleway_client::Error;

use super::requests::*;

#[tokio::test]
async fn private_network_in_use_and_security_group_in_use_of_the_network() {
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
}
