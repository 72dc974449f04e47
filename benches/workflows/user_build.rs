//! Section 7 (with `SCW_SDK_BENCH_BUILD=1`): a library user's build of a crate that depends on
//! this one by path, with default features, and with the Instance API alone, against the same
//! build of this crate as it was when the build target was set, in the same run.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::common::{self, Section, Target};

/// The commit of this crate whose dependent build the target is measured against: the head of
/// `main` when the benchmarks were first written (then named `scaleway-sdk`, every API always
/// built, TLS by aws-lc-rs). A number of seconds taken on another day would compare two loads of
/// this shared machine rather than two builds, so the bench builds that commit again in the same
/// run, from `git archive`, and compares the two times.
const BASELINE_COMMIT: &str = "faf5b25";
/// Its package and library names.
const BASELINE_PACKAGE: (&str, &str) = ("scaleway-sdk", "scaleway_sdk");
/// The cold debug build of a dependent crate on that commit, in seconds, as first measured: shown
/// for reference only, the target being the ratio within this run.
const FIRST_MEASURED_SECS: f64 = 111.0;

struct Timed {
    secs: f64,
    load_before: String,
    load_after: String,
}

impl Timed {
    /// Two builds of the same crate as one: their mean time, the first one's load before and
    /// the second one's after.
    fn mean(first: &Timed, second: &Timed) -> Timed {
        Timed {
            secs: (first.secs + second.secs) / 2.0,
            load_before: first.load_before.clone(),
            load_after: second.load_after.clone(),
        }
    }
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
/// `%PATH%` stands for the checkout at `root`) and printing `expression` of `scaleway_client`,
/// with that checkout's `Cargo.lock` so that it builds the same dependency versions.
fn user_crate(root: &Path, name: &str, dependency: &str, expression: &str) -> PathBuf {
    user_crate_of(
        root,
        ("scaleway-client", "scaleway_client"),
        name,
        dependency,
        expression,
    )
}

/// [`user_crate`] for a checkout whose package and library are named `package`.
fn user_crate_of(
    root: &Path,
    package: (&str, &str),
    name: &str,
    dependency: &str,
    expression: &str,
) -> PathBuf {
    let (package, lib) = package;
    let dir = std::env::temp_dir().join(format!("scw-sdk-user-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    let dependency = dependency.replace("%PATH%", &format!("{:?}", root.display().to_string()));
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"scw-user\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\n{package} = {dependency}\n\n[workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("src/main.rs"),
        format!(
            "fn main() {{\n    let zone: {lib}::Zone = \"fr-par-1\".parse().unwrap();\n    \
             println!(\"{{zone}}: {{}}\", {lib}::{expression});\n}}\n"
        ),
    )
    .unwrap();
    let _ = std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));
    dir
}

