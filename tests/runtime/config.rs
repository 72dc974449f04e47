//! Configuration: precedence (builder, environment, profile file, defaults), profile files and
//! profiles, key formats, zone/region derivation, and that the secret key never leaks.
//!
//! The environment is always injected with `infer_with`; no test touches the process
//! environment. Profile files live in per-test directories under `CARGO_TARGET_TMPDIR`.

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use scaleway_client::config::{AccessKey, Config, SecretKey};
use scaleway_client::{ConfigError, Region, Zone};

// Distinctive secrets, one per source, so that a test can tell where a value came from and that
// no output contains any of them.
const SECRET_BUILDER: &str = "b0b0b0b0-1111-4111-8111-5ec7e7b0b0b0";
const SECRET_ENV: &str = "e0e0e0e0-2222-4222-8222-5ec7e7e0e0e0";
const SECRET_ALIAS: &str = "a1a1a1a1-3333-4333-8333-5ec7e7a1a1a1";
const SECRET_FILE: &str = "f0f0f0f0-4444-4444-8444-5ec7e7f0f0f0";
const SECRET_PROFILE: &str = "d0d0d0d0-5555-4555-8555-5ec7e7d0d0d0";
/// Not a UUID, but secret all the same.
const BAD_SECRET: &str = "hunter2-XYZZY-plugh-not-a-uuid";
const ALL_SECRETS: [&str; 6] = [
    SECRET_BUILDER,
    SECRET_ENV,
    SECRET_ALIAS,
    SECRET_FILE,
    SECRET_PROFILE,
    BAD_SECRET,
];

const PROJECT_BUILDER: &str = "11111111-0000-4000-8000-000000000001";
const PROJECT_ENV: &str = "22222222-0000-4000-8000-000000000002";
const PROJECT_ALIAS: &str = "33333333-0000-4000-8000-000000000003";
const PROJECT_FILE: &str = "44444444-0000-4000-8000-000000000004";
const PROJECT_DEV: &str = "55555555-0000-4000-8000-000000000005";
const ORGANIZATION_ENV: &str = "66666666-0000-4000-8000-000000000006";
const ORGANIZATION_FILE: &str = "77777777-0000-4000-8000-000000000007";

const ACCESS_BUILDER: &str = "SCWBUILDER0000000001";
const ACCESS_ENV: &str = "SCWENVIRONMENT000002";
const ACCESS_FILE: &str = "SCWFILE0000000000003";

/// Fails if `text` contains any test secret, or a recognisable piece of one.
fn assert_no_secret(text: &str) {
    for secret in ALL_SECRETS {
        assert!(!text.contains(secret), "secret leaked in: {text}");
        assert!(
            !text.contains(&secret[..13]),
            "part of a secret leaked in: {text}"
        );
    }
}

