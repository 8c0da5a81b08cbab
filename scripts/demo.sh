#!/usr/bin/env bash
# davsync's main job, end to end, on a fresh machine (Debian with Rust, Python and apt):
#
#   1. builds davsync (release),
#   2. installs and starts a private Radicale server on 127.0.0.1 (tests/servers/),
#   3. puts sample events, tasks and contacts on it,
#   4. runs `davsync discover --write` to make one profile per calendar, task list and
#      address book, then `davsync sync`,
#   5. shows `davsync status` and the synced folders,
#   6. stops the server (also on failure or Ctrl-C).
#
# Everything happens in a temporary folder; your own davsync configuration and data are not
# touched. Set DEMO_KEEP=1 to keep the folder afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$(pwd)"

if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s==> %s%s\n' "$bold" "$*" "$plain"; }
run() {
  printf '$ %s\n' "$*"
  "$@"
}

work="$(mktemp -d "${TMPDIR:-/tmp}/davsync-demo.XXXXXX")"
cleanup() {
  local status=$?
  if [ -f "$work/radicale/env" ]; then
    say "Stopping the Radicale server"
    tests/servers/stop.sh "$work/radicale" >/dev/null 2>&1 || true
  fi
  if [ "${DEMO_KEEP:-0}" = 1 ]; then
    echo "The demo folder stays at $work"
  else
    rm -rf "$work"
  fi
  if [ "$status" -eq 0 ]; then
    say "Done."
  else
    echo "The demo failed (exit status $status)." >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "Building davsync in release mode (the first build takes a few minutes)"
command -v cargo >/dev/null || { echo "cargo is missing: install Rust (https://rustup.rs)" >&2; exit 1; }
run cargo build --release --locked --quiet -p davsync
bin="$repo/target/release/davsync"
"$bin" --version

# davsync with the demo's own configuration file and data folder.
davsync() {
  printf '$ davsync %s\n' "$*"
  "$bin" --config "$work/config.toml" --data-dir "$work/data" "$@"
}

say "Installing Radicale (a small CalDAV/CardDAV server) into a Python venv, if needed"
tests/servers/install.sh radicale

say "Starting Radicale on 127.0.0.1 with user alice (state in $work/radicale)"
tests/servers/start.sh radicale "$work/radicale" >/dev/null
# shellcheck disable=SC1091
. "$work/radicale/env"
echo "Radicale runs at $DAV_BASE_URL (pid $DAV_PIDS); alice has a calendar and an address book."

# dav METHOD URL CONTENT-TYPE [curl options...]: one request as alice; body on stdin.
dav() {
  local method="$1" url="$2" type="$3" code
  shift 3
  code="$(curl -sS -o "$work/last-response" -w '%{http_code}' -u "$DAV_USER:$DAV_PASSWORD" \
    -X "$method" -H "Content-Type: $type" --data-binary @- "$@" "$url")"
  case "$code" in
    2??) ;;
    *) echo "$method $url answered $code:" >&2; cat "$work/last-response" >&2; exit 1 ;;
  esac
}
put() { dav PUT "$1" "$2" -H 'If-None-Match: *'; }

say "Loading sample data onto the server"
monday="$(date -u -d 'next monday' +%Y%m%d)"
second_monday="$(date -u -d "$monday + 7 days" +%Y%m%d)"
friday="$(date -u -d "$monday + 4 days" +%Y%m%d)"
saturday="$(date -u -d "$monday + 5 days" +%Y%m%d)"

echo "- a colour for the calendar \"Calendar\""
dav PROPPATCH "$DAV_CALENDAR_URL" 'application/xml; charset=utf-8' <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:A="http://apple.com/ns/ical/">
  <D:set><D:prop><A:calendar-color>#3A87ADFF</A:calendar-color></D:prop></D:set>
</D:propertyupdate>
EOF

