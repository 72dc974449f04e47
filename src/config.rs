//! Configuration: credentials, default project and location, API URL.
//!
//! A [`Config`] always holds a [`SecretKey`]; everything else is optional or has a default. It is
//! made by [`ConfigBuilder`], either from explicit values only ([`ConfigBuilder::build`]) or by
//! also looking at the environment and the `scw` CLI's profile file ([`Config::infer`],
//! [`ConfigBuilder::infer`], [`ConfigBuilder::infer_with`]).
//!
//! # Precedence
//!
//! Each value is taken from the first of these that has it:
//!
//! 1. **explicit values** given to the [`ConfigBuilder`];
//! 2. **the environment**: `SCW_SECRET_KEY`, `SCW_ACCESS_KEY`, `SCW_DEFAULT_PROJECT_ID`,
//!    `SCW_DEFAULT_ORGANIZATION_ID`, `SCW_DEFAULT_ZONE`, `SCW_DEFAULT_REGION`, `SCW_API_URL`.
//!    The aliases `SCALEWAY_SECRET_KEY`, `SCALEWAY_PROJECT_ID` and `SCALEWAY_ZONE` are read only
//!    when the official name is unset. Empty values count as unset;
//! 3. **the `scw` profile file** (`config.yaml`, the file the `scw` CLI writes): the one given to
//!    [`ConfigBuilder::profile_file`], else `$SCW_CONFIG_PATH`, else
//!    `$XDG_CONFIG_HOME/scw/config.yaml`, else `$HOME/.config/scw/config.yaml`. A file missing at
//!    one of the last two (default) locations is simply not used; a file named explicitly must
//!    exist. The profile used is [`ConfigBuilder::profile`], else `$SCW_PROFILE`, else the file's
//!    `active_profile`. It is a level of its own, above the file's top-level keys: each of its
//!    keys overrides the top-level one, and a top-level key it does not have still applies. The
//!    name `default` means the top-level keys unless the file has a profile of that name;
//! 4. **defaults**: zone `fr-par-1`, region `fr-par`, API URL `https://api.scaleway.com`.
//!
//! A zone alone implies its region; a region alone implies its first zone (`nl-ams` →
//! `nl-ams-1`). A zone and a region given at the same level (both explicit, both in the
//! environment, both in the selected profile, or both at the file's top level) must agree; when
//! they come from different levels, the higher level wins and the other value is replaced if it
//! does not belong with it. So a profile's `default_region: nl-ams` under a top-level
//! `default_zone: fr-par-1` gives `nl-ams` and its first zone, `nl-ams-1`.
//!
//! Errors name the variable, or the file and line, at fault. The secret key never appears in an
//! error, in `Debug` or `Display` output, or in a tracing event.
//!
//! # Examples
//!
//! Explicit values only:
//!
//! ```
//! use scaleway_client::Zone;
//! use scaleway_client::config::Config;
//!
//! let config = Config::builder()
//!     .secret_key("11111111-2222-3333-4444-555555555555")
//!     .zone(Zone::NL_AMS_2)
//!     .build()?;
//! assert_eq!(config.region().as_str(), "nl-ams");
//! assert_eq!(config.api_url(), "https://api.scaleway.com");
//! assert!(!format!("{config:?}").contains("11111111-2222"));
//! # Ok::<(), scaleway_client::ConfigError>(())
//! ```
//!
//! With an injected environment (an explicit value wins over the environment):
//!
//! ```
//! use scaleway_client::config::Config;
//!
//! let env = |name: &str| match name {
//!     "SCW_SECRET_KEY" => Some("11111111-2222-3333-4444-555555555555".to_string()),
//!     "SCW_DEFAULT_ZONE" => Some("pl-waw-2".to_string()),
//!     "SCW_API_URL" => Some("https://api.example.com/".to_string()),
//!     _ => None, // no HOME: no profile file is looked for
//! };
//! let config = Config::builder().api_url("http://localhost:8080").infer_with(env)?;
//! assert_eq!(config.zone().as_str(), "pl-waw-2");
//! assert_eq!(config.region().as_str(), "pl-waw");
//! assert_eq!(config.api_url(), "http://localhost:8080");
//! # Ok::<(), scaleway_client::ConfigError>(())
//! ```
//!
//! From the real environment and `~/.config/scw/config.yaml`, as the `scw` CLI does:
//!
//! ```no_run
//! use scaleway_client::config::Config;
//!
//! let config = Config::infer()?;
//! println!("zone {}, project {:?}", config.zone(), config.project_id());
//! # Ok::<(), scaleway_client::ConfigError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::PathBuf;
use std::str::FromStr;

use serde_yaml_ng::{Mapping, Value};
use tracing::debug;

use crate::locality::{Region, Zone};

