//! Block Storage volumes (Block v1): create, delete, wait, and attach/detach through the atomic
//! `attach-volume` / `detach-volume` server actions, serialized per server in the process.

use super::servers::CREATE_TOKEN_TAG;
use super::{
    check_id, check_name, check_user_tag, create_once, create_token, ignore_missing, listing_or_error,
    not_gone, optional, reached, refused_for_its_state, server_lock, zonal_handler,
};
use crate::api::block_v1::types::{
    CreateVolumeRequestFromEmpty, Reference, ReferenceStatus, Volume, VolumeStatus,
};
use crate::api::instance_v1::types::AttachServerVolumeBodyVolumeType;
use crate::paginate::DEFAULT_PAGE_SIZE;
use crate::wait::{Status, Transition, wait_for};
use crate::{ByteSize, Error, Result};

/// The smallest Block Storage volume: 5 GB.
pub const MIN_VOLUME_SIZE: ByteSize = ByteSize::from_bytes(5_000_000_000);
/// The largest Block Storage volume: 10 TB.
pub const MAX_VOLUME_SIZE: ByteSize = ByteSize::from_bytes(10_000_000_000_000);
/// The IOPS classes of Block Storage: `sbs_5k` and `sbs_15k`.
pub const BLOCK_IOPS: [u32; 2] = [5000, 15000];

/// The stable device path of an attached Block volume on its server: Scaleway exposes each as a
/// SCSI disk with vendor `SCW`, model `sbs` and serial `volume-<id>`, which udev names
/// `/dev/disk/by-id/scsi-0SCW_sbs_volume-<id>`. `None` when the volume is not attached (no
/// device then) or is not a Block volume (local volumes have no stable name).
pub fn device_path(volume: &Volume) -> Option<String> {
    let id = volume.id.as_deref()?;
    attached_reference(volume).filter(|(_, status)| *status == ReferenceStatus::Attached)?;
    Some(format!("/dev/disk/by-id/scsi-0SCW_sbs_volume-{id}"))
}

/// What to create a Block volume with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeSpec {
    /// Name (Block names are not unique).
    pub name: String,
    /// Size, 5 GB to 10 TB.
    pub size: ByteSize,
    /// Provisioned IOPS: 5000 or 15000.
    pub iops: u32,
    /// Tags.
    pub tags: Vec<String>,
}

impl VolumeSpec {
    /// A 5k IOPS volume.
    pub fn new(name: impl Into<String>, size: ByteSize) -> VolumeSpec {
        VolumeSpec {
            name: name.into(),
            size,
            iops: 5000,
            tags: Vec::new(),
        }
    }

    /// Provisioned IOPS: 5000 or 15000.
    pub fn iops(mut self, iops: u32) -> Self {
        self.iops = iops;
        self
    }

    /// One more tag.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tags.push(tag.into());
        self
    }

    /// Everything [`Volumes::create`] checks before any request.
    pub fn check(&self) -> Result<()> {
        check_name("volume name", &self.name)?;
        check_size("volume size", self.size)?;
        check_iops("volume IOPS", self.iops)?;
        self.tags.iter().try_for_each(|tag| check_user_tag(tag))
    }
}

pub(crate) fn check_size(field: &'static str, size: ByteSize) -> Result<()> {
    if size < MIN_VOLUME_SIZE || size > MAX_VOLUME_SIZE {
        return Err(Error::invalid_input(
            field,
            format!("must be {MIN_VOLUME_SIZE} to {MAX_VOLUME_SIZE}, got {size}"),
        ));
    }
    Ok(())
}

pub(crate) fn check_iops(field: &'static str, iops: u32) -> Result<()> {
    if !BLOCK_IOPS.contains(&iops) {
        return Err(Error::invalid_input(
            field,
            format!("must be 5000 or 15000, got {iops}"),
        ));
    }
    Ok(())
}

