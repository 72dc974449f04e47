//! Block: volumes attached and detached through their transitions, IOPS changes and resizes.

use scaleway_client::api::instance_v1;
use scaleway_sim::Simulator;
use serde_json::{Value, json};

use super::requests::*;

#[tokio::test]
async fn attach_and_detach_go_through_attaching_and_detaching() {
    // Longer than a screen on purpose: one volume is followed through attaching, attached,
    // detaching and detached in real time; each check depends on the transition the step before
    // started. Real timings: attaching lasts about 1 s and detaching about 2 s, each drawn, and
    // never under a third of a second (the draws' bounds): long enough to be seen even on a busy
    // machine.
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

/// A raw call answered with its status and JSON body (`null` when empty).
pub(super) async fn call(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = raw(sim, method, path, body).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// The ids of a list answer's items under `key`.
pub(super) fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap_or_else(|| panic!("no {key} in {list}"))
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

const V1: &str = "/block/v1/zones/fr-par-1";
const V1ALPHA1: &str = "/block/v1alpha1/zones/fr-par-1";

async fn new_volume(sim: &Simulator, api: &str, body: Value) -> Value {
    let (status, v) = call(sim, "POST", &format!("{api}/volumes"), Some(body)).await;
    assert_eq!(status, 200, "{v}");
    v
}

async fn new_snapshot(sim: &Simulator, volume_id: &str, name: &str, tags: &[&str]) -> Value {
    let (status, s) = call(
        sim,
        "POST",
        &format!("{V1}/snapshots"),
        Some(json!({"volume_id": volume_id, "name": name, "tags": tags})),
    )
    .await;
    assert_eq!(status, 200, "{s}");
    s
}

fn assert_error(status: u16, body: &Value, expected: u16, kind: &str) {
    assert_eq!((status, body["type"].as_str()), (expected, Some(kind)), "{body}");
}

#[tokio::test]
async fn block_volume_list_filters_and_orders() {
    let sim = crate::common::simulator_with(scaleway_sim::SimulatorOptions {
        time_scale: 0.0,
        extra_projects: vec!["other".into()],
        ..Default::default()
    })
    .await;
    let c = client(&sim);
    let other = sim.extra_project_ids()[0].clone();
    let server = create_server(&c, "srv", SBS_IMAGE, &[]).await;
    let root = server["volumes"]["0"]["id"].as_str().unwrap().to_string();
    let a = new_volume(
        &sim,
        V1,
        json!({"name": "alpha", "from_empty": {"size": 10_000_000_000u64}, "tags": ["x", "y"]}),
    )
    .await;
    let b = new_volume(&sim, V1, json!({"name": "beta", "perf_iops": 15000, "from_empty": {"size": 10_000_000_000u64}, "tags": ["x"], "project_id": other})).await;
    let (a, b) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap());
    let list = |query: &str| {
        let sim = &sim;
        let path = format!("{V1}/volumes?{query}");
        async move {
            let (status, body) = call(sim, "GET", &path, None).await;
            assert_eq!(status, 200, "{body}");
            ids(&body, "volumes")
        }
    };
    assert_eq!(list(&format!("project_id={other}")).await, [b]);
    assert_eq!(
        list(&format!("organization_id={}", sim.organization_id()))
            .await
            .len(),
        3
    );
    assert!(
        list("organization_id=11111111-1111-1111-1111-111111111111")
            .await
            .is_empty()
    );
    assert_eq!(list("name=alp").await, [a]);
    assert_eq!(list("tags=x&tags=y").await, [a]);
    assert_eq!(list("tags=x").await, [a, b]);
    assert_eq!(list("volume_type=sbs_15k").await, [b]);
    assert_eq!(list(&format!("volume_ids={a}&volume_ids={b}")).await, [a, b]);
    assert_eq!(
        list(&format!("product_resource_id={}", server["id"].as_str().unwrap())).await,
        [root.as_str()]
    );
    assert_eq!(
        list("order_by=created_at_desc&include_deleted=false").await,
        [b, a, root.as_str()]
    );
    assert_eq!(list("order_by=name_desc&page_size=2").await, [b, a]);
    // v1alpha1 serves the same volumes in its own shape.
    let (_, alpha) = call(
        &sim,
        "GET",
        &format!("{V1ALPHA1}/volumes?name=alpha&project_id={}", sim.project_id()),
        None,
    )
    .await;
    assert_eq!(ids(&alpha, "volumes"), [a]);
    assert!(alpha["volumes"][0].get("kms_key_id").is_none());
    let (_, v1) = call(&sim, "GET", &format!("{V1}/volumes/{a}"), None).await;
    assert!(v1.get("kms_key_id").is_some());
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );
}

