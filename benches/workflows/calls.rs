//! Section 1: API calls per workflow against the API's minimum.

use scaleway_client::ByteSize;
use scaleway_client::provider::scaleway::ScalewayProvider;
use scaleway_client::provider::{Provider, ServerOptions, VolumeOptions};
use scaleway_client::resources::{ExtraVolume, NetworkSpec, RootVolume, ServerSpec, VolumePolicy};

use crate::common::{self, Cost, Section, Target, measure};
use crate::trace;

const CLOUD_INIT: &str = "#cloud-config\npackages: [nginx]\nruncmd: [systemctl enable --now nginx]\n";

/// The time scale of the "real timings" run: the simulator's realistic transition times and the
/// layer's wait intervals, both divided by 10.
pub const REAL_SCALE: f64 = 0.1;

/// A workflow, the API's minimum for it call by call, and what the calls above it were for
/// when this bench was written (shown only while the workflow is above its minimum).
struct Workflow {
    name: &'static str,
    minimum: &'static [&'static str],
    above: &'static str,
}

const QUICKSTART_STEPS: &[Workflow] = &[
    Workflow {
        name: "validate credentials",
        minimum: &["GET project (checks the key and the project at once)"],
        above: "",
    },
    Workflow {
        name: "validate zone",
        minimum: &[],
        above: "",
    },
    Workflow {
        name: "validate instance type",
        minimum: &["GET products/servers (one page holds the zone's types)"],
        above: "",
    },
    Workflow {
        name: "find or create network",
        minimum: &["GET private-networks?name= (none)", "POST private-networks"],
        above: "",
    },
    Workflow {
        name: "find or create firewall",
        minimum: &[
            "GET security_groups?name= (none)",
            "POST security_groups (closed inbound)",
            "POST security_groups/{id}/rules (SSH)",
        ],
        above: "",
    },
    Workflow {
        name: "create server",
        minimum: &[
            "GET marketplace local-images (the label's image for the type, Block root)",
            "POST servers (stopped, firewall, tags)",
            "PATCH user_data/cloud-init",
            "POST private_nics (available at once on a stopped server)",
            "POST action poweron (the server is then known to be starting: no read needed)",
            "GET ipam ips (the NIC's private address, which the answer carries)",
        ],
        above: "",
    },
    Workflow {
        name: "wait until running",
        minimum: &[
            "GET server once due (running)",
            "GET ipam ips (its private addresses)",
        ],
        above: "",
    },
    Workflow {
        name: "create volume",
        minimum: &["POST volumes", "GET volume once due (available)"],
        above: "",
    },
    Workflow {
        name: "attach volume",
        minimum: &["POST attach-volume", "GET volume once due (attached)"],
        above: "",
    },
    Workflow {
        name: "detach volume",
        minimum: &[
            "GET volume (its server)",
            "POST detach-volume",
            "GET volume once due (detached)",
        ],
        above: "",
    },
    Workflow {
        name: "delete volume",
        minimum: &["DELETE volume (refused by the API while attached)"],
        above: "",
    },
    Workflow {
        name: "delete server",
        minimum: &[
            "GET server (its state, root volume)",
            "POST action terminate (removes NICs, detaches Block volumes)",
            "GET server once due (404)",
            "DELETE root volume",
        ],
        above: "",
    },
    Workflow {
        name: "delete firewall",
        minimum: &["DELETE security group"],
        above: "",
    },
    Workflow {
        name: "delete network",
        minimum: &["DELETE private network (a 412 would say NICs remain)"],
        above: "",
    },
];

