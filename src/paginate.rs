//! Listings as lazy streams.
//!
//! Scaleway paginates in two styles: Instance v1 takes `page` and `per_page` and puts the total in
//! the `X-Total-Count` header; the other APIs take `page` and `page_size` and put `total_count` in
//! the body. Both become a [`Page`] and [`paginate`] turns a page fetcher into a stream of items
//! that asks for the next page only when the consumer gets there.
//!
//! The stream stops at an empty page, or once it has yielded as many items as the latest page's
//! total says; when the API gives no total, at the first page shorter than the page size. Using
//! the latest total means a listing whose total changes while it is read (resources created or
//! deleted meanwhile) still ends, without an extra call in the common case, and an API that
//! answers fewer items per page than asked is still read to the end.
//!
//! ```no_run
//! # async fn example(client: scaleway_sdk::Client) -> Result<(), scaleway_sdk::Error> {
//! use futures_util::TryStreamExt;
//! use scaleway_sdk::paginate::{Page, paginate, DEFAULT_PAGE_SIZE};
//!
//! let instance = client.instance();
//! let zone = client.config().zone().clone();
//! let servers: Vec<_> = paginate(DEFAULT_PAGE_SIZE, |request| {
//!     let (instance, zone) = (instance.clone(), zone.clone());
//!     async move {
//!         let answer = instance
//!             .list_servers()
//!             .zone(&zone)
//!             .page(request.page as i32)
//!             .per_page(request.size)
//!             .send()
//!             .await?;
//!         Ok(Page::from_instance(answer, |body| body.servers))
//!     }
//! })
//! .try_collect()
//! .await?;
//! # Ok(())
//! # }
//! ```

use std::future::Future;

use futures_util::{Stream, TryStreamExt, stream};

use crate::error::{Error, Result};

/// Items per page unless told otherwise: 100, the most Instance v1 accepts, to make as few calls
/// as possible.
pub const DEFAULT_PAGE_SIZE: u32 = 100;

/// Which page to fetch (1-based) and how many items per page to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    /// Page number, from 1.
    pub page: u32,
    /// Items per page (`per_page` or `page_size`).
    pub size: u32,
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// The page's items.
    pub items: Vec<T>,
    /// The total number of items of the listing, when the API said.
    pub total: Option<u64>,
}

impl<T> Page<T> {
    /// A page with a total from the body (`total_count`, as VPC, Block, Account and
    /// Marketplace answer).
    pub fn new(items: Vec<T>, total: Option<u64>) -> Page<T> {
        Page { items, total }
    }

    /// An Instance v1 page: the items from the body, the total from `X-Total-Count`.
    pub fn from_instance<B>(
        answer: progenitor_client::ResponseValue<B>,
        items: impl FnOnce(B) -> Vec<T>,
    ) -> Page<T> {
        let total = total_count_header(answer.headers());
        Page {
            items: items(answer.into_inner()),
            total,
        }
    }
}

/// The `X-Total-Count` header of an Instance v1 list answer.
pub fn total_count_header(headers: &reqwest::header::HeaderMap) -> Option<u64> {
    headers.get("x-total-count")?.to_str().ok()?.trim().parse().ok()
}

struct State<F> {
    fetch: F,
    page: u32,
    size: u32,
    yielded: u64,
    done: bool,
}

/// Streams every item of a listing, fetching pages of `page_size` items (at least 1) on demand.
///
/// `fetch` is called with the page to get; its errors end the stream after being yielded once.
pub fn paginate<T, F, Fut>(page_size: u32, fetch: F) -> impl Stream<Item = Result<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    let state = State {
        fetch,
        page: 1,
        size: page_size.max(1),
        yielded: 0,
        done: false,
    };
    stream::try_unfold(state, |mut state| async move {
        if state.done {
            return Ok::<_, Error>(None);
        }
        let request = PageRequest {
            page: state.page,
            size: state.size,
        };
        let page = (state.fetch)(request).await?;
        let count = page.items.len() as u64;
        state.yielded += count;
        state.page += 1;
        // With a total, it decides: a page shorter than asked may only mean the API caps the
        // page size (products/servers answers 50 whatever `per_page` says). Without one, a
        // short page is the last.
        state.done = count == 0
            || match page.total {
                Some(total) => state.yielded >= total,
                None => count < u64::from(state.size),
            };
        Ok(Some((
            stream::iter(page.items.into_iter().map(Ok::<T, Error>)),
            state,
        )))
    })
    .try_flatten()
}

/// Every item of a listing, in one vector.
pub async fn collect_all<T, F, Fut>(page_size: u32, fetch: F) -> Result<Vec<T>>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>>>,
{
    paginate(page_size, fetch).try_collect().await
}
