//! Instance v1 images: the marketplace's, and those made through the API from an Instance or a
//! Block snapshot.

use serde_json::{Value, json};

use crate::catalog::{self, ZONES};
use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, project_of, s, strings};

use crate::store::{Image, Store, instance_time, new_id};

pub(super) const OPERATIONS: Routes = &[
    ("ListImages", list),
    ("CreateImage", create),
    ("GetImage", get),
    ("UpdateImage", update),
    ("SetImage", set),
    ("DeleteImage", delete),
];

const BASE: &str = "https://api.scaleway.com/instance/v1/zones";

fn not_found_image(id: &str) -> Reply {
    h::not_found("instance_image", id)
}

/// An image made through the API, in the request's zone.
fn image<'s>(st: &'s Store, req: &Req) -> Result<&'s Image, Reply> {
    let zone = h::zone_among(req, ZONES)?;
    let id = req.param("image_id");
    st.images
        .get(id)
        .filter(|i| i.zone == zone)
        .ok_or_else(|| not_found_image(id))
}

/// An image made through the API, to change: the marketplace's are not the account's to change.
fn image_mut<'s>(st: &'s mut Store, req: &Req) -> Result<&'s mut Image, Reply> {
    if catalog::local_image(req.param("image_id")).is_some() {
        return Err(h::permissions_denied("write", "instance_image"));
    }
    let id = image(st, req)?.id.clone();
    st.images.get_mut(&id).ok_or_else(|| not_found_image(&id))
}

fn image_reply(st: &Store, id: &str) -> Res {
    let image = st.images.get(id).ok_or_else(|| not_found_image(id))?;
    Ok(Reply::ok(json!({"image": image_json(st, image)})))
}

/// An image made through the API. Its root volume is its snapshot: an Instance snapshot shows as
/// itself, a Block snapshot as a bare `sbs_snapshot` (recorded: `size` 0, `name` empty). The
/// image is `creating` while that snapshot is still being made (recorded images made from
/// available snapshots were `available` at once).
fn image_json(st: &Store, i: &Image) -> Value {
    let root = match st.isnapshots.get(&i.root_snapshot) {
        Some(snapshot) => json!({"id": snapshot.id, "name": snapshot.name,
                                 "volume_type": snapshot.volume_type, "size": snapshot.size}),
        None => json!({"volume_type": "sbs_snapshot", "id": i.root_snapshot, "size": 0, "name": ""}),
    };
    json!({
        "id": i.id,
        "name": i.name,
        "organization": i.organization,
        "project": i.project,
        "root_volume": root,
        "extra_volumes": {},
        "public": i.public,
        "arch": i.arch,
        "creation_date": i.created,
        "modification_date": i.modified,
        "default_bootscript": null,
        "from_server": "",
        "state": if st.snapshot_pending(&i.root_snapshot) { "creating" } else { "available" },
        "tags": i.tags,
        "zone": i.zone,
    })
}

/// The list filters of ListImages.
struct ImageFilter<'r> {
    name: Option<&'r str>,
    arch: Option<&'r str>,
    project: Option<&'r str>,
    organization: Option<&'r str>,
    tags: Vec<String>,
    public: Option<bool>,
}

impl<'r> ImageFilter<'r> {
    fn of(req: &'r Req) -> ImageFilter<'r> {
        ImageFilter {
            name: req.q("name"),
            arch: req.q("arch"),
            project: req.q("project"),
            organization: req.q("organization"),
            tags: req.q_all("tags"),
            public: req.q("public").map(|p| p == "true"),
        }
    }

    /// Whether an image with these fields passes every filter.
    fn keeps(
        &self,
        name: &str,
        arch: &str,
        project: &str,
        organization: &str,
        tags: &[String],
        public: bool,
    ) -> bool {
        h::name_matches(self.name, name)
            && self.arch.is_none_or(|a| a == arch)
            && self.project.is_none_or(|p| p == project)
            && self.organization.is_none_or(|o| o == organization)
            && h::tags_match(&self.tags, tags)
            && self.public.is_none_or(|p| p == public)
    }
}

/// The marketplace's images of the zone first (public, untagged, owned by the images'
/// organization), then the account's own, oldest first.
fn list(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?;
    let (page, size) = h::instance_page(req)?;
    let filter = ImageFilter::of(req);
    let owner = catalog::IMAGE_ORGANIZATION;
    let mut images: Vec<Value> = catalog::local_images()
        .iter()
        .filter(|i| i.zone == zone && filter.keeps(i.name, i.arch, owner, owner, &[], true))
        .map(catalog::instance_image_json)
        .collect();
    let mut own: Vec<&Image> = st
        .images
        .values()
        .filter(|i| {
            i.zone == zone && filter.keeps(&i.name, &i.arch, &i.project, &i.organization, &i.tags, i.public)
        })
        .collect();
    own.sort_by_key(|i| i.seq);
    images.extend(own.into_iter().map(|i| image_json(st, i)));
    Ok(h::instance_list(
        req,
        "images",
        &images,
        (page, size),
        Value::clone,
    ))
}

fn get(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?;
    let id = req.param("image_id");
    if let Some(i) = catalog::local_image(id).filter(|i| i.zone == zone) {
        return Ok(Reply::ok(json!({"image": catalog::instance_image_json(i)})));
    }
    image_reply(st, &image(st, req)?.id)
}

/// The `arch` of a body: `x86_64` when absent or unknown.
fn arch_of(body: &Value) -> Result<Option<&'static str>, Reply> {
    match s(body, "arch") {
        None => Ok(None),
        Some("unknown_arch") => Ok(Some("x86_64")),
        Some("x86_64") => Ok(Some("x86_64")),
        Some("arm") => Ok(Some("arm")),
        Some("arm64") => Ok(Some("arm64")),
        Some(_) => Err(h::constraint("arch", "must be x86_64, arm or arm64")),
    }
}

