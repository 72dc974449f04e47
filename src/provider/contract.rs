//! A contract suite any [`Provider`] implementation can run against itself.
//!
//! It drives a provider through every operation of the trait, in an order that creates and then
//! removes everything it touches, and checks the contracts the host tools rely on: idempotent
//! find-or-create and delete, not-found as `None` (or [`ProviderError::NotFound`] for the
//! `get_*_by_name` of networks and firewalls), typed errors for bad input, volumes kept across a
//! server's deletion, and nothing left behind.
//!
//! ```no_run
//! # async fn example(provider: Box<dyn scaleway_client::provider::Provider>) {
//! use scaleway_client::provider::contract::{ContractFixture, run};
//!
//! let report = run(provider.as_ref(), &ContractFixture::new("contract-1", "DEV1-S", "ubuntu-24.04")).await;
//! println!("{report}");
//! report.assert_passed();
//! # }
//! ```

use std::fmt;

use super::{Provider, ProviderError, ServerOptions, ServerStatus, VolumeOptions, VolumeStatus};

/// What the suite creates things with.
#[derive(Debug, Clone)]
pub struct ContractFixture {
    /// Prefix of every name the suite creates; make it unique per run.
    pub prefix: String,
    /// An instance type the provider offers.
    pub instance_type: String,
    /// An image name the provider resolves.
    pub image: String,
    /// A valid location name, and one that is not.
    pub valid_region: String,
    /// A location name that does not exist.
    pub invalid_region: String,
    /// How many polls `wait_for_server` may make.
    pub wait_attempts: u32,
}

impl ContractFixture {
    /// A fixture with the given prefix, instance type and image; Scaleway-style location names.
    pub fn new(prefix: &str, instance_type: &str, image: &str) -> ContractFixture {
        ContractFixture {
            prefix: prefix.to_string(),
            instance_type: instance_type.to_string(),
            image: image.to_string(),
            valid_region: "fr-par-1".into(),
            invalid_region: "xx-nowhere-9".into(),
            wait_attempts: 120,
        }
    }

    fn name(&self, what: &str) -> String {
        format!("{}-{what}", self.prefix)
    }
}

/// The result of one check.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub name: &'static str,
    /// `None` if it held; why not otherwise.
    pub failure: Option<String>,
}

/// Every check of a run.
#[derive(Debug, Clone, Default)]
pub struct Report {
    /// In the order they ran.
    pub checks: Vec<Check>,
}

impl Report {
    /// The checks that failed.
    pub fn failures(&self) -> Vec<&Check> {
        self.checks.iter().filter(|c| c.failure.is_some()).collect()
    }

    /// Panics with the list of failed checks, if any.
    pub fn assert_passed(&self) {
        let failures = self.failures();
        assert!(
            failures.is_empty(),
            "{} contract check(s) failed:\n{self}",
            failures.len()
        );
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for check in &self.checks {
            match &check.failure {
                None => writeln!(f, "ok    {}", check.name)?,
                Some(why) => writeln!(f, "FAIL  {}: {why}", check.name)?,
            }
        }
        let failed = self.failures().len();
        write!(f, "{} passed, {} failed", self.checks.len() - failed, failed)
    }
}

struct Run {
    report: Report,
}

impl Run {
    fn check(&mut self, name: &'static str, outcome: Result<(), String>) -> bool {
        let ok = outcome.is_ok();
        self.report.checks.push(Check {
            name,
            failure: outcome.err(),
        });
        ok
    }
}

fn expect(condition: bool, why: impl FnOnce() -> String) -> Result<(), String> {
    if condition { Ok(()) } else { Err(why()) }
}

fn invalid_input<T: fmt::Debug>(result: Result<T, ProviderError>) -> Result<(), String> {
    match result {
        Err(ProviderError::InvalidInput { .. }) => Ok(()),
        other => Err(format!("expected InvalidInput, got {other:?}")),
    }
}

const ABSENT_ID: &str = "00000000-0000-4000-8000-000000000000";

