#!/usr/bin/env bash
# davsync benchmark: davsync, vdirsyncer and the floor against a local Radicale.
#
#   bench/run.sh --quick          smoke run (a few minutes)
#   bench/run.sh                  full run: events 1,000 / 10,000 / 50,000, contacts 10,000
#   bench/run.sh --events 1000,10000 --contacts 10000 --repeat 3
#   bench/run.sh --help           every option (bench/run.py)
#
# Installs what it needs (idempotent): Radicale through tests/servers/install.sh, vdirsyncer
# from PyPI into ${BENCH_VENV:-$HOME/.cache/davsync/bench-venv}, GNU time from apt; builds
# davsync with `cargo build --release -p davsync` (skip with BENCH_NO_BUILD=1, or point
# DAVSYNC_BIN at another binary; DAVSYNC_BASELINE_BIN or --baseline adds a second davsync
# binary, measured beside the first). Writes bench/results.md. See bench/README.md.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
BENCH_VENV="${BENCH_VENV:-$HOME/.cache/davsync/bench-venv}"
VDIRSYNCER_VERSION="${VDIRSYNCER_VERSION:-0.21.0}"
PYTHON="${PYTHON:-python3}"
export BENCH_VENV

TOOLS_ARG=""
prev=""
for arg in "$@"; do
  case "$arg" in -h | --help) exec "$PYTHON" "$HERE/run.py" --help ;; esac
  case "$arg" in --tools=*) TOOLS_ARG="${arg#--tools=}" ;; esac
  if [ "$prev" = "--tools" ]; then TOOLS_ARG="$arg"; fi
  prev="$arg"
done

log() { printf 'run.sh: %s\n' "$*" >&2; }

# Radicale (the tests' venv, same version as the server tests)
"$REPO/tests/servers/install.sh" radicale >&2

# vdirsyncer in its own venv (unless --tools leaves it out)
if [ -n "$TOOLS_ARG" ] && [[ ",$TOOLS_ARG," != *,vdirsyncer,* ]]; then
  : # not measured
elif ! "$BENCH_VENV/bin/vdirsyncer" --version 2>/dev/null | grep -q "version $VDIRSYNCER_VERSION\$"; then
  log "installing vdirsyncer $VDIRSYNCER_VERSION into $BENCH_VENV"
  "$PYTHON" -m venv "$BENCH_VENV"
  "$BENCH_VENV/bin/pip" install --quiet --disable-pip-version-check "vdirsyncer==$VDIRSYNCER_VERSION"
fi

# GNU time (peak memory)
if ! /usr/bin/time -v true >/dev/null 2>&1; then
  log "installing GNU time from apt"
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get install -y -q --no-install-recommends time >&2 ||
    { $SUDO apt-get update -q >&2 && $SUDO apt-get install -y -q --no-install-recommends time >&2; }
fi

# davsync
if [ -z "${DAVSYNC_BIN:-}" ]; then
  if [ -z "${BENCH_NO_BUILD:-}" ]; then
    log "cargo build --release -p davsync"
    (cd "$REPO" && cargo build --release -p davsync >&2)
  fi
  export DAVSYNC_BIN="$REPO/target/release/davsync"
fi

export BENCH_ENTRY="bench/run.sh"
exec "$PYTHON" "$HERE/run.py" "$@"