/// An environment backed by a map; everything else is unset.
fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A fresh, empty directory for one test.
fn temp_dir(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("config-{test}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// Writes `text` to `dir/relative`, creating parent directories.
fn write(dir: &Path, relative: &str, text: &str) -> PathBuf {
    let path = dir.join(relative);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

/// The config, checking that its `Debug` output hides the secret.
fn ok(result: Result<Config, ConfigError>) -> Config {
    match result {
        Ok(config) => {
            assert_no_secret(&format!("{config:?}"));
            config
        }
        Err(error) => panic!("unexpected error: {error}"),
    }
}

/// The error, checking that neither its `Display` nor its `Debug` output has a secret.
fn err<T: std::fmt::Debug>(result: Result<T, ConfigError>) -> ConfigError {
    let error = match result {
        Ok(value) => panic!("expected an error, got {value:?}"),
        Err(error) => error,
    };
    assert_no_secret(&error.to_string());
    assert_no_secret(&format!("{error:?}"));
    error
}

/// A profile file with every key at the top level.
fn full_file() -> String {
    format!(
        "access_key: {ACCESS_FILE}\n\
         secret_key: {SECRET_FILE}\n\
         default_organization_id: {ORGANIZATION_FILE}\n\
         default_project_id: {PROJECT_FILE}\n\
         default_zone: nl-ams-2\n\
         default_region: nl-ams\n\
         api_url: https://file.example.com/\n"
    )
}

/// A profile file with a top-level profile, an active profile `prod` and a profile `dev`.
fn profiles_file() -> String {
    format!(
        "# written by scw init\n\
         access_key: {ACCESS_FILE}\n\
         secret_key: {SECRET_FILE}\n\
         default_project_id: {PROJECT_FILE}\n\
         default_zone: fr-par-2\n\
         active_profile: prod\n\
         send_telemetry: true\n\
         profiles:\n\
         \x20 dev:\n\
         \x20   default_project_id: {PROJECT_DEV}\n\
         \x20   default_zone: fr-par-3\n\
         \x20 prod:\n\
         \x20   secret_key: {SECRET_PROFILE}\n\
         \x20   default_zone: pl-waw-2\n\
         \x20   some_future_key: whatever\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Precedence
// ---------------------------------------------------------------------------------------------

#[test]
fn build_uses_explicit_values_and_defaults() {
    let config = ok(Config::builder().secret_key(SECRET_BUILDER).build());
    assert_eq!(config.secret_key().expose(), SECRET_BUILDER);
    assert_eq!(config.access_key(), None);
    assert_eq!(config.project_id(), None);
    assert_eq!(config.organization_id(), None);
    assert_eq!(config.zone(), &Zone::FR_PAR_1);
    assert_eq!(config.region(), &Region::FR_PAR);
    assert_eq!(config.api_url(), "https://api.scaleway.com");

    let config = ok(Config::builder()
        .secret_key(SECRET_BUILDER)
        .access_key(ACCESS_BUILDER)
        .project_id(PROJECT_BUILDER)
        .organization_id(PROJECT_BUILDER)
        .zone(Zone::PL_WAW_3)
        .api_url("http://localhost:8080/")
        .build());
    assert_eq!(config.access_key().map(AccessKey::as_str), Some(ACCESS_BUILDER));
    assert_eq!(config.project_id(), Some(PROJECT_BUILDER));
    assert_eq!(config.organization_id(), Some(PROJECT_BUILDER));
    assert_eq!(config.zone(), &Zone::PL_WAW_3);
    assert_eq!(config.region(), &Region::PL_WAW);
    assert_eq!(config.api_url(), "http://localhost:8080");
}

#[test]
fn build_reads_neither_profile_file_nor_profile() {
    let missing = temp_dir("build_reads_neither").join("absent.yaml");
    let config = ok(Config::builder()
        .secret_key(SECRET_BUILDER)
        .profile_file(&missing)
        .profile("nope")
        .build());
    assert_eq!(config.zone(), &Zone::FR_PAR_1);
}

#[test]
fn build_without_secret_key_is_missing() {
    let error = err(Config::builder().project_id(PROJECT_BUILDER).build());
    assert!(
        matches!(
            error,
            ConfigError::Missing {
                what: "secret key",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn explicit_values_win_over_environment_and_file() {
    let dir = temp_dir("explicit_wins");
    let file = write(&dir, "config.yaml", &full_file());
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_SECRET_KEY", SECRET_ENV),
        ("SCW_ACCESS_KEY", ACCESS_ENV),
        ("SCW_DEFAULT_PROJECT_ID", PROJECT_ENV),
        ("SCW_DEFAULT_ORGANIZATION_ID", ORGANIZATION_ENV),
        ("SCW_DEFAULT_ZONE", "pl-waw-1"),
        ("SCW_DEFAULT_REGION", "pl-waw"),
        ("SCW_API_URL", "https://env.example.com"),
    ]);
    let config = ok(Config::builder()
        .secret_key(SECRET_BUILDER)
        .access_key(ACCESS_BUILDER)
        .project_id(PROJECT_BUILDER)
        .organization_id(PROJECT_BUILDER)
        .zone(Zone::IT_MIL_1)
        .region(Region::IT_MIL)
        .api_url("https://builder.example.com")
        .infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_BUILDER);
    assert_eq!(config.access_key().unwrap().as_str(), ACCESS_BUILDER);
    assert_eq!(config.project_id(), Some(PROJECT_BUILDER));
    assert_eq!(config.organization_id(), Some(PROJECT_BUILDER));
    assert_eq!(config.zone(), &Zone::IT_MIL_1);
    assert_eq!(config.region(), &Region::IT_MIL);
    assert_eq!(config.api_url(), "https://builder.example.com");
}

#[test]
fn environment_wins_over_file() {
    let dir = temp_dir("environment_wins");
    let file = write(&dir, "config.yaml", &full_file());
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_SECRET_KEY", SECRET_ENV),
        ("SCW_ACCESS_KEY", ACCESS_ENV),
        ("SCW_DEFAULT_PROJECT_ID", PROJECT_ENV),
        ("SCW_DEFAULT_ORGANIZATION_ID", ORGANIZATION_ENV),
        ("SCW_DEFAULT_ZONE", "pl-waw-1"),
        ("SCW_DEFAULT_REGION", "pl-waw"),
        ("SCW_API_URL", "https://env.example.com/"),
    ]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_ENV);
    assert_eq!(config.access_key().unwrap().as_str(), ACCESS_ENV);
    assert_eq!(config.project_id(), Some(PROJECT_ENV));
    assert_eq!(config.organization_id(), Some(ORGANIZATION_ENV));
    assert_eq!(config.zone(), &Zone::PL_WAW_1);
    assert_eq!(config.region(), &Region::PL_WAW);
    assert_eq!(config.api_url(), "https://env.example.com");
}

#[test]
fn file_wins_over_defaults() {
    let dir = temp_dir("file_wins");
    let file = write(&dir, "config.yaml", &full_file());
    let config = ok(Config::builder().infer_with(env(&[("SCW_CONFIG_PATH", file.to_str().unwrap())])));
    assert_eq!(config.secret_key().expose(), SECRET_FILE);
    assert_eq!(config.access_key().unwrap().as_str(), ACCESS_FILE);
    assert_eq!(config.project_id(), Some(PROJECT_FILE));
    assert_eq!(config.organization_id(), Some(ORGANIZATION_FILE));
    assert_eq!(config.zone(), &Zone::NL_AMS_2);
    assert_eq!(config.region(), &Region::NL_AMS);
    assert_eq!(config.api_url(), "https://file.example.com");
}

#[test]
fn each_field_comes_from_its_highest_source() {
    let dir = temp_dir("each_field");
    let file = write(
        &dir,
        "config.yaml",
        &format!("secret_key: {SECRET_FILE}\ndefault_project_id: {PROJECT_FILE}\n"),
    );
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_DEFAULT_ZONE", "nl-ams-3"),
    ]);
    let config = ok(Config::builder().organization_id(PROJECT_BUILDER).infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_FILE); // file
    assert_eq!(config.project_id(), Some(PROJECT_FILE)); // file
    assert_eq!(config.organization_id(), Some(PROJECT_BUILDER)); // builder
    assert_eq!(config.zone(), &Zone::NL_AMS_3); // environment
    assert_eq!(config.region(), &Region::NL_AMS); // derived from the zone
    assert_eq!(config.api_url(), "https://api.scaleway.com"); // default
    assert_eq!(config.access_key(), None); // nowhere
}

#[test]
fn defaults_apply_when_nothing_else_is_given() {
    let config = ok(Config::builder().infer_with(env(&[("SCW_SECRET_KEY", SECRET_ENV)])));
    assert_eq!(config.secret_key().expose(), SECRET_ENV);
    assert_eq!(config.zone(), &Zone::FR_PAR_1);
    assert_eq!(config.region(), &Region::FR_PAR);
    assert_eq!(config.api_url(), "https://api.scaleway.com");
    assert_eq!(config.project_id(), None);
    assert_eq!(config.organization_id(), None);
    assert_eq!(config.access_key(), None);
}

#[test]
fn aliases_are_used_when_official_names_are_unset() {
    let dir = temp_dir("aliases_used");
    let file = write(&dir, "config.yaml", &full_file());
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCALEWAY_SECRET_KEY", SECRET_ALIAS),
        ("SCALEWAY_PROJECT_ID", PROJECT_ALIAS),
        ("SCALEWAY_ZONE", "fr-par-3"),
    ]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_ALIAS);
    assert_eq!(config.project_id(), Some(PROJECT_ALIAS));
    assert_eq!(config.zone(), &Zone::FR_PAR_3);
    // The file's region (nl-ams) is at a lower level than the alias' zone: the zone wins.
    assert_eq!(config.region(), &Region::FR_PAR);
    // Fields without alias still come from the file.
    assert_eq!(config.organization_id(), Some(ORGANIZATION_FILE));
}

#[test]
fn official_names_win_over_aliases() {
    let env = env(&[
        ("SCW_SECRET_KEY", SECRET_ENV),
        ("SCALEWAY_SECRET_KEY", SECRET_ALIAS),
        ("SCW_DEFAULT_PROJECT_ID", PROJECT_ENV),
        ("SCALEWAY_PROJECT_ID", PROJECT_ALIAS),
        ("SCW_DEFAULT_ZONE", "nl-ams-1"),
        ("SCALEWAY_ZONE", "pl-waw-1"),
    ]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_ENV);
    assert_eq!(config.project_id(), Some(PROJECT_ENV));
    assert_eq!(config.zone(), &Zone::NL_AMS_1);
}

#[test]
fn explicit_values_win_over_aliases() {
    let env = env(&[
        ("SCALEWAY_SECRET_KEY", SECRET_ALIAS),
        ("SCALEWAY_PROJECT_ID", PROJECT_ALIAS),
    ]);
    let config = ok(Config::builder()
        .secret_key(SECRET_BUILDER)
        .project_id(PROJECT_BUILDER)
        .infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_BUILDER);
    assert_eq!(config.project_id(), Some(PROJECT_BUILDER));
}

#[test]
fn empty_environment_values_count_as_unset() {
    let dir = temp_dir("empty_env");
    write(&dir, ".config/scw/config.yaml", &full_file());
    let env = env(&[
        ("SCW_SECRET_KEY", ""),
        ("SCALEWAY_SECRET_KEY", SECRET_ALIAS),
        ("SCW_DEFAULT_PROJECT_ID", ""),
        ("SCW_DEFAULT_ZONE", ""),
        ("SCW_API_URL", ""),
        ("SCW_CONFIG_PATH", ""),
        ("XDG_CONFIG_HOME", ""),
        ("HOME", dir.to_str().unwrap()),
    ]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_ALIAS);
    assert_eq!(config.project_id(), Some(PROJECT_FILE));
    assert_eq!(config.zone(), &Zone::NL_AMS_2);
    assert_eq!(config.api_url(), "https://file.example.com");

    let error = err(Config::builder().infer_with(self::env(&[("SCW_SECRET_KEY", "")])));
    assert!(
        matches!(
            error,
            ConfigError::Missing {
                what: "secret key",
                ..
            }
        ),
        "{error:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Profiles
// ---------------------------------------------------------------------------------------------

#[test]
fn active_profile_overrides_top_level_field_by_field() {
    let dir = temp_dir("active_profile");
    let file = write(&dir, "config.yaml", &profiles_file());
    let config = ok(Config::builder().infer_with(env(&[("SCW_CONFIG_PATH", file.to_str().unwrap())])));
    // From profile `prod`.
    assert_eq!(config.secret_key().expose(), SECRET_PROFILE);
    assert_eq!(config.zone(), &Zone::PL_WAW_2);
    assert_eq!(config.region(), &Region::PL_WAW);
    // From the top level.
    assert_eq!(config.project_id(), Some(PROJECT_FILE));
    assert_eq!(config.access_key().unwrap().as_str(), ACCESS_FILE);
}

#[test]
fn scw_profile_overrides_active_profile() {
    let dir = temp_dir("scw_profile");
    let file = write(&dir, "config.yaml", &profiles_file());
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_PROFILE", "dev"),
    ]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_FILE); // dev has none: top level
    assert_eq!(config.project_id(), Some(PROJECT_DEV));
    assert_eq!(config.zone(), &Zone::FR_PAR_3);
}

#[test]
fn builder_profile_overrides_scw_profile() {
    let dir = temp_dir("builder_profile");
    let file = write(&dir, "config.yaml", &profiles_file());
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_PROFILE", "prod"),
    ]);
    let config = ok(Config::builder().profile("dev").infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_FILE);
    assert_eq!(config.project_id(), Some(PROJECT_DEV));
}

