//! Which API calls a piece of code made: a tracing layer that records every `scaleway_request`
//! span (one per call of a generated client, its retries inside it) under the innermost
//! enclosing `bench_scope` span, so that concurrent workflows are told apart.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::subscriber::Interest;
use tracing::{Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;

/// One call of a generated client.
#[derive(Debug, Clone)]
pub struct Call {
    pub scope: String,
    pub operation: String,
    pub method: String,
    pub path: String,
    /// When its span opened: the generated client began the call, its request built and about
    /// to be sent (a retry inside the call is sent later, under the same span).
    pub sent_at: Instant,
}

impl Call {
    /// `GET /instance/v1/zones/fr-par-1/servers/{id}` with ids shortened.
    pub fn describe(&self) -> String {
        let path: Vec<String> = self
            .path
            .split('/')
            .map(|s| {
                if s.len() == 36 && s.matches('-').count() == 4 {
                    "{id}".into()
                } else {
                    s.to_string()
                }
            })
            .collect();
        format!("{} {} ({})", self.method, path.join("/"), self.operation)
    }
}

static CALLS: Mutex<Vec<Call>> = Mutex::new(Vec::new());
static RECORDING: AtomicBool = AtomicBool::new(true);

struct Scope(String);

#[derive(Default)]
struct Fields {
    label: String,
    operation: String,
    method: String,
    path: String,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.set(field, value.to_string());
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.set(field, format!("{value:?}"));
    }
}

impl Fields {
    fn set(&mut self, field: &Field, value: String) {
        match field.name() {
            "label" => self.label = value,
            "operation" => self.operation = value,
            "method" => self.method = value,
            "path" => self.path = value,
            _ => {}
        }
    }
}

struct Recorder;

fn wanted(metadata: &Metadata<'_>) -> bool {
    metadata.is_span() && matches!(metadata.name(), "scaleway_request" | "bench_scope")
}

impl<S: Subscriber + for<'a> LookupSpan<'a>> Layer<S> for Recorder {
    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        if wanted(metadata) {
            Interest::sometimes()
        } else {
            Interest::never()
        }
    }

    fn enabled(&self, metadata: &Metadata<'_>, _: Context<'_, S>) -> bool {
        wanted(metadata) && RECORDING.load(Ordering::Relaxed)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let sent_at = Instant::now();
        let mut fields = Fields::default();
        attrs.record(&mut fields);
        let Some(span) = ctx.span(id) else { return };
        if attrs.metadata().name() == "bench_scope" {
            span.extensions_mut().insert(Scope(fields.label));
            return;
        }
        let scope = span
            .scope()
            .skip(1)
            .find_map(|s| s.extensions().get::<Scope>().map(|l| l.0.clone()))
            .unwrap_or_default();
        CALLS.lock().unwrap().push(Call {
            scope,
            operation: fields.operation,
            method: fields.method,
            path: fields.path,
            sent_at,
        });
    }
}

/// Installs the recorder as the process's subscriber (it records nothing else).
pub fn install() {
    let subscriber = tracing_subscriber::registry().with(Recorder);
    tracing::subscriber::set_global_default(subscriber).expect("no other subscriber");
}

/// Turns recording (and the request spans themselves) on or off: off while overhead is measured.
pub fn set_recording(on: bool) {
    RECORDING.store(on, Ordering::Relaxed);
    tracing::callsite::rebuild_interest_cache();
}

/// The calls recorded under `scope`, taken out of the record.
pub fn take(scope: &str) -> Vec<Call> {
    let mut all = CALLS.lock().unwrap();
    let (mine, rest): (Vec<Call>, Vec<Call>) = all.drain(..).partition(|c| c.scope == scope);
    *all = rest;
    mine
}

/// Forgets every recorded call.
pub fn clear() {
    CALLS.lock().unwrap().clear();
}

/// The sequence of calls with ids hidden and each run of one repeated read (a wait's polls)
/// counted once: two runs of a workflow with the same shape took the same path.
pub fn shape(calls: &[Call]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for call in calls {
        let d = call.describe();
        let repeated = out.last() == Some(&d) && matches!(call.method.as_str(), "GET" | "DELETE");
        if !repeated {
            out.push(d);
        }
    }
    out
}

/// Splits calls into (non-poll, poll) by their sequence alone: a GET (or a DELETE tried
/// again) followed at once by the same request is a poll that found the state not reached yet;
/// the last read of such a run is the read once due.
pub fn split_polls(calls: &[Call]) -> (usize, usize) {
    let mut polls = 0;
    for pair in calls.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if matches!(a.method.as_str(), "GET" | "DELETE") && a.method == b.method && a.path == b.path {
            polls += 1;
        }
    }
    (calls.len() - polls, polls)
}

/// The calls with repeated polls collapsed: `GET …/servers/{id} ×3`.
pub fn collapsed(calls: &[Call]) -> Vec<String> {
    let mut out: Vec<(String, usize)> = Vec::new();
    for call in calls {
        let d = call.describe();
        match out.last_mut() {
            Some((last, n)) if *last == d && matches!(call.method.as_str(), "GET" | "DELETE") => *n += 1,
            _ => out.push((d, 1)),
        }
    }
    out.into_iter()
        .map(|(d, n)| if n > 1 { format!("{d} ×{n}") } else { d })
        .collect()
}
