//! Exact-name lookup over a lazy listing.
//!
//! Scaleway's `name` filters match substrings (`web` finds `web-2`), and a listing may span
//! pages: the one way to find a resource by name is to read the filtered listing lazily and
//! compare each name exactly, stopping at the first match.

use futures_util::{Stream, TryStreamExt};

use crate::Result;

/// The first item of `listing` whose name (as `name_of` reads it) is exactly `name`. Pages are
/// fetched only until it is found.
///
/// ```no_run
/// # async fn example(client: scaleway_client::Client) -> Result<(), scaleway_client::Error> {
/// use scaleway_client::resources::find_by_exact_name;
///
/// let instance = client.instance();
/// let listing = instance.list_security_groups().zone("fr-par-1").name("web").stream();
/// let group = find_by_exact_name(listing, "web", |g| g.name.as_deref()).await?;
/// # let _ = group;
/// # Ok(())
/// # }
/// ```
pub async fn find_by_exact_name<T, S>(
    listing: S,
    name: &str,
    name_of: impl Fn(&T) -> Option<&str>,
) -> Result<Option<T>>
where
    S: Stream<Item = Result<T>>,
{
    let listing = std::pin::pin!(listing);
    listing
        .try_filter(|item| std::future::ready(name_of(item) == Some(name)))
        .try_next()
        .await
}
