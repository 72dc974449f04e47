//! Servers: the workflows the Instance API forces on clients.
//!
//! Create: the server is created stopped, its cloud-init is set as raw `text/plain`, its private
//! NIC is created and awaited before it boots (a server booted before its NIC misses DHCP), then
//! it is powered on. A step that fails undoes everything created so far.
//!
//! Delete: the volumes the user attached are detached first and kept; NICs are removed; a
//! running server is terminated, a stopped one deleted; its own root volume is deleted too,
//! because a Block volume left behind is billed.

use std::time::Duration;

use super::{ScalewayProvider, absent_as_none, catalog, check_id, check_name, found, gone, reached, volumes};
use crate::Zone;
use crate::api::instance_v1::types::{
    PrivateNicState, Server as ApiServer, ServerAction, ServerState, VolumeServerVolumeType,
};
use crate::paginate::{Page, collect_all};
use crate::provider::{ProviderError, ProviderResult, Server, ServerOptions, ServerStatus};
use crate::wait::{Outcome, Status, WaitOptions, wait_for};

/// The most cloud-init the API stores for one key (user data values are limited to 64 KiB).
pub const MAX_USER_DATA_BYTES: usize = 64 * 1024;

/// The tag that marks a server with the request that created it, so that a create whose answer
/// was lost can find its server instead of making a second one.
pub const CREATE_TOKEN_TAG: &str = "scaleway-sdk-create";

pub(super) fn to_server(p: &ScalewayProvider, server: &ApiServer) -> Server {
    let detail = server.state_detail.as_deref().unwrap_or_default();
    let status = match server.state {
        ServerState::Running => ServerStatus::Running,
        ServerState::Starting => ServerStatus::Starting,
        ServerState::Stopping if detail == "terminating" => ServerStatus::Deleting,
        ServerState::Stopping => ServerStatus::Stopping,
        ServerState::Stopped | ServerState::StoppedInPlace => ServerStatus::Stopped,
        ServerState::Locked => ServerStatus::Locked,
    };
    let public_ipv4 = server
        .public_ips
        .iter()
        .find(|ip| ip.family.to_string() == "inet")
        .and_then(|ip| ip.address.clone())
        .or_else(|| {
            server
                .public_ip
                .as_ref()
                .and_then(|ip| ip.address.clone())
                .filter(|a| !a.contains(':'))
        });
    Server {
        id: server.id.clone().unwrap_or_default(),
        name: server.name.clone().unwrap_or_default(),
        status,
        provider_status: server.state.to_string(),
        public_ipv4,
        private_ipv4: server.private_ip.clone(),
        tags: server
            .tags
            .iter()
            .filter(|t| !t.starts_with(CREATE_TOKEN_TAG))
            .cloned()
            .collect(),
        zone: server.zone.clone().unwrap_or_else(|| p.zone.to_string()),
    }
}

pub(super) async fn get(p: &ScalewayProvider, id: &str) -> ProviderResult<Option<ApiServer>> {
    Ok(found(
        p.client
            .instance()
            .get_server()
            .zone(&p.zone)
            .server_id(id)
            .send()
            .await,
    )?
    .and_then(|answer| answer.into_inner().server))
}

/// The server, or [`ProviderError::NotFound`] when there is none.
async fn get_existing(p: &ScalewayProvider, id: &str) -> ProviderResult<ApiServer> {
    get(p, id).await?.ok_or_else(|| ProviderError::NotFound {
        kind: "server",
        name: id.into(),
    })
}

async fn list_raw(
    p: &ScalewayProvider,
    name: Option<&str>,
    tags: Option<&str>,
) -> ProviderResult<Vec<ApiServer>> {
    let instance = p.client.instance();
    Ok(collect_all(100, |request| {
        let instance = instance.clone();
        async move {
            let mut call = instance
                .list_servers()
                .zone(&p.zone)
                .project(p.project_id.as_str())
                .page(request.page as i32)
                .per_page(request.size);
            if let Some(name) = name {
                call = call.name(name);
            }
            if let Some(tags) = tags {
                call = call.tags(tags);
            }
            Ok(Page::from_instance(call.send().await?, |body| body.servers))
        }
    })
    .await?)
}

pub(super) async fn list(p: &ScalewayProvider, tag: Option<&str>) -> ProviderResult<Vec<Server>> {
    Ok(list_raw(p, None, tag)
        .await?
        .iter()
        .map(|s| to_server(p, s))
        .collect())
}