pub fn section() -> Section {
    let mut md = String::from("## 7. A library user's build\n\n");
    if std::env::var("SCW_SDK_BENCH_BUILD").as_deref() != Ok("1") {
        md += "Not run: set `SCW_SDK_BENCH_BUILD=1` (it builds a crate eight times, seven of them from scratch).\n";
        return Section {
            markdown: md,
            targets: Vec::new(),
        };
    }
    println!(
        "7. a library user's build (cold debug of {BASELINE_COMMIT} and of this checkout, cold release, \
         rebuild after touching a spec, one API)…"
    );
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Baseline, this checkout, this checkout, baseline: a load that rises or falls during the
    // four builds weighs on both sides alike, where one build of each would hand it to one side
    // (two runs of one build each differed by 15% on this machine).
    let baseline_src = baseline_tree(&root);
    let baseline_dir = user_crate_of(
        &baseline_src,
        BASELINE_PACKAGE,
        "baseline",
        "{ path = %PATH% }",
        "Region::new_unchecked(\"fr-par\").unwrap().zones().len()",
    );
    let baseline_first = cargo_build(&baseline_dir, &baseline_dir.join("target-debug"), false);
    let dir = user_crate(&root, "default", "{ path = %PATH% }", "api::MODULES.len()");
    let debug_target = dir.join("target-debug");
    let release_target = dir.join("target-release");
    let debug_first = cargo_build(&dir, &debug_target, false);
    let debug_second = cargo_build(&dir, &dir.join("target-debug-again"), false);
    let _ = std::fs::remove_dir_all(dir.join("target-debug-again"));
    let baseline_second = cargo_build(&baseline_dir, &baseline_dir.join("target-debug-again"), false);
    let _ = std::fs::remove_dir_all(&baseline_dir);
    let _ = std::fs::remove_dir_all(&baseline_src);
    let (baseline, debug) = (
        Timed::mean(&baseline_first, &baseline_second),
        Timed::mean(&debug_first, &debug_second),
    );
    let floor_dir = dependencies_crate(&root);
    let floor = cargo_build(&floor_dir, &floor_dir.join("target-debug"), false);
    let _ = std::fs::remove_dir_all(&floor_dir);
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
         (no other API module, no layer, no provider). First of all, the same user's crate is \
         built cold in debug against this crate as of `{BASELINE_COMMIT}` (extracted with `git \
         archive`, with its own `Cargo.lock`), the build the target is set against, first \
         measured at {FIRST_MEASURED_SECS:.0} s on a quiet machine; the cold debug builds run in \
         the order baseline, this checkout, this checkout again, baseline again, and each side's \
         time is the mean of its two, so that a change of load during them weighs on both. \
         Seconds on this machine ({} CPUs, shared with other builds): the load \
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
            row(
                &format!("cold debug, `{BASELINE_COMMIT}` (the baseline)"),
                &baseline_first,
            ),
            row("cold debug", &debug_first),
            row("cold debug, again", &debug_second),
            row(
                &format!("cold debug, `{BASELINE_COMMIT}` again"),
                &baseline_second,
            ),
            row(
                "cold debug of this crate's dependencies alone (its `[dependencies]` and `[build-dependencies]`, no code of its own)",
                &floor,
            ),
            row("cold release", &release),
            row("debug rebuild after touching one spec", &rebuild),
            row(
                "cold debug, Instance API only (`default-features = false, features = [\"instance_v1\"]`)",
                &one_api,
            ),
        ],
    );
    md += "\n";
    let debug_ratio = debug.secs / baseline.secs;
    let one_api_ratio = one_api.secs / baseline.secs;
    let floor_ratio = floor.secs / baseline.secs;
    md += &format!(
        "\nCold debug build against the baseline's, in this run (the means of two builds each): \
         default features {debug_ratio:.2}×, \
         the Instance API alone {one_api_ratio:.2}×; the dependencies alone {floor_ratio:.2}×, so \
         this crate's own work (generating the clients in `build.rs` and compiling them with the \
         layers) adds {:.0} s to a build with default features.\n",
        (debug.secs - floor.secs).max(0.0)
    );
    let why = format!(
        "the third-party crates alone take {:.0} s ({:.0}% of the baseline's build): the code \
         generator run by `build.rs` (progenitor, typify, syn) and the HTTP stack (tokio, hyper, \
         reqwest, rustls) build before a line of this crate compiles; generating the clients \
         and compiling them with the layers then adds {:.0} s, after them, for a 60% target of \
         {:.0} s in all. The generator's crates are needed because a spec dropped in `specs/` \
         regenerates the clients; shipping pre-generated code would drop them and lose that. \
         What remains is choosing fewer APIs: the Instance API alone builds in {:.0}% of the \
         baseline's time",
        floor.secs,
        100.0 * floor_ratio,
        (debug.secs - floor.secs).max(0.0),
        0.6 * baseline.secs,
        100.0 * one_api_ratio
    );
    Section {
        markdown: md,
        targets: vec![
            Target::new(
                format!(
                    "a dependent crate's cold debug build ≤ 60% of the baseline's (`{BASELINE_COMMIT}`, \
                     first measured at {FIRST_MEASURED_SECS:.0} s), default features"
                ),
                debug_ratio <= 0.6,
                format!(
                    "{:.0} s against {:.0} s in this run, each the mean of two builds: {:.0}% (load {})",
                    debug.secs,
                    baseline.secs,
                    100.0 * debug_ratio,
                    debug.load_before
                ),
            )
            .because(why),
            Target::new(
                "lower still with one API",
                one_api.secs < debug.secs,
                format!(
                    "{:.0} s = {:.0}% of the baseline's, against {:.0}% with default features",
                    one_api.secs,
                    100.0 * one_api_ratio,
                    100.0 * debug_ratio
                ),
            ),
        ],
    }
}

/// This crate's tree at [`BASELINE_COMMIT`], extracted into a temporary directory.
fn baseline_tree(root: &Path) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("scw-sdk-baseline-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let archive = Command::new("git")
        .args(["archive", "--format=tar", BASELINE_COMMIT])
        .current_dir(root)
        .output()
        .expect("git runs");
    assert!(
        archive.status.success(),
        "`git archive {BASELINE_COMMIT}` works in this checkout (a shallow clone lacks the commit): {}",
        String::from_utf8_lossy(&archive.stderr)
    );
    let mut tar = Command::new("tar")
        .args(["-x", "-f", "-"])
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("tar runs");
    use std::io::Write as _;
    tar.stdin.take().unwrap().write_all(&archive.stdout).unwrap();
    assert!(tar.wait().unwrap().success(), "the baseline tree extracts");
    dir
}

/// A crate with exactly this crate's `[dependencies]` and `[build-dependencies]` (and an empty
/// build script, so that the build dependencies are built), and no code of this crate: the part
/// of a user's build that does not depend on this crate's own code.
fn dependencies_crate(root: &Path) -> PathBuf {
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let table = |header: &str| -> String {
        let start = manifest
            .find(&format!("\n{header}\n"))
            .unwrap_or_else(|| panic!("Cargo.toml has {header}"));
        let body = &manifest[start + 1..];
        let end = body[1..].find("\n[").map_or(body.len(), |i| i + 2);
        body[..end].to_string()
    };
    let dir = std::env::temp_dir().join(format!("scw-sdk-user-dependencies-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"scw-dependencies\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n{}\n{}\n[workspace]\n",
            table("[dependencies]"),
            table("[build-dependencies]"),
        ),
    )
    .unwrap();
    std::fs::write(dir.join("build.rs"), "fn main() {}\n").unwrap();
    std::fs::write(dir.join("src/main.rs"), "fn main() {}\n").unwrap();
    let _ = std::fs::copy(root.join("Cargo.lock"), dir.join("Cargo.lock"));
    dir
}
