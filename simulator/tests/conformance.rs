//! Shape conformance of the simulator against real recorded traffic
//! (`../shared/reference/real-traffic/`, when it is there) and against the fixtures
//! (`tests/fixtures/traffic/`, written in the real API's shape and checked against the
//! recordings when they are there).
//!
//! A scripted run exercises as many operations as the simulator serves. For each operation, the
//! set of JSON key paths of the simulator's 2xx bodies is compared with the set of key paths of
//! the recorded 2xx bodies of the same operation (HEAD recordings `dev.jsonl` and, for IPAM,
//! `ipam-dev.jsonl`; the older `dev-supplement.jsonl` only for operations HEAD lacks). Paths: `server.volumes{}.id` — maps
//! keyed by data (volume indexes, commercial types) collapse to `{}`, arrays to `[]`.
//! Fidelity per operation = |sim ∩ real| / |sim ∪ real| (Jaccard) over the *comparable* paths:
//! top-level keys, and keys inside a container (object, map or array) that is non-empty on both
//! sides in at least one response. So an array that the recordings only ever show empty
//! (`private_nics: []` in every recorded list) or an object they only show as `null`
//! (`placement_group`) does not count its inner keys for or against the simulator, while a key
//! that is missing or extra next to keys both sides have does. The raw Jaccard over all paths is
//! printed too. The overall score is the mean over operations and must be at least 98.5% against
//! the recordings and 95% against the fixtures; no comparable key of the recordings may be missing
//! from the simulator's answers. The success status of each operation must also be a recorded one.

use std::collections::{BTreeMap, BTreeSet};

use scaleway_client::api::MODULES;
use scaleway_sim::Simulator;
use serde_json::{Value, json};

use crate::common::reference::{fixture_traffic, recorded_traffic};

type Key = (String, String); // (module, operation id)

fn api_to_module(api: &str) -> Option<&'static str> {
    Some(match api {
        "instance/v1" => "instance_v1",
        "vpc/v2" => "vpc_v2",
        "block/v1" => "block_v1",
        "block/v1alpha1" => "block_v1alpha1",
        "account/v3" => "account_v3",
        "marketplace/v2" => "marketplace_v2",
        "ipam/v1" => "ipam_v1",
        _ => return None,
    })
}

fn operation_of(module: &str, method: &str, path: &str) -> Option<String> {
    MODULES
        .iter()
        .find(|m| m.name == module)
        .and_then(|m| m.find_operation(method, path))
        .map(|op| op.id.to_string())
}

/// An object whose keys are data (indexes, commercial types) rather than field names.
fn is_map(object: &serde_json::Map<String, Value>) -> bool {
    !object.is_empty()
        && object.keys().all(|k| {
            k.chars().all(|c| c.is_ascii_digit())
                || (k
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-')
                    && k.chars().any(|c| c.is_ascii_digit() || c == '-'))
        })
}

/// Adds the key paths of `value` to `seen.paths`, and to `seen.filled` the paths of the containers
/// (objects, maps, arrays) that are non-empty here.
fn key_paths(value: &Value, prefix: &str, seen: &mut Seen) {
    match value {
        Value::Object(object) if is_map(object) => {
            seen.filled.insert(prefix.to_string());
            for v in object.values() {
                let p = format!("{prefix}{{}}");
                seen.paths.insert(p.clone());
                key_paths(v, &p, seen);
            }
        }
        Value::Object(object) => {
            if !object.is_empty() {
                seen.filled.insert(prefix.to_string());
            }
            for (k, v) in object {
                let p = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                seen.paths.insert(p.clone());
                key_paths(v, &p, seen);
            }
        }
        Value::Array(items) => {
            for v in items {
                if v.is_object() {
                    seen.filled.insert(prefix.to_string());
                    key_paths(v, &format!("{prefix}[]"), seen);
                }
            }
        }
        _ => {}
    }
}

/// The container a path is directly inside: `server.volumes{}.id` → `server.volumes{}`,
/// `server.volumes{}` → `server.volumes`, `rules[].id` → `rules`.
fn container(path: &str) -> &str {
    let parent = if let Some(p) = path.strip_suffix("{}") {
        return p;
    } else {
        path.rsplit_once('.').map(|(p, _)| p).unwrap_or("")
    };
    parent.strip_suffix("[]").unwrap_or(parent)
}

/// Paths whose container is filled on both sides (or is the top level): the ones whose
/// presence says something about the shape rather than about the state the resource was in.
fn comparable<'a>(paths: &'a BTreeSet<String>, a: &Seen, b: &Seen) -> BTreeSet<&'a String> {
    paths
        .iter()
        .filter(|p| {
            let c = container(p);
            c.is_empty() || (a.filled.contains(c) && b.filled.contains(c))
        })
        .collect()
}

