//! Instance security groups: found or created by name with their inbound rules, deleted only
//! when no server uses them.

use futures_util::{Stream, TryStreamExt};

use super::{
    check_id, check_name, create_once, find_by_exact_name, ignore_missing, listing_or_error, named_lock,
    optional, refused_for_its_state, zonal_handler,
};
use crate::api::instance_v1::types::{
    SecurityGroup, SecurityGroupPolicy, SecurityGroupRuleAction, SecurityGroupRuleDirection,
    SecurityGroupRuleProtocol,
};
use crate::{Error, Result};

/// What a new security group holds: stateful, inbound dropped but for the listed TCP ports,
/// outbound accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecurityGroupSpec {
    /// Inbound TCP ports accepted, each with the IP range it is accepted from.
    pub inbound_tcp: Vec<(u16, String)>,
}

impl Default for SecurityGroupSpec {
    /// Inbound closed but SSH (22) from anywhere.
    fn default() -> Self {
        SecurityGroupSpec {
            inbound_tcp: vec![(22, "0.0.0.0/0".into())],
        }
    }
}

impl SecurityGroupSpec {
    /// Inbound closed entirely.
    pub fn closed() -> Self {
        SecurityGroupSpec {
            inbound_tcp: Vec::new(),
        }
    }

    /// Accepts one more inbound TCP port from an IP range (`0.0.0.0/0` for anywhere).
    pub fn allow_tcp(mut self, port: u16, ip_range: impl Into<String>) -> Self {
        self.inbound_tcp.push((port, ip_range.into()));
        self
    }
}

/// Whether the API's range (it writes a single address as `/32`) is the one asked for.
fn same_range(api: Option<&str>, asked: &str) -> bool {
    let Some(api) = api else { return false };
    let bare = |r: &str| r.strip_suffix("/32").unwrap_or(r).to_string();
    bare(api) == bare(asked)
}

zonal_handler!(
    /// Security groups of a zone. From [`Scaleway::security_groups`](super::Scaleway::security_groups).
    SecurityGroups
);