echo "- a weekly team meeting on Mondays; its second meeting moved to 11:00 (an exception)"
put "${DAV_CALENDAR_URL}team-meeting.ics" 'text/calendar; charset=utf-8' <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//davsync//demo//EN
BEGIN:VEVENT
UID:team-meeting@demo.davsync
DTSTAMP:20260101T000000Z
DTSTART:${monday}T090000Z
DTEND:${monday}T093000Z
RRULE:FREQ=WEEKLY;COUNT=8
SUMMARY:Team meeting
LOCATION:Room 4.2
END:VEVENT
BEGIN:VEVENT
UID:team-meeting@demo.davsync
DTSTAMP:20260101T000000Z
RECURRENCE-ID:${second_monday}T090000Z
DTSTART:${second_monday}T110000Z
DTEND:${second_monday}T113000Z
SUMMARY:Team meeting (moved to 11:00)
LOCATION:Room 4.2
END:VEVENT
END:VCALENDAR
EOF

echo "- an all-day event on Saturday"
put "${DAV_CALENDAR_URL}open-day.ics" 'text/calendar; charset=utf-8' <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//davsync//demo//EN
BEGIN:VEVENT
UID:open-day@demo.davsync
DTSTAMP:20260101T000000Z
DTSTART;VALUE=DATE:${saturday}
DTEND;VALUE=DATE:$(date -u -d "$saturday + 1 day" +%Y%m%d)
SUMMARY:Open day at the school
END:VEVENT
END:VCALENDAR
EOF

echo "- a task in the same calendar: send the minutes by Friday"
put "${DAV_CALENDAR_URL}minutes.ics" 'text/calendar; charset=utf-8' <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//davsync//demo//EN
BEGIN:VTODO
UID:minutes@demo.davsync
DTSTAMP:20260101T000000Z
DUE:${friday}T170000Z
SUMMARY:Send the meeting minutes
STATUS:NEEDS-ACTION
END:VTODO
END:VCALENDAR
EOF

echo "- a separate task list \"Errands\" with one task"
tasks_url="${DAV_PRINCIPAL_URL}errands/"
dav MKCALENDAR "$tasks_url" 'application/xml; charset=utf-8' <<'EOF'
<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:A="http://apple.com/ns/ical/">
  <D:set><D:prop>
    <D:displayname>Errands</D:displayname>
    <A:calendar-color>#E6A23CFF</A:calendar-color>
    <C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>
EOF
put "${tasks_url}bike.ics" 'text/calendar; charset=utf-8' <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//davsync//demo//EN
BEGIN:VTODO
UID:bike@demo.davsync
DTSTAMP:20260101T000000Z
DUE:${saturday}T120000Z
SUMMARY:Take the bike to the repair shop
PRIORITY:5
END:VTODO
END:VCALENDAR
EOF

echo "- two contacts in the address book \"Contacts\""
put "${DAV_ADDRESSBOOK_URL}erika.vcf" 'text/vcard; charset=utf-8' <<'EOF'
BEGIN:VCARD
VERSION:3.0
UID:erika@demo.davsync
FN:Erika Mustermann
N:Mustermann;Erika;;;
EMAIL;TYPE=INTERNET,WORK:erika@example.org
TEL;TYPE=CELL:+49 170 1234567
END:VCARD
EOF
put "${DAV_ADDRESSBOOK_URL}john.vcf" 'text/vcard; charset=utf-8' <<'EOF'
BEGIN:VCARD
VERSION:4.0
UID:john@demo.davsync
FN:John Doe
N:Doe;John;;;
EMAIL;TYPE=home:john@example.net
BDAY:19800412
END:VCARD
EOF

say "Finding alice's collections and adding a profile for each (discover --write)"
echo "The password comes from an environment variable; only its name goes into the configuration."
export DEMO_DAV_PASSWORD="$DAV_PASSWORD"
davsync discover --url "$DAV_BASE_URL" --user "$DAV_USER" --password-env DEMO_DAV_PASSWORD \
  --write --local-root "$work/calendars"

say "The configuration file discover wrote ($work/config.toml)"
cat "$work/config.toml"

say "Syncing every profile"
davsync sync

say "The status of the last run of each profile"
davsync status

say "The synced folders (vdir: one file per item, plus vdirsyncer's displayname and color)"
(cd "$work/calendars" && find . -type f | sort)

say "One of the synced files: the team meeting with its moved occurrence"
meeting="$(grep -rl 'team-meeting@demo.davsync' "$work/calendars" | head -n 1)"
echo "$meeting"
cat "$meeting"

say "A second sync has nothing to do"
davsync sync
