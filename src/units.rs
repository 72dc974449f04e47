//! Byte sizes in Scaleway's units.
//!
//! Scaleway sizes volumes in bytes and bills them in SI gigabytes: 1 GB = 10^9 bytes (not 2^30).
//! A "10 GB" volume is `10_000_000_000` bytes in every request and response. [`ByteSize`] keeps
//! the byte count and converts both ways with overflow checks, so a size never wraps silently.
//!
//! ```
//! use scaleway_client::ByteSize;
//!
//! let size = ByteSize::from_gb(10)?;
//! assert_eq!(size.bytes(), 10_000_000_000);
//! assert_eq!(size.whole_gb(), 10);
//! assert_eq!(ByteSize::from_bytes(1_500_000_000).gb_exact(), None); // not a whole number of GB
//! assert!(ByteSize::from_gb(u64::MAX).is_err());
//! # Ok::<(), scaleway_client::UnitError>(())
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

/// Bytes in one SI gigabyte, the unit Scaleway sizes and bills volumes in.
pub const BYTES_PER_GB: u64 = 1_000_000_000;

/// A size in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ByteSize(u64);

/// A size that cannot be represented.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    /// The size does not fit in 64 bits of bytes.
    #[error("{value} {unit} is too large: the byte count does not fit in 64 bits")]
    Overflow {
        /// The value given.
        value: u64,
        /// Its unit (`"GB"`).
        unit: &'static str,
    },
}

impl ByteSize {
    /// Zero bytes.
    pub const ZERO: ByteSize = ByteSize(0);

    /// A size of `bytes` bytes.
    pub const fn from_bytes(bytes: u64) -> ByteSize {
        ByteSize(bytes)
    }

    /// A size of `gb` SI gigabytes (`gb × 10^9` bytes); an error if that overflows.
    pub fn from_gb(gb: u64) -> Result<ByteSize, UnitError> {
        gb.checked_mul(BYTES_PER_GB)
            .map(ByteSize)
            .ok_or(UnitError::Overflow {
                value: gb,
                unit: "GB",
            })
    }

    /// The size in bytes.
    pub const fn bytes(self) -> u64 {
        self.0
    }

    /// The number of whole gigabytes (rounded down): what a size "is" in GB for display.
    pub const fn whole_gb(self) -> u64 {
        self.0 / BYTES_PER_GB
    }

    /// The size in gigabytes when it is a whole number of them, as Scaleway volumes are.
    pub const fn gb_exact(self) -> Option<u64> {
        if self.0.is_multiple_of(BYTES_PER_GB) {
            Some(self.0 / BYTES_PER_GB)
        } else {
            None
        }
    }

    /// The size in gigabytes as a decimal number (may lose precision above 2^53 bytes).
    pub fn gb_f64(self) -> f64 {
        self.0 as f64 / BYTES_PER_GB as f64
    }
}

impl From<ByteSize> for u64 {
    fn from(size: ByteSize) -> u64 {
        size.0
    }
}

impl fmt::Display for ByteSize {
    /// `10 GB` for whole gigabytes, otherwise the byte count (`1500000000 B`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.gb_exact() {
            Some(gb) if self.0 > 0 => write!(f, "{gb} GB"),
            _ => write!(f, "{} B", self.0),
        }
    }
}