#[derive(Default)]
struct Seen {
    paths: BTreeSet<String>,
    filled: BTreeSet<String>,
    statuses: BTreeSet<u16>,
}

/// The key paths and statuses of the 2xx answers in `records`, per operation.
fn seen_in(records: &[Value]) -> BTreeMap<Key, Seen> {
    let mut seen_by_operation: BTreeMap<Key, Seen> = BTreeMap::new();
    for r in records {
        let status = r["status"].as_u64().unwrap_or(0) as u16;
        if !(200..300).contains(&status) {
            continue;
        }
        let Some(module) = r["api"].as_str().and_then(api_to_module) else {
            continue;
        };
        let (Some(method), Some(path)) = (r["method"].as_str(), r["path"].as_str()) else {
            continue;
        };
        let Some(op) = operation_of(module, method, path) else {
            continue;
        };
        let seen = seen_by_operation.entry((module.to_string(), op)).or_default();
        seen.statuses.insert(status);
        if r["resp_body"].is_object() {
            key_paths(&r["resp_body"], "", seen);
        }
    }
    seen_by_operation
}

/// What the recordings show of each operation: the HEAD recordings, and the older ones for the
/// operations HEAD lacks; `None` when the recordings are absent.
fn recordings(what: &str) -> Option<BTreeMap<Key, Seen>> {
    let mut head = seen_in(&recorded_traffic(&["dev.jsonl", "ipam-dev.jsonl"], what)?);
    let older = seen_in(&recorded_traffic(&["dev-supplement.jsonl"], what)?);
    for (key, seen) in older {
        head.entry(key).or_insert(seen);
    }
    Some(head)
}

struct Runner<'a> {
    sim: &'a Simulator,
    http: reqwest::Client,
    seen: BTreeMap<Key, Seen>,
}

impl Runner<'_> {
    async fn call(&mut self, method: &str, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.sim.base_url()))
            .header("X-Auth-Token", self.sim.secret_key());
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        assert!((200..300).contains(&status), "{method} {path}: {status} {text}");
        let value: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        let path = path.split('?').next().unwrap_or_default();
        let module = MODULES
            .iter()
            .find(|m| m.find_operation(method, path).is_some())
            .unwrap_or_else(|| panic!("no operation for {method} {path}"));
        let op = module.find_operation(method, path).unwrap().id.to_string();
        let seen = self.seen.entry((module.name.to_string(), op)).or_default();
        seen.statuses.insert(status);
        if value.is_object() {
            key_paths(&value, "", seen);
        }
        value
    }
}

/// The Instance API in the zone the script runs in.
const Z: &str = "/instance/v1/zones/fr-par-1";

/// Exercises the simulated operations, with non-empty lists and both states of optional fields.
async fn scripted_run(sim: &Simulator) -> BTreeMap<Key, Seen> {
    let mut r = Runner {
        sim,
        http: scaleway_client::http_client_builder().unwrap().build().unwrap(),
        seen: BTreeMap::new(),
    };
    let (local_id, sbs_id) = images_and_products(&mut r).await;
    let servers = servers(&mut r, &local_id, &sbs_id).await;
    let ips = ips(&mut r, &servers.sbs_srv, &sbs_id).await;
    let (pn_id, nic_id) = private_network_and_nic(&mut r, &servers.sbs_srv).await;
    let nic_ip_id = ipam(&mut r, &pn_id, &nic_id).await;
    power_on_and_list(&mut r, &servers.local_srv, &servers.sbs_srv).await;
    block_volumes(&mut r, &servers).await;
    let local_root = instance_volumes(&mut r, &servers.local).await;
    snapshots_and_images(&mut r, &local_root, &servers.root).await;
    placement_group_and_routed_ipv6(&mut r, &sbs_id).await;
    security_groups(&mut r).await;
    vpcs(&mut r).await;
    account(&mut r).await;
    operations_the_recordings_lack(&mut r, &servers.sbs_srv, &pn_id, &nic_id, &nic_ip_id).await;
    teardown(&mut r, &servers, &ips, &pn_id, &nic_id).await;
    r.seen
}

/// Marketplace images and the zone's products; the ids of a local and of a Block image.
async fn images_and_products(r: &mut Runner<'_>) -> (String, String) {
    let images = r
        .call("GET", "/marketplace/v2/local-images?image_label=ubuntu_jammy&zone=fr-par-1&order_by=type_asc&type=unknown_type", None)
        .await;
    let local_id = images["local_images"][0]["id"].as_str().unwrap().to_string();
    let sbs_id = images["local_images"][2]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("/marketplace/v2/local-images/{local_id}"), None)
        .await;
    r.call("GET", &format!("{Z}/products/servers?page=1"), None).await;
    r.call("GET", &format!("{Z}/products/servers/availability?page=1"), None)
        .await;
    r.call("GET", &format!("{Z}/images?page=1"), None).await;
    r.call("GET", &format!("{Z}/images/{local_id}"), None).await;
    (local_id, sbs_id)
}

