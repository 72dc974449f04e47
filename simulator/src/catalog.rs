//! Static catalog: zones, commercial types, marketplace local images.

use std::sync::OnceLock;

use serde_json::{Value, json};

pub(crate) const ZONES: &[&str] = &[
    "fr-par-1", "fr-par-2", "fr-par-3", "nl-ams-1", "nl-ams-2", "nl-ams-3", "pl-waw-1", "pl-waw-2",
    "pl-waw-3",
];
pub(crate) const REGIONS: &[&str] = &["fr-par", "nl-ams", "pl-waw"];

/// A commercial type.
pub(crate) struct ServerType {
    pub name: String,
    pub arch: &'static str,
    pub ncpus: u64,
    pub ram_gib: u64,
    /// Whether it can boot from local (l_ssd) volumes.
    pub local: bool,
    pub hourly: f64,
}

pub(crate) fn server_types() -> &'static [ServerType] {
    static TYPES: OnceLock<Vec<ServerType>> = OnceLock::new();
    TYPES.get_or_init(|| {
        let mut types = Vec::new();
        let mut add = |name: &str, arch, ncpus, ram_gib, local, hourly| {
            types.push(ServerType {
                name: name.to_string(),
                arch,
                ncpus,
                ram_gib,
                local,
                hourly,
            })
        };
        for (n, c, r) in [
            ("DEV1-S", 2, 2),
            ("DEV1-M", 3, 4),
            ("DEV1-L", 4, 8),
            ("DEV1-XL", 4, 12),
        ] {
            add(n, "x86_64", c, r, true, 0.01 * c as f64);
        }
        for (n, c, r) in [
            ("GP1-XS", 4, 16),
            ("GP1-S", 8, 32),
            ("GP1-M", 16, 64),
            ("GP1-L", 32, 128),
            ("GP1-XL", 48, 256),
        ] {
            add(n, "x86_64", c, r, true, 0.025 * c as f64);
        }
        for (n, c, r) in [
            ("START1-XS", 1, 1),
            ("START1-S", 2, 2),
            ("START1-M", 4, 4),
            ("START1-L", 8, 8),
        ] {
            add(n, "x86_64", c, r, true, 0.01 * c as f64);
        }
        add("STARDUST1-S", "x86_64", 1, 1, true, 0.00015);
        for (n, c, r) in [("PLAY2-PICO", 1, 2), ("PLAY2-NANO", 2, 4), ("PLAY2-MICRO", 4, 8)] {
            add(n, "x86_64", c, r, false, 0.014 * c as f64);
        }
        for (n, c, r) in [
            ("PRO2-XXS", 2, 8),
            ("PRO2-XS", 4, 16),
            ("PRO2-S", 8, 32),
            ("PRO2-M", 16, 64),
            ("PRO2-L", 32, 128),
        ] {
            add(n, "x86_64", c, r, false, 0.0275 * c as f64);
        }
        for c in [2u64, 4, 8, 16, 32] {
            add(
                &format!("COPARM1-{c}C-{}G", c * 4),
                "arm64",
                c,
                c * 4,
                false,
                0.021 * c as f64,
            );
        }
        for (prefix, ratio, price) in [
            ("POP2", 4, 0.0368),
            ("POP2-HC", 2, 0.0303),
            ("POP2-HM", 8, 0.0515),
        ] {
            for c in [2u64, 4, 8, 16, 32, 48, 64] {
                add(
                    &format!("{prefix}-{c}C-{}G", c * ratio),
                    "x86_64",
                    c,
                    c * ratio,
                    false,
                    price * c as f64,
                );
            }
        }
        for c in [2u64, 4, 8, 16, 32, 64] {
            add(
                &format!("POP2-{c}C-{}G-WIN", c * 4),
                "x86_64",
                c,
                c * 4,
                false,
                0.07 * c as f64,
            );
        }
        for (n, c, r) in [
            ("ENT1-XXS", 2, 8),
            ("ENT1-XS", 4, 16),
            ("ENT1-S", 8, 32),
            ("ENT1-M", 16, 64),
            ("ENT1-L", 32, 128),
        ] {
            add(n, "x86_64", c, r, false, 0.05 * c as f64);
        }
        types.sort_by(|a, b| a.name.cmp(&b.name));
        types
    })
}

pub(crate) fn server_type(name: &str) -> Option<&'static ServerType> {
    server_types().iter().find(|t| t.name == name)
}

