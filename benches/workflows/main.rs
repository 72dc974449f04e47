//! Benchmarks anyone can repeat: economy of calls, wait detection, client overhead, decode cost,
//! the simulator, a fleet, and a library user's build. One command runs them all, prints the
//! report and writes `BENCHMARKS.md`:
//!
//! ```text
//! cargo bench --bench workflows
//! SCW_SDK_BENCH_BUILD=1 cargo bench --bench workflows   # with a user's build (slow)
//! ```
//!
//! `SCW_SDK_BENCH_ONLY=1,3` runs some sections only (and then writes `BENCHMARKS.partial.md` in
//! the target directory instead). Every figure that compares is a ratio measured within one run; times in seconds are
//! this machine's, under whatever else it runs.

mod calls;
mod common;
mod decode;
mod fleet;
mod overhead;
mod sim;
mod trace;
mod user_build;
mod waits;

use std::path::PathBuf;
use std::time::Instant;

use common::{Section, Target};

fn machine() -> Vec<(String, String)> {
    let run = |cmd: &str, args: &[&str]| {
        std::process::Command::new(cmd)
            .args(args)
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .unwrap_or_else(|| "unknown".into())
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let date = run("date", &["-u", "+%Y-%m-%d %H:%M UTC"]);
    vec![
        ("date".into(), date),
        ("nproc".into(), run("nproc", &[])),
        ("CPU".into(), cpu),
        ("rustc".into(), run("rustc", &["--version"])),
        ("load average at start".into(), common::load_average()),
    ]
}

fn main() {
    if let Ok(listen) = std::env::var(overhead::SERVE_VAR) {
        overhead::serve_simulator(&listen);
    }
    // Under `cargo test` (no `--bench` argument) the bench is only compiled, not run.
    if !std::env::args().any(|a| a == "--bench") {
        println!("workflows bench: run it with `cargo bench --bench workflows`");
        return;
    }
    let only: Option<Vec<u32>> = std::env::var("SCW_SDK_BENCH_ONLY")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect());
    let wanted = |n: u32| only.as_ref().is_none_or(|o| o.contains(&n));
    trace::install();
    let machine = machine();
    let started = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let mut sections: Vec<Section> = Vec::new();
    runtime.block_on(async {
        if wanted(1) {
            sections.push(calls::section().await);
        }
        if wanted(2) {
            sections.push(waits::section().await);
        }
        if wanted(3) {
            sections.push(overhead::section().await);
        }
        if wanted(4) {
            sections.push(decode::section().await);
        }
        if wanted(5) {
            sections.push(sim::section().await);
        }
        if wanted(6) {
            sections.push(fleet::section().await);
        }
    });
    drop(runtime);
    if wanted(7) {
        sections.push(user_build::section());
    }

    let mut md = String::from("# Benchmarks\n\n");
    md += "Written by `cargo bench --bench workflows` (with `SCW_SDK_BENCH_BUILD=1` \
           for section 7) from one run; rerun it to replace this file. Comparisons are ratios \
           measured within the run; absolute times are this machine's, which is shared with other \
           builds, and say nothing about speed elsewhere.\n\n";
    md += &common::table(
        &["", ""],
        &machine
            .iter()
            .map(|(k, v)| vec![k.clone(), v.clone()])
            .chain(std::iter::once(vec![
                "load average at end".into(),
                common::load_average(),
            ]))
            .chain(std::iter::once(vec![
                "run took".into(),
                format!("{:.0} s", started.elapsed().as_secs_f64()),
            ]))
            .collect::<Vec<_>>(),
    );
    md += "\n## The issue's targets\n\n";
    let targets: Vec<&Target> = sections.iter().flat_map(|s| &s.targets).collect();
    md += &common::table(
        &["target", "", "measured"],
        &targets
            .iter()
            .map(|t| {
                let detail = match (&t.why, t.met) {
                    (Some(why), false) => format!("{}. Why: {why}", t.detail),
                    _ => t.detail.clone(),
                };
                vec![
                    t.name.clone(),
                    if t.met { "met" } else { "**missed**" }.into(),
                    detail,
                ]
            })
            .collect::<Vec<_>>(),
    );
    md += "\n";
    for section in &sections {
        md += &section.markdown;
        md += "\n";
    }
    println!("\n{md}");
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let path = if only.is_some() {
        // Beside the build, wherever the target directory is (`CARGO_TARGET_DIR` may move it).
        let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        std::fs::create_dir_all(&target).expect("the target directory can be created");
        target.join("BENCHMARKS.partial.md")
    } else {
        root.join("BENCHMARKS.md")
    };
    std::fs::write(&path, md).expect("BENCHMARKS.md is writable");
    println!("written to {}", path.display());
}