/// The servers the script works with: one with a local root, one with a Block root.
struct Servers {
    local: Value,
    local_srv: String,
    sbs_srv: String,
    /// The Block root of `sbs_srv`.
    root: String,
}

/// Makes the two servers, and reads, renames and lists the user data of the Block one.
async fn servers(r: &mut Runner<'_>, local_id: &str, sbs_id: &str) -> Servers {
    let project = r.sim.project_id().to_string();
    let local = r
        .call("POST", &format!("{Z}/servers"), Some(json!({"name": "conf-local", "commercial_type": "DEV1-S", "image": local_id, "project": project})))
        .await;
    let local_srv = local["server"]["id"].as_str().unwrap().to_string();
    let sbs = r
        .call("POST", &format!("{Z}/servers"), Some(json!({"name": "conf-sbs", "dynamic_ip_required": false, "commercial_type": "PRO2-XXS", "image": sbs_id, "volumes": {"0": {"boot": false}}, "boot_type": "local", "project": project, "tags": ["a"]})))
        .await;
    let sbs_srv = sbs["server"]["id"].as_str().unwrap().to_string();
    let root = sbs["server"]["volumes"]["0"]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{Z}/servers/{sbs_srv}"), None).await;
    r.call(
        "PATCH",
        &format!("{Z}/servers/{sbs_srv}"),
        Some(json!({"name": "conf-sbs-2"})),
    )
    .await;
    r.call("GET", &format!("{Z}/servers/{sbs_srv}/user_data"), None)
        .await;
    Servers {
        local,
        local_srv,
        sbs_srv,
        root,
    }
}

/// The flexible IPs the script reserves, and the server given one at create.
struct Ips {
    ip_id: String,
    ip2_id: String,
    with_ip: Value,
    with_ip_id: String,
}

/// Reserves two IPs, moves one to `sbs_srv` and creates a server with the other.
async fn ips(r: &mut Runner<'_>, sbs_srv: &str, sbs_id: &str) -> Ips {
    let project = r.sim.project_id().to_string();
    let ip = r
        .call("POST", &format!("{Z}/ips"), Some(json!({"project": project})))
        .await;
    let ip_id = ip["ip"]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{Z}/ips/{ip_id}"), None).await;
    r.call(
        "PATCH",
        &format!("{Z}/ips/{ip_id}"),
        Some(json!({"server": sbs_srv})),
    )
    .await;
    r.call("GET", &format!("{Z}/ips/{ip_id}"), None).await;
    let ip2 = r
        .call(
            "POST",
            &format!("{Z}/ips"),
            Some(json!({"project": project, "type": "routed_ipv4"})),
        )
        .await;
    let ip2_id = ip2["ip"]["id"].as_str().unwrap().to_string();
    let with_ip = r
        .call("POST", &format!("{Z}/servers"), Some(json!({"name": "conf-ip", "commercial_type": "DEV1-S", "image": sbs_id, "public_ips": [ip2_id], "project": project})))
        .await;
    let with_ip_id = with_ip["server"]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{Z}/ips?page=1"), None).await;
    Ips {
        ip_id,
        ip2_id,
        with_ip,
        with_ip_id,
    }
}

/// A private network and a NIC of `sbs_srv` on it; their ids.
async fn private_network_and_nic(r: &mut Runner<'_>, sbs_srv: &str) -> (String, String) {
    let project = r.sim.project_id().to_string();
    let pn = r
        .call("POST", "/vpc/v2/regions/fr-par/private-networks", Some(json!({"name": "conf-pn", "project_id": project, "tags": [], "subnets": null, "default_route_propagation_enabled": false})))
        .await;
    let pn_id = pn["id"].as_str().unwrap().to_string();
    r.call(
        "GET",
        &format!("/vpc/v2/regions/fr-par/private-networks/{pn_id}"),
        None,
    )
    .await;
    r.call(
        "PATCH",
        &format!("/vpc/v2/regions/fr-par/private-networks/{pn_id}"),
        Some(json!({"name": "conf-pn-2", "tags": ["x"]})),
    )
    .await;
    r.call(
        "GET",
        &format!(
            "/vpc/v2/regions/fr-par/private-networks?order_by=created_at_asc&project_id={project}&page=1"
        ),
        None,
    )
    .await;
    let nic = r
        .call(
            "POST",
            &format!("{Z}/servers/{sbs_srv}/private_nics"),
            Some(json!({"private_network_id": pn_id, "tags": ["t"]})),
        )
        .await;
    let nic_id = nic["private_nic"]["id"].as_str().unwrap().to_string();
    r.call(
        "GET",
        &format!("{Z}/servers/{sbs_srv}/private_nics/{nic_id}"),
        None,
    )
    .await;
    r.call("GET", &format!("{Z}/servers/{sbs_srv}/private_nics?page=1"), None)
        .await;
    (pn_id, nic_id)
}

