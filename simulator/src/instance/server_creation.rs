//! CreateServer, step by step: the request checked against what it names, its volumes planned
//! and held to the commercial type's local storage, then made, and the server stored.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use crate::catalog::{self, LocalImage, ServerType};
use crate::http::{self as h, Ctx, Reply, Req, Res, project_of, s, strings};
use crate::store::{Completion, Created, CreatedKind, Server, Store, VolKind, VolRef, instance_time, new_id};

use super::views::{BASE, ensure_default_sg, local_budget_exceeded, new_local_volume, server_json, zone};

/// Size of a volume made without one: a Block root, or an extra volume.
const DEFAULT_VOLUME_SIZE: u64 = 10_000_000_000;
/// IOPS of the Block volumes made with a server.
const SERVER_BLOCK_IOPS: u64 = 5000;

pub(super) fn create(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = zone(req)?.to_string();
    let body = req.json()?;
    let request = checked_request(st, &zone, &body)?;
    let mut plan = plan_volumes(st, &request)?;
    size_local_root(st, &request, &mut plan)?;
    check_local_storage(st, request.server_type, &plan)?;
    let security_group = match &request.security_group {
        Some(id) => id.clone(),
        None => ensure_default_sg(st, &request.project, &zone),
    };
    let id = new_id();
    let name = s(&body, "name")
        .map(str::to_string)
        .unwrap_or_else(|| format!("srv-{}", &id[..8]));
    let volumes = make_volumes(st, ctx, &request, &id, &name, plan);
    for ip_id in &request.public_ips {
        if let Some(ip) = st.ips.get_mut(ip_id) {
            ip.server = Some(id.clone());
        }
    }
    let server = new_server(
        st,
        &request,
        &body,
        Identity {
            id: &id,
            name,
            security_group,
        },
        volumes,
    );
    let json = server_json(st, &server);
    st.record(Created::new(
        CreatedKind::Server,
        &id,
        &server.project,
        &server.zone,
        &server.name,
        &server.tags,
    ));
    st.servers.insert(id.clone(), server);
    Ok(Reply::json(201, json!({"server": json})).header("location", format!("{BASE}/{zone}/servers/{id}")))
}

/// A create request whose references were all found usable.
struct Request {
    zone: String,
    project: String,
    server_type: &'static ServerType,
    image: Option<&'static LocalImage>,
    /// The `volumes` map as sent.
    volumes: Map<String, Value>,
    /// Whether `volumes.0` names an existing volume (the image then makes no root).
    root_from_volume: bool,
    public_ips: Vec<String>,
    /// A chosen group; the project's default one otherwise.
    security_group: Option<String>,
    placement_group: Option<String>,
}

fn checked_request(st: &Store, zone: &str, body: &Value) -> Result<Request, Reply> {
    let volumes = body
        .get("volumes")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let root_from_volume = volumes.get("0").and_then(|v| s(v, "id")).is_some();
    check_required_keys(body, &volumes, root_from_volume)?;
    let server_type = server_type(body)?;
    let project = project_of(st, body, "project", "instance_server")?;
    let image = image(body, zone, server_type)?;
    check_named_volumes(st, zone, &volumes)?;
    let public_ips = strings(body, "public_ips");
    check_public_ips(st, &public_ips)?;
    Ok(Request {
        zone: zone.to_string(),
        project,
        server_type,
        image,
        volumes,
        root_from_volume,
        public_ips,
        security_group: security_group(st, body, zone)?,
        placement_group: placement_group(st, body, zone)?,
    })
}

/// `commercial_type`, and an image unless `volumes.0` names the root (`volumes` too when there
/// is neither), each missing key reported (recorded).
fn check_required_keys(
    body: &Value,
    volumes: &Map<String, Value>,
    root_from_volume: bool,
) -> Result<(), Reply> {
    let mut missing = Vec::new();
    if s(body, "commercial_type").is_none() {
        missing.push("commercial_type");
    }
    if s(body, "image").is_none() && !root_from_volume {
        missing.push("image");
        if volumes.is_empty() {
            missing.push("volumes");
        }
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(h::required(&missing))
    }
}

fn server_type(body: &Value) -> Result<&'static ServerType, Reply> {
    let name = s(body, "commercial_type").unwrap_or_default();
    catalog::server_type(name).ok_or_else(|| {
        h::constraint(
            "commercial_type",
            format!("{name} is not a known commercial type"),
        )
    })
}