pub(crate) fn server_type_json(t: &ServerType) -> Value {
    let bandwidth = 100_000_000 * t.ncpus;
    let (l_ssd_min, l_ssd_max) = if t.local {
        (L_SSD_MIN_SIZE, L_SSD_MAX_SIZE)
    } else {
        (0, 0)
    };
    json!({
        "alt_names": [],
        "arch": t.arch,
        "ncpus": t.ncpus,
        "ram": t.ram_gib * 1024 * 1024 * 1024,
        "gpu": 0,
        "gpu_info": null,
        "mig_profile": null,
        "volumes_constraint": {"min_size": 0, "max_size": local_budget(t)},
        "per_volume_constraint": {"l_ssd": {"min_size": l_ssd_min, "max_size": l_ssd_max}},
        "scratch_storage_max_size": null,
        "scratch_storage_max_volumes_count": 0,
        "monthly_price": (t.hourly * 730.0 * 100.0).round() / 100.0,
        "hourly_price": (t.hourly * 10000.0).round() / 10000.0,
        "capabilities": {
            "boot_types": ["local", "rescue"],
            "placement_groups": true,
            "block_storage": true,
            "hot_snapshots_local_volume": t.local,
            "private_network": 8,
            "max_file_systems": max_file_systems(t)
        },
        "network": {
            "ipv6_support": true,
            "sum_internal_bandwidth": bandwidth,
            "sum_internet_bandwidth": bandwidth,
            "interfaces": [{"internal_bandwidth": bandwidth, "internet_bandwidth": bandwidth}]
        },
        "block_bandwidth": 41_943_040 * t.ncpus,
        "end_of_service": false
    })
}

/// A marketplace local image.
pub(crate) struct LocalImage {
    pub id: String,
    pub label: &'static str,
    pub name: &'static str,
    pub zone: &'static str,
    pub arch: &'static str,
    /// `instance_local` or `instance_sbs`.
    pub image_type: &'static str,
    pub compatible: Vec<String>,
}

pub(crate) const LABELS: &[(&str, &str)] = &[
    ("ubuntu_noble", "Ubuntu 24.04 Noble Numbat"),
    ("ubuntu_jammy", "Ubuntu 22.04 Jammy Jellyfish"),
    ("ubuntu_focal", "Ubuntu 20.04 Focal Fossa"),
    ("debian_bookworm", "Debian Bookworm"),
    ("debian_bullseye", "Debian Bullseye"),
    ("centos_stream_9", "CentOS Stream 9"),
    ("rockylinux_9", "Rocky Linux 9"),
    ("fedora_41", "Fedora 41"),
];

/// The organization owning public images.
pub(crate) const IMAGE_ORGANIZATION: &str = "51b656e3-4865-41e8-adbc-0c45bdd780db";

/// A stable UUID for a catalog entry.
fn stable_id(parts: &[&str]) -> String {
    // FNV-1a, twice with different seeds, makes 128 bits.
    let hash = |seed: u64| {
        let mut h = seed;
        for part in parts {
            for b in part.bytes().chain([0]) {
                h ^= b as u64;
                h = h.wrapping_mul(0x100000001b3);
            }
        }
        h
    };
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&hash(0xcbf29ce484222325).to_be_bytes());
    bytes[8..].copy_from_slice(&hash(0x84222325cbf29ce4).to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}

pub(crate) fn local_images() -> &'static [LocalImage] {
    static IMAGES: OnceLock<Vec<LocalImage>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let types = server_types();
        let names = |f: &dyn Fn(&ServerType) -> bool| -> Vec<String> {
            types.iter().filter(|t| f(t)).map(|t| t.name.clone()).collect()
        };
        let local = names(&|t| t.local && t.arch == "x86_64");
        let sbs_x86 = names(&|t| t.arch == "x86_64" && !t.name.ends_with("-WIN"));
        let sbs_arm = names(&|t| t.arch == "arm64");
        let mut images = Vec::new();
        for zone in ZONES {
            for (label, name) in LABELS {
                for (image_type, arch, compatible) in [
                    ("instance_local", "x86_64", &local),
                    ("instance_sbs", "arm64", &sbs_arm),
                    ("instance_sbs", "x86_64", &sbs_x86),
                ] {
                    // The ids the real API had in fr-par-1 for ubuntu_noble (2025-09 recordings).
                    let id = match (*zone, *label, image_type, arch) {
                        ("fr-par-1", "ubuntu_noble", "instance_local", _) => {
                            "98cf81a9-f0bd-4deb-8893-33f362f7421e".to_string()
                        }
                        ("fr-par-1", "ubuntu_noble", "instance_sbs", "x86_64") => {
                            "da954c89-6891-4c70-8fdc-63e094449a63".to_string()
                        }
                        ("fr-par-1", "ubuntu_noble", "instance_sbs", "arm64") => {
                            "6472cd88-225c-4c22-8eb0-381a265e7829".to_string()
                        }
                        _ => stable_id(&[zone, label, image_type, arch]),
                    };
                    images.push(LocalImage {
                        id,
                        label,
                        name,
                        zone,
                        arch,
                        image_type,
                        compatible: compatible.clone(),
                    });
                }
            }
        }
        images
    })
}

