//! Account: projects, and their scoping of every listing.

use scaleway_sim::SimulatorOptions;
use serde_json::{Value, json};

use super::requests::*;

#[tokio::test]
async fn marketplace_account_and_images_of_projects() {
    let sim = crate::common::simulator_with(SimulatorOptions {
        time_scale: 0.0,
        extra_projects: vec!["second".into()],
        ..Default::default()
    })
    .await;
    let c = client(&sim);
    let projects = c.account().list_projects().send().await.unwrap();
    assert_eq!(projects.total_count, Some(2));
    let ids: Vec<String> = projects.projects.iter().filter_map(|p| p.id.clone()).collect();
    assert!(ids.contains(&sim.project_id().to_string()));
    assert!(ids.contains(&sim.extra_project_ids()[0]));
    // Project scoping: a server in an unknown project is refused, the list filter scopes.
    let r = raw(
        &sim,
        "POST",
        &format!("/instance/v1/zones/{ZONE}/servers"),
        Some(
            json!({"name": "x", "commercial_type": "DEV1-S", "image": LOCAL_IMAGE,
                    "project": "00000000-0000-4000-8000-000000000001"}),
        ),
    )
    .await;
    assert_eq!(r.status(), 403);
    let second = sim.extra_project_ids()[0].clone();
    let r = raw(
        &sim,
        "POST",
        &format!("/instance/v1/zones/{ZONE}/servers"),
        Some(json!({"name": "x", "commercial_type": "DEV1-S", "image": LOCAL_IMAGE, "project": second})),
    )
    .await;
    assert_eq!(r.status(), 201);
    let mine = c
        .instance()
        .list_servers()
        .zone(ZONE)
        .project(sim.project_id())
        .send()
        .await
        .unwrap();
    assert!(mine.servers.is_empty());
    let theirs = c
        .instance()
        .list_servers()
        .zone(ZONE)
        .project(second.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(theirs.servers.len(), 1);
}

#[tokio::test]
async fn listing_an_unknown_project_creates_no_defaults() {
    let sim = crate::common::simulator_with(SimulatorOptions {
        time_scale: 0.0,
        extra_projects: vec!["other".into()],
        ..Default::default()
    })
    .await;
    let other = sim.extra_project_ids()[0].clone();
    let unknown = "0b0c8a4e-5f8e-4d7c-a0b1-2c3d4e5f6a7b";
    let vpcs = "/vpc/v2/regions/fr-par/vpcs".to_string();
    let sgs = format!("/instance/v1/zones/{ZONE}/security_groups");
    for project in [unknown, other.as_str()] {
        let r = raw(&sim, "GET", &format!("{vpcs}?project_id={project}"), None).await;
        assert_eq!(r.status(), 200);
        let r = raw(&sim, "GET", &format!("{sgs}?project={project}"), None).await;
        assert_eq!(r.status(), 200);
    }
    let all: Value = raw(&sim, "GET", &vpcs, None).await.json().await.unwrap();
    let owners: Vec<&str> = all["vpcs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["project_id"].as_str().unwrap())
        .collect();
    assert!(owners.contains(&other.as_str()), "{owners:?}");
    assert!(!owners.contains(&unknown), "{owners:?}");
    let all: Value = raw(&sim, "GET", &sgs, None).await.json().await.unwrap();
    let owners: Vec<&str> = all["security_groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["project"].as_str().unwrap())
        .collect();
    assert!(owners.contains(&other.as_str()), "{owners:?}");
    assert!(!owners.contains(&unknown), "{owners:?}");
}
