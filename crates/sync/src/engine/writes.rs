//! The writes of an operation: prepared (sources read and mapped), sent,
//! and their outcome recorded as the item's status row.

use super::duplicates;
use super::execute::Executor;
use super::map::Around;
use super::plan::Target;
use super::*;

/// An operation made ready to run: its sources read and mapped, its writes
/// built (and, once sent, their results).
pub(super) enum Prepared {
    /// A copy or a deletion: one write.
    Write(Sent),
    /// Keep both: the losing version kept as a new item on both sides (unless
    /// a killed run made that copy already), then the winner copied over it.
    KeepBoth {
        copies: Option<Box<[Sent; 2]>>,
        main: Sent,
    },
    /// The same item on both sides: its status row.
    Link(StatusRow),
    /// Gone from both sides: its status row is dropped.
    Forget(String),
}

/// A write and, once sent, its result.
pub(super) struct Sent {
    pub(super) write: PreparedWrite,
    pub(super) result: Option<Result<Option<Written>, StoreError>>,
}

impl Sent {
    pub(super) fn new(write: PreparedWrite) -> Sent {
        Sent {
            write,
            result: None,
        }
    }
}

impl Prepared {
    /// Its writes, to be sent or sent.
    pub(super) fn sent_mut(&mut self) -> Vec<&mut Sent> {
        match self {
            Prepared::Write(sent) => vec![sent],
            Prepared::KeepBoth { copies, main } => {
                let mut all: Vec<&mut Sent> =
                    copies.iter_mut().flat_map(|c| c.iter_mut()).collect();
                all.push(main);
                all
            }
            Prepared::Link(_) | Prepared::Forget(_) => Vec::new(),
        }
    }

    /// The writes of one wave: conflict copies first, so that the losing
    /// version is kept before it is overwritten; then the rest, except the
    /// overwrite of a loser whose copy failed.
    pub(super) fn wave(&mut self, copies_first: bool) -> Vec<&mut Sent> {
        match (self, copies_first) {
            (Prepared::KeepBoth { copies, .. }, true) => {
                copies.iter_mut().flat_map(|c| c.iter_mut()).collect()
            }
            (Prepared::KeepBoth { copies, main }, false) => {
                let kept = copies
                    .as_ref()
                    .is_none_or(|c| c.iter().all(|s| matches!(s.result, Some(Ok(_)))));
                if kept { vec![main] } else { Vec::new() }
            }
            (Prepared::Write(sent), false) => vec![sent],
            _ => Vec::new(),
        }
    }
}

/// A write to one store, prepared so that many can be sent at once.
pub(super) struct PreparedWrite {
    pub(super) uid: String,
    pub(super) side: Side,
    /// The item there now, if any.
    pub(super) target: Option<Target>,
    /// For a copy: the source item and its mapped form (what is written);
    /// `None` for a delete.
    pub(super) content: Option<(Item, Item)>,
}

impl PreparedWrite {
    /// The write to send to its store; `None` for a delete with nothing to
    /// delete.
    pub(super) fn op(&self) -> Option<WriteOp<&str>> {
        match (&self.content, &self.target) {
            (Some((_, mapped)), Some(t)) => Some(WriteOp::Update {
                href: &t.href,
                version: &t.version,
                body: mapped.body(),
            }),
            (Some((_, mapped)), None) => Some(WriteOp::Create {
                uid: &self.uid,
                body: mapped.body(),
            }),
            (None, Some(t)) => Some(WriteOp::Delete {
                href: &t.href,
                version: &t.version,
            }),
            (None, None) => None,
        }
    }
}