/// Why a configuration could not be built. Messages name the variable, file and line at fault
/// and never contain a secret key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required value was found nowhere.
    #[error("missing {what}: {hint}")]
    Missing {
        /// What is missing (`secret key`).
        what: &'static str,
        /// Where it can be given (`set SCW_SECRET_KEY or ...`).
        hint: String,
    },
    /// A value is present but not valid.
    #[error("invalid {what} in {origin}: {reason}")]
    Invalid {
        /// Which value (`secret key`, `default zone`, ...).
        what: &'static str,
        /// Where it came from: `environment variable SCW_SECRET_KEY`, `/home/me/.config/scw/config.yaml line 4`,
        /// `Config::builder()`.
        origin: String,
        /// Why it is refused; never the secret itself.
        reason: String,
    },
    /// The profile file could not be read or parsed.
    #[error("cannot use profile file {}{}: {reason}", path.display(), line.map(|l| format!(" line {l}")).unwrap_or_default())]
    File {
        /// The file.
        path: PathBuf,
        /// The line at fault, when known.
        line: Option<usize>,
        /// What is wrong.
        reason: String,
    },
    /// The selected profile is not in the profile file.
    #[error("profile `{name}` not found in {}; profiles there: {}", path.display(), if available.is_empty() { "none".to_string() } else { available.join(", ") })]
    UnknownProfile {
        /// The profile asked for (`SCW_PROFILE` or `active_profile`).
        name: String,
        /// The file.
        path: PathBuf,
        /// Profiles the file has.
        available: Vec<String>,
    },
}

/// The API URL used when none is configured.
const DEFAULT_API_URL: &str = "https://api.scaleway.com";

/// What every error about a builder value names as its origin.
const BUILDER: &str = "Config::builder()";

/// Environment variables, official name first, then the aliases read when it is unset.
const ENV_SECRET_KEY: &[&str] = &["SCW_SECRET_KEY", "SCALEWAY_SECRET_KEY"];
const ENV_ACCESS_KEY: &[&str] = &["SCW_ACCESS_KEY"];
const ENV_PROJECT_ID: &[&str] = &["SCW_DEFAULT_PROJECT_ID", "SCALEWAY_PROJECT_ID"];
const ENV_ORGANIZATION_ID: &[&str] = &["SCW_DEFAULT_ORGANIZATION_ID"];
const ENV_ZONE: &[&str] = &["SCW_DEFAULT_ZONE", "SCALEWAY_ZONE"];
const ENV_REGION: &[&str] = &["SCW_DEFAULT_REGION"];
const ENV_API_URL: &[&str] = &["SCW_API_URL"];
const ENV_PROFILE: &str = "SCW_PROFILE";
const ENV_CONFIG_PATH: &str = "SCW_CONFIG_PATH";

/// Keys of a profile in the `scw` profile file.
const KEY_ACCESS_KEY: &str = "access_key";
const KEY_SECRET_KEY: &str = "secret_key";
const KEY_ORGANIZATION_ID: &str = "default_organization_id";
const KEY_PROJECT_ID: &str = "default_project_id";
const KEY_ZONE: &str = "default_zone";
const KEY_REGION: &str = "default_region";
const KEY_API_URL: &str = "api_url";
const PROFILE_KEYS: [&str; 7] = [
    KEY_ACCESS_KEY,
    KEY_SECRET_KEY,
    KEY_ORGANIZATION_ID,
    KEY_PROJECT_ID,
    KEY_ZONE,
    KEY_REGION,
    KEY_API_URL,
];

/// The profile name that means the file's top-level keys.
const DEFAULT_PROFILE: &str = "default";

/// What a UUID looks like, for error messages.
const UUID_SHAPE: &str = "expected 8-4-4-4-12 hexadecimal digits: xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";

/// Redaction marker written instead of a secret.
const REDACTED: &str = "<redacted>";

// ---------------------------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------------------------

/// A Scaleway secret key: a UUID (`xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`, hexadecimal digits).
///
/// Its `Debug` output is `SecretKey(<redacted>)` and its `Display` output `<redacted>`; the value
/// is only available through [`SecretKey::expose`]. Parsing errors never contain the value.
///
/// ```
/// use scaleway_client::config::SecretKey;
///
/// let key = SecretKey::new("11111111-2222-3333-4444-555555555555")?;
/// assert_eq!(key.to_string(), "<redacted>");
/// assert_eq!(key.expose(), "11111111-2222-3333-4444-555555555555");
/// assert!(SecretKey::new("hunter2").is_err());
/// # Ok::<(), scaleway_client::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct SecretKey(String);

impl SecretKey {
    /// Checks that `value` is a UUID (case-insensitive). The error does not contain the value.
    pub fn new(value: &str) -> Result<SecretKey, ConfigError> {
        SecretKey::parse(value.to_string(), &Origin::Code("SecretKey::new"))
    }

    fn parse(value: String, origin: &Origin) -> Result<SecretKey, ConfigError> {
        if is_uuid(&value) {
            return Ok(SecretKey(value));
        }
        let mut reason = format!("not a UUID ({UUID_SHAPE}); the value is not shown as it may be secret");
        if AccessKey::is_valid(&value) {
            reason.push_str("; it looks like an access key (SCW...), which is not the secret key");
        }
        Err(ConfigError::Invalid {
            what: "secret key",
            origin: origin.to_string(),
            reason,
        })
    }

