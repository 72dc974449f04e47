//! What an API answer says about itself, and the link from a success body to its answer.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, PoisonError};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// What an API answer says about itself, whatever its body: its status, its `X-Request-Id` (which
/// Scaleway support asks for) and, for an error answer, the Scaleway error `type`.
///
/// Every [`Error`](crate::Error) variant that comes from an answer carries one, boxed, as its
/// `answer` field (the variants stay small); [`Error::answer`](crate::Error::answer),
/// [`Error::status`](crate::Error::status) and [`Error::request_id`](crate::Error::request_id) read
/// it.
///
/// ```
/// use scaleway_client::Error;
/// use scaleway_client::error::ApiAnswer;
///
/// fn support_ticket(err: &Error) -> Option<String> {
///     let answer: &ApiAnswer = err.answer()?;
///     let kind = answer.kind.as_deref().unwrap_or("no error type");
///     Some(format!("{} ({kind}) on request {}", answer.status, answer.request_id.as_deref()?))
/// }
/// # let _ = support_ticket;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiAnswer {
    /// The HTTP status.
    pub status: u16,
    /// The answer's `X-Request-Id`, when it had a readable one.
    pub request_id: Option<String>,
    /// The `type` of a Scaleway error body (`not_found`, `transient_state`, `quotas_exceeded`,
    /// ...), when it had one.
    pub kind: Option<String>,
}

impl ApiAnswer {
    /// The answer with this status and these headers; `kind` is its error body's `type`.
    pub(crate) fn from_headers(status: u16, headers: &HeaderMap, kind: Option<String>) -> ApiAnswer {
        ApiAnswer {
            status,
            request_id: request_id(headers.get(&REQUEST_ID)),
            kind,
        }
    }
}

/// The header Scaleway support asks for. A name made once: looking a header up by `&str` checks
/// and lowercases the name at every call.
pub(crate) const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

fn request_id(header: Option<&HeaderValue>) -> Option<String> {
    header.and_then(|v| v.to_str().ok()).map(str::to_string)
}

/// A success body on its way to the generated code, which decodes it.
///
/// The generated code reports a body that does not decode as
/// `progenitor_client::Error::InvalidResponsePayload(body, error)`: the body, without the
/// answer's status and headers, and there is no hook between the runtime and that decode. So the
/// runtime hands the generated code the body in a [`Bytes`] whose owner registers the answer
/// under the address of the body's bytes for as long as they live; [`answer_of_body`] finds it
/// again from the [`Bytes`] the error carries. An address identifies one body: two bodies alive
/// at the same time do not share memory, and the registration goes before the memory does.
///
/// This relies on reqwest handing the generated code the very allocation of a response rebuilt
/// from an `http::Response<Bytes>` (`tests/runtime/client.rs` checks that it does). The
/// alternative, decoding each body in the runtime to check it while its answer is at hand, costs
/// a second decode of every success answer.
pub(crate) fn register_success_body(
    body: Bytes,
    status: u16,
    headers: &HeaderMap,
    operation: &'static str,
) -> Bytes {
    let anchor = body.is_empty().then(|| Box::new(0));
    // Heap addresses: moving the owner into the `Bytes` does not change them.
    let address = match &anchor {
        Some(anchor) => std::ptr::from_ref::<u8>(anchor) as usize,
        None => body.as_ptr() as usize,
    };
    let answer = RegisteredAnswer {
        status,
        request_id: headers.get(&REQUEST_ID).cloned(),
        operation,
    };
    registry().insert(address, answer);
    Bytes::from_owner(RegisteredBody {
        body,
        anchor,
        address,
    })
}

/// The answer a success body handed to the generated code came with, and the operation that
/// received it; `None` for any other bytes.
pub(crate) fn answer_of_body(body: &Bytes) -> Option<(ApiAnswer, &'static str)> {
    let registry = registry();
    let registered = registry.get(&(body.as_ptr() as usize))?;
    let answer = ApiAnswer {
        status: registered.status,
        request_id: request_id(registered.request_id.as_ref()),
        kind: None,
    };
    Some((answer, registered.operation))
}

struct RegisteredAnswer {
    status: u16,
    // The header as it came (a cheap clone), read as text only when an error needs it.
    request_id: Option<HeaderValue>,
    operation: &'static str,
}

type Registry = HashMap<usize, RegisteredAnswer>;

static REGISTRY: LazyLock<Mutex<Registry>> = LazyLock::new(Mutex::default);

fn registry() -> std::sync::MutexGuard<'static, Registry> {
    // Nothing panics while holding the lock, and the map stays consistent if something did.
    REGISTRY.lock().unwrap_or_else(PoisonError::into_inner)
}

struct RegisteredBody {
    body: Bytes,
    // Every empty `Bytes` may point at the same place, so an empty body gets an allocation of
    // its own and is shown as the empty slice at its start: a unique address for the registry.
    anchor: Option<Box<u8>>,
    address: usize,
}

impl AsRef<[u8]> for RegisteredBody {
    fn as_ref(&self) -> &[u8] {
        match &self.anchor {
            Some(anchor) => &std::slice::from_ref(anchor.as_ref())[..0],
            None => &self.body,
        }
    }
}

impl Drop for RegisteredBody {
    fn drop(&mut self) {
        // Runs before the fields (and the memory the address names) are freed.
        registry().remove(&self.address);
    }
}
