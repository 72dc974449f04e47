//! What the zone offers: commercial types, images, sizes and locations, and the checks built on
//! them. Commercial types and resolved images are cached for the provider's lifetime.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use tokio::sync::OnceCell;

use super::ScalewayProvider;
use crate::Zone;
use crate::api::instance_v1::types::ServerType;
use crate::api::marketplace_v2::types::ListLocalImagesType;
use crate::paginate::{Page, collect_all};
use crate::provider::{Location, ProviderError, ProviderResult, Size};

/// Image names the host tools use, and the Scaleway image labels they stand for.
pub const IMAGE_ALIASES: &[(&str, &str)] = &[
    ("ubuntu-24.04", "ubuntu_noble"),
    ("ubuntu-22.04", "ubuntu_jammy"),
    ("ubuntu-20.04", "ubuntu_focal"),
    ("debian-13", "debian_trixie"),
    ("debian-12", "debian_bookworm"),
    ("debian-11", "debian_bullseye"),
];

/// The neutral sizes and the commercial types behind them, best first. The first is the host
/// tools' choice (small = DEV1-M, medium = DEV1-XL, large = GP1-S); when the zone does not offer
/// it, the next one it offers is used, so a size always maps to a comparable type.
pub const SIZE_CHOICES: &[(&str, &[&str])] = &[
    ("small", &["DEV1-M", "PLAY2-MICRO", "PRO2-XXS"]),
    ("medium", &["DEV1-XL", "PRO2-XS", "PLAY2-SMALL"]),
    ("large", &["GP1-S", "PRO2-S", "POP2-8C-32G"]),
];

/// Caches of the catalogue.
#[derive(Default)]
pub(super) struct Cache {
    types: OnceCell<Arc<BTreeMap<String, ServerType>>>,
    /// (label, commercial type, sbs) → image id.
    images: Mutex<HashMap<(String, String, bool), String>>,
}

/// Every commercial type of the zone (all pages of `products/servers`), fetched once.
pub(super) async fn commercial_types(
    p: &ScalewayProvider,
) -> ProviderResult<Arc<BTreeMap<String, ServerType>>> {
    let types = p
        .catalog
        .types
        .get_or_try_init(|| async {
            let instance = p.client.instance();
            let pages = collect_all(100, |request| {
                let instance = instance.clone();
                let zone = p.zone.clone();
                async move {
                    let answer = instance
                        .list_servers_types()
                        .zone(&zone)
                        .page(request.page as i32)
                        .per_page(request.size)
                        .send()
                        .await?;
                    // The body is a map; each page is one batch of (name, type) pairs.
                    Ok(Page::from_instance(answer, |body| {
                        body.servers.into_iter().collect::<Vec<_>>()
                    }))
                }
            })
            .await?;
            Ok::<_, ProviderError>(Arc::new(pages.into_iter().collect()))
        })
        .await?;
    Ok(types.clone())
}

pub(super) async fn validate_instance_type(p: &ScalewayProvider, instance_type: &str) -> ProviderResult<()> {
    if instance_type.trim().is_empty() {
        return Err(ProviderError::invalid("instance type", "must not be empty"));
    }
    let types = commercial_types(p).await?;
    if types.contains_key(instance_type) {
        return Ok(());
    }
    let known: Vec<&str> = types.keys().map(String::as_str).collect();
    let sample = if known.len() > 12 {
        format!("{}, …", known[..12].join(", "))
    } else {
        known.join(", ")
    };
    Err(ProviderError::invalid(
        "instance type",
        format!(
            "`{instance_type}` is not offered in {}; types there: {sample}",
            p.zone
        ),
    ))
}

pub(super) async fn validate_credentials(p: &ScalewayProvider) -> ProviderResult<()> {
    // One call checks the key and the project every resource is created in: a valid key with a
    // project it cannot see would only fail later, at the first create. The error names the
    // cause, never the key.
    match p
        .client
        .account()
        .get_project()
        .project_id(p.project_id.as_str())
        .send()
        .await
        .map_err(crate::Error::from)
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Err(ProviderError::invalid(
            "project id",
            format!("project {} does not exist or the key cannot see it", p.project_id),
        )),
        Err(e) => Err(e.into()),
    }
}

/// An image is an id or a label (or an alias of one): checked before any request.
pub(super) fn check_image(image: &str) -> ProviderResult<()> {
    if uuid::Uuid::try_parse(image).is_ok() {
        return Ok(());
    }
    let label = image_label(image);
    if label.is_empty()
        || !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(ProviderError::invalid(
            "image",
            format!("`{}` is not an image label or id", image.escape_debug()),
        ));
    }
    Ok(())
}

