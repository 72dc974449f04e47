//! Images: aliases and labels resolved to the zone's local image, and image waits.
//!
//! A label (`ubuntu_noble`) names a family of images, one per zone, architecture and root
//! volume kind. Marketplace v2 lists the zone's local images of a label and kind
//! (`local-images?image_label&zone&type=instance_sbs|instance_local`); the one to boot is the
//! first whose compatible commercial types include the server's.

use std::collections::HashMap;
use std::sync::Mutex;

use futures_util::TryStreamExt;

use super::{Awaited, check_id, optional, wait_existing, zonal_handler};
use crate::api::instance_v1::types::{Image, ImageState};
use crate::api::marketplace_v2::types::ListLocalImagesType;
use crate::wait::Status;
use crate::{Error, Result, Zone};

/// Image names the host tools use, and the Scaleway image labels they stand for.
pub const IMAGE_ALIASES: &[(&str, &str)] = &[
    ("ubuntu-24.04", "ubuntu_noble"),
    ("ubuntu-22.04", "ubuntu_jammy"),
    ("ubuntu-20.04", "ubuntu_focal"),
    ("debian-13", "debian_trixie"),
    ("debian-12", "debian_bookworm"),
    ("debian-11", "debian_bullseye"),
];

/// The Scaleway label for an image name: an alias of [`IMAGE_ALIASES`] or the name itself.
pub fn image_label(image: &str) -> &str {
    IMAGE_ALIASES
        .iter()
        .find(|(alias, _)| *alias == image)
        .map(|(_, label)| *label)
        .unwrap_or(image)
}

/// The kind of root volume an image is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RootKind {
    /// A Block Storage (`sbs_volume`) root: marketplace type `instance_sbs`.
    Block,
    /// A local (`l_ssd`) root: marketplace type `instance_local`.
    Local,
}

/// Resolved images: (zone, label, commercial type, root kind) → image id.
#[derive(Default)]
pub(super) struct Cache {
    ids: Mutex<HashMap<(Zone, String, String, RootKind), String>>,
}

zonal_handler!(
    /// Images of a zone. From [`Scaleway::images`](super::Scaleway::images).
    Images
);

/// An image is an id, a label or an alias of one: checked before any request.
pub(crate) fn check_image(image: &str) -> Result<()> {
    if uuid::Uuid::try_parse(image).is_ok() {
        return Ok(());
    }
    let label = image_label(image);
    if label.is_empty()
        || !label
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    {
        return Err(Error::invalid_input(
            "image",
            format!("`{}` is not an image label or id", image.escape_debug()),
        ));
    }
    Ok(())
}

impl Images<'_> {
    /// The id of the image to boot `commercial_type` from with a `root` volume: `image` itself
    /// when it is an id; otherwise the zone's local image of that label (or alias) whose
    /// compatible types include the commercial type. Resolutions are cached.
    pub async fn resolve(&self, image: &str, commercial_type: &str, root: RootKind) -> Result<String> {
        check_image(image)?;
        if uuid::Uuid::try_parse(image).is_ok() {
            return Ok(image.to_string());
        }
        let label = image_label(image);
        let key = (
            self.zone.clone(),
            label.to_string(),
            commercial_type.to_string(),
            root,
        );
        let cache = &self.scw.shared.images.ids;
        if let Some(id) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok(id.clone());
        }
        let kind = match root {
            RootKind::Block => ListLocalImagesType::InstanceSbs,
            RootKind::Local => ListLocalImagesType::InstanceLocal,
        };
        let images: Vec<_> = self
            .scw
            .client()
            .marketplace()
            .list_local_images()
            .image_label(label)
            .zone(&self.zone)
            .type_(kind)
            .stream()
            .try_collect()
            .await
            .map_err(|e| match e {
                e if e.is_not_found() => {
                    Error::invalid_input("image", format!("no image labelled `{label}` in {}", self.zone))
                }
                e => e,
            })?;
        let id = images
            .iter()
            .find(|i| i.compatible_commercial_types.iter().any(|t| t == commercial_type))
            .and_then(|i| i.id.clone())
            .ok_or_else(|| {
                Error::invalid_input(
                    "image",
                    format!(
                        "no `{label}` image in {} is compatible with {commercial_type}",
                        self.zone
                    ),
                )
            })?;
        cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, id.clone());
        Ok(id)
    }

    /// Waits until an Instance image is `available` (made by a backup or from a snapshot);
    /// `error` ends the wait with [`Error::FailedState`].
    pub async fn wait(&self, image_id: &str) -> Result<Image> {
        check_id("image id", image_id)?;
        let instance = &self.scw.apis().instance;
        let awaited = Awaited {
            resource: "instance_image",
            id: image_id,
            what: format!("image {image_id} to be available"),
        };
        let get = || async {
            let answer = optional(
                instance
                    .get_image()
                    .zone(&self.zone)
                    .image_id(image_id)
                    .send()
                    .await,
            )?;
            Ok(answer.and_then(|a| a.into_inner().image))
        };
        let classify = |image: &Image| match image.state {
            ImageState::Available => Status::Reached,
            ImageState::Error => Status::Failed,
            ImageState::Creating => Status::Pending,
        };
        wait_existing(&self.scw.options().wait, awaited, get, classify, |i| {
            i.state.to_string()
        })
        .await
    }
}
