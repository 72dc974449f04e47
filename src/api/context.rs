//! The generated clients' way into the runtime: [`ClientContext`], the value every generated
//! client carries, and [`ClientContext::execute`], the hook each of their requests goes through
//! (retries, tracing, error answers made readable).
//!
//! It belongs to `api` because the generated code names it (`super::ClientContext`); the
//! hand-written [`Client`](crate::Client) builds one and hands it to every generated client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use reqwest::ResponseBuilderExt;
use reqwest::header::{HeaderMap, HeaderValue};
use tracing::Instrument;

use crate::api;
use crate::error::{REQUEST_ID, canonical_error_body, register_success_body};
use crate::retry::{self, Failure, RetryPolicy};

/// What the generated clients carry to reach the runtime: the retry policy and the request and
/// retry counters. It is the generated clients' "inner" value; get one from
/// [`Client::context`](crate::Client::context).
#[derive(Clone, Debug)]
pub struct ClientContext {
    retry: RetryPolicy,
    requests: Arc<AtomicU64>,
    retries: Arc<AtomicU64>,
}

impl ClientContext {
    /// A context with its own request counter, for generated clients built without a
    /// [`Client`](crate::Client).
    pub fn new(retry: RetryPolicy) -> ClientContext {
        ClientContext {
            retry,
            requests: Arc::new(AtomicU64::new(0)),
            retries: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Requests sent through this context so far, retries included.
    pub fn request_count(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Retries made through this context so far (see
    /// [`Client::retry_count`](crate::Client::retry_count)).
    pub fn retry_count(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Sends one request of a generated client: with retries, inside a tracing span, and with
    /// error answers normalized so that the generated code can always read them as a Scaleway
    /// error body (429 comes with an empty body; proxies may answer in HTML). A success body is
    /// left to the generated code to decode, once, in a buffer that remembers the answer's status
    /// and request id for an [`Error::Decode`](crate::Error::Decode) if it does not match the
    /// spec; `check` (the module's `check_response_body`) only tells whether an empty body
    /// should have been JSON (see [`ClientContext::reject_empty_body`]).
    #[doc(hidden)]
    pub async fn execute(
        &self,
        http: &reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
        check: api::CheckResponseBody,
    ) -> reqwest::Result<reqwest::Response> {
        let span = tracing::info_span!(
            "scaleway_request",
            operation,
            method = %request.method(),
            path = %request.url().path(),
            status = tracing::field::Empty,
            duration_ms = tracing::field::Empty,
            request_id = tracing::field::Empty,
            attempts = tracing::field::Empty,
        );
        // A span no subscriber wants records nothing: timing the request, reading its answer's
        // request id, and entering and leaving the span at every poll would be work for nothing
        // on every call.
        let recording = !span.is_disabled();
        let started = recording.then(Instant::now);
        let mut attempts = 0u32;
        let sending = retry::send(http, request, &self.retry, operation, || {
            attempts += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            if attempts > 1 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
        });
        let outcome = if recording {
            sending.instrument(span.clone()).await
        } else {
            sending.await
        };
        if let Some(started) = started {
            record_outcome(&span, &outcome, started, attempts);
        }
        span.in_scope(|| tracing::debug!("Scaleway request finished"));
        match outcome {
            Ok(response) if recording => success_answer(response, operation, check).instrument(span).await,
            Ok(response) => success_answer(response, operation, check).await,
            Err(Failure::Transport(e)) => Err(e),
            Err(Failure::Answer {
                status,
                headers,
                body,
            }) => Ok(error_answer(status, headers, body)),
        }
    }
}

/// Writes what became of a request into its span.
fn record_outcome(
    span: &tracing::Span,
    outcome: &Result<reqwest::Response, Failure>,
    started: Instant,
    attempts: u32,
) {
    span.record("duration_ms", started.elapsed().as_millis() as u64);
    span.record("attempts", attempts);
    let (status, headers) = match outcome {
        Ok(response) => (response.status(), response.headers()),
        Err(Failure::Answer { status, headers, .. }) => (*status, headers),
        Err(Failure::Transport(_)) => return,
    };
    span.record("status", status.as_u16());
    if let Some(id) = headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok()) {
        span.record("request_id", tracing::field::display(id));
    }
}

impl ClientContext {
    /// The generated clients' `post` hook: an empty success body of an operation that answers
    /// JSON becomes here the decode error the generated code would make of it. The generated
    /// code would decode a fresh empty buffer that knows nothing of the answer (reqwest does not
    /// hand an empty body's buffer on); this error carries the registered one, so that
    /// [`Error::from`](crate::Error) still finds the answer's status and request id.
    #[doc(hidden)]
    #[allow(clippy::result_large_err)] // the error type is the one progenitor's hook returns
    pub fn reject_empty_body<E>(
        result: &reqwest::Result<reqwest::Response>,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        match result
            .as_ref()
            .ok()
            .and_then(|r| r.extensions().get::<EmptyJsonBody>())
        {
            Some(EmptyJsonBody(body)) => {
                let error = serde_json::from_slice::<serde::de::IgnoredAny>(body)
                    .expect_err("an empty body is not JSON");
                Err(progenitor_client::Error::InvalidResponsePayload(
                    body.clone(),
                    error,
                ))
            }
            None => Ok(()),
        }
    }
}

/// Marks a success answer with an empty body where its operation answers JSON, for
/// [`ClientContext::reject_empty_body`]; holds the body registered with the answer.
#[derive(Clone)]
struct EmptyJsonBody(bytes::Bytes);

/// Reads a success answer's body and rebuilds the answer around it, registered with the answer's
/// status and request id: the generated code decodes it, and a body that does not match the spec
/// reaches [`Error::from`](crate::Error) with them. The status, version, headers and URL go back
/// around the body as they came (the headers moved, not copied); the answer's extensions (details
/// of the connection, which the generated code never reads) are left behind.
async fn success_answer(
    mut response: reqwest::Response,
    operation: &'static str,
    check: api::CheckResponseBody,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let headers = std::mem::take(response.headers_mut());
    let url = response.url().clone();
    let body = response
        .bytes()
        .await
        .map_err(|error| error.with_url(url.clone()))?;
    // reqwest keeps an answer's URL beside it, not in it, and only a response builder can hand it
    // one: without it, reqwest would parse a placeholder URL for every answer.
    let mut parts = match http::Response::builder().url(url).body(()) {
        Ok(with_url) => with_url.into_parts().0,
        // A builder given nothing but a URL has nothing to refuse.
        Err(_) => http::Response::new(()).into_parts().0,
    };
    parts.status = status;
    parts.version = version;
    parts.headers = headers;
    // Whatever its type, an operation that answers JSON fails on an empty body, at once: the
    // check reads nothing.
    let empty_json = body.is_empty() && matches!(check(operation, &body), Some(Err(_)));
    // Any other empty body (no content, an empty text) cannot fail to decode.
    let body = if body.is_empty() && !empty_json {
        body
    } else {
        register_success_body(body, status.as_u16(), &parts.headers, operation)
    };
    if empty_json {
        parts.extensions.insert(EmptyJsonBody(body.clone()));
    }
    Ok(reqwest::Response::from(http::Response::from_parts(parts, body)))
}

/// Rebuilds an error answer whose body was read, with a body the generated code can always parse
/// as a Scaleway error: a JSON object is made to fit the error schema ([`canonical_error_body`]:
/// a field of an unexpected type must not turn the whole answer into an undecodable one, without
/// its status and request id); anything else becomes `{"message": <text>}`, or `{}` when empty.
fn error_answer(
    status: reqwest::StatusCode,
    mut headers: HeaderMap,
    body: bytes::Bytes,
) -> reqwest::Response {
    let value = match serde_json::from_slice::<serde_json::Value>(&body) {
        Ok(serde_json::Value::Object(mut object)) => {
            canonical_error_body(&mut object);
            serde_json::Value::Object(object)
        }
        _ => {
            let text = String::from_utf8_lossy(&body).trim().to_string();
            if text.is_empty() {
                serde_json::json!({})
            } else {
                serde_json::json!({ "message": text })
            }
        }
    };
    let body = serde_json::to_vec(&value).unwrap_or_default();
    headers.insert(
        reqwest::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.remove(reqwest::header::CONTENT_LENGTH);
    let mut response = http::Response::new(body);
    *response.status_mut() = status;
    *response.headers_mut() = headers;
    reqwest::Response::from(response)
}
