//! `find_by_exact_name`: exact names over a lazy listing, reading pages only until found.

use futures_util::stream;
use httpmock::prelude::*;
use scaleway_client::paginate::{Page, paginate};
use scaleway_client::resources::find_by_exact_name;
use serde_json::json;

use super::*;
use crate::common::mock_api::*;

async fn mock_page<'a>(api: &'a Api, page: &str, names: &[&str]) -> httpmock::Mock<'a> {
    let groups: Vec<_> = names
        .iter()
        .map(|n| security_group(GROUP_ID, n, json!([])))
        .collect();
    api.on(GET, inst("/security_groups"))
        .query(&[("name", "web"), ("page", page), ("per_page", "1")])
        .total(3)
        .reply(200, json!({"security_groups": groups}))
        .mount()
        .await
}

#[tokio::test]
async fn stops_reading_pages_at_the_exact_match() {
    let api = Api::start().await;
    // Pages of one: `web-2` matches the API's substring filter, not the name.
    let first = mock_page(&api, "1", &["web-2"]).await;
    let second = mock_page(&api, "2", &["web"]).await;
    let third = mock_page(&api, "3", &["web-old"]).await;
    api.seal().await;
    let instance = api.client("fr-par-1").instance();

    let listing = paginate(1, |request| {
        let instance = instance.clone();
        async move {
            let answer = instance
                .list_security_groups()
                .zone("fr-par-1")
                .name("web")
                .page(request.page as i32)
                .per_page(request.size)
                .send()
                .await?;
            Ok(Page::from_instance(answer, |body| body.security_groups))
        }
    });
    let found = find_by_exact_name(listing, "web", |g| g.name.as_deref())
        .await
        .unwrap();

    assert_eq!(found.and_then(|g| g.name).as_deref(), Some("web"));
    first.assert_calls_async(1).await;
    second.assert_calls_async(1).await;
    third.assert_calls_async(0).await;
    api.finish().await;
}

#[tokio::test]
async fn finds_nothing_when_no_name_is_exact_and_passes_errors_on() {
    let names = ["web-1", "Web", "web "];
    let listing = stream::iter(names.iter().map(|n| Ok(n.to_string())));
    assert_eq!(
        find_by_exact_name(listing, "web", |n: &String| Some(n.as_str()))
            .await
            .unwrap(),
        None
    );

    let failing = stream::iter(vec![
        Ok("web-1".to_string()),
        Err(Error::invalid_input("page", "broken")),
        Ok("web".to_string()),
    ]);
    assert_invalid(
        find_by_exact_name(failing, "web", |n: &String| Some(n.as_str())).await,
        "page",
    );
}
