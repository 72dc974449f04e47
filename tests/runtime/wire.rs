//! Wire correctness of the generated clients, against httpmock: exact method, path, query, headers
//! and bodies, for a list, a create and a delete of each vendored API, plus the user_data PATCH.
//!
//! List queries are replayed from recorded interactions: the generated client is called with the
//! recorded parameters and must send the same query string, byte for byte up to parameter order;
//! the recorded answer is served back and must deserialize. Each API's test replays the fixtures
//! (`tests/fixtures/traffic/`), and `recorded_list_queries_replay_on_every_api` replays the real
//! recordings (`../shared/reference/real-traffic/`) when they are there. Mocks only answer
//! requests that match exactly, so a wrong request fails the test.

use httpmock::prelude::*;
use scaleway_client::api::{self, Error};
use serde_json::{Value, json};

use crate::common::reference::{RECORDED_FILES, fixture_traffic, recorded_traffic};
use crate::common::{self, PROJECT, SECRET as TOKEN};

/// The crate's client, pointed at the mock server; it sends the secret key with every request.
fn sdk(server: &MockServer) -> scaleway_client::Client {
    common::client(
        common::mock_config(server.base_url()),
        scaleway_client::RetryPolicy::none(),
    )
}

/// An interaction, from the fixtures or the recordings of real traffic.
struct Recording {
    raw_query: String,
    query: Value,
    status: u16,
    body: Value,
}

/// The first interaction of `method template` in `traffic` whose raw query contains `needle`.
fn recording(traffic: &[Value], api: &str, method: &str, template: &str, needle: &str) -> Recording {
    traffic
        .iter()
        .find(|r| {
            r["api"] == api
                && r["method"] == method
                && r["template"] == template
                && r["raw_query"].as_str().unwrap_or_default().contains(needle)
                && r["status"].as_u64().is_some_and(|s| (200..300).contains(&s))
        })
        .map(|r| Recording {
            raw_query: r["raw_query"].as_str().unwrap_or_default().to_string(),
            query: r["query"].clone(),
            status: r["status"].as_u64().unwrap() as u16,
            body: r["resp_body"].clone(),
        })
        .unwrap_or_else(|| panic!("no interaction of {method} {template} with {needle}"))
}

/// Query parameters in their encoded form, sorted by name only, so that the order of repeated
/// parameters (`tags=a&tags=b`) still counts.
fn encoded_pairs(raw: &str) -> Vec<String> {
    let mut pairs: Vec<String> = raw
        .split('&')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    pairs.sort_by(|a, b| a.split('=').next().cmp(&b.split('=').next()));
    pairs
}

fn query_str<'a>(rec: &'a Recording, name: &str) -> &'a str {
    rec.query[name]
        .as_str()
        .unwrap_or_else(|| panic!("recorded query has no single {name}"))
}

fn query_list(rec: &Recording, name: &str) -> Vec<String> {
    match &rec.query[name] {
        Value::Array(items) => items.iter().map(|v| v.as_str().unwrap().to_string()).collect(),
        Value::String(one) => vec![one.clone()],
        other => panic!("recorded query {name} is {other}"),
    }
}

/// Mocks a GET that must carry exactly the recorded query and the secret key, and answers the
/// recorded body.
async fn mock_recorded_list<'a>(server: &'a MockServer, path: &str, rec: &Recording) -> httpmock::Mock<'a> {
    let expected = encoded_pairs(&rec.raw_query);
    let body = rec.body.clone();
    let status = rec.status;
    let path = path.to_string();
    server
        .mock_async(move |when, then| {
            when.method(GET)
                .path(path)
                .header("x-auth-token", TOKEN)
                .is_true(move |req| encoded_pairs(req.uri().query().unwrap_or_default()) == expected);
            then.status(status)
                .header("content-type", "application/json")
                .json_body(body);
        })
        .await
}

/// Mocks a JSON request with an exact body.
async fn mock_json<'a>(
    server: &'a MockServer,
    method: httpmock::Method,
    path: &str,
    request: Value,
    status: u16,
    response: Value,
) -> httpmock::Mock<'a> {
    let path = path.to_string();
    server
        .mock_async(move |when, then| {
            when.method(method)
                .path(path)
                .header("x-auth-token", TOKEN)
                .header("content-type", "application/json")
                .json_body(request);
            then.status(status)
                .header("content-type", "application/json")
                .json_body(response);
        })
        .await
}