/// The Scaleway label for an image name: an alias of [`IMAGE_ALIASES`] or the label itself.
pub(super) fn image_label(image: &str) -> &str {
    IMAGE_ALIASES
        .iter()
        .find(|(alias, _)| *alias == image)
        .map(|(_, label)| *label)
        .unwrap_or(image)
}

/// The id of the image to boot `commercial_type` from: the id itself when `image` is one,
/// otherwise the zone's local image of that label whose compatible types include the type, for
/// the provider's root volume kind.
pub(super) async fn resolve_image(
    p: &ScalewayProvider,
    image: &str,
    commercial_type: &str,
) -> ProviderResult<String> {
    check_image(image)?;
    if uuid::Uuid::try_parse(image).is_ok() {
        return Ok(image.to_string());
    }
    let label = image_label(image);
    let sbs = p.options.block_root_volume;
    let key = (label.to_string(), commercial_type.to_string(), sbs);
    if let Some(id) = p
        .catalog
        .images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
    {
        return Ok(id.clone());
    }
    let kind = if sbs {
        ListLocalImagesType::InstanceSbs
    } else {
        ListLocalImagesType::InstanceLocal
    };
    let marketplace = p.client.marketplace();
    let images = collect_all(100, |request| {
        let marketplace = marketplace.clone();
        let zone = p.zone.clone();
        async move {
            let answer = marketplace
                .list_local_images()
                .image_label(label)
                .zone(&zone)
                .type_(kind)
                .page(request.page as i32)
                .page_size(request.size)
                .send()
                .await?
                .into_inner();
            Ok(Page::new(answer.local_images, answer.total_count.map(u64::from)))
        }
    })
    .await
    .map_err(|e| match e {
        e if e.is_not_found() => {
            ProviderError::invalid("image", format!("no image labelled `{label}` in {}", p.zone))
        }
        e => e.into(),
    })?;
    let id = images
        .iter()
        .find(|i| i.compatible_commercial_types.iter().any(|t| t == commercial_type))
        .and_then(|i| i.id.clone())
        .ok_or_else(|| {
            ProviderError::invalid(
                "image",
                format!(
                    "no `{label}` image in {} is compatible with {commercial_type}",
                    p.zone
                ),
            )
        })?;
    p.catalog
        .images
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(key, id.clone());
    Ok(id)
}

pub(super) async fn sizes(p: &ScalewayProvider) -> ProviderResult<Vec<Size>> {
    let types = commercial_types(p).await?;
    // Every page: a zone offers more types than one page holds.
    let instance = p.client.instance();
    let availability: BTreeMap<String, String> = collect_all(100, |request| {
        let instance = instance.clone();
        let zone = p.zone.clone();
        async move {
            let answer = instance
                .get_server_types_availability()
                .zone(&zone)
                .page(request.page as i32)
                .per_page(request.size)
                .send()
                .await?;
            Ok(Page::from_instance(answer, |body| {
                body.servers
                    .into_iter()
                    .map(|(name, a)| (name, a.availability.to_string()))
                    .collect::<Vec<_>>()
            }))
        }
    })
    .await?
    .into_iter()
    .collect();
    let mut sizes = Vec::new();
    for (name, candidates) in SIZE_CHOICES {
        let offered = candidates
            .iter()
            .find(|c| types.contains_key(**c))
            .or(candidates.first());
        let Some(instance_type) = offered else { continue };
        let details = types.get(*instance_type);
        let available = details.is_some() && availability.get(*instance_type).is_none_or(|a| a != "shortage");
        sizes.push(Size {
            name: name.to_string(),
            instance_type: instance_type.to_string(),
            vcpus: details.and_then(|t| t.ncpus),
            memory_gb: details.and_then(|t| t.ram).map(|bytes| bytes / 1_000_000_000),
            available,
        });
    }
    Ok(sizes)
}

pub(super) fn locations() -> Vec<Location> {
    Zone::KNOWN
        .iter()
        .map(|zone| {
            let region = zone.region();
            let (city, country) = match region.as_str() {
                "fr-par" => ("Paris", "FR"),
                "nl-ams" => ("Amsterdam", "NL"),
                "pl-waw" => ("Warsaw", "PL"),
                "it-mil" => ("Milan", "IT"),
                _ => ("", ""),
            };
            Location {
                name: zone.to_string(),
                region: region.to_string(),
                city: city.into(),
                country: country.into(),
            }
        })
        .collect()
}