#[test]
fn profile_named_default_means_top_level() {
    let dir = temp_dir("default_profile");
    let file = write(&dir, "config.yaml", &profiles_file());
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_PROFILE", "default"),
    ]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_FILE);
    assert_eq!(config.zone(), &Zone::FR_PAR_2);
    assert_eq!(config.project_id(), Some(PROJECT_FILE));
}

#[test]
fn environment_wins_over_selected_profile() {
    let dir = temp_dir("env_over_profile");
    let file = write(&dir, "config.yaml", &profiles_file());
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_SECRET_KEY", SECRET_ENV),
        ("SCW_DEFAULT_ZONE", "it-mil-1"),
    ]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_ENV);
    assert_eq!(config.zone(), &Zone::IT_MIL_1);
    assert_eq!(config.region(), &Region::IT_MIL);
}

#[test]
fn a_named_profile_ranks_above_the_top_level_for_zone_and_region() {
    // A little over a screen: one profile file, and each way of asking for a zone or a region
    // checked against it.
    let dir = temp_dir("profile_over_root_locality");
    let file = write(
        &dir,
        "config.yaml",
        &format!(
            "secret_key: {SECRET_FILE}\n\
             default_zone: fr-par-1\n\
             default_region: fr-par\n\
             active_profile: prod\n\
             profiles:\n\
             \x20 prod:\n\
             \x20   default_region: nl-ams\n\
             \x20 waw:\n\
             \x20   default_zone: pl-waw-2\n\
             \x20 paris:\n\
             \x20   default_region: fr-par\n\
             \x20 mixed:\n\
             \x20   default_zone: pl-waw-2\n\
             \x20   default_region: it-mil\n"
        ),
    );
    let path = file.to_str().unwrap();
    let with = |profile: Option<&str>| {
        let mut pairs = vec![("SCW_CONFIG_PATH", path)];
        pairs.extend(profile.map(|p| ("SCW_PROFILE", p)));
        Config::builder().infer_with(env(&pairs))
    };

    // The profile's region wins over the top-level zone, which follows it.
    let config = ok(with(None));
    assert_eq!(
        (config.zone(), config.region()),
        (&Zone::NL_AMS_1, &Region::NL_AMS)
    );

    // The profile's zone wins over the top-level region, which follows it.
    let config = ok(with(Some("waw")));
    assert_eq!(
        (config.zone(), config.region()),
        (&Zone::PL_WAW_2, &Region::PL_WAW)
    );

    // A top-level zone that belongs to the profile's region is kept.
    let config = ok(with(Some("paris")));
    assert_eq!(
        (config.zone(), config.region()),
        (&Zone::FR_PAR_1, &Region::FR_PAR)
    );

    // A zone and a region of the same profile must still agree.
    let error = err(with(Some("mixed")));
    assert_eq!(
        error,
        ConfigError::Invalid {
            what: "zone and region",
            origin: format!("{path} line 13 and {path} line 14"),
            reason: "zone `pl-waw-2` is in region `pl-waw`, not in `it-mil`".into(),
        }
    );

    // The top level alone keeps its own rule.
    let config = ok(with(Some("default")));
    assert_eq!(
        (config.zone(), config.region()),
        (&Zone::FR_PAR_1, &Region::FR_PAR)
    );
}