    /// The secret value, to be sent to the API. Do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl FromStr for SecretKey {
    type Err = ConfigError;

    /// Same as [`SecretKey::new`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        SecretKey::new(s)
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({REDACTED})")
    }
}

impl fmt::Display for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// A Scaleway access key: `SCW` followed by 17 upper-case letters or digits. It identifies a key
/// pair and is not secret, so `Debug` and `Display` show it.
///
/// ```
/// use scaleway_client::config::AccessKey;
///
/// let key: AccessKey = "SCWABCDEFGHIJ0123456".parse()?;
/// assert_eq!(key.to_string(), "SCWABCDEFGHIJ0123456");
/// assert!(AccessKey::new("SCWabcdefghij0123456").is_err());
/// # Ok::<(), scaleway_client::ConfigError>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AccessKey(String);

impl AccessKey {
    /// Checks that `value` is `SCW` followed by exactly 17 characters in `[A-Z0-9]`.
    pub fn new(value: &str) -> Result<AccessKey, ConfigError> {
        AccessKey::parse(value.to_string(), &Origin::Code("AccessKey::new"))
    }

    fn is_valid(value: &str) -> bool {
        value.strip_prefix("SCW").is_some_and(|rest| {
            rest.len() == 17 && rest.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
        })
    }

    fn parse(value: String, origin: &Origin) -> Result<AccessKey, ConfigError> {
        if AccessKey::is_valid(&value) {
            return Ok(AccessKey(value));
        }
        const EXPECTED: &str = "expected `SCW` followed by 17 upper-case letters or digits";
        // A secret key given in the wrong place must not be echoed.
        let reason = if is_uuid(&value) {
            format!("{EXPECTED}; this looks like a secret key (a UUID), which is not shown")
        } else {
            format!("{EXPECTED}, got `{value}`")
        };
        Err(ConfigError::Invalid {
            what: "access key",
            origin: origin.to_string(),
            reason,
        })
    }

    /// The access key, e.g. `SCWXXXXXXXXXXXXXXXXX`.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for AccessKey {
    type Err = ConfigError;

    /// Same as [`AccessKey::new`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AccessKey::new(s)
    }
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AccessKey({:?})", self.0)
    }
}

