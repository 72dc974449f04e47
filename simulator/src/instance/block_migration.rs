//! Instance v1 block migration: the move of `b_ssd` volumes and their snapshots from the Instance
//! API to Block Storage, planned, then applied with the plan's validation key.

use std::hash::{Hash, Hasher};

use serde_json::{Value, json};

use crate::catalog::ZONES;
use crate::http::{self as h, Ctx, Reply, Req, Res, Routes, s};

use crate::store::{BLOCK_MIGRATION_SECONDS, Store, scaled};

use super::snapshots::snapshot_json;

pub(super) const OPERATIONS: Routes = &[
    ("PlanBlockMigration", plan),
    ("ApplyBlockMigration", apply),
    ("CheckBlockMigrationOrganizationQuotas", check_quotas),
];

/// Snapshot types that move with their volume: `b_ssd` ones, and `unified` ones (usable by both
/// kinds of volume).
const MIGRATABLE_SNAPSHOTS: &[&str] = &["b_ssd", "unified"];

/// What moves together: a volume (if it is still an Instance `b_ssd` volume) and the snapshots
/// taken from it, oldest first.
#[derive(Debug, PartialEq)]
pub(super) struct MigrationPlan {
    pub volume: Option<String>,
    pub snapshots: Vec<String>,
}

impl MigrationPlan {
    /// The key that confirms this plan: it changes whenever what the plan moves changes (a
    /// snapshot taken or deleted since), so that a stale plan cannot be applied.
    fn validation_key(&self, zone: &str) -> String {
        let mut hasher = std::hash::DefaultHasher::new();
        (zone, &self.volume, &self.snapshots).hash(&mut hasher);
        format!("{:016x}", hasher.finish())
    }
}

fn not_migratable(what: &str) -> Reply {
    h::precondition(
        "unknown_precondition",
        format!("{what}: only b_ssd volumes and their b_ssd or unified snapshots can be migrated"),
    )
}

/// The migratable snapshots taken from `volume_id` in `zone`, oldest first.
fn snapshots_of(st: &Store, zone: &str, volume_id: &str) -> Vec<String> {
    let mut found: Vec<_> = st
        .isnapshots
        .values()
        .filter(|s| {
            s.zone == zone
                && MIGRATABLE_SNAPSHOTS.contains(&s.volume_type.as_str())
                && s.base_volume.as_ref().is_some_and(|(id, _)| id == volume_id)
        })
        .collect();
    found.sort_by_key(|s| s.seq);
    found.into_iter().map(|s| s.id.clone()).collect()
}

/// The plan of a volume: the volume and every snapshot taken from it.
pub(super) fn volume_plan(st: &Store, zone: &str, volume_id: &str) -> Result<MigrationPlan, Reply> {
    let volume = st
        .ivolumes
        .get(volume_id)
        .filter(|v| v.zone == zone)
        .ok_or_else(|| h::not_found("instance_volume", volume_id))?;
    if volume.volume_type != "b_ssd" {
        return Err(not_migratable(&format!(
            "volume {volume_id} is {}",
            volume.volume_type
        )));
    }
    Ok(MigrationPlan {
        volume: Some(volume.id.clone()),
        snapshots: snapshots_of(st, zone, volume_id),
    })
}

/// The plan of a snapshot: its volume's plan while that volume is an Instance `b_ssd` one, else
/// the snapshots taken from the same volume.
pub(super) fn snapshot_plan(st: &Store, zone: &str, snapshot_id: &str) -> Result<MigrationPlan, Reply> {
    let snapshot = st
        .isnapshots
        .get(snapshot_id)
        .filter(|s| s.zone == zone)
        .ok_or_else(|| h::not_found("instance_snapshot", snapshot_id))?;
    if !MIGRATABLE_SNAPSHOTS.contains(&snapshot.volume_type.as_str()) {
        return Err(not_migratable(&format!(
            "snapshot {snapshot_id} is {}",
            snapshot.volume_type
        )));
    }
    let Some((base, _)) = snapshot.base_volume.as_ref() else {
        return Ok(MigrationPlan {
            volume: None,
            snapshots: vec![snapshot.id.clone()],
        });
    };
    if st.ivolumes.get(base).is_some_and(|v| v.volume_type == "b_ssd") {
        return volume_plan(st, zone, base);
    }
    Ok(MigrationPlan {
        volume: None,
        snapshots: snapshots_of(st, zone, base),
    })
}

