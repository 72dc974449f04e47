//! `scaleway-sim`: runs the Scaleway API simulator until Ctrl-C.
//!
//! ```text
//! scaleway-sim [--listen 127.0.0.1:8080] [--secret-key UUID] [--project-id UUID]
//!              [--organization-id UUID] [--time-scale 1.0] [--seed N]
//! ```
//!
//! `SCW_SIM_SEED` sets the seed when `--seed` is not given.
//!
//! It prints `SCW_API_URL=...`, `SCW_SECRET_KEY=...`, `SCW_DEFAULT_PROJECT_ID=...` and
//! `SCW_DEFAULT_ORGANIZATION_ID=...` lines, so a shell can `eval` them.

use std::io::Write;
use std::net::SocketAddr;

use scaleway_sim::{Simulator, SimulatorOptions};

const USAGE: &str = "usage: scaleway-sim [--listen ADDR] [--secret-key UUID] [--project-id UUID] \
                     [--organization-id UUID] [--time-scale FACTOR] [--seed N]";

/// The environment variable read for the seed when `--seed` is not given.
const SEED_VAR: &str = "SCW_SIM_SEED";

fn main() {
    let mut listen: SocketAddr = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut options = SimulatorOptions::default();
    if let Ok(value) = std::env::var(SEED_VAR) {
        options.seed = seed_arg(SEED_VAR, &value);
    }
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if name == "--help" || name == "-h" {
            println!("{USAGE}");
            return;
        }
        let Some(value) = inline.or_else(|| args.next()) else {
            fail(&format!("{name} needs a value"));
        };
        match name.as_str() {
            "--listen" => listen = value.parse().unwrap_or_else(|_| fail("--listen wants HOST:PORT")),
            "--secret-key" => options.secret_key = Some(uuid_arg(&name, value)),
            "--project-id" => options.project_id = Some(uuid_arg(&name, value)),
            "--organization-id" => options.organization_id = Some(uuid_arg(&name, value)),
            "--time-scale" => {
                options.time_scale = value
                    .parse()
                    .ok()
                    .filter(|v: &f64| *v >= 0.0)
                    .unwrap_or_else(|| fail("--time-scale wants a number >= 0"))
            }
            "--seed" => options.seed = seed_arg(&name, &value),
            _ => fail(&format!("unknown argument {name}")),
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap_or_else(|e| fail(&format!("cannot start the runtime: {e}")));
    runtime.block_on(async move {
        let sim = Simulator::start_on(listen, options)
            .await
            .unwrap_or_else(|e| fail(&format!("cannot listen on {listen}: {e}")));
        println!("SCW_API_URL={}", sim.base_url());
        println!("SCW_SECRET_KEY={}", sim.secret_key());
        println!("SCW_DEFAULT_PROJECT_ID={}", sim.project_id());
        println!("SCW_DEFAULT_ORGANIZATION_ID={}", sim.organization_id());
        let _ = std::io::stdout().flush();
        let _ = tokio::signal::ctrl_c().await;
        drop(sim);
    });
}

fn uuid_arg(name: &str, value: String) -> String {
    if uuid::Uuid::parse_str(&value).is_err() {
        fail(&format!("{name} wants a UUID"));
    }
    value
}

fn seed_arg(name: &str, value: &str) -> u64 {
    value
        .trim()
        .parse()
        .unwrap_or_else(|_| fail(&format!("{name} wants a whole number from 0 to {}", u64::MAX)))
}

fn fail(message: &str) -> ! {
    eprintln!("scaleway-sim: {message}\n{USAGE}");
    std::process::exit(2)
}
