//! The progress bars of `davsync sync` on a terminal, one line per running
//! profile: shown once a run has many items to move (about 100) or has
//! taken a second, with counts and a rate; never in `--json` output, with
//! `--quiet`, or when standard error is not a terminal.

use davsync_sync::{Progress, Side};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::cell::{Cell, RefCell};
use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// How many items make a run worth a bar at once.
const MANY: usize = 100;
/// How long a run goes without a bar.
const A_WHILE: Duration = Duration::from_secs(1);

/// The bars of one `sync` (`None` inside: no bars at all).
pub(crate) struct Bars(Option<MultiProgress>);

impl Bars {
    /// Bars when `wanted` (no `--json`, no `--quiet`) and standard error is
    /// a terminal.
    pub(crate) fn new(wanted: bool) -> Bars {
        Bars((wanted && std::io::stderr().is_terminal()).then(MultiProgress::new))
    }

    /// A bar for `profile`'s run, if there are bars.
    pub(crate) fn bar(&self, profile: &str) -> Option<Bar> {
        let multi = self.0.clone()?;
        Some(Bar {
            bar: RefCell::new(ProgressBar::hidden()),
            multi,
            profile: profile.to_string(),
            started: Instant::now(),
            shown: Cell::new(false),
            phase: Cell::new(None),
        })
    }

    /// Runs `print` with the bars out of its way (a summary line printed
    /// while other profiles still run).
    pub(crate) fn print(&self, print: impl FnOnce()) {
        match &self.0 {
            Some(multi) => multi.suspend(print),
            None => print(),
        }
    }
}

/// One profile's bar (hidden until the run is worth one).
pub(crate) struct Bar {
    /// The phase's bar: a new one for each phase, so that no line shows
    /// one phase's words with the other's numbers.
    bar: RefCell<ProgressBar>,
    /// Where the bars of the profiles running at once are drawn.
    multi: MultiProgress,
    profile: String,
    started: Instant,
    shown: Cell<bool>,
    /// Which phase the style is set for (`None`: none yet).
    phase: Cell<Option<Phase>>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Reading(Side),
    Writing,
}

impl Bar {
    /// Takes in how the run gets on.
    pub(crate) fn update(&self, progress: Progress) {
        let (phase, position, length) = match progress {
            Progress::Read { side, read } => (Phase::Reading(side), read, None),
            Progress::Done { done, planned } => (Phase::Writing, done, Some(planned)),
        };
        if !self.shown.get()
            && (position.max(length.unwrap_or(0)) > MANY || self.started.elapsed() > A_WHILE)
        {
            self.shown.set(true);
            self.phase.set(None);
        }
        if !self.shown.get() {
            return;
        }
        if self.phase.get() != Some(phase) {
            self.phase.set(Some(phase));
            // Drawn where the other running profiles' bars are.
            let bar = self
                .multi
                .add(ProgressBar::with_draw_target(
                    length.map(|l| l as u64),
                    ProgressDrawTarget::hidden(),
                ))
                .with_style(style(phase))
                .with_prefix(self.profile.clone())
                .with_message(match phase {
                    Phase::Reading(side) => format!("reading the {side} side"),
                    Phase::Writing => "writing".to_string(),
                })
                .with_position(position as u64);
            let old = self.bar.replace(bar);
            old.finish_and_clear();
            self.multi.remove(&old);
            return;
        }
        let bar = self.bar.borrow();
        if let Some(length) = length {
            bar.set_length(length as u64);
        }
        bar.set_position(position as u64);
    }

    /// Removes the bar (the summary line follows).
    pub(crate) fn finish(&self) {
        let bar = self.bar.borrow();
        bar.finish_and_clear();
        self.multi.remove(&bar);
    }
}

fn style(phase: Phase) -> ProgressStyle {
    let template = match phase {
        // The number of items to read is not known in advance.
        Phase::Reading(_) => "{prefix}: {msg}: {pos} items ({rate})",
        Phase::Writing => "{prefix}: {msg} [{bar:30}] {pos}/{len} ({rate}, {eta} left)",
    };
    ProgressStyle::with_template(template)
        .expect("a valid template")
        .with_key(
            "rate",
            |state: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                let _ = write!(w, "{:.0} items/s", state.per_sec());
            },
        )
        .progress_chars("=> ")
}