#[tokio::test]
async fn block_volume_errors_as_the_api_gives_them() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    // Sizes outside the volume types' range.
    for size in [500_000_000u64, 20_000_000_000_000] {
        let (status, body) = call(
            &sim,
            "POST",
            &format!("{V1}/volumes"),
            Some(json!({"name": "x", "from_empty": {"size": size}})),
        )
        .await;
        assert_error(status, &body, 400, "invalid_arguments");
    }
    let (status, body) = call(
        &sim,
        "POST",
        &format!("{V1}/volumes"),
        Some(json!({"name": "x", "perf_iops": 7000, "from_empty": {"size": 10_000_000_000u64}})),
    )
    .await;
    assert_error(status, &body, 400, "invalid_arguments");
    let (status, body) = call(&sim, "POST", &format!("{V1}/volumes"), Some(json!({"name": "x"}))).await;
    assert_error(status, &body, 400, "invalid_arguments");
    let v = new_volume(
        &sim,
        V1,
        json!({"name": "x", "from_empty": {"size": 10_000_000_000u64}}),
    )
    .await;
    let id = v["id"].as_str().unwrap();
    let (status, body) = call(
        &sim,
        "PATCH",
        &format!("{V1}/volumes/{id}"),
        Some(json!({"size": 20_000_000_000_000u64})),
    )
    .await;
    assert_error(status, &body, 400, "invalid_arguments");
    // Attached: the delete is refused.
    let server = create_server(&c, "srv", SBS_IMAGE, &[]).await;
    let root = server["volumes"]["0"]["id"].as_str().unwrap();
    let (status, body) = call(&sim, "DELETE", &format!("{V1}/volumes/{root}"), None).await;
    assert_error(status, &body, 412, "precondition_failed");
    assert_eq!(body["precondition"], "resource_still_in_use");
    // Deleted: gone in both versions, `volume` as the recordings name it.
    let (status, _) = call(&sim, "DELETE", &format!("{V1}/volumes/{id}"), None).await;
    assert_eq!(status, 204);
    for api in [V1, V1ALPHA1] {
        let (status, body) = call(&sim, "GET", &format!("{api}/volumes/{id}"), None).await;
        assert_error(status, &body, 404, "not_found");
        assert_eq!(
            (body["resource"].as_str(), body["resource_id"].as_str()),
            (Some("volume"), Some(id))
        );
    }
    let (status, body) = call(&sim, "DELETE", &format!("{V1}/volumes/{id}"), None).await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = call(&sim, "GET", &format!("{V1}/snapshots/{id}"), None).await;
    assert_eq!((status, body["resource"].as_str()), (404, Some("snapshot")));
}

