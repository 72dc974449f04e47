//! Server deletes: NICs, root volumes, terminate from any state, idempotence.

use httpmock::prelude::*;
use serde_json::json;

use super::*;

#[tokio::test]
async fn test_delete_server_cleans_up_nics() {
    let api = Api::start().await;
    let nics = json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")]);
    let (present, gone) = mock_server_then_gone(&api, &[web_server("stopped", nics)]).await;
    let delete_nic = api
        .on(
            DELETE,
            inst(&format!("/servers/{SERVER_ID}/private_nics/{NIC_ID}")),
        )
        .status(204)
        .mount()
        .await;
    let delete = api
        .on(DELETE, inst(&format!("/servers/{SERVER_ID}")))
        .status(204)
        .mount()
        .await;
    let (root, delete_root) = mock_root_volume(&api, 0).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    delete_nic.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    // Read once (a user's volume there would be kept), then deleted.
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    let lines = api.lines();
    let nic_at = lines.iter().position(|l| l.contains("/private_nics/")).unwrap();
    let server_at = lines
        .iter()
        .position(|l| l == &format!("DELETE {}", inst(&format!("/servers/{SERVER_ID}"))))
        .unwrap();
    assert!(nic_at < server_at, "{lines:#?}");
    api.finish().await;
}

#[tokio::test]
async fn test_delete_running_server_terminates() {
    let api = Api::start().await;
    let mut running = web_server("running", json!([]));
    running["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME), "1": sbs_entry(DATA_VOLUME)});
    let mut terminating = running.clone();
    terminating["state"] = json!("stopping");
    terminating["state_detail"] = json!("terminating");
    terminating["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME)});
    let (present, gone) = mock_server_then_gone(&api, &[running, terminating]).await;
    // The user's volume is left to terminate, which detaches it; it is kept.
    let detach = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/detach-volume")))
        .json(json!({"volume_id": DATA_VOLUME}))
        .reply(200, json!({"server": web_server("running", json!([]))}))
        .mount()
        .await;
    let terminate = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "terminate"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    // The root, still detaching when the server is gone: its DELETE is refused once.
    let (root, delete_root) = mock_root_volume(&api, 2).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    detach.assert_calls_async(0).await;
    terminate.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    let lines = api.lines();
    assert!(!lines.contains(&format!("DELETE {}", inst(&format!("/servers/{SERVER_ID}")))));
    assert!(
        !lines
            .iter()
            .any(|l| l.contains(DATA_VOLUME) || l.contains("/private_nics")),
        "{lines:#?}"
    );
    let terminate_at = lines.iter().position(|l| l.ends_with("/action")).unwrap();
    let root_deletes: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("DELETE "))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(
        root_deletes.len(),
        2,
        "refused, then deleted once free: {lines:#?}"
    );
    assert!(terminate_at < root_deletes[0], "{lines:#?}");
    api.finish().await;
}

#[tokio::test]
async fn test_delete_server_names_a_root_it_could_not_delete() {
    let api = Api::start().await;
    let mut running = web_server("running", json!([]));
    running["volumes"] = json!({"0": sbs_entry(ROOT_VOLUME)});
    mock_server_then_gone(&api, &[running]).await;
    api.on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "terminate"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    // Read first: a user's volume at the root position would be kept.
    let name = "Ubuntu 24.04 Noble Numbat_sbs_volume_0";
    api.on(GET, block(&format!("/volumes/{ROOT_VOLUME}")))
        .reply(200, block_volume(ROOT_VOLUME, name, "available", None))
        .mount()
        .await;
    let forbidden = api
        .on(DELETE, block(&format!("/volumes/{ROOT_VOLUME}")))
        .reply(
            403,
            json!({"type": "permissions_denied", "message": "insufficient permissions",
                   "details": [{"action": "delete", "resource": "volume"}]}),
        )
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().delete_server(SERVER_ID).await.unwrap_err();

    match &err {
        ProviderError::LeftBehind { kind, id, source } => {
            assert_eq!((*kind, id.as_str()), ("volume", ROOT_VOLUME));
            assert_eq!(source.status(), Some(403), "{source:?}");
            assert!(err.to_string().contains("still billed"), "{err}");
        }
        other => panic!("expected the root named as left behind, got {other:?}"),
    }
    forbidden.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_delete_stopped_server_deletes_and_removes_root_volume() {
    let api = Api::start().await;
    let (present, gone) = mock_server_then_gone(&api, &[web_server("stopped", json!([]))]).await;
    let delete = api
        .on(DELETE, inst(&format!("/servers/{SERVER_ID}")))
        .status(204)
        .mount()
        .await;
    let (root, delete_root) = mock_root_volume(&api, 1).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    assert!(!api.lines().iter().any(|l| l.ends_with("/action")));
    api.finish().await;
}

#[tokio::test]
async fn test_delete_server_is_idempotent() {
    let api = Api::start().await;
    let gone = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .not_found("instance_server", SERVER_ID)
        .mount()
        .await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    gone.assert_calls_async(1).await;
    assert_eq!(
        api.lines(),
        [format!("GET {}", inst(&format!("/servers/{SERVER_ID}")))]
    );
    api.finish().await;
}

#[tokio::test]
async fn test_delete_terminating_server_still_removes_root_volume() {
    // An earlier delete was interrupted after `terminate`: the server is going away by itself,
    // but its Block root volume stays, and is billed, unless this delete removes it.
    let api = Api::start().await;
    let mut terminating = web_server("stopping", json!([]));
    terminating["state_detail"] = json!("terminating");
    let (present, gone) = mock_server_then_gone(&api, &[terminating]).await;
    let (root, delete_root) = mock_root_volume(&api, 0).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    assert!(!api.lines().iter().any(|l| l.ends_with("/action")));
    api.finish().await;
}

#[tokio::test]
async fn test_delete_starting_server_waits_then_terminates() {
    let api = Api::start().await;
    let (present, gone) = mock_server_then_gone(
        &api,
        &[
            web_server("starting", json!([])),
            web_server("starting", json!([])),
            web_server("running", json!([])),
        ],
    )
    .await;
    let terminate = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/action")))
        .json(json!({"action": "terminate"}))
        .reply(202, task(SERVER_ID))
        .mount()
        .await;
    let (root, delete_root) = mock_root_volume(&api, 1).await;
    api.seal().await;

    api.provider().delete_server(SERVER_ID).await.unwrap();

    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    terminate.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    api.finish().await;
}
