//! Both pagination styles at the wire, with exact call counts.

use futures_util::{StreamExt, TryStreamExt};
use httpmock::prelude::*;
use scaleway_client::paginate::{DEFAULT_PAGE_SIZE, Page, PageRequest, collect_all, paginate};
use scaleway_client::{Client, Error, RetryPolicy};
use serde_json::{Value, json};

use crate::common;

fn client(server: &MockServer) -> Client {
    common::client(common::mock_config(server.base_url()), RetryPolicy::none())
}

fn servers(from: usize, count: usize) -> Value {
    Value::Array(
        (from..from + count)
            .map(|i| json!({"id": format!("srv-{i}"), "name": format!("server-{i}")}))
            .collect(),
    )
}

fn networks(from: usize, count: usize) -> Value {
    Value::Array(
        (from..from + count)
            .map(|i| json!({"id": format!("pn-{i}"), "name": format!("net-{i}")}))
            .collect(),
    )
}

/// Mocks one Instance page: `page` and `per_page` in the query, total in `X-Total-Count`.
async fn instance_page<'a>(
    server: &'a MockServer,
    page: u32,
    items: Value,
    total: usize,
) -> httpmock::Mock<'a> {
    server
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/instance/v1/zones/fr-par-1/servers")
                .query_param("page", page.to_string())
                .query_param("per_page", "100");
            then.status(200)
                .header("content-type", "application/json")
                .header("x-total-count", total.to_string())
                .json_body(json!({ "servers": items }));
        })
        .await
}

async fn list_servers(client: &Client) -> Result<Vec<String>, Error> {
    let instance = client.instance();
    collect_all(DEFAULT_PAGE_SIZE, |request: PageRequest| {
        let instance = instance.clone();
        async move {
            let answer = instance
                .list_servers()
                .zone("fr-par-1")
                .page(request.page as i32)
                .per_page(request.size)
                .send()
                .await?;
            Ok(Page::from_instance(answer, |body| body.servers))
        }
    })
    .await
    .map(|servers| servers.into_iter().filter_map(|s| s.id).collect())
}

#[tokio::test]
async fn instance_style_reads_every_page_and_stops_at_the_total() {
    let server = MockServer::start_async().await;
    let p1 = instance_page(&server, 1, servers(0, 100), 250).await;
    let p2 = instance_page(&server, 2, servers(100, 100), 250).await;
    let p3 = instance_page(&server, 3, servers(200, 50), 250).await;
    let ids = list_servers(&client(&server)).await.unwrap();
    assert_eq!(ids.len(), 250);
    assert_eq!(ids[0], "srv-0");
    assert_eq!(ids[249], "srv-249");
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    p3.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_total_that_is_a_multiple_of_the_page_size_costs_no_extra_call() {
    let server = MockServer::start_async().await;
    let p1 = instance_page(&server, 1, servers(0, 100), 200).await;
    let p2 = instance_page(&server, 2, servers(100, 100), 200).await;
    let client = client(&server);
    assert_eq!(list_servers(&client).await.unwrap().len(), 200);
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn an_empty_listing_is_one_call() {
    let server = MockServer::start_async().await;
    let p1 = instance_page(&server, 1, json!([]), 0).await;
    let client = client(&server);
    assert!(list_servers(&client).await.unwrap().is_empty());
    p1.assert_calls_async(1).await;
    assert_eq!(client.request_count(), 1);
}

#[tokio::test]
async fn a_total_that_grows_during_the_listing_is_followed() {
    let server = MockServer::start_async().await;
    // 150 when the listing starts; 230 by the time page 2 is read.
    let p1 = instance_page(&server, 1, servers(0, 100), 150).await;
    let p2 = instance_page(&server, 2, servers(100, 100), 230).await;
    let p3 = instance_page(&server, 3, servers(200, 30), 230).await;
    assert_eq!(list_servers(&client(&server)).await.unwrap().len(), 230);
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    p3.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_total_that_shrinks_during_the_listing_ends_at_the_short_page() {
    let server = MockServer::start_async().await;
    let p1 = instance_page(&server, 1, servers(0, 100), 300).await;
    let p2 = instance_page(&server, 2, servers(100, 40), 140).await;
    let client = client(&server);
    assert_eq!(list_servers(&client).await.unwrap().len(), 140);
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn pages_shorter_than_asked_are_followed_while_the_total_says_more_remain() {
    // products/servers answers 50 per page whatever per_page says.
    let server = MockServer::start_async().await;
    let p1 = instance_page(&server, 1, servers(0, 50), 120).await;
    let p2 = instance_page(&server, 2, servers(50, 50), 120).await;
    let p3 = instance_page(&server, 3, servers(100, 20), 120).await;
    assert_eq!(list_servers(&client(&server)).await.unwrap().len(), 120);
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    p3.assert_calls_async(1).await;
}

#[tokio::test]
async fn without_a_total_a_short_page_is_the_last() {
    let server = MockServer::start_async().await;
    let p1 = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/instance/v1/zones/fr-par-1/servers")
                .query_param("page", "1");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({ "servers": servers(0, 7) }));
        })
        .await;
    assert_eq!(list_servers(&client(&server)).await.unwrap().len(), 7);
    p1.assert_calls_async(1).await;
}

/// Mocks one VPC page: `page` and `page_size` in the query, `total_count` in the body.
async fn vpc_page<'a>(server: &'a MockServer, page: u32, items: Value, total: usize) -> httpmock::Mock<'a> {
    server
        .mock_async(move |when, then| {
            when.method(GET)
                .path("/vpc/v2/regions/fr-par/private-networks")
                .query_param("page", page.to_string())
                .query_param("page_size", "2");
            then.status(200)
                .header("content-type", "application/json")
                .json_body(json!({ "private_networks": items, "total_count": total }));
        })
        .await
}

