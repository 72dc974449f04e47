//! 16 concurrent clients creating, attaching and deleting: ids are unique, no update is lost, no
//! address is handed out twice.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use scaleway_client::api::{block_v1, instance_v1, vpc_v2};
use scaleway_client::{Client, Error, RetryPolicy};
use scaleway_sim::{Inventory, Simulator};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

use crate::common;

const ZONE: &str = "fr-par-1";
const SBS_IMAGE: &str = "da954c89-6891-4c70-8fdc-63e094449a63";
const CLIENTS: usize = 16;
const ROUNDS: usize = 20;

fn body<T: DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn client(sim: &Simulator) -> Client {
    common::client(common::simulator_config(sim), RetryPolicy::none())
}

#[derive(Default, Debug)]
struct Outcome {
    servers: Vec<String>,
    volumes: Vec<String>,
    nics: Vec<String>,
    ips: Vec<String>,
    /// What stays: server → the data volume attached to it.
    kept: BTreeMap<String, String>,
    kept_nics: Vec<String>,
    kept_ips: Vec<String>,
    won_contested: bool,
}

async fn create_block(c: &Client, name: &str) -> String {
    let v = c
        .block()
        .create_volume()
        .zone(ZONE)
        .body(body::<block_v1::types::CreateVolumeBody>(
            json!({"name": name, "perf_iops": 5000, "from_empty": {"size": 10_000_000_000u64}}),
        ))
        .send()
        .await
        .unwrap();
    v.id.clone().unwrap()
}

async fn attach(c: &Client, server: &str, volume: &str) -> Result<(), Error> {
    c.instance()
        .attach_server_volume()
        .zone(ZONE)
        .server_id(server)
        .body(body::<instance_v1::types::AttachServerVolumeBody>(
            json!({"volume_id": volume, "volume_type": "sbs_volume"}),
        ))
        .send()
        .await
        .map(|_| ())
        .map_err(Error::from)
}

async fn worker(c: Client, n: usize, pns: Vec<String>, contested: String) -> Outcome {
    let mut out = Outcome::default();
    for round in 0..ROUNDS {
        let s = c
            .instance()
            .create_server()
            .zone(ZONE)
            .body(body::<instance_v1::types::CreateServerBody>(
                json!({"name": format!("c{n}-r{round}"), "commercial_type": "PRO2-XXS", "image": SBS_IMAGE}),
            ))
            .send()
            .await
            .unwrap();
        let server = s.server.as_ref().unwrap();
        let sid = server.id.clone().unwrap();
        let root = server.volumes["0"].id.clone().unwrap();
        out.servers.push(sid.clone());
        out.volumes.push(root.clone());

        if round == 0 {
            match attach(&c, &sid, &contested).await {
                Ok(()) => out.won_contested = true,
                Err(e) => assert_eq!(e.status(), Some(412), "{e:?}"),
            }
        }

        let vid = create_block(&c, &format!("c{n}-r{round}-data")).await;
        out.volumes.push(vid.clone());
        attach(&c, &sid, &vid).await.unwrap();

        let (nic_id, ip_id) = nic_and_ip(&c, &sid, &pns[(n + round) % pns.len()]).await;
        out.nics.push(nic_id.clone());
        out.ips.push(ip_id.clone());

        if round % 2 == 0 && !(round == 0 && out.won_contested) {
            take_down(&c, &sid, &vid, &nic_id, &ip_id, &root).await;
        } else {
            out.kept.insert(sid, vid);
            out.kept_nics.push(nic_id);
            out.kept_ips.push(ip_id);
        }
    }
    out
}