async fn mock_delete<'a>(server: &'a MockServer, path: &str) -> httpmock::Mock<'a> {
    let path = path.to_string();
    server
        .mock_async(move |when, then| {
            when.method(DELETE).path(path).header("x-auth-token", TOKEN);
            then.status(204).header("content-type", "application/json");
        })
        .await
}

/// Mocks a Scaleway `not_found` answer.
async fn mock_not_found<'a>(
    server: &'a MockServer,
    path: &str,
    resource: &str,
    id: &str,
) -> httpmock::Mock<'a> {
    let path = path.to_string();
    let body = json!({"type": "not_found", "message": "resource is not found", "resource": resource, "resource_id": id});
    server
        .mock_async(move |when, then| {
            when.method(GET).path(path).header("x-auth-token", TOKEN);
            then.status(404)
                .header("content-type", "application/json")
                .header("x-request-id", "req-404")
                .json_body(body);
        })
        .await
}

/// Asserts that a generated call failed with the typed Scaleway error body.
fn assert_not_found<T: std::fmt::Debug, E: std::fmt::Debug>(result: Result<T, Error<E>>, check: impl Fn(&E)) {
    match result {
        Err(Error::ErrorResponse(response)) => {
            assert_eq!(response.status(), 404);
            assert_eq!(response.headers()["x-request-id"], "req-404");
            check(response.as_ref());
        }
        other => panic!("expected a typed Scaleway error, got {other:?}"),
    }
}

const ID: &str = "0a2c5c1e-8a53-4d38-9b6d-27c2e5b4b0f1";

// ----------------------------------------------------------------------------------------------

#[tokio::test]
async fn vpc_v2_list_create_delete_and_error() {
    vpc_v2_list_create_delete_and_error_over(fixture_traffic()).await;
}

async fn vpc_v2_list_create_delete_and_error_over(traffic: &[Value]) {
    // Longer than a screen on purpose: the list, create, delete and error of one API against one
    // mock server, in the order a client makes them, each an exact request; every API's test has
    // this shape, so that they read side by side.
    use api::vpc_v2::types;
    let server = MockServer::start_async().await;
    let client = sdk(&server).vpc();

    // Arrays are sent as repeated keys: tags=a&tags=b.
    let rec = recording(
        traffic,
        "vpc/v2",
        "GET",
        "/vpc/v2/regions/{region}/vpcs",
        "&tags=",
    );
    let list = mock_recorded_list(&server, "/vpc/v2/regions/fr-par/vpcs", &rec).await;
    let vpcs = client
        .list_vpcs()
        .region("fr-par")
        .order_by(types::ListVpcsOrderBy::CreatedAtAsc)
        .tags(query_list(&rec, "tags"))
        .send()
        .await
        .unwrap();
    list.assert_async().await;
    assert_eq!(vpcs.total_count.map(u64::from), rec.body["total_count"].as_u64());

    let created = json!({"id": ID, "name": "net", "project_id": PROJECT, "region": "fr-par", "subnets": [], "tags": ["a"], "vpc_id": ID, "dhcp_enabled": true});
    let create = mock_json(
        &server,
        POST,
        "/vpc/v2/regions/fr-par/private-networks",
        json!({"name": "net", "project_id": PROJECT, "subnets": ["10.0.1.0/24"], "tags": ["a"]}),
        200,
        created,
    )
    .await;
    let network = client
        .create_private_network()
        .region("fr-par")
        .body_map(|b| {
            b.name("net".to_string())
                .project_id(PROJECT.to_string())
                .subnets(vec!["10.0.1.0/24".into()])
                .tags(vec!["a".into()])
        })
        .send()
        .await
        .unwrap();
    create.assert_async().await;
    assert_eq!(network.id.as_deref(), Some(ID));

    let delete = mock_delete(&server, &format!("/vpc/v2/regions/fr-par/private-networks/{ID}")).await;
    client
        .delete_private_network()
        .region("fr-par")
        .private_network_id(ID)
        .send()
        .await
        .unwrap();
    delete.assert_async().await;

    let missing = mock_not_found(
        &server,
        &format!("/vpc/v2/regions/fr-par/private-networks/{ID}"),
        "private_network",
        ID,
    )
    .await;
    let result = client
        .get_private_network()
        .region("fr-par")
        .private_network_id(ID)
        .send()
        .await;
    missing.assert_async().await;
    assert_not_found(result, |e: &types::ScalewayError| {
        assert_eq!(e.type_.as_deref(), Some("not_found"));
        assert_eq!(e.resource.as_deref(), Some("private_network"));
        assert_eq!(e.resource_id.as_deref(), Some(ID));
    });
}

