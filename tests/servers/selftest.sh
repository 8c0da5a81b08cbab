#!/usr/bin/env bash
# Self-test of the server scripts: installs, starts the named servers (all when none named) side
# by side, runs smoke.sh against each, stops them, and checks that none of their processes is
# left. Prints the time each step took.
#
#   tests/servers/selftest.sh [radicale|xandikos|sogo|davical|cyrus ...]
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$#" -eq 0 ]; then
  set -- radicale xandikos sogo davical cyrus
fi

now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.1f s' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }

t0="$(now)"
"$HERE/install.sh" "$@"
echo "install: $(elapsed "$t0")"

work="$(mktemp -d)"
declare -A dirs=()
cleanup() {
  local name
  for name in "${!dirs[@]}"; do
    "$HERE/stop.sh" "${dirs[$name]}" || true
  done
  rm -rf "$work"
}
trap cleanup EXIT

# Start them all at once.
declare -A jobs=()
for name in "$@"; do
  dirs[$name]="$work/$name"
  (
    t="$(now)"
    "$HERE/start.sh" "$name" "${dirs[$name]}" >"$work/$name.start.out" 2>&1
    echo "start $name: $(elapsed "$t")" >>"$work/$name.start.out"
  ) &
  jobs[$name]=$!
done
failed=0
for name in "$@"; do
  if ! wait "${jobs[$name]}"; then
    echo "start $name FAILED:"
    failed=1
  fi
  cat "$work/$name.start.out"
done
[ "$failed" -eq 0 ] || exit 1

pids=()
for name in "$@"; do
  "$HERE/smoke.sh" "${dirs[$name]}" || failed=1
  # shellcheck disable=SC1091
  read -r -a more < <(. "${dirs[$name]}/env" && echo "$DAV_PIDS")
  pids+=("${more[@]}")
done

for name in "$@"; do
  t="$(now)"
  "$HERE/stop.sh" "${dirs[$name]}"
  "$HERE/stop.sh" "${dirs[$name]}" # twice: must be a no-op
  echo "stop $name: $(elapsed "$t")"
done
for pid in "${pids[@]}"; do
  st="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1 || true)"
  if [ -n "$st" ] && [ "$st" != Z ]; then
    echo "FAIL: process $pid is still running: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
    failed=1
  fi
done
# The private PostgreSQL's backends are not in DAV_PIDS: look for anything using the work dir.
if pgrep -af -- "$work" >/dev/null; then
  echo "FAIL: processes left that use $work:"
  pgrep -af -- "$work"
  failed=1
fi

if [ "$failed" -ne 0 ]; then
  echo "selftest: FAILED"
  exit 1
fi
echo "selftest: $* ok"