/// A local image id, or a label (resolved as the API does, to an image of the zone compatible
/// with the type); an image the type cannot boot is refused.
fn image(body: &Value, zone: &str, server_type: &ServerType) -> Result<Option<&'static LocalImage>, Reply> {
    let compatible = |i: &LocalImage| i.compatible.contains(&server_type.name);
    let image = match s(body, "image") {
        None => return Ok(None),
        Some(id) if h::is_uuid(id) => catalog::local_image(id)
            .filter(|i| i.zone == zone)
            .ok_or_else(|| h::not_found("instance_image", id))?,
        Some(label) => catalog::local_images()
            .iter()
            .find(|i| i.zone == zone && i.label == label && compatible(i))
            .ok_or_else(|| h::not_found("instance_image", label))?,
    };
    if !compatible(image) {
        return Err(h::constraint(
            "image",
            format!(
                "image {} is not compatible with commercial type {}",
                image.id, server_type.name
            ),
        ));
    }
    Ok(Some(image))
}

/// Existing volumes named in the request, the root included even with an image (the API then
/// boots the given volume and creates none, recorded), must be in the zone and free. A Block
/// volume still `creating` is accepted (recorded).
fn check_named_volumes(st: &Store, zone: &str, volumes: &Map<String, Value>) -> Result<(), Reply> {
    let mut named: Vec<&str> = Vec::new();
    for (key, v) in volumes {
        let Some(id) = s(v, "id") else { continue };
        let in_zone = st.bvolumes.get(id).is_some_and(|b| b.zone == zone)
            || st.ivolumes.get(id).is_some_and(|l| l.zone == zone);
        if !in_zone {
            return Err(h::not_found("instance_volume", id));
        }
        if st.volume_server(id).is_some() {
            return Err(h::precondition(
                "resource_not_usable",
                format!("volume {id} is already attached"),
            ));
        }
        if named.contains(&id) {
            return Err(h::constraint(
                &format!("volumes.{key}.id"),
                format!("volume {id} is given twice"),
            ));
        }
        named.push(id);
    }
    Ok(())
}

