//! The runtime's one error type.
//!
//! Every failure of a call through this crate's runtime is an [`Error`]: Scaleway error answers
//! are mapped from their status and body (`type`, `resource`, `details`, ...) to a variant that
//! says what happened, transport failures say whether the request may have been applied, and
//! mistakes caught before sending anything (a bad zone, a size that overflows) are typed too.
//! progenitor's error type never escapes: [`Error::from`] converts it.
//!
//! Every variant built from an answer carries what the answer says about itself, an
//! [`ApiAnswer`]: its status, its `X-Request-Id` (which Scaleway support asks for) and the Scaleway
//! error `type`. [`Error::status`] and [`Error::request_id`] read it, whatever the variant.
//!
//! ```
//! use scaleway_client::Error;
//!
//! fn describe(err: &Error) -> &'static str {
//!     if err.is_not_found() {
//!         "gone"
//!     } else if err.is_retryable() {
//!         "try again later"
//!     } else {
//!         "fix the request"
//!     }
//! }
//! # let _ = describe;
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::config::ConfigError;
use crate::locality::LocalityError;
use crate::units::UnitError;

mod answer;
pub use answer::ApiAnswer;
pub(crate) use answer::{REQUEST_ID, register_success_body};

/// `Result` with this crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One rejected argument of an `invalid_arguments` (or legacy `invalid_request_error`) answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidArgument {
    /// The argument, e.g. `commercial_type`.
    pub name: String,
    /// Why: `required`, `constraint`, ...
    pub reason: String,
    /// The API's explanation.
    pub help: String,
}

impl fmt::Display for InvalidArgument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.reason)?;
        if !self.help.is_empty() {
            write!(f, ": {}", self.help)?;
        }
        Ok(())
    }
}

/// ` [request id …]` when the answer had one, for support.
fn request_suffix(answer: Option<&ApiAnswer>) -> String {
    match answer.and_then(|answer| answer.request_id.as_deref()) {
        Some(id) => format!(" [request id {id}]"),
        None => String::new(),
    }
}

