//! `Servers::delete`: what happens to the volumes under each policy.

use super::*;

fn volume_path(volume: &str) -> String {
    block(&format!("/volumes/{volume}"))
}

/// `web-1` in `state` with its root, the data volume and a NIC.
fn with_data(state: &str) -> Value {
    let mut s = web(state);
    s["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME), "1": sbs_entry(DATA_VOLUME)});
    s["private_nics"] = json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")]);
    s
}

/// What a delete is expected to send.
struct Expected {
    state: &'static str,
    detach_data: bool,
    deleted: &'static [&'static str],
}

/// Mocks the whole delete, runs it, and checks every request and count.
async fn delete_with(policy: VolumePolicy, expected: Expected) {
    // Longer than a screen on purpose: the mocks of every request a delete can make, set for the
    // case at hand; the delete tests differ only in what they pass here.
    let api = Api::start().await;
    let states = mock_server_states(&api, &[with_data(expected.state)], None).await;
    let detach = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/detach-volume")))
        .json(json!({"volume_id": DATA_VOLUME}))
        .reply(200, json!({"server": web(expected.state)}))
        .mount()
        .await;
    let nic = api
        .on(
            DELETE,
            inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}")),
        )
        .status(204)
        .mount()
        .await;
    let terminate = mock_action(&api, "terminate", 202).await;
    let delete = api.on(DELETE, server_path()).status(204).mount().await;
    let mut volumes = Vec::new();
    for volume in [ROOT_VOLUME, DATA_VOLUME] {
        let get = api
            .on(GET, volume_path(volume))
            .reply(200, block_volume(volume, "v", "available", None))
            .mount()
            .await;
        let delete = api.on(DELETE, volume_path(volume)).status(204).mount().await;
        volumes.push((volume, get, delete));
    }
    api.seal().await;

    api.scaleway().servers().delete(SERVER_ID, policy).await.unwrap();

    assert_each_called_once(states).await;
    nic.assert_calls_async(1).await;
    detach.assert_calls_async(usize::from(expected.detach_data)).await;
    let running = expected.state == "running";
    terminate.assert_calls_async(usize::from(running)).await;
    delete.assert_calls_async(usize::from(!running)).await;
    for (volume, get, delete) in volumes {
        let deleted = expected.deleted.contains(&volume);
        // A deleted volume is read, then awaited free; a detached one awaited free.
        let reads = if deleted {
            2
        } else {
            usize::from(volume == DATA_VOLUME && expected.detach_data)
        };
        get.assert_calls_async(reads).await;
        delete.assert_calls_async(usize::from(deleted)).await;
    }
    // Volumes are detached before the server goes, deleted after it is gone.
    let lines = api.lines();
    let gone = lines
        .iter()
        .rposition(|l| l == &format!("GET {}", server_path()))
        .unwrap();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("detach-volume") || line.contains("private_nics") {
            assert!(i < gone, "{lines:#?}");
        }
        if line.starts_with("DELETE /block") {
            assert!(i > gone, "{lines:#?}");
        }
    }
    api.finish().await;
}

#[tokio::test]
async fn keep_attached_detaches_the_others_and_deletes_the_root() {
    let expected = Expected {
        state: "stopped",
        detach_data: true,
        deleted: &[ROOT_VOLUME],
    };
    delete_with(VolumePolicy::KeepAttached, expected).await;
}

#[tokio::test]
async fn delete_all_terminates_a_running_server_and_deletes_every_volume() {
    let expected = Expected {
        state: "running",
        detach_data: false,
        deleted: &[ROOT_VOLUME, DATA_VOLUME],
    };
    delete_with(VolumePolicy::DeleteAll, expected).await;
}

#[tokio::test]
async fn detach_all_deletes_no_volume() {
    let expected = Expected {
        state: "stopped",
        detach_data: true,
        deleted: &[],
    };
    delete_with(VolumePolicy::DetachAll, expected).await;
}

#[tokio::test]
async fn a_server_already_gone_is_deleted() {
    let api = Api::start().await;
    let gone = mock_server_states(&api, &[], None).await;
    api.seal().await;

    api.scaleway()
        .servers()
        .delete(SERVER_ID, VolumePolicy::DeleteAll)
        .await
        .unwrap();

    assert_each_called_once(gone).await;
    assert_eq!(api.seen().len(), 1);
    api.finish().await;
}