#[tokio::test]
async fn account_v3_list_create_delete_and_error() {
    account_v3_list_create_delete_and_error_over(fixture_traffic()).await;
}

async fn account_v3_list_create_delete_and_error_over(traffic: &[Value]) {
    // Longer than a screen on purpose: the list, create, delete and error of one API against one
    // mock server, in the order a client makes them, each an exact request; every API's test has
    // this shape, so that they read side by side.
    use api::account_v3::types;
    let server = MockServer::start_async().await;
    let client = sdk(&server).account();

    // Repeated ids are repeated keys: project_ids=a&project_ids=b.
    let rec = recording(
        traffic,
        "account/v3",
        "GET",
        "/account/v3/projects",
        "&project_ids=",
    );
    let list = mock_recorded_list(&server, "/account/v3/projects", &rec).await;
    let projects = client
        .list_projects()
        .order_by(types::ListProjectsOrderBy::CreatedAtAsc)
        .organization_id(query_str(&rec, "organization_id"))
        .page(1)
        .project_ids(query_list(&rec, "project_ids"))
        .send()
        .await
        .unwrap();
    list.assert_async().await;
    assert_eq!(
        projects.projects.len(),
        rec.body["projects"].as_array().unwrap().len()
    );

    let create = mock_json(
        &server,
        POST,
        "/account/v3/projects",
        json!({"name": "demo", "organization_id": PROJECT, "description": "for tests"}),
        200,
        json!({"id": ID, "name": "demo", "organization_id": PROJECT, "description": "for tests", "qualification": null}),
    )
    .await;
    let project = client
        .create_project()
        .body_map(|b| {
            b.name("demo".to_string())
                .organization_id(PROJECT.to_string())
                .description("for tests")
        })
        .send()
        .await
        .unwrap();
    create.assert_async().await;
    assert_eq!(project.id.as_deref(), Some(ID));

    let delete = mock_delete(&server, &format!("/account/v3/projects/{ID}")).await;
    client.delete_project().project_id(ID).send().await.unwrap();
    delete.assert_async().await;

    let missing = mock_not_found(&server, &format!("/account/v3/projects/{ID}"), "project_id", ID).await;
    let result = client.get_project().project_id(ID).send().await;
    missing.assert_async().await;
    assert_not_found(result, |e: &types::ScalewayError| {
        assert_eq!(e.resource.as_deref(), Some("project_id"))
    });
}

#[tokio::test]
async fn block_v1_list_create_delete_and_error() {
    block_v1_list_create_delete_and_error_over(fixture_traffic()).await;
}

async fn block_v1_list_create_delete_and_error_over(traffic: &[Value]) {
    // Longer than a screen on purpose: the list, create, delete and error of one API against one
    // mock server, in the order a client makes them, each an exact request; every API's test has
    // this shape, so that they read side by side.
    use api::block_v1::types;
    let server = MockServer::start_async().await;
    let client = sdk(&server).block();

    let rec = recording(
        traffic,
        "block/v1",
        "GET",
        "/block/v1/zones/{zone}/volumes",
        "tags=",
    );
    let list = mock_recorded_list(&server, "/block/v1/zones/fr-par-1/volumes", &rec).await;
    let volumes = client
        .list_volumes()
        .zone("fr-par-1")
        .include_deleted(false)
        .order_by(types::ListVolumesOrderBy::CreatedAtAsc)
        .page(1)
        .project_id(query_str(&rec, "project_id"))
        .tags(query_list(&rec, "tags"))
        .send()
        .await
        .unwrap();
    list.assert_async().await;
    assert_eq!(volumes.total_count, rec.body["total_count"].as_u64());

    let created = recording_body(traffic, "block/v1", "POST", "/block/v1/zones/{zone}/volumes");
    let create = mock_json(
        &server,
        POST,
        "/block/v1/zones/fr-par-1/volumes",
        json!({"name": "data", "perf_iops": 5000, "project_id": PROJECT, "from_empty": {"size": 10_000_000_000u64}, "tags": ["a"]}),
        200,
        created.clone(),
    )
    .await;
    let volume = client
        .create_volume()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("data".to_string())
                .perf_iops(5000)
                .project_id(PROJECT.to_string())
                .from_empty(types::CreateVolumeRequestFromEmpty {
                    size: Some(10_000_000_000),
                })
                .tags(vec!["a".into()])
        })
        .send()
        .await
        .unwrap();
    create.assert_async().await;
    assert_eq!(volume.id.as_deref(), created["id"].as_str());

    let delete = mock_delete(&server, &format!("/block/v1/zones/fr-par-1/volumes/{ID}")).await;
    client
        .delete_volume()
        .zone("fr-par-1")
        .volume_id(ID)
        .send()
        .await
        .unwrap();
    delete.assert_async().await;

    let missing = mock_not_found(
        &server,
        &format!("/block/v1/zones/fr-par-1/volumes/{ID}"),
        "volume",
        ID,
    )
    .await;
    let result = client.get_volume().zone("fr-par-1").volume_id(ID).send().await;
    missing.assert_async().await;
    assert_not_found(result, |e: &types::ScalewayError| {
        assert_eq!(e.resource.as_deref(), Some("volume"))
    });
}

