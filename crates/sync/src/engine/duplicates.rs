//! Duplicate events: the same start, end and summary under different UIDs
//! (an import made twice, a client that copied instead of moving). Each
//! item's key is kept in the status database as it is written (and taken
//! again from the local item when it is missing or stale); before detection
//! the groups are reported and, when asked, the others of each group are
//! deleted locally (the vdir's trash keeps them): the same run's detection
//! then finds them deleted, and the plan deletes their server copies on
//! the usual path, checked like every deletion.

use super::reader::Reader;
use super::*;
use crate::report::DuplicateGroup;

/// What a run does about duplicate events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Duplicates {
    /// Not looked for (and no keys kept): tasks, contacts.
    #[default]
    Off,
    /// Listed in the report.
    Report,
    /// The oldest of each group kept, the others deleted on both sides
    /// (in two-way and to-server modes; reported only in the others).
    Remove,
}

impl Duplicates {
    /// Whether items' keys are kept.
    pub(super) fn on(self) -> bool {
        self != Duplicates::Off
    }
}

/// Looks for duplicates before detection (see the module's text).
pub(super) async fn look_for_duplicates(
    job: &SyncJob<'_>,
    reader: &Reader<'_, '_>,
    report: &mut Report,
) -> Result<(), EngineError> {
    let options = job.options;
    if !options.duplicates.on() {
        return Ok(());
    }
    if !options.dry_run {
        take_missing_keys(job, reader).await?;
    }
    let groups = job.status.duplicate_groups()?;
    let removing = options.duplicates == Duplicates::Remove
        && !options.dry_run
        && options
            .mode
            .one_way()
            .is_none_or(|(source, _)| source == Side::Local);
    let others: usize = groups.iter().map(|g| g.len() - 1).sum();
    let known = job.status.count()?;
    let refused = removing
        && !options.force
        && others * 100 > usize::from(options.max_delete_percent) * known;
    if refused {
        report.refuse(Refusal::TooManyDeletes {
            side: Side::Local,
            deletes: others,
            of: known,
            percent: others * 100 / known.max(1),
            limit_percent: options.max_delete_percent,
        });
    }
    for group in groups {
        let mut uids = group.into_iter().map(|k| k.uid);
        let Some(kept) = uids.next() else { continue };
        let others: Vec<String> = uids.collect();
        let mut removed = Vec::new();
        if removing && !refused {
            for uid in &others {
                if remove_local(job, report, uid).await? {
                    removed.push(uid.clone());
                }
            }
        }
        tracing::info!(%kept, ?others, ?removed, "duplicate events");
        report.duplicates.push(DuplicateGroup {
            kept,
            others,
            removed,
        });
    }
    if report.duplicates.iter().any(|g| !g.removed.is_empty())
        && let Err(source) = job.local.flush().await
    {
        return Err(EngineError::Flush {
            side: Side::Local,
            source,
        });
    }
    Ok(())
}

/// Deletes a duplicate's local copy, as the status knows it (a copy changed
/// since is left alone, with a warning); whether it was deleted.
async fn remove_local(
    job: &SyncJob<'_>,
    report: &mut Report,
    uid: &str,
) -> Result<bool, EngineError> {
    let Some(row) = job.status.get(uid)? else {
        return Ok(false);
    };
    let href = &row.local.href;
    match job.local.delete(href, &row.local.version).await {
        Ok(()) => {
            report.local.deleted += 1;
            Ok(true)
        }
        Err(StoreError::NotFound { .. }) => Ok(false),
        Err(e) => {
            report.item_message(
                true,
                Side::Local,
                Some(href),
                Some(uid),
                format!("a duplicate, not removed: {e}"),
            );
            Ok(false)
        }
    }
}

/// Takes the key of every item that has none valid for its local content
/// (items synced by an earlier version, or changed by one that kept none),
/// from the local store, in one transaction.
async fn take_missing_keys(job: &SyncJob<'_>, reader: &Reader<'_, '_>) -> Result<(), EngineError> {
    let unkeyed = job.status.unkeyed()?;
    if unkeyed.is_empty() {
        return Ok(());
    }
    let hrefs: Vec<String> = unkeyed.iter().map(|(_, href)| href.clone()).collect();
    let fetched = reader.fetch_many(Side::Local, &hrefs).await;
    let db = job.status;
    let transaction = db.transaction()?;
    let mut taken = 0;
    for ((uid, _), result) in unkeyed.iter().zip(fetched) {
        // Unreadable or gone: detection will say so; the key waits.
        let Ok(item) = result
            .map_err(drop)
            .and_then(|f| Item::parse(f.body).map_err(drop))
        else {
            continue;
        };
        if item.uid() != uid {
            continue;
        }
        let Some(row) = db.get(uid)? else { continue };
        note_key(db, uid, &row.local.hash, &item)?;
        taken += 1;
    }
    transaction.commit()?;
    tracing::info!(
        taken,
        of = unkeyed.len(),
        "duplicate keys taken from the local items"
    );
    Ok(())
}

/// Records an item's duplicate key for its local content.
pub(super) fn note_key(
    db: &StatusDb,
    uid: &str,
    local_hash: &str,
    local: &Item,
) -> Result<(), crate::status::StatusError> {
    let (key, age) = local.duplicate_key_and_age();
    db.set_event_key(uid, local_hash, key.as_deref(), &age)
}
