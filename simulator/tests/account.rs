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

use super::block::{call, ids};

#[tokio::test]
async fn account_project_filters_update_and_delete() {
    let sim = sim(0.0).await;
    let mut made = Vec::new();
    for name in ["zeta", "alpha", "alphabet"] {
        let (status, p) = call(
            &sim,
            "POST",
            "/account/v3/projects",
            Some(json!({"name": name, "description": "d"})),
        )
        .await;
        assert_eq!(status, 200);
        assert!(p["qualification"].is_null());
        made.push(p["id"].as_str().unwrap().to_string());
    }
    let list = |query: String| {
        let sim = &sim;
        async move {
            let (status, body) = call(sim, "GET", &format!("/account/v3/projects?{query}"), None).await;
            assert_eq!(status, 200, "{body}");
            ids(&body, "projects")
        }
    };
    assert_eq!(
        list("name=alpha".into()).await,
        [made[1].clone(), made[2].clone()]
    );
    assert_eq!(
        list(format!("project_ids={}&project_ids={}", made[0], made[2])).await,
        [made[0].clone(), made[2].clone()]
    );
    assert_eq!(
        list(format!("organization_id={}", sim.organization_id()))
            .await
            .len(),
        4
    );
    assert!(
        list("organization_id=11111111-1111-1111-1111-111111111111".into())
            .await
            .is_empty()
    );
    assert_eq!(
        list("order_by=name_desc&name=alph".into()).await,
        [made[2].clone(), made[1].clone()]
    );
    assert_eq!(
        list("order_by=name_asc&name=alph".into()).await,
        [made[1].clone(), made[2].clone()]
    );
    assert_eq!(
        list("order_by=created_at_desc&page_size=1".into()).await,
        [made[2].clone()]
    );
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );

    let (status, p) = call(
        &sim,
        "PATCH",
        &format!("/account/v3/projects/{}", made[0]),
        Some(json!({"name": "omega", "description": ""})),
    )
    .await;
    assert_eq!(
        (status, p["name"].as_str(), p["description"].as_str()),
        (200, Some("omega"), Some(""))
    );
    let (_, p) = call(&sim, "GET", &format!("/account/v3/projects/{}", made[0]), None).await;
    assert_eq!(
        p["qualification"]["architecture_type"],
        "unknown_architecture_type"
    );
    let (status, _) = call(&sim, "DELETE", &format!("/account/v3/projects/{}", made[0]), None).await;
    assert_eq!(status, 204);
    let (status, body) = call(&sim, "GET", &format!("/account/v3/projects/{}", made[0]), None).await;
    assert_eq!((status, body["resource"].as_str()), (404, Some("project_id")));
    let (status, body) = call(
        &sim,
        "DELETE",
        &format!("/account/v3/projects/{}", sim.project_id()),
        None,
    )
    .await;
    assert_eq!((status, body["type"].as_str()), (403, Some("permissions_denied")));
}

#[tokio::test]
async fn account_project_qualification() {
    let sim = sim(0.0).await;
    let (_, p) = call(
        &sim,
        "POST",
        "/account/v3/projects",
        Some(json!({"name": "q", "description": ""})),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let path = format!("/account/v3/projects/{id}/project-qualification");
    let qualification =
        json!({"architecture_type": "kubernetes", "container": {"sub_use_case": "unknown_sub_use_case"}});
    let (status, body) = call(&sim, "POST", &path, Some(json!({"qualification": qualification}))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["project_id"].as_str(), body["qualification"].clone()),
        (Some(id), qualification.clone())
    );
    let (_, p) = call(&sim, "GET", &format!("/account/v3/projects/{id}"), None).await;
    assert_eq!(p["qualification"], qualification);
    let (status, body) = call(
        &sim,
        "POST",
        &path,
        Some(json!({"qualification": {"architecture_type": "spaceship"}})),
    )
    .await;
    assert_eq!((status, body["type"].as_str()), (400, Some("invalid_arguments")));
    let (status, _) = call(&sim, "POST", &path, Some(json!({}))).await;
    assert_eq!(status, 400);
    let unknown = "6a1e4b8e-0000-4000-8000-000000000000";
    let (status, body) = call(
        &sim,
        "POST",
        &format!("/account/v3/projects/{unknown}/project-qualification"),
        Some(json!({"qualification": qualification})),
    )
    .await;
    assert_eq!((status, body["resource"].as_str()), (404, Some("project_id")));
}