#[tokio::test]
async fn body_total_style_is_lazy_and_exact() {
    let server = MockServer::start_async().await;
    let p1 = vpc_page(&server, 1, networks(0, 2), 5).await;
    let p2 = vpc_page(&server, 2, networks(2, 2), 5).await;
    let p3 = vpc_page(&server, 3, networks(4, 1), 5).await;
    let client = client(&server);
    let vpc = client.vpc();
    let stream = paginate(2, |request| {
        let vpc = vpc.clone();
        async move {
            let answer = vpc
                .list_private_networks()
                .region("fr-par")
                .page(request.page as i32)
                .page_size(request.size)
                .send()
                .await?
                .into_inner();
            Ok(Page::new(
                answer.private_networks,
                answer.total_count.map(u64::from),
            ))
        }
    });
    let mut stream = Box::pin(stream);

    // Lazy: taking the first three items reads two pages only.
    let first: Vec<_> = stream.as_mut().take(3).try_collect().await.unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(client.request_count(), 2);
    p3.assert_calls_async(0).await;

    let rest: Vec<_> = stream.try_collect().await.unwrap();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[1].id.as_deref(), Some("pn-4"));
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    p3.assert_calls_async(1).await;
}

#[tokio::test]
async fn an_error_on_a_later_page_is_yielded_and_ends_the_stream() {
    let server = MockServer::start_async().await;
    vpc_page(&server, 1, networks(0, 2), 5).await;
    server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/vpc/v2/regions/fr-par/private-networks")
                .query_param("page", "2");
            then.status(403)
                .header("content-type", "application/json")
                .json_body(json!({"type": "permissions_denied", "message": "insufficient permissions"}));
        })
        .await;
    let client = client(&server);
    let vpc = client.vpc();
    let items: Vec<Result<_, Error>> = paginate(2, |request| {
        let vpc = vpc.clone();
        async move {
            let answer = vpc
                .list_private_networks()
                .region("fr-par")
                .page(request.page as i32)
                .page_size(request.size)
                .send()
                .await?
                .into_inner();
            Ok(Page::new(
                answer.private_networks,
                answer.total_count.map(u64::from),
            ))
        }
    })
    .collect()
    .await;
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert!(
        matches!(items[2], Err(Error::PermissionDenied { .. })),
        "{:?}",
        items[2]
    );
    assert_eq!(client.request_count(), 2);
}

// ----------------------------------------------------------------------------------------------
// the generated `stream()` of list operations

#[tokio::test]
async fn a_stream_sends_the_builder_parameters_with_page_and_per_page_on_every_page() {
    let server = MockServer::start_async().await;
    // Exactly `tags`, `page` and `per_page`: nothing else is added, nothing dropped.
    let page = |page: u32, from: usize, count: usize| {
        let server = &server;
        async move {
            server
                .mock_async(move |when, then| {
                    when.method(GET)
                        .path("/instance/v1/zones/fr-par-1/servers")
                        .query_param("tags", "web")
                        .query_param("page", page.to_string())
                        .query_param("per_page", "100")
                        .query_param_count(".*", ".*", 3);
                    then.status(200)
                        .header("content-type", "application/json")
                        .header("x-total-count", "250")
                        .json_body(json!({ "servers": servers(from, count) }));
                })
                .await
        }
    };
    let p1 = page(1, 0, 100).await;
    let p2 = page(2, 100, 100).await;
    let p3 = page(3, 200, 50).await;
    let client = client(&server);
    let instance = client.instance();
    let servers: Vec<_> = instance
        .list_servers()
        .zone("fr-par-1")
        .tags("web")
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(servers.len(), 250);
    assert_eq!(servers[0].id.as_deref(), Some("srv-0"));
    assert_eq!(servers[249].id.as_deref(), Some("srv-249"));
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    p3.assert_calls_async(1).await;
    assert_eq!(client.request_count(), 3);
}