/// The plan a body asks for: of its `volume_id` or of its `snapshot_id`, exactly one of them.
fn plan_of(st: &Store, zone: &str, body: &Value) -> Result<MigrationPlan, Reply> {
    match (s(body, "volume_id"), s(body, "snapshot_id")) {
        (Some(volume), None) => volume_plan(st, zone, volume),
        (None, Some(snapshot)) => snapshot_plan(st, zone, snapshot),
        _ => Err(h::invalid_arguments(
            ["volume_id", "snapshot_id"]
                .iter()
                .map(|k| {
                    (
                        k.to_string(),
                        "constraint",
                        "exactly one of volume_id and snapshot_id must be set".into(),
                    )
                })
                .collect(),
        )),
    }
}

fn plan(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?;
    let body = req.json()?;
    let plan = plan_of(st, zone, &body)?;
    let volume = plan
        .volume
        .as_ref()
        .and_then(|id| st.ivolumes.get(id))
        .map(|v| super::views::ivolume_json(st, v, false));
    let snapshots: Vec<Value> = plan
        .snapshots
        .iter()
        .filter_map(|id| st.isnapshots.get(id))
        .map(|s| snapshot_json(st, s, ctx.now))
        .collect();
    Ok(Reply::ok(json!({
        "volume": volume,
        "snapshots": snapshots,
        "validation_key": plan.validation_key(zone),
    })))
}

/// Moves what the plan lists to Block Storage, if the key is the current plan's: 204, the
/// volume and snapshots gone from the Instance API, in Block Storage under the same ids.
fn apply(st: &mut Store, ctx: &Ctx, req: &Req) -> Res {
    let zone = h::zone_among(req, ZONES)?;
    let body = req.json()?;
    let Some(key) = s(&body, "validation_key") else {
        return Err(h::required(&["validation_key"]));
    };
    let plan = plan_of(st, zone, &body)?;
    if key != plan.validation_key(zone) {
        return Err(h::precondition(
            "unknown_precondition",
            "validation_key does not match the current migration plan: plan the migration again",
        ));
    }
    let until = ctx.now + scaled(BLOCK_MIGRATION_SECONDS, ctx.scale);
    if let Some(volume) = &plan.volume {
        st.migrate_volume_to_block(volume, until);
    }
    for snapshot in &plan.snapshots {
        st.migrate_snapshot_to_block(snapshot, until);
    }
    Ok(Reply::no_content())
}

