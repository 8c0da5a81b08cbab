#!/usr/bin/env bash
# Checks by hand, with curl, that a server started by start.sh works for alice:
# PUT an event and a to-do (If-None-Match: *), PUT a vCard, PROPFIND Depth 1 on both
# collections, REPORT sync-collection on the calendar, DELETE all three.
#
#   tests/servers/smoke.sh STATE_DIR [-v]      (-v prints every response)
set -euo pipefail

if [ "$#" -lt 1 ]; then
  echo "usage: $0 STATE_DIR [-v]" >&2
  exit 2
fi
# shellcheck disable=SC1091
. "$1/env"
VERBOSE="${2:-}"
uid="smoke-$$-$RANDOM"
failed=0
out="$(mktemp)"
trap 'rm -f "$out"' EXIT

# req EXPECTED_STATUSES METHOD URL [curl args...]
req() {
  local want="$1" method="$2" url="$3" code
  shift 3
  code="$(curl -s -D "$out.h" -o "$out" -w '%{http_code}' --max-time 20 \
    -u "$DAV_USER:$DAV_PASSWORD" -X "$method" "$@" "$url" || true)"
  local etag
  etag="$(sed -n 's/^[Ee][Tt][Aa][Gg]: *//p' "$out.h" | tr -d '\r')"
  if [[ " $want " == *" $code "* ]]; then
    printf 'ok   %-11s %s -> %s%s\n' "$method" "$url" "$code" "${etag:+ (ETag $etag)}"
  else
    printf 'FAIL %-11s %s -> %s (wanted %s)\n' "$method" "$url" "$code" "$want"
    cat "$out.h" "$out"
    echo
    failed=1
  fi
  if [ -n "$VERBOSE" ]; then
    cat "$out.h" "$out"
    echo
  fi
  rm -f "$out.h"
}

crlf() { sed 's/$/\r/'; }

event="$(crlf <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//davsync//smoke//EN
BEGIN:VEVENT
UID:$uid-event
DTSTAMP:20250101T000000Z
DTSTART:20250102T100000Z
DTEND:20250102T110000Z
SUMMARY:Smoke event
END:VEVENT
END:VCALENDAR
EOF
)"
todo="$(crlf <<EOF
BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//davsync//smoke//EN
BEGIN:VTODO
UID:$uid-todo
DTSTAMP:20250101T000000Z
SUMMARY:Smoke to-do
STATUS:NEEDS-ACTION
END:VTODO
END:VCALENDAR
EOF
)"
card="$(crlf <<EOF
BEGIN:VCARD
VERSION:3.0
UID:$uid-card
FN:Smoke Contact
N:Contact;Smoke;;;
EMAIL:smoke@example.org
END:VCARD
EOF
)"

ics=(-H 'Content-Type: text/calendar; charset=utf-8' -H 'If-None-Match: *')
vcf=(-H 'Content-Type: text/vcard; charset=utf-8' -H 'If-None-Match: *')
xml=(-H 'Content-Type: application/xml; charset=utf-8')

req "201 204" PUT "$DAV_CALENDAR_URL$uid-event.ics" "${ics[@]}" --data-binary "$event"
req "201 204" PUT "$DAV_CALENDAR_URL$uid-todo.ics" "${ics[@]}" --data-binary "$todo"
req "201 204" PUT "$DAV_ADDRESSBOOK_URL$uid-card.vcf" "${vcf[@]}" --data-binary "$card"
req 200 GET "$DAV_CALENDAR_URL$uid-todo.ics"

propfind='<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/><D:getcontenttype/></D:prop></D:propfind>'
for url in "$DAV_CALENDAR_URL" "$DAV_ADDRESSBOOK_URL"; do
  req 207 PROPFIND "$url" -H 'Depth: 1' "${xml[@]}" --data-binary "$propfind"
  n="$(grep -o "$uid" "$out" | wc -l || true)"
  [ "$n" -gt 0 ] || { echo "FAIL PROPFIND listing of $url lacks the new items"; failed=1; }
done

req 207 REPORT "$DAV_CALENDAR_URL" -H 'Depth: 1' "${xml[@]}" --data-binary '<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>'
grep -q "$uid-event" "$out" || { echo "FAIL sync-collection lacks the event"; failed=1; }
token="$(grep -o '<[A-Za-z0-9]*:\{0,1\}sync-token>[^<]*<' "$out" | sed 's/.*>\(.*\)</\1/' | tail -n 1)"
echo "     sync-token: $token"

req "200 204" DELETE "$DAV_CALENDAR_URL$uid-event.ics"
req "200 204" DELETE "$DAV_CALENDAR_URL$uid-todo.ics"
req "200 204" DELETE "$DAV_ADDRESSBOOK_URL$uid-card.vcf"
req 404 GET "$DAV_CALENDAR_URL$uid-event.ics"

if [ "$failed" -ne 0 ]; then
  echo "smoke: $DAV_SERVER FAILED"
  exit 1
fi
echo "smoke: $DAV_SERVER ok"