/// The server holding the volume (attaching, attached or detaching) and the state of that hold.
fn attached_reference(volume: &Volume) -> Option<(String, ReferenceStatus)> {
    volume
        .references
        .iter()
        .find(|r| {
            r.product_resource_type.as_deref() == Some("instance_server")
                && matches!(
                    r.status,
                    ReferenceStatus::Attaching | ReferenceStatus::Attached | ReferenceStatus::Detaching
                )
        })
        .and_then(|r| Some((r.product_resource_id.clone()?, r.status)))
}

/// The server a volume is attached to (or being attached to or detached from).
pub fn attached_server(volume: &Volume) -> Option<String> {
    attached_reference(volume).map(|(server, _)| server)
}

/// The refusal of a change to a volume a server holds.
fn in_use(volume_id: &str, server_id: &str) -> Error {
    Error::InUse {
        kind: "volume".into(),
        id: volume_id.into(),
        users: vec![format!("server {server_id}")],
    }
}

/// Whether the volume was made by [`Volumes::create`] (it carries a create token): such a
/// volume is the user's, never a server's own root.
pub(crate) fn made_by_create(volume: &Volume) -> bool {
    volume.tags.iter().any(|t| t.starts_with(CREATE_TOKEN_TAG))
}

zonal_handler!(
    /// Block volumes of a zone. From [`Scaleway::volumes`](super::Scaleway::volumes).
    Volumes
);