/// The simulator has no quotas: the account's organization always has room (204); another
/// organization is not the account's to ask about.
fn check_quotas(st: &mut Store, _: &Ctx, req: &Req) -> Res {
    h::zone_among(req, ZONES)?;
    let body = req.json()?;
    match s(&body, "organization") {
        Some(org) if org != st.organization => Err(h::permissions_denied("read", "instance_block_migration")),
        _ => Ok(Reply::no_content()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Credentials, InstanceSnapshot, InstanceVolume, instance_time};

    const ZONE: &str = "fr-par-1";

    fn store() -> Store {
        let credentials = Credentials {
            secret_key: "key".into(),
            project_id: "11111111-1111-1111-1111-111111111111".into(),
            organization_id: "11111111-1111-1111-1111-111111111111".into(),
        };
        Store::new(&credentials, &[], 0)
    }

    /// A `b_ssd` Instance volume: the API makes none any more, but accounts still hold some.
    fn add_b_ssd_volume(st: &mut Store, id: &str) {
        let seq = st.next_seq();
        st.ivolumes.insert(
            id.into(),
            InstanceVolume {
                id: id.into(),
                seq,
                name: "legacy".into(),
                zone: ZONE.into(),
                project: st.default_project.clone(),
                organization: st.organization.clone(),
                volume_type: "b_ssd".into(),
                size: 20_000_000_000,
                server: None,
                deleting: false,
                tags: vec!["old".into()],
                created: instance_time(),
                modified: instance_time(),
            },
        );
    }

    fn planned(plan: Result<MigrationPlan, Reply>) -> MigrationPlan {
        plan.unwrap_or_else(|refusal| panic!("refused with {}", refusal.status))
    }

    fn add_snapshot(st: &mut Store, id: &str, volume: &str, volume_type: &str) {
        let seq = st.next_seq();
        st.isnapshots.insert(
            id.into(),
            InstanceSnapshot {
                id: id.into(),
                seq,
                name: format!("snap-{id}"),
                zone: ZONE.into(),
                project: st.default_project.clone(),
                organization: st.organization.clone(),
                volume_type: volume_type.into(),
                size: 20_000_000_000,
                base_volume: Some((volume.into(), "legacy".into())),
                tags: Vec::new(),
                snapshotting_until: None,
                created: instance_time(),
                modified: instance_time(),
                exporting_until: None,
                importing_until: None,
            },
        );
    }

    #[test]
    fn a_volume_plan_moves_the_volume_and_its_snapshots_to_block_storage() {
        let mut st = store();
        add_b_ssd_volume(&mut st, "vol");
        add_snapshot(&mut st, "s1", "vol", "b_ssd");
        add_snapshot(&mut st, "s2", "vol", "unified");
        add_snapshot(&mut st, "other", "elsewhere", "b_ssd");
        let plan = planned(volume_plan(&st, ZONE, "vol"));
        assert_eq!(plan.volume.as_deref(), Some("vol"));
        assert_eq!(plan.snapshots, vec!["s1".to_string(), "s2".to_string()]);
        // Planned from one of its snapshots, the plan is the same, and so is its key.
        let from_snapshot = planned(snapshot_plan(&st, ZONE, "s2"));
        assert_eq!(from_snapshot, plan);
        assert_eq!(from_snapshot.validation_key(ZONE), plan.validation_key(ZONE));

        let now = tokio::time::Instant::now();
        let until = now + std::time::Duration::from_secs(10);
        st.migrate_volume_to_block("vol", until);
        for s in &plan.snapshots {
            st.migrate_snapshot_to_block(s, until);
        }
        assert!(!st.ivolumes.contains_key("vol"));
        let moved = &st.bvolumes["vol"];
        assert_eq!(
            (moved.size, moved.tags.clone()),
            (20_000_000_000, vec!["old".to_string()])
        );
        assert!(moved.update.is_some(), "updating while the move settles");
        assert!(!st.isnapshots.contains_key("s1") && st.isnapshots.contains_key("other"));
        let snapshot = &st.bsnapshots["s1"];
        assert_eq!(
            snapshot.parent_volume.as_ref().map(|p| p.id.as_str()),
            Some("vol")
        );
        st.tick(until);
        assert!(st.bvolumes["vol"].update.is_none(), "available once settled");
        assert!(st.bsnapshots["s2"].creating_until.is_none());
    }

    #[test]
    fn a_snapshot_taken_since_the_plan_changes_the_key() {
        let mut st = store();
        add_b_ssd_volume(&mut st, "vol");
        let before = planned(volume_plan(&st, ZONE, "vol")).validation_key(ZONE);
        add_snapshot(&mut st, "s1", "vol", "b_ssd");
        let after = planned(volume_plan(&st, ZONE, "vol")).validation_key(ZONE);
        assert_ne!(before, after);
    }
}