#[tokio::test]
async fn account_project_deleted_with_its_resources() {
    let sim = sim(0.0).await;
    let (_, p) = call(
        &sim,
        "POST",
        "/account/v3/projects",
        Some(json!({"name": "doomed", "description": ""})),
    )
    .await;
    let id = p["id"].as_str().unwrap();
    let (status, volume) = call(
        &sim,
        "POST",
        "/block/v1/zones/fr-par-1/volumes",
        Some(json!({"name": "v", "project_id": id, "from_empty": {"size": 10_000_000_000u64}})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, server) = call(
        &sim,
        "POST",
        &format!("/instance/v1/zones/{ZONE}/servers"),
        Some(json!({"name": "s", "commercial_type": "DEV1-S", "image": LOCAL_IMAGE, "project": id})),
    )
    .await;
    assert_eq!(status, 201);
    // A VPC of the project with a network and a route: the route goes with its VPC.
    let vpc_api = "/vpc/v2/regions/fr-par";
    let (status, vpc) = call(
        &sim,
        "POST",
        &format!("{vpc_api}/vpcs"),
        Some(json!({"name": "doomed-vpc", "project_id": id})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, network) = call(
        &sim,
        "POST",
        &format!("{vpc_api}/private-networks"),
        Some(json!({"name": "doomed-pn", "project_id": id, "vpc_id": vpc["id"]})),
    )
    .await;
    assert_eq!(status, 200);
    let (status, route) = call(
        &sim,
        "POST",
        &format!("{vpc_api}/routes"),
        Some(
            json!({"description": "out", "vpc_id": vpc["id"], "destination": "10.99.0.0/16",
                    "nexthop_private_network_id": network["id"]}),
        ),
    )
    .await;
    assert_eq!(status, 200, "{route}");
    assert_eq!(
        sim.inventory().vpc_routes,
        vec![route["id"].as_str().unwrap().to_string()]
    );
    // An empty project only: DeleteProject refuses.
    let (status, _) = call(&sim, "DELETE", &format!("/account/v3/projects/{id}"), None).await;
    assert_eq!(status, 412);
    let path = format!("/account/v3/projects/{id}/delete-with-resources");
    let (status, body) = call(&sim, "POST", &format!("{path}?project_name=wrong"), None).await;
    assert_eq!((status, body["type"].as_str()), (400, Some("invalid_arguments")));
    let (status, body) = call(&sim, "POST", &format!("{path}?project_name=doomed"), None).await;
    assert_eq!(
        (status, body["status"].as_str(), body["id"].as_str()),
        (200, Some("deleting"), Some(id))
    );
    let (status, _) = call(&sim, "GET", &format!("/account/v3/projects/{id}"), None).await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &sim,
        "GET",
        &format!(
            "/block/v1/zones/fr-par-1/volumes/{}",
            volume["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &sim,
        "GET",
        &format!(
            "/instance/v1/zones/{ZONE}/servers/{}",
            server["server"]["id"].as_str().unwrap()
        ),
        None,
    )
    .await;
    assert_eq!(status, 404);
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());
    let (status, _) = call(
        &sim,
        "POST",
        &format!("/account/v3/projects/{}/delete-with-resources", sim.project_id()),
        None,
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn account_contract_signatures() {
    let sim = sim(0.0).await;
    let check = |name: &str| {
        let sim = &sim;
        let body = json!({"contract_type": "k8s", "contract_name": name});
        async move {
            call(sim, "POST", "/account/v3/contract-signatures/check", Some(body))
                .await
                .1
        }
    };
    assert_eq!(
        check("terms").await,
        json!({"created": false, "validated": false})
    );
    let (status, unsigned) = call(
        &sim,
        "POST",
        "/account/v3/contract-signatures",
        Some(json!({"contract_type": "k8s", "contract_name": "terms"})),
    )
    .await;
    assert_eq!(status, 200, "{unsigned}");
    assert!(unsigned["signed_at"].is_null());
    assert_eq!(
        (
            unsigned["contract"]["name"].as_str(),
            unsigned["organization_id"].as_str()
        ),
        (Some("terms"), Some(sim.organization_id()))
    );
    assert_eq!(check("terms").await, json!({"created": true, "validated": false}));
    let id = unsigned["id"].as_str().unwrap();
    let (status, signed) = call(
        &sim,
        "POST",
        &format!("/account/v3/contract-signatures/{id}/validate"),
        Some(json!({})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(signed["signed_at"].is_string());
    assert_eq!(check("terms").await, json!({"created": true, "validated": true}));
    let (status, body) = call(
        &sim,
        "POST",
        &format!("/account/v3/contract-signatures/{id}/validate"),
        Some(json!({})),
    )
    .await;
    assert_eq!(
        (status, body["type"].as_str()),
        (412, Some("precondition_failed"))
    );
    let (status, other) = call(
        &sim,
        "POST",
        "/account/v3/contract-signatures",
        Some(json!({"contract_type": "instance", "contract_name": "annex", "validated": true})),
    )
    .await;
    assert_eq!(status, 200);
    assert!(other["signed_at"].is_string());
    let other_id = other["id"].as_str().unwrap();

    let (_, list) = call(
        &sim,
        "GET",
        &format!(
            "/account/v3/contract-signatures?organization_id={}&order_by=name_asc",
            sim.organization_id()
        ),
        None,
    )
    .await;
    assert_eq!(ids(&list, "contract_signatures"), [other_id, id]);
    let (_, list) = call(
        &sim,
        "GET",
        "/account/v3/contract-signatures?order_by=signed_at_desc&page_size=1",
        None,
    )
    .await;
    assert_eq!(
        (ids(&list, "contract_signatures"), list["total_count"].as_u64()),
        (vec![other_id.to_string()], Some(2))
    );
    let (_, list) = call(
        &sim,
        "GET",
        "/account/v3/contract-signatures?organization_id=11111111-1111-1111-1111-111111111111",
        None,
    )
    .await;
    assert_eq!(list["total_count"], 0);
    let (status, _) = call(
        &sim,
        "GET",
        &format!("/account/v3/contract-signatures/{id}/download?locale=fr_FR"),
        None,
    )
    .await;
    assert_eq!(status, 204);
    assert!(
        sim.ignored_query_parameters().is_empty(),
        "{:?}",
        sim.ignored_query_parameters()
    );

    let unknown = "6a1e4b8e-0000-4000-8000-000000000000";
    let (status, body) = call(
        &sim,
        "GET",
        &format!("/account/v3/contract-signatures/{unknown}/download"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["resource"].as_str()),
        (404, Some("contract_signature"))
    );
    let (status, _) = call(
        &sim,
        "POST",
        "/account/v3/contract-signatures",
        Some(json!({"contract_type": "k8s"})),
    )
    .await;
    assert_eq!(status, 400);
    let (status, _) = call(
        &sim,
        "POST",
        "/account/v3/contract-signatures",
        Some(json!({"contract_name": "x", "contract_type": "nope"})),
    )
    .await;
    assert_eq!(status, 400);
}
