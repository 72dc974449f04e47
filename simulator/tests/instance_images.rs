//! Instance: images, snapshots (and their export), placement groups and their servers, and the
//! block migration of snapshots to Block Storage.

use std::time::Duration;

use scaleway_sim::Simulator;
use serde_json::{Value, json};

use super::requests::*;

/// A request with the simulator's token: its status and JSON body (`null` when empty).
async fn call(sim: &Simulator, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = raw(sim, method, path, body).await;
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let json = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap()
    };
    (status, json)
}

fn instance(path: &str) -> String {
    format!("/instance/v1/zones/{ZONE}{path}")
}

/// The id of the l_ssd root volume of a new stopped server.
async fn local_volume(sim: &Simulator, name: &str) -> String {
    let c = client(sim);
    let server = create_server(&c, name, LOCAL_IMAGE, &[]).await;
    server["volumes"]["0"]["id"].as_str().unwrap().to_string()
}

async fn create_snapshot(sim: &Simulator, volume: &str, name: &str, extra: Value) -> Value {
    let mut body = json!({"volume_id": volume, "name": name});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    let (status, created) = call(sim, "POST", &instance("/snapshots"), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["snapshot"].clone()
}

async fn snapshot_state(sim: &Simulator, id: &str) -> String {
    let (status, got) = call(sim, "GET", &instance(&format!("/snapshots/{id}")), None).await;
    assert_eq!(status, 200, "{got}");
    got["snapshot"]["state"].as_str().unwrap().to_string()
}

/// Polls until `read` gives `wanted`, every 20 ms for at most 10 s.
async fn wait_for<F, Fut>(wanted: &str, mut read: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = String>,
{
    for _ in 0..500 {
        if read().await == wanted {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("never reached {wanted}");
}

fn ids(list: &Value, key: &str) -> Vec<String> {
    list[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn assert_not_found(status: u16, body: &Value, resource: &str) {
    assert_eq!(status, 404, "{body}");
    assert_eq!(body["type"], "not_found");
    assert_eq!(body["resource"], resource);
}

// -------------------------------------------------------------------------------------------
// Images

#[tokio::test]
async fn an_image_is_created_read_listed_with_filters_updated_set_and_deleted() {
    let sim = sim(0.0).await;
    let volume = local_volume(&sim, "img-src").await;
    let snapshot = create_snapshot(&sim, &volume, "img-snap", json!({})).await;
    let body = json!({"name": "golden", "root_volume": snapshot["id"], "arch": "arm64",
                      "tags": ["base", "web"], "project": sim.project_id()});
    let (status, created) = call(&sim, "POST", &instance("/images"), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["image"]["id"].as_str().unwrap().to_string();
    let path = instance(&format!("/images/{id}"));
    let (_, got) = call(&sim, "GET", &path, None).await;
    assert_eq!(got["image"]["name"], "golden");
    assert_eq!(got["image"]["root_volume"]["id"], snapshot["id"]);

    images_are_filtered_by_every_declared_parameter(&sim, &id).await;

    let (status, patched) = call(&sim, "PATCH", &path, Some(json!({"name": "golden-2"}))).await;
    assert_eq!(status, 200);
    assert_eq!(patched["image"]["name"], "golden-2");
    assert_eq!(
        patched["image"]["tags"],
        json!(["base", "web"]),
        "PATCH keeps what it does not send"
    );

    // PUT replaces: what it leaves out takes its default.
    let set = json!({"name": "golden-3", "from_server": "", "public": true});
    let (status, replaced) = call(&sim, "PUT", &path, Some(set)).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["image"]["name"], "golden-3");
    assert_eq!(replaced["image"]["public"], true);
    assert_eq!(replaced["image"]["tags"], json!([]));
    assert_eq!(replaced["image"]["arch"], "x86_64");
    let (_, got) = call(&sim, "GET", &path, None).await;
    assert_eq!(got["image"]["name"], "golden-3");
    let (status, refused) = call(&sim, "PUT", &path, Some(json!({"from_server": ""}))).await;
    assert_eq!(
        (status, refused["type"].as_str()),
        (400, Some("invalid_arguments"))
    );

    assert_eq!(call(&sim, "DELETE", &path, None).await.0, 204);
    let (status, gone) = call(&sim, "GET", &path, None).await;
    assert_not_found(status, &gone, "instance_image");
    let (status, gone) = call(&sim, "PATCH", &path, Some(json!({"name": "x"}))).await;
    assert_not_found(status, &gone, "instance_image");
    assert!(sim.ignored_query_parameters().is_empty());
}

/// The image `id` (arm64, tagged base+web, private, of the default project) among the
/// marketplace's.
async fn images_are_filtered_by_every_declared_parameter(sim: &Simulator, id: &str) {
    let list = |query: String| async move {
        let (status, body) = call(sim, "GET", &instance(&format!("/images?{query}")), None).await;
        assert_eq!(status, 200, "{body}");
        ids(&body, "images")
    };
    let all = list(String::new()).await;
    assert!(all.len() > 1 && all.contains(&id.to_string()));
    let own = vec![id.to_string()];
    let project = sim.project_id();
    let organization = sim.organization_id();
    assert_eq!(list(format!("project={project}")).await, own);
    assert_eq!(list(format!("organization={organization}")).await, own);
    assert_eq!(list("public=false".into()).await, own);
    assert!(!list("public=true".into()).await.contains(&id.to_string()));
    assert_eq!(list("tags=web".into()).await, own);
    assert!(list("tags=web,db".into()).await.is_empty());
    assert_eq!(list("name=gold".into()).await, own);
    assert!(list("arch=arm64".into()).await.contains(&id.to_string()));
    assert!(!list("arch=x86_64".into()).await.contains(&id.to_string()));
    assert_eq!(list("per_page=1&page=1".into()).await.len(), 1);
}

#[tokio::test]
async fn an_image_of_a_snapshot_being_made_is_creating_then_available() {
    // 0.05: the snapshot (and so the image) is ready 2 s later, time enough to see it under way
    // on a loaded machine.
    let sim = sim(0.05).await;
    let volume = local_volume(&sim, "img-timing").await;
    let snapshot = create_snapshot(&sim, &volume, "in-progress", json!({})).await;
    assert_eq!(snapshot["state"], "snapshotting");
    let body = json!({"name": "soon", "root_volume": snapshot["id"]});
    let (status, created) = call(&sim, "POST", &instance("/images"), Some(body)).await;
    assert_eq!(status, 201);
    assert_eq!(created["image"]["state"], "creating");
    let path = instance(&format!("/images/{}", created["image"]["id"].as_str().unwrap()));
    wait_for("available", || async {
        call(&sim, "GET", &path, None).await.1["image"]["state"]
            .as_str()
            .unwrap()
            .to_string()
    })
    .await;
}

#[tokio::test]
async fn images_of_unknown_snapshots_or_ids_are_not_found_and_the_marketplace_s_are_read_only() {
    let sim = sim(0.0).await;
    let unknown = "11111111-2222-3333-4444-555555555555";
    let (status, body) = call(
        &sim,
        "POST",
        &instance("/images"),
        Some(json!({"root_volume": unknown})),
    )
    .await;
    assert_not_found(status, &body, "instance_snapshot");
    let path = instance(&format!("/images/{unknown}"));
    let (status, body) = call(&sim, "PUT", &path, Some(json!({"name": "x", "from_server": ""}))).await;
    assert_not_found(status, &body, "instance_image");
    let (status, body) = call(&sim, "DELETE", &path, None).await;
    assert_not_found(status, &body, "instance_image");
    // The marketplace's images are read, not changed.
    let marketplace = instance(&format!("/images/{LOCAL_IMAGE}"));
    assert_eq!(call(&sim, "GET", &marketplace, None).await.0, 200);
    let (status, body) = call(&sim, "PATCH", &marketplace, Some(json!({"name": "mine"}))).await;
    assert_eq!((status, body["type"].as_str()), (403, Some("permissions_denied")));
}

// -------------------------------------------------------------------------------------------
// Snapshots

#[tokio::test]
async fn a_snapshot_is_listed_with_filters_updated_set_and_deleted() {
    let sim = sim(0.0).await;
    let first = local_volume(&sim, "snap-a").await;
    let second = local_volume(&sim, "snap-b").await;
    let a = create_snapshot(&sim, &first, "alpha", json!({"tags": ["x", "y"]})).await;
    let b = create_snapshot(&sim, &second, "beta", json!({"tags": ["y"]})).await;
    let (a, b) = (
        a["id"].as_str().unwrap().to_string(),
        b["id"].as_str().unwrap().to_string(),
    );
    let list = |query: String| {
        let sim = &sim;
        async move {
            let (status, body) = call(sim, "GET", &instance(&format!("/snapshots?{query}")), None).await;
            assert_eq!(status, 200, "{body}");
            ids(&body, "snapshots")
        }
    };
    assert_eq!(list(String::new()).await, vec![a.clone(), b.clone()]);
    assert_eq!(list(format!("base_volume_id={second}")).await, vec![b.clone()]);
    assert_eq!(list("name=alp".into()).await, vec![a.clone()]);
    assert_eq!(list("tags=x".into()).await, vec![a.clone()]);
    assert_eq!(list("tags=y".into()).await.len(), 2);
    assert_eq!(list(format!("project={}", sim.project_id())).await.len(), 2);
    assert_eq!(
        list(format!("organization={}", sim.organization_id()))
            .await
            .len(),
        2
    );
    assert!(
        list("project=11111111-2222-3333-4444-555555555555".into())
            .await
            .is_empty()
    );

    let path = instance(&format!("/snapshots/{a}"));
    let (status, patched) = call(&sim, "PATCH", &path, Some(json!({"name": "alpha-2"}))).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            patched["snapshot"]["name"].as_str(),
            patched["snapshot"]["tags"].clone()
        ),
        (Some("alpha-2"), json!(["x", "y"]))
    );

    // PUT sends the whole object back with its changes; tags left null are gone.
    let (_, got) = call(&sim, "GET", &path, None).await;
    let mut whole = got["snapshot"].clone();
    whole["name"] = json!("alpha-3");
    whole["tags"] = Value::Null;
    let (status, replaced) = call(&sim, "PUT", &path, Some(whole)).await;
    assert_eq!(status, 200, "{replaced}");
    assert_eq!(replaced["snapshot"]["name"], "alpha-3");
    assert_eq!(replaced["snapshot"]["tags"], json!([]));
    assert_eq!(
        call(&sim, "GET", &path, None).await.1["snapshot"]["name"],
        "alpha-3"
    );

    assert_eq!(call(&sim, "DELETE", &path, None).await.0, 204);
    let (status, gone) = call(&sim, "GET", &path, None).await;
    assert_not_found(status, &gone, "instance_snapshot");
    let (status, gone) = call(&sim, "PUT", &path, Some(json!({"name": "x"}))).await;
    assert_not_found(status, &gone, "instance_snapshot");
    assert_eq!(list(String::new()).await, vec![b]);
    assert!(sim.ignored_query_parameters().is_empty());
}

#[tokio::test]
async fn an_export_answers_a_task_and_the_snapshot_is_exporting_then_available() {
    // 0.05: the snapshot is made in 2 s, exported in 2.25 s, imported in 1.5 s: time enough to
    // see each under way on a loaded machine.
    let sim = sim(0.05).await;
    let volume = local_volume(&sim, "export-src").await;
    let snapshot = create_snapshot(&sim, &volume, "to-export", json!({})).await;
    let id = snapshot["id"].as_str().unwrap().to_string();
    let export = instance(&format!("/snapshots/{id}/export"));
    let body = json!({"bucket": "my-bucket", "key": "disk.qcow2"});

    // Not while it is still being made.
    let (status, refused) = call(&sim, "POST", &export, Some(body.clone())).await;
    assert_eq!((status, refused["type"].as_str()), (409, Some("transient_state")));
    wait_for("available", || snapshot_state(&sim, &id)).await;

    let (status, missing) = call(&sim, "POST", &export, Some(json!({"bucket": "my-bucket"}))).await;
    assert_eq!(status, 400);
    assert_eq!(missing["details"][0]["argument_name"], "key");

    let (status, answer) = call(&sim, "POST", &export, Some(body.clone())).await;
    assert_eq!(status, 202, "{answer}");
    let task = &answer["task"];
    assert_eq!(task["status"], "pending");
    assert_eq!(task["href_from"], format!("/snapshots/{id}/export"));
    assert_eq!(
        task["href_result"],
        "https://s3.fr-par.scw.cloud/my-bucket/disk.qcow2"
    );
    assert_eq!(snapshot_state(&sim, &id).await, "exporting");
    let (status, busy) = call(&sim, "DELETE", &instance(&format!("/snapshots/{id}")), None).await;
    assert_eq!((status, busy["type"].as_str()), (409, Some("transient_state")));
    wait_for("available", || snapshot_state(&sim, &id)).await;

    the_exported_object_imports_as_a_new_snapshot(&sim, snapshot["size"].as_u64().unwrap()).await;

    let unknown = instance("/snapshots/11111111-2222-3333-4444-555555555555/export");
    let (status, gone) = call(&sim, "POST", &unknown, Some(body)).await;
    assert_not_found(status, &gone, "instance_snapshot");
}

/// A snapshot made from `my-bucket/disk.qcow2` (exported from a snapshot of `size` bytes) is
/// `importing`, then `available`, with that size and no base volume.
async fn the_exported_object_imports_as_a_new_snapshot(sim: &Simulator, size: u64) {
    let body =
        json!({"name": "imported", "volume_type": "l_ssd", "bucket": "my-bucket", "key": "disk.qcow2"});
    let (status, created) = call(sim, "POST", &instance("/snapshots"), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let imported = &created["snapshot"];
    assert_eq!(imported["state"], "importing");
    assert_eq!(imported["size"], size);
    assert!(imported["base_volume"].is_null());
    assert_eq!(
        created["task"]["href_result"],
        format!("snapshots/{}", imported["id"].as_str().unwrap())
    );
    let id = imported["id"].as_str().unwrap().to_string();
    let (status, busy) = call(sim, "DELETE", &instance(&format!("/snapshots/{id}")), None).await;
    assert_eq!((status, busy["current_state"].as_str()), (409, Some("importing")));
    wait_for("available", || snapshot_state(sim, &id)).await;

    // An object the simulator never saw has no size to take.
    let unknown = json!({"volume_type": "l_ssd", "bucket": "my-bucket", "key": "other.qcow2"});
    let (status, refused) = call(sim, "POST", &instance("/snapshots"), Some(unknown)).await;
    assert_eq!(status, 400);
    assert_eq!(refused["details"][0]["argument_name"], "size");
}

// -------------------------------------------------------------------------------------------
// Placement groups

async fn create_group(sim: &Simulator, name: &str, tags: Value) -> String {
    let body = json!({"name": name, "policy_type": "low_latency", "tags": tags});
    let (status, created) = call(sim, "POST", &instance("/placement_groups"), Some(body)).await;
    assert_eq!(status, 201, "{created}");
    created["placement_group"]["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn placement_groups_are_listed_with_filters_set_and_deleted() {
    let sim = sim(0.0).await;
    let a = create_group(&sim, "pg-front", json!(["web"])).await;
    let b = create_group(&sim, "pg-back", json!(["db"])).await;
    let list = |query: String| {
        let sim = &sim;
        async move {
            let (status, body) =
                call(sim, "GET", &instance(&format!("/placement_groups?{query}")), None).await;
            assert_eq!(status, 200, "{body}");
            ids(&body, "placement_groups")
        }
    };
    assert_eq!(list(String::new()).await, vec![a.clone(), b.clone()]);
    assert_eq!(list("name=front".into()).await, vec![a.clone()]);
    assert_eq!(list("tags=db".into()).await, vec![b.clone()]);
    assert_eq!(list(format!("project={}", sim.project_id())).await.len(), 2);
    assert_eq!(
        list(format!("organization={}", sim.organization_id()))
            .await
            .len(),
        2
    );
    assert!(
        list("organization=11111111-2222-3333-4444-555555555555".into())
            .await
            .is_empty()
    );

    // PUT replaces: the policy left out goes back to its default.
    let path = instance(&format!("/placement_groups/{a}"));
    let (status, set) = call(
        &sim,
        "PUT",
        &path,
        Some(json!({"name": "pg-edge", "policy_mode": "enforced"})),
    )
    .await;
    assert_eq!(status, 200, "{set}");
    let group = &set["placement_group"];
    assert_eq!(
        (group["name"].as_str(), group["policy_mode"].as_str()),
        (Some("pg-edge"), Some("enforced"))
    );
    assert_eq!(
        (group["policy_type"].as_str(), group["tags"].clone()),
        (Some("max_availability"), json!([]))
    );
    assert_eq!(
        call(&sim, "GET", &path, None).await.1["placement_group"]["name"],
        "pg-edge"
    );

    assert_eq!(call(&sim, "DELETE", &path, None).await.0, 204);
    let (status, gone) = call(&sim, "GET", &path, None).await;
    assert_not_found(status, &gone, "instance_placement_group");
    let (status, gone) = call(&sim, "PUT", &path, Some(json!({"name": "x"}))).await;
    assert_not_found(status, &gone, "instance_placement_group");
    assert_eq!(list(String::new()).await, vec![b]);
    assert!(sim.ignored_query_parameters().is_empty());
}

#[tokio::test]
async fn the_servers_of_a_placement_group_follow_put_and_patch() {
    let sim = sim(0.0).await;
    let c = client(&sim);
    let group = create_group(&sim, "pg-servers", json!([])).await;
    let one = create_server(&c, "pg-1", SBS_IMAGE, &[]).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let two = create_server(&c, "pg-2", SBS_IMAGE, &[]).await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let servers = instance(&format!("/placement_groups/{group}/servers"));

    let (status, empty) = call(&sim, "GET", &servers, None).await;
    assert_eq!((status, empty["servers"].clone()), (200, json!([])));

    let (status, set) = call(&sim, "PUT", &servers, Some(json!({"servers": [one, two]}))).await;
    assert_eq!(status, 200, "{set}");
    assert_eq!(ids(&set, "servers"), vec![one.clone(), two.clone()]);
    assert_eq!(set["servers"][0]["name"], "pg-1");
    assert_eq!(set["servers"][0]["policy_respected"], true);
    let server = get_server(&c, &one).await;
    assert_eq!(server["placement_group"]["id"], group.as_str());
    assert_eq!(server["placement_group"]["policy_type"], "low_latency");

    // PATCH with a shorter list: the server left out leaves the group.
    let (status, patched) = call(&sim, "PATCH", &servers, Some(json!({"servers": [two]}))).await;
    assert_eq!(status, 200);
    assert_eq!(ids(&patched, "servers"), vec![two.clone()]);
    assert!(get_server(&c, &one).await["placement_group"].is_null());
    assert_eq!(
        ids(&call(&sim, "GET", &servers, None).await.1, "servers"),
        vec![two.clone()]
    );

    // A group with servers cannot be deleted.
    let group_path = instance(&format!("/placement_groups/{group}"));
    assert_eq!(call(&sim, "DELETE", &group_path, None).await.0, 400);

    let unknown = "11111111-2222-3333-4444-555555555555";
    let (status, body) = call(&sim, "PUT", &servers, Some(json!({"servers": [unknown]}))).await;
    assert_not_found(status, &body, "instance_server");
    let (status, body) = call(&sim, "PUT", &servers, Some(json!({}))).await;
    assert_eq!((status, body["type"].as_str()), (400, Some("invalid_arguments")));
    let other = instance(&format!("/placement_groups/{unknown}/servers"));
    let (status, body) = call(&sim, "GET", &other, None).await;
    assert_not_found(status, &body, "instance_placement_group");

    let (status, _) = call(&sim, "PUT", &servers, Some(json!({"servers": []}))).await;
    assert_eq!(status, 200);
    assert!(get_server(&c, &two).await["placement_group"].is_null());
    assert_eq!(call(&sim, "DELETE", &group_path, None).await.0, 204);
}

// -------------------------------------------------------------------------------------------
// Block migration

#[tokio::test]
async fn b_ssd_snapshots_move_to_block_storage_with_the_plan_key() {
    // 0.01: the migrated snapshots are `creating` in Block Storage for 0.1 s.
    let sim = sim(0.01).await;
    let volume = local_volume(&sim, "migrate-src").await;
    let b_ssd = create_snapshot(&sim, &volume, "legacy", json!({"volume_type": "b_ssd"})).await;
    let unified = create_snapshot(&sim, &volume, "both", json!({"volume_type": "unified"})).await;
    let local = create_snapshot(&sim, &volume, "local", json!({})).await;
    assert_eq!(
        (b_ssd["volume_type"].as_str(), local["volume_type"].as_str()),
        (Some("b_ssd"), Some("l_ssd"))
    );
    let (b_ssd, unified, local) = (
        b_ssd["id"].as_str().unwrap(),
        unified["id"].as_str().unwrap(),
        local["id"].as_str().unwrap(),
    );
    for id in [b_ssd, unified] {
        wait_for("available", || snapshot_state(&sim, id)).await;
    }

    let (status, plan) = call(
        &sim,
        "POST",
        &instance("/block-migration/plan"),
        Some(json!({"snapshot_id": b_ssd})),
    )
    .await;
    assert_eq!(status, 200, "{plan}");
    assert!(plan["volume"].is_null(), "an l_ssd volume does not move");
    assert_eq!(
        ids(&plan, "snapshots"),
        vec![b_ssd.to_string(), unified.to_string()]
    );
    let key = plan["validation_key"].as_str().unwrap().to_string();

    block_migration_refusals(&sim, b_ssd, local, &volume).await;

    let apply = instance("/block-migration/apply");
    let (status, _) = call(
        &sim,
        "POST",
        &apply,
        Some(json!({"snapshot_id": b_ssd, "validation_key": key})),
    )
    .await;
    assert_eq!(status, 204);
    for id in [b_ssd, unified] {
        let (status, gone) = call(&sim, "GET", &instance(&format!("/snapshots/{id}")), None).await;
        assert_not_found(status, &gone, "instance_snapshot");
        let block = format!("/block/v1/zones/{ZONE}/snapshots/{id}");
        let (status, moved) = call(&sim, "GET", &block, None).await;
        assert_eq!(status, 200, "{moved}");
        assert_eq!(moved["id"], id);
        wait_for("available", || async {
            call(&sim, "GET", &block, None).await.1["status"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .await;
    }
    let (_, left) = call(&sim, "GET", &instance("/snapshots"), None).await;
    assert_eq!(ids(&left, "snapshots"), vec![local.to_string()]);
}

/// The errors of plan and apply: no or two resources, unknown ids, types that do not move, a
/// missing or wrong key.
async fn block_migration_refusals(sim: &Simulator, b_ssd: &str, local: &str, l_ssd_volume: &str) {
    let plan = instance("/block-migration/plan");
    let apply = instance("/block-migration/apply");
    let unknown = "11111111-2222-3333-4444-555555555555";
    let (status, body) = call(sim, "POST", &plan, Some(json!({}))).await;
    assert_eq!((status, body["type"].as_str()), (400, Some("invalid_arguments")));
    let (status, body) = call(sim, "POST", &plan, Some(json!({"volume_id": unknown}))).await;
    assert_not_found(status, &body, "instance_volume");
    let (status, body) = call(sim, "POST", &plan, Some(json!({"snapshot_id": unknown}))).await;
    assert_not_found(status, &body, "instance_snapshot");
    for only_b_ssd in [json!({"volume_id": l_ssd_volume}), json!({"snapshot_id": local})] {
        let (status, body) = call(sim, "POST", &plan, Some(only_b_ssd)).await;
        assert_eq!(
            (status, body["type"].as_str()),
            (412, Some("precondition_failed")),
            "{body}"
        );
    }
    let (status, body) = call(sim, "POST", &apply, Some(json!({"snapshot_id": b_ssd}))).await;
    assert_eq!(status, 400);
    assert_eq!(body["details"][0]["argument_name"], "validation_key");
    let wrong = json!({"snapshot_id": b_ssd, "validation_key": "0123456789abcdef"});
    let (status, body) = call(sim, "POST", &apply, Some(wrong)).await;
    assert_eq!(
        (status, body["type"].as_str()),
        (412, Some("precondition_failed")),
        "{body}"
    );
    let (status, _) = call(sim, "GET", &instance(&format!("/snapshots/{b_ssd}")), None).await;
    assert_eq!(status, 200, "a refused migration moves nothing");
}

#[tokio::test]
async fn the_organization_quotas_check_answers_for_the_account_only() {
    let sim = sim(0.0).await;
    let check = instance("/block-migration/check-organization-quotas");
    let (status, _) = call(
        &sim,
        "POST",
        &check,
        Some(json!({"organization": sim.organization_id()})),
    )
    .await;
    assert_eq!(status, 204);
    assert_eq!(call(&sim, "POST", &check, Some(json!({}))).await.0, 204);
    let other = json!({"organization": "11111111-2222-3333-4444-555555555555"});
    let (status, body) = call(&sim, "POST", &check, Some(other)).await;
    assert_eq!((status, body["type"].as_str()), (403, Some("permissions_denied")));
}