#[tokio::test]
async fn block_volume_from_a_snapshot() {
    let sim = sim(0.0).await;
    let v = new_volume(
        &sim,
        V1,
        json!({"name": "src", "from_empty": {"size": 20_000_000_000u64}}),
    )
    .await;
    let snap = new_snapshot(&sim, v["id"].as_str().unwrap(), "snap", &[]).await;
    let snap_id = snap["id"].as_str().unwrap();
    let from = |size: Option<u64>| json!({"name": "copy", "perf_iops": 5000, "from_snapshot": {"snapshot_id": snap_id, "size": size}});
    let (status, body) = call(
        &sim,
        "POST",
        &format!("{V1ALPHA1}/volumes"),
        Some(from(Some(10_000_000_000))),
    )
    .await;
    assert_error(status, &body, 412, "precondition_failed");
    assert_eq!(body["precondition"], "resource_not_usable");
    let copy = new_volume(&sim, V1ALPHA1, from(None)).await;
    assert_eq!(
        (copy["size"].as_u64(), copy["parent_snapshot_id"].as_str()),
        (Some(20_000_000_000), Some(snap_id))
    );
    let bigger = new_volume(&sim, V1, from(Some(30_000_000_000))).await;
    let (_, read) = call(
        &sim,
        "GET",
        &format!("{V1}/volumes/{}", bigger["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(
        (read["size"].as_u64(), read["status"].as_str()),
        (Some(30_000_000_000), Some("available"))
    );
    let unknown =
        json!({"name": "x", "from_snapshot": {"snapshot_id": "6a1e4b8e-0000-4000-8000-000000000000"}});
    let (status, body) = call(&sim, "POST", &format!("{V1}/volumes"), Some(unknown)).await;
    assert_eq!((status, body["resource"].as_str()), (404, Some("snapshot")));
}

#[tokio::test]
async fn block_volume_types_of_both_versions() {
    let sim = sim(0.0).await;
    let (status, v1) = call(&sim, "GET", &format!("{V1}/volume-types"), None).await;
    assert_eq!(status, 200);
    assert_eq!(v1["total_count"], 2);
    assert_eq!(v1["volume_types"][1]["type"], "sbs_15k");
    assert_eq!(v1["volume_types"][1]["specs"]["perf_iops"], 15000);
    assert_eq!(v1["volume_types"][0]["zone"], ZONE);
    let (_, alpha) = call(&sim, "GET", &format!("{V1ALPHA1}/volume-types?page_size=1"), None).await;
    assert_eq!(
        (
            alpha["volume_types"].as_array().unwrap().len(),
            alpha["total_count"].as_u64()
        ),
        (1, Some(2))
    );
    assert!(alpha["volume_types"][0].get("zone").is_none());
}

#[tokio::test]
async fn block_snapshot_lifecycle_and_filters() {
    let sim = crate::common::simulator_with(scaleway_sim::SimulatorOptions {
        time_scale: 0.0,
        extra_projects: vec!["other".into()],
        ..Default::default()
    })
    .await;
    let other = sim.extra_project_ids()[0].clone();
    let v = new_volume(
        &sim,
        V1,
        json!({"name": "src", "from_empty": {"size": 10_000_000_000u64}}),
    )
    .await;
    let w = new_volume(
        &sim,
        V1,
        json!({"name": "src2", "from_empty": {"size": 10_000_000_000u64}}),
    )
    .await;
    let (vid, wid) = (v["id"].as_str().unwrap(), w["id"].as_str().unwrap());
    let s1 = new_snapshot(&sim, vid, "one", &["a"]).await;
    assert_eq!(
        (
            s1["status"].as_str(),
            s1["parent_volume"]["id"].as_str(),
            s1["public"].as_bool()
        ),
        (Some("creating"), Some(vid), Some(false))
    );
    let s2 = new_snapshot(&sim, wid, "two", &["a", "b"]).await;
    let (status, s3) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots"),
        Some(json!({"volume_id": vid, "name": "three", "project_id": other})),
    )
    .await;
    assert_eq!(status, 200);
    let (s1, s2, s3) = (
        s1["id"].as_str().unwrap(),
        s2["id"].as_str().unwrap(),
        s3["id"].as_str().unwrap(),
    );
    let list = |query: &str| {
        let sim = &sim;
        let path = format!("{V1}/snapshots?{query}");
        async move {
            let (status, body) = call(sim, "GET", &path, None).await;
            assert_eq!(status, 200, "{body}");
            ids(&body, "snapshots")
        }
    };
    assert_eq!(list(&format!("volume_id={vid}")).await, [s1, s3]);
    assert_eq!(list(&format!("project_id={other}")).await, [s3]);
    assert_eq!(
        list(&format!(
            "organization_id={}&include_deleted=false",
            sim.organization_id()
        ))
        .await
        .len(),
        3
    );
    assert_eq!(list("name=tw").await, [s2]);
    assert_eq!(list("tags=a").await, [s1, s2]);
    assert_eq!(list("tags=b").await, [s2]);
    assert_eq!(list("order_by=name_asc").await, [s1, s3, s2]);
    assert_eq!(list("order_by=created_at_desc").await, [s3, s2, s1]);
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );

    let (status, read) = call(&sim, "GET", &format!("{V1}/snapshots/{s1}"), None).await;
    assert_eq!((status, read["status"].as_str()), (200, Some("available")));
    let (status, updated) = call(
        &sim,
        "PATCH",
        &format!("{V1}/snapshots/{s1}"),
        Some(json!({"name": "uno", "tags": ["z"], "public": true})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            updated["name"].as_str(),
            updated["tags"].clone(),
            updated["public"].as_bool()
        ),
        (Some("uno"), json!(["z"]), Some(true))
    );
    // v1alpha1 shows the same snapshot without `public`.
    let (_, alpha) = call(&sim, "GET", &format!("{V1ALPHA1}/snapshots/{s1}"), None).await;
    assert_eq!(alpha["name"], "uno");
    assert!(alpha.get("public").is_none());
    // The parent volume's status follows the volume, and stays once it is gone.
    call(&sim, "DELETE", &format!("{V1}/volumes/{wid}"), None).await;
    let (_, two) = call(&sim, "GET", &format!("{V1}/snapshots/{s2}"), None).await;
    assert_eq!(two["parent_volume"]["status"], "deleted");
    let (status, _) = call(&sim, "DELETE", &format!("{V1ALPHA1}/snapshots/{s2}"), None).await;
    assert_eq!(status, 204);
    let (status, body) = call(&sim, "GET", &format!("{V1}/snapshots/{s2}"), None).await;
    assert_eq!((status, body["resource"].as_str()), (404, Some("snapshot")));
    let (status, body) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots"),
        Some(json!({"volume_id": wid})),
    )
    .await;
    assert_eq!((status, body["resource"].as_str()), (404, Some("volume")));
}

