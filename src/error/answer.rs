//! What an API answer says about itself.

use reqwest::header::{HeaderMap, HeaderValue};

/// What an API answer says about itself, whatever its body: its status, its `X-Request-Id` (which
/// Scaleway support asks for) and, for an error answer, the Scaleway error `type`.
///
/// Every [`Error`](crate::Error) variant that comes from an answer carries one, boxed, as its
/// `answer` field (the variants stay small); [`Error::answer`](crate::Error::answer),
/// [`Error::status`](crate::Error::status) and [`Error::request_id`](crate::Error::request_id) read
/// it.
///
/// ```
/// use scaleway_sdk::Error;
/// use scaleway_sdk::error::ApiAnswer;
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
            request_id: request_id(headers.get("x-request-id")),
            kind,
        }
    }
}

fn request_id(header: Option<&HeaderValue>) -> Option<String> {
    header.and_then(|v| v.to_str().ok()).map(str::to_string)
}