#[tokio::test]
async fn a_stream_reads_the_body_total_and_asks_the_chosen_page_size_lazily() {
    let server = MockServer::start_async().await;
    let p1 = vpc_page(&server, 1, networks(0, 2), 5).await;
    let p2 = vpc_page(&server, 2, networks(2, 2), 5).await;
    let p3 = vpc_page(&server, 3, networks(4, 1), 5).await;
    let client = client(&server);
    let vpc = client.vpc();
    let mut networks = vpc.list_private_networks().region("fr-par").stream().page_size(2);
    assert_eq!(
        client.request_count(),
        0,
        "nothing is sent before the stream is read"
    );

    // Lazy: the third item needs the second page only.
    let first: Vec<_> = (&mut networks).take(3).try_collect().await.unwrap();
    assert_eq!(first.len(), 3);
    assert_eq!(client.request_count(), 2);
    p3.assert_calls_async(0).await;

    let rest: Vec<_> = (&mut networks).try_collect().await.unwrap();
    assert_eq!(rest.len(), 2);
    assert_eq!(rest[1].id.as_deref(), Some("pn-4"));
    // An ended listing stays ended, with no further call.
    assert!(networks.next().await.is_none());
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
    p3.assert_calls_async(1).await;
    assert_eq!(client.request_count(), 3);
}

#[tokio::test]
async fn a_map_listing_streams_its_entries_as_pairs() {
    let server = MockServer::start_async().await;
    let page = |page: u32, names: &'static [&'static str]| {
        let server = &server;
        async move {
            let types: serde_json::Map<String, Value> = names
                .iter()
                .map(|name| (name.to_string(), json!({"ncpus": 2, "arch": "x86_64"})))
                .collect();
            server
                .mock_async(move |when, then| {
                    when.method(GET)
                        .path("/instance/v1/zones/fr-par-1/products/servers")
                        .query_param("page", page.to_string())
                        .query_param("per_page", "2")
                        .query_param_count(".*", ".*", 2);
                    then.status(200)
                        .header("content-type", "application/json")
                        .header("x-total-count", "3")
                        .json_body(json!({ "servers": types }));
                })
                .await
        }
    };
    let p1 = page(1, &["DEV1-M", "DEV1-S"]).await;
    let p2 = page(2, &["GP1-XS"]).await;
    let client = client(&server);
    let instance = client.instance();
    let types: Vec<(String, _)> = instance
        .list_servers_types()
        .zone("fr-par-1")
        .stream()
        .page_size(2)
        .try_collect()
        .await
        .unwrap();
    let names: Vec<&str> = types.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["DEV1-M", "DEV1-S", "GP1-XS"]);
    assert_eq!(types[0].1.ncpus, Some(2));
    p1.assert_calls_async(1).await;
    p2.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_stream_yields_an_answer_error_once_and_ends() {
    let server = MockServer::start_async().await;
    vpc_page(&server, 1, networks(0, 2), 5).await;
    let refused = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/vpc/v2/regions/fr-par/private-networks")
                .query_param("page", "2");
            then.status(403)
                .header("content-type", "application/json")
                .json_body(json!({"type": "permissions_denied", "message": "insufficient permissions"}));
        })
        .await;
    let client = client(&server);
    let vpc = client.vpc();
    let items: Vec<Result<_, Error>> = vpc
        .list_private_networks()
        .region("fr-par")
        .stream()
        .page_size(2)
        .collect()
        .await;
    assert_eq!(items.len(), 3);
    assert!(items[0].is_ok() && items[1].is_ok());
    assert!(
        matches!(items[2], Err(Error::PermissionDenied { .. })),
        "{:?}",
        items[2]
    );
    refused.assert_calls_async(1).await;
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn a_stream_whose_builder_is_incomplete_fails_without_a_request() {
    let server = MockServer::start_async().await;
    let client = client(&server);
    let instance = client.instance();
    // No zone: the generated builder refuses to build the request.
    let items: Vec<Result<_, Error>> = instance.list_servers().stream().collect().await;
    assert_eq!(items.len(), 1);
    assert!(
        matches!(&items[0], Err(Error::InvalidInput { reason, .. }) if reason.contains("zone")),
        "{:?}",
        items[0]
    );
    assert_eq!(client.request_count(), 0);
}