#[test]
fn unknown_profile_lists_available_profiles() {
    let dir = temp_dir("unknown_profile");
    let file = write(&dir, "config.yaml", &profiles_file());
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_PROFILE", "staging"),
    ]);
    let error = err(Config::builder().infer_with(env));
    assert_eq!(
        error,
        ConfigError::UnknownProfile {
            name: "staging".into(),
            path: file.clone(),
            available: vec!["dev".into(), "prod".into()],
        }
    );
    let message = error.to_string();
    assert!(message.contains("staging"), "{message}");
    assert!(message.contains(file.to_str().unwrap()), "{message}");
    assert!(message.contains("dev, prod"), "{message}");

    // The builder's profile is checked the same way.
    let error = err(Config::builder()
        .profile("qa")
        .infer_with(self::env(&[("SCW_CONFIG_PATH", file.to_str().unwrap())])));
    assert!(
        matches!(&error, ConfigError::UnknownProfile { name, .. } if name == "qa"),
        "{error:?}"
    );
}

#[test]
fn unknown_active_profile_is_an_error() {
    let dir = temp_dir("unknown_active");
    let file = write(
        &dir,
        "config.yaml",
        &format!(
            "secret_key: {SECRET_FILE}\nactive_profile: gone\n\
             profiles:\n  only:\n    default_zone: fr-par-1\n"
        ),
    );
    let error = err(Config::builder().infer_with(env(&[("SCW_CONFIG_PATH", file.to_str().unwrap())])));
    assert_eq!(
        error,
        ConfigError::UnknownProfile {
            name: "gone".into(),
            path: file,
            available: vec!["only".into()]
        }
    );
}

#[test]
fn requested_profile_without_profile_file_is_an_error() {
    let dir = temp_dir("profile_without_file");
    let env = env(&[
        ("HOME", dir.to_str().unwrap()),
        ("SCW_SECRET_KEY", SECRET_ENV),
        ("SCW_PROFILE", "prod"),
    ]);
    let error = err(Config::builder().infer_with(env));
    assert_eq!(
        error,
        ConfigError::UnknownProfile {
            name: "prod".into(),
            path: dir.join(".config/scw/config.yaml"),
            available: vec![],
        }
    );
    assert!(error.to_string().contains("profiles there: none"), "{error}");
}

// ---------------------------------------------------------------------------------------------
// Where the profile file is
// ---------------------------------------------------------------------------------------------

#[test]
fn profile_file_from_scw_config_path() {
    let dir = temp_dir("from_scw_config_path");
    let file = write(&dir, "custom/scw.yaml", &format!("secret_key: {SECRET_FILE}\n"));
    write(
        &dir,
        "xdg/scw/config.yaml",
        &format!("secret_key: {SECRET_PROFILE}\n"),
    );
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("XDG_CONFIG_HOME", dir.join("xdg").to_str().unwrap()),
        ("HOME", dir.to_str().unwrap()),
    ]);
    assert_eq!(
        ok(Config::builder().infer_with(env)).secret_key().expose(),
        SECRET_FILE
    );
}

#[test]
fn profile_file_from_xdg_config_home_before_home() {
    let dir = temp_dir("from_xdg");
    write(
        &dir,
        "xdg/scw/config.yaml",
        &format!("secret_key: {SECRET_FILE}\n"),
    );
    write(
        &dir,
        "home/.config/scw/config.yaml",
        &format!("secret_key: {SECRET_PROFILE}\n"),
    );
    let env = env(&[
        ("XDG_CONFIG_HOME", dir.join("xdg").to_str().unwrap()),
        ("HOME", dir.join("home").to_str().unwrap()),
    ]);
    assert_eq!(
        ok(Config::builder().infer_with(env)).secret_key().expose(),
        SECRET_FILE
    );
}

#[test]
fn profile_file_from_home() {
    let dir = temp_dir("from_home");
    write(
        &dir,
        ".config/scw/config.yaml",
        &format!("secret_key: {SECRET_FILE}\ndefault_zone: par1\n"),
    );
    let config = ok(Config::builder().infer_with(env(&[("HOME", dir.to_str().unwrap())])));
    assert_eq!(config.secret_key().expose(), SECRET_FILE);
    assert_eq!(config.zone(), &Zone::FR_PAR_1);
}

#[test]
fn builder_profile_file_wins_over_scw_config_path() {
    let dir = temp_dir("builder_profile_file");
    let chosen = write(&dir, "chosen.yaml", &format!("secret_key: {SECRET_FILE}\n"));
    let other = write(&dir, "other.yaml", &format!("secret_key: {SECRET_PROFILE}\n"));
    let env = env(&[("SCW_CONFIG_PATH", other.to_str().unwrap())]);
    let config = ok(Config::builder().profile_file(&chosen).infer_with(env));
    assert_eq!(config.secret_key().expose(), SECRET_FILE);
}

