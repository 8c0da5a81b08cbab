//! The pure, per-item CPU cost of a sync: parsing and validating an item and hashing its
//! normalised content (`Item::parse`), listing its content lines (the check after a server
//! rewrote an item) and the category edit of the category filter.
//!
//! `cargo bench -p davsync-pim --bench pim_items` runs it (a `harness = false` bench, standard
//! library only). The items come from the benchmark's generator, `bench/generate.py`, run with
//! `python3` into `CARGO_TARGET_TMPDIR` (2,000 events and 2,000 contacts; more with
//! `DAVSYNC_BENCH_ITEMS=N`), or from the folders in `DAVSYNC_BENCH_EVENTS` and
//! `DAVSYNC_BENCH_CONTACTS`. Without `--bench` (as under `cargo test --all-targets`) it makes
//! one quick pass over 50 items of each kind and checks that every item parses.

use davsync_pim::Item;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

fn generate(kind: &str, count: usize) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("davsync-bench-{kind}-{count}"));
    if dir.join(".complete").exists() {
        return dir;
    }
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/generate.py");
    let _ = std::fs::remove_dir_all(&dir);
    let status = Command::new("python3")
        .arg(&generator)
        .arg(kind)
        .arg(count.to_string())
        .arg(&dir)
        .status()
        .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", generator.display()));
    assert!(status.success(), "{} failed", generator.display());
    std::fs::write(dir.join(".complete"), b"").expect("write the marker");
    dir
}

fn load(dir: &Path, limit: usize) -> Vec<String> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|x| x.to_str()), Some("ics" | "vcf")))
        .collect();
    names.sort();
    names.truncate(limit);
    names
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())))
        .collect()
}

/// Runs `pass` (one pass over all items) until `budget` is spent (at least 3 passes) and
/// prints the best and the median time per item.
fn measure(label: &str, items: usize, bytes: usize, budget: Duration, mut pass: impl FnMut()) {
    pass(); // warm-up
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 3 || (start.elapsed() < budget && times.len() < 1000) {
        let t = Instant::now();
        pass();
        times.push(t.elapsed());
    }
    times.sort();
    let best = times[0];
    let median = times[times.len() / 2];
    let per_item = |d: Duration| d.as_secs_f64() * 1e6 / items.max(1) as f64;
    println!(
        "{label:<44} {:>9.2} µs/item (median {:>9.2}), {:>8.0} items/s, {:>7.1} MB/s, {} passes",
        per_item(best),
        per_item(median),
        items as f64 / best.as_secs_f64(),
        bytes as f64 / 1e6 / best.as_secs_f64(),
        times.len()
    );
}

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let count: usize = std::env::var("DAVSYNC_BENCH_ITEMS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let (limit, budget) = if bench {
        (usize::MAX, Duration::from_secs(3))
    } else {
        (50, Duration::ZERO)
    };
    for (kind, var) in [
        ("events", "DAVSYNC_BENCH_EVENTS"),
        ("contacts", "DAVSYNC_BENCH_CONTACTS"),
    ] {
        let dir = match std::env::var_os(var) {
            Some(d) => PathBuf::from(d),
            None => generate(kind, if bench { count } else { 50 }),
        };
        let bodies = load(&dir, limit);
        let bytes: usize = bodies.iter().map(String::len).sum();
        let items: Vec<Item> = bodies
            .iter()
            .map(|b| Item::parse(b.as_str()).unwrap_or_else(|e| panic!("{e}: {b}")))
            .collect();
        println!(
            "{} {kind} from {} ({:.1} MB)",
            items.len(),
            dir.display(),
            bytes as f64 / 1e6
        );
        let n = items.len();
        measure(
            &format!("{kind}: parse + content hash"),
            n,
            bytes,
            budget,
            || {
                for b in &bodies {
                    std::hint::black_box(Item::parse(b.as_str()).ok());
                }
            },
        );
        measure(&format!("{kind}: content_lines"), n, bytes, budget, || {
            for item in &items {
                std::hint::black_box(item.content_lines());
            }
        });
        measure(
            &format!("{kind}: duplicate key and age"),
            n,
            bytes,
            budget,
            || {
                for item in &items {
                    std::hint::black_box(item.duplicate_key_and_age());
                }
            },
        );
        measure(
            &format!("{kind}: with_category_added"),
            n,
            bytes,
            budget,
            || {
                for item in &items {
                    std::hint::black_box(item.with_category_added("Bench").ok());
                }
            },
        );
    }
}
