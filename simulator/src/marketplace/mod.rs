//! Marketplace v2: the catalogue of images, their versions and local images, and categories.
//! Everything is static (`crate::catalog`): the local images are the Instance images of every
//! zone.

mod categories;
mod images;
mod local_images;
mod versions;

/// The API's dispatch tables, one per resource.
pub(crate) const OPERATIONS: &[crate::http::Routes] = &[
    images::OPERATIONS,
    versions::OPERATIONS,
    local_images::OPERATIONS,
    categories::OPERATIONS,
];