pub(crate) fn local_image(id: &str) -> Option<&'static LocalImage> {
    local_images().iter().find(|i| i.id == id)
}

pub(crate) fn local_image_json(i: &LocalImage) -> Value {
    json!({
        "id": i.id,
        "arch": i.arch,
        "zone": i.zone,
        "compatible_commercial_types": i.compatible,
        "label": i.label,
        "type": i.image_type,
    })
}

/// The Instance `Image` object of a local image.
pub(crate) fn instance_image_json(i: &LocalImage) -> Value {
    let (volume_type, size) = if i.image_type == "instance_local" {
        ("l_ssd", 10_000_000_000u64)
    } else {
        ("sbs_snapshot", 10_000_000_000u64)
    };
    let date = "2026-05-12T15:05:46.087080+00:00";
    json!({
        "id": i.id,
        "name": i.name,
        "organization": IMAGE_ORGANIZATION,
        "project": IMAGE_ORGANIZATION,
        "root_volume": {
            "id": stable_id(&[&i.id, "root"]),
            "name": i.name,
            "volume_type": volume_type,
            "size": size
        },
        "extra_volumes": {},
        "public": true,
        "arch": i.arch,
        "creation_date": date,
        "modification_date": date,
        "default_bootscript": null,
        "from_server": "",
        "state": "available",
        "tags": [],
        "zone": i.zone
    })
}

pub(crate) fn region_of(zone: &str) -> &str {
    zone.rsplit_once('-').map(|(r, _)| r).unwrap_or(zone)
}

// ---------------------------------------------------------------------------------------------
// The marketplace catalogue: categories, images and their versions. Every image is one of the
// labels of the local images above, and its current version is the one those local images belong
// to, so that image → version → local images → Instance image ids chain up.

/// A marketplace category.
pub(crate) struct Category {
    pub id: String,
    pub name: &'static str,
    pub description: &'static str,
}

/// A marketplace image: one label of [`LABELS`].
pub(crate) struct MarketplaceImage {
    pub id: String,
    pub label: &'static str,
    pub name: &'static str,
    pub description: String,
    pub category_ids: Vec<String>,
    pub arches: &'static [&'static str],
    pub created: &'static str,
    pub updated: &'static str,
    /// End of life: an image past it is listed only with `include_eol`.
    pub valid_until: Option<&'static str>,
    pub version: MarketplaceVersion,
}

/// The current version of a marketplace image.
pub(crate) struct MarketplaceVersion {
    pub id: String,
    pub image_id: String,
    pub name: &'static str,
    pub created: &'static str,
    pub updated: &'static str,
    pub published: &'static str,
}

/// The moment the catalogue's images were last rebuilt, the date of their Instance images.
const IMAGES_BUILT: &str = "2026-05-12T15:05:46.087080Z";

pub(crate) fn categories() -> &'static [Category] {
    static CATEGORIES: OnceLock<Vec<Category>> = OnceLock::new();
    CATEGORIES.get_or_init(|| {
        [
            (
                "distribution",
                "Operating systems, as published by their distributions",
            ),
            (
                "instantapp",
                "Applications installed on an operating system, ready to use",
            ),
            (
                "machine learning",
                "Operating systems with machine learning tools",
            ),
        ]
        .into_iter()
        .map(|(name, description)| Category {
            id: stable_id(&["category", name]),
            name,
            description,
        })
        .collect()
    })
}

pub(crate) fn category(id: &str) -> Option<&'static Category> {
    categories().iter().find(|c| c.id == id)
}

/// The date each label's image first appeared in the catalogue, and its end of life.
fn image_dates(label: &str) -> (&'static str, Option<&'static str>) {
    match label {
        "ubuntu_focal" => ("2020-04-23T10:00:00.000000Z", Some("2025-05-31T00:00:00Z")),
        "debian_bullseye" => ("2021-08-16T10:00:00.000000Z", Some("2026-08-31T00:00:00Z")),
        "ubuntu_jammy" => ("2022-04-21T10:00:00.000000Z", None),
        "debian_bookworm" => ("2023-06-12T10:00:00.000000Z", None),
        "centos_stream_9" => ("2022-01-04T10:00:00.000000Z", None),
        "rockylinux_9" => ("2022-07-14T10:00:00.000000Z", None),
        "ubuntu_noble" => ("2024-04-25T10:00:00.000000Z", None),
        _ => ("2024-10-29T10:00:00.000000Z", None),
    }
}