#[test]
fn missing_file_at_default_location_is_fine() {
    let dir = temp_dir("missing_default");
    let config = ok(Config::builder().infer_with(env(&[
        ("HOME", dir.to_str().unwrap()),
        ("SCW_SECRET_KEY", SECRET_ENV),
    ])));
    assert_eq!(config.secret_key().expose(), SECRET_ENV);
    let env = env(&[
        ("XDG_CONFIG_HOME", dir.to_str().unwrap()),
        ("SCW_SECRET_KEY", SECRET_ENV),
    ]);
    assert_eq!(ok(Config::builder().infer_with(env)).zone(), &Zone::FR_PAR_1);
}

#[test]
fn missing_explicit_file_is_an_error() {
    let dir = temp_dir("missing_explicit");
    let absent = dir.join("absent.yaml");

    let env_path = env(&[
        ("SCW_CONFIG_PATH", absent.to_str().unwrap()),
        ("SCW_SECRET_KEY", SECRET_ENV),
    ]);
    let error = err(Config::builder().infer_with(env_path));
    assert!(
        matches!(&error, ConfigError::File { path, line: None, reason }
            if *path == absent && reason.contains("SCW_CONFIG_PATH")),
        "{error:?}"
    );
    assert!(error.to_string().contains(absent.to_str().unwrap()), "{error}");

    let error = err(Config::builder()
        .profile_file(&absent)
        .infer_with(env(&[("SCW_SECRET_KEY", SECRET_ENV)])));
    assert!(
        matches!(&error, ConfigError::File { path, line: None, .. } if *path == absent),
        "{error:?}"
    );
}

#[test]
fn missing_secret_key_names_the_file_looked_at() {
    let dir = temp_dir("missing_secret");
    let error = err(Config::builder().infer_with(env(&[("HOME", dir.to_str().unwrap())])));
    let expected = dir.join(".config/scw/config.yaml");
    assert_eq!(
        error,
        ConfigError::Missing {
            what: "secret key",
            hint: format!(
                "set SCW_SECRET_KEY (or SCALEWAY_SECRET_KEY), or secret_key in {}",
                expected.display()
            ),
        }
    );

    // A file that exists but has no secret key.
    let file = write(&dir, "config.yaml", "default_zone: fr-par-2\n");
    let error = err(Config::builder().infer_with(env(&[("SCW_CONFIG_PATH", file.to_str().unwrap())])));
    let message = error.to_string();
    assert!(
        message.starts_with("missing secret key: set SCW_SECRET_KEY"),
        "{message}"
    );
    assert!(
        message.ends_with(&format!("secret_key in {}", file.display())),
        "{message}"
    );
}

#[test]
fn empty_and_unknown_keys_files_are_fine() {
    let dir = temp_dir("empty_and_unknown");
    let empty = write(&dir, "empty.yaml", "");
    let env_secret = [
        ("SCW_SECRET_KEY", SECRET_ENV),
        ("SCW_CONFIG_PATH", empty.to_str().unwrap()),
    ];
    assert_eq!(
        ok(Config::builder().infer_with(env(&env_secret))).zone(),
        &Zone::FR_PAR_1
    );

    let unknown = write(
        &dir,
        "unknown.yaml",
        &format!(
            "secret_key: {SECRET_FILE}\nsend_telemetry: false\ninsecure: true\nextra:\n  nested: [1, 2]\n\
             profiles:\n  p:\n    color: blue\n    default_zone: nl-ams-1\n"
        ),
    );
    let config = ok(Config::builder()
        .profile("p")
        .profile_file(&unknown)
        .infer_with(env(&[])));
    assert_eq!(config.secret_key().expose(), SECRET_FILE);
    assert_eq!(config.zone(), &Zone::NL_AMS_1);
}

// ---------------------------------------------------------------------------------------------
// Errors name the variable, or the file and line
// ---------------------------------------------------------------------------------------------

#[test]
fn yaml_syntax_error_names_file_and_line() {
    let dir = temp_dir("yaml_syntax");
    let file = write(
        &dir,
        "config.yaml",
        &format!(
            "secret_key: {SECRET_FILE}\ndefault_zone: fr-par-1\nprofiles: [unclosed\nactive_profile: x\n"
        ),
    );
    let error = err(Config::builder().infer_with(env(&[("SCW_CONFIG_PATH", file.to_str().unwrap())])));
    match &error {
        ConfigError::File { path, line, .. } => {
            assert_eq!(path, &file);
            assert_eq!(*line, Some(4), "{error}");
        }
        other => panic!("expected a file error, got {other:?}"),
    }
    let message = error.to_string();
    assert!(
        message.contains(&format!("{} line 4", file.display())),
        "{message}"
    );
}

#[test]
fn bad_zone_in_profile_names_file_and_line() {
    let dir = temp_dir("bad_zone_in_profile");
    let text = format!(
        "secret_key: {SECRET_FILE}\n\
         default_zone: fr-par-1\n\
         profiles:\n\
         \x20 dev:\n\
         \x20   default_zone: also-bad-9\n\
         \x20 prod:\n\
         \x20   secret_key: {SECRET_PROFILE}\n\
         \x20   default_zone: fr-par-9\n"
    );
    let file = write(&dir, "config.yaml", &text);
    let env = env(&[
        ("SCW_CONFIG_PATH", file.to_str().unwrap()),
        ("SCW_PROFILE", "prod"),
    ]);
    let error = err(Config::builder().infer_with(env));
    match &error {
        ConfigError::Invalid { what, origin, reason } => {
            assert_eq!(*what, "default zone");
            assert_eq!(origin, &format!("{} line 8", file.display()));
            assert!(
                reason.contains("fr-par-9") && reason.contains("valid zones"),
                "{reason}"
            );
        }
        other => panic!("expected an invalid value, got {other:?}"),
    }

    // The same key of the top level, when no profile is selected.
    let text = format!("# comment\n\nsecret_key: {SECRET_FILE}\ndefault_region: mars\n");
    let file = write(&dir, "root.yaml", &text);
    let error = err(Config::builder().profile_file(&file).infer_with(self::env(&[])));
    assert!(
        matches!(&error, ConfigError::Invalid { what: "default region", origin, reason }
            if *origin == format!("{} line 4", file.display()) && reason.contains("valid regions")),
        "{error:?}"
    );
}

