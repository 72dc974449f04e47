//! Firewalls as Instance security groups: stateful, inbound dropped but SSH, outbound accepted.

use super::{ScalewayProvider, check_id, check_name, found, gone};
use crate::api::instance_v1::types::{
    SecurityGroup, SecurityGroupPolicy, SecurityGroupRuleAction, SecurityGroupRuleDirection,
    SecurityGroupRuleProtocol,
};
use crate::paginate::{Page, collect_all};
use crate::provider::{Firewall, ProviderError, ProviderResult};

fn to_firewall(group: &SecurityGroup) -> Firewall {
    Firewall {
        id: group.id.clone().unwrap_or_default(),
        name: group.name.clone().unwrap_or_default(),
    }
}

async fn find_raw(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<SecurityGroup>> {
    let instance = p.client.instance();
    let candidates = collect_all(100, |request| {
        let instance = instance.clone();
        async move {
            let answer = instance
                .list_security_groups()
                .zone(&p.zone)
                .project(p.project_id.as_str())
                .name(name)
                .page(request.page as i32)
                .per_page(request.size)
                .send()
                .await?;
            Ok(Page::from_instance(answer, |body| body.security_groups))
        }
    })
    .await?;
    Ok(candidates.into_iter().find(|g| g.name.as_deref() == Some(name)))
}

pub(super) async fn find(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<Firewall>> {
    Ok(find_raw(p, name).await?.as_ref().map(to_firewall))
}

pub(super) async fn find_or_create(p: &ScalewayProvider, name: &str) -> ProviderResult<Firewall> {
    check_name("firewall name", name)?;
    let lock = p.create_lock("firewall", p.zone.as_str(), name);
    let _one_at_a_time = lock.lock().await;
    if let Some(existing) = find_raw(p, name).await? {
        return Ok(to_firewall(&existing));
    }
    let instance = p.client.instance();
    let created = instance
        .create_security_group()
        .zone(&p.zone)
        .body_map(|b| {
            b.name(name.to_string())
                .project(p.project_id.clone())
                .stateful(true)
                .inbound_default_policy(SecurityGroupPolicy::Drop)
                .outbound_default_policy(SecurityGroupPolicy::Accept)
                .enable_default_security(true)
        })
        .send()
        .await;
    let group = match created {
        Ok(answer) => {
            let incomplete = crate::Error::incomplete_answer(
                answer.status().as_u16(),
                answer.headers(),
                "no security group in the answer",
            );
            answer.into_inner().security_group.ok_or(incomplete)?
        }
        Err(e) => {
            let e = crate::Error::from(e);
            // An ambiguous failure may have created it (nothing had this name a moment ago, under
            // the lock): if so, it still lacks its SSH rule, added below.
            if !e.may_have_been_applied() {
                return Err(e.into());
            }
            match find_raw(p, name).await? {
                Some(group) => group,
                None => return Err(e.into()),
            }
        }
    };
    let firewall = to_firewall(&group);
    let ssh = instance
        .create_security_group_rule()
        .zone(&p.zone)
        .security_group_id(firewall.id.as_str())
        .body_map(|b| {
            b.protocol(SecurityGroupRuleProtocol::Tcp)
                .direction(SecurityGroupRuleDirection::Inbound)
                .action(SecurityGroupRuleAction::Accept)
                .ip_range("0.0.0.0/0")
                .dest_port_from(22)
        })
        .send()
        .await;
    if let Err(e) = ssh {
        // A firewall without its SSH rule would lock the user out: remove it and report.
        let original = ProviderError::from(crate::Error::from(e));
        return match gone(
            instance
                .delete_security_group()
                .zone(&p.zone)
                .security_group_id(firewall.id.as_str())
                .send()
                .await,
        ) {
            Ok(()) => Err(original),
            Err(cleanup) => Err(ProviderError::CleanupFailed {
                original: Box::new(original),
                cleanup: Box::new(cleanup),
            }),
        };
    }
    Ok(firewall)
}

pub(super) async fn delete(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    check_id("firewall id", id)?;
    let instance = p.client.instance();
    let Some(group) = found(
        instance
            .get_security_group()
            .zone(&p.zone)
            .security_group_id(id)
            .send()
            .await,
    )?
    .and_then(|answer| answer.into_inner().security_group) else {
        return Ok(());
    };
    if !group.servers.is_empty() {
        return Err(ProviderError::InUse {
            kind: "firewall",
            id: id.to_string(),
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
        });
    }
    gone(
        instance
            .delete_security_group()
            .zone(&p.zone)
            .security_group_id(id)
            .send()
            .await,
    )
}