/// An image of an Instance or Block snapshot of the zone: `creating` while that snapshot is
/// still being made, `available` once it is.
fn create(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?.to_string();
    let body = req.json()?;
    let project = project_of(st, &body, "project", "instance_image")?;
    let Some(root) = s(&body, "root_volume").map(str::to_string) else {
        return Err(h::required(&["root_volume"]));
    };
    let known = st.isnapshots.get(&root).is_some_and(|s| s.zone == zone)
        || st.bsnapshots.get(&root).is_some_and(|s| s.zone == zone);
    if !known {
        return Err(h::not_found("instance_snapshot", &root));
    }
    if body
        .get("extra_volumes")
        .and_then(Value::as_object)
        .is_some_and(|m| !m.is_empty())
    {
        return Err(h::not_implemented(req.module, "CreateImage extra_volumes"));
    }
    let arch = arch_of(&body)?.unwrap_or("x86_64");
    let seq = st.next_seq();
    let now = instance_time();
    let id = new_id();
    let image = Image {
        id: id.clone(),
        seq,
        name: s(&body, "name")
            .map(str::to_string)
            .unwrap_or_else(|| format!("img-{}", &id[..8])),
        zone: zone.clone(),
        project,
        organization: st.organization.clone(),
        arch: arch.to_string(),
        root_snapshot: root,
        public: body.get("public").and_then(Value::as_bool).unwrap_or(false),
        tags: strings(&body, "tags"),
        created: now.clone(),
        modified: now,
    };
    st.images.insert(id.clone(), image);
    let json = image_json(st, &st.images[&id]);
    Ok(Reply::json(201, json!({"image": json})).header("location", format!("{BASE}/{zone}/images/{id}")))
}

/// PATCH: the fields sent change, the others stay.
fn update(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let arch = arch_of(&body)?;
    let image = image_mut(st, req)?;
    if let Some(name) = s(&body, "name") {
        image.name = name.to_string();
    }
    if let Some(arch) = arch {
        image.arch = arch.to_string();
    }
    if body.get("tags").is_some_and(Value::is_array) {
        image.tags = strings(&body, "tags");
    }
    if let Some(public) = body.get("public").and_then(Value::as_bool) {
        image.public = public;
    }
    image.modified = instance_time();
    let id = image.id.clone();
    image_reply(st, &id)
}

/// PUT: the image is replaced by the body's writable fields (`name` required, `arch`, `public`,
/// `tags`; a field left out takes its default); the read-only ones (id, dates, root volume,
/// state) are the image's own whatever the body says.
fn set(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let body = req.json()?;
    let Some(name) = s(&body, "name").map(str::to_string) else {
        return Err(h::required(&["name"]));
    };
    let arch = arch_of(&body)?;
    let project = match s(&body, "project") {
        Some(p) if !st.project_known(p) => return Err(h::permissions_denied("write", "instance_image")),
        p => p.map(str::to_string),
    };
    let image = image_mut(st, req)?;
    image.name = name;
    image.arch = arch.unwrap_or("x86_64").to_string();
    image.public = body.get("public").and_then(Value::as_bool).unwrap_or(false);
    image.tags = strings(&body, "tags");
    if let Some(project) = project {
        image.project = project;
    }
    image.modified = instance_time();
    let id = image.id.clone();
    image_reply(st, &id)
}

fn delete(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    let id = req.param("image_id");
    if catalog::local_image(id).is_some() {
        return Err(h::permissions_denied("delete", "instance_image"));
    }
    let id = image(st, req)?.id.clone();
    st.images.remove(&id);
    Ok(Reply::no_content())
}
