#!/usr/bin/env bash
# Runs every test of davsync: formatting, lints, then the whole test suite
# (unit, property, storage-contract, CLI and kill tests on real folders and
# real servers), then a short fuzzing run of every parser of outside input
# (scripts/fuzz.sh; FUZZ_SECONDS per target, default 15). Needs the Rust
# toolchain, Python 3 and, as root, Debian's apt (for the servers); uses
# cargo-nextest when it is installed, installs cargo-fuzz when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
# Property tests: enough cases to find real bugs, bounded so CI stays fast.
export PROPTEST_CASES="${PROPTEST_CASES:-256}"

# The servers and clients install (mostly downloads and dpkg) while clippy
# compiles: CI time. Its output is printed when it is waited for.
echo "== installing the servers and clients in the background (tests/servers/install.sh, dns.sh)"
install_log=$(mktemp "${TMPDIR:-/tmp}/davsync-install.XXXXXX")
(tests/servers/install.sh && tests/servers/dns.sh install) >"$install_log" 2>&1 &
install_pid=$!
trap 'kill "$install_pid" 2>/dev/null || true' EXIT

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
# The fuzz targets' entry points are behind a feature the workspace build
# leaves off; check them here, in seconds, not at the end of the fuzz build.
cargo clippy -p davsync-dav --features fuzzing --lib --locked -- -D warnings

echo "== real servers (Radicale, Radicale with a small REPORT limit, Radicale over HTTPS, Xandikos, SOGo, DAViCal, Cyrus, sabre/dav, tinyproxy)"
install_status=0
wait "$install_pid" || install_status=$?
cat "$install_log"
rm -f "$install_log"
trap - EXIT
if [ "$install_status" -ne 0 ]; then
  echo "installing the servers failed (exit $install_status)" >&2
  exit "$install_status"
fi
SERVERS="radicale radicale-small radicale-tls xandikos sogo davical cyrus sabredav tinyproxy"
servers_dir=$(mktemp -d "${TMPDIR:-/tmp}/davsync-servers.XXXXXX")
stop_servers() {
  for name in $SERVERS; do
    [ -f "$servers_dir/$name/env" ] && tests/servers/stop.sh "$servers_dir/$name" >/dev/null 2>&1 || true
  done
  rm -rf "$servers_dir"
}
trap stop_servers EXIT
for name in $SERVERS; do
  # A server that does not start fails the run with its log (start.sh prints it).
  tests/servers/start.sh "$name" "$servers_dir/$name" >/dev/null
  echo "$name started"
done
export DAVSYNC_TEST_SERVERS="$servers_dir"

echo "== tests"
if cargo nextest --version >/dev/null 2>&1; then
  runner=(cargo nextest run)   # (nextest skips doctests; the crates have none: examples live in tests/)
else
  runner=(cargo test)
fi
"${runner[@]}" --workspace --locked --no-run
# While the tests run (much of it waiting on servers), cargo-fuzz installs and
# the fuzz targets build at the lowest priority, in their own target folder:
# CI time. Their output is printed before the fuzzing starts.
fuzz_log=$(mktemp "${TMPDIR:-/tmp}/davsync-fuzz-build.XXXXXX")
nice -n 19 scripts/fuzz.sh --build-only >"$fuzz_log" 2>&1 &
fuzz_pid=$!
trap 'kill "$fuzz_pid" 2>/dev/null || true; stop_servers' EXIT
"${runner[@]}" --workspace --locked --no-fail-fast

# The servers are not needed any more.
stop_servers
trap - EXIT

echo "== fuzzing (scripts/fuzz.sh: every parser of outside input, 15 s each)"
fuzz_status=0
wait "$fuzz_pid" || fuzz_status=$?
cat "$fuzz_log"
rm -f "$fuzz_log"
if [ "$fuzz_status" -ne 0 ]; then
  echo "building the fuzz targets failed (exit $fuzz_status)" >&2
  exit "$fuzz_status"
fi
scripts/fuzz.sh "${FUZZ_SECONDS:-15}"