pub(super) async fn find(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<Server>> {
    check_name("server name", name)?;
    // The API's name filter matches substrings: compare exactly, over every page.
    Ok(list_raw(p, Some(name), None)
        .await?
        .iter()
        .find(|s| s.name.as_deref() == Some(name))
        .map(|s| to_server(p, s)))
}

fn check_options(options: &ServerOptions) -> ProviderResult<()> {
    check_name("server name", &options.name)?;
    if options.name.len() > 63
        || !options
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_')
    {
        return Err(ProviderError::invalid(
            "server name",
            "must be 1 to 63 letters, digits, `-`, `_` or `.` (it becomes the hostname)",
        ));
    }
    if options.instance_type.trim().is_empty() {
        return Err(ProviderError::invalid("instance type", "must not be empty"));
    }
    if options.image.trim().is_empty() {
        return Err(ProviderError::invalid("image", "must not be empty"));
    }
    catalog::check_image(&options.image)?;
    if let Some(user_data) = &options.user_data
        && user_data.len() > MAX_USER_DATA_BYTES
    {
        return Err(ProviderError::invalid(
            "user data",
            format!(
                "{} bytes is more than the {MAX_USER_DATA_BYTES} bytes the API accepts",
                user_data.len()
            ),
        ));
    }
    if let Some(network) = &options.network_id {
        check_id("network id", network)?;
    }
    if let Some(firewall) = &options.firewall_id {
        check_id("firewall id", firewall)?;
    }
    for tag in &options.tags {
        if tag.is_empty() || tag.contains(',') || tag.starts_with(CREATE_TOKEN_TAG) {
            return Err(ProviderError::invalid(
                "tag",
                format!("`{tag}` must be non-empty, without comma or the `{CREATE_TOKEN_TAG}` prefix"),
            ));
        }
    }
    Ok(())
}

pub(super) async fn create(p: &ScalewayProvider, options: &ServerOptions) -> ProviderResult<Server> {
    check_options(options)?;
    catalog::validate_instance_type(p, &options.instance_type).await?;
    let image = catalog::resolve_image(p, &options.image, &options.instance_type).await?;
    let posted = post_server(p, options, &image).await?;
    let id = posted.server.id.clone().unwrap_or_default();
    let finished = async {
        if posted.retried {
            remove_twins(p, &posted.token, &id).await?;
        }
        finish_create(p, &id, options).await
    };
    match finished.await {
        Ok(server) => Ok(server),
        Err(original) => {
            tracing::warn!(server_id = %id, error = %original, "server creation failed; removing what was created");
            match delete(p, &id).await {
                Ok(()) => Err(original),
                Err(cleanup) => Err(ProviderError::CleanupFailed {
                    original: Box::new(original),
                    cleanup: Box::new(cleanup),
                }),
            }
        }
    }
}

/// `POST /servers`, created stopped. The request carries a unique token tag: when its outcome is
/// unknown (timeout, connection lost, 5xx), the server is looked up by that tag, at once and
/// again after [`ScalewayOptions::create_lookup_delay`](super::ScalewayOptions), before trying
/// again, so a lost answer does not lead to a second server. Should the first attempt still
/// land after that, the servers carrying the token other than the one returned are deleted.
async fn post_server(p: &ScalewayProvider, options: &ServerOptions, image: &str) -> ProviderResult<Posted> {
    let token = format!("{CREATE_TOKEN_TAG}={}", uuid::Uuid::new_v4());
    let mut tags = options.tags.clone();
    tags.push(token.clone());
    for attempt in 1..=2 {
        let sent = p
            .client
            .instance()
            .create_server()
            .zone(&p.zone)
            .body_map(|b| {
                let b = b
                    .name(options.name.clone())
                    .commercial_type(options.instance_type.clone())
                    .image(image.to_string())
                    .project(p.project_id.clone())
                    .dynamic_ip_required(true)
                    .tags(tags.clone());
                match &options.firewall_id {
                    Some(group) => b.security_group(group.clone()),
                    None => b,
                }
            })
            .send()
            .await;
        match sent {
            Ok(answer) => {
                let incomplete = crate::Error::incomplete_answer(
                    answer.status().as_u16(),
                    answer.headers(),
                    "no server in the answer",
                );
                let server = answer.into_inner().server.ok_or(incomplete)?;
                return Ok(Posted {
                    server,
                    token,
                    retried: attempt > 1,
                });
            }
            Err(e) => {
                let e = crate::Error::from(e);
                if !e.may_have_been_applied() {
                    return Err(e.into());
                }
                if let Some(server) = find_created(p, &token).await? {
                    tracing::info!(server_id = ?server.id, "found the server of a create whose answer was lost");
                    return Ok(Posted {
                        server,
                        token,
                        retried: false,
                    });
                }
                if attempt == 2 {
                    return Err(e.into());
                }
                tracing::warn!(error = %e, "server create failed before it was applied; trying once more");
            }
        }
    }
    unreachable!("the loop returns on its last attempt")
}

/// What `POST /servers` made, with the token it carried and whether it took a second attempt.
struct Posted {
    server: ApiServer,
    token: String,
    retried: bool,
}

/// The server a create with this token made, looked for at once and once more after the
/// lookup delay (an answer lost to a timeout may belong to a request still being applied).
async fn find_created(p: &ScalewayProvider, token: &str) -> ProviderResult<Option<ApiServer>> {
    if let Some(server) = list_raw(p, None, Some(token)).await?.into_iter().next() {
        return Ok(Some(server));
    }
    tokio::time::sleep(p.options.create_lookup_delay).await;
    Ok(list_raw(p, None, Some(token)).await?.into_iter().next())
}

/// After a second attempt: deletes any other server carrying the token (the first attempt
/// applied after all), so that one create leaves one server. A step of the create: if it fails,
/// the create is undone.
async fn remove_twins(p: &ScalewayProvider, token: &str, kept_id: &str) -> ProviderResult<()> {
    for twin in list_raw(p, None, Some(token)).await? {
        let Some(twin_id) = twin.id.as_deref().filter(|id| *id != kept_id) else {
            continue;
        };
        tracing::warn!(server_id = twin_id, "deleting the second server of one create");
        delete(p, twin_id).await?;
    }
    Ok(())
}

/// Everything after the POST: cloud-init, private NIC, power on.
async fn finish_create(p: &ScalewayProvider, id: &str, options: &ServerOptions) -> ProviderResult<Server> {
    let instance = p.client.instance();
    if let Some(user_data) = &options.user_data {
        instance
            .set_server_user_data()
            .zone(&p.zone)
            .server_id(id)
            .key("cloud-init")
            .body(user_data.clone())
            .send()
            .await
            .map_err(crate::Error::from)?;
    }
    if let Some(network_id) = &options.network_id {
        let answer = instance
            .create_private_nic()
            .zone(&p.zone)
            .server_id(id)
            .body_map(|b| b.private_network_id(network_id.clone()))
            .send()
            .await
            .map_err(crate::Error::from)?;
        let incomplete = crate::Error::incomplete_answer(
            answer.status().as_u16(),
            answer.headers(),
            "no private NIC in the answer",
        );
        let nic = answer.into_inner().private_nic.ok_or(incomplete)?;
        let nic_id = nic.id.clone().unwrap_or_default();
        if nic.state != PrivateNicState::Available {
            wait_nic(p, id, &nic_id).await?;
        }
    }
    action(p, id, ServerAction::Poweron).await?;
    let server = get_existing(p, id).await?;
    Ok(to_server(p, &server))
}

async fn wait_nic(p: &ScalewayProvider, server_id: &str, nic_id: &str) -> ProviderResult<()> {
    let instance = p.client.instance();
    let outcome = wait_for(
        &p.options.wait,
        || async {
            Ok(instance
                .get_private_nic()
                .zone(&p.zone)
                .server_id(server_id)
                .private_nic_id(nic_id)
                .send()
                .await?
                .into_inner()
                .private_nic
                .map(|n| n.state))
        },
        |state: &Option<PrivateNicState>| match state {
            Some(PrivateNicState::Available) => Status::Reached,
            Some(PrivateNicState::SyncingError) => Status::Failed,
            _ => Status::Pending,
        },
    )
    .await?;
    let state = |s: &Option<PrivateNicState>| s.map(|s| s.to_string()).unwrap_or_else(|| "unknown".into());
    reached(outcome, format!("private NIC {nic_id} to be available"), state).map(|_| ())
}

/// Removes a private NIC of a server in `zone`; Ok if it is already gone.
pub(super) async fn remove_nic(
    p: &ScalewayProvider,
    zone: &Zone,
    server_id: &str,
    nic_id: &str,
) -> ProviderResult<()> {
    gone(
        p.client
            .instance()
            .delete_private_nic()
            .zone(zone)
            .server_id(server_id)
            .private_nic_id(nic_id)
            .send()
            .await,
    )
}

async fn action(p: &ScalewayProvider, id: &str, action: ServerAction) -> ProviderResult<()> {
    p.client
        .instance()
        .server_action()
        .zone(&p.zone)
        .server_id(id)
        .body_map(|b| b.action(action))
        .send()
        .await
        .map_err(crate::Error::from)?;
    Ok(())
}

/// Waits for a server state; `None` as the target waits for the server to be gone.
async fn wait_state(
    p: &ScalewayProvider,
    id: &str,
    options: &WaitOptions,
    target: Option<ServerState>,
) -> ProviderResult<Option<ApiServer>> {
    let what = match target {
        Some(state) => format!("server {id} to be {state}"),
        None => format!("server {id} to be deleted"),
    };
    let outcome = wait_for(
        options,
        || async {
            absent_as_none(
                p.client
                    .instance()
                    .get_server()
                    .zone(&p.zone)
                    .server_id(id)
                    .send()
                    .await,
            )
            .map(|answer| answer.and_then(|a| a.into_inner().server))
        },
        |server: &Option<ApiServer>| match (server, target) {
            (None, None) => Status::Reached,
            (None, Some(_)) => Status::Failed,
            (Some(s), Some(t)) if s.state == t => Status::Reached,
            (Some(s), _) if s.state == ServerState::Locked => Status::Failed,
            _ => Status::Pending,
        },
    )
    .await?;
    let state = |s: &Option<ApiServer>| {
        s.as_ref()
            .map(|s| s.state.to_string())
            .unwrap_or_else(|| "deleted".into())
    };
    match outcome {
        // Waiting for a state of a server that disappeared: it does not exist.
        Outcome::Failed(None) => Err(ProviderError::NotFound {
            kind: "server",
            name: id.to_string(),
        }),
        outcome => reached(outcome, what, state),
    }
}

pub(super) async fn wait_running(
    p: &ScalewayProvider,
    id: &str,
    max_attempts: u32,
) -> ProviderResult<Server> {
    check_id("server id", id)?;
    let interval = p.options.server_poll_interval;
    let options = WaitOptions::default()
        .max_polls(max_attempts.max(1))
        .first_interval(interval)
        .max_interval(interval)
        .factor(1.0)
        .timeout(interval.saturating_mul(max_attempts.max(1)) + Duration::from_secs(1));
    match wait_state(p, id, &options, Some(ServerState::Running)).await? {
        Some(server) => Ok(to_server(p, &server)),
        None => Err(ProviderError::NotFound {
            kind: "server",
            name: id.into(),
        }),
    }
}

pub(super) async fn power_on(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    check_id("server id", id)?;
    let server = get_existing(p, id).await?;
    let state = match server.state {
        // A stop ends in `stopped` or, for a stop in place, `stopped in place`: see which.
        ServerState::Stopping => settled_state(p, id).await?,
        state => state,
    };
    match state {
        ServerState::Running => return Ok(()),
        ServerState::Stopped | ServerState::StoppedInPlace => action(p, id, ServerAction::Poweron).await?,
        ServerState::Starting | ServerState::Stopping | ServerState::Locked => {}
    }
    wait_state(p, id, &p.options.wait, Some(ServerState::Running)).await?;
    Ok(())
}

/// The state a server in transition settles in; not found if it disappears meanwhile.
async fn settled_state(p: &ScalewayProvider, id: &str) -> ProviderResult<ServerState> {
    match wait_state_settled(p, id).await? {
        Some(server) => Ok(server.state),
        None => Err(ProviderError::NotFound {
            kind: "server",
            name: id.into(),
        }),
    }
}

pub(super) async fn power_off(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    check_id("server id", id)?;
    let server = get_existing(p, id).await?;
    let state = match server.state {
        ServerState::Starting | ServerState::Stopping => settled_state(p, id).await?,
        state => state,
    };
    match state {
        ServerState::Stopped => return Ok(()),
        // A server stopped in place still holds its node: power it off for good.
        ServerState::Running | ServerState::StoppedInPlace => action(p, id, ServerAction::Poweroff).await?,
        ServerState::Starting | ServerState::Stopping | ServerState::Locked => {}
    }
    wait_state(p, id, &p.options.wait, Some(ServerState::Stopped)).await?;
    Ok(())
}

pub(super) async fn delete(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    check_id("server id", id)?;
    let Some(mut server) = get(p, id).await? else {
        return Ok(());
    };
    // A server in transition accepts no action: let it settle first.
    if matches!(server.state, ServerState::Starting | ServerState::Stopping) {
        match wait_state_settled(p, id).await? {
            Some(settled) => server = settled,
            // It was being terminated (by an earlier, interrupted delete): the Block root volume
            // it leaves behind is still billed, so it goes too.
            None => return delete_root(p, root_volume(&server)).await,
        }
    }
    let instance = p.client.instance();

    // The root volume (index 0) belongs to the server; every other one is the user's.
    let root = root_volume(&server);
    for (index, volume) in server.volumes.iter().filter(|(index, _)| index.as_str() != "0") {
        let Some(volume_id) = volume.id.as_deref() else {
            continue;
        };
        tracing::info!(
            server_id = id,
            volume_id,
            index,
            "detaching a user volume before deleting its server"
        );
        match volume.volume_type {
            VolumeServerVolumeType::SbsVolume => volumes::detach_from(p, volume_id, id).await?,
            _ => {
                gone(
                    instance
                        .detach_server_volume()
                        .zone(&p.zone)
                        .server_id(id)
                        .body_map(|b| b.volume_id(volume_id))
                        .send()
                        .await,
                )?;
            }
        }
    }
    for nic in &server.private_nics {
        let Some(nic_id) = nic.id.as_deref() else { continue };
        remove_nic(p, &p.zone, id, nic_id).await?;
    }
    match server.state {
        // terminate deletes local volumes and detaches Block ones.
        ServerState::Running | ServerState::StoppedInPlace => {
            match action(p, id, ServerAction::Terminate).await {
                Err(e) if e.is_not_found() => {}
                other => other?,
            }
        }
        // DELETE of a stopped server deletes no volume at all.
        _ => gone(instance.delete_server().zone(&p.zone).server_id(id).send().await)?,
    }
    wait_state(p, id, &p.options.wait, None).await?;
    delete_root(p, root).await
}

/// The id and kind of a server's root volume (index 0).
fn root_volume(server: &ApiServer) -> Option<(String, VolumeServerVolumeType)> {
    server
        .volumes
        .get("0")
        .map(|v| (v.id.clone().unwrap_or_default(), v.volume_type))
        .filter(|(root_id, _)| !root_id.is_empty())
}

/// Deletes the root volume of a server that is gone.
async fn delete_root(
    p: &ScalewayProvider,
    root: Option<(String, VolumeServerVolumeType)>,
) -> ProviderResult<()> {
    let Some((root_id, kind)) = root else {
        return Ok(());
    };
    match kind {
        VolumeServerVolumeType::SbsVolume => volumes::delete_when_detached(p, &root_id).await,
        _ => gone(
            p.client
                .instance()
                .delete_volume()
                .zone(&p.zone)
                .volume_id(root_id.as_str())
                .send()
                .await,
        ),
    }
}

/// Waits until a server is running or stopped (or gone: `None`).
async fn wait_state_settled(p: &ScalewayProvider, id: &str) -> ProviderResult<Option<ApiServer>> {
    let outcome = wait_for(
        &p.options.wait,
        || async {
            absent_as_none(
                p.client
                    .instance()
                    .get_server()
                    .zone(&p.zone)
                    .server_id(id)
                    .send()
                    .await,
            )
            .map(|answer| answer.and_then(|a| a.into_inner().server))
        },
        |server: &Option<ApiServer>| match server {
            None => Status::Reached,
            Some(s) if matches!(s.state, ServerState::Starting | ServerState::Stopping) => Status::Pending,
            Some(_) => Status::Reached,
        },
    )
    .await?;
    match outcome {
        Outcome::Reached(server) | Outcome::Failed(server) => Ok(server),
        Outcome::TimedOut { last, .. } => Err(ProviderError::Timeout {
            what: format!("server {id} to settle"),
            last_state: last
                .map(|s| s.state.to_string())
                .unwrap_or_else(|| "deleted".into()),
        }),
    }
}