#[test]
fn bad_secret_key_in_file_names_line_without_showing_it() {
    let dir = temp_dir("bad_secret_in_file");
    let text = format!(
        "default_zone: fr-par-1\nprofiles:\n  prod:\n    default_zone: fr-par-2\n\
         \x20   secret_key: {BAD_SECRET}\n"
    );
    let file = write(&dir, "config.yaml", &text);
    let error = err(Config::builder()
        .profile("prod")
        .profile_file(&file)
        .infer_with(env(&[])));
    assert!(
        matches!(&error, ConfigError::Invalid { what: "secret key", origin, .. }
            if *origin == format!("{} line 5", file.display())),
        "{error:?}"
    );
}

#[test]
fn bad_project_id_in_file_names_line() {
    let dir = temp_dir("bad_project_in_file");
    let text = format!("secret_key: {SECRET_FILE}\ndefault_project_id: my-project\n");
    let file = write(&dir, "config.yaml", &text);
    let error = err(Config::builder().profile_file(&file).infer_with(env(&[])));
    assert!(
        matches!(&error, ConfigError::Invalid { what: "default project id", origin, reason }
            if *origin == format!("{} line 2", file.display()) && reason.contains("my-project")),
        "{error:?}"
    );
}

#[test]
fn non_scalar_value_in_file_is_an_error_with_line() {
    let dir = temp_dir("non_scalar");
    let file = write(
        &dir,
        "config.yaml",
        &format!("secret_key: {SECRET_FILE}\ndefault_zone:\n  - fr-par-1\n"),
    );
    let error = err(Config::builder().profile_file(&file).infer_with(env(&[])));
    assert!(
        matches!(&error, ConfigError::File { line: Some(2), .. }),
        "{error:?}"
    );
}

