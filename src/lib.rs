#![doc = include_str!("../README.md")]
#![warn(missing_docs)]

pub mod api;
pub mod client;
pub mod config;
pub mod error;
pub mod locality;
pub mod paginate;
#[cfg(feature = "provider")]
pub mod provider;
#[cfg(feature = "resources")]
pub mod resources;
pub mod retry;
mod tls;
pub mod units;
pub mod wait;

pub use client::{Client, ClientBuilder, http_client_builder};
pub use config::{Config, ConfigBuilder, ConfigError};
pub use error::{ApiAnswer, Error, InvalidArgument, Result};
pub use locality::{LocalityError, Region, Zone};
pub use retry::RetryPolicy;
pub use units::{ByteSize, UnitError};