/// The NIC's addresses as clients look them up, and a booked address; the id of the NIC's first
/// address.
async fn ipam(r: &mut Runner<'_>, pn_id: &str, nic_id: &str) -> String {
    let project = r.sim.project_id().to_string();
    let ipam = "/ipam/v1/regions/fr-par";
    let nic_ips = r
        .call(
            "GET",
            &format!("{ipam}/ips?order_by=created_at_desc&project_id={project}&resource_id={nic_id}&resource_type=instance_private_nic"),
            None,
        )
        .await;
    let nic_ip_id = nic_ips["ips"][0]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{ipam}/ips/{nic_ip_id}"), None).await;
    let booked = r
        .call(
            "POST",
            &format!("{ipam}/ips"),
            Some(json!({"project_id": project, "source": {"private_network_id": pn_id}, "is_ipv6": false, "tags": ["conf"]})),
        )
        .await;
    let booked_id = booked["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{ipam}/ips/{booked_id}"), None).await;
    r.call(
        "GET",
        &format!("{ipam}/ips?order_by=created_at_desc&page=1&resource_type=unknown_type&tags=conf"),
        None,
    )
    .await;
    r.call("DELETE", &format!("{ipam}/ips/{booked_id}"), Some(json!({})))
        .await;
    nic_ip_id
}

/// Both servers powered on (running bodies have a location and a public IP), then listed.
async fn power_on_and_list(r: &mut Runner<'_>, local_srv: &str, sbs_srv: &str) {
    for id in [&local_srv, &sbs_srv] {
        r.call(
            "POST",
            &format!("{Z}/servers/{id}/action"),
            Some(json!({"action": "poweron"})),
        )
        .await;
        r.call("GET", &format!("{Z}/servers/{id}"), None).await;
    }
    r.call("GET", &format!("{Z}/servers?page=1"), None).await;
    r.call("GET", &format!("{Z}/servers?page=1&per_page=50&tags=a"), None)
        .await;
    r.call(
        "PATCH",
        &format!("{Z}/servers/{local_srv}"),
        Some(json!({"tags": ["b"]})),
    )
    .await;
}

/// Block volumes, v1 and v1alpha1: made, changed, attached, listed, detached and deleted.
async fn block_volumes(r: &mut Runner<'_>, servers: &Servers) {
    let Servers {
        local_srv,
        sbs_srv,
        root,
        ..
    } = servers;
    let project = r.sim.project_id().to_string();
    for api in ["v1alpha1", "v1"] {
        let b = format!("/block/{api}/zones/fr-par-1/volumes");
        let v = r
            .call("POST", &b, Some(json!({"name": format!("conf-{api}"), "perf_iops": 5000, "project_id": project, "from_empty": {"size": 20000000000u64}, "tags": []})))
            .await;
        let vid = v["id"].as_str().unwrap().to_string();
        r.call("GET", &format!("{b}/{vid}"), None).await;
        r.call("PATCH", &format!("{b}/{vid}"), Some(json!({"perf_iops": 15000})))
            .await;
        let holder = if api == "v1" { &local_srv } else { &sbs_srv };
        r.call(
            "POST",
            &format!("{Z}/servers/{holder}/attach-volume"),
            Some(json!({"volume_id": vid, "volume_type": "sbs_volume"})),
        )
        .await;
        r.call("GET", &format!("{b}/{vid}"), None).await;
        r.call(
            "PATCH",
            &format!("{b}/{vid}"),
            Some(json!({"name": format!("conf-{api}-attached")})),
        )
        .await;
        r.call("GET", &format!("{b}/{root}"), None).await;
        r.call(
            "GET",
            &format!("{b}?order_by=created_at_asc&project_id={project}&page=1"),
            None,
        )
        .await;
        r.call(
            "POST",
            &format!("{Z}/servers/{holder}/detach-volume"),
            Some(json!({"volume_id": vid})),
        )
        .await;
        r.call("GET", &format!("{b}/{vid}"), None).await;
        r.call("DELETE", &format!("{b}/{vid}"), None).await;
    }
}