pub(crate) fn marketplace_images() -> &'static [MarketplaceImage] {
    static IMAGES: OnceLock<Vec<MarketplaceImage>> = OnceLock::new();
    IMAGES.get_or_init(|| {
        let distribution = categories()[0].id.clone();
        LABELS
            .iter()
            .map(|(label, name)| {
                let id = stable_id(&["marketplace image", label]);
                let (created, valid_until) = image_dates(label);
                MarketplaceImage {
                    version: MarketplaceVersion {
                        id: stable_id(&["marketplace version", label, IMAGES_BUILT]),
                        image_id: id.clone(),
                        name: "2026-05-12",
                        created: IMAGES_BUILT,
                        updated: IMAGES_BUILT,
                        published: IMAGES_BUILT,
                    },
                    id,
                    label,
                    name,
                    description: format!("{name}, as published by its distribution."),
                    category_ids: vec![distribution.clone()],
                    arches: &["arm64", "x86_64"],
                    created,
                    updated: IMAGES_BUILT,
                    valid_until,
                }
            })
            .collect()
    })
}

pub(crate) fn marketplace_image(id: &str) -> Option<&'static MarketplaceImage> {
    marketplace_images().iter().find(|i| i.id == id)
}

pub(crate) fn marketplace_image_of_label(label: &str) -> Option<&'static MarketplaceImage> {
    marketplace_images().iter().find(|i| i.label == label)
}

pub(crate) fn marketplace_version(id: &str) -> Option<&'static MarketplaceVersion> {
    marketplace_images()
        .iter()
        .map(|i| &i.version)
        .find(|v| v.id == id)
}

/// Whether an image is past its end of life.
pub(crate) fn is_end_of_life(image: &MarketplaceImage) -> bool {
    image
        .valid_until
        .is_some_and(|until| until < chrono::Utc::now().to_rfc3339().as_str())
}

/// A stable UUID for a static entry of another catalogue (Account contracts).
pub(crate) fn static_id(parts: &[&str]) -> String {
    stable_id(parts)
}

// ---------------------------------------------------------------------------------------------
// Local storage and file systems per commercial type, as ListServersTypes shows them.

const GB: u64 = 1_000_000_000;

/// The smallest and largest l_ssd volume any local type takes.
pub(crate) const L_SSD_MIN_SIZE: u64 = GB;
pub(crate) const L_SSD_MAX_SIZE: u64 = 800 * GB;

/// The total size of l_ssd volumes a type may hold (`volumes_constraint.max_size`, recorded for
/// every local type); a local root made without a size takes all of it. Types without local
/// storage have none.
pub(crate) fn local_budget(t: &ServerType) -> u64 {
    if !t.local {
        return 0;
    }
    let gb = match t.name.as_str() {
        "DEV1-S" => 20,
        "DEV1-M" => 40,
        "DEV1-L" => 80,
        "DEV1-XL" => 120,
        "GP1-XS" => 150,
        "GP1-S" => 300,
        "GP1-M" | "GP1-L" | "GP1-XL" => 600,
        "START1-XS" => 25,
        "START1-S" => 50,
        "START1-M" => 100,
        "START1-L" => 200,
        "STARDUST1-S" => 10,
        _ => 20 * t.ncpus.min(16),
    };
    gb * GB
}

/// How many file systems a type can attach: POP2 types (not the Windows ones) one per 4 vCPUs,
/// at least one (recorded); the other types of the catalogue none.
pub(crate) fn max_file_systems(t: &ServerType) -> u64 {
    let pop2 = t.name.starts_with("POP2-") && !t.name.ends_with("-WIN");
    if pop2 { (t.ncpus / 4).max(1) } else { 0 }
}

/// The volume types ListVolumesTypes shows, with their size limits.
pub(crate) fn volume_types_json() -> Value {
    json!({
        "l_ssd": {
            "display_name": "Local SSD",
            "capabilities": {"snapshot": true},
            "constraints": {"min": L_SSD_MIN_SIZE, "max": L_SSD_MAX_SIZE}
        },
        "sbs_volume": {
            "display_name": "Block SSD",
            "capabilities": {"snapshot": true},
            "constraints": {"min": GB, "max": 10_000 * GB}
        },
        "scratch": {
            "display_name": "Scratch",
            "capabilities": {"snapshot": false},
            "constraints": {"min": 0, "max": 0}
        }
    })
}