#[test]
fn bad_values_in_environment_name_the_variable() {
    let cases: [(&str, &str, &str, &str); 7] = [
        ("SCW_DEFAULT_ZONE", "mars-1", "default zone", "valid zones"),
        ("SCALEWAY_ZONE", "fr-par-7", "default zone", "valid zones"),
        ("SCW_DEFAULT_REGION", "fr-lyon", "default region", "valid regions"),
        ("SCW_API_URL", "ftp://api.scaleway.com", "API URL", "http"),
        ("SCW_ACCESS_KEY", "SCWshort", "access key", "SCWshort"),
        (
            "SCW_DEFAULT_ORGANIZATION_ID",
            "my-org",
            "organization id",
            "my-org",
        ),
        ("SCALEWAY_PROJECT_ID", "my-project", "project id", "my-project"),
    ];
    for (variable, value, expected_what, expected_reason) in cases {
        let error =
            err(Config::builder().infer_with(env(&[("SCW_SECRET_KEY", SECRET_ENV), (variable, value)])));
        match &error {
            ConfigError::Invalid { what, origin, reason } => {
                assert!(what.contains(expected_what), "{variable}: {error}");
                assert_eq!(origin, &format!("environment variable {variable}"));
                assert!(reason.contains(expected_reason), "{variable}: {reason}");
            }
            other => panic!("{variable}: expected an invalid value, got {other:?}"),
        }
        assert!(
            error
                .to_string()
                .contains(&format!("environment variable {variable}")),
            "{error}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Key formats
// ---------------------------------------------------------------------------------------------

#[test]
fn secret_key_must_be_a_uuid() {
    assert!(SecretKey::new(SECRET_ENV).is_ok());
    assert!(SecretKey::new(&SECRET_ENV.to_uppercase()).is_ok());
    assert!(
        "DEADBEEF-0000-4000-8000-00000000ABCD"
            .parse::<SecretKey>()
            .is_ok()
    );

    let bad = [
        BAD_SECRET.to_string(),
        String::new(),
        SECRET_ENV.replace('-', ""),      // simple form
        format!("{{{SECRET_ENV}}}"),      // braced form
        format!("urn:uuid:{SECRET_ENV}"), // URN form
        format!("{SECRET_ENV} "),         // trailing space
        SECRET_ENV.replacen('e', "g", 1), // not hexadecimal
        SECRET_ENV[..35].to_string(),     // too short
    ];
    for value in &bad {
        let error = err(SecretKey::new(value));
        assert!(
            matches!(
                error,
                ConfigError::Invalid {
                    what: "secret key",
                    ..
                }
            ),
            "{error:?}"
        );
        if !value.is_empty() {
            assert!(!error.to_string().contains(value.as_str()), "{error}");
        }
    }
}

#[test]
fn bad_secret_key_is_refused_without_showing_it() {
    let error = err(Config::builder().infer_with(env(&[("SCW_SECRET_KEY", BAD_SECRET)])));
    assert!(
        matches!(&error, ConfigError::Invalid { what: "secret key", origin, .. }
            if origin == "environment variable SCW_SECRET_KEY"),
        "{error:?}"
    );
    assert!(!error.to_string().contains("XYZZY"), "{error}");

    let error = err(Config::builder().infer_with(env(&[("SCALEWAY_SECRET_KEY", BAD_SECRET)])));
    assert!(
        error
            .to_string()
            .contains("environment variable SCALEWAY_SECRET_KEY"),
        "{error}"
    );

    let error = err(Config::builder().secret_key(BAD_SECRET).build());
    assert!(
        matches!(&error, ConfigError::Invalid { what: "secret key", origin, .. }
            if origin == "Config::builder()"),
        "{error:?}"
    );
    assert!(!error.to_string().contains("XYZZY"), "{error}");
}

#[test]
fn access_key_format() {
    let key = AccessKey::new(ACCESS_ENV).unwrap();
    assert_eq!(key.to_string(), ACCESS_ENV);
    assert_eq!(format!("{key:?}"), format!("AccessKey({ACCESS_ENV:?})"));
    assert_eq!(ACCESS_ENV.parse::<AccessKey>().unwrap(), key);

    for bad in [
        "SCWabcdefghij0123456",  // lower case
        "SCW0123456789ABCDEF",   // 16 characters after SCW
        "SCW0123456789ABCDEFGH", // 18
        "XYZ0123456789ABCDEFG",  // prefix
        "SCW0123456789ABCDEF-",  // punctuation
        "",
    ] {
        let error = err(AccessKey::new(bad));
        assert!(
            matches!(
                error,
                ConfigError::Invalid {
                    what: "access key",
                    ..
                }
            ),
            "{bad}: {error:?}"
        );
        assert!(error.to_string().contains(&format!("`{bad}`")), "{error}");
    }

    let error = err(Config::builder()
        .secret_key(SECRET_BUILDER)
        .access_key("SCW123")
        .build());
    assert!(
        matches!(&error, ConfigError::Invalid { what: "access key", origin, .. }
            if origin == "Config::builder()"),
        "{error:?}"
    );

    // A secret key pasted as the access key is not echoed.
    let error = err(Config::builder()
        .secret_key(SECRET_BUILDER)
        .access_key(SECRET_ENV)
        .build());
    assert!(
        matches!(
            error,
            ConfigError::Invalid {
                what: "access key",
                ..
            }
        ),
        "{error:?}"
    );
}

#[test]
fn access_key_given_as_secret_key_gets_a_hint() {
    let error = err(Config::builder().secret_key(ACCESS_BUILDER).build());
    assert!(error.to_string().contains("access key"), "{error}");
}

#[test]
fn project_and_organization_ids_must_be_uuids() {
    let error = err(Config::builder()
        .secret_key(SECRET_BUILDER)
        .project_id("my-project")
        .build());
    assert!(
        matches!(&error, ConfigError::Invalid { what: "default project id", origin, reason }
            if origin == "Config::builder()" && reason.contains("my-project")),
        "{error:?}"
    );
    let error = err(Config::builder()
        .secret_key(SECRET_BUILDER)
        .organization_id("")
        .build());
    assert!(
        matches!(
            error,
            ConfigError::Invalid {
                what: "default organization id",
                ..
            }
        ),
        "{error:?}"
    );
    let error = err(Config::builder().infer_with(env(&[
        ("SCW_SECRET_KEY", SECRET_ENV),
        ("SCW_DEFAULT_PROJECT_ID", "2222222-0000-4000-8000-000000000002"),
    ])));
    assert!(
        error
            .to_string()
            .contains("environment variable SCW_DEFAULT_PROJECT_ID"),
        "{error}"
    );

    let upper = PROJECT_ENV.to_uppercase();
    let config = ok(Config::builder()
        .secret_key(SECRET_BUILDER)
        .project_id(upper.as_str())
        .build());
    assert_eq!(config.project_id(), Some(upper.as_str()));
}

// ---------------------------------------------------------------------------------------------
// Zone and region
// ---------------------------------------------------------------------------------------------

#[test]
fn zone_implies_region() {
    let config = ok(Config::builder()
        .secret_key(SECRET_BUILDER)
        .zone(Zone::NL_AMS_3)
        .build());
    assert_eq!(config.region(), &Region::NL_AMS);
    let env = env(&[("SCW_SECRET_KEY", SECRET_ENV), ("SCW_DEFAULT_ZONE", "pl-waw-3")]);
    assert_eq!(ok(Config::builder().infer_with(env)).region(), &Region::PL_WAW);
}

#[test]
fn region_implies_its_first_zone() {
    let config = ok(Config::builder()
        .secret_key(SECRET_BUILDER)
        .region(Region::NL_AMS)
        .build());
    assert_eq!(config.zone(), &Zone::NL_AMS_1);
    assert_eq!(config.region(), &Region::NL_AMS);
    let env = env(&[("SCW_SECRET_KEY", SECRET_ENV), ("SCW_DEFAULT_REGION", "pl-waw")]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.zone(), &Zone::PL_WAW_1);
    assert_eq!(config.region(), &Region::PL_WAW);
}

#[test]
fn legacy_zone_names_are_accepted() {
    let env = env(&[("SCW_SECRET_KEY", SECRET_ENV), ("SCW_DEFAULT_ZONE", "ams1")]);
    let config = ok(Config::builder().infer_with(env));
    assert_eq!(config.zone(), &Zone::NL_AMS_1);
    assert_eq!(config.region(), &Region::NL_AMS);
}

#[test]
fn zone_outside_region_at_the_same_level_names_both_origins() {
    let error = err(Config::builder()
        .secret_key(SECRET_BUILDER)
        .zone(Zone::NL_AMS_1)
        .region(Region::FR_PAR)
        .build());
    match &error {
        ConfigError::Invalid { origin, reason, .. } => {
            assert_eq!(origin, "Config::builder()");
            assert!(
                reason.contains("nl-ams-1") && reason.contains("fr-par"),
                "{reason}"
            );
        }
        other => panic!("expected an invalid value, got {other:?}"),
    }

    let env_both = env(&[
        ("SCW_SECRET_KEY", SECRET_ENV),
        ("SCALEWAY_ZONE", "pl-waw-1"),
        ("SCW_DEFAULT_REGION", "it-mil"),
    ]);
    let message = err(Config::builder().infer_with(env_both)).to_string();
    assert!(
        message.contains("environment variable SCALEWAY_ZONE"),
        "{message}"
    );
    assert!(
        message.contains("environment variable SCW_DEFAULT_REGION"),
        "{message}"
    );

    let dir = temp_dir("zone_region_file");
    let file = write(
        &dir,
        "config.yaml",
        &format!("default_zone: fr-par-2\nsecret_key: {SECRET_FILE}\ndefault_region: nl-ams\n"),
    );
    let message = err(Config::builder().profile_file(&file).infer_with(env(&[]))).to_string();
    assert!(
        message.contains(&format!("{} line 1", file.display())),
        "{message}"
    );
    assert!(
        message.contains(&format!("{} line 3", file.display())),
        "{message}"
    );
}

#[test]
fn zone_or_region_from_a_higher_level_wins() {
    let dir = temp_dir("zone_region_levels");
    let file = write(
        &dir,
        "config.yaml",
        &format!("secret_key: {SECRET_FILE}\ndefault_zone: fr-par-2\ndefault_region: fr-par\n"),
    );
    let path = file.to_str().unwrap();

    // A zone from the environment replaces the file's region.
    let config = ok(Config::builder().infer_with(env(&[
        ("SCW_CONFIG_PATH", path),
        ("SCW_DEFAULT_ZONE", "nl-ams-2"),
    ])));
    assert_eq!(
        (config.zone(), config.region()),
        (&Zone::NL_AMS_2, &Region::NL_AMS)
    );

    // A region from the environment replaces the file's zone when it is elsewhere...
    let config = ok(Config::builder().infer_with(env(&[
        ("SCW_CONFIG_PATH", path),
        ("SCW_DEFAULT_REGION", "pl-waw"),
    ])));
    assert_eq!(
        (config.zone(), config.region()),
        (&Zone::PL_WAW_1, &Region::PL_WAW)
    );

    // ... and keeps it when it belongs to the region.
    let config = ok(Config::builder().infer_with(env(&[
        ("SCW_CONFIG_PATH", path),
        ("SCW_DEFAULT_REGION", "fr-par"),
    ])));
    assert_eq!(
        (config.zone(), config.region()),
        (&Zone::FR_PAR_2, &Region::FR_PAR)
    );

    // An explicit region wins over a zone from the environment.
    let config = ok(Config::builder().region(Region::IT_MIL).infer_with(env(&[
        ("SCW_CONFIG_PATH", path),
        ("SCW_DEFAULT_ZONE", "nl-ams-2"),
    ])));
    assert_eq!(
        (config.zone(), config.region()),
        (&Zone::IT_MIL_1, &Region::IT_MIL)
    );
}

// ---------------------------------------------------------------------------------------------
// API URL
// ---------------------------------------------------------------------------------------------

#[test]
fn api_url_must_be_http_and_loses_its_trailing_slash() {
    let build = |url: &str| Config::builder().secret_key(SECRET_BUILDER).api_url(url).build();
    assert_eq!(
        ok(build("https://api.example.com/")).api_url(),
        "https://api.example.com"
    );
    assert_eq!(
        ok(build("http://127.0.0.1:3000")).api_url(),
        "http://127.0.0.1:3000"
    );
    assert_eq!(
        ok(build("https://proxy.example.com/scaleway/")).api_url(),
        "https://proxy.example.com/scaleway"
    );
    for bad in [
        "api.scaleway.com",
        "ftp://api.scaleway.com",
        "https://",
        "https:///path",
        "",
    ] {
        let error = err(build(bad));
        assert!(
            matches!(&error, ConfigError::Invalid { what: "API URL", origin, .. }
                if origin == "Config::builder()"),
            "{bad}: {error:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// The secret key never leaks
// ---------------------------------------------------------------------------------------------

#[test]
fn secret_key_is_redacted_everywhere() {
    let secret = SecretKey::new(SECRET_BUILDER).unwrap();
    assert_eq!(format!("{secret}"), "<redacted>");
    assert_eq!(format!("{secret:?}"), "SecretKey(<redacted>)");
    assert_eq!(format!("{secret:#?}"), "SecretKey(<redacted>)");
    assert_eq!(secret.expose(), SECRET_BUILDER);

    let builder = Config::builder()
        .secret_key(SECRET_BUILDER)
        .access_key(ACCESS_BUILDER);
    let builder_debug = format!("{builder:?}");
    assert_no_secret(&builder_debug);
    assert!(builder_debug.contains(ACCESS_BUILDER), "{builder_debug}");

    let config = ok(builder.build());
    for text in [
        format!("{config:?}"),
        format!("{config:#?}"),
        format!("{:?}", config.clone()),
    ] {
        assert_no_secret(&text);
        assert!(text.contains("<redacted>"), "{text}");
        assert!(text.contains(ACCESS_BUILDER), "{text}");
    }
    assert_eq!(config.secret_key().expose(), SECRET_BUILDER);
    assert_no_secret(&config.secret_key().to_string());
}

#[test]
fn malformed_profile_files_are_refused_with_the_file_named() {
    let dir = temp_dir("malformed_shapes");
    let cases: &[(&str, &str, Option<usize>)] = &[
        ("list.yaml", "- secret_key\n- default_zone\n", None),
        (
            "profiles.yaml",
            "default_zone: fr-par-1\nprofiles: [a, b]\n",
            Some(2),
        ),
        ("profile.yaml", "profiles:\n  work: just-a-string\n", Some(2)),
        ("active.yaml", "active_profile: [a, b]\n", Some(1)),
    ];
    for (name, content, line) in cases {
        let file = write(&dir, name, content);
        let error = err(Config::builder().infer_with(env(&[
            ("SCW_CONFIG_PATH", file.to_str().unwrap()),
            ("SCW_SECRET_KEY", SECRET_ENV),
        ])));
        match &error {
            ConfigError::File {
                path, line: found, ..
            } => {
                assert_eq!(path, &file, "{name}");
                assert_eq!(found, line, "{name}: {error}");
            }
            other => panic!("{name}: expected a file error, got {other:?}"),
        }
        assert_no_secret(&error.to_string());
    }
}

#[test]
fn a_profile_file_that_cannot_be_read_is_an_error() {
    let dir = temp_dir("unreadable");
    // A directory where the file should be.
    let error = err(Config::builder().infer_with(env(&[
        ("SCW_CONFIG_PATH", dir.to_str().unwrap()),
        ("SCW_SECRET_KEY", SECRET_ENV),
    ])));
    assert!(
        matches!(&error, ConfigError::File { reason, .. } if reason.contains("cannot read")),
        "{error:?}"
    );
}

#[test]
fn a_profile_asked_for_with_no_known_location_is_missing() {
    let error = err(Config::builder()
        .profile("work")
        .infer_with(env(&[("SCW_SECRET_KEY", SECRET_ENV)])));
    assert!(
        matches!(
            &error,
            ConfigError::Missing {
                what: "profile file",
                ..
            }
        ),
        "{error:?}"
    );
}
