//! The neutral catalogue (sizes, locations) and the credentials check.

use super::ScalewayProvider;
use crate::Zone;
use crate::provider::{Location, ProviderError, ProviderResult, Size};
use crate::resources::SIZE_CHOICES;

pub(super) async fn validate_credentials(p: &ScalewayProvider) -> ProviderResult<()> {
    // One call checks the key and the project every resource is created in: a valid key with a
    // project it cannot see would only fail later, at the first create. The error names the
    // cause, never the key.
    let project = p.scw.client().config().project_id().unwrap_or_default();
    match p
        .scw
        .client()
        .account()
        .get_project()
        .project_id(project)
        .send()
        .await
        .map_err(crate::Error::from)
    {
        Ok(_) => Ok(()),
        Err(e) if e.is_not_found() => Err(ProviderError::invalid(
            "project id",
            format!("project {project} does not exist or the key cannot see it"),
        )),
        Err(e) => Err(e.into()),
    }
}

pub(super) async fn sizes(p: &ScalewayProvider) -> ProviderResult<Vec<Size>> {
    let catalog = p.scw.catalog().zone(p.zone.clone());
    let types = catalog.server_types().await?;
    let availability = catalog.availability().await?;
    let mut sizes = Vec::new();
    for (name, candidates) in SIZE_CHOICES {
        let offered = candidates
            .iter()
            .find(|c| types.contains_key(**c))
            .or(candidates.first());
        let Some(instance_type) = offered else { continue };
        let details = types.get(*instance_type);
        let available = details.is_some() && availability.get(*instance_type).is_none_or(|a| a != "shortage");
        sizes.push(Size {
            name: name.to_string(),
            instance_type: instance_type.to_string(),
            vcpus: details.and_then(|t| t.ncpus),
            memory_gb: details.and_then(|t| t.ram).map(|bytes| bytes / 1_000_000_000),
            available,
        });
    }
    Ok(sizes)
}

pub(super) fn locations() -> Vec<Location> {
    Zone::KNOWN
        .iter()
        .map(|zone| {
            let region = zone.region();
            let (city, country) = match region.as_str() {
                "fr-par" => ("Paris", "FR"),
                "nl-ams" => ("Amsterdam", "NL"),
                "pl-waw" => ("Warsaw", "PL"),
                "it-mil" => ("Milan", "IT"),
                _ => ("", ""),
            };
            Location {
                name: zone.to_string(),
                region: region.to_string(),
                city: city.into(),
                country: country.into(),
            }
        })
        .collect()
}