/// Runs the whole contract. Resources it creates are named after `fixture.prefix` and removed
/// before it returns, also when checks fail.
pub async fn run(provider: &dyn Provider, fixture: &ContractFixture) -> Report {
    let mut run = Run {
        report: Report::default(),
    };

    // Validation.
    let outcome = provider.validate_credentials().await.map_err(|e| e.to_string());
    run.check("validate_credentials accepts the configured credentials", outcome);
    let outcome = provider
        .validate_region(&fixture.valid_region)
        .await
        .map_err(|e| e.to_string());
    run.check("validate_region accepts a valid location", outcome);
    run.check(
        "validate_region refuses an unknown location",
        invalid_input(provider.validate_region(&fixture.invalid_region).await),
    );
    let outcome = provider
        .validate_instance_type(&fixture.instance_type)
        .await
        .map_err(|e| e.to_string());
    run.check("validate_instance_type accepts an offered type", outcome);
    run.check(
        "validate_instance_type refuses an unknown type",
        invalid_input(provider.validate_instance_type("NO-SUCH-TYPE-1").await),
    );
    let sizes = provider.sizes().await;
    run.check(
        "sizes lists small, medium and large",
        match &sizes {
            Ok(sizes) => {
                let names: Vec<&str> = sizes.iter().map(|s| s.name.as_str()).collect();
                expect(names == ["small", "medium", "large"], || format!("got {names:?}"))
            }
            Err(e) => Err(e.to_string()),
        },
    );
    let locations = provider.locations().await;
    run.check(
        "locations include the valid location",
        match &locations {
            Ok(l) => expect(l.iter().any(|l| l.name == fixture.valid_region), || {
                format!("got {l:?}")
            }),
            Err(e) => Err(e.to_string()),
        },
    );

    // Bad input is refused before anything is created.
    run.check(
        "an empty network name is refused",
        invalid_input(provider.find_or_create_network("").await),
    );
    run.check(
        "an id with a slash is refused",
        invalid_input(provider.get_server("../servers").await),
    );
    run.check(
        "a volume of 0 GB is refused",
        invalid_input(
            provider
                .create_volume(&VolumeOptions {
                    name: fixture.name("zero"),
                    size_gb: 0,
                    ..Default::default()
                })
                .await,
        ),
    );

    // Not found is None, or NotFound for by-name gets of networks and firewalls.
    let outcome = match provider.get_server(ABSENT_ID).await {
        Ok(None) => Ok(()),
        other => Err(format!("{other:?}")),
    };
    run.check("get_server of an absent id is None", outcome);
    let outcome = match provider.find_server(&fixture.name("absent")).await {
        Ok(None) => Ok(()),
        other => Err(format!("{other:?}")),
    };
    run.check("find_server of an absent name is None", outcome);
    let outcome = match provider.get_volume(ABSENT_ID).await {
        Ok(None) => Ok(()),
        other => Err(format!("{other:?}")),
    };
    run.check("get_volume of an absent id is None", outcome);
    let outcome = match provider.get_network_by_name(&fixture.name("absent")).await {
        Err(e) if e.is_not_found() => Ok(()),
        other => Err(format!("{other:?}")),
    };
    run.check("get_network_by_name of an absent name is NotFound", outcome);
    let outcome = match provider.get_firewall_by_name(&fixture.name("absent")).await {
        Err(e) if e.is_not_found() => Ok(()),
        other => Err(format!("{other:?}")),
    };
    run.check("get_firewall_by_name of an absent name is NotFound", outcome);

    // Networks and firewalls: find-or-create is idempotent.
    let network = provider.find_or_create_network(&fixture.name("net")).await;
    let again = provider.find_or_create_network(&fixture.name("net")).await;
    let network = match (network, again) {
        (Ok(a), Ok(b)) => {
            run.check(
                "find_or_create_network twice gives one network",
                expect(a.id == b.id, || format!("{a:?} vs {b:?}")),
            );
            Some(a)
        }
        (a, b) => {
            run.check(
                "find_or_create_network twice gives one network",
                Err(format!("{a:?} / {b:?}")),
            );
            None
        }
    };
    if let Some(network) = &network {
        let outcome = match provider.get_network_by_name(&network.name).await {
            Ok(found) => expect(found.id == network.id, || format!("{found:?}")),
            Err(e) => Err(e.to_string()),
        };
        run.check("get_network_by_name finds it", outcome);
    }
    let firewall = provider.find_or_create_firewall(&fixture.name("fw")).await;
    let again = provider.find_or_create_firewall(&fixture.name("fw")).await;
    let firewall = match (firewall, again) {
        (Ok(a), Ok(b)) => {
            run.check(
                "find_or_create_firewall twice gives one firewall",
                expect(a.id == b.id, || format!("{a:?} vs {b:?}")),
            );
            Some(a)
        }
        (a, b) => {
            run.check(
                "find_or_create_firewall twice gives one firewall",
                Err(format!("{a:?} / {b:?}")),
            );
            None
        }
    };

    // A server on that network behind that firewall.
    let tag = fixture.name("tag");
    let created = provider
        .create_server(&ServerOptions {
            name: fixture.name("srv"),
            instance_type: fixture.instance_type.clone(),
            image: fixture.image.clone(),
            user_data: Some("#cloud-config\n".into()),
            network_id: network.as_ref().map(|n| n.id.clone()),
            firewall_id: firewall.as_ref().map(|f| f.id.clone()),
            tags: vec![tag.clone()],
            ..ServerOptions::default()
        })
        .await;
    let server = match created {
        Ok(server) => {
            run.check(
                "create_server returns the server",
                expect(server.name == fixture.name("srv"), || format!("{server:?}")),
            );
            Some(server)
        }
        Err(e) => {
            run.check("create_server returns the server", Err(e.to_string()));
            None
        }
    };
    if let Some(server) = &server {
        let outcome = match provider.wait_for_server(&server.id, fixture.wait_attempts).await {
            Ok(s) => expect(s.status == ServerStatus::Running, || format!("{s:?}")),
            Err(e) => Err(e.to_string()),
        };
        run.check("wait_for_server reaches running", outcome);
        let outcome = match provider.find_server(&server.name).await {
            Ok(Some(found)) => expect(found.id == server.id, || format!("{found:?}")),
            other => Err(format!("{other:?}")),
        };
        run.check("find_server finds it by its exact name", outcome);
        let outcome = match provider.list_servers_by_tag(&tag).await {
            Ok(list) => expect(list.len() == 1 && list[0].id == server.id, || format!("{list:?}")),
            Err(e) => Err(e.to_string()),
        };
        run.check("list_servers_by_tag finds only it", outcome);
        let outcome = match provider.list_servers().await {
            Ok(list) => expect(list.iter().any(|s| s.id == server.id), || {
                "absent from list_servers".into()
            }),
            Err(e) => Err(e.to_string()),
        };
        run.check("list_servers includes it", outcome);
        if let Some(firewall) = &firewall {
            let outcome = match provider.delete_firewall(&firewall.id).await {
                Err(ProviderError::InUse { users, .. }) => {
                    expect(users.iter().any(|u| u.contains(&server.id)), || {
                        format!("users: {users:?}")
                    })
                }
                other => Err(format!("expected InUse, got {other:?}")),
            };
            run.check(
                "delete_firewall refuses a firewall in use, naming the server",
                outcome,
            );
        }
        let outcome = async {
            provider.power_off(&server.id).await.map_err(|e| e.to_string())?;
            provider
                .power_off(&server.id)
                .await
                .map_err(|e| format!("second power_off: {e}"))?;
            let s = provider.get_server(&server.id).await.map_err(|e| e.to_string())?;
            expect(
                s.as_ref().map(|s| s.status) == Some(ServerStatus::Stopped),
                || format!("{s:?}"),
            )
        }
        .await;
        run.check("power_off stops it and is a no-op when stopped", outcome);
        let outcome = async {
            provider.power_on(&server.id).await.map_err(|e| e.to_string())?;
            provider
                .power_on(&server.id)
                .await
                .map_err(|e| format!("second power_on: {e}"))?;
            let s = provider.get_server(&server.id).await.map_err(|e| e.to_string())?;
            expect(
                s.as_ref().map(|s| s.status) == Some(ServerStatus::Running),
                || format!("{s:?}"),
            )
        }
        .await;
        run.check("power_on starts it and is a no-op when running", outcome);
    }

    // A volume, attached and detached, and kept when its server goes.
    let volume = provider
        .create_volume(&VolumeOptions {
            name: fixture.name("vol"),
            size_gb: 10,
            ..Default::default()
        })
        .await;
    let volume = match volume {
        Ok(v) => {
            let outcome = expect(
                v.size_gb == 10 && v.status == VolumeStatus::Available && v.server_id.is_none(),
                || format!("{v:?}"),
            );
            run.check("create_volume gives an available 10 GB volume", outcome);
            Some(v)
        }
        Err(e) => {
            run.check(
                "create_volume gives an available 10 GB volume",
                Err(e.to_string()),
            );
            None
        }
    };
    if let Some(volume) = &volume {
        let outcome = match provider.get_volume_by_name(&volume.name).await {
            Ok(Some(v)) => expect(v.id == volume.id, || format!("{v:?}")),
            other => Err(format!("{other:?}")),
        };
        run.check("get_volume_by_name finds it", outcome);
        if let Some(server) = &server {
            let outcome = async {
                provider
                    .attach_volume(&volume.id, &server.id)
                    .await
                    .map_err(|e| e.to_string())?;
                provider
                    .attach_volume(&volume.id, &server.id)
                    .await
                    .map_err(|e| format!("second attach: {e}"))?;
                let v = provider.get_volume(&volume.id).await.map_err(|e| e.to_string())?;
                expect(
                    v.as_ref().and_then(|v| v.server_id.as_deref()) == Some(server.id.as_str()),
                    || format!("{v:?}"),
                )
            }
            .await;
            run.check("attach_volume attaches, twice is a no-op", outcome);
            let outcome = match provider.delete_volume(&volume.id).await {
                Err(ProviderError::InUse { .. }) => Ok(()),
                other => Err(format!("expected InUse, got {other:?}")),
            };
            run.check("delete_volume refuses an attached volume", outcome);
            let outcome = async {
                provider
                    .detach_volume(&volume.id)
                    .await
                    .map_err(|e| e.to_string())?;
                provider
                    .detach_volume(&volume.id)
                    .await
                    .map_err(|e| format!("second detach: {e}"))?;
                let v = provider.get_volume(&volume.id).await.map_err(|e| e.to_string())?;
                expect(
                    v.as_ref()
                        .is_some_and(|v| v.server_id.is_none() && v.status == VolumeStatus::Available),
                    || format!("{v:?}"),
                )
            }
            .await;
            run.check("detach_volume detaches, twice is a no-op", outcome);
            let outcome = async {
                provider
                    .attach_volume(&volume.id, &server.id)
                    .await
                    .map_err(|e| e.to_string())?;
                provider
                    .delete_server(&server.id)
                    .await
                    .map_err(|e| e.to_string())?;
                let v = provider.get_volume(&volume.id).await.map_err(|e| e.to_string())?;
                expect(v.as_ref().is_some_and(|v| v.server_id.is_none()), || {
                    format!("after deleting the server: {v:?}")
                })
            }
            .await;
            run.check("delete_server keeps the user's volume, detached", outcome);
        }
    }
    if let Some(server) = &server {
        // Already deleted above when a volume was there; deleting again must succeed.
        let outcome = async {
            provider
                .delete_server(&server.id)
                .await
                .map_err(|e| e.to_string())?;
            provider
                .delete_server(&server.id)
                .await
                .map_err(|e| format!("second delete: {e}"))?;
            let s = provider.get_server(&server.id).await.map_err(|e| e.to_string())?;
            expect(s.is_none(), || format!("{s:?}"))
        }
        .await;
        run.check("delete_server deletes and is idempotent", outcome);
    }
    if let Some(volume) = &volume {
        let outcome = async {
            provider
                .delete_volume(&volume.id)
                .await
                .map_err(|e| e.to_string())?;
            provider
                .delete_volume(&volume.id)
                .await
                .map_err(|e| format!("second delete: {e}"))?;
            let v = provider.get_volume(&volume.id).await.map_err(|e| e.to_string())?;
            expect(v.is_none(), || format!("{v:?}"))
        }
        .await;
        run.check("delete_volume deletes and is idempotent", outcome);
    }
    if let Some(firewall) = &firewall {
        let outcome = async {
            provider
                .delete_firewall(&firewall.id)
                .await
                .map_err(|e| e.to_string())?;
            provider
                .delete_firewall(&firewall.id)
                .await
                .map_err(|e| format!("second delete: {e}"))
        }
        .await;
        run.check("delete_firewall deletes and is idempotent", outcome);
    }
    if let Some(network) = &network {
        let outcome = async {
            provider
                .delete_network(&network.id)
                .await
                .map_err(|e| e.to_string())?;
            provider
                .delete_network(&network.id)
                .await
                .map_err(|e| format!("second delete: {e}"))?;
            match provider.get_network_by_name(&network.name).await {
                Err(e) if e.is_not_found() => Ok(()),
                other => Err(format!("still there: {other:?}")),
            }
        }
        .await;
        run.check("delete_network deletes and is idempotent", outcome);
    }
    run.report
}
