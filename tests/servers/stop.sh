#!/usr/bin/env bash
# Stops every process that start.sh started into STATE_DIR (see README.md).
#
#   tests/servers/stop.sh STATE_DIR
#
# A private PostgreSQL is stopped with `pg_ctl stop -m immediate`; every other process gets
# SIGTERM, then SIGKILL after 2 s (SOGo's workers ignore SIGTERM). Children that the listed
# processes have forked since (e.g. a SOGo worker respawned by its master) are killed too.
# Safe to call twice, and on a state dir whose start failed half-way.
set -euo pipefail

if [ "$#" -ne 1 ]; then
  echo "usage: $0 STATE_DIR" >&2
  exit 2
fi
STATE_DIR="$1"
[ -d "$STATE_DIR" ] || exit 0
PIDS_FILE="$STATE_DIR/pids"

proc_start() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20 || true; }

# PIDs still alive that are the very processes start.sh recorded (PID and start time match).
pids=()
if [ -f "$PIDS_FILE" ]; then
  while read -r pid start _label; do
    [ -n "$pid" ] || continue
    if [ "$(proc_start "$pid")" = "$start" ]; then
      pids+=("$pid")
    fi
  done <"$PIDS_FILE"
elif [ -f "$STATE_DIR/env" ]; then
  # No pids file (older or hand-written state): trust DAV_PIDS.
  env_pids="$(sed -n 's/^DAV_PIDS="\{0,1\}\([0-9 ]*\)"\{0,1\}$/\1/p' "$STATE_DIR/env")"
  for pid in $env_pids; do
    if kill -0 "$pid" 2>/dev/null; then
      pids+=("$pid")
    fi
  done
fi

# A private PostgreSQL cluster: immediate stop, as the owner of its data directory.
if [ -f "$STATE_DIR/pg_data_dir" ]; then
  pg_data="$(cat "$STATE_DIR/pg_data_dir")"
  if [ -f "$pg_data/postmaster.pid" ]; then
    pg_bin="$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1)"
    owner="$(stat -c %U "$pg_data")"
    if [ "$(id -u)" -eq 0 ] && [ "$owner" != root ]; then
      setpriv --reuid="$owner" --regid="$owner" --init-groups -- \
        "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    else
      "$pg_bin/pg_ctl" -D "$pg_data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
    fi
  fi
fi

[ "${#pids[@]}" -gt 0 ] || exit 0

# Add the current descendants of every listed process.
all=("${pids[@]}")
i=0
while [ "$i" -lt "${#all[@]}" ]; do
  for child in $(pgrep -P "${all[$i]}" 2>/dev/null || true); do
    all+=("$child")
  done
  i=$((i + 1))
done

# The PIDs that still run (a zombie, waiting for a parent that may never reap it, counts as gone).
alive() {
  local p st out=()
  for p in "$@"; do
    st="$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f1 || true)"
    if [ -n "$st" ] && [ "$st" != Z ]; then
      out+=("$p")
    fi
  done
  echo "${out[*]}"
}

kill -TERM "${all[@]}" 2>/dev/null || true
for _ in $(seq 20); do
  [ -n "$(alive "${all[@]}")" ] || break
  sleep 0.1
done
left="$(alive "${all[@]}")"
if [ -n "$left" ]; then
  # shellcheck disable=SC2086 # a list of PIDs
  kill -KILL $left 2>/dev/null || true
  for _ in $(seq 20); do
    # shellcheck disable=SC2086
    [ -n "$(alive $left)" ] || break
    sleep 0.1
  done
fi
left="$(alive "${all[@]}")"
if [ -n "$left" ]; then
  echo "stop.sh: still alive after SIGKILL: $left" >&2
  exit 1
fi
