//! Section 7 (with `SCW_SDK_BENCH_BUILD=1`): a library user's build of a crate that depends on
//! this one by path, with default features, and with the Instance API alone.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::common::{self, Section, Target};

/// The cold debug build of a dependent crate before this work, in seconds (the figure).
const BEFORE_SECS: f64 = 111.0;

struct Timed {
    secs: f64,
    load_before: String,
    load_after: String,
}

fn cargo_build(dir: &Path, target: &Path, release: bool) -> Timed {
    let load_before = common::load_average();
    let started = Instant::now();
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.arg("build").current_dir(dir).env("CARGO_TARGET_DIR", target);
    if release {
        cmd.arg("--release");
    }
    // Nothing of the bench's own build may leak into the user's.
    for var in [
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_BUILD_TARGET_DIR",
        "CARGO_PROFILE_RELEASE_DEBUG",
    ] {
        cmd.env_remove(var);
    }
    let status = cmd.status().expect("cargo runs");
    assert!(status.success(), "the user's crate builds");
    Timed {
        secs: started.elapsed().as_secs_f64(),
        load_before,
        load_after: common::load_average(),
    }
}

/// A throwaway binary crate in a temporary directory depending on this one (`dependency`, where
/// `%PATH%` stands for this checkout) and printing `expression` of `scaleway_client`, with this
/// checkout's `Cargo.lock` so that it builds the same dependency versions.
fn user_crate(root: &Path, name: &str, dependency: &str, expression: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scw-sdk-user-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let dependency = dependency.replace("%PATH%", &format!("{:?}", root.display().to_string()));
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"scw-user\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nscaleway-client = {dependency}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        format!(
            "fn main() {{\n    let zone: scaleway_client::Zone = \"fr-par-1\".parse().unwrap();\n    \
             println!(\"{{zone}}: {{}}\", scaleway_client::{expression});\n}}\n"
        ),
    )
    .unwrap();
    let _ = std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));
    dir
}

pub fn section() -> Section {
    let mut md = String::from("## 7. A library user's build\n\n");
    if std::env::var("SCW_SDK_BENCH_BUILD").as_deref() != Ok("1") {
        md += "Not run: set `SCW_SDK_BENCH_BUILD=1` (it builds a crate three times from scratch).\n";
        return Section {
            markdown: md,
            targets: Vec::new(),
        };
    }
    println!("7. a library user's build (cold debug, cold release, rebuild after touching a spec)…");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let dir = user_crate(&root, "default", "{ path = %PATH% }", "api::MODULES.len()");
    let debug_target = dir.join("target-debug");
    let release_target = dir.join("target-release");
    let debug = cargo_build(&dir, &debug_target, false);
    let release = cargo_build(&dir, &release_target, true);
    let spec = std::fs::read_dir(root.join("specs"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .min()
        .expect("a spec file");
    let file = std::fs::File::options().append(true).open(&spec).unwrap();
    file.set_modified(std::time::SystemTime::now()).unwrap();
    drop(file);
    let rebuild = cargo_build(&dir, &debug_target, false);
    let _ = std::fs::remove_dir_all(&dir);
    // The same crate using the Instance API alone, with the other APIs, the layer and the
    // provider turned off: what the per-API features save.
    let one_api_dir = user_crate(
        &root,
        "instance-only",
        "{ path = %PATH%, default-features = false, features = [\"instance_v1\"] }",
        "api::instance_v1::OPERATIONS.len()",
    );
    let one_api = cargo_build(&one_api_dir, &one_api_dir.join("target-debug"), false);
    let _ = std::fs::remove_dir_all(&one_api_dir);

    md += &format!(
        "A throwaway binary crate in a temporary directory depending on this crate by path \
         (default features, this checkout's `Cargo.lock`), built with `cargo build` into a fresh \
         `CARGO_TARGET_DIR` in debug, then in release, then rebuilt in debug after touching \
         `specs/{}`; last, the same crate built cold in debug with the Instance API alone \
         (no other API module, no layer, no provider). Seconds on this machine ({} CPUs, shared with other builds): the load \
         average (1, 5, 15 min) is given before and after each build.\n\n",
        spec.file_name().unwrap().to_string_lossy(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    let row = |name: &str, t: &Timed| {
        vec![
            name.to_string(),
            format!("{:.0} s", t.secs),
            t.load_before.clone(),
            t.load_after.clone(),
        ]
    };
    md += &common::table(
        &["build", "time (this machine)", "load before", "load after"],
        &[
            row("cold debug", &debug),
            row("cold release", &release),
            row("debug rebuild after touching one spec", &rebuild),
            row(
                "cold debug, Instance API only (`default-features = false, features = [\"instance_v1\"]`)",
                &one_api,
            ),
        ],
    );
    md += "\n";
    let target = 0.6 * BEFORE_SECS;
    Section {
        markdown: md,
        targets: vec![Target::new(
            format!("a dependent crate's cold debug build ≤ 60% of {BEFORE_SECS:.0} s ({target:.0} s)"),
            debug.secs <= target,
            format!(
                "{:.0} s = {:.0}% of {BEFORE_SECS:.0} s (load {})",
                debug.secs,
                100.0 * debug.secs / BEFORE_SECS,
                debug.load_before
            ),
        )],
    }
}
