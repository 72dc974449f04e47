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
//! use scaleway_sdk::api::instance_v1;
//!
//! // Usually: scaleway_sdk::Client::new(config)?.instance(). By hand, with any reqwest client:
//! let context = scaleway_sdk::api::ClientContext::new(scaleway_sdk::RetryPolicy::default());
//! let client = instance_v1::Client::new_with_client("https://api.scaleway.com", reqwest::Client::new(), context);
//! let servers = client.list_servers().zone("fr-par-1").per_page(100).send().await?;
//! for server in &servers.servers {
//!     println!("{:?} {:?}", server.id, server.name);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Non-2xx answers come back as `progenitor_client::Error::ErrorResponse` carrying the parsed
//! [`instance_v1::types::ScalewayError`] body, its status and its headers.

pub use progenitor_client::{ByteStream, Error, ResponseValue};

mod context;
pub use context::ClientContext;

mod operation;
pub use operation::{ApiModule, CheckResponseBody, Operation};

include!(concat!(env!("OUT_DIR"), "/api_modules.rs"));
