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
        (Some(s), Some(t)) if overwrite && comparable(s) != comparable(t) => Some(s.clone()),
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

/// A value as compared across the sides: a colour `#RRGGBB` equals its
/// opaque `#RRGGBBFF` (SOGo stores only the second), in any case; other
/// values (display names) as they are.
fn comparable(value: &str) -> std::borrow::Cow<'_, str> {
    let Some(hex) = value
        .strip_prefix('#')
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()))
    else {
        return value.into();
    };
    match hex.len() {
        6 => format!("#{}", hex.to_ascii_lowercase()).into(),
        8 if hex[6..].eq_ignore_ascii_case("ff") => {
            format!("#{}", hex[..6].to_ascii_lowercase()).into()
        }
        _ => value.to_ascii_lowercase().into(),
    }
}

#[cfg(test)]
mod tests {
    use super::comparable;

    #[test]
    fn an_opaque_colour_is_the_same_with_or_without_its_alpha() {
        assert_eq!(comparable("#3A87AD"), comparable("#3a87adff"));
        assert_ne!(comparable("#3A87AD"), comparable("#3A87AD80"));
        assert_ne!(comparable("#3A87AD"), comparable("#3A87AE"));
        assert_eq!(comparable("Team"), "Team");
        assert_ne!(comparable("Team"), comparable("team"));
    }
}
