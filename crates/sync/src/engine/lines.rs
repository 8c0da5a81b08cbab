//! The report's lines: each operation of the plan as a line (planned, done
//! or failed, and why), the write counts, and the messages of failures.

use super::execute::Executor;
use super::plan::{Op, Write};
use super::*;

impl<'s, 'a, 'j> Executor<'s, 'a, 'j> {
    /// Reports the plan without running it (a dry run, or a plan the rails
    /// refused: then nothing is counted as to be done).
    pub(super) fn report_plan(&mut self, ops: &[Op], count: bool, snapshot: &Snapshot) {
        for op in ops {
            if count {
                self.tally(&op.writes());
            }
            let line = line_for(op, snapshot);
            self.push_line(line);
        }
    }

    /// Puts an operation's line, with how it ended, in the report.
    pub(super) fn report_outcome(
        &mut self,
        op: &Op,
        mut line: ItemReport,
        outcome: Result<(), Failure>,
    ) {
        tracing::debug!(uid = %op.uid(), action = ?op.action(), ok = outcome.is_ok(), "recorded");
        match outcome {
            Ok(()) => {
                line.outcome = Outcome::Done;
                self.tally(&op.writes());
            }
            Err(failure) => {
                line.outcome = Outcome::Failed;
                line.message = Some(failure.message.clone());
                self.failure_message(failure, op.uid());
            }
        }
        self.push_line(line);
    }

    /// Adds an operation's line to the report (a conflict is counted as such).
    fn push_line(&mut self, line: ItemReport) {
        if line.conflict.is_some() {
            self.report.conflicts += 1;
        }
        self.report.items.push(line);
    }

    fn tally(&mut self, writes: &[(Side, Write)]) {
        for (side, write) in writes {
            write.add_to(self.report.counts_mut(*side));
        }
    }

    /// Records why an item's operation failed: a warning when it is to be
    /// tried again on the next run, else an error.
    fn failure_message(&mut self, failure: Failure, uid: &str) {
        let message = Message {
            side: Some(failure.side),
            href: failure.href,
            uid: Some(uid.to_string()),
            kind: failure.kind,
            ..Message::run(failure.message)
        };
        if failure.transient {
            self.report.warnings.push(message);
        } else {
            self.report.errors.push(message);
        }
    }
}

/// The report line of an operation, before it runs.
pub(super) fn line_for(op: &Op, snapshot: &Snapshot) -> ItemReport {
    let decision = &op.decision;
    ItemReport {
        uid: decision.uid.clone(),
        action: decision.action,
        local_state: decision.local,
        server_state: decision.server,
        conflict: decision.conflict,
        summary: summary_of(&decision.uid, snapshot),
        outcome: Outcome::Planned,
        message: None,
    }
}

/// An item's summary, from what was read of it on either side.
fn summary_of(uid: &str, snapshot: &Snapshot) -> Option<String> {
    snapshot
        .iter()
        .filter_map(|(_, v)| v.items.get(uid))
        .find_map(|f| {
            f.read.as_ref().and_then(|r| r.summary.clone()).or_else(|| {
                f.item
                    .as_ref()
                    .and_then(|i| i.summary().map(str::to_string))
            })
        })
}
