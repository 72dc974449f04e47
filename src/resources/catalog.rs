//! What a zone offers: commercial types and their availability. The types of a zone are read
//! once (every page of `products/servers`) and cached for the life of the [`Scaleway`](super::Scaleway)
//! value.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use futures_util::TryStreamExt;
use tokio::sync::OnceCell;

use super::zonal_handler;
use crate::api::instance_v1::types::ServerType;
use crate::{Error, Result, Zone};

/// Neutral sizes and the commercial types behind them, best first. The first is the host tools'
/// choice (small = DEV1-M, medium = DEV1-XL, large = GP1-S); when the zone does not offer it,
/// the next one it offers is used, so a size always maps to a comparable type.
pub const SIZE_CHOICES: &[(&str, &[&str])] = &[
    ("small", &["DEV1-M", "PLAY2-MICRO", "PRO2-XXS"]),
    ("medium", &["DEV1-XL", "PRO2-XS", "PLAY2-SMALL"]),
    ("large", &["GP1-S", "PRO2-S", "POP2-8C-32G"]),
];

type Types = Arc<BTreeMap<String, ServerType>>;

/// The commercial types of each zone, each read once.
#[derive(Default)]
pub(super) struct Cache {
    types: Mutex<HashMap<Zone, Arc<OnceCell<Types>>>>,
}

zonal_handler!(
    /// The zone's catalogue. From [`Scaleway::catalog`](super::Scaleway::catalog).
    Catalog
);

impl Catalog<'_> {
    /// Every commercial type of the zone by name, read once per zone and cached.
    pub async fn server_types(&self) -> Result<Types> {
        let cell = {
            let mut zones = self
                .scw
                .shared
                .catalog
                .types
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            zones.entry(self.zone.clone()).or_default().clone()
        };
        let types = cell
            .get_or_try_init(|| async {
                // The body is a map: each page is one batch of (name, type) pairs.
                let types: BTreeMap<_, _> = self
                    .scw
                    .apis()
                    .instance
                    .list_servers_types()
                    .zone(&self.zone)
                    .stream()
                    .try_collect()
                    .await?;
                Ok::<_, Error>(Arc::new(types))
            })
            .await?;
        Ok(types.clone())
    }

    /// The commercial type, or [`Error::InvalidInput`] naming some the zone offers.
    pub async fn server_type(&self, commercial_type: &str) -> Result<ServerType> {
        if commercial_type.trim().is_empty() {
            return Err(Error::invalid_input("commercial type", "must not be empty"));
        }
        let types = self.server_types().await?;
        if let Some(found) = types.get(commercial_type) {
            return Ok(found.clone());
        }
        let known: Vec<&str> = types.keys().map(String::as_str).collect();
        let sample = if known.len() > 12 {
            format!("{}, …", known[..12].join(", "))
        } else {
            known.join(", ")
        };
        Err(Error::invalid_input(
            "commercial type",
            format!(
                "`{commercial_type}` is not offered in {}; types there: {sample}",
                self.zone
            ),
        ))
    }

    /// The availability of every commercial type of the zone (`available`, `scarce`,
    /// `shortage`), every page.
    pub async fn availability(&self) -> Result<BTreeMap<String, String>> {
        self.scw
            .apis()
            .instance
            .get_server_types_availability()
            .zone(&self.zone)
            .stream()
            .map_ok(|(name, availability)| (name, availability.availability.to_string()))
            .try_collect()
            .await
    }
}
