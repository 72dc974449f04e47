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
    deleted: &'static [&'static str],
    /// Whether the root is read before its DELETE (to keep a user's volume found there).
    root_read: bool,
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
    let running = expected.state == "running";
    // terminate takes the NICs with the server; the DELETE of a stopped one comes after them.
    nic.assert_calls_async(usize::from(!running)).await;
    // The API detaches Block volumes from a server it deletes.
    detach.assert_calls_async(0).await;
    terminate.assert_calls_async(usize::from(running)).await;
    delete.assert_calls_async(usize::from(!running)).await;
    for (volume, get, delete) in volumes {
        let deleted = expected.deleted.contains(&volume);
        let reads = usize::from(volume == ROOT_VOLUME && expected.root_read);
        get.assert_calls_async(reads).await;
        delete.assert_calls_async(usize::from(deleted)).await;
    }
    // NICs go before the server, volumes after it is gone.
    let lines = api.lines();
    let gone = lines
        .iter()
        .rposition(|l| l == &format!("GET {}", server_path()))
        .unwrap();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("private_nics") {
            assert!(i < gone, "{lines:#?}");
        }
        if line.starts_with("DELETE /block") {
            assert!(i > gone, "{lines:#?}");
        }
    }
    api.finish().await;
}

#[tokio::test]
async fn keep_attached_deletes_the_root_of_a_stopped_server_and_keeps_the_others() {
    let expected = Expected {
        state: "stopped",
        deleted: &[ROOT_VOLUME],
        root_read: true,
    };
    delete_with(VolumePolicy::KeepAttached, expected).await;
}

#[tokio::test]
async fn delete_all_terminates_a_running_server_and_deletes_every_volume() {
    let expected = Expected {
        state: "running",
        deleted: &[ROOT_VOLUME, DATA_VOLUME],
        root_read: false,
    };
    delete_with(VolumePolicy::DeleteAll, expected).await;
}

#[tokio::test]
async fn keep_attached_terminates_a_running_server_and_deletes_its_root_alone() {
    let expected = Expected {
        state: "running",
        deleted: &[ROOT_VOLUME],
        root_read: true,
    };
    delete_with(VolumePolicy::KeepAttached, expected).await;
}

#[tokio::test]
async fn detach_all_deletes_no_volume() {
    let expected = Expected {
        state: "stopped",
        deleted: &[],
        root_read: false,
    };
    delete_with(VolumePolicy::DetachAll, expected).await;
}

/// The 412 of a DELETE of a volume a server still holds.
fn still_attached() -> Value {
    json!({"type": "precondition_failed", "message": "precondition is not respected",
           "precondition": "resource_still_in_use",
           "help_message": "volume is attached to an instance, detach it before deleting it"})
}

#[tokio::test]
async fn a_root_delete_refused_while_it_detaches_waits_for_it_then_deletes() {
    let api = Api::start().await;
    let mut server = web("running");
    server["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME)});
    let states = mock_server_states(&api, &[server], None).await;
    let terminate = mock_action(&api, "terminate", 202).await;
    let refused = api
        .on(DELETE, volume_path(ROOT_VOLUME))
        .reply(412, still_attached())
        .times(1)
        .mount()
        .await;
    let delete = api.on(DELETE, volume_path(ROOT_VOLUME)).status(204).mount().await;
    let detaching = api
        .on(GET, volume_path(ROOT_VOLUME))
        .reply(
            200,
            block_volume(ROOT_VOLUME, "root", "in_use", Some((SERVER_ID, "detaching"))),
        )
        .times(2)
        .mount()
        .await;
    let free = api
        .on(GET, volume_path(ROOT_VOLUME))
        .reply(200, block_volume(ROOT_VOLUME, "root", "available", None))
        .mount()
        .await;
    api.seal().await;

    api.scaleway()
        .servers()
        .delete(SERVER_ID, VolumePolicy::DeleteAll)
        .await
        .unwrap();

    assert_each_called_once(states).await;
    assert_each_called_once(vec![terminate, refused, delete, free]).await;
    detaching.assert_calls_async(2).await;
    let volume_lines: Vec<String> = api
        .lines()
        .into_iter()
        .filter(|l| l.contains("/block/"))
        .collect();
    let root = volume_path(ROOT_VOLUME);
    assert_eq!(
        volume_lines,
        [
            format!("DELETE {root}"),
            format!("GET {root}"),
            format!("GET {root}"),
            format!("GET {root}"),
            format!("DELETE {root}"),
        ]
    );
    api.finish().await;
}

#[tokio::test]
async fn a_root_that_cannot_be_deleted_is_named_as_left_behind() {
    let api = Api::start().await;
    let mut server = web("running");
    server["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME)});
    mock_server_states(&api, &[server], None).await;
    mock_action(&api, "terminate", 202).await;
    let forbidden = api
        .on(DELETE, volume_path(ROOT_VOLUME))
        .reply(
            403,
            json!({"type": "permissions_denied", "message": "insufficient permissions",
                   "details": [{"action": "delete", "resource": "volume"}]}),
        )
        .mount()
        .await;
    api.seal().await;

    let err = api
        .scaleway()
        .servers()
        .delete(SERVER_ID, VolumePolicy::DeleteAll)
        .await
        .unwrap_err();

    match err {
        Error::LeftBehind { kind, id, source } => {
            assert_eq!((kind.as_str(), id.as_str()), ("volume", ROOT_VOLUME));
            assert_eq!(source.status(), Some(403), "{source:?}");
        }
        other => panic!("expected the root named as left behind, got {other:?}"),
    }
    // A refusal no wait clears is not sent again.
    forbidden.assert_calls_async(1).await;
    api.finish().await;
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
