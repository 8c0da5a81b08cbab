//! The end of a run: what a clean run keeps for the next one (listing
//! states, the time range's and the selection's bookkeeping), what the run
//! caught a store at, the offline streak, and the run's record.

use super::detect::{Listing, Selection};
use super::reader::Reader;
use super::*;

/// What a run that got through its stages hands to the end of the run.
pub(super) struct Kept {
    /// Each side's listing state and whether it was listed in full.
    pub(super) listing: Listing,
    /// What the profile takes up, and whether it changed.
    pub(super) selection: Selection,
    /// Whether a safety rail refused the plan (nothing is kept then).
    pub(super) refused: bool,
    /// Contacts the run deleted, with what was known of them (see
    /// `dangling.rs`).
    pub(super) gone: HashMap<String, CardRef>,
}

/// Ends a pass of the run's stages: reports how it stopped, keeps what a
/// clean pass keeps (a run makes a second pass after repairing groups, see
/// `dangling.rs`).
pub(super) fn end_pass(
    job: &SyncJob<'_>,
    reader: Reader<'_, '_>,
    result: Result<Kept, EngineError>,
    report: &mut Report,
) {
    let offline = matches!(&result, Err(e) if e.server_failure() == Some(ServerFailure::Offline));
    if let Err(stopped) = &result {
        let message = Message {
            kind: stopped.server_failure(),
            ..Message::run(stopped.to_string())
        };
        if offline {
            skipped_offline(job, report, message);
        } else if matches!(stopped, EngineError::Stopped { .. }) {
            report.warnings.push(message);
        } else {
            report.errors.push(message);
        }
    }
    if !offline && !job.options.dry_run {
        reached(job, report);
    }
    let Reader {
        mut trust, outside, ..
    } = reader;
    let mut kept = result.ok();
    note_caught(
        job,
        &mut trust,
        kept.as_mut().map(|k| &mut k.listing),
        report,
    );
    // A listing state is kept only after a clean run: otherwise the next run
    // must see the same changes again (never advance past what was not applied).
    let clean = report.errors.is_empty() && report.items.iter().all(|i| i.outcome == Outcome::Done);
    if let Some(kept) = kept.filter(|k| clean && !k.refused && !job.options.dry_run) {
        keep(job, &kept, &outside, report);
    }
}

/// Ends a run: its requests and result, and its record in the status
/// database (unless it was a dry run).
pub(super) fn record(job: &SyncJob<'_>, mut report: Report) -> Report {
    report.requests = [job.local.requests(), job.server.requests()];
    report.finish();
    if !job.options.dry_run {
        let record = RunRecord {
            started: report
                .started
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            result: report.result,
            summary: Some(report.summary()),
        };
        if let Err(e) = job.status.record_run(&record) {
            report.errors.push(Message::run(e.to_string()));
            report.finish();
        }
    }
    report
}

/// Keeps what a clean run learnt for the next one: each side's listing
/// state (and when it was last listed in full), the time range's
/// bookkeeping and what the profile takes up.
fn keep(job: &SyncJob<'_>, kept: &Kept, outside: &Outside, report: &mut Report) {
    let mut errors = Vec::new();
    for side in [Side::Local, Side::Server] {
        errors.push(
            job.status
                .set_state(side, kept.listing.new_state[side].as_deref()),
        );
        if kept.listing.full[side] {
            errors.push(job.status.set_listed_in_full(side, report.started));
        }
    }
    errors.push(outside.save(job.status, job.options.time_range));
    if kept.selection.changed {
        errors.push(job.status.set_selection_key(&kept.selection.key));
    }
    for e in errors.into_iter().filter_map(Result::err) {
        report.errors.push(Message::run(e.to_string()));
    }
}

/// A store caught changing items without changing their versions is
/// distrusted from now on, and listed in full next time: what it named as
/// changed this run before it was caught was not all read. A store whose
/// listing vouched for an item that was gone is listed in full next time.
fn note_caught(
    job: &SyncJob<'_>,
    trust: &mut Trust,
    mut listing: Option<&mut Listing>,
    report: &mut Report,
) {
    if job.options.dry_run {
        return;
    }
    for (side, example) in trust.take_missed() {
        // A delta that left out a deletion (a server answering a token it
        // forgot with its full listing) would leave it out again.
        tracing::info!(
            "{}: {example} was gone, though its listing vouched for it; the next run lists \
             everything",
            job.store(side).describe()
        );
        if let Some(listing) = listing.as_deref_mut() {
            listing.new_state[side] = None;
        }
        if let Err(e) = job.status.set_state(side, None) {
            report.errors.push(Message::run(e.to_string()));
        }
    }
    for (side, example) in trust.newly_caught() {
        if let Some(listing) = listing.as_deref_mut() {
            listing.new_state[side] = None;
        }
        if let Err(e) = job.status.distrust_versions(side, &example) {
            report.errors.push(Message::run(e.to_string()));
        }
        report.warnings.push(Message::run(format!(
            "the {side} store ({}) changed items without changing their versions (ETags; \
             {example}): its versions are not trusted any more. Every item it names as changed \
             is read and compared from now on, and the next run reads all of it once",
            job.store(side).describe()
        )));
    }
}

/// A run that found a store offline (it could not reach it at all, so
/// nothing was done): skipped, a warning, for up to the options' number of
/// runs in a row; after that an error, each run, until one reaches it.
fn skipped_offline(job: &SyncJob<'_>, report: &mut Report, message: Message) {
    let streak = match job.status.offline_streak() {
        Ok(n) => n.saturating_add(1),
        Err(e) => {
            report.errors.push(Message::run(e.to_string()));
            1
        }
    };
    if !job.options.dry_run
        && let Err(e) = job.status.set_offline_streak(streak)
    {
        report.errors.push(Message::run(e.to_string()));
    }
    let tolerated = job.options.offline_tolerance;
    if streak <= tolerated {
        report.warnings.push(Message {
            message: format!(
                "skipped: offline ({streak} of {tolerated} runs in a row taken as a warning): {}",
                message.message
            ),
            ..message
        });
    } else {
        report.errors.push(Message {
            message: format!("offline for {streak} runs in a row: {}", message.message),
            ..message
        });
    }
}

/// A run that reached its stores ends a streak of offline runs.
fn reached(job: &SyncJob<'_>, report: &mut Report) {
    match job.status.offline_streak() {
        Ok(0) => {}
        Ok(_) => {
            if let Err(e) = job.status.set_offline_streak(0) {
                report.errors.push(Message::run(e.to_string()));
            }
        }
        Err(e) => report.errors.push(Message::run(e.to_string())),
    }
}