const DELETE_SERVER: Workflow = Workflow {
    name: "delete_server (running, on a network, Block root)",
    minimum: &[
        "GET server",
        "POST action terminate (removes NICs, detaches Block volumes)",
        "GET server once due (404)",
        "DELETE root volume",
    ],
    above: "",
};
const DELETE_SERVER_VOLUME: Workflow = Workflow {
    name: "delete_server with an attached user volume",
    minimum: &[
        "GET server",
        "POST action terminate (detaches the user volume too)",
        "GET server once due (404)",
        "DELETE root volume",
    ],
    above: "",
};
const DELETE_NETWORK: Workflow = Workflow {
    name: "delete_network with no NIC",
    minimum: &["DELETE private network"],
    above: "",
};
const DETACH: Workflow = Workflow {
    name: "detach_volume",
    minimum: &[
        "GET volume (its server)",
        "POST detach-volume",
        "GET volume once due (detached)",
    ],
    above: "",
};
const ATTACH: Workflow = Workflow {
    name: "attach_volume",
    minimum: &["POST attach-volume", "GET volume once due (attached)"],
    above: "",
};
const CREATE_WARM: Workflow = Workflow {
    name: "create_server, caches warm (cloud-init, network, firewall)",
    minimum: &[
        "POST servers (stopped)",
        "PATCH user_data/cloud-init",
        "POST private_nics (available at once on a stopped server)",
        "POST action poweron (the server is then known to be starting: no read needed)",
        "GET ipam ips (the NIC's private address, which the answer carries)",
    ],
    above: "",
};
const WAIT_RUNNING: Workflow = Workflow {
    name: "wait until running",
    minimum: &[
        "GET server once due (running)",
        "GET ipam ips (its private addresses)",
    ],
    above: "",
};
const LAYER_CREATE: Workflow = Workflow {
    name: "layer servers().create: 15k root, extra volume, two networks (caches warm)",
    minimum: &[
        "POST servers (stopped, root and extra volume)",
        "PATCH root volume perf_iops 15000",
        "GET root volume once due (updated)",
        "POST private_nics (first network)",
        "POST private_nics (second network)",
        "POST action poweron (the server is then known to be starting: no read needed)",
    ],
    above: "",
};

/// One run of every workflow at one time scale: the cost of each.
struct Run {
    quickstart: Vec<Cost>,
    rows: Vec<Cost>,
}

const ROWS: [&Workflow; 8] = [
    &CREATE_WARM,
    &WAIT_RUNNING,
    &ATTACH,
    &DETACH,
    &DELETE_SERVER,
    &DELETE_SERVER_VOLUME,
    &DELETE_NETWORK,
    &LAYER_CREATE,
];

fn web(name: &str, network: Option<&str>, firewall: Option<&str>) -> ServerOptions {
    ServerOptions {
        name: name.into(),
        instance_type: "DEV1-S".into(),
        image: "ubuntu-24.04".into(),
        user_data: Some(CLOUD_INIT.into()),
        network_id: network.map(Into::into),
        firewall_id: firewall.map(Into::into),
        tags: vec!["bench".into()],
        ..ServerOptions::default()
    }
}

async fn quickstart(p: &ScalewayProvider, tag: &str) -> Vec<Cost> {
    let c = p.client().clone();
    let mut costs = Vec::new();
    let l = |step: &str| format!("{tag}/quickstart/{step}");
    let (r, cost) = measure(&c, &l("credentials"), p.validate_credentials()).await;
    r.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("zone"), p.validate_region(common::ZONE)).await;
    r.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("type"), p.validate_instance_type("DEV1-S")).await;
    r.unwrap();
    costs.push(cost);
    let (network, cost) = measure(&c, &l("network"), p.find_or_create_network("qs-net")).await;
    let network = network.unwrap();
    costs.push(cost);
    let (firewall, cost) = measure(&c, &l("firewall"), p.find_or_create_firewall("qs-fw")).await;
    let firewall = firewall.unwrap();
    costs.push(cost);
    let options = web("qs-web", Some(&network.id), Some(&firewall.id));
    let (server, cost) = measure(&c, &l("create server"), p.create_server(&options)).await;
    let server = server.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("wait"), p.wait_for_server(&server.id, 120)).await;
    r.unwrap();
    costs.push(cost);
    let volume_options = VolumeOptions {
        name: "qs-data".into(),
        size_gb: 10,
        ..VolumeOptions::default()
    };
    let (volume, cost) = measure(&c, &l("create volume"), p.create_volume(&volume_options)).await;
    let volume = volume.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("attach"), p.attach_volume(&volume.id, &server.id)).await;
    r.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("detach"), p.detach_volume(&volume.id)).await;
    r.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("delete volume"), p.delete_volume(&volume.id)).await;
    r.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("delete server"), p.delete_server(&server.id)).await;
    r.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("delete firewall"), p.delete_firewall(&firewall.id)).await;
    r.unwrap();
    costs.push(cost);
    let (r, cost) = measure(&c, &l("delete network"), p.delete_network(&network.id)).await;
    r.unwrap();
    costs.push(cost);
    costs
}

