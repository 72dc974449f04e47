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
//! Every list operation of the generated clients has a `stream()` on its builder that returns a
//! [`Listing`]: the builder's parameters are sent with every page, `page` and the page size are
//! set by the listing.
//!
//! ```no_run
//! # async fn example(client: scaleway_client::Client) -> Result<(), scaleway_client::Error> {
//! use futures_util::TryStreamExt;
//!
//! let zone = client.config().zone();
//! let servers: Vec<_> = client
//!     .instance()
//!     .list_servers()
//!     .zone(zone)
//!     .stream()
//!     .try_collect()
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! [`paginate`] remains for listings the generated clients do not describe.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::BoxStream;
use futures_util::{Stream, TryStreamExt, stream};
use progenitor_client::ResponseValue;

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

/// Every item of a generated list operation, fetched a page at a time as the stream is read: what
/// the builders' `stream()` returns.
///
/// The first page is requested at the first poll, the next one only once the consumer has read
/// the previous one; the stop rules are [`paginate`]'s. Pages hold [`DEFAULT_PAGE_SIZE`] items
/// unless [`Listing::page_size`] says otherwise. The listing borrows the generated client (`'a`).
///
/// ```no_run
/// # async fn example(client: scaleway_client::Client) -> Result<(), scaleway_client::Error> {
/// use futures_util::TryStreamExt;
///
/// let vpc = client.vpc();
/// let mut networks = vpc.list_private_networks().region("fr-par").stream().page_size(20);
/// while let Some(network) = networks.try_next().await? {
///     println!("{:?}", network.name);
/// }
/// # Ok(())
/// # }
/// ```
pub struct Listing<'a, T> {
    page_size: u32,
    /// Builds the stream of items for a page size; taken at the first poll.
    start: Option<StartListing<'a, T>>,
    items: Option<BoxStream<'a, Result<T>>>,
}

/// What a [`Listing`] holds until it is first polled: the page size is only known then.
type StartListing<'a, T> = Box<dyn FnOnce(u32) -> BoxStream<'a, Result<T>> + Send + 'a>;

// The two constructors are called by the generated modules only: which of them a build uses
// depends on the API modules its features keep (Instance v1 pages one way, the others the other).
#[allow(dead_code)]
impl<'a, T: Send + 'a> Listing<'a, T> {
    /// Asks for pages of `size` items (at least 1) instead of [`DEFAULT_PAGE_SIZE`]. Instance v1
    /// accepts at most 100 and refuses more; a smaller page makes more calls for the same items.
    ///
    /// Only the size set before the first poll counts: a listing under way keeps its size.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = size;
        self
    }

    /// A listing of an operation that puts the total in the `X-Total-Count` header (Instance v1):
    /// `send_page` sends a copy of `builder` for one page, `items` takes the page's items out of
    /// the body (a list, or a map read as `(key, value)` pairs).
    pub(crate) fn total_in_header<B, Body, E, Fut, Items>(
        builder: B,
        send_page: impl Fn(B, PageRequest) -> Fut + Send + 'a,
        items: fn(Body) -> Items,
    ) -> Self
    where
        B: Clone + Send + 'a,
        Fut: Future<Output = std::result::Result<ResponseValue<Body>, progenitor_client::Error<E>>>
            + Send
            + 'a,
        Body: 'a,
        Items: IntoIterator<Item = T> + 'a,
        Error: From<progenitor_client::Error<E>>,
    {
        Listing::from_pages(builder, send_page, move |answer| {
            Page::from_instance(answer, |body| items(body).into_iter().collect())
        })
    }

    /// A listing of an operation that puts the total in the body's `total_count` (every API but
    /// Instance v1): `items_and_total` takes the page's items and the total out of the body.
    pub(crate) fn total_in_body<B, Body, E, Fut, Items, Total>(
        builder: B,
        send_page: impl Fn(B, PageRequest) -> Fut + Send + 'a,
        items_and_total: fn(Body) -> (Items, Option<Total>),
    ) -> Self
    where
        B: Clone + Send + 'a,
        Fut: Future<Output = std::result::Result<ResponseValue<Body>, progenitor_client::Error<E>>>
            + Send
            + 'a,
        Body: 'a,
        Items: IntoIterator<Item = T> + 'a,
        Total: TryInto<u64> + 'a,
        Error: From<progenitor_client::Error<E>>,
    {
        Listing::from_pages(builder, send_page, move |answer| {
            let (items, total) = items_and_total(answer.into_inner());
            // A total that is no count (negative) is as good as none: the short page ends it.
            Page::new(
                items.into_iter().collect(),
                total.and_then(|total| total.try_into().ok()),
            )
        })
    }

    fn from_pages<B, Body, E, Fut>(
        builder: B,
        send_page: impl Fn(B, PageRequest) -> Fut + Send + 'a,
        page_of: impl Fn(ResponseValue<Body>) -> Page<T> + Copy + Send + 'a,
    ) -> Self
    where
        B: Clone + Send + 'a,
        Fut: Future<Output = std::result::Result<ResponseValue<Body>, progenitor_client::Error<E>>>
            + Send
            + 'a,
        Error: From<progenitor_client::Error<E>>,
    {
        let start = move |page_size: u32| -> BoxStream<'a, Result<T>> {
            Box::pin(paginate(page_size, move |request| {
                let answer = send_page(builder.clone(), request);
                async move {
                    let answer = answer.await?;
                    Ok(page_of(answer))
                }
            }))
        };
        Listing {
            page_size: DEFAULT_PAGE_SIZE,
            start: Some(Box::new(start)),
            items: None,
        }
    }
}

impl<T> Stream for Listing<'_, T> {
    type Item = Result<T>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        // Every field is Unpin (boxes), so the listing is too.
        let this = self.get_mut();
        if let Some(start) = this.start.take() {
            this.items = Some(start(this.page_size));
        }
        let Some(items) = &mut this.items else {
            return Poll::Ready(None);
        };
        let next = items.as_mut().poll_next(cx);
        if let Poll::Ready(None) = next {
            // The paging stream must not be polled once it has ended; the listing may be.
            this.items = None;
        }
        next
    }
}

impl<T> fmt::Debug for Listing<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("page_size", &self.page_size)
            .field("started", &self.start.is_none())
            .finish_non_exhaustive()
    }
}