#[tokio::test]
async fn block_v1alpha1_list_create_delete_and_error() {
    block_v1alpha1_list_create_delete_and_error_over(fixture_traffic()).await;
}

async fn block_v1alpha1_list_create_delete_and_error_over(traffic: &[Value]) {
    // Longer than a screen on purpose: the list, create, delete and error of one API against one
    // mock server, in the order a client makes them, each an exact request; every API's test has
    // this shape, so that they read side by side.
    use api::block_v1alpha1::types;
    let server = MockServer::start_async().await;
    let client = sdk(&server).block_v1alpha1();

    let rec = recording(
        traffic,
        "block/v1alpha1",
        "GET",
        "/block/v1alpha1/zones/{zone}/volumes",
        "name=",
    );
    let list = mock_recorded_list(&server, "/block/v1alpha1/zones/fr-par-1/volumes", &rec).await;
    let volumes = client
        .list_volumes()
        .zone("fr-par-1")
        .name(query_str(&rec, "name"))
        .order_by(types::ListVolumesOrderBy::CreatedAtAsc)
        .send()
        .await
        .unwrap();
    list.assert_async().await;
    assert_eq!(
        volumes.volumes.len(),
        rec.body["volumes"].as_array().unwrap().len()
    );

    let created = recording_body(
        traffic,
        "block/v1alpha1",
        "POST",
        "/block/v1alpha1/zones/{zone}/volumes",
    );
    let create = mock_json(
        &server,
        POST,
        "/block/v1alpha1/zones/fr-par-1/volumes",
        json!({"name": "data", "perf_iops": 15000, "project_id": PROJECT, "from_empty": {"size": 20_000_000_000u64}}),
        200,
        created.clone(),
    )
    .await;
    let volume = client
        .create_volume()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("data".to_string())
                .perf_iops(15000)
                .project_id(PROJECT.to_string())
                .from_empty(types::CreateVolumeRequestFromEmpty {
                    size: Some(20_000_000_000),
                })
        })
        .send()
        .await
        .unwrap();
    create.assert_async().await;
    assert_eq!(volume.id.as_deref(), created["id"].as_str());

    let delete = mock_delete(&server, &format!("/block/v1alpha1/zones/fr-par-1/volumes/{ID}")).await;
    client
        .delete_volume()
        .zone("fr-par-1")
        .volume_id(ID)
        .send()
        .await
        .unwrap();
    delete.assert_async().await;

    let missing = mock_not_found(
        &server,
        &format!("/block/v1alpha1/zones/fr-par-1/volumes/{ID}"),
        "volume",
        ID,
    )
    .await;
    let result = client.get_volume().zone("fr-par-1").volume_id(ID).send().await;
    missing.assert_async().await;
    assert_not_found(result, |e: &types::ScalewayError| {
        assert_eq!(e.type_.as_deref(), Some("not_found"))
    });
}

#[tokio::test]
async fn marketplace_v2_list_get_and_error() {
    marketplace_v2_list_get_and_error_over(fixture_traffic()).await;
}