#[tokio::test]
async fn block_snapshot_of_a_volume_in_a_transient_state_is_refused() {
    // A creation is drawn around 0.7 s at real timings; three times that leaves some two seconds
    // to see it under way on a loaded machine.
    let sim = sim(3.0).await;
    let v = new_volume(
        &sim,
        V1,
        json!({"name": "busy", "from_empty": {"size": 10_000_000_000u64}}),
    )
    .await;
    let id = v["id"].as_str().unwrap();
    // Still `creating`.
    let (status, body) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots"),
        Some(json!({"volume_id": id})),
    )
    .await;
    assert_error(status, &body, 412, "precondition_failed");
    assert_eq!(body["precondition"], "resource_not_usable");
    let c = client(&sim);
    wait_block(&c, id, "available", |v| v["status"] == "available").await;
    let (status, _) = call(
        &sim,
        "PATCH",
        &format!("{V1}/volumes/{id}"),
        Some(json!({"perf_iops": 15000})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots"),
        Some(json!({"volume_id": id})),
    )
    .await;
    assert_error(status, &body, 412, "precondition_failed");
}

#[tokio::test]
async fn block_snapshot_export_and_import_through_object_storage() {
    // Export lasts 5 s and import 100 s at scale 1: at 0.2 the export (1 s) is seen and waited
    // for, and the import (20 s) is seen `creating`.
    let sim = sim(0.2).await;
    let v = new_volume(
        &sim,
        V1,
        json!({"name": "src", "from_empty": {"size": 30_000_000_000u64}}),
    )
    .await;
    let c = client(&sim);
    wait_block(&c, v["id"].as_str().unwrap(), "available", |v| {
        v["status"] == "available"
    })
    .await;
    let snap = new_snapshot(&sim, v["id"].as_str().unwrap(), "snap", &[]).await;
    let id = snap["id"].as_str().unwrap();
    let object = json!({"bucket": "my-bucket", "key": "snap.qcow2"});
    // Not yet available: no export.
    let (status, body) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots/{id}/export-to-object-storage"),
        Some(object.clone()),
    )
    .await;
    assert_error(status, &body, 412, "precondition_failed");
    wait_snapshot(&sim, id, "available").await;
    let (status, body) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots/{id}/export-to-object-storage"),
        Some(json!({"bucket": "b"})),
    )
    .await;
    assert_error(status, &body, 400, "invalid_arguments");
    let (status, exporting) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots/{id}/export-to-object-storage"),
        Some(object.clone()),
    )
    .await;
    assert_eq!((status, exporting["status"].as_str()), (200, Some("exporting")));
    let (status, body) = call(&sim, "DELETE", &format!("{V1}/snapshots/{id}"), None).await;
    assert_error(status, &body, 412, "precondition_failed");
    wait_snapshot(&sim, id, "available").await;

    // The imported snapshot has the exported one's size and no parent volume.
    let import = json!({"bucket": "my-bucket", "key": "snap.qcow2", "name": "imported", "tags": ["i"]});
    let (status, imported) = call(
        &sim,
        "POST",
        &format!("{V1ALPHA1}/snapshots/import-from-s3"),
        Some(import),
    )
    .await;
    assert_eq!(status, 200, "{imported}");
    assert_eq!(
        (
            imported["status"].as_str(),
            imported["size"].as_u64(),
            imported["parent_volume"].is_null()
        ),
        (Some("creating"), Some(30_000_000_000), true)
    );
    let (_, read) = call(
        &sim,
        "GET",
        &format!("{V1}/snapshots/{}", imported["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(
        (read["status"].as_str(), read["tags"].clone()),
        (Some("creating"), json!(["i"]))
    );
    let (status, body) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots/import-from-object-storage"),
        Some(json!({"bucket": "b", "key": "k"})),
    )
    .await;
    assert_error(status, &body, 400, "invalid_arguments");
    let (status, body) = call(
        &sim,
        "POST",
        &format!(
            "{V1}/snapshots/{}/export-to-object-storage",
            "6a1e4b8e-0000-4000-8000-000000000000"
        ),
        Some(object),
    )
    .await;
    assert_eq!((status, body["resource"].as_str()), (404, Some("snapshot")));
}

