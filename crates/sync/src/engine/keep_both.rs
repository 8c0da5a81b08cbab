//! Keep both: the losing version of a conflict is kept as a new item with
//! its own UID on both sides (a conflict copy), then the winner is copied
//! over it. The copy's UID follows from the losing version, so a run killed
//! after making it never makes a second one.

use super::execute::Executor;
use super::map::Around;
use super::plan::Op;
use super::writes::{Prepared, PreparedWrite, Sent};
use super::*;

impl<'s, 'a, 'j> Executor<'s, 'a, 'j> {
    /// Makes a keep-both operation ready: the conflict copies (unless a
    /// killed run made them already) and the winner's copy over the loser.
    pub(super) async fn prepare_keep_both(
        &mut self,
        op: &Op,
        winner: Side,
        snapshot: &mut Snapshot,
    ) -> Result<Prepared, Failure> {
        let uid = op.uid();
        let loser = winner.other();
        let loser_item = self.reader.load(loser, uid, snapshot).await?;
        let copy_uid = conflict_copy_uid(uid, &loser_item);
        // A run killed after making the copy left it behind: the copy's own
        // entry carries it on, and no second copy is made.
        let exists = self.reader.is_known(self.report, &copy_uid)
            || snapshot
                .iter()
                .any(|(_, v)| v.items.contains_key(&copy_uid))
            || matches!(self.job.status.get(&copy_uid), Ok(Some(_)));
        let copies = if exists {
            None
        } else {
            Some(Box::new(
                self.prepare_keep_copy(&copy_uid, loser, &loser_item, snapshot)
                    .await?,
            ))
        };
        let main = Sent::new(
            self.prepare_copy(uid, loser, op.target.as_deref(), snapshot)
                .await?,
        );
        Ok(Prepared::KeepBoth { copies, main })
    }

    /// The writes that keep `item` (the losing version, as held on `side`)
    /// as a new item with its own UID on both sides, so that nothing is lost.
    pub(super) async fn prepare_keep_copy(
        &mut self,
        copy_uid: &str,
        side: Side,
        item: &Item,
        snapshot: &mut Snapshot,
    ) -> Result<[Sent; 2], Failure> {
        let note = format!(
            "conflict copy: {side} version of {}",
            Utc::now().format("%Y-%m-%d %H:%M UTC")
        );
        let copy = item
            .with_uid(copy_uid)
            .and_then(|i| i.with_summary_note(&note))
            .map_err(|e| Failure::new(side, None, format!("cannot make the conflict copy: {e}")))?;
        let other = side.other();
        // A list's members are the original's.
        let members = if item.is_group_or_list() {
            Some(self.members_of(other, item, None, snapshot).await)
        } else {
            None
        };
        let linked = self.fetch_links(other, item).await;
        let around = Around {
            members: members.as_ref().map(|m| m as &dyn MemberDirectory),
            linked: linked.as_ref(),
        };
        let mapped = self
            .reader
            .map_to(other, copy.clone(), None, around, Some(self.report))?;
        let create = |side: Side, body: Item| {
            Sent::new(PreparedWrite {
                uid: copy_uid.to_string(),
                side,
                target: None,
                content: Some((copy.clone(), body)),
            })
        };
        Ok([create(side, copy.clone()), create(other, mapped)])
    }

    /// Records a conflict copy made on both sides (one made on one side
    /// only has no row: the next run takes it up as a new item).
    pub(super) fn finish_keep_copy(&mut self, copies: [Sent; 2]) -> Result<(), Failure> {
        let mut made: Vec<(Side, SideStatus)> = Vec::new();
        let mut failure = None;
        let uid = copies[0].write.uid.clone();
        for Sent { write, result } in copies {
            match result {
                Some(Ok(Some(written))) => {
                    self.note_written(write.side, &written.href)?;
                    let hash = write
                        .content
                        .as_ref()
                        .map(|(_, body)| body.content_hash().to_string())
                        .unwrap_or_default();
                    made.push((
                        write.side,
                        SideStatus {
                            href: written.href,
                            version: written.version,
                            hash,
                        },
                    ));
                }
                Some(Err(e)) => {
                    failure.get_or_insert(Failure::from_store(write.side, "", e));
                }
                Some(Ok(None)) | None => {
                    failure.get_or_insert(Failure::new(
                        write.side,
                        None,
                        "the conflict copy was not written".into(),
                    ));
                }
            }
        }
        if let Some(failure) = failure {
            return Err(failure);
        }
        let mut sides = made.into_iter();
        let (Some((a_side, a)), Some((_, b))) = (sides.next(), sides.next()) else {
            return Err(Failure::new(
                Side::Local,
                None,
                "the conflict copy was not written".into(),
            ));
        };
        let (local, server) = match a_side {
            Side::Local => (a, b),
            Side::Server => (b, a),
        };
        self.put(StatusRow { uid, local, server }, true)
    }
}

/// The UID of the conflict copy of `loser`: the same for the same losing
/// version, so that a run killed half-way never makes a second copy.
pub(super) fn conflict_copy_uid(uid: &str, loser: &Item) -> String {
    format!("{uid}-conflict-{}", &loser.content_hash()[..8])
}