fn check_public_ips(st: &Store, ids: &[String]) -> Result<(), Reply> {
    for id in ids {
        match st.ips.get(id) {
            None => return Err(h::not_found("instance_ip", id)),
            Some(ip) if ip.server.is_some() => {
                return Err(h::precondition(
                    "resource_not_usable",
                    format!("ip {id} is already attached"),
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn security_group(st: &Store, body: &Value, zone: &str) -> Result<Option<String>, Reply> {
    match body
        .get("security_group")
        .and_then(|v| v.as_str().or_else(|| s(v, "id")))
    {
        None => Ok(None),
        Some(id) => match st.sgs.get(id) {
            Some(g) if g.zone == zone => Ok(Some(g.id.clone())),
            _ => Err(h::not_found("instance_security_group", id)),
        },
    }
}

fn placement_group(st: &Store, body: &Value, zone: &str) -> Result<Option<String>, Reply> {
    match s(body, "placement_group") {
        None => Ok(None),
        Some(id) => match st.placement_groups.get(id) {
            Some(g) if g.zone == zone => Ok(Some(g.id.clone())),
            _ => Err(h::not_found("instance_placement_group", id)),
        },
    }
}

/// One volume of the server to be, by index.
struct Planned {
    boot: bool,
    what: PlannedVolume,
}

enum PlannedVolume {
    /// A volume the request names.
    Existing { id: String, kind: VolKind },
    /// A new l_ssd volume; a root given no size gets one from the type's budget.
    Local { name: String, size: Option<u64> },
    /// A new Block volume (a root made from the image's snapshot).
    Block { name: String, size: u64, root: bool },
}

/// What each index of the `volumes` map becomes; the image makes the root when no root volume
/// is named, l_ssd or Block as asked, else as the image is.
fn plan_volumes(st: &Store, request: &Request) -> Result<BTreeMap<u32, Planned>, Reply> {
    let mut plan = BTreeMap::new();
    let image_root = request.image.filter(|_| !request.root_from_volume);
    if let Some(image) = image_root {
        let root = request.volumes.get("0").cloned().unwrap_or(Value::Null);
        plan.insert(0, plan_image_root(request, image, &root)?);
    }
    for (key, v) in &request.volumes {
        let index: u32 = key.parse().unwrap_or(plan.len() as u32);
        if index == 0 && image_root.is_some() {
            continue;
        }
        plan.insert(index, plan_extra_volume(st, key, v));
    }
    Ok(plan)
}

fn plan_image_root(request: &Request, image: &LocalImage, root: &Value) -> Result<Planned, Reply> {
    let boot = root.get("boot").and_then(Value::as_bool).unwrap_or(false);
    let size = root.get("size").and_then(Value::as_u64);
    let block = match s(root, "volume_type") {
        Some("sbs_volume") => true,
        Some("l_ssd") => false,
        _ => image.image_type == "instance_sbs",
    };
    let what = if block {
        PlannedVolume::Block {
            name: format!("{}_sbs_volume_0", image.name),
            size: size.unwrap_or(DEFAULT_VOLUME_SIZE),
            root: true,
        }
    } else if request.server_type.local {
        PlannedVolume::Local {
            name: image.name.to_string(),
            size,
        }
    } else {
        return Err(h::constraint(
            "volumes.0.volume_type",
            format!("{} does not support l_ssd volumes", request.server_type.name),
        ));
    };
    Ok(Planned { boot, what })
}

fn plan_extra_volume(st: &Store, key: &str, v: &Value) -> Planned {
    let boot = v.get("boot").and_then(Value::as_bool).unwrap_or(false);
    let size = v
        .get("size")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_VOLUME_SIZE);
    let what = match (s(v, "id"), s(v, "volume_type")) {
        (Some(id), _) => PlannedVolume::Existing {
            id: id.to_string(),
            kind: if st.bvolumes.contains_key(id) {
                VolKind::Block
            } else {
                VolKind::Local
            },
        },
        (None, Some("l_ssd")) => PlannedVolume::Local {
            name: key.to_string(),
            size: Some(size),
        },
        (None, _) => PlannedVolume::Block {
            name: key.to_string(),
            size,
            root: false,
        },
    };
    Planned { boot, what }
}

/// The size of each planned l_ssd volume (an existing one's own), by index.
fn local_sizes(st: &Store, plan: &BTreeMap<u32, Planned>) -> Vec<(u32, Option<u64>)> {
    plan.iter()
        .filter_map(|(index, p)| match &p.what {
            PlannedVolume::Local { size, .. } => Some((*index, *size)),
            PlannedVolume::Existing {
                id,
                kind: VolKind::Local,
            } => Some((*index, st.ivolumes.get(id).map(|v| v.size))),
            _ => None,
        })
        .collect()
}

/// A local root made without a size takes what the type's local budget leaves once the other
/// l_ssd volumes are counted: all of it without them (recorded for DEV1-S, DEV1-M, START1-S,
/// GP1-XS).
fn size_local_root(st: &Store, request: &Request, plan: &mut BTreeMap<u32, Planned>) -> Result<(), Reply> {
    let others: u64 = local_sizes(st, plan)
        .into_iter()
        .filter(|(index, _)| *index != 0)
        .filter_map(|(_, size)| size)
        .sum();
    if let Some(Planned {
        what: PlannedVolume::Local {
            size: size @ None, ..
        },
        ..
    }) = plan.get_mut(&0)
    {
        let left = catalog::local_budget(request.server_type).saturating_sub(others);
        if left == 0 {
            return Err(local_budget_exceeded(request.server_type));
        }
        *size = Some(left);
    }
    Ok(())
}

/// Each l_ssd volume between the per-volume limits, and all of them within the type's budget,
/// or the API's 400.
fn check_local_storage(
    st: &Store,
    server_type: &ServerType,
    plan: &BTreeMap<u32, Planned>,
) -> Result<(), Reply> {
    let sizes = local_sizes(st, plan);
    if catalog::local_budget(server_type) == 0
        && let Some((index, _)) = sizes.first()
    {
        return Err(h::constraint(
            &format!("volumes.{index}.volume_type"),
            format!("{} does not support l_ssd volumes", server_type.name),
        ));
    }
    for (index, size) in &sizes {
        let size = size.unwrap_or_default();
        if !(catalog::L_SSD_MIN_SIZE..=catalog::L_SSD_MAX_SIZE).contains(&size) {
            return Err(h::constraint(
                &format!("volumes.{index}.size"),
                format!(
                    "an l_ssd volume takes {} to {} bytes",
                    catalog::L_SSD_MIN_SIZE,
                    catalog::L_SSD_MAX_SIZE
                ),
            ));
        }
    }
    let total: u64 = sizes.iter().filter_map(|(_, size)| *size).sum();
    if total > catalog::local_budget(server_type) {
        return Err(local_budget_exceeded(server_type));
    }
    Ok(())
}

/// Makes the planned volumes, attached to the new server.
fn make_volumes(
    st: &mut Store,
    ctx: &Ctx,
    request: &Request,
    server_id: &str,
    server_name: &str,
    plan: BTreeMap<u32, Planned>,
) -> BTreeMap<u32, VolRef> {
    let mut volumes = BTreeMap::new();
    for (index, Planned { boot, what }) in plan {
        let (id, kind) = match what {
            PlannedVolume::Existing { id, kind } => {
                attach_existing(st, &id, kind, server_id);
                (id, kind)
            }
            PlannedVolume::Local { name, size } => {
                let name = if index == 0 {
                    name
                } else {
                    format!("{server_name}-{name}")
                };
                let size = size.unwrap_or(DEFAULT_VOLUME_SIZE);
                let id = new_local_volume(
                    st,
                    &name,
                    &request.zone,
                    &request.project,
                    size,
                    Some(server_id.to_string()),
                );
                (id, VolKind::Local)
            }
            PlannedVolume::Block { name, size, root } => {
                let name = if root {
                    name
                } else {
                    format!("{server_name}_sbs_volume_{name}")
                };
                let id = new_attached_block(st, ctx, request, server_id, &name, size, root);
                (id, VolKind::Block)
            }
        };
        volumes.insert(index, VolRef { id, kind, boot });
    }
    volumes
}

fn attach_existing(st: &mut Store, id: &str, kind: VolKind, server_id: &str) {
    match kind {
        VolKind::Block => st.attach_block(id, server_id, None),
        VolKind::Local => {
            if let Some(v) = st.ivolumes.get_mut(id) {
                v.server = Some(server_id.to_string());
            }
        }
    }
}

/// A Block volume made with the server: available and attached at once (recorded: `in_use` at
/// the first GET); a root is made from the image's snapshot.
fn new_attached_block(
    st: &mut Store,
    ctx: &Ctx,
    request: &Request,
    server_id: &str,
    name: &str,
    size: u64,
    root: bool,
) -> String {
    let id = st.new_block_volume(
        name,
        &request.zone,
        &request.project,
        size,
        SERVER_BLOCK_IOPS,
        Vec::new(),
        None,
        // Made with its server: available at once.
        ctx.now,
    );
    st.pending_volumes.remove(&id);
    if let Some(v) = st.bvolumes.get_mut(&id) {
        v.creating_until = None;
        if root {
            v.parent_snapshot_id = Some(new_id());
        }
    }
    st.attach_block(&id, server_id, None);
    st.record_server_of(&id, server_id);
    id
}

/// What the new server is called and where it belongs.
struct Identity<'a> {
    id: &'a str,
    name: String,
    security_group: String,
}

/// The new server, stopped, with the body's settings or the API's defaults.
fn new_server(
    st: &mut Store,
    request: &Request,
    body: &Value,
    identity: Identity,
    volumes: BTreeMap<u32, VolRef>,
) -> Server {
    let flag = |key: &str, default: bool| body.get(key).and_then(Value::as_bool).unwrap_or(default);
    let now = instance_time();
    Server {
        id: identity.id.to_string(),
        seq: st.next_seq(),
        name: identity.name,
        zone: request.zone.clone(),
        project: request.project.clone(),
        organization: st.organization.clone(),
        commercial_type: request.server_type.name.clone(),
        arch: request.server_type.arch.to_string(),
        boot_type: s(body, "boot_type").unwrap_or("local").to_string(),
        image: request.image.map(catalog::instance_image_json),
        tags: strings(body, "tags"),
        state: "stopped",
        detail: "",
        steps: Default::default(),
        completion: Completion::None,
        volumes,
        dynamic_ip_required: flag("dynamic_ip_required", true),
        routed_ip_enabled: flag("routed_ip_enabled", true),
        enable_ipv6: flag("enable_ipv6", false),
        protected: flag("protected", false),
        public_ips: request.public_ips.clone(),
        security_group: identity.security_group,
        user_data: BTreeMap::new(),
        mac: st.next_mac("de:00:00"),
        created: now.clone(),
        modified: now,
        location: None,
        placement_group: request.placement_group.clone(),
        filesystems: Vec::new(),
    }
}