impl SecurityGroups<'_> {
    /// The group, `None` if it does not exist.
    pub async fn get(&self, group_id: &str) -> Result<Option<SecurityGroup>> {
        check_id("security group id", group_id)?;
        Ok(optional(
            self.scw
                .apis()
                .instance
                .get_security_group()
                .zone(&self.zone)
                .security_group_id(group_id)
                .send()
                .await,
        )?
        .and_then(|a| a.into_inner().security_group))
    }

    /// The project's groups, filtered by name (a substring, as the API matches), lazily.
    pub fn list<'s>(&'s self, name: Option<&'s str>) -> impl Stream<Item = Result<SecurityGroup>> + 's {
        listing_or_error(self.scw.project_id().map(|project| {
            let mut call = self
                .scw
                .apis()
                .instance
                .list_security_groups()
                .zone(&self.zone)
                .project(project);
            if let Some(name) = name {
                call = call.name(name);
            }
            call.stream()
        }))
    }

    /// The project's group named exactly `name`, if any.
    pub async fn find_by_name(&self, name: &str) -> Result<Option<SecurityGroup>> {
        check_name("security group name", name)?;
        find_by_exact_name(self.list(Some(name)), name, |g| g.name.as_deref()).await
    }

    /// The group named `name`, created from `spec` if there is none. A group created here gets
    /// its rules before it is returned; if a rule cannot be added, the group is deleted again (a
    /// group without its SSH rule would lock its servers' users out).
    pub async fn find_or_create(&self, name: &str, spec: &SecurityGroupSpec) -> Result<SecurityGroup> {
        check_name("security group name", name)?;
        for (_, range) in &spec.inbound_tcp {
            if range.parse::<std::net::IpAddr>().is_err() && !range.contains('/') {
                return Err(Error::invalid_input(
                    "ip range",
                    format!("`{range}` is not an IP range"),
                ));
            }
        }
        let project = self.scw.project_id()?;
        let lock = named_lock("security group", self.zone.as_str(), project, name);
        let _one_at_a_time = lock.lock().await;
        if let Some(existing) = self.find_by_name(name).await? {
            return Ok(existing);
        }
        let instance = &self.scw.apis().instance;
        let options = &self.scw.options().wait;
        let post = || async {
            let answer = instance
                .create_security_group()
                .zone(&self.zone)
                .body_map(|b| {
                    b.name(name.to_string())
                        .project(project.to_string())
                        .stateful(true)
                        .inbound_default_policy(SecurityGroupPolicy::Drop)
                        .outbound_default_policy(SecurityGroupPolicy::Accept)
                        .enable_default_security(true)
                })
                .send()
                .await?;
            let incomplete = Error::incomplete_answer(
                answer.status().as_u16(),
                answer.headers(),
                "no security group in the answer",
            );
            answer.into_inner().security_group.ok_or(incomplete)
        };
        // Nothing had this name a moment ago, under the lock: one found now is the one sent (and
        // still lacks its rules, added below).
        let group = create_once(options, "security group", post, || self.find_by_name(name)).await?;
        let group_id = group.id.clone().unwrap_or_default();
        for (port, range) in &spec.inbound_tcp {
            if let Err(original) = self.add_inbound_tcp(&group_id, *port, range).await {
                return Err(Error::with_cleanup(
                    original,
                    self.delete_unchecked(&group_id).await,
                ));
            }
        }
        Ok(group)
    }

    /// Adds one inbound TCP accept rule, exactly once: a rule whose answer is lost is looked for
    /// among the group's rules before it is sent again.
    async fn add_inbound_tcp(&self, group_id: &str, port: u16, range: &str) -> Result<()> {
        let instance = &self.scw.apis().instance;
        let post = || async {
            instance
                .create_security_group_rule()
                .zone(&self.zone)
                .security_group_id(group_id)
                .body_map(|b| {
                    b.protocol(SecurityGroupRuleProtocol::Tcp)
                        .direction(SecurityGroupRuleDirection::Inbound)
                        .action(SecurityGroupRuleAction::Accept)
                        .ip_range(range.to_string())
                        .dest_port_from(u32::from(port))
                })
                .send()
                .await?;
            Ok(())
        };
        let lookup = || async {
            let rules: Vec<_> = instance
                .list_security_group_rules()
                .zone(&self.zone)
                .security_group_id(group_id)
                .stream()
                .try_collect()
                .await?;
            let there = rules.iter().any(|r| {
                r.protocol == Some(SecurityGroupRuleProtocol::Tcp)
                    && r.direction == Some(SecurityGroupRuleDirection::Inbound)
                    && r.action == Some(SecurityGroupRuleAction::Accept)
                    && r.dest_port_from == Some(u32::from(port))
                    && same_range(r.ip_range.as_deref(), range)
            });
            Ok(there.then_some(()))
        };
        create_once(&self.scw.options().wait, "security group rule", post, lookup).await
    }

    /// Deletes a group; [`Error::InUse`] naming the servers that still use it (the API refuses
    /// the delete, nothing changes); Ok if it is already gone, so a DELETE whose answer was lost
    /// and is sent again ends well.
    ///
    /// The DELETE is sent first, with no read before it: the API refuses to delete a group in
    /// use, so a read would only tell the same thing one call earlier. Only a refusal is read, to
    /// name the servers.
    pub async fn delete(&self, group_id: &str) -> Result<()> {
        check_id("security group id", group_id)?;
        let refusal = match self.delete_unchecked(group_id).await {
            Ok(()) => return Ok(()),
            Err(e) if refused_for_its_state(&e) => e,
            Err(e) => return Err(e),
        };
        let Some(group) = self.get(group_id).await? else {
            return Ok(());
        };
        if group.servers.is_empty() {
            // Refused for another reason than its servers (the project's default group, say).
            return Err(refusal);
        }
        Err(Error::InUse {
            kind: "security group".into(),
            id: group_id.to_string(),
            users: group
                .servers
                .iter()
                .map(|s| {
                    format!(
                        "server {} ({})",
                        s.name.as_deref().unwrap_or("?"),
                        s.id.as_deref().unwrap_or("?")
                    )
                })
                .collect(),
        })
    }

    async fn delete_unchecked(&self, group_id: &str) -> Result<()> {
        ignore_missing(
            self.scw
                .apis()
                .instance
                .delete_security_group()
                .zone(&self.zone)
                .security_group_id(group_id)
                .send()
                .await,
        )
    }
}