async fn marketplace_v2_list_get_and_error_over(traffic: &[Value]) {
    // Marketplace v2 is read-only: it has no create or delete operation.
    use api::marketplace_v2::types;
    let server = MockServer::start_async().await;
    let client = sdk(&server).marketplace();

    let rec = recording(
        traffic,
        "marketplace/v2",
        "GET",
        "/marketplace/v2/local-images",
        "image_label=",
    );
    let list = mock_recorded_list(&server, "/marketplace/v2/local-images", &rec).await;
    let images = client
        .list_local_images()
        .image_label(query_str(&rec, "image_label"))
        .order_by(types::ListLocalImagesOrderBy::TypeAsc)
        .type_(
            query_str(&rec, "type")
                .parse::<types::ListLocalImagesType>()
                .unwrap(),
        )
        .zone(query_str(&rec, "zone"))
        .send()
        .await
        .unwrap();
    list.assert_async().await;
    let first = &images.local_images[0];
    assert_eq!(first.id.as_deref(), rec.body["local_images"][0]["id"].as_str());
    assert!(!first.compatible_commercial_types.is_empty());

    let missing = mock_not_found(
        &server,
        &format!("/marketplace/v2/local-images/{ID}"),
        "MarketplaceLocalImage",
        ID,
    )
    .await;
    let result = client.get_local_image().local_image_id(ID).send().await;
    missing.assert_async().await;
    assert_not_found(result, |e: &types::ScalewayError| {
        assert_eq!(e.resource_id.as_deref(), Some(ID))
    });
}

/// Calls ListIPs with every filter of a recorded call.
async fn replay_ip_list(
    client: &api::ipam_v1::Client,
    rec: &Recording,
) -> api::ipam_v1::types::ListIPsResponse {
    use api::ipam_v1::types::{ListIpsOrderBy, ListIpsResourceType};
    let mut call = client.list_ips().region("fr-par");
    for name in rec.query.as_object().unwrap().keys() {
        let value = || query_str(rec, name).to_string();
        call = match name.as_str() {
            "order_by" => call.order_by(value().parse::<ListIpsOrderBy>().unwrap()),
            "resource_type" => call.resource_type(value().parse::<ListIpsResourceType>().unwrap()),
            "page" => call.page(value().parse::<i32>().unwrap()),
            "is_ipv6" => call.is_ipv6(value().parse::<bool>().unwrap()),
            "tags" => call.tags(query_list(rec, "tags")),
            "project_id" => call.project_id(value()),
            "private_network_id" => call.private_network_id(value()),
            "resource_id" => call.resource_id(value()),
            "resource_name" => call.resource_name(value()),
            "mac_address" => call.mac_address(value()),
            "zonal" => call.zonal(value()),
            other => panic!("recorded filter {other} is not replayed"),
        };
    }
    call.send().await.unwrap().into_inner()
}

#[tokio::test]
async fn ipam_v1_list_book_release_and_error() {
    ipam_v1_list_book_release_and_error_over(fixture_traffic()).await;
}

