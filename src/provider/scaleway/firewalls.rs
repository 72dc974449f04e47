//! Firewalls as Instance security groups: stateful, inbound dropped but SSH, outbound accepted.

use super::ScalewayProvider;
use crate::api::instance_v1::types::SecurityGroup;
use crate::provider::{Firewall, ProviderResult};
use crate::resources::SecurityGroupSpec;

fn to_firewall(group: &SecurityGroup) -> Firewall {
    Firewall {
        id: group.id.clone().unwrap_or_default(),
        name: group.name.clone().unwrap_or_default(),
    }
}

pub(super) async fn find(p: &ScalewayProvider, name: &str) -> ProviderResult<Option<Firewall>> {
    let groups = p.scw.security_groups().zone(p.zone.clone());
    Ok(groups.find_by_name(name).await?.as_ref().map(to_firewall))
}

pub(super) async fn find_or_create(p: &ScalewayProvider, name: &str) -> ProviderResult<Firewall> {
    let groups = p.scw.security_groups().zone(p.zone.clone());
    Ok(to_firewall(
        &groups.find_or_create(name, &SecurityGroupSpec::default()).await?,
    ))
}

pub(super) async fn delete(p: &ScalewayProvider, id: &str) -> ProviderResult<()> {
    Ok(p.scw.security_groups().zone(p.zone.clone()).delete(id).await?)
}