fn join_arguments(arguments: &[InvalidArgument]) -> String {
    arguments
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Everything that can go wrong in a call.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401 / `denied_authentication`: the secret key is missing, wrong or revoked.
    #[error("authentication failed: {message}{}", request_suffix(Some(answer.as_ref())))]
    Authentication {
        /// The API's message.
        message: String,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// 403 / `permissions_denied` (legacy `authorization_required`): the key lacks a permission.
    #[error("permission denied: {message}{}{}", if missing.is_empty() { String::new() } else { format!(" (missing: {})", missing.join(", ")) }, request_suffix(Some(answer.as_ref())))]
    PermissionDenied {
        /// The API's message.
        message: String,
        /// Missing permissions as `action resource`, e.g. `read snapshot`.
        missing: Vec<String>,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// 404 / `not_found` (legacy `unknown_resource`), or a resource a workflow needs that is
    /// gone ([`Error::not_found`]).
    #[error("{resource} {resource_id} not found{}", request_suffix(answer.as_deref()))]
    NotFound {
        /// The kind of resource, as the API names it (`instance_server`, `volume`, ...).
        resource: String,
        /// Its id (may be empty when the API does not say).
        resource_id: String,
        /// The answer; `None` when a workflow decided it, with no answer behind it.
        answer: Option<Box<ApiAnswer>>,
    },

    /// 409 `transient_state`: the resource is busy (e.g. a server that is `starting`) and leaves
    /// that state by itself, so the same request may succeed later; the retry policy repeats it.
    /// Any other 409 is an [`Error::Api`]: a conflict that waiting does not clear.
    #[error("{resource} {resource_id} is in a transient state{}: {message}{}", current_state.as_deref().map(|s| format!(" ({s})")).unwrap_or_default(), request_suffix(Some(answer.as_ref())))]
    Conflict {
        /// The kind of resource.
        resource: String,
        /// Its id.
        resource_id: String,
        /// The state it is in, when the API says.
        current_state: Option<String>,
        /// The API's message.
        message: String,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// 412 / `precondition_failed`, e.g. `resource_still_in_use` when deleting a private network
    /// that still has members.
    #[error("precondition `{precondition}` failed: {}{}", if help.is_empty() { message } else { help }, request_suffix(Some(answer.as_ref())))]
    Precondition {
        /// Which precondition (`resource_still_in_use`, `resource_not_usable`, ...).
        precondition: String,
        /// What to do about it.
        help: String,
        /// The API's message.
        message: String,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// 400 / 422 `invalid_arguments` (legacy `invalid_request_error`): the API rejected arguments.
    #[error("invalid request: {message}{}{}", if arguments.is_empty() { String::new() } else { format!(": {}", join_arguments(arguments)) }, request_suffix(Some(answer.as_ref())))]
    Validation {
        /// The API's message.
        message: String,
        /// Each rejected argument.
        arguments: Vec<InvalidArgument>,
        /// The answer (status 400 or 422).
        answer: Box<ApiAnswer>,
    },

    /// `quotas_exceeded`: the project's quota does not allow it.
    #[error("quota exceeded: {message}{}", request_suffix(Some(answer.as_ref())))]
    QuotaExceeded {
        /// The API's message.
        message: String,
        /// Details as the API sent them.
        details: Vec<Value>,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// `locked`: the resource is locked (by Scaleway, e.g. for abuse or billing).
    #[error("{resource} {resource_id} is locked: {message}{}", request_suffix(Some(answer.as_ref())))]
    Locked {
        /// The kind of resource.
        resource: String,
        /// Its id.
        resource_id: String,
        /// The API's message.
        message: String,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// `out_of_stock`: the zone has no capacity left for this type.
    #[error("out of stock: {message}{}", request_suffix(Some(answer.as_ref())))]
    OutOfStock {
        /// The resource or type that is out of stock, when the API says.
        resource: String,
        /// The API's message.
        message: String,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// 410 / `expired`: the resource existed but has expired.
    #[error("{resource} {resource_id} has expired{}{}", expired_since.as_deref().map(|s| format!(" since {s}")).unwrap_or_default(), request_suffix(Some(answer.as_ref())))]
    Expired {
        /// The kind of resource.
        resource: String,
        /// Its id.
        resource_id: String,
        /// When it expired, as the API wrote it.
        expired_since: Option<String>,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// 429: too many requests. Scaleway answers with an empty body and `X-Envoy-Ratelimited`.
    #[error("rate limited by the API{}{}", retry_after.map(|d| format!(" (retry after {}s)", d.as_secs())).unwrap_or_default(), request_suffix(Some(answer.as_ref())))]
    RateLimited {
        /// `Retry-After`, when the answer had one.
        retry_after: Option<Duration>,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// 5xx: the API failed.
    #[error("server error {}: {message}{}", answer.status, request_suffix(Some(answer.as_ref())))]
    Server {
        /// The API's message.
        message: String,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// Any other error answer, e.g. a 409 that is not `transient_state`; its error `type`, when
    /// the body had one, is the answer's `kind`.
    #[error("API error {}{}: {message}{}", answer.status, answer.kind.as_deref().map(|k| format!(" ({k})")).unwrap_or_default(), request_suffix(Some(answer.as_ref())))]
    Api {
        /// The API's message.
        message: String,
        /// The answer.
        answer: Box<ApiAnswer>,
    },

    /// The request could not be sent or its answer could not be read.
    #[error("transport error{}: {source}", if *may_have_been_applied { " (the request may have been applied)" } else { "" })]
    Transport {
        /// Whether the API may have received and applied the request (the failure happened after
        /// sending). A create that fails this way must not be blindly repeated.
        may_have_been_applied: bool,
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// The TLS configuration could not be set up, e.g. no CA certificate was found on this
    /// machine to check the API's certificate with.
    #[error("TLS setup failed: {source}")]
    Tls {
        /// The underlying error.
        #[source]
        source: rustls::Error,
    },

    /// The request was sent and no answer came in time: the API may have applied it. (A
    /// connection not made in time is [`Error::Transport`]: nothing was sent.)
    #[error("request timed out after sending (the request may have been applied): {source}")]
    Timeout {
        /// The underlying error.
        #[source]
        source: reqwest::Error,
    },

    /// A success answer that does not match the spec.
    #[error(
        "unexpected answer{}: {message}{}",
        answer.as_ref().map(|a| format!(" ({})", a.status)).unwrap_or_default(),
        request_suffix(answer.as_deref())
    )]
    Decode {
        /// What did not match.
        message: String,
        /// The answer, when known.
        answer: Option<Box<ApiAnswer>>,
    },

    /// Input rejected before sending any request.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// What was wrong (`zone`, `size`, `server id`, ...).
        field: String,
        /// Why.
        reason: String,
    },

    /// A wait ran out before the resource reached the awaited state.
    #[error("timed out waiting for {what}; last state: {last_state}")]
    WaitTimeout {
        /// What was awaited, e.g. `server 1a2b… to be running`.
        what: String,
        /// The last state seen.
        last_state: String,
    },

    /// A resource reached a state it will not leave by itself (`error`, `locked`, ...) while
    /// another one was awaited.
    #[error("{what} ended in state `{state}`")]
    FailedState {
        /// What was awaited.
        what: String,
        /// The state it ended in.
        state: String,
    },

    /// A resource cannot be deleted or detached because others use it: checked before the
    /// request, or read once the API refused it.
    #[error("{kind} {id} is still in use by {}", users.join(", "))]
    InUse {
        /// `volume`, `private network`, `security group`, ...
        kind: String,
        /// Its id.
        id: String,
        /// What uses it (servers by name and id, or the API's explanation).
        users: Vec<String>,
    },

    /// A workflow did its work but could not delete a billed resource it was to delete with it
    /// (a deleted server's root volume): the resource is still there, and still billed, until it
    /// is deleted by its id.
    #[error("{kind} {id} was left behind, still billed until it is deleted by its id: {source}")]
    LeftBehind {
        /// `volume`, ...
        kind: String,
        /// Its id.
        id: String,
        /// Why its delete failed.
        source: Box<Error>,
    },

    /// A workflow step failed and undoing what the workflow had created failed too: `cleanup`
    /// names what may be left.
    #[error("{original}; cleaning up also failed: {cleanup}")]
    CleanupFailed {
        /// The error that stopped the workflow.
        original: Box<Error>,
        /// The error of the undo.
        cleanup: Box<Error>,
    },

    /// Configuration could not be loaded.
    #[error(transparent)]
    Config(#[from] ConfigError),

    /// A zone or region name is not valid.
    #[error(transparent)]
    Locality(#[from] LocalityError),

    /// A size cannot be represented.
    #[error(transparent)]
    Unit(#[from] UnitError),
}

impl Error {
    /// Whether the resource does not exist (404, `not_found`).
    pub fn is_not_found(&self) -> bool {
        matches!(self, Error::NotFound { .. })
    }

    /// Whether the same request may succeed later: rate limiting, 409 `transient_state`
    /// ([`Error::Conflict`]), 500, 502, 503 and 504 answers, timeouts and transport failures: the
    /// failures the retry policy repeats. Whether it is *safe* to repeat also depends on the
    /// request: see [`Error::may_have_been_applied`].
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Conflict { .. } | Error::Timeout { .. } => true,
            Error::Server { answer, .. } => matches!(answer.status, 500 | 502 | 503 | 504),
            Error::Transport { .. } => true,
            _ => false,
        }
    }

    /// Whether the request may have been applied although it failed: a timeout or a connection
    /// lost after the request was sent. A create that fails this way must look for what it may
    /// have created before trying again.
    pub fn may_have_been_applied(&self) -> bool {
        match self {
            Error::Timeout { .. } => true,
            Error::Transport {
                may_have_been_applied,
                ..
            } => *may_have_been_applied,
            Error::Server { answer, .. } => matches!(answer.status, 500 | 502 | 504),
            _ => false,
        }
    }

    /// The HTTP status of the answer, for errors that came from one: the answer's own, whatever
    /// the variant (a `not_found` body in a 400 answer is an [`Error::NotFound`] with status 400).
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Transport { source, .. } | Error::Timeout { source } => {
                source.status().map(|s| s.as_u16())
            }
            _ => self.answer().map(|answer| answer.status),
        }
    }

    /// The `X-Request-Id` of the answer this error came from.
    pub fn request_id(&self) -> Option<&str> {
        self.answer()?.request_id.as_deref()
    }

    /// What the answer this error came from says about itself; `None` for the errors no answer
    /// made (transport failures, input refused before sending, waits, an [`Error::NotFound`]
    /// a workflow decided).
    pub fn answer(&self) -> Option<&ApiAnswer> {
        match self {
            Error::Authentication { answer, .. }
            | Error::PermissionDenied { answer, .. }
            | Error::Conflict { answer, .. }
            | Error::Precondition { answer, .. }
            | Error::Validation { answer, .. }
            | Error::QuotaExceeded { answer, .. }
            | Error::Locked { answer, .. }
            | Error::OutOfStock { answer, .. }
            | Error::Expired { answer, .. }
            | Error::RateLimited { answer, .. }
            | Error::Server { answer, .. }
            | Error::Api { answer, .. } => Some(answer),
            Error::NotFound { answer, .. } | Error::Decode { answer, .. } => answer.as_deref(),
            _ => None,
        }
    }

    /// An [`Error::NotFound`] decided locally (a resource a workflow needs is gone), with no
    /// answer behind it.
    pub fn not_found(resource: impl Into<String>, resource_id: impl Into<String>) -> Error {
        Error::NotFound {
            resource: resource.into(),
            resource_id: resource_id.into(),
            answer: None,
        }
    }

    /// `original`, or [`Error::CleanupFailed`] with both when the undo failed too.
    pub fn with_cleanup(original: Error, cleanup: Result<()>) -> Error {
        match cleanup {
            Ok(()) => original,
            Err(cleanup) => Error::CleanupFailed {
                original: Box::new(original),
                cleanup: Box::new(cleanup),
            },
        }
    }

    /// An [`Error::InvalidInput`].
    pub fn invalid_input(field: impl Into<String>, reason: impl Into<String>) -> Error {
        Error::InvalidInput {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// A success answer that lacks what the call needs (`what`: "no server in the answer").
    pub fn incomplete_answer(
        status: u16,
        headers: &reqwest::header::HeaderMap,
        what: impl Into<String>,
    ) -> Error {
        Error::Decode {
            message: what.into(),
            answer: Some(Box::new(ApiAnswer::from_headers(status, headers, None))),
        }
    }

    /// Maps an error answer: its status, headers and body (possibly empty or not JSON). A field
    /// of an unexpected type (a number where text is expected, `details` that is not a list, ...)
    /// is read as well as it can be or ignored; the rest of the body still counts.
    pub fn from_response(status: u16, headers: &reqwest::header::HeaderMap, body: &[u8]) -> Error {
        let parsed = match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(object)) => ErrorBody::from_object(object),
            _ => ErrorBody {
                message: (!body.is_empty()).then(|| String::from_utf8_lossy(body).trim().to_string()),
                ..ErrorBody::default()
            },
        };
        Error::from_body(status, headers, parsed)
    }

    fn from_body(status: u16, headers: &reqwest::header::HeaderMap, body: ErrorBody) -> Error {
        let header = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        };
        let answer = Box::new(ApiAnswer::from_headers(status, headers, body.kind.clone()));
        let message = body.message.clone().unwrap_or_default();
        let resource = body.resource.clone().unwrap_or_default();
        let resource_id = body.resource_id.clone().unwrap_or_default();
        match (status, body.kind.as_deref()) {
            (429, _) => Error::RateLimited {
                retry_after: header("retry-after")
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs),
                answer,
            },
            // The error type decides first; the status only when the type is missing or unknown.
            (_, Some("quotas_exceeded")) => Error::QuotaExceeded {
                message,
                details: body.details,
                answer,
            },
            (_, Some("locked")) => Error::Locked {
                resource,
                resource_id,
                message,
                answer,
            },
            (_, Some("out_of_stock")) => Error::OutOfStock {
                resource,
                message,
                answer,
            },
            (_, Some("denied_authentication")) | (401, _) => Error::Authentication {
                message: if message.is_empty() {
                    "the secret key was refused".into()
                } else {
                    message
                },
                answer,
            },
            (_, Some("permissions_denied" | "authorization_required")) | (403, _) => {
                Error::PermissionDenied {
                    message,
                    missing: body
                        .details
                        .iter()
                        .filter_map(|d| {
                            let action = d.get("action")?.as_str()?;
                            let resource = d.get("resource")?.as_str()?;
                            Some(format!("{action} {resource}"))
                        })
                        .collect(),
                    answer,
                }
            }
            (_, Some("not_found" | "unknown_resource")) | (404, _) => Error::NotFound {
                resource,
                resource_id,
                answer: Some(answer),
            },
            // Only as a 409, the one answer the retry policy repeats: a `Conflict` is retryable.
            (409, Some("transient_state")) => Error::Conflict {
                resource,
                resource_id,
                current_state: body.current_state,
                message,
                answer,
            },
            (_, Some("precondition_failed")) | (412, _) => Error::Precondition {
                precondition: body.precondition.unwrap_or_default(),
                help: body.help_message.unwrap_or_default(),
                message,
                answer,
            },
            (_, Some("invalid_arguments")) => Error::Validation {
                message,
                arguments: body
                    .details
                    .iter()
                    .map(|d| {
                        let text =
                            |key: &str| d.get(key).and_then(Value::as_str).unwrap_or_default().to_string();
                        InvalidArgument {
                            name: text("argument_name"),
                            reason: text("reason"),
                            help: text("help_message"),
                        }
                    })
                    .collect(),
                answer,
            },
            (_, Some("invalid_request_error")) => Error::Validation {
                message,
                arguments: body
                    .fields
                    .iter()
                    .flat_map(|(field, messages)| {
                        messages.iter().map(move |m| InvalidArgument {
                            name: field.clone(),
                            reason: "invalid".into(),
                            help: m.clone(),
                        })
                    })
                    .collect(),
                answer,
            },
            (_, Some("expired")) | (410, _) => Error::Expired {
                resource,
                resource_id,
                expired_since: body.expired_since,
                answer,
            },
            (400 | 422, _) => Error::Validation {
                message,
                arguments: Vec::new(),
                answer,
            },
            (500..=599, _) => Error::Server { message, answer },
            (_, _) => Error::Api { message, answer },
        }
    }

    fn from_transport(source: reqwest::Error) -> Error {
        match NoAnswer::of(&source) {
            NoAnswer::NotSent => Error::Transport {
                may_have_been_applied: false,
                source,
            },
            NoAnswer::TimedOut => Error::Timeout { source },
            NoAnswer::Lost => Error::Transport {
                may_have_been_applied: true,
                source,
            },
        }
    }
}

/// How a request that got no answer failed. The error ([`Error::from`]) and the retry policy
/// both read a transport failure through this, so they cannot disagree on whether the request
/// may have been applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoAnswer {
    /// No connection was made (refused, unreachable, TLS failed, or not made in time): the
    /// request was never sent.
    NotSent,
    /// The request was sent, and no answer came in time.
    TimedOut,
    /// The request was (or may have been) sent, and the connection failed.
    Lost,
}

impl NoAnswer {
    pub(crate) fn of(error: &reqwest::Error) -> NoAnswer {
        // A connect timeout is both a connect error and a timeout; it is the connection that
        // failed, before anything was sent, so the connect error is checked first.
        if error.is_connect() {
            NoAnswer::NotSent
        } else if error.is_timeout() {
            NoAnswer::TimedOut
        } else {
            NoAnswer::Lost
        }
    }
}

/// What did not match in a success body: the decoder's error and the start of the body.
fn payload_mismatch(body: &[u8], error: &serde_json::Error) -> String {
    let start = String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned();
    format!("{error} in {start}")
}

/// The text fields of a Scaleway error body, as the generated `ScalewayError` type declares them
/// (optional strings).
const ERROR_TEXT_FIELDS: [&str; 8] = [
    "type",
    "message",
    "resource",
    "resource_id",
    "precondition",
    "help_message",
    "current_state",
    "expired_since",
];

/// Rewrites an error body so that it always decodes as the generated `ScalewayError` type.
///
/// Error bodies are less regular than any schema: `quotas_exceeded` details carry numbers,
/// other error types other keys, and an older API or a proxy may send anything. One field of an
/// unexpected type must not make the whole body undecodable, which would lose the status, the
/// request id and everything the other fields say. So:
/// - a text field (`type`, `message`, `resource`, ...) that is neither a string nor null becomes
///   its JSON text (`42` → `"42"`);
/// - `details` that is not a list (or null) is removed; each item that is not an object
///   becomes `{"value": item}`;
/// - `fields` that is not a map of lists of strings (or null) is removed.
///
/// Every other key is kept as it is.
pub(crate) fn canonical_error_body(body: &mut Map<String, Value>) {
    for key in ERROR_TEXT_FIELDS {
        if let Some(value) = body.get_mut(key)
            && !(value.is_string() || value.is_null())
        {
            *value = Value::String(value.to_string());
        }
    }
    match body.get_mut("details") {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for item in items.iter_mut().filter(|item| !item.is_object()) {
                *item = serde_json::json!({ "value": item.take() });
            }
        }
        Some(_) => {
            body.remove("details");
        }
    }
    let fields_fit = match body.get("fields") {
        None | Some(Value::Null) => true,
        Some(Value::Object(fields)) => fields.values().all(|messages| {
            messages
                .as_array()
                .is_some_and(|m| m.iter().all(Value::is_string))
        }),
        Some(_) => false,
    };
    if !fields_fit {
        body.remove("fields");
    }
}

/// The body of a Scaleway error answer; every field is optional because each error type fills
/// a different subset.
#[derive(Debug, Clone, Default)]
struct ErrorBody {
    kind: Option<String>,
    message: Option<String>,
    resource: Option<String>,
    resource_id: Option<String>,
    precondition: Option<String>,
    help_message: Option<String>,
    current_state: Option<String>,
    expired_since: Option<String>,
    details: Vec<Value>,
    fields: BTreeMap<String, Vec<String>>,
}

impl ErrorBody {
    /// Reads a JSON error body field by field, so that one field of an unexpected type costs
    /// only that field (see [`canonical_error_body`]).
    fn from_object(mut body: Map<String, Value>) -> ErrorBody {
        canonical_error_body(&mut body);
        let mut text = |key: &str| match body.remove(key) {
            Some(Value::String(text)) => Some(text),
            _ => None,
        };
        let kind = text("type");
        let message = text("message");
        let resource = text("resource");
        let resource_id = text("resource_id");
        let precondition = text("precondition");
        let help_message = text("help_message");
        let current_state = text("current_state");
        let expired_since = text("expired_since");
        let details = match body.remove("details") {
            Some(Value::Array(items)) => items,
            _ => Vec::new(),
        };
        let fields = match body.remove("fields") {
            Some(Value::Object(fields)) => fields
                .into_iter()
                .map(|(field, messages)| {
                    let messages = messages
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect();
                    (field, messages)
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        ErrorBody {
            kind,
            message,
            resource,
            resource_id,
            precondition,
            help_message,
            current_state,
            expired_since,
            details,
            fields,
        }
    }
}

/// Converts the generated clients' error. The generated error body types of all modules have
/// the same fields, so the body is read back through JSON into one shape.
impl<E: serde::Serialize> From<progenitor_client::Error<E>> for Error {
    fn from(err: progenitor_client::Error<E>) -> Error {
        use progenitor_client::Error as P;
        match err {
            P::ErrorResponse(response) => {
                let status = response.status().as_u16();
                let headers = response.headers().clone();
                let body = match serde_json::to_value(response.into_inner()) {
                    Ok(Value::Object(object)) => ErrorBody::from_object(object),
                    _ => ErrorBody::default(),
                };
                Error::from_body(status, &headers, body)
            }
            P::CommunicationError(source) | P::ResponseBodyError(source) | P::InvalidUpgrade(source) => {
                Error::from_transport(source)
            }
            P::InvalidResponsePayload(bytes, source) => {
                let message = payload_mismatch(&bytes, &source);
                let answer = answer::answer_of_body(&bytes).map(|(answer, operation)| {
                    tracing::warn!(
                        operation,
                        status = answer.status,
                        request_id = answer.request_id.as_deref().unwrap_or(""),
                        %message,
                        "a success answer does not match the spec"
                    );
                    Box::new(answer)
                });
                Error::Decode { message, answer }
            }
            P::UnexpectedResponse(response) => {
                Error::from_response(response.status().as_u16(), response.headers(), &[])
            }
            P::InvalidRequest(message) => Error::InvalidInput {
                field: "request".into(),
                reason: message,
            },
            // The runtime's hooks make none; another hook's message is all there is.
            P::Custom(message) => Error::Decode {
                message,
                answer: None,
            },
        }
    }
}