async fn run(scale: f64) -> Run {
    let sim = common::simulator(scale).await;
    let client = common::client(&sim);
    let p = common::provider(client.clone(), scale);
    let c = &client;
    let tag = format!("calls-{scale}");
    let l = |what: &str| format!("{tag}/{what}");

    // The quickstart first: it also warms the caches (catalogue, images) for what follows.
    let quickstart = quickstart(&p, &tag).await;

    let network = p.find_or_create_network("bench-net").await.unwrap();
    let firewall = p.find_or_create_firewall("bench-fw").await.unwrap();

    // A server with cloud-init on a network, then the wait until it runs.
    let options = web("bench-web", Some(&network.id), Some(&firewall.id));
    let (server, create_warm) = measure(c, &l("create"), p.create_server(&options)).await;
    let server = server.unwrap();
    let (r, wait_running) = measure(c, &l("wait"), p.wait_for_server(&server.id, 120)).await;
    r.unwrap();

    // Attach and detach on a second server without a network, then its delete with the
    // user's volume attached.
    let other = p.create_server(&web("bench-vol", None, None)).await.unwrap();
    p.wait_for_server(&other.id, 120).await.unwrap();
    let volume_options = VolumeOptions {
        name: "bench-data".into(),
        size_gb: 10,
        ..VolumeOptions::default()
    };
    let volume = p.create_volume(&volume_options).await.unwrap();
    let (r, attach) = measure(c, &l("attach"), p.attach_volume(&volume.id, &other.id)).await;
    r.unwrap();
    let (r, detach) = measure(c, &l("detach"), p.detach_volume(&volume.id)).await;
    r.unwrap();
    p.attach_volume(&volume.id, &other.id).await.unwrap();

    let (r, delete_server) = measure(c, &l("delete server"), p.delete_server(&server.id)).await;
    r.unwrap();
    let (r, delete_server_volume) = measure(c, &l("delete server vol"), p.delete_server(&other.id)).await;
    r.unwrap();
    // The user's volume, kept and detached by the delete, goes once free.
    p.scaleway().volumes().detach(&volume.id).await.unwrap();
    p.delete_volume(&volume.id).await.unwrap();

    let empty = p.find_or_create_network("bench-empty").await.unwrap();
    let (r, delete_network) = measure(c, &l("delete network"), p.delete_network(&empty.id)).await;
    r.unwrap();

    // The layer's create with everything that costs calls, caches warm (same `Scaleway`).
    let spec_networks = p
        .scaleway()
        .private_networks()
        .find_or_create("bench-back", &NetworkSpec::default())
        .await
        .unwrap();
    let back = spec_networks.id.clone().unwrap();
    let spec = ServerSpec::new("bench-db", "PRO2-S", "ubuntu-24.04")
        .root_volume(RootVolume::block(ByteSize::from_gb(50).unwrap()).iops(15_000))
        .extra_volume(ExtraVolume::New {
            size: ByteSize::from_gb(20).unwrap(),
            iops: None,
        })
        .private_network(network.id.clone())
        .private_network(back.clone());
    let servers = p.scaleway().servers();
    // Warm the image cache for this type (the catalogue is warm since the quickstart).
    let warm = servers
        .create(&ServerSpec::new("bench-warm", "PRO2-S", "ubuntu-24.04"))
        .await
        .unwrap();
    servers
        .delete(warm.id.as_deref().unwrap(), VolumePolicy::DeleteAll)
        .await
        .unwrap();
    let (db, layer_create) = measure(c, &l("layer create"), servers.create(&spec)).await;
    let db = db.unwrap();
    servers
        .delete(db.id.as_deref().unwrap(), VolumePolicy::DeleteAll)
        .await
        .unwrap();

    p.delete_firewall(&firewall.id).await.unwrap();
    p.delete_network(&network.id).await.unwrap();
    p.delete_network(&back).await.unwrap();
    let left = sim.inventory();
    assert!(left.is_empty(), "the calls run left {left:?}");
    trace::clear();

    let mut whole = Cost {
        calls: Vec::new(),
        requests: 0,
        retries: 0,
    };
    for step in &quickstart {
        whole.add(step);
    }
    let rows = vec![
        whole,
        create_warm,
        wait_running,
        attach,
        detach,
        delete_server,
        delete_server_volume,
        delete_network,
        layer_create,
    ];
    Run { quickstart, rows }
}