async fn ipam_v1_list_book_release_and_error_over(traffic: &[Value]) {
    // Longer than a screen on purpose: the list, create, delete and error of one API against one
    // mock server, in the order a client makes them, each an exact request; every API's test has
    // this shape, so that they read side by side.
    use api::ipam_v1::types;
    let server = MockServer::start_async().await;
    let client = sdk(&server).ipam();

    // The private addresses of one instance NIC, as clients look them up.
    let rec = recording(
        traffic,
        "ipam/v1",
        "GET",
        "/ipam/v1/regions/{region}/ips",
        "resource_type=instance_private_nic",
    );
    let nic_id = query_str(&rec, "resource_id").to_string();
    let list = mock_recorded_list(&server, "/ipam/v1/regions/fr-par/ips", &rec).await;
    let ips = replay_ip_list(&client, &rec).await;
    list.assert_async().await;
    assert_eq!(ips.total_count, rec.body["total_count"].as_u64());
    assert_eq!(ips.ips.len(), rec.body["ips"].as_array().unwrap().len());
    for ip in &ips.ips {
        let resource = ip.resource.as_ref().expect("a NIC's address names its NIC");
        assert_eq!(resource.type_, Some(types::ResourceType::InstancePrivateNic));
        assert_eq!(resource.id.as_deref(), Some(nic_id.as_str()));
        assert!(ip.address.as_deref().is_some_and(|a| a.contains('/')));
    }
    assert_eq!(ips.ips.iter().filter(|ip| ip.is_ipv6 == Some(true)).count(), 1);

    // Arrays are sent as repeated keys (tags=a&tags=b).
    let rec = recording(
        traffic,
        "ipam/v1",
        "GET",
        "/ipam/v1/regions/{region}/ips",
        "&tags=",
    );
    let list = mock_recorded_list(&server, "/ipam/v1/regions/fr-par/ips", &rec).await;
    let tagged = replay_ip_list(&client, &rec).await;
    list.assert_async().await;
    assert_eq!(tagged.total_count, rec.body["total_count"].as_u64());

    // A lower-case MAC address filter, as recorded.
    let rec = recording(
        traffic,
        "ipam/v1",
        "GET",
        "/ipam/v1/regions/{region}/ips",
        "mac_address=",
    );
    let list = mock_recorded_list(&server, "/ipam/v1/regions/fr-par/ips", &rec).await;
    let by_mac = replay_ip_list(&client, &rec).await;
    list.assert_async().await;
    assert_eq!(by_mac.ips.len(), rec.body["ips"].as_array().unwrap().len());

    filters_the_recordings_lack_are_encoded_exactly(&server, &client).await;

    book_ip_answers_200_with_a_cidr_address(traffic, &server, &client).await;

    // ReleaseIP is a DELETE with an empty JSON object, as both SDKs send it.
    let release = server
        .mock_async(|when, then| {
            when.method(DELETE)
                .path(format!("/ipam/v1/regions/fr-par/ips/{ID}"))
                .header("x-auth-token", TOKEN)
                .header("content-type", "application/json")
                .json_body(json!({}));
            then.status(204).header("content-type", "application/json");
        })
        .await;
    client
        .release_ip()
        .region("fr-par")
        .ip_id(ID)
        .body(serde_json::Map::new())
        .send()
        .await
        .unwrap();
    release.assert_async().await;

    let missing = mock_not_found(&server, &format!("/ipam/v1/regions/fr-par/ips/{ID}"), "ip", ID).await;
    let result = client.get_ip().region("fr-par").ip_id(ID).send().await;
    missing.assert_async().await;
    assert_not_found(result, |e: &types::ScalewayError| {
        assert_eq!(e.type_.as_deref(), Some("not_found"));
        assert_eq!(e.resource.as_deref(), Some("ip"));
        assert_eq!(e.resource_id.as_deref(), Some(ID));
    });
}

/// Filters the recordings lack, with their exact encoding (repeated keys for arrays, an escaped
/// MAC address).
async fn filters_the_recordings_lack_are_encoded_exactly(server: &MockServer, client: &api::ipam_v1::Client) {
    use api::ipam_v1::types;
    let other = "1d9f8a3c-5b7e-4c2a-9f0e-3a6b8c7d5e4f";
    let expected = encoded_pairs(&format!(
        "is_ipv6=true&mac_address=02%3A00%3A00%3A1f%3A84%3A12&private_network_id={ID}&resource_ids={ID}&resource_ids={other}&resource_types=instance_private_nic&resource_types=baremetal_private_nic&attached=true&page_size=10"
    ));
    let filtered = server
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/ipam/v1/regions/fr-par/ips")
                .header("x-auth-token", TOKEN)
                .is_true(move |req| encoded_pairs(req.uri().query().unwrap_or_default()) == expected);
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({"total_count": 0, "ips": []}));
        })
        .await;
    let none = client
        .list_ips()
        .region("fr-par")
        .is_ipv6(true)
        .mac_address("02:00:00:1f:84:12")
        .private_network_id(ID)
        .resource_ids(vec![ID.to_string(), other.to_string()])
        .resource_types(vec![
            types::ListIpsResourceTypesItem::InstancePrivateNic,
            types::ListIpsResourceTypesItem::BaremetalPrivateNic,
        ])
        .attached(true)
        .page_size(10u32)
        .send()
        .await
        .unwrap();
    filtered.assert_async().await;
    assert_eq!(none.total_count, Some(0));
}

