//! Lists the servers of the configured zone with the generated Instance client, page by page.
//!
//! Needs real credentials (`SCW_SECRET_KEY`, or a `scw` profile): `cargo run --example list_servers`.

use futures_util::TryStreamExt;
use scaleway_client::{Client, Config, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    let client = Client::new(Config::infer()?)?;
    let instance = client.instance();
    // Lazy: the next page is requested once the loop has read this one.
    let mut servers = instance.list_servers().zone(client.config().zone()).stream();
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
