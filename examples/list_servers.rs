//! Lists the servers of the configured zone with the generated Instance client, page by page.
//!
//! Needs real credentials (`SCW_SECRET_KEY`, or a `scw` profile): `cargo run --example list_servers`.

use futures_util::TryStreamExt;
use scaleway_sdk::paginate::{DEFAULT_PAGE_SIZE, Page, paginate};
use scaleway_sdk::{Client, Config, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let client = Client::new(Config::infer()?)?;
    let zone = client.config().zone().clone();
    let instance = client.instance();
    let servers = paginate(DEFAULT_PAGE_SIZE, |request| {
        let (instance, zone) = (instance.clone(), zone.clone());
        async move {
            let answer = instance
                .list_servers()
                .zone(&zone)
                .page(request.page as i32)
                .per_page(request.size)
                .send()
                .await?;
            Ok(Page::from_instance(answer, |body| body.servers))
        }
    });
    futures_util::pin_mut!(servers);
    while let Some(server) = servers.try_next().await? {
        println!(
            "{:<38} {:<20} {}",
            server.id.unwrap_or_default(),
            server.name.unwrap_or_default(),
            server.state
        );
    }
    println!("{} API call(s)", client.request_count());
    Ok(())
}
