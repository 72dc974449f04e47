//! Creates that fail part-way (undone, both errors reported) or whose answer is lost (looked up by
//! their token, never made twice).

use httpmock::prelude::*;
use serde_json::{Value, json};

use super::*;

#[tokio::test]
async fn test_create_server_rolls_back_when_poweron_fails() {
    // A little over a screen: the mocks describe the create, the failing poweron and every request
    // of the undo.
    let api = Api::start().await;
    mock_catalog(&api).await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let nic = api
        .on(POST, inst(&format!("/servers/{SERVER_ID}/private_nics")))
        .json(json!({"private_network_id": NETWORK_ID}))
        .reply(
            201,
            json!({"private_nic": private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")}),
        )
        .mount()
        .await;
    let poweron = mock_poweron(&api, 500).await;
    let nics = json!([private_nic(NIC_ID, SERVER_ID, NETWORK_ID, "available")]);
    // A 500 may have been applied: after each of the three attempts the server is read and is
    // still stopped; the undo reads it a fourth time.
    let stopped = web_server("stopped", nics);
    let (present, gone) = mock_server_then_gone(
        &api,
        &[stopped.clone(), stopped.clone(), stopped.clone(), stopped],
    )
    .await;
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
    let (root, delete_root) = mock_root_volume(&api, 1).await;
    api.seal().await;

    let err = api
        .provider()
        .create_server(&ServerOptions {
            network_id: Some(NETWORK_ID.into()),
            ..web_options()
        })
        .await
        .unwrap_err();

    match &err {
        ProviderError::Api { status, .. } => assert_eq!(*status, Some(500), "{err}"),
        other => panic!("expected the poweron error, got {other:?}"),
    }
    create.assert_calls_async(1).await;
    nic.assert_calls_async(1).await;
    poweron.assert_calls_async(3).await;
    present.assert_calls_async(1).await;
    gone.assert_calls_async(1).await;
    delete_nic.assert_calls_async(1).await;
    delete.assert_calls_async(1).await;
    root.assert_calls_async(1).await;
    delete_root.assert_calls_async(1).await;
    api.finish().await;
}

#[tokio::test]
async fn test_create_server_reports_both_errors_when_cleanup_fails() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let poweron = mock_poweron(&api, 500).await;
    let get = api
        .on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("stopped", json!([]))}))
        .mount()
        .await;
    let delete = api
        .on(DELETE, inst(&format!("/servers/{SERVER_ID}")))
        .reply(
            403,
            json!({"type": "permissions_denied", "message": "insufficient permissions", "details": [{"action": "delete", "resource": "servers"}]}),
        )
        .mount()
        .await;
    api.seal().await;

    let err = api.provider().create_server(&web_options()).await.unwrap_err();

    match &err {
        ProviderError::CleanupFailed { original, cleanup } => {
            assert!(
                matches!(
                    &**original,
                    ProviderError::Api {
                        status: Some(500),
                        ..
                    }
                ),
                "{original:?}"
            );
            assert!(
                matches!(
                    &**cleanup,
                    ProviderError::Api {
                        status: Some(403),
                        ..
                    }
                ),
                "{cleanup:?}"
            );
        }
        other => panic!("expected CleanupFailed, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("internal error") && text.contains("permission denied"),
        "{text}"
    );
    // Three attempts, each followed by a read showing the server still stopped; then the undo.
    poweron.assert_calls_async(3).await;
    get.assert_calls_async(4).await;
    delete.assert_calls_async(1).await;
    api.finish().await;
}

/// GET /servers filtered by the create-token tag.
async fn mock_token_lookup(api: &Api, found: Value) -> httpmock::Mock<'_> {
    let total = found.as_array().unwrap().len() as u64;
    api.on(GET, inst("/servers"))
        .any_query()
        .reply(200, json!({"servers": found}))
        .total(total)
        .mount()
        .await
}

/// The token of the POSTs, and the tags filter of the lookup, from the request log.
fn tokens(api: &Api) -> (Vec<String>, Vec<Vec<(String, String)>>) {
    let seen = api.seen();
    let posts = seen
        .iter()
        .filter(|r| r.method == "POST" && r.path == inst("/servers"))
        .map(|r| token_of(&serde_json::from_str(&r.body).unwrap()).unwrap())
        .collect();
    let lookups = seen
        .iter()
        .filter(|r| r.method == "GET" && r.path == inst("/servers"))
        .map(|r| {
            let mut q = r.query.clone();
            q.sort();
            q
        })
        .collect();
    (posts, lookups)
}

fn lookup_query(token: &str) -> Vec<(String, String)> {
    let mut q: Vec<(String, String)> = [
        ("page", "1"),
        ("per_page", "100"),
        ("project", PROJECT),
        ("tags", token),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    q.sort();
    q
}

#[tokio::test]
async fn test_ambiguous_create_finds_the_first_server() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    let create = api
        .on(POST, inst("/servers"))
        .json_where(|body| token_of(body).is_some() && without_token(body) == create_body(&[]))
        .reply(
            500,
            json!({"type": "internal_error", "message": "internal error"}),
        )
        .mount()
        .await;
    // The server was created after all; the lookup by token finds it.
    let mut created = web_server("stopped", json!([]));
    created["tags"] = json!([
        "app=web",
        "scaleway-client-create=00000000-0000-4000-8000-000000000000"
    ]);
    let lookup = mock_token_lookup(&api, json!([created])).await;
    let poweron = mock_poweron(&api, 202).await;
    api.on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let server = api.provider().create_server(&web_options()).await.unwrap();

    assert_eq!(server.id, SERVER_ID);
    create.assert_calls_async(1).await;
    lookup.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    let (posts, lookups) = tokens(&api);
    assert_eq!(posts.len(), 1);
    assert_eq!(lookups, [lookup_query(&posts[0])]);
    api.finish().await;
}