fn ratio(non_poll: usize, minimum: usize) -> String {
    if minimum == 0 {
        if non_poll == 0 {
            "1.00".into()
        } else {
            "∞".into()
        }
    } else {
        format!("{:.2}", non_poll as f64 / minimum as f64)
    }
}

/// A workflow's calls told apart. At time scale 0 every transition is over at the next read,
/// so no read finds a state not reached: every call is non-poll. At real timings, when the run
/// took the same path (the same calls, each run of one repeated read counted once), the calls
/// beyond the instant run's are the polls; otherwise (marked) a read followed at once by the
/// same read is a poll.
struct Counted {
    non_poll: usize,
    polls: usize,
    requests: u64,
    retries: u64,
    same_path: bool,
}

fn counted(instant: &Cost, real: Option<&Cost>) -> Counted {
    let Some(real) = real else {
        return Counted {
            non_poll: instant.calls.len(),
            polls: 0,
            requests: instant.requests,
            retries: instant.retries,
            same_path: true,
        };
    };
    let same_path =
        trace::shape(&instant.calls) == trace::shape(&real.calls) && real.calls.len() >= instant.calls.len();
    let (non_poll, polls) = if same_path {
        (instant.calls.len(), real.calls.len() - instant.calls.len())
    } else {
        trace::split_polls(&real.calls)
    };
    Counted {
        non_poll,
        polls,
        requests: real.requests,
        retries: real.retries,
        same_path,
    }
}

fn row(name: &str, c: &Counted, minimum: usize) -> Vec<String> {
    vec![
        if c.same_path {
            name.to_string()
        } else {
            format!("{name} †")
        },
        c.non_poll.to_string(),
        c.polls.to_string(),
        c.requests.to_string(),
        c.retries.to_string(),
        minimum.to_string(),
        ratio(c.non_poll, minimum),
    ]
}

