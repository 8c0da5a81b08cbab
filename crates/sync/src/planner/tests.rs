//! Table tests: every cell of the guide's decision tables, for every mode and policy.

use super::*;
use chrono::TimeZone;

/// One side of a test entry: `-` absent/deleted, `U` unchanged, `C` changed, `N` new.
fn side(code: char, time: Option<i64>) -> Option<Present> {
    let changed = match code {
        '-' => return None,
        'U' => false,
        'C' | 'N' => true,
        other => panic!("bad code {other}"),
    };
    Some(Present {
        changed,
        modified: time.map(|t| Utc.timestamp_opt(t, 0).unwrap()),
    })
}

/// An entry from a two-letter code such as `"CU"` (local changed, server unchanged).
fn entry(code: &str, known: bool) -> Entry {
    entry_timed(code, known, None, None)
}

fn entry_timed(code: &str, known: bool, lt: Option<i64>, st: Option<i64>) -> Entry {
    let mut c = code.chars();
    Entry {
        uid: "uid".into(),
        known,
        local: side(c.next().unwrap(), lt),
        server: side(c.next().unwrap(), st),
        same_content: false,
    }
}

const TO_L: Action = Action::Copy { to: Side::Local };
const TO_S: Action = Action::Copy { to: Side::Server };
const DEL_L: Action = Action::Delete { on: Side::Local };
const DEL_S: Action = Action::Delete { on: Side::Server };

/// The guide's two-way table, cells that are not conflicts (policy-independent).
#[test]
fn two_way_table_without_conflicts() {
    let cells = [
        ("UU", true, Action::Nothing),
        ("UC", true, TO_L),
        ("U-", true, DEL_L),
        ("CU", true, TO_S),
        ("-U", true, DEL_S),
        ("--", true, Action::Forget),
        ("N-", false, TO_S),
        ("-N", false, TO_L),
    ];
    for policy in ConflictPolicy::ALL {
        for (code, known, want) in cells {
            let d = decide(&entry(code, known), Mode::TwoWay, policy);
            assert_eq!(d.action, want, "{code} {policy:?}");
            assert_eq!(d.conflict, None, "{code}");
        }
    }
}