impl<'s, 'a, 'j> Executor<'s, 'a, 'j> {
    /// Everything a copy onto `to` needs, read and mapped, ready to be sent.
    pub(super) async fn prepare_copy(
        &mut self,
        uid: &str,
        to: Side,
        target: Option<&Target>,
        snapshot: &mut Snapshot,
    ) -> Result<PreparedWrite, Failure> {
        if snapshot[to].foreign.contains(uid) {
            // The same UID outside the profile (another profile's category, or a
            // task in an events profile): copying would put two files with one UID
            // in the folder, deleting could lose data. Leave both alone and say so.
            return Err(Failure::transient(
                to,
                None,
                format!(
                    "an item with this UID exists on the {to} side but does not belong to this \
                     profile (category or content filter); both are left alone"
                ),
            ));
        }
        let source = self.reader.load(to.other(), uid, snapshot).await?;
        // A mapping that drops something on the way to the source's side
        // (descriptions, alarms, attendees) merges the source into what the
        // target holds, so the richer copy keeps what the poorer never had.
        let current = if self.job.mapping.lossy(to.other()) && snapshot[to].items.contains_key(uid)
        {
            Some(self.reader.load(to, uid, snapshot).await?)
        } else {
            None
        };
        // A list's members are resolved against what the server holds.
        let members = if source.is_group_or_list() {
            Some(
                self.members_of(to, &source, current.as_ref(), snapshot)
                    .await,
            )
        } else {
            None
        };
        let linked = self.fetch_links(to, &source).await;
        let around = Around {
            members: members.as_ref().map(|m| m as &dyn MemberDirectory),
            linked: linked.as_ref(),
        };
        let mapped = self.reader.map_to(
            to,
            source.clone(),
            current.as_ref(),
            around,
            Some(self.report),
        )?;
        Ok(PreparedWrite {
            uid: uid.to_string(),
            side: to,
            target: target.cloned(),
            content: Some((source, mapped)),
        })
    }

    /// Records the outcome of a write: the status row and the new view.
    pub(super) fn finish_write(
        &mut self,
        sent: Sent,
        snapshot: &mut Snapshot,
    ) -> Result<(), Failure> {
        let Sent {
            write:
                PreparedWrite {
                    uid,
                    side,
                    target,
                    content,
                },
            result,
        } = sent;
        let target_href = target.as_ref().map_or("", |t| t.href.as_str());
        let written = match result {
            Some(result) => result.map_err(|e| Failure::from_store(side, target_href, e))?,
            None => {
                return Err(Failure::new(
                    side,
                    None,
                    "not sent: the conflict copy that keeps the other version failed".into(),
                ));
            }
        };
        let Some((source, mapped)) = content else {
            if let Some(target) = &target {
                self.note_written(side, &target.href)?;
            }
            if let Some(card) = self.deleting.remove(&uid) {
                self.gone.insert(uid.clone(), card);
            }
            return self.forget(&uid);
        };
        let Some(written) = written else {
            return Err(Failure::new(side, None, "the store wrote nothing".into()));
        };
        self.note_written(side, &written.href)?;
        if let Some(Target {
            href,
            version: before,
            hash,
        }) = &target
            && *before == written.version
            && !hash.is(mapped.content_hash())
        {
            self.reader.catch(side, href, before);
            self.report.item_message(
                true,
                side,
                Some(href),
                Some(&uid),
                format!(
                    "the {side} store kept the version (ETag {before}) of this item when its \
                     content was replaced"
                ),
            );
        }
        if side == Side::Server && mapped.kind() == davsync_pim::ItemKind::List {
            self.job
                .status
                .set_awaiting_members(&uid, &mapped.awaited_members())
                .map_err(|e| Failure::new(Side::Local, None, e.to_string()))?;
        }
        let written_found = Found::unread(
            written.href,
            written.version,
            Hash::new(mapped.content_hash()),
        );
        snapshot[side].items.insert(uid.clone(), written_found);
        let (local, server) = match side {
            Side::Local => (mapped, source),
            Side::Server => (source, mapped),
        };
        let row = self.row_for(&uid, snapshot, &local, &server);
        if self.job.options.duplicates.on() {
            duplicates::note_key(self.job.status, &uid, &row.local.hash, &local)
                .map_err(|e| Failure::new(Side::Local, None, e.to_string()))?;
        }
        self.put(row, false)
    }
}
