//! Finding the spec files and naming the modules generated from them.
//!
//! A spec file's module name comes from its file name alone, so a file downloaded from Scaleway's
//! developer site (`scaleway.instance.v1.Api.yml`) and a short local name (`instance.v1.yml`) both
//! become `instance_v1`, and dropping a new file into `specs/` is all it takes to add a module.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// One spec file and the Rust module generated from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFile {
    /// Module name under `api::`, e.g. `instance_v1`.
    pub module: String,
    /// Path of the YAML file.
    pub path: PathBuf,
}

/// Why the set of spec files cannot be generated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiscoveryError {
    /// The directory could not be read.
    Unreadable { dir: PathBuf, reason: String },
    /// A file name does not yield a usable module name.
    BadFileName { path: PathBuf, reason: String },
    /// Two files would generate the same module.
    SameModule {
        module: String,
        first: PathBuf,
        second: PathBuf,
    },
}

impl fmt::Display for DiscoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unreadable { dir, reason } => {
                write!(f, "cannot read spec directory {}: {reason}", dir.display())
            }
            Self::BadFileName { path, reason } => {
                write!(f, "spec file {}: {reason}", path.display())
            }
            Self::SameModule {
                module,
                first,
                second,
            } => write!(
                f,
                "spec files {} and {} both map to module `{module}`; keep only one of them",
                first.display(),
                second.display()
            ),
        }
    }
}

impl std::error::Error for DiscoveryError {}

/// The module name for a spec file name.
///
/// The official download name `scaleway.<api>.<version>.Api.yml` and the short form
/// `<api>.<version>.yml` give the same name: the optional `scaleway.` prefix and `.Api` suffix
/// are dropped, the rest is lower-cased and every run of characters that cannot appear in a Rust
/// identifier becomes one `_`.
pub fn module_name(file_name: &str) -> Result<String, String> {
    let stem = file_name
        .strip_suffix(".yml")
        .or_else(|| file_name.strip_suffix(".yaml"))
        .ok_or_else(|| "a spec file name must end in .yml or .yaml".to_string())?;
    let stem = strip_prefix_ignore_case(stem, "scaleway.").unwrap_or(stem);
    let stem = strip_suffix_ignore_case(stem, ".api").unwrap_or(stem);
    let mut module = String::new();
    for c in stem.chars() {
        if c.is_ascii_alphanumeric() {
            module.push(c.to_ascii_lowercase());
        } else if !module.ends_with('_') {
            module.push('_');
        }
    }
    let module = module.trim_matches('_').to_string();
    match module.chars().next() {
        None => Err("the file name has no letters or digits to name a module after".into()),
        Some(c) if c.is_ascii_digit() => Err(format!("module name `{module}` would start with a digit")),
        Some(_) => Ok(module),
    }
}

fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &s[prefix.len()..])
}

fn strip_suffix_ignore_case<'a>(s: &'a str, suffix: &str) -> Option<&'a str> {
    let start = s.len().checked_sub(suffix.len())?;
    let tail = s.get(start..)?;
    tail.eq_ignore_ascii_case(suffix).then(|| &s[..start])
}

/// Every `*.yml` / `*.yaml` file directly in `dir`, sorted by module name.
pub fn discover(dir: &Path) -> Result<Vec<SpecFile>, DiscoveryError> {
    let entries = std::fs::read_dir(dir).map_err(|e| DiscoveryError::Unreadable {
        dir: dir.to_path_buf(),
        reason: e.to_string(),
    })?;
    let mut paths = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| DiscoveryError::Unreadable {
            dir: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let path = entry.path();
        let is_yaml = matches!(
            path.extension().and_then(|e| e.to_str()),
            Some("yml") | Some("yaml")
        );
        if is_yaml && path.is_file() {
            paths.push(path);
        }
    }
    paths.sort();
    from_paths(paths)
}

/// Names the modules of the given spec files and rejects two files that map to one module.
pub fn from_paths(paths: Vec<PathBuf>) -> Result<Vec<SpecFile>, DiscoveryError> {
    let mut by_module: BTreeMap<String, PathBuf> = BTreeMap::new();
    for path in paths {
        let file_name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let module = module_name(file_name).map_err(|reason| DiscoveryError::BadFileName {
            path: path.clone(),
            reason,
        })?;
        if let Some(first) = by_module.get(&module) {
            return Err(DiscoveryError::SameModule {
                module,
                first: first.clone(),
                second: path,
            });
        }
        by_module.insert(module, path);
    }
    Ok(by_module
        .into_iter()
        .map(|(module, path)| SpecFile { module, path })
        .collect())
}

/// Whether a spec's module is built. A module with a cargo feature of its own name (declared in
/// `Cargo.toml`) is built when that feature is on; a module with none is always built, so that a
/// spec file just dropped into `specs/` works before anyone declares a feature for it.
pub fn module_enabled(
    module: &str,
    declared_features: &BTreeSet<String>,
    feature_on: impl Fn(&str) -> bool,
) -> bool {
    !declared_features.contains(module) || feature_on(module)
}

/// The feature names a manifest's `[features]` table declares.
///
/// Reads a `[features]` table as Cargo manifests write it: one `name = [ … ]` entry per key (the
/// list may span lines), keys bare or quoted, `#` comments, the table ending at the next `[…]`
/// header. A hand-written reader, so that the build script needs no TOML parser (and a
/// dependent's build does not compile one); a test holds it to a TOML parser on this crate's own
/// manifest.
pub fn declared_features(manifest: &str) -> BTreeSet<String> {
    let mut features = BTreeSet::new();
    let mut in_features = false;
    // Open `[` of a list that spans lines.
    let mut depth = 0usize;
    for line in manifest.lines() {
        let line = without_comment(line).trim();
        if depth == 0 && line.starts_with('[') {
            in_features = line == "[features]";
            continue;
        }
        if depth == 0
            && in_features
            && let Some((key, _)) = line.split_once('=')
        {
            let key = key.trim().trim_matches('"').trim_matches('\'');
            if !key.is_empty() {
                features.insert(key.to_string());
            }
        }
        for c in outside_strings(line) {
            match c {
                '[' => depth += 1,
                ']' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
    }
    features
}

/// A line up to its `#` comment, if any (a `#` inside a string is kept).
fn without_comment(line: &str) -> &str {
    let mut quote = None;
    for (i, c) in line.char_indices() {
        match (quote, c) {
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, '#') => return &line[..i],
            _ => {}
        }
    }
    line
}

/// The characters of a line that are not inside a quoted string.
fn outside_strings(line: &str) -> impl Iterator<Item = char> + '_ {
    let mut quote = None;
    line.chars().filter(move |&c| match (quote, c) {
        (None, '"' | '\'') => {
            quote = Some(c);
            false
        }
        (Some(q), _) if c == q => {
            quote = None;
            false
        }
        (Some(_), _) => false,
        (None, _) => true,
    })
}