/// A NIC of `sid` on `pn`, and a flexible IP given to it; their ids.
async fn nic_and_ip(c: &Client, sid: &str, pn: &str) -> (String, String) {
    let nic = c
        .instance()
        .create_private_nic()
        .zone(ZONE)
        .server_id(sid)
        .body(body::<instance_v1::types::CreatePrivateNicBody>(
            json!({"private_network_id": pn}),
        ))
        .send()
        .await
        .unwrap();
    let nic_id = nic.private_nic.as_ref().unwrap().id.clone().unwrap();

    let ip = c
        .instance()
        .create_ip()
        .zone(ZONE)
        .body(body::<instance_v1::types::CreateIpBody>(json!({"server": sid})))
        .send()
        .await
        .unwrap();
    let ip_id = ip.ip.as_ref().unwrap().id.clone().unwrap();
    (nic_id, ip_id)
}

/// Takes a round's server down again, in the order a careful client would: the data volume
/// detached and deleted, the NIC, the IP, the server, its root.
async fn take_down(c: &Client, sid: &str, vid: &str, nic_id: &str, ip_id: &str, root: &str) {
    c.instance()
        .detach_server_volume()
        .zone(ZONE)
        .server_id(sid)
        .body(body::<instance_v1::types::DetachServerVolumeBody>(
            json!({"volume_id": vid}),
        ))
        .send()
        .await
        .unwrap();
    c.block()
        .delete_volume()
        .zone(ZONE)
        .volume_id(vid)
        .send()
        .await
        .unwrap();
    c.instance()
        .delete_private_nic()
        .zone(ZONE)
        .server_id(sid)
        .private_nic_id(nic_id)
        .send()
        .await
        .unwrap();
    c.instance()
        .delete_ip()
        .zone(ZONE)
        .ip(ip_id)
        .send()
        .await
        .unwrap();
    c.instance()
        .delete_server()
        .zone(ZONE)
        .server_id(sid)
        .send()
        .await
        .unwrap();
    c.block()
        .delete_volume()
        .zone(ZONE)
        .volume_id(root)
        .send()
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_clients_create_attach_and_delete() {
    let sim = common::simulator(0.0).await;
    let setup = client(&sim);
    let (pns, contested) = shared_networks_and_a_contested_volume(&setup).await;

    let mut tasks = Vec::new();
    for n in 0..CLIENTS {
        let c = client(&sim);
        tasks.push(tokio::spawn(worker(c, n, pns.clone(), contested.clone())));
    }
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }

    assert_every_id_is_unique(&outcomes);
    // Exactly one client got the contested volume.
    assert_eq!(outcomes.iter().filter(|o| o.won_contested).count(), 1);

    // No lost update: the inventory is exactly what the clients kept.
    let inv = sim.inventory();
    let kept: BTreeMap<String, String> = outcomes.iter().flat_map(|o| o.kept.clone()).collect();
    let kept_servers: BTreeSet<String> = kept.keys().cloned().collect();
    assert_eq!(inv.servers.iter().cloned().collect::<BTreeSet<_>>(), kept_servers);
    let nics: BTreeSet<String> = outcomes.iter().flat_map(|o| o.kept_nics.clone()).collect();
    assert_eq!(
        inv.private_nics
            .iter()
            .map(|n| n.id.clone())
            .collect::<BTreeSet<_>>(),
        nics
    );
    let ips: BTreeSet<String> = outcomes.iter().flat_map(|o| o.kept_ips.clone()).collect();
    assert_eq!(inv.ips.iter().cloned().collect::<BTreeSet<_>>(), ips);
    // Kept servers hold a root and a data volume each, plus the contested volume.
    assert_eq!(inv.volumes.len(), kept.len() * 2 + 1);

    assert_attachments_agree_on_both_sides(&setup, &outcomes, &kept, &contested).await;

    assert_no_address_handed_out_twice(&setup, &inv, &ips).await;
}

