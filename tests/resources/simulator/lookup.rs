//! `find_by_exact_name`: exact names over substring-filtered, paged listings.

use scaleway_client::paginate::{Page, paginate};
use scaleway_client::resources::{SecurityGroupSpec, find_by_exact_name};

use super::env;

#[tokio::test]
async fn the_exact_name_is_found_across_pages_among_substring_matches() {
    // Longer than a screen on purpose: one set of look-alike names, looked up in every way the
    // layer offers, so that the answers can be compared.
    let env = env().await;
    let scw = &env.scw;
    // `web-1` … `web-4` come before `web` in the listing.
    let mut made = Vec::new();
    for name in ["web-1", "web-2", "web-3", "web-4", "web"] {
        made.push(
            scw.security_groups()
                .find_or_create(name, &SecurityGroupSpec::closed())
                .await
                .unwrap()
                .id
                .unwrap(),
        );
    }
    let pages = std::sync::atomic::AtomicU32::new(0);
    let instance = scw.client().instance();
    let project = env.sim.project_id().to_string();
    let listing = paginate(2, |request| {
        pages.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let instance = instance.clone();
        let project = project.clone();
        async move {
            let answer = instance
                .list_security_groups()
                .zone("fr-par-1")
                .project(project.as_str())
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
        .unwrap()
        .unwrap();
    assert_eq!(found.id.as_deref(), Some(made[4].as_str()));
    assert_eq!(
        pages.load(std::sync::atomic::Ordering::SeqCst),
        3,
        "five groups, two a page"
    );

    let missing = paginate(2, |request| {
        let instance = instance.clone();
        let project = project.clone();
        async move {
            let answer = instance
                .list_security_groups()
                .zone("fr-par-1")
                .project(project.as_str())
                .name("we")
                .page(request.page as i32)
                .per_page(request.size)
                .send()
                .await?;
            Ok(Page::from_instance(answer, |body| body.security_groups))
        }
    });
    assert!(
        find_by_exact_name(missing, "we", |g| g.name.as_deref())
            .await
            .unwrap()
            .is_none()
    );

    for id in &made {
        scw.security_groups().delete(id).await.unwrap();
    }
    env.assert_nothing_left();
}