#[tokio::test]
async fn block_import_of_an_unknown_object_becomes_available() {
    let sim = sim(0.0).await;
    let body = json!({"bucket": "b", "key": "image.qcow2", "name": "qcow"});
    let (status, imported) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots/import-from-object-storage"),
        Some(body),
    )
    .await;
    assert_eq!((status, imported["size"].as_u64()), (200, Some(1_073_741_824)));
    let id = imported["id"].as_str().unwrap();
    let (_, read) = call(&sim, "GET", &format!("{V1}/snapshots/{id}"), None).await;
    assert_eq!(read["status"], "available");
    let sized = json!({"bucket": "b", "key": "other.qcow2", "name": "sized", "size": 5_000_000_000u64});
    let (_, imported) = call(
        &sim,
        "POST",
        &format!("{V1}/snapshots/import-from-object-storage"),
        Some(sized),
    )
    .await;
    assert_eq!(imported["size"], 5_000_000_000u64);
    // A volume can be made from it.
    let from = json!({"name": "restored", "from_snapshot": {"snapshot_id": id}});
    let v = new_volume(&sim, V1, from).await;
    assert_eq!(v["size"], 1_073_741_824u64);
}

async fn wait_snapshot(sim: &Simulator, id: &str, status: &str) -> Value {
    for _ in 0..400 {
        let (_, s) = call(sim, "GET", &format!("{V1}/snapshots/{id}"), None).await;
        if s["status"] == status {
            return s;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("snapshot {id} never got {status}");
}