/// BookIP answers 200 (not 201) with the address in CIDR form.
async fn book_ip_answers_200_with_a_cidr_address(
    traffic: &[Value],
    server: &MockServer,
    client: &api::ipam_v1::Client,
) {
    use api::ipam_v1::types;
    let booked = recording_body(traffic, "ipam/v1", "POST", "/ipam/v1/regions/{region}/ips");
    let book = mock_json(
        server,
        POST,
        "/ipam/v1/regions/fr-par/ips",
        json!({"project_id": PROJECT, "source": {"private_network_id": ID}, "is_ipv6": false, "address": "172.16.64.7", "tags": []}),
        200,
        booked.clone(),
    )
    .await;
    let ip = client
        .book_ip()
        .region("fr-par")
        .body_map(|b| {
            b.project_id(PROJECT.to_string())
                .source(types::Source {
                    private_network_id: Some(ID.to_string()),
                    ..Default::default()
                })
                .is_ipv6(false)
                .address("172.16.64.7".to_string())
                .tags(Vec::<String>::new())
        })
        .send()
        .await
        .unwrap();
    book.assert_async().await;
    assert_eq!(ip.address.as_deref(), booked["address"].as_str());
    assert_eq!(ip.resource, None);
    assert!(ip.source.as_ref().is_some_and(|s| s.subnet_id.is_some()));
}

/// The first 2xx JSON answer of `method template` in `traffic`.
fn recording_body(traffic: &[Value], api: &str, method: &str, template: &str) -> Value {
    recording(traffic, api, method, template, "").body
}

#[tokio::test]
async fn instance_v1_list_create_user_data_action_delete_and_error() {
    instance_v1_list_create_user_data_action_delete_and_error_over(fixture_traffic()).await;
}

async fn instance_v1_list_create_user_data_action_delete_and_error_over(traffic: &[Value]) {
    // Longer than a screen on purpose: the list, create, delete and error of one API against one
    // mock server, in the order a client makes them, each an exact request; every API's test has
    // this shape, so that they read side by side.
    use api::instance_v1::types;
    let server = MockServer::start_async().await;
    let client = sdk(&server).instance();

    // Instance filters take one comma-separated value: tags=a%2Cb.
    let rec = recording(
        traffic,
        "instance/v1",
        "GET",
        "/instance/v1/zones/{zone}/servers",
        "tags=",
    );
    assert!(
        rec.raw_query.contains("%2C"),
        "the recording joins tags with commas"
    );
    let list = mock_recorded_list(&server, "/instance/v1/zones/fr-par-1/servers", &rec).await;
    let servers = client
        .list_servers()
        .zone("fr-par-1")
        .order(types::ListServersOrder::CreationDateDesc)
        .project(query_str(&rec, "project"))
        .tags(query_str(&rec, "tags"))
        .send()
        .await
        .unwrap();
    list.assert_async().await;
    assert_eq!(
        servers.servers.len(),
        rec.body["servers"].as_array().unwrap().len()
    );

    let created = recording_body(
        traffic,
        "instance/v1",
        "POST",
        "/instance/v1/zones/{zone}/servers",
    );
    let server_id = created["server"]["id"].as_str().unwrap().to_string();
    let location = format!("https://api.scaleway.com/instance/v1/zones/fr-par-1/servers/{server_id}");
    let create = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/instance/v1/zones/fr-par-1/servers")
                .header("x-auth-token", TOKEN)
                .header("content-type", "application/json")
                .json_body(json!({
                    "name": "web-1", "commercial_type": "DEV1-S", "image": ID, "project": PROJECT,
                    "dynamic_ip_required": true, "security_group": ID, "tags": ["app=web"]
                }));
            then.status(201)
                .header("content-type", "application/json")
                .header("location", location.as_str())
                .json_body(created.clone());
        })
        .await;
    let answer = client
        .create_server()
        .zone("fr-par-1")
        .body_map(|b| {
            b.name("web-1".to_string())
                .commercial_type("DEV1-S")
                .image(ID.to_string())
                .project(PROJECT.to_string())
                .dynamic_ip_required(true)
                .security_group(ID.to_string())
                .tags(vec!["app=web".to_string()])
        })
        .send()
        .await
        .unwrap();
    create.assert_async().await;
    assert_eq!(answer.status(), 201);
    let new_server = answer.into_inner().server.unwrap();
    assert_eq!(new_server.id.as_deref(), Some(server_id.as_str()));
    assert_eq!(new_server.state, types::ServerState::Stopped);

    user_data_goes_as_raw_text(&server, &client, &server_id).await;

    power_on_answers_a_task(traffic, &server, &client, &server_id).await;

    let delete = mock_delete(
        &server,
        &format!("/instance/v1/zones/fr-par-1/servers/{server_id}"),
    )
    .await;
    client
        .delete_server()
        .zone("fr-par-1")
        .server_id(server_id.as_str())
        .send()
        .await
        .unwrap();
    delete.assert_async().await;

    let missing = mock_not_found(
        &server,
        &format!("/instance/v1/zones/fr-par-1/servers/{ID}"),
        "instance_server",
        ID,
    )
    .await;
    let result = client.get_server().zone("fr-par-1").server_id(ID).send().await;
    missing.assert_async().await;
    assert_not_found(result, |e: &types::ScalewayError| {
        assert_eq!(e.resource.as_deref(), Some("instance_server"));
        assert_eq!(e.resource_id.as_deref(), Some(ID));
    });
}