pub async fn section() -> Section {
    println!("1. calls per workflow (time scales 0 and {REAL_SCALE})…");
    let instant = run(0.0).await;
    let real = run(REAL_SCALE).await;
    let quickstart_minimum: usize = QUICKSTART_STEPS.iter().map(|w| w.minimum.len()).sum();
    let names: Vec<(&str, usize)> =
        std::iter::once(("the quickstart through `Provider` (14 steps)", quickstart_minimum))
            .chain(ROWS.iter().map(|w| (w.name, w.minimum.len())))
            .collect();

    let header = [
        "workflow",
        "non-poll",
        "poll",
        "total (request_count)",
        "retries",
        "minimum",
        "non-poll / minimum",
    ];
    let mut md = String::new();
    md += "## 1. API calls per workflow against the API's minimum\n\n";
    md += &format!(
        "Counted with `Client::request_count()` and `Client::retry_count()`; each call is also seen \
         by a tracing layer (the `scaleway_request` span), which tells polls apart. At time scale \
         0 every transition is over at the next read, so no read finds a state not reached yet: \
         every call is non-poll, and a wait costs one read. At real timings the same workflow \
         takes the same path (checked: the same calls, each run of one repeated read counted \
         once), and the reads beyond the instant run's are its polls. The minimum is what the API needs: the non-poll calls of an ideal client, plus one read \
         once due for each wait, listed call by call below. \"Real timings\" is the simulator's \
         realistic transition times with every duration (transitions, the layer's wait intervals, \
         the provider's poll interval) multiplied by {REAL_SCALE}, so the polls are those of a \
         run at real timings.\n\n"
    );
    let instant_rows: Vec<Counted> = instant.rows.iter().map(|c| counted(c, None)).collect();
    let real_rows: Vec<Counted> = instant
        .rows
        .iter()
        .zip(&real.rows)
        .map(|(i, r)| counted(i, Some(r)))
        .collect();
    let mut other_path = false;
    for (title, rows) in [
        ("Instant transitions (time_scale 0)".to_string(), &instant_rows),
        (
            format!("Real timings (time_scale {REAL_SCALE}, waits scaled alike)"),
            &real_rows,
        ),
    ] {
        md += &format!("### {title}\n\n");
        let rows: Vec<Vec<String>> = names
            .iter()
            .zip(rows)
            .map(|((name, min), c)| {
                other_path |= !c.same_path;
                row(name, c, *min)
            })
            .collect();
        md += &common::table(&header, &rows);
        md += "\n";
    }

    md += "### The quickstart step by step (real timings)\n\n";
    let rows: Vec<Vec<String>> = QUICKSTART_STEPS
        .iter()
        .zip(instant.quickstart.iter().zip(&real.quickstart))
        .map(|(w, (i, r))| {
            let c = counted(i, Some(r));
            other_path |= !c.same_path;
            row(w.name, &c, w.minimum.len())
        })
        .collect();
    md += &common::table(&header, &rows);
    md += "\n";
    if other_path {
        md += "† This run took another path at real timings than at time scale 0 (it met a state \
               in transition and waited for it): its polls are the reads followed at once by the \
               same read.\n\n";
    }

    md += "### Minimums, call by call, and the calls made (instant transitions)\n\n";
    let mut describe = |name: &str, w: &Workflow, cost: &Cost| {
        md += &format!("**{name}**: minimum {}", w.minimum.len());
        if w.minimum.is_empty() {
            md += " (no call: checked locally)";
        } else {
            md += &format!(": {}", w.minimum.join("; "));
        }
        md += &format!(
            ".  \nMade ({}): {}.",
            cost.calls.len(),
            if cost.calls.is_empty() {
                "none".to_string()
            } else {
                trace::collapsed(&cost.calls).join("; ")
            }
        );
        if cost.calls.len() != w.minimum.len() && !w.above.is_empty() {
            md += &format!("  \nAbove the minimum: {}.", w.above);
        }
        md += "\n\n";
    };
    for (w, cost) in QUICKSTART_STEPS.iter().zip(&instant.quickstart) {
        describe(&format!("quickstart: {}", w.name), w, cost);
    }
    for (w, cost) in ROWS.iter().zip(&instant.rows[1..]) {
        describe(w.name, w, cost);
    }

    // Targets: every workflow's non-poll calls equal to its minimum.
    let mut targets = Vec::new();
    for (title, rows) in [("time_scale 0", &instant_rows), ("real timings", &real_rows)] {
        let above: Vec<String> = names
            .iter()
            .zip(rows)
            .filter(|((_, min), c)| c.non_poll != *min)
            .map(|((name, min), c)| format!("{name} {} vs {min}", c.non_poll))
            .collect();
        targets.push(Target::new(
            format!("every workflow's non-poll calls = its minimum ({title})"),
            above.is_empty(),
            if above.is_empty() {
                "all at ratio 1.00".to_string()
            } else {
                format!("{} of {} above: {}", above.len(), names.len(), above.join("; "))
            },
        ));
    }
    Section {
        markdown: md,
        targets,
    }
}