/// Instance volumes, and the local root of `local`; the id of that root.
async fn instance_volumes(r: &mut Runner<'_>, local: &Value) -> String {
    let project = r.sim.project_id().to_string();
    let iv = r.call("POST", &format!("{Z}/volumes"), Some(json!({"name": "conf-iv", "volume_type": "l_ssd", "size": 10000000000u64, "project": project}))).await;
    let iv_id = iv["volume"]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{Z}/volumes/{iv_id}"), None).await;
    r.call(
        "PATCH",
        &format!("{Z}/volumes/{iv_id}"),
        Some(json!({"name": "conf-iv-2"})),
    )
    .await;
    let local_root = local["server"]["volumes"]["0"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    r.call("GET", &format!("{Z}/volumes/{local_root}"), None).await;
    r.call(
        "PATCH",
        &format!("{Z}/volumes/{local_root}"),
        Some(json!({"tags": ["root"]})),
    )
    .await;
    r.call("GET", &format!("{Z}/volumes?page=1"), None).await;
    r.call("DELETE", &format!("{Z}/volumes/{iv_id}"), None).await;
    local_root
}

/// An Instance snapshot of the local root and a Block snapshot of the Block root, an image from
/// each; all deleted again.
async fn snapshots_and_images(r: &mut Runner<'_>, local_root: &str, root: &str) {
    let project = r.sim.project_id().to_string();
    let isnap = r
        .call("POST", &format!("{Z}/snapshots"), Some(json!({"name": "conf-snap", "volume_id": local_root, "project": project, "volume_type": "l_ssd"})))
        .await;
    let isnap_id = isnap["snapshot"]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{Z}/snapshots/{isnap_id}"), None).await;
    r.call(
        "GET",
        &format!("{Z}/snapshots?base_volume_id={local_root}&page=1"),
        None,
    )
    .await;
    let bs = "/block/v1/zones/fr-par-1/snapshots";
    let bsnap = r
        .call("POST", bs, Some(json!({"volume_id": root, "name": "conf-bsnap", "project_id": project, "tags": [], "public": false})))
        .await;
    let bsnap_id = bsnap["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{bs}/{bsnap_id}"), None).await;
    r.call(
        "GET",
        &format!("{bs}?include_deleted=false&name=conf-bsnap&order_by=created_at_asc"),
        None,
    )
    .await;
    let mut images = Vec::new();
    for (name, snapshot) in [("conf-img-l", &isnap_id), ("conf-img-b", &bsnap_id)] {
        let image = r
            .call("POST", &format!("{Z}/images"), Some(json!({"name": name, "root_volume": snapshot, "arch": "x86_64", "project": project, "public": false})))
            .await;
        let image_id = image["image"]["id"].as_str().unwrap().to_string();
        r.call("GET", &format!("{Z}/images/{image_id}"), None).await;
        images.push(image_id);
    }
    r.call("GET", &format!("{Z}/images?name=conf-img&page=1"), None)
        .await;
    for image_id in &images {
        r.call("DELETE", &format!("{Z}/images/{image_id}"), None).await;
    }
    r.call("DELETE", &format!("{Z}/snapshots/{isnap_id}"), None).await;
    r.call("DELETE", &format!("{bs}/{bsnap_id}"), None).await;
}

