//! The data tests check answers against.
//!
//! `tests/fixtures/traffic/` holds interactions of our own making in the real API's shape, one
//! file per API, in the format of the recordings (`api`, `method`, `path`, `template`, `query`,
//! `raw_query`, `status`, `resp_headers`, `resp_body`) plus a `name`: they are always there, and
//! the wire tests answer with their bodies.
//!
//! `../shared/reference/` beside the checkout holds what a clone on its own lacks: recorded real
//! traffic, official spec files and a digest of the API's behaviour. A test over it asks
//! [`reference`] for a path; when the directory is absent the test prints that it was skipped
//! (on the terminal, past the test harness's capture) and checks nothing more, unless
//! `SCW_SDK_REQUIRE_REFERENCE=1` makes the absence a failure, as in `.ci/run`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::Value;

/// The workspace's root (the library's directory), which the simulator's tests, one level
/// down, share: the fixtures, the specs and the reference data beside the checkout are found
/// from it.
pub fn repository_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .find(|dir| dir.join("specs").is_dir() && dir.join("tests/fixtures").is_dir())
        .expect("the test runs inside the repository")
}

/// The variable that makes a missing `../shared/reference` a failure.
pub const REQUIRE_REFERENCE: &str = "SCW_SDK_REQUIRE_REFERENCE";

/// The recordings of real traffic: the HEAD recordings, the older ones kept for operations HEAD
/// lacks, and the IPAM calls of every service's recordings.
pub const RECORDED_FILES: [&str; 3] = ["dev.jsonl", "dev-supplement.jsonl", "ipam-dev.jsonl"];

/// `../shared/reference/<path>` if it exists. If not, `what` (the check that needs it) is said to
/// be skipped and `None` returned, or the test fails when [`REQUIRE_REFERENCE`] is set.
pub fn reference(path: &str, what: &str) -> Option<PathBuf> {
    let full = repository_root().join("../shared/reference").join(path);
    if full.exists() {
        return Some(full);
    }
    let required = std::env::var(REQUIRE_REFERENCE).is_ok_and(|v| !v.is_empty() && v != "0");
    assert!(
        !required,
        "{what}: {} is absent and {REQUIRE_REFERENCE} is set",
        full.display()
    );
    // Straight to stderr: the harness captures `println!` of passing tests, and a skip must show.
    let _ = writeln!(
        std::io::stderr().lock(),
        "skipped: {what} ({} is absent; {REQUIRE_REFERENCE}=1 makes this a failure)",
        full.display()
    );
    None
}

/// The interactions of the recorded `files`, each with its `source` and `seq`, or `None` when the
/// recordings are absent (see [`reference`]).
pub fn recorded_traffic(files: &[&str], what: &str) -> Option<Vec<Value>> {
    let dir = reference("real-traffic", what)?;
    let mut records = Vec::new();
    for name in files {
        records.extend(read_json_lines(&dir.join(name)));
    }
    Some(records)
}

/// The records of a file of JSON lines.
pub fn read_json_lines(file: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(n, line)| {
            serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{}:{}: not JSON: {e}", file.display(), n + 1))
        })
        .collect()
}

/// Every fixture interaction, with a `source` naming its file and a `seq` (its place there).
pub fn fixture_traffic() -> &'static [Value] {
    static FIXTURES: OnceLock<Vec<Value>> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = repository_root().join("tests/fixtures/traffic");
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "json"))
            .collect();
        files.sort();
        let mut records = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let list: Vec<Value> =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            let label = file.file_name().unwrap().to_string_lossy().into_owned();
            for (seq, mut record) in list.into_iter().enumerate() {
                let name = record["name"].as_str().unwrap_or_default().to_string();
                record["source"] = format!("fixtures/traffic/{label}: {name}").into();
                record["seq"] = seq.into();
                records.push(record);
            }
        }
        records
    })
}

/// The fixture interaction called `name`.
pub fn fixture(name: &str) -> &'static Value {
    let mut found = fixture_traffic().iter().filter(|r| r["name"] == name);
    let first = found
        .next()
        .unwrap_or_else(|| panic!("no fixture called {name:?}"));
    assert!(found.next().is_none(), "two fixtures are called {name:?}");
    first
}

/// The answer body of the fixture interaction called `name`.
pub fn fixture_body(name: &str) -> Value {
    fixture(name)["resp_body"].clone()
}