impl Volumes<'_> {
    /// The volume, `None` if it does not exist (or has expired).
    pub async fn get(&self, volume_id: &str) -> Result<Option<Volume>> {
        check_id("volume id", volume_id)?;
        Ok(optional(
            self.scw
                .apis()
                .block
                .get_volume()
                .zone(&self.zone)
                .volume_id(volume_id)
                .send()
                .await,
        )?
        .map(|a| a.into_inner()))
    }

    async fn get_existing(&self, volume_id: &str) -> Result<Volume> {
        self.get(volume_id)
            .await?
            .ok_or_else(|| Error::not_found("volume", volume_id))
    }

    /// The project's volumes, filtered by name (a substring, as the API matches) and tag, as a
    /// lazy stream.
    pub fn list<'s>(
        &'s self,
        name: Option<&'s str>,
        tag: Option<&'s str>,
    ) -> impl futures_util::Stream<Item = Result<Volume>> + 's {
        self.list_in_pages_of(DEFAULT_PAGE_SIZE, name, tag)
    }

    fn list_in_pages_of<'s>(
        &'s self,
        page_size: u32,
        name: Option<&'s str>,
        tag: Option<&'s str>,
    ) -> impl futures_util::Stream<Item = Result<Volume>> + 's {
        listing_or_error(self.scw.project_id().map(|project| {
            let mut call = self
                .scw
                .apis()
                .block
                .list_volumes()
                .zone(&self.zone)
                .project_id(project);
            if let Some(name) = name {
                call = call.name(name);
            }
            if let Some(tag) = tag {
                call = call.tags(vec![tag.to_string()]);
            }
            call.stream().page_size(page_size)
        }))
    }

    /// The project's volume named exactly `name`, if any.
    pub async fn find_by_name(&self, name: &str) -> Result<Option<Volume>> {
        check_name("volume name", name)?;
        super::find_by_exact_name(self.list(Some(name), None), name, |v| v.name.as_deref()).await
    }

    /// The project's first volume carrying `tag` (a create token: at most one has it).
    async fn find_by_tag(&self, tag: &str) -> Result<Option<Volume>> {
        let mut listing = std::pin::pin!(self.list_in_pages_of(1, None, Some(tag)));
        futures_util::TryStreamExt::try_next(&mut listing).await
    }

    /// Creates a volume and waits until it is available. The request carries a unique tag: if its
    /// answer is lost, the volume is looked up by that tag (Block names are not unique) instead
    /// of being created twice. A volume that never becomes available is deleted, not left
    /// billed.
    pub async fn create(&self, spec: &VolumeSpec) -> Result<Volume> {
        spec.check()?;
        let project = self.scw.project_id()?;
        let token = create_token();
        let mut tags = spec.tags.clone();
        tags.push(token.clone());
        let block = &self.scw.apis().block;
        let post = || async {
            let answer = block
                .create_volume()
                .zone(&self.zone)
                .body_map(|b| {
                    b.name(spec.name.clone())
                        .perf_iops(spec.iops)
                        .project_id(project.to_string())
                        .from_empty(CreateVolumeRequestFromEmpty {
                            size: Some(spec.size.bytes()),
                        })
                        .tags(tags.clone())
                })
                .send()
                .await?;
            Ok(answer.into_inner())
        };
        let options = &self.scw.options().wait;
        let volume = create_once(options, "volume", post, || self.find_by_tag(&token)).await?;
        let id = volume.id.clone().unwrap_or_default();
        match self
            .wait_available_after(&id, true, Some(Transition::VolumeCreate))
            .await
        {
            Ok(volume) => Ok(volume),
            Err(original) => Err(Error::with_cleanup(original, self.delete(&id).await)),
        }
    }

    /// Deletes a detached volume; [`Error::InUse`] if a server holds it (the API refuses the
    /// delete, nothing changes); Ok if it is already gone, so a DELETE whose answer was lost and
    /// is sent again ends well.
    ///
    /// The DELETE is sent first, with no read before it: the API refuses to delete an attached
    /// volume, so a read would only tell the same thing one call earlier. Only a refusal is read,
    /// to name the server that holds the volume.
    pub async fn delete(&self, volume_id: &str) -> Result<()> {
        check_id("volume id", volume_id)?;
        let refusal = match self.delete_unchecked(volume_id).await {
            Ok(()) => return Ok(()),
            Err(e) if refused_for_its_state(&e) => e,
            Err(e) => return Err(e),
        };
        let Some(volume) = self.get(volume_id).await? else {
            return Ok(());
        };
        if let Some(server) = attached_server(&volume) {
            return Err(in_use(volume_id, &server));
        }
        // Free by the time it was read: the refusal was about a detach that has ended since.
        tracing::info!(volume_id, error = %refusal, "volume delete refused, but the volume is free now: sending it again");
        self.delete_unchecked(volume_id).await
    }

    /// Deletes a Block volume its server held until a moment ago (a server just deleted, which
    /// the API detaches its Block volumes from). The DELETE is sent at once; if the API refuses
    /// it because the volume is still detaching from that server, the detach is awaited and the
    /// DELETE sent again. Ok if the volume is gone. The volume is billed as long as it exists, so
    /// every other failure is [`Error::LeftBehind`], naming it: a volume attached to another
    /// server meanwhile is not deleted (its new holder uses it), and an error the retry policy
    /// could not get past would not pass with one more attempt here.
    pub(crate) async fn delete_freed_by(&self, volume_id: &str, server_id: &str) -> Result<()> {
        let left_behind = |source: Error| Error::LeftBehind {
            kind: "volume".into(),
            id: volume_id.into(),
            source: Box::new(source),
        };
        match self.delete_unchecked(volume_id).await {
            Ok(()) => return Ok(()),
            Err(e) if refused_for_its_state(&e) => {}
            Err(e) => return Err(left_behind(e)),
        }
        let volume = match self.get(volume_id).await {
            Ok(Some(volume)) => volume,
            Ok(None) => return Ok(()),
            Err(e) => return Err(left_behind(e)),
        };
        match attached_server(&volume) {
            Some(holder) if holder != server_id => return Err(left_behind(in_use(volume_id, &holder))),
            Some(_) => match self.wait_detached(volume_id, true).await {
                Ok(Some(_)) => {}
                Ok(None) => return Ok(()),
                Err(e) => return Err(left_behind(e)),
            },
            None => {}
        }
        self.delete_unchecked(volume_id).await.map_err(left_behind)
    }

    async fn delete_unchecked(&self, volume_id: &str) -> Result<()> {
        ignore_missing(
            self.scw
                .apis()
                .block
                .delete_volume()
                .zone(&self.zone)
                .volume_id(volume_id)
                .send()
                .await,
        )
    }

    /// Polls a volume until `classify` says so; a volume that disappears is `None` for
    /// `classify` to judge.
    async fn poll(
        &self,
        volume_id: &str,
        what: &str,
        after_action: bool,
        transition: Option<Transition>,
        classify: impl Fn(&Option<Volume>) -> Status,
    ) -> Result<Option<Volume>> {
        let options = if after_action {
            match transition {
                Some(transition) => self.scw.wait_after(transition),
                None => self.scw.wait_after_action(),
            }
        } else {
            self.scw.options().wait.clone()
        };
        let outcome = wait_for(&options, || self.get(volume_id), classify).await?;
        not_gone(&outcome, "volume", volume_id)?;
        let state = |v: &Option<Volume>| {
            v.as_ref().map_or("deleted".into(), |v| {
                v.status.map(|s| s.to_string()).unwrap_or_default()
            })
        };
        reached(outcome, format!("volume {volume_id} {what}"), state)
    }

    /// Waits until the volume is `available` or `in_use`; `error`, `locked` and `deleted` end
    /// the wait with [`Error::FailedState`], a volume that disappears with [`Error::NotFound`].
    pub async fn wait(&self, volume_id: &str) -> Result<Volume> {
        self.wait_available(volume_id, false).await
    }

    async fn wait_available(&self, volume_id: &str, after_action: bool) -> Result<Volume> {
        self.wait_available_after(volume_id, after_action, None).await
    }

    /// Waits until the volume is available, after `transition` (a creation, for its expected
    /// duration) when there is one.
    async fn wait_available_after(
        &self,
        volume_id: &str,
        after_action: bool,
        transition: Option<Transition>,
    ) -> Result<Volume> {
        check_id("volume id", volume_id)?;
        self.poll(
            volume_id,
            "to be available",
            after_action,
            transition,
            |v| match v.as_ref().map(|v| v.status) {
                None => Status::Failed,
                Some(Some(VolumeStatus::Available | VolumeStatus::InUse)) => Status::Reached,
                Some(Some(VolumeStatus::Error | VolumeStatus::Locked | VolumeStatus::Deleted)) => {
                    Status::Failed
                }
                Some(_) => Status::Pending,
            },
        )
        .await?
        .ok_or_else(|| Error::not_found("volume", volume_id))
    }

    /// Waits until the volume is settled (as [`Volumes::wait`]) and so is every reference to it
    /// (`attached` or `detached`; a reference in `error` ends the wait with
    /// [`Error::FailedState`]).
    pub async fn wait_with_references(&self, volume_id: &str) -> Result<Volume> {
        check_id("volume id", volume_id)?;
        let settled =
            |r: &Reference| matches!(r.status, ReferenceStatus::Attached | ReferenceStatus::Detached);
        self.poll(volume_id, "and its references to settle", false, None, |v| {
            let Some(volume) = v else { return Status::Failed };
            if volume
                .references
                .iter()
                .any(|r| r.status == ReferenceStatus::Error)
            {
                return Status::Failed;
            }
            match volume.status {
                Some(VolumeStatus::Error | VolumeStatus::Locked | VolumeStatus::Deleted) => Status::Failed,
                Some(VolumeStatus::Available | VolumeStatus::InUse)
                    if volume.references.iter().all(settled) =>
                {
                    Status::Reached
                }
                _ => Status::Pending,
            }
        })
        .await?
        .ok_or_else(|| Error::not_found("volume", volume_id))
    }

    /// Waits until the volume's reference to the server says `attached`.
    async fn wait_attached(&self, volume_id: &str, server_id: &str, after_action: bool) -> Result<Volume> {
        self.poll(
            volume_id,
            "to be attached",
            after_action,
            Some(Transition::Attach),
            |v| {
                let Some(volume) = v else { return Status::Failed };
                let attached = volume.references.iter().any(|r| {
                    r.product_resource_id.as_deref() == Some(server_id)
                        && r.status == ReferenceStatus::Attached
                });
                match (attached, volume.status) {
                    (true, _) => Status::Reached,
                    (false, Some(VolumeStatus::Error | VolumeStatus::Deleted)) => Status::Failed,
                    _ => Status::Pending,
                }
            },
        )
        .await?
        .ok_or_else(|| Error::not_found("volume", volume_id))
    }

    /// Waits until no server holds the volume; a volume deleted meanwhile counts as free.
    async fn wait_detached(&self, volume_id: &str, after_action: bool) -> Result<Option<Volume>> {
        self.poll(
            volume_id,
            "to be detached",
            after_action,
            Some(Transition::Detach),
            |v| match v.as_ref().map(attached_server) {
                None | Some(None) => Status::Reached,
                Some(Some(_)) => Status::Pending,
            },
        )
        .await
    }

    /// Attaches a volume to a server and waits until it is attached. Serialized with every other
    /// volume change of that server in the process; Ok if it is already attached there; a
    /// detach in progress is waited out first; [`Error::InUse`] if another server holds it.
    ///
    /// The attach is sent first, with no read before it: a free volume, the common case, costs
    /// the attach and the read that sees it attached. Only when the API refuses it is the volume
    /// read, to tell why: already attached here (done: a repeated call, or a first attempt whose
    /// answer was lost), on its way here (awaited), detaching (awaited, then sent once more), held
    /// by another server ([`Error::InUse`]).
    pub async fn attach(&self, volume_id: &str, server_id: &str) -> Result<Volume> {
        check_id("volume id", volume_id)?;
        check_id("server id", server_id)?;
        let lock = server_lock(self.scw.client().config().api_url(), &self.zone, server_id);
        let _one_change_per_server = lock.lock().await;
        let refusal = match self.send_attach(volume_id, server_id).await {
            Ok(()) => return self.wait_attached(volume_id, server_id, true).await,
            Err(e) if refused_for_its_state(&e) => e,
            Err(e) => return Err(e),
        };
        let volume = self.get_existing(volume_id).await?;
        match attached_reference(&volume) {
            // Being detached (from this server or another): it is free once that is done.
            Some((_, ReferenceStatus::Detaching)) => {
                self.detached(volume_id).await?;
            }
            Some((current, ReferenceStatus::Attached)) if current == server_id => return Ok(volume),
            Some((current, _)) if current == server_id => {
                return self.wait_attached(volume_id, server_id, false).await;
            }
            Some((other, _)) => return Err(in_use(volume_id, &other)),
            // Free: what the refusal was about (a detach that ended since, a server busy a moment)
            // has passed, or it was about something else, which the second answer tells.
            None => {
                tracing::info!(volume_id, server_id, error = %refusal, "attach refused, but the volume is free: sending it again");
            }
        }
        self.send_attach(volume_id, server_id).await?;
        self.wait_attached(volume_id, server_id, true).await
    }

    /// The attach-volume action, applied once: when its answer is lost, the volume says whether
    /// it took effect, and it is sent again only if it did not.
    async fn send_attach(&self, volume_id: &str, server_id: &str) -> Result<()> {
        let instance = &self.scw.apis().instance;
        let post = || async {
            let answer = instance
                .attach_server_volume()
                .zone(&self.zone)
                .server_id(server_id)
                .body_map(|b| {
                    b.volume_id(volume_id)
                        .volume_type(AttachServerVolumeBodyVolumeType::SbsVolume)
                })
                .send()
                .await?;
            if let Some(server) = &answer.into_inner().server {
                self.scw.learn_root(&self.zone, server, false);
            }
            Ok(())
        };
        // An attach whose answer is lost took effect if the volume is on its way to the server.
        let applied = || async {
            let volume = self.get(volume_id).await?;
            let here = volume
                .as_ref()
                .and_then(attached_reference)
                .is_some_and(|(holder, status)| {
                    holder == server_id
                        && matches!(status, ReferenceStatus::Attaching | ReferenceStatus::Attached)
                });
            Ok(here.then_some(()))
        };
        create_once(&self.scw.options().wait, "volume attachment", post, applied).await
    }

    /// Detaches a volume from its server and waits until it is free. Ok if it is not attached;
    /// a detach already in progress (another caller's) is waited for, not sent again; a
    /// server's root volume is refused ([`Error::InvalidInput`]): detached, it would leave the
    /// server without a boot volume and let the next attached volume take the root position.
    pub async fn detach(&self, volume_id: &str) -> Result<Volume> {
        check_id("volume id", volume_id)?;
        let volume = self.get_existing(volume_id).await?;
        let server_id = match attached_reference(&volume) {
            None => return Ok(volume),
            // Already on its way off (an earlier detach): only its end is awaited.
            Some((_, ReferenceStatus::Detaching)) => return self.detached(volume_id).await,
            Some((server_id, _)) => server_id,
        };
        // The root as the latest answer about the server said (see `learn_root`); read only for
        // a server this process has seen no answer about.
        let root = match self.scw.known_root(&self.zone, &server_id) {
            Some(known) => Some(known.volume_id),
            None => self
                .scw
                .servers()
                .zone(self.zone.clone())
                .get(&server_id)
                .await?
                .and_then(|s| s.volumes.get("0").and_then(|v| v.id.clone())),
        };
        if root.as_deref() == Some(volume_id) {
            return Err(Error::invalid_input(
                "volume id",
                format!("{volume_id} is the root volume of server {server_id}; delete the server instead"),
            ));
        }
        self.detach_from(volume_id, &server_id)
            .await?
            .ok_or_else(|| Error::not_found("volume", volume_id))
    }

    /// Waits until the volume is free, and returns it.
    async fn detached(&self, volume_id: &str) -> Result<Volume> {
        self.wait_detached(volume_id, false)
            .await?
            .ok_or_else(|| Error::not_found("volume", volume_id))
    }

    /// Detaches a volume from a known server under that server's lock and waits until it is
    /// free (`None` if it was deleted meanwhile). When another change of that server held the
    /// lock (a concurrent detach of the same volume, say), the volume is read again once the
    /// lock is ours: if it is no longer attached there, the detach is not sent a second time
    /// (the API would refuse it with a 412) and only its end is awaited.
    pub(crate) async fn detach_from(&self, volume_id: &str, server_id: &str) -> Result<Option<Volume>> {
        let lock = server_lock(self.scw.client().config().api_url(), &self.zone, server_id);
        let (_one_change_per_server, waited_for_another) = match lock.clone().try_lock_owned() {
            Ok(guard) => (guard, false),
            Err(_) => (lock.lock_owned().await, true),
        };
        if waited_for_another {
            let still_attached = self
                .get(volume_id)
                .await?
                .and_then(|v| attached_reference(&v))
                .is_some_and(|(holder, status)| {
                    holder == server_id
                        && matches!(status, ReferenceStatus::Attaching | ReferenceStatus::Attached)
                });
            if !still_attached {
                return self.wait_detached(volume_id, false).await;
            }
        }
        let instance = &self.scw.apis().instance;
        let post = || async {
            let answer = optional(
                instance
                    .detach_server_volume()
                    .zone(&self.zone)
                    .server_id(server_id)
                    .body_map(|b| b.volume_id(volume_id))
                    .send()
                    .await,
            )?;
            if let Some(server) = answer.and_then(|a| a.into_inner().server) {
                self.scw.learn_root(&self.zone, &server, false);
            }
            Ok(())
        };
        // A detach whose answer is lost took effect if the server no longer holds the volume
        // (or lets go of it).
        let applied = || async {
            let volume = self.get(volume_id).await?;
            let held = volume
                .as_ref()
                .and_then(attached_reference)
                .is_some_and(|(holder, status)| {
                    holder == server_id
                        && matches!(status, ReferenceStatus::Attaching | ReferenceStatus::Attached)
                });
            Ok((!held).then_some(()))
        };
        create_once(&self.scw.options().wait, "volume detachment", post, applied).await?;
        self.wait_detached(volume_id, true).await
    }

    /// Sets the provisioned IOPS of a volume and waits until the change is applied.
    pub async fn set_iops(&self, volume_id: &str, iops: u32) -> Result<Volume> {
        check_id("volume id", volume_id)?;
        check_iops("volume IOPS", iops)?;
        self.scw
            .apis()
            .block
            .update_volume()
            .zone(&self.zone)
            .volume_id(volume_id)
            .body_map(|b| b.perf_iops(iops))
            .send()
            .await?;
        self.wait_available(volume_id, true).await
    }
}