/// Cloud-init goes as the raw text, not JSON, and is read back as the raw text.
async fn user_data_goes_as_raw_text(server: &MockServer, client: &api::instance_v1::Client, server_id: &str) {
    let cloud_init = "#cloud-config\npackages: [nginx]\n";
    let path = format!("/instance/v1/zones/fr-par-1/servers/{server_id}/user_data/cloud-init");
    let set = server
        .mock_async(|when, then| {
            when.method(PATCH)
                .path(path.as_str())
                .header("x-auth-token", TOKEN)
                .header("content-type", "text/plain")
                .body(cloud_init);
            then.status(204).header("content-type", "text/plain");
        })
        .await;
    client
        .set_server_user_data()
        .zone("fr-par-1")
        .server_id(server_id)
        .key("cloud-init")
        .body(cloud_init)
        .send()
        .await
        .unwrap();
    set.assert_async().await;

    let get = server
        .mock_async(|when, then| {
            when.method(GET).path(path.as_str()).header("x-auth-token", TOKEN);
            then.status(200)
                .header("content-type", "text/plain")
                .body(cloud_init);
        })
        .await;
    let value = client
        .get_server_user_data()
        .zone("fr-par-1")
        .server_id(server_id)
        .key("cloud-init")
        .send()
        .await
        .unwrap();
    let bytes = value.into_inner().into_inner();
    let mut text = Vec::new();
    futures_util::pin_mut!(bytes);
    while let Some(chunk) = futures_util::StreamExt::next(&mut bytes).await {
        text.extend_from_slice(&chunk.unwrap());
    }
    get.assert_async().await;
    assert_eq!(String::from_utf8(text).unwrap(), cloud_init);
}

/// A poweron is posted as JSON and answered 202 with the recorded task.
async fn power_on_answers_a_task(
    traffic: &[Value],
    server: &MockServer,
    client: &api::instance_v1::Client,
    server_id: &str,
) {
    let task = recording_body(
        traffic,
        "instance/v1",
        "POST",
        "/instance/v1/zones/{zone}/servers/{id}/action",
    );
    let action_path = format!("/instance/v1/zones/fr-par-1/servers/{server_id}/action");
    let poweron = mock_json(
        server,
        POST,
        &action_path,
        json!({"action": "poweron"}),
        202,
        task.clone(),
    )
    .await;
    let answer = client
        .server_action()
        .zone("fr-par-1")
        .server_id(server_id)
        .body_map(|b| b.action(api::instance_v1::types::ServerAction::Poweron))
        .send()
        .await
        .unwrap();
    poweron.assert_async().await;
    assert_eq!(answer.status(), 202);
    assert_eq!(
        answer.into_inner().task.unwrap().id.as_deref(),
        task["task"]["id"].as_str()
    );
}

#[tokio::test]
async fn recorded_list_queries_replay_on_every_api() {
    let Some(traffic) = recorded_traffic(&RECORDED_FILES, "the wire tests over recorded traffic") else {
        return;
    };
    vpc_v2_list_create_delete_and_error_over(&traffic).await;
    account_v3_list_create_delete_and_error_over(&traffic).await;
    block_v1_list_create_delete_and_error_over(&traffic).await;
    block_v1alpha1_list_create_delete_and_error_over(&traffic).await;
    marketplace_v2_list_get_and_error_over(&traffic).await;
    ipam_v1_list_book_release_and_error_over(&traffic).await;
    instance_v1_list_create_user_data_action_delete_and_error_over(&traffic).await;
}