/// Four private networks the clients share, and a Block volume they all try to attach.
async fn shared_networks_and_a_contested_volume(setup: &Client) -> (Vec<String>, String) {
    let mut pns = Vec::new();
    for i in 0..4 {
        let pn = setup
            .vpc()
            .create_private_network()
            .region("fr-par")
            .body(body::<vpc_v2::types::CreatePrivateNetworkBody>(
                json!({"name": format!("shared-{i}")}),
            ))
            .send()
            .await
            .unwrap();
        pns.push(pn.id.clone().unwrap());
    }
    let contested = create_block(setup, "contested").await;
    // The next read makes it available.
    setup
        .block()
        .get_volume()
        .zone(ZONE)
        .volume_id(&contested)
        .send()
        .await
        .unwrap();
    (pns, contested)
}

/// No id was handed out twice, and every client made all it was asked to.
fn assert_every_id_is_unique(outcomes: &[Outcome]) {
    for (what, ids) in [
        (
            "server",
            outcomes
                .iter()
                .flat_map(|o| o.servers.clone())
                .collect::<Vec<_>>(),
        ),
        (
            "volume",
            outcomes.iter().flat_map(|o| o.volumes.clone()).collect(),
        ),
        ("nic", outcomes.iter().flat_map(|o| o.nics.clone()).collect()),
        ("ip", outcomes.iter().flat_map(|o| o.ips.clone()).collect()),
    ] {
        let unique: HashSet<&String> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "duplicate {what} ids");
        let per_round = if what == "volume" { 2 } else { 1 }; // root + data
        assert_eq!(ids.len(), CLIENTS * ROUNDS * per_round, "{what} count");
    }
}

/// Attachment state agrees on both sides for every kept server, and the contested volume is on
/// the winner's server.
async fn assert_attachments_agree_on_both_sides(
    setup: &Client,
    outcomes: &[Outcome],
    kept: &BTreeMap<String, String>,
    contested: &str,
) {
    let winner = outcomes.iter().find(|o| o.won_contested).unwrap().servers[0].clone();
    for (server, data) in kept {
        let s = setup
            .instance()
            .get_server()
            .zone(ZONE)
            .server_id(server)
            .send()
            .await
            .unwrap();
        let s = s.server.as_ref().unwrap();
        let attached: BTreeSet<String> = s.volumes.values().filter_map(|v| v.id.clone()).collect();
        assert!(attached.contains(data), "{server} lost {data}");
        let expected = if *server == winner { 3 } else { 2 };
        assert_eq!(attached.len(), expected, "{server}: {attached:?}");
        let v = setup
            .block()
            .get_volume()
            .zone(ZONE)
            .volume_id(data)
            .send()
            .await
            .unwrap();
        let reference = serde_json::to_value(&v.references).unwrap();
        assert_eq!(reference[0]["product_resource_id"], server.as_str());
        assert_eq!(s.public_ips.len(), 1);
    }
    let c = setup
        .block()
        .get_volume()
        .zone(ZONE)
        .volume_id(contested)
        .send()
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&c.references).unwrap()[0]["product_resource_id"],
        winner.as_str()
    );
}

/// No address handed out twice: private IPv4s of NICs and public IPs, all of the kept IPs listed.
async fn assert_no_address_handed_out_twice(setup: &Client, inv: &Inventory, ips: &BTreeSet<String>) {
    let private: Vec<&String> = inv.private_nics.iter().map(|n| &n.private_ipv4).collect();
    assert_eq!(
        private.iter().collect::<HashSet<_>>().len(),
        private.len(),
        "private IPs reused"
    );
    let mut addresses = Vec::new();
    for page in 1.. {
        let list = setup
            .instance()
            .list_ips()
            .zone(ZONE)
            .page(page)
            .per_page(100u32)
            .send()
            .await
            .unwrap();
        if list.ips.is_empty() {
            break;
        }
        addresses.extend(list.ips.iter().filter_map(|ip| ip.address.clone()));
    }
    assert_eq!(addresses.len(), ips.len());
    assert_eq!(
        addresses.iter().collect::<HashSet<_>>().len(),
        addresses.len(),
        "public IPs reused"
    );
}