/// A placement group and a routed IPv6, given to a server at create.
async fn placement_group_and_routed_ipv6(r: &mut Runner<'_>, sbs_id: &str) {
    let project = r.sim.project_id().to_string();
    let pg = r
        .call("POST", &format!("{Z}/placement_groups"), Some(json!({"name": "conf-pg", "project": project, "policy_mode": "optional", "policy_type": "low_latency"})))
        .await;
    let pg_id = pg["placement_group"]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{Z}/placement_groups/{pg_id}"), None)
        .await;
    r.call(
        "PATCH",
        &format!("{Z}/placement_groups/{pg_id}"),
        Some(json!({"policy_mode": "enforced"})),
    )
    .await;
    let v6 = r
        .call(
            "POST",
            &format!("{Z}/ips"),
            Some(json!({"project": project, "type": "routed_ipv6"})),
        )
        .await;
    let v6_id = v6["ip"]["id"].as_str().unwrap().to_string();
    let v6_srv = r
        .call("POST", &format!("{Z}/servers"), Some(json!({"name": "conf-v6", "dynamic_ip_required": false, "commercial_type": "PRO2-S", "image": sbs_id, "volumes": {"0": {"boot": false}}, "public_ips": [v6_id], "placement_group": pg_id, "boot_type": "local", "project": project})))
        .await;
    let v6_srv_id = v6_srv["server"]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{Z}/servers/{v6_srv_id}"), None).await;
    r.call("GET", &format!("{Z}/ips/{v6_id}"), None).await;
    r.call("DELETE", &format!("{Z}/servers/{v6_srv_id}"), None).await;
    let v6_root = v6_srv["server"]["volumes"]["0"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    r.call(
        "DELETE",
        &format!("/block/v1/zones/fr-par-1/volumes/{v6_root}"),
        None,
    )
    .await;
    r.call("DELETE", &format!("{Z}/ips/{v6_id}"), None).await;
    r.call("DELETE", &format!("{Z}/placement_groups/{pg_id}"), None)
        .await;
}

/// Security groups and their rules.
async fn security_groups(r: &mut Runner<'_>) {
    let project = r.sim.project_id().to_string();
    let sg = r
        .call("POST", &format!("{Z}/security_groups"), Some(json!({"name": "conf-sg", "description": "d", "project": project, "stateful": true, "inbound_default_policy": "accept", "outbound_default_policy": "drop"})))
        .await;
    let sg_id = sg["security_group"]["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("{Z}/security_groups/{sg_id}"), None).await;
    r.call(
        "PATCH",
        &format!("{Z}/security_groups/{sg_id}"),
        Some(json!({"name": "conf-sg-2"})),
    )
    .await;
    r.call("GET", &format!("{Z}/security_groups?page=1"), None).await;
    let rule = r
        .call("POST", &format!("{Z}/security_groups/{sg_id}/rules"), Some(json!({"protocol": "TCP", "direction": "inbound", "action": "accept", "ip_range": "8.8.8.8/32", "dest_port_from": 1, "dest_port_to": 1024, "position": 1})))
        .await;
    let rule_id = rule["rule"]["id"].as_str().unwrap().to_string();
    r.call(
        "GET",
        &format!("{Z}/security_groups/{sg_id}/rules/{rule_id}"),
        None,
    )
    .await;
    r.call(
        "PATCH",
        &format!("{Z}/security_groups/{sg_id}/rules/{rule_id}"),
        Some(json!({"dest_port_to": 2048})),
    )
    .await;
    r.call("PUT", &format!("{Z}/security_groups/{sg_id}/rules/{rule_id}"), Some(json!({"protocol": "UDP", "direction": "inbound", "action": "drop", "ip_range": "1.1.1.1", "dest_port_from": 53, "position": 1, "editable": true})))
        .await;
    r.call("GET", &format!("{Z}/security_groups/{sg_id}/rules?page=1"), None)
        .await;
    r.call(
        "DELETE",
        &format!("{Z}/security_groups/{sg_id}/rules/{rule_id}"),
        None,
    )
    .await;
    r.call("PUT", &format!("{Z}/security_groups/{sg_id}/rules"), Some(json!({"rules": [{"id": null, "action": "accept", "protocol": "TCP", "direction": "inbound", "ip_range": "0.0.0.0/0", "dest_port_from": 22, "dest_port_to": null, "position": 0, "editable": null, "zone": "fr-par-1"}]})))
        .await;
    r.call("DELETE", &format!("{Z}/security_groups/{sg_id}"), None)
        .await;
}

async fn vpcs(r: &mut Runner<'_>) {
    let project = r.sim.project_id().to_string();
    let vpc = r
        .call(
            "POST",
            "/vpc/v2/regions/fr-par/vpcs",
            Some(json!({"name": "conf-vpc", "project_id": project, "tags": [], "enable_routing": false})),
        )
        .await;
    let vpc_id = vpc["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("/vpc/v2/regions/fr-par/vpcs/{vpc_id}"), None)
        .await;
    r.call(
        "GET",
        "/vpc/v2/regions/fr-par/vpcs?order_by=created_at_asc&page=1",
        None,
    )
    .await;
    r.call("DELETE", &format!("/vpc/v2/regions/fr-par/vpcs/{vpc_id}"), None)
        .await;
}

async fn account(r: &mut Runner<'_>) {
    let sim = r.sim;
    let p = r
        .call(
            "POST",
            "/account/v3/projects",
            Some(
                json!({"name": "conf-project", "organization_id": sim.organization_id(), "description": "d"}),
            ),
        )
        .await;
    let p_id = p["id"].as_str().unwrap().to_string();
    r.call("GET", &format!("/account/v3/projects/{p_id}"), None).await;
    r.call(
        "GET",
        &format!(
            "/account/v3/projects?order_by=created_at_asc&organization_id={}&page=1",
            sim.organization_id()
        ),
        None,
    )
    .await;
    r.call("DELETE", &format!("/account/v3/projects/{p_id}"), None)
        .await;
}

/// Served operations the recordings lack: they must still answer 2xx bodies that the generated
/// types accept (the simulator checks that before answering).
async fn operations_the_recordings_lack(
    r: &mut Runner<'_>,
    sbs_srv: &str,
    pn_id: &str,
    nic_id: &str,
    nic_ip_id: &str,
) {
    let project = r.sim.project_id().to_string();
    r.call("GET", "/block/v1/zones/fr-par-1/volume-types", None).await;
    r.call("GET", "/block/v1alpha1/zones/fr-par-1/volume-types", None)
        .await;
    r.call(
        "GET",
        &format!("/vpc/v2/regions/fr-par/subnets?private_network_id={pn_id}"),
        None,
    )
    .await;
    r.call("GET", &format!("{Z}/servers/{sbs_srv}/action"), None)
        .await;
    r.call("GET", &format!("{Z}/security_groups/default/rules"), None)
        .await;
    r.call(
        "PATCH",
        &format!("{Z}/servers/{sbs_srv}/private_nics/{nic_id}"),
        Some(json!({"tags": ["u"]})),
    )
    .await;
    let vpc2 = r
        .call(
            "POST",
            "/vpc/v2/regions/fr-par/vpcs",
            Some(json!({"name": "conf-vpc-2"})),
        )
        .await;
    let vpc2_id = vpc2["id"].as_str().unwrap().to_string();
    r.call(
        "PATCH",
        &format!("/vpc/v2/regions/fr-par/vpcs/{vpc2_id}"),
        Some(json!({"name": "conf-vpc-3"})),
    )
    .await;
    r.call("DELETE", &format!("/vpc/v2/regions/fr-par/vpcs/{vpc2_id}"), None)
        .await;
    r.call(
        "PATCH",
        &format!("/account/v3/projects/{project}"),
        Some(json!({"description": "sim"})),
    )
    .await;
    r.call(
        "PATCH",
        &format!("/ipam/v1/regions/fr-par/ips/{nic_ip_id}"),
        Some(json!({"tags": ["u"]})),
    )
    .await;
}

/// The NIC, the servers, their volumes and the IPs go; the simulator holds nothing afterwards.
async fn teardown(r: &mut Runner<'_>, servers: &Servers, ips: &Ips, pn_id: &str, nic_id: &str) {
    let Servers {
        local_srv,
        sbs_srv,
        root,
        ..
    } = servers;
    let Ips {
        ip_id,
        ip2_id,
        with_ip,
        with_ip_id,
    } = ips;
    r.call(
        "DELETE",
        &format!("{Z}/servers/{sbs_srv}/private_nics/{nic_id}"),
        None,
    )
    .await;
    r.call(
        "DELETE",
        &format!("/vpc/v2/regions/fr-par/private-networks/{pn_id}"),
        None,
    )
    .await;
    r.call(
        "POST",
        &format!("{Z}/servers/{local_srv}/action"),
        Some(json!({"action": "terminate"})),
    )
    .await;
    r.call(
        "POST",
        &format!("{Z}/servers/{sbs_srv}/action"),
        Some(json!({"action": "poweroff"})),
    )
    .await;
    r.call("GET", &format!("{Z}/servers/{sbs_srv}"), None).await;
    r.call("DELETE", &format!("{Z}/servers/{sbs_srv}"), None).await;
    r.call("DELETE", &format!("{Z}/ips/{ip_id}"), None).await;
    r.call("DELETE", &format!("{Z}/servers/{with_ip_id}"), None).await;
    let with_ip_root = with_ip["server"]["volumes"]["0"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    r.call(
        "DELETE",
        &format!("/block/v1/zones/fr-par-1/volumes/{with_ip_root}"),
        None,
    )
    .await;
    r.call("DELETE", &format!("{Z}/ips/{ip2_id}"), None).await;
    r.call(
        "DELETE",
        &format!("/block/v1/zones/fr-par-1/volumes/{root}"),
        None,
    )
    .await;
}

#[tokio::test]
async fn responses_have_the_shapes_of_real_responses() {
    let Some(real) = recordings("the simulator's answers against recorded traffic") else {
        return;
    };
    // 98.8% when the simulator served every operation of the specs; it must not drift lower.
    responses_have_the_shapes_of(&real, 40, 0.985).await;
}

/// The fixtures are written by hand in the real API's shape; the simulator is held to them on a
/// clone without the recordings.
#[tokio::test]
async fn responses_have_the_shapes_of_the_fixtures() {
    responses_have_the_shapes_of(&seen_in(fixture_traffic()), 20, 0.95).await;
}

/// The fixtures hold no key, and no success status, that the recordings of the same operation
/// never show: they are in the real API's shape.
#[test]
fn the_fixtures_have_the_shapes_of_real_responses() {
    let Some(real) = recordings("the fixtures against recorded traffic") else {
        return;
    };
    let fixtures = seen_in(fixture_traffic());
    let mut invented = Vec::new();
    for (key, fixture) in &fixtures {
        let recorded = real
            .get(key)
            .unwrap_or_else(|| panic!("{}.{} is in the fixtures but never recorded", key.0, key.1));
        invented.extend(
            fixture
                .paths
                .difference(&recorded.paths)
                .map(|path| format!("{}.{}: {path}", key.0, key.1)),
        );
        assert!(
            recorded.statuses.is_superset(&fixture.statuses),
            "{}.{}: fixtures answer {:?}, recordings {:?}",
            key.0,
            key.1,
            fixture.statuses,
            recorded.statuses
        );
    }
    println!("operations in the fixtures: {}", fixtures.len());
    assert!(
        invented.is_empty(),
        "keys the recordings never show: {invented:#?}"
    );
}

/// The simulator's answers to the scripted run have the shapes of `real` (the recordings or the
/// fixtures), over at least `at_least` operations.
async fn responses_have_the_shapes_of(real: &BTreeMap<Key, Seen>, at_least: usize, fidelity: f64) {
    // A little over a screen: the table is printed while the scores are gathered, so that a failure
    // shows every operation's row before the assertions.
    let sim = crate::common::simulator(0.0).await;
    let simulated = scripted_run(&sim).await;
    assert!(sim.inventory().is_empty(), "{:?}", sim.inventory());

    let mut scores = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut raw_scores = Vec::new();
    let mut status_mismatches = Vec::new();
    let mut unrecorded = Vec::new();
    println!(
        "{:<16} {:<30} {:>7} {:>5} {:>5} {:>5} {:>7}",
        "module", "operation", "score", "both", "sim", "real", "raw"
    );
    for (key, sim_seen) in &simulated {
        let Some(real_seen) = real.get(key) else {
            unrecorded.push(format!("{}.{}", key.0, key.1));
            continue;
        };
        if !real_seen.statuses.is_superset(&sim_seen.statuses) {
            status_mismatches.push(format!(
                "{}.{}: simulator {:?}, recorded {:?}",
                key.0, key.1, sim_seen.statuses, real_seen.statuses
            ));
        }
        if sim_seen.paths.is_empty() && real_seen.paths.is_empty() {
            continue; // 204s
        }
        let (score, raw, lacking) = score_operation(key, sim_seen, real_seen);
        missing.extend(lacking);
        scores.push(score);
        raw_scores.push(raw);
    }
    let overall = scores.iter().sum::<f64>() / scores.len() as f64;
    let raw_overall = raw_scores.iter().sum::<f64>() / raw_scores.len() as f64;
    println!(
        "operations compared: {}; overall fidelity: {:.1}% (raw Jaccard without the filled-container rule: {:.1}%)",
        scores.len(),
        overall * 100.0,
        raw_overall * 100.0
    );
    println!("served but never recorded (not scored): {unrecorded:?}");
    assert!(
        scores.len() >= at_least,
        "only {} operations compared",
        scores.len()
    );
    assert!(
        status_mismatches.is_empty(),
        "success statuses differ: {status_mismatches:#?}"
    );
    assert!(
        overall >= fidelity,
        "overall fidelity {:.1}% is below {:.1}%",
        overall * 100.0,
        fidelity * 100.0
    );
    // What the simulator sends beyond the recordings is mostly newer fields that older recordings
    // lack; a key the real API sends and the simulator does not is a client-visible gap.
    assert!(
        missing.is_empty(),
        "keys the real API sends and the simulator does not: {missing:#?}"
    );
}

/// One operation's simulated answers against the real ones, printed as a row of the table: the
/// score over the comparable paths, the raw Jaccard over all paths, and the comparable paths the
/// real answers have and the simulator's lack.
fn score_operation(key: &Key, sim_seen: &Seen, real_seen: &Seen) -> (f64, f64, Vec<String>) {
    let raw_both = sim_seen.paths.intersection(&real_seen.paths).count();
    let raw_union = sim_seen.paths.union(&real_seen.paths).count();
    let raw = raw_both as f64 / raw_union as f64;
    let sim_paths = comparable(&sim_seen.paths, sim_seen, real_seen);
    let real_paths = comparable(&real_seen.paths, sim_seen, real_seen);
    let both = sim_paths.intersection(&real_paths).count();
    let union = sim_paths.union(&real_paths).count();
    let score = both as f64 / union.max(1) as f64;
    println!(
        "{:<16} {:<30} {:>6.1}% {:>5} {:>5} {:>5} {:>6.1}%",
        key.0,
        key.1,
        score * 100.0,
        both,
        sim_paths.len(),
        real_paths.len(),
        raw * 100.0
    );
    let only_real: Vec<&&String> = real_paths.difference(&sim_paths).collect();
    let lacking = only_real
        .iter()
        .map(|path| format!("{}.{}: {path}", key.0, key.1))
        .collect();
    if score < 1.0 {
        let only_sim: Vec<&&String> = sim_paths.difference(&real_paths).collect();
        println!("    only in simulator: {only_sim:?}");
        println!("    only in recordings: {only_real:?}");
    }
    (score, raw, lacking)
}
