//! Groups whose member contacts a run deleted: each such member becomes a
//! `mailto:` member with the contact's last-known name and e-mail, or goes
//! (`group_dangling`), so no group names a contact that is not there.
//!
//! The executor notes what it knows of each contact it deletes (read from
//! the copy being deleted, just before). When a run deleted any, `sync`
//! repairs the groups in the folder (a local edit, version-checked like any
//! write) and runs once more, which takes the repaired groups to the server
//! through the usual stages (`engine.rs`).

use super::execute::Executor;
use super::members::card_ref;
use super::reader::Reader;
use super::*;
use davsync_pim::Dangling;

impl Executor<'_, '_, '_> {
    /// Before `uid` is deleted on `on`: what is known of it, if it is a
    /// contact and the profile syncs groups.
    pub(super) async fn note_deleting(&mut self, uid: &str, on: Side, snapshot: &mut Snapshot) {
        if repairs(self.job).is_none() {
            return;
        }
        let Ok(item) = self.reader.load(on, uid, snapshot).await else {
            return;
        };
        if item.kind() == davsync_pim::ItemKind::Contact && !item.is_group_or_list() {
            self.deleting.insert(uid.to_string(), card_ref(&item, None));
        }
    }
}

/// Whether the run may edit the folder's groups: groups are synced, and the
/// folder is a source of the mode (a replica of the server is not edited).
pub(super) fn repairs(job: &SyncJob<'_>) -> Option<Dangling> {
    let local_is_source = job
        .options
        .mode
        .one_way()
        .is_none_or(|(source, _)| source == Side::Local);
    job.mapping
        .member_repair()
        .filter(|_| local_is_source && !job.options.dry_run)
}

/// Repairs the folder's groups naming a contact of `gone`; returns how many
/// were rewritten.
pub(super) async fn repair_groups(
    job: &SyncJob<'_>,
    reader: &Reader<'_, '_>,
    report: &mut Report,
    gone: &HashMap<String, CardRef>,
) -> Result<usize, EngineError> {
    let Some(dangling) = repairs(job) else {
        return Ok(0);
    };
    if gone.is_empty() {
        return Ok(0);
    }
    let listed = job
        .local
        .list()
        .await
        .map_err(|source| EngineError::Listing {
            side: Side::Local,
            store: job.local.describe(),
            source,
        })?;
    let hrefs: Vec<String> = listed.into_iter().map(|l| l.href).collect();
    let known = |uid: &str| gone.get(uid).cloned();
    let mut repaired = 0;
    for chunk in hrefs.chunks(job.options.batch_size.max(1)) {
        for fetched in reader.fetch_many(Side::Local, chunk).await {
            let Ok(fetched) = fetched else { continue };
            let Ok(item) = Item::parse(fetched.body) else {
                continue;
            };
            if item.group_shape().is_none() {
                continue;
            }
            let Ok(fixed) = item.with_members_gone(&known, dangling) else {
                continue;
            };
            if fixed == item {
                continue;
            }
            let uid = item.uid().to_string();
            match job
                .local
                .update(&fetched.href, &fetched.version, fixed.body())
                .await
            {
                Ok(_) => {
                    tracing::info!(%uid, "group: members whose contacts were deleted repaired");
                    report.local.updated += 1;
                    repaired += 1;
                }
                // Changed meanwhile: the next run sees the change, and the
                // mapping keeps such a member when the group comes back.
                Err(e) => report.item_message(
                    true,
                    Side::Local,
                    Some(&fetched.href),
                    Some(&uid),
                    format!("group: members of deleted contacts not repaired: {e}"),
                ),
            }
        }
    }
    if repaired > 0
        && let Err(source) = job.local.flush().await
    {
        return Err(EngineError::Flush {
            side: Side::Local,
            source,
        });
    }
    Ok(repaired)
}
