//! Low-level clients generated at build time from the OpenAPI specs in `specs/`.
//!
//! This is the only module that contains generated code. There is one submodule per spec file,
//! named after the file (`scaleway.instance.v1.Api.yml` → [`instance_v1`]); adding or replacing a
//! file in `specs/` regenerates this module with no other change. The generated code is never
//! edited by hand: quirks of the specs are fixed by the normalization rules in
//! `codegen/normalize.rs`.
//!
//! Every operation is a builder ending in `send()`:
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use scaleway_client::api::instance_v1;
//!
//! // Usually: scaleway_client::Client::new(config)?.instance(). By hand, with any reqwest client
//! // (this one speaks the crate's TLS, see `http_client_builder`):
//! let context = scaleway_client::api::ClientContext::new(scaleway_client::RetryPolicy::default());
//! let client = instance_v1::Client::new_with_client("https://api.scaleway.com", scaleway_client::http_client_builder()?.build()?, context);
//! let servers = client.list_servers().zone("fr-par-1").per_page(100).send().await?;
//! for server in &servers.servers {
//!     println!("{:?} {:?}", server.id, server.name);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Every list operation's builder also has `stream()`, a [`Listing`](crate::paginate::Listing)
//! of its items that requests each page as it is read (`list_servers().zone(z).stream()`);
//! [`ApiModule::list_operations`] names them.
//!
//! Non-2xx answers come back as `progenitor_client::Error::ErrorResponse` carrying the parsed
//! [`instance_v1::types::ScalewayError`] body, its status and its headers.
//!
//! `build.rs` writes each module's content to `OUT_DIR/<module>.rs`, ending with its table of
//! operations, and one `generated_api!` call per spec; everything around the generated code (the
//! module, its documentation, the hooks into the runtime) is the ordinary Rust below.

pub use progenitor_client::{ByteStream, Error, ResponseValue};

mod context;
pub use context::ClientContext;

mod operation;
// `operations!` and `generated_api!` serve the generated modules, which the features may all
// leave out.
#[allow(unused_imports)]
use operation::operations;
pub use operation::{ApiModule, CheckResponseBody, ListOperation, Operation, Pagination};

// The generated `stream()` functions reach the runtime's listing as `super::paginate` (unused
// when the features leave out every API module).
#[allow(unused_imports)]
use crate::paginate;

/// One generated API module: `generated_api!(instance_v1, "Instance API", "v1",
/// "specs/scaleway.instance.v1.Api.yml", 76)` includes `OUT_DIR/instance_v1.rs` as
/// `api::instance_v1`, documents it with the spec's title, version, file and number of
/// operations, and routes every request of its `Client` through [`ClientContext::execute`].
#[allow(unused_macros)]
macro_rules! generated_api {
    ($module:ident, $title:literal, $version:literal, $spec_file:literal, $operations:literal) => {
        #[doc = concat!($title, " ", $version, ": client generated from `", $spec_file, "` (", $operations, " operations).")]
        ///
        /// `Client` holds the base URL and a `reqwest::Client`; every operation is a builder:
        /// `client.operation_name().param(value).send().await`. Request and response types are in
        /// `types`; errors are `Error<types::ScalewayError>`.
        #[allow(clippy::all, clippy::pedantic, missing_docs, unused_imports, dead_code, rustdoc::all)]
        pub mod $module {
            include!(concat!(env!("OUT_DIR"), "/", stringify!($module), ".rs"));

            // Every request goes through the runtime: retries, tracing, error normalization, and
            // success bodies that keep their answer's status and request id.
            impl progenitor_client::ClientHooks<super::ClientContext> for Client {
                async fn exec(
                    &self,
                    request: reqwest::Request,
                    info: &progenitor_client::OperationInfo,
                ) -> reqwest::Result<reqwest::Response> {
                    // Boxed: every builder's `send()` future holds this one, and would otherwise
                    // carry the runtime's call inline (some 4 kB, copied as it is moved).
                    Box::pin(self.inner.execute(
                        &self.client,
                        request,
                        info.operation_id,
                        check_response_body,
                    ))
                    .await
                }

                async fn post<E>(
                    &self,
                    result: &reqwest::Result<reqwest::Response>,
                    _info: &progenitor_client::OperationInfo,
                ) -> Result<(), progenitor_client::Error<E>> {
                    super::ClientContext::reject_empty_body(result)
                }
            }
        }
    };
}

include!(concat!(env!("OUT_DIR"), "/api_modules.rs"));
