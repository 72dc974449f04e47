//! Block: volumes attached and detached through their transitions, IOPS changes and resizes.

use scaleway_client::api::instance_v1;
use scaleway_sim::Simulator;
use serde_json::{Value, json};

use super::requests::*;

#[tokio::test]
async fn attach_and_detach_go_through_attaching_and_detaching() {
    // Longer than a screen on purpose: one volume is followed through attaching, attached,
    // detaching and detached in real time; each check depends on the transition the step before
    // started. Real timings: attaching lasts 1 s and detaching 3 s, long enough to be seen even on
    // a busy machine.
    let sim = sim(1.0).await;
    let c = client(&sim);
    let s = create_server(&c, "settle", SBS_IMAGE, &[]).await;
    let id = s["id"].as_str().unwrap().to_string();
    let vid = create_block(&c, "data", 5000).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    wait_block(&c, &vid, "available", |v| v["status"] == "available").await;

    let r = c
        .instance()
        .attach_server_volume()
        .zone(ZONE)
        .server_id(&id)
        .body(body::<instance_v1::types::AttachServerVolumeBody>(
            json!({"volume_id": vid, "volume_type": "sbs_volume"}),
        ))
        .send()
        .await
        .unwrap();
    let server = js(&r.into_inner().server);
    assert_eq!(server["volumes"]["1"]["state"], "attaching");
    // The typed answer leaves an empty list out.
    assert!(
        server["allowed_actions"].as_array().is_none_or(Vec::is_empty),
        "{server}"
    );
    let v = get_block(&c, &vid).await;
    assert_eq!(
        (v["status"].as_str(), v["references"][0]["status"].as_str()),
        (Some("in_use"), Some("attaching"))
    );
    // No action while attaching.
    assert_eq!(action(&c, &id, "poweron").await.unwrap_err().status(), Some(400));
    wait_block(&c, &vid, "attached", |v| {
        v["references"][0]["status"] == "attached"
    })
    .await;
    let s = get_server(&c, &id).await;
    assert_eq!(s["volumes"]["1"]["state"], "available");
    assert_eq!(s["allowed_actions"], json!(["poweron", "backup"]));

    c.instance()
        .detach_server_volume()
        .zone(ZONE)
        .server_id(&id)
        .body(body::<instance_v1::types::DetachServerVolumeBody>(
            json!({"volume_id": vid}),
        ))
        .send()
        .await
        .unwrap();
    let v = get_block(&c, &vid).await;
    assert_eq!(
        (v["status"].as_str(), v["references"][0]["status"].as_str()),
        (Some("in_use"), Some("detaching"))
    );
    assert!(v["last_detached_at"].is_null());
    let v = wait_block(&c, &vid, "detached", |v| v["status"] == "available").await;
    assert_eq!(v["references"], json!([]));
    assert!(v["last_detached_at"].is_string());
}

async fn patch_block(sim: &Simulator, id: &str, patch: Value) -> reqwest::Response {
    raw(
        sim,
        "PATCH",
        &format!("/block/v1/zones/{ZONE}/volumes/{id}"),
        Some(patch),
    )
    .await
}

#[tokio::test]
async fn block_iops_change_goes_through_updating() {
    // Real timings: `updating` lasts 5 s, long enough to be seen right after the PATCH.
    let sim = sim(1.0).await;
    let c = client(&sim);
    let created = create_block(&c, "iops", 5000).await;
    let vid = created["id"].as_str().unwrap().to_string();
    let before = wait_block(&c, &vid, "available", |v| v["status"] == "available").await;

    let r = patch_block(&sim, &vid, json!({"name": "iops", "perf_iops": 15000})).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["status"], "updating");
    assert_eq!(answer["specs"]["perf_iops"], 5000);
    assert_eq!(answer["type"], "sbs_5k");
    assert_eq!(answer["updated_at"], before["updated_at"]);
    let v = get_block(&c, &vid).await;
    assert_eq!(
        (v["status"].as_str(), v["specs"]["perf_iops"].as_u64()),
        (Some("updating"), Some(5000))
    );
    // One change at a time.
    let r = patch_block(&sim, &vid, json!({"size": 30_000_000_000u64})).await;
    assert_eq!(r.status(), 409);

    let v = wait_block(&c, &vid, "available", |v| v["status"] == "available").await;
    assert_eq!(v["specs"]["perf_iops"], 15000);
    assert_eq!(v["type"], "sbs_15k");
    assert_eq!(v["size"], 20_000_000_000u64);
    assert_ne!(v["updated_at"], before["updated_at"]);
}

#[tokio::test]
async fn block_resize_answers_updating_with_the_old_size() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let vid = create_block(&c, "size", 5000).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    get_block(&c, &vid).await;
    let r = patch_block(&sim, &vid, json!({"size": 30_000_000_000u64})).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    assert_eq!(answer["status"], "updating");
    assert_eq!(answer["size"], 20_000_000_000u64);
    let v = get_block(&c, &vid).await;
    assert_eq!(v["status"], "available");
    assert_eq!(v["size"], 30_000_000_000u64);
    // A shrink is refused and changes nothing, not even the name sent with it.
    let r = patch_block(&sim, &vid, json!({"name": "smaller", "size": 10_000_000_000u64})).await;
    assert_eq!(r.status(), 400);
    let v = get_block(&c, &vid).await;
    assert_eq!(
        (v["name"].as_str(), v["size"].as_u64()),
        (Some("size"), Some(30_000_000_000))
    );
}

#[tokio::test]
async fn pagination_headers_and_filters_of_block_volumes() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    // Three servers, each with its Block root.
    for name in ["web-a", "web-b", "db-a"] {
        create_server(&c, name, SBS_IMAGE, &[]).await;
    }

    // Block: total_count in the body, page_size.
    for i in 0..3 {
        create_block(&c, &format!("blk-{i}"), 5000).await;
    }
    let blocks = c
        .block()
        .list_volumes()
        .zone(ZONE)
        .page_size(2u32)
        .send()
        .await
        .unwrap();
    assert_eq!(blocks.volumes.len(), 2);
    assert!(blocks.headers().get("x-total-count").is_none());
    let blocks = js(&blocks.into_inner());
    assert_eq!(blocks["total_count"], 6); // three roots and three data volumes
}