impl fmt::Display for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for AccessKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// `8-4-4-4-12` hexadecimal digits, either case; no braces, no `urn:uuid:`, no simple form.
fn is_uuid(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() == 36
        && bytes.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Replaces every UUID-shaped part of `text` (a possible secret key) with `<redacted>`.
fn redact_uuids(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if rest.get(..36).is_some_and(is_uuid) {
            out.push_str(REDACTED);
            rest = &rest[36..];
        } else {
            let c = rest.chars().next().unwrap_or_default();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Config
// ---------------------------------------------------------------------------------------------

/// A complete configuration: a secret key, optional access key, project and organization, a zone
/// and its region, and the API URL.
///
/// Make one with [`Config::infer`] or [`Config::builder`]. `Debug` shows the secret key as
/// `<redacted>`.
#[derive(Clone, Debug)]
pub struct Config {
    secret_key: SecretKey,
    access_key: Option<AccessKey>,
    project_id: Option<String>,
    organization_id: Option<String>,
    zone: Zone,
    region: Region,
    api_url: String,
}

impl Config {
    /// A builder with nothing set.
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// The configuration of this process, found as the `scw` CLI finds it; same as
    /// `Config::builder().infer()`.
    ///
    /// Precedence, for each value: **explicit values (builder), then environment, then the scw
    /// profile file, then defaults**. Here there are no explicit values, so: the environment
    /// (`SCW_SECRET_KEY`, `SCW_DEFAULT_ZONE`, ...), then the profile file (`$SCW_CONFIG_PATH`,
    /// else `$XDG_CONFIG_HOME/scw/config.yaml`, else `$HOME/.config/scw/config.yaml`): first its
    /// selected profile (`$SCW_PROFILE`, else `active_profile`), then its top-level keys; then
    /// the defaults (zone `fr-par-1`, API URL `https://api.scaleway.com`). A zone or region from
    /// a higher level wins over a region or zone from a lower one, the other following it. See
    /// the [module documentation](self) for the details.
    ///
    /// Fails when no secret key is found, when a value is invalid, or when the profile file or
    /// profile cannot be used.
    pub fn infer() -> Result<Config, ConfigError> {
        Config::builder().infer()
    }

    /// The secret key, sent with every request.
    pub fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }

    /// The access key, when one was configured.
    pub fn access_key(&self) -> Option<&AccessKey> {
        self.access_key.as_ref()
    }

    /// The default project id (a UUID), when one was configured.
    pub fn project_id(&self) -> Option<&str> {
        self.project_id.as_deref()
    }

    /// The default organization id (a UUID), when one was configured.
    pub fn organization_id(&self) -> Option<&str> {
        self.organization_id.as_deref()
    }

    /// The default zone.
    pub fn zone(&self) -> &Zone {
        &self.zone
    }

    /// The default region: the default zone's region.
    pub fn region(&self) -> &Region {
        &self.region
    }

    /// The API base URL, without a trailing slash.
    pub fn api_url(&self) -> &str {
        &self.api_url
    }
}

/// Values for a [`Config`]: set what you know, then call [`build`](ConfigBuilder::build)
/// (explicit values and defaults only) or [`infer`](ConfigBuilder::infer) (explicit values,
/// then the environment, then the profile file, then defaults).
///
/// Setters only store; values are checked when the configuration is built, and errors name
/// `Config::builder()` as the origin of a bad explicit value.
#[derive(Clone, Default)]
pub struct ConfigBuilder {
    secret_key: Option<String>,
    access_key: Option<String>,
    project_id: Option<String>,
    organization_id: Option<String>,
    zone: Option<Zone>,
    region: Option<Region>,
    api_url: Option<String>,
    profile: Option<String>,
    profile_file: Option<PathBuf>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("secret_key", &self.secret_key.as_ref().map(|_| Redacted))
            .field("access_key", &self.access_key)
            .field("project_id", &self.project_id)
            .field("organization_id", &self.organization_id)
            .field("zone", &self.zone)
            .field("region", &self.region)
            .field("api_url", &self.api_url)
            .field("profile", &self.profile)
            .field("profile_file", &self.profile_file)
            .finish()
    }
}

/// Debug-prints as `<redacted>`.
struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl ConfigBuilder {
    /// The secret key (a UUID). Overrides `SCW_SECRET_KEY` and the profile file.
    pub fn secret_key(mut self, secret_key: impl Into<String>) -> Self {
        self.secret_key = Some(secret_key.into());
        self
    }

    /// The access key (`SCW` + 17 characters). Overrides `SCW_ACCESS_KEY` and the profile file.
    pub fn access_key(mut self, access_key: impl Into<String>) -> Self {
        self.access_key = Some(access_key.into());
        self
    }

    /// The default project id (a UUID). Overrides `SCW_DEFAULT_PROJECT_ID` and the profile file.
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// The default organization id (a UUID). Overrides `SCW_DEFAULT_ORGANIZATION_ID` and the
    /// profile file.
    pub fn organization_id(mut self, organization_id: impl Into<String>) -> Self {
        self.organization_id = Some(organization_id.into());
        self
    }

    /// The default zone. Overrides `SCW_DEFAULT_ZONE` and the profile file; without a region, the
    /// region is the zone's.
    pub fn zone(mut self, zone: Zone) -> Self {
        self.zone = Some(zone);
        self
    }

    /// The default region. Overrides `SCW_DEFAULT_REGION` and the profile file; without a zone,
    /// the zone is the region's first (`nl-ams` → `nl-ams-1`).
    pub fn region(mut self, region: Region) -> Self {
        self.region = Some(region);
        self
    }

    /// The API base URL (`http://` or `https://`; a trailing slash is removed). Overrides
    /// `SCW_API_URL` and the profile file.
    pub fn api_url(mut self, api_url: impl Into<String>) -> Self {
        self.api_url = Some(api_url.into());
        self
    }

    /// The profile of the profile file to use when inferring. Overrides `SCW_PROFILE` and the
    /// file's `active_profile`. Ignored by [`build`](ConfigBuilder::build).
    pub fn profile(mut self, profile: impl Into<String>) -> Self {
        self.profile = Some(profile.into());
        self
    }

    /// The profile file to read when inferring, instead of `$SCW_CONFIG_PATH` or the default
    /// location. It must exist. Ignored by [`build`](ConfigBuilder::build).
    pub fn profile_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.profile_file = Some(path.into());
        self
    }

    /// Builds from the explicit values and the defaults only: neither the environment nor the
    /// profile file is read.
    ///
    /// Fails with [`ConfigError::Missing`] when no secret key was given, and with
    /// [`ConfigError::Invalid`] when a value is malformed or the zone is not in the region.
    pub fn build(self) -> Result<Config, ConfigError> {
        let hint = "call ConfigBuilder::secret_key, or use ConfigBuilder::infer to read SCW_SECRET_KEY \
                    (or SCALEWAY_SECRET_KEY) or the scw profile file"
            .to_string();
        self.resolve(&|_| None, &Fields::new(), hint)
    }

    /// Builds from the explicit values, then the process environment, then the `scw` profile
    /// file, then the defaults; see the [module documentation](self) for the rules.
    ///
    /// Same as [`infer_with`](ConfigBuilder::infer_with) with `std::env::var`.
    pub fn infer(self) -> Result<Config, ConfigError> {
        self.infer_with(|name| std::env::var(name).ok())
    }

    /// Same as [`infer`](ConfigBuilder::infer), with `env` standing for the environment: it
    /// returns the value of a variable, or `None` when it is unset. Empty values count as unset.
    ///
    /// ```
    /// use std::collections::HashMap;
    ///
    /// use scaleway_client::config::Config;
    ///
    /// let env = HashMap::from([
    ///     ("SCALEWAY_SECRET_KEY", "11111111-2222-3333-4444-555555555555"),
    ///     ("SCW_DEFAULT_REGION", "nl-ams"),
    /// ]);
    /// let config = Config::builder().infer_with(|name| env.get(name).map(|v| v.to_string()))?;
    /// assert_eq!(config.zone().as_str(), "nl-ams-1");
    /// # Ok::<(), scaleway_client::ConfigError>(())
    /// ```
    pub fn infer_with(self, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = move |name: &str| env(name).filter(|value| !value.is_empty());
        let location = self.profile_location(&env);
        let requested_profile = self
            .profile
            .clone()
            .filter(|name| !name.is_empty())
            .or_else(|| env(ENV_PROFILE));

        let fields = match &location {
            Some(location) => match ProfileFile::load(location)? {
                Some(file) => {
                    let name = requested_profile.or_else(|| file.active_profile.clone());
                    let profile = name.as_deref().unwrap_or(DEFAULT_PROFILE);
                    debug!(path = %file.path.display(), profile, "using scw profile file");
                    file.select(name.as_deref())?
                }
                None => {
                    debug!(path = %location.path.display(), "no scw profile file");
                    if let Some(name) = requested_profile.filter(|name| name != DEFAULT_PROFILE) {
                        return Err(ConfigError::UnknownProfile {
                            name,
                            path: location.path.clone(),
                            available: Vec::new(),
                        });
                    }
                    Fields::new()
                }
            },
            None => {
                if let Some(name) = requested_profile.filter(|name| name != DEFAULT_PROFILE) {
                    return Err(ConfigError::Missing {
                        what: "profile file",
                        hint: format!(
                            "profile `{name}` was asked for, but no profile file location is known: \
                             set SCW_CONFIG_PATH, XDG_CONFIG_HOME or HOME"
                        ),
                    });
                }
                Fields::new()
            }
        };

        let file_hint = match &location {
            Some(location) => location.path.display().to_string(),
            None => "a profile file (none looked at: SCW_CONFIG_PATH, XDG_CONFIG_HOME and HOME are unset)"
                .to_string(),
        };
        let hint = format!("set SCW_SECRET_KEY (or SCALEWAY_SECRET_KEY), or secret_key in {file_hint}");
        self.resolve(&env, &fields, hint)
    }

    /// Where the profile file is: the builder's, `$SCW_CONFIG_PATH`, `$XDG_CONFIG_HOME/scw/...`
    /// or `$HOME/.config/scw/...`.
    fn profile_location(&self, env: &dyn Fn(&str) -> Option<String>) -> Option<ProfileLocation> {
        if let Some(path) = &self.profile_file {
            return Some(ProfileLocation {
                path: path.clone(),
                named_by: Some(BUILDER),
            });
        }
        if let Some(path) = env(ENV_CONFIG_PATH) {
            return Some(ProfileLocation {
                path: path.into(),
                named_by: Some("SCW_CONFIG_PATH"),
            });
        }
        let default = |dir: String, sub: &[&str]| {
            let mut path = PathBuf::from(dir);
            path.extend(sub);
            ProfileLocation { path, named_by: None }
        };
        if let Some(dir) = env("XDG_CONFIG_HOME") {
            return Some(default(dir, &["scw", "config.yaml"]));
        }
        env("HOME").map(|dir| default(dir, &[".config", "scw", "config.yaml"]))
    }

    /// Picks every value by precedence and checks it.
    fn resolve(
        self,
        env: &dyn Fn(&str) -> Option<String>,
        file: &Fields,
        secret_hint: String,
    ) -> Result<Config, ConfigError> {
        let pick = |explicit: Option<String>, names: &[&'static str], key: &str| {
            explicit
                .map(|value| Sourced {
                    value,
                    origin: Origin::Code(BUILDER),
                })
                .or_else(|| {
                    names.iter().find_map(|&name| {
                        env(name).map(|value| Sourced {
                            value,
                            origin: Origin::Env(name),
                        })
                    })
                })
                .or_else(|| file.get(key).cloned())
        };

        let secret = pick(self.secret_key, ENV_SECRET_KEY, KEY_SECRET_KEY).ok_or(ConfigError::Missing {
            what: "secret key",
            hint: secret_hint,
        })?;
        debug!(origin = %secret.origin, "secret key found");
        let secret_key = SecretKey::parse(secret.value, &secret.origin)?;

        let access_key = pick(self.access_key, ENV_ACCESS_KEY, KEY_ACCESS_KEY)
            .map(|s| AccessKey::parse(s.value, &s.origin))
            .transpose()?;
        let project_id = pick(self.project_id, ENV_PROJECT_ID, KEY_PROJECT_ID)
            .map(|s| check_id("default project id", s))
            .transpose()?;
        let organization_id = pick(self.organization_id, ENV_ORGANIZATION_ID, KEY_ORGANIZATION_ID)
            .map(|s| check_id("default organization id", s))
            .transpose()?;

        let zone = match self.zone {
            Some(zone) => Some(Sourced {
                value: zone,
                origin: Origin::Code(BUILDER),
            }),
            None => pick(None, ENV_ZONE, KEY_ZONE)
                .map(|s| parse_locality("default zone", s))
                .transpose()?,
        };
        let region = match self.region {
            Some(region) => Some(Sourced {
                value: region,
                origin: Origin::Code(BUILDER),
            }),
            None => pick(None, ENV_REGION, KEY_REGION)
                .map(|s| parse_locality("default region", s))
                .transpose()?,
        };
        let (zone, region) = zone_and_region(zone, region)?;

        let api_url = match pick(self.api_url, ENV_API_URL, KEY_API_URL) {
            Some(url) => check_api_url(url)?,
            None => DEFAULT_API_URL.to_string(),
        };

        Ok(Config {
            secret_key,
            access_key,
            project_id,
            organization_id,
            zone,
            region,
            api_url,
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// Where a value came from; its `Display` is the `origin` of [`ConfigError::Invalid`].
#[derive(Clone, Debug, PartialEq, Eq)]
enum Origin {
    /// Given in code: `Config::builder()`, `SecretKey::new`, ...
    Code(&'static str),
    /// An environment variable.
    Env(&'static str),
    /// A key of the profile file: of the selected named profile (`profile`), or of the top level.
    File {
        path: PathBuf,
        line: Option<usize>,
        profile: bool,
    },
}

impl Origin {
    /// Higher levels have lower ranks: code, then environment, then the file's selected profile,
    /// then the file's top level. A named profile is a level of its own, above the top level, so
    /// that its region wins over a top-level zone (and its zone over a top-level region) as an
    /// environment variable's would.
    fn rank(&self) -> u8 {
        match self {
            Origin::Code(_) => 0,
            Origin::Env(_) => 1,
            Origin::File { profile: true, .. } => 2,
            Origin::File { profile: false, .. } => 3,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Code(name) => f.write_str(name),
            Origin::Env(name) => write!(f, "environment variable {name}"),
            Origin::File {
                path,
                line: Some(line),
                ..
            } => write!(f, "{} line {line}", path.display()),
            Origin::File { path, line: None, .. } => write!(f, "{}", path.display()),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, Debug)]
struct Sourced<T> {
    value: T,
    origin: Origin,
}

/// A project or organization id must be a UUID; it is not secret, so errors show it.
fn check_id(what: &'static str, id: Sourced<String>) -> Result<String, ConfigError> {
    if is_uuid(&id.value) {
        Ok(id.value)
    } else {
        Err(ConfigError::Invalid {
            what,
            origin: id.origin.to_string(),
            reason: format!("`{}` is not a UUID ({UUID_SHAPE})", id.value),
        })
    }
}

fn parse_locality<T>(what: &'static str, name: Sourced<String>) -> Result<Sourced<T>, ConfigError>
where
    T: FromStr<Err = crate::locality::LocalityError>,
{
    match name.value.parse::<T>() {
        Ok(value) => Ok(Sourced {
            value,
            origin: name.origin,
        }),
        Err(error) => Err(ConfigError::Invalid {
            what,
            origin: name.origin.to_string(),
            reason: error.to_string(),
        }),
    }
}

/// The first zone of a region: its first known one, else `{region}-1`.
fn first_zone(region: &Sourced<Region>) -> Result<Zone, ConfigError> {
    match region.value.zones().into_iter().next() {
        Some(zone) => Ok(zone),
        None => Zone::new_unchecked(&format!("{}-1", region.value)).map_err(|error| ConfigError::Invalid {
            what: "default region",
            origin: region.origin.to_string(),
            reason: error.to_string(),
        }),
    }
}

/// Completes a zone from a region and a region from a zone; refuses a zone outside the region
/// when both come from the same level, and lets the higher level win otherwise.
fn zone_and_region(
    zone: Option<Sourced<Zone>>,
    region: Option<Sourced<Region>>,
) -> Result<(Zone, Region), ConfigError> {
    match (zone, region) {
        (None, None) => Ok((Zone::FR_PAR_1, Region::FR_PAR)),
        (Some(zone), None) => {
            let region = zone.value.region();
            Ok((zone.value, region))
        }
        (None, Some(region)) => Ok((first_zone(&region)?, region.value)),
        (Some(zone), Some(region)) => {
            if zone.value.region() == region.value {
                return Ok((zone.value, region.value));
            }
            match zone.origin.rank().cmp(&region.origin.rank()) {
                std::cmp::Ordering::Equal => Err(ConfigError::Invalid {
                    what: "zone and region",
                    origin: if zone.origin == region.origin {
                        zone.origin.to_string()
                    } else {
                        format!("{} and {}", zone.origin, region.origin)
                    },
                    reason: format!(
                        "zone `{}` is in region `{}`, not in `{}`",
                        zone.value,
                        zone.value.region(),
                        region.value
                    ),
                }),
                std::cmp::Ordering::Less => {
                    debug!(zone = %zone.value, ignored_region = %region.value, origin = %region.origin,
                        "region overridden by the zone's");
                    let derived = zone.value.region();
                    Ok((zone.value, derived))
                }
                std::cmp::Ordering::Greater => {
                    debug!(region = %region.value, ignored_zone = %zone.value, origin = %zone.origin,
                        "zone overridden by the region's first zone");
                    Ok((first_zone(&region)?, region.value))
                }
            }
        }
    }
}

/// `http://` or `https://` followed by a host; trailing slashes removed.
fn check_api_url(url: Sourced<String>) -> Result<String, ConfigError> {
    let trimmed = url.value.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"));
    match rest {
        Some(rest)
            if !rest.is_empty() && !rest.starts_with('/') && !trimmed.contains(char::is_whitespace) =>
        {
            Ok(trimmed.to_string())
        }
        _ => Err(ConfigError::Invalid {
            what: "API URL",
            origin: url.origin.to_string(),
            reason: format!("`{}` is not an http:// or https:// URL with a host", url.value),
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Profile file
// ---------------------------------------------------------------------------------------------

/// The profile file's location and who named it (`None`: a default location).
struct ProfileLocation {
    path: PathBuf,
    named_by: Option<&'static str>,
}

/// Values of the selected profile, by key, with their file and line.
type Fields = BTreeMap<&'static str, Sourced<String>>;

/// Known keys of one profile (or of the top level) and their values.
type RawProfile = BTreeMap<&'static str, String>;

/// A parsed `config.yaml` of the `scw` CLI.
struct ProfileFile {
    path: PathBuf,
    text: String,
    root: RawProfile,
    active_profile: Option<String>,
    profiles: BTreeMap<String, RawProfile>,
}

impl ProfileFile {
    /// Reads and parses the file; `None` when it is missing from a default location.
    fn load(location: &ProfileLocation) -> Result<Option<ProfileFile>, ConfigError> {
        let path = &location.path;
        let file_error = |line: Option<usize>, reason: String| ConfigError::File {
            path: path.clone(),
            line,
            reason,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return match location.named_by {
                    None => Ok(None),
                    Some(named_by) => Err(file_error(None, format!("file not found (named by {named_by})"))),
                };
            }
            Err(error) => return Err(file_error(None, format!("cannot read it: {error}"))),
        };
        let document: Value = serde_yaml_ng::from_str(&text).map_err(|error| {
            file_error(
                error.location().map(|l| l.line()),
                redact_uuids(&error.to_string()),
            )
        })?;
        let lines = key_lines(&text);

        let root = match document {
            Value::Null => Mapping::new(),
            Value::Mapping(mapping) => mapping,
            _ => {
                return Err(file_error(
                    None,
                    "expected a mapping of keys such as secret_key".to_string(),
                ));
            }
        };
        let top_level = read_profile(&root, |key| root_key_line(&lines, key), &file_error)?;
        let active_profile = match root.get("active_profile") {
            None => None,
            Some(value) => scalar(value).ok_or_else(|| {
                file_error(
                    root_key_line(&lines, "active_profile"),
                    "active_profile must be a name".into(),
                )
            })?,
        }
        .filter(|name| !name.is_empty());
        let mut profiles = BTreeMap::new();
        match root.get("profiles") {
            None | Some(Value::Null) => {}
            Some(Value::Mapping(mapping)) => {
                for (name, profile) in mapping {
                    let Some(Some(name)) = scalar(name) else {
                        return Err(file_error(
                            root_key_line(&lines, "profiles"),
                            "profile names must be strings".into(),
                        ));
                    };
                    let fields = match profile {
                        Value::Null => RawProfile::new(),
                        Value::Mapping(profile) => {
                            read_profile(profile, |key| profile_key_line(&lines, &name, key), &file_error)?
                        }
                        _ => {
                            return Err(file_error(
                                profile_line(&lines, &name),
                                format!("profile `{name}` must be a mapping of keys such as secret_key"),
                            ));
                        }
                    };
                    profiles.insert(name, fields);
                }
            }
            Some(_) => {
                return Err(file_error(
                    root_key_line(&lines, "profiles"),
                    "profiles must be a mapping of profile names to profiles".into(),
                ));
            }
        }
        Ok(Some(ProfileFile {
            path: path.clone(),
            text,
            root: top_level,
            active_profile,
            profiles,
        }))
    }

    /// The values of profile `name` over the top-level ones (`None` or `default`, unless the file
    /// has a profile named `default`: the top-level ones only). Each value's origin says which of
    /// the two levels it comes from.
    fn select(&self, name: Option<&str>) -> Result<Fields, ConfigError> {
        let lines = key_lines(&self.text);
        let at = |line: Option<usize>, profile: bool| Origin::File {
            path: self.path.clone(),
            line,
            profile,
        };
        let mut fields: Fields = self
            .root
            .iter()
            .map(|(&key, value)| {
                (
                    key,
                    Sourced {
                        value: value.clone(),
                        origin: at(root_key_line(&lines, key), false),
                    },
                )
            })
            .collect();
        let Some(name) = name else { return Ok(fields) };
        match self.profiles.get(name) {
            Some(profile) => {
                for (&key, value) in profile {
                    let origin = at(profile_key_line(&lines, name, key), true);
                    fields.insert(
                        key,
                        Sourced {
                            value: value.clone(),
                            origin,
                        },
                    );
                }
                Ok(fields)
            }
            None if name == DEFAULT_PROFILE => Ok(fields),
            None => Err(ConfigError::UnknownProfile {
                name: name.to_string(),
                path: self.path.clone(),
                available: self.profiles.keys().cloned().collect(),
            }),
        }
    }
}

/// The known keys of one profile mapping; unknown keys are ignored, empty values are unset.
fn read_profile(
    mapping: &Mapping,
    line_of: impl Fn(&str) -> Option<usize>,
    file_error: &dyn Fn(Option<usize>, String) -> ConfigError,
) -> Result<RawProfile, ConfigError> {
    let mut profile = RawProfile::new();
    for key in PROFILE_KEYS {
        let Some(value) = mapping.get(key) else { continue };
        match scalar(value) {
            Some(Some(value)) if !value.is_empty() => {
                profile.insert(key, value);
            }
            Some(_) => {}
            None => return Err(file_error(line_of(key), format!("{key} must be a single value"))),
        }
    }
    Ok(profile)
}

/// A scalar as a string (`Some(None)` for null); `None` for a sequence, mapping or tagged value.
fn scalar(value: &Value) -> Option<Option<String>> {
    match value {
        Value::Null => Some(None),
        Value::String(s) => Some(Some(s.clone())),
        Value::Bool(b) => Some(Some(b.to_string())),
        Value::Number(n) => Some(Some(n.to_string())),
        Value::Sequence(_) | Value::Mapping(_) | Value::Tagged(_) => None,
    }
}

/// A `key: ...` line of the file.
struct KeyLine<'a> {
    /// 1-based.
    number: usize,
    indent: usize,
    key: &'a str,
}

/// The `key: ...` lines of a block-style YAML text, comments and blank lines skipped.
fn key_lines(text: &str) -> Vec<KeyLine<'_>> {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let content = line.trim_start();
            if content.is_empty() || content.starts_with('#') {
                return None;
            }
            let (key, _) = content.split_once(':')?;
            let key = key.trim();
            let key = ['"', '\'']
                .iter()
                .find_map(|&q| key.strip_prefix(q).and_then(|k| k.strip_suffix(q)))
                .unwrap_or(key);
            Some(KeyLine {
                number: index + 1,
                indent: line.len() - content.len(),
                key,
            })
        })
        .collect()
}

/// The line of a top-level key.
fn root_key_line(lines: &[KeyLine<'_>], key: &str) -> Option<usize> {
    let indent = lines.first()?.indent;
    lines
        .iter()
        .find(|l| l.indent == indent && l.key == key)
        .map(|l| l.number)
}

/// The lines inside the top-level `profiles:` block.
fn profiles_block<'l, 'a>(lines: &'l [KeyLine<'a>]) -> Option<&'l [KeyLine<'a>]> {
    let indent = lines.first()?.indent;
    let start = lines
        .iter()
        .position(|l| l.indent == indent && l.key == "profiles")?
        + 1;
    let len = lines[start..].iter().take_while(|l| l.indent > indent).count();
    Some(&lines[start..start + len])
}

/// The line of `name:` inside `profiles:`.
fn profile_line(lines: &[KeyLine<'_>], name: &str) -> Option<usize> {
    let block = profiles_block(lines)?;
    let indent = block.first()?.indent;
    block
        .iter()
        .find(|l| l.indent == indent && l.key == name)
        .map(|l| l.number)
}

/// The line of `key:` inside profile `name`.
fn profile_key_line(lines: &[KeyLine<'_>], name: &str, key: &str) -> Option<usize> {
    let block = profiles_block(lines)?;
    let indent = block.first()?.indent;
    let start = block.iter().position(|l| l.indent == indent && l.key == name)? + 1;
    let body: Vec<&KeyLine<'_>> = block[start..].iter().take_while(|l| l.indent > indent).collect();
    let key_indent = body.first()?.indent;
    body.iter()
        .find(|l| l.indent == key_indent && l.key == key)
        .map(|l| l.number)
}