/// The guide's conflict table per policy, plus keep-both.
#[test]
fn two_way_conflicts_per_policy() {
    use ConflictPolicy::*;
    // Local newer than server in these entries.
    /// (cell, known to the status, conflict, action per policy)
    type Cell = (&'static str, bool, Conflict, [(ConflictPolicy, Action); 4]);
    let cells: [Cell; 4] = [
        (
            "CC",
            true,
            Conflict::BothChanged,
            [
                (LocalWins, TO_S),
                (ServerWins, TO_L),
                (Automatic, TO_S),
                (
                    KeepBoth,
                    Action::KeepBoth {
                        winner: Side::Local,
                    },
                ),
            ],
        ),
        (
            "NN",
            false,
            Conflict::BothNew,
            [
                (LocalWins, TO_S),
                (ServerWins, TO_L),
                (Automatic, TO_S),
                (
                    KeepBoth,
                    Action::KeepBoth {
                        winner: Side::Local,
                    },
                ),
            ],
        ),
        (
            "C-",
            true,
            Conflict::LocalChangedServerDeleted,
            [
                (LocalWins, TO_S),
                (ServerWins, DEL_L),
                (Automatic, DEL_L),
                (KeepBoth, TO_S),
            ],
        ),
        (
            "-C",
            true,
            Conflict::LocalDeletedServerChanged,
            [
                (LocalWins, DEL_S),
                (ServerWins, TO_L),
                (Automatic, DEL_S),
                (KeepBoth, TO_L),
            ],
        ),
    ];
    for (code, known, conflict, rows) in cells {
        for (policy, want) in rows {
            let e = entry_timed(code, known, Some(200), Some(100));
            let d = decide(&e, Mode::TwoWay, policy);
            assert_eq!(d.action, want, "{code} {policy:?}");
            assert_eq!(d.conflict, Some(conflict), "{code} {policy:?}");
        }
    }
}

#[test]
fn automatic_newer_wins_and_missing_server_time_means_server() {
    let cases = [
        (Some(200), Some(100), TO_S),
        (Some(100), Some(200), TO_L),
        (Some(100), Some(100), TO_S), // a tie goes to the local side, as in the original
        (Some(100), None, TO_L),
        (None, Some(100), TO_L),
        (None, None, TO_L),
    ];
    for (lt, st, want) in cases {
        let d = decide(
            &entry_timed("CC", true, lt, st),
            Mode::TwoWay,
            ConflictPolicy::Automatic,
        );
        assert_eq!(d.action, want, "{lt:?} {st:?}");
        let d = decide(
            &entry_timed("CC", true, lt, st),
            Mode::TwoWay,
            ConflictPolicy::KeepBoth,
        );
        let winner = if want == TO_S {
            Side::Local
        } else {
            Side::Server
        };
        assert_eq!(d.action, Action::KeepBoth { winner });
    }
}

/// The guide's one-way table, written for local→server; server→local is its mirror.
#[test]
fn one_way_tables() {
    // (source code, target code, known, replicate action, merge action) with S=source, T=target.
    let cells = [
        ("U", "U", true, "nothing", "nothing"),
        ("U", "C", true, "copy", "copy"),
        ("U", "-", true, "copy", "copy"),
        ("C", "U", true, "copy", "copy"),
        ("C", "C", true, "copy", "copy"),
        ("C", "-", true, "copy", "copy"),
        ("-", "U", true, "delete", "delete"),
        ("-", "C", true, "delete", "delete"),
        ("-", "-", true, "forget", "forget"),
        ("N", "-", false, "copy", "copy"),
        ("N", "N", false, "copy", "copy"),
        ("-", "N", false, "delete", "nothing"),
    ];
    for (source, mode_r, mode_m) in [
        (Side::Local, Mode::ToServer, Mode::ToServerMerge),
        (Side::Server, Mode::ToLocal, Mode::ToLocalMerge),
    ] {
        let target = source.other();
        for (s, t, known, rep, merge) in cells {
            let code = match source {
                Side::Local => format!("{s}{t}"),
                Side::Server => format!("{t}{s}"),
            };
            for (mode, want) in [(mode_r, rep), (mode_m, merge)] {
                let want = match want {
                    "nothing" => Action::Nothing,
                    "copy" => Action::Copy { to: target },
                    "delete" => Action::Delete { on: target },
                    "forget" => Action::Forget,
                    _ => unreachable!(),
                };
                for policy in ConflictPolicy::ALL {
                    let d = decide(&entry(&code, known), mode, policy);
                    assert_eq!(d.action, want, "{mode:?} {code} known={known}");
                    assert_eq!(d.conflict, None);
                }
            }
        }
    }
}

#[test]
fn equal_content_links_in_every_mode() {
    for mode in Mode::ALL {
        for (code, known) in [("NN", false), ("CC", true), ("CU", true), ("UC", true)] {
            let mut e = entry(code, known);
            e.same_content = true;
            let d = decide(&e, mode, ConflictPolicy::KeepBoth);
            assert_eq!(d.action, Action::Link, "{mode:?} {code}");
            assert_eq!(d.conflict, None);
        }
    }
}

#[test]
fn states_are_reported() {
    let d = decide(&entry("C-", true), Mode::TwoWay, ConflictPolicy::Automatic);
    assert_eq!(
        (d.local, d.server),
        (SideState::Changed, SideState::Deleted)
    );
    let d = decide(&entry("-N", false), Mode::TwoWay, ConflictPolicy::Automatic);
    assert_eq!((d.local, d.server), (SideState::Absent, SideState::New));
}
