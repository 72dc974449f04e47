//! The generated clients' way into the runtime: [`ClientContext`], the value every generated
//! client carries, and [`ClientContext::execute`], the hook each of their requests goes through
//! (retries, tracing, error answers made readable).
//!
//! It belongs to `api` because the generated code names it (`super::ClientContext`); the
//! hand-written [`Client`](crate::Client) builds one and hands it to every generated client.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use reqwest::header::{HeaderMap, HeaderValue};
use tracing::Instrument;

use crate::api;
use crate::error::{UndecodableAnswer, canonical_error_body, payload_mismatch};
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
    /// checked against the operation's generated type (`check`) while its request id is at hand;
    /// one that does not match is marked for [`ClientContext::reject_undecodable`].
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
        let started = Instant::now();
        let mut attempts = 0u32;
        let outcome = retry::send(http, request, &self.retry, operation, || {
            attempts += 1;
            self.requests.fetch_add(1, Ordering::Relaxed);
            if attempts > 1 {
                self.retries.fetch_add(1, Ordering::Relaxed);
            }
        })
        .instrument(span.clone())
        .await;
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        span.record("attempts", attempts);
        let (status, headers) = match &outcome {
            Ok(response) => (Some(response.status()), Some(response.headers())),
            Err(Failure::Answer { status, headers, .. }) => (Some(*status), Some(headers)),
            Err(Failure::Transport(_)) => (None, None),
        };
        if let Some(status) = status {
            span.record("status", status.as_u16());
        }
        if let Some(id) = headers
            .and_then(|h| h.get("x-request-id"))
            .and_then(|v| v.to_str().ok())
        {
            span.record("request_id", tracing::field::display(id));
        }
        span.in_scope(|| tracing::debug!("Scaleway request finished"));
        match outcome {
            Ok(response) => checked_success(response, operation, check).instrument(span).await,
            Err(Failure::Transport(e)) => Err(e),
            Err(Failure::Answer {
                status,
                headers,
                body,
            }) => Ok(error_answer(status, headers, body)),
        }
    }
}

impl ClientContext {
    /// The generated clients' `post` hook: a success answer that [`ClientContext::execute`] found
    /// not to match the spec becomes an error here, before the generated code decodes it and
    /// the answer's request id is lost. [`Error::from`](crate::Error) reads it back as [`Error::Decode`](crate::Error::Decode).
    #[doc(hidden)]
    #[allow(clippy::result_large_err)] // the error type is the one progenitor's hook returns
    pub fn reject_undecodable<E>(
        result: &reqwest::Result<reqwest::Response>,
    ) -> std::result::Result<(), progenitor_client::Error<E>> {
        match result
            .as_ref()
            .ok()
            .and_then(|r| r.extensions().get::<UndecodableAnswer>())
        {
            Some(answer) => Err(progenitor_client::Error::Custom(answer.encode())),
            None => Ok(()),
        }
    }
}

/// Reads a success answer's body and checks it against the operation's generated type; the
/// answer is rebuilt with the same status, headers and body, marked when the body does not match.
async fn checked_success(
    response: reqwest::Response,
    operation: &'static str,
    check: api::CheckResponseBody,
) -> reqwest::Result<reqwest::Response> {
    let status = response.status();
    let version = response.version();
    let headers = response.headers().clone();
    let body = response.bytes().await?;
    let mismatch = match check(operation, &body) {
        Some(Err(e)) => Some(payload_mismatch(&body, &e)),
        _ => None,
    };
    let mut rebuilt = http::Response::new(body);
    *rebuilt.status_mut() = status;
    *rebuilt.version_mut() = version;
    *rebuilt.headers_mut() = headers;
    if let Some(message) = mismatch {
        let request_id = rebuilt
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        tracing::warn!(
            operation,
            status = status.as_u16(),
            request_id = request_id.as_deref().unwrap_or(""),
            %message,
            "a success answer does not match the spec"
        );
        rebuilt.extensions_mut().insert(UndecodableAnswer {
            status: status.as_u16(),
            request_id,
            message,
        });
    }
    Ok(reqwest::Response::from(rebuilt))
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
