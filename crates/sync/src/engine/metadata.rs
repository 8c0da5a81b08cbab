//! Collection metadata (display name, colour) carried across when both
//! sides were listed in full.

use super::*;

/// Carries the collection's display name and colour across: in one-way modes
/// from the source, in two-way mode only into a side that has none.
pub(super) async fn sync_metadata(job: &SyncJob<'_>, report: &mut Report) {
    let (local, server) = match (job.local.metadata().await, job.server.metadata().await) {
        (Ok(l), Ok(s)) => (l, s),
        (Err(e), _) | (_, Err(e)) => {
            report
                .warnings
                .push(Message::run(format!("collection metadata: {e}")));
            return;
        }
    };
    let pick = |source: &Option<String>, target: &Option<String>, overwrite: bool| match (
        source, target,
    ) {
        (Some(s), Some(t)) if overwrite && s != t => Some(s.clone()),
        (Some(s), None) => Some(s.clone()),
        _ => None,
    };
    let mut updates = Vec::new();
    for to in [Side::Local, Side::Server] {
        let (source, target) = match to {
            Side::Local => (&server, &local),
            Side::Server => (&local, &server),
        };
        let overwrite = match job.options.mode.one_way() {
            Some((src, _)) if src == to => continue,
            Some(_) => true,
            None => false,
        };
        let update = Metadata {
            displayname: pick(&source.displayname, &target.displayname, overwrite),
            color: pick(&source.color, &target.color, overwrite),
        };
        if update != Metadata::default() {
            updates.push((to, update));
        }
    }
    for (to, update) in updates {
        if job.options.dry_run {
            continue;
        }
        if let Err(e) = job.store(to).set_metadata(&update).await {
            report.warnings.push(Message::run(format!(
                "writing collection metadata on the {to} side: {e}"
            )));
        }
    }
}