#[tokio::test]
async fn test_ambiguous_create_retries_once_when_nothing_was_created() {
    let api = Api::start().await;
    mock_catalog(&api).await;
    let failed = api
        .on(POST, inst("/servers"))
        .json_where(|body| token_of(body).is_some() && without_token(body) == create_body(&[]))
        .reply(502, json!({"type": "internal_error", "message": "bad gateway"}))
        .times(1)
        .mount()
        .await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    let lookup = mock_token_lookup(&api, json!([])).await;
    let poweron = mock_poweron(&api, 202).await;
    api.on(GET, inst(&format!("/servers/{SERVER_ID}")))
        .reply(200, json!({"server": web_server("starting", json!([]))}))
        .mount()
        .await;
    api.seal().await;

    let server = api.provider().create_server(&web_options()).await.unwrap();

    assert_eq!(server.id, SERVER_ID);
    failed.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    // Twice before the second attempt (at once, then after the lookup delay), once after it
    // for a twin the first attempt might still have made.
    lookup.assert_calls_async(3).await;
    poweron.assert_calls_async(1).await;
    // Both attempts carry the same token, looked up in between.
    let (posts, lookups) = tokens(&api);
    assert_eq!(posts.len(), 2);
    assert_eq!(posts[0], posts[1]);
    assert_eq!(lookups, vec![lookup_query(&posts[0]); 3]);
    let lines = api.lines();
    let create_at: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| *l == &format!("POST {}", inst("/servers")))
        .map(|(i, _)| i)
        .collect();
    let lookup_at: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| *l == &format!("GET {}", inst("/servers")))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(lookup_at.len(), 3, "{lines:#?}");
    assert!(
        create_at[0] < lookup_at[0] && lookup_at[1] < create_at[1] && create_at[1] < lookup_at[2],
        "{lines:#?}"
    );
    api.finish().await;
}

#[tokio::test]
async fn test_ambiguous_create_whose_first_attempt_lands_late_leaves_one_server() {
    // Longer than a screen on purpose: the mocks describe both attempts, the look-ups between them
    // and the deletion of the twin, in order.
    let api = Api::start().await;
    mock_catalog(&api).await;
    let failed = api
        .on(POST, inst("/servers"))
        .json_where(|body| token_of(body).is_some() && without_token(body) == create_body(&[]))
        .reply(504, json!({"message": "upstream request timeout"}))
        .times(1)
        .mount()
        .await;
    let create = mock_create(&api, create_body(&[]), web_server("stopped", json!([]))).await;
    // Nothing under the token before the second attempt; after it, the first one shows up too.
    let before = api
        .on(GET, inst("/servers"))
        .any_query()
        .reply(200, json!({"servers": []}))
        .total(0)
        .times(2)
        .mount()
        .await;
    let twin_root = "6a0b7a51-0d2c-4bd8-9d7f-1c2e3f4a5b6c";
    let mut twin = server(OTHER_SERVER_ID, "web-1", "stopped");
    twin["volumes"] = json!({"0": sbs_entry(twin_root)});
    let after = api
        .on(GET, inst("/servers"))
        .any_query()
        .reply(
            200,
            json!({"servers": [web_server("stopped", json!([])), twin.clone()]}),
        )
        .total(2)
        .mount()
        .await;
    let twin_path = inst(&format!("/servers/{OTHER_SERVER_ID}"));
    let twin_present = api
        .on(GET, &twin_path)
        .reply(200, json!({ "server": twin }))
        .times(1)
        .mount()
        .await;
    let twin_gone = api
        .on(GET, &twin_path)
        .not_found("instance_server", OTHER_SERVER_ID)
        .mount()
        .await;
    let twin_delete = api.on(DELETE, &twin_path).status(204).mount().await;
    let root_path = block(&format!("/volumes/{twin_root}"));
    let root = api
        .on(GET, &root_path)
        .reply(200, block_volume(twin_root, "root", "available", None))
        .mount()
        .await;
    let root_delete = api.on(DELETE, &root_path).status(204).mount().await;
    let poweron = mock_poweron(&api, 202).await;
    api.seal().await;

    let created = api.provider().create_server(&web_options()).await.unwrap();

    assert_eq!(created.id, SERVER_ID);
    failed.assert_calls_async(1).await;
    create.assert_calls_async(1).await;
    before.assert_calls_async(2).await;
    after.assert_calls_async(1).await;
    twin_present.assert_calls_async(1).await;
    twin_delete.assert_calls_async(1).await;
    assert!(twin_gone.calls_async().await >= 1);
    // Deleted with its server (`DeleteAll`): no read, its DELETE taken at once.
    root.assert_calls_async(0).await;
    root_delete.assert_calls_async(1).await;
    poweron.assert_calls_async(1).await;
    api.finish().await;
}
