//! Zones and regions.
//!
//! Scaleway resources live either in a zone (`fr-par-1`: servers, volumes, security groups) or in
//! a region (`fr-par`: private networks, VPCs). A zone's region is the zone without its trailing
//! `-N`.
//!
//! [`Zone`] and [`Region`] parse only the locations this version knows, so that a typo is caught
//! before any request. A location that Scaleway opens after this release can still be named with
//! [`Zone::new_unchecked`] / [`Region::new_unchecked`], which check the shape of the name only.
//!
//! ```
//! use scaleway_client::{Region, Zone};
//!
//! let zone: Zone = "fr-par-2".parse()?;
//! assert_eq!(zone.region(), Region::FR_PAR);
//! assert_eq!("par1".parse::<Zone>()?, Zone::FR_PAR_1); // legacy name
//! assert!("fr-par-9".parse::<Zone>().is_err());
//! let future = Zone::new_unchecked("de-fra-1")?;
//! assert_eq!(future.region().as_str(), "de-fra");
//! # Ok::<(), scaleway_client::LocalityError>(())
//! ```

use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A Scaleway availability zone, such as `fr-par-1`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Zone(Cow<'static, str>);

/// A Scaleway region, such as `fr-par`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Region(Cow<'static, str>);

/// A zone or region name that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LocalityError {
    /// Not one of the zones this version knows.
    #[error("unknown zone `{given}`; valid zones: {}", Zone::known_names().join(", "))]
    UnknownZone {
        /// What was given.
        given: String,
    },
    /// Not one of the regions this version knows.
    #[error("unknown region `{given}`; valid regions: {}", Region::known_names().join(", "))]
    UnknownRegion {
        /// What was given.
        given: String,
    },
    /// Not shaped like a location name at all (`xx-yyy-N` for a zone, `xx-yyy` for a region).
    #[error("`{given}` is not a valid {kind} name (expected lower-case letters like `fr-par{}`)", if *.kind == "zone" { "-1" } else { "" })]
    Malformed {
        /// What was given.
        given: String,
        /// `"zone"` or `"region"`.
        kind: &'static str,
    },
}

macro_rules! known {
    ($ty:ident, $kind:literal, $( $konst:ident = $name:literal ),+ $(,)?) => {
        impl $ty {
            $(
                #[doc = concat!("The ", $kind, " `", $name, "`.")]
                pub const $konst: $ty = $ty(Cow::Borrowed($name));
            )+

            /// Every value this version knows, in Scaleway's order.
            pub const KNOWN: &'static [$ty] = &[$($ty::$konst),+];

            fn known_names() -> Vec<&'static str> {
                vec![$($name),+]
            }
        }
    };
}

known!(
    Zone,
    "zone",
    FR_PAR_1 = "fr-par-1",
    FR_PAR_2 = "fr-par-2",
    FR_PAR_3 = "fr-par-3",
    NL_AMS_1 = "nl-ams-1",
    NL_AMS_2 = "nl-ams-2",
    NL_AMS_3 = "nl-ams-3",
    PL_WAW_1 = "pl-waw-1",
    PL_WAW_2 = "pl-waw-2",
    PL_WAW_3 = "pl-waw-3",
    IT_MIL_1 = "it-mil-1",
);

known!(
    Region,
    "region",
    FR_PAR = "fr-par",
    NL_AMS = "nl-ams",
    PL_WAW = "pl-waw",
    IT_MIL = "it-mil",
);

/// `xx-yyy`: two lower-case words of letters.
fn is_region_shape(s: &str) -> bool {
    let mut parts = s.split('-');
    let ok = |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase()));
    ok(parts.next()) && ok(parts.next()) && parts.next().is_none()
}

/// `xx-yyy-N`: a region shape followed by a number.
fn split_zone_shape(s: &str) -> Option<(&str, &str)> {
    let (region, number) = s.rsplit_once('-')?;
    (is_region_shape(region) && !number.is_empty() && number.chars().all(|c| c.is_ascii_digit()))
        .then_some((region, number))
}

impl Zone {
    /// A zone this version may not know, checked for shape only (`xx-yyy-N`). Use it for a zone
    /// Scaleway opened after this release; everything else should use [`str::parse`].
    pub fn new_unchecked(name: &str) -> Result<Zone, LocalityError> {
        match split_zone_shape(name) {
            Some(_) => Ok(Zone(Cow::Owned(name.to_string()))),
            None => Err(LocalityError::Malformed {
                given: name.to_string(),
                kind: "zone",
            }),
        }
    }

    /// The zone's name, e.g. `fr-par-1`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The region the zone belongs to (`fr-par-1` → `fr-par`).
    pub fn region(&self) -> Region {
        let region = self.0.rsplit_once('-').map(|(r, _)| r).unwrap_or(&self.0);
        Region::KNOWN
            .iter()
            .find(|r| r.as_str() == region)
            .cloned()
            .unwrap_or_else(|| Region(Cow::Owned(region.to_string())))
    }

    /// Whether this version knows the zone (it was not made with [`Zone::new_unchecked`] for a
    /// location outside [`Zone::KNOWN`]).
    pub fn is_known(&self) -> bool {
        Zone::KNOWN.contains(self)
    }
}

impl Region {
    /// A region this version may not know, checked for shape only (`xx-yyy`).
    pub fn new_unchecked(name: &str) -> Result<Region, LocalityError> {
        if is_region_shape(name) {
            Ok(Region(Cow::Owned(name.to_string())))
        } else {
            Err(LocalityError::Malformed {
                given: name.to_string(),
                kind: "region",
            })
        }
    }

    /// The region's name, e.g. `fr-par`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The known zones of this region.
    pub fn zones(&self) -> Vec<Zone> {
        Zone::KNOWN
            .iter()
            .filter(|z| z.region() == *self)
            .cloned()
            .collect()
    }

    /// Whether this version knows the region.
    pub fn is_known(&self) -> bool {
        Region::KNOWN.contains(self)
    }
}

impl FromStr for Zone {
    type Err = LocalityError;

    /// Parses a known zone; also accepts the legacy names `par1` and `ams1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        let name = match name {
            "par1" => "fr-par-1",
            "ams1" => "nl-ams-1",
            other => other,
        };
        Zone::KNOWN
            .iter()
            .find(|z| z.as_str() == name)
            .cloned()
            .ok_or_else(|| LocalityError::UnknownZone { given: s.to_string() })
    }
}

impl FromStr for Region {
    type Err = LocalityError;

    /// Parses a known region; also accepts the legacy names `par1` and `ams1`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim();
        let name = match name {
            "par1" => "fr-par",
            "ams1" => "nl-ams",
            other => other,
        };
        Region::KNOWN
            .iter()
            .find(|r| r.as_str() == name)
            .cloned()
            .ok_or_else(|| LocalityError::UnknownRegion { given: s.to_string() })
    }
}

macro_rules! string_like {
    ($ty:ident) => {
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($ty), self.0)
            }
        }

        impl AsRef<str> for $ty {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<$ty> for String {
            fn from(value: $ty) -> String {
                value.0.into_owned()
            }
        }

        impl From<&$ty> for String {
            fn from(value: &$ty) -> String {
                value.0.to_string()
            }
        }

        impl Serialize for $ty {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        /// Deserializes a known value only, like [`str::parse`].
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let s = String::deserialize(deserializer)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

string_like!(Zone);
string_like!(Region);
