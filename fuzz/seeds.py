#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into fuzz/corpus/<target>/seed-*:
answers as the crates' tests have them (crates/dav), items as crates/testkit and
bench/generate.py make them, configurations as README.md shows them. Run it again
after changing it; libFuzzer's own finds go elsewhere (scripts/fuzz.sh)."""

import glob
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CRLF = "\r\n"


def write(target, name, data):
    folder = os.path.join(HERE, "corpus", target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, "seed-" + name), "wb") as f:
        f.write(data)


# --- multistatus: one byte of flags, one byte of piece length, the answer ----------------

ICS = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:a&b<c>\r\nSUMMARY:caf\u00e9 \"x\"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
ESCAPED = (ICS.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
           .replace('"', "&quot;").replace("\u00e9", "&#xE9;"))

ANSWERS = {
    # crates/dav/src/query.rs: a realistic calendar-query answer.
    "query-calendar": f"""<?xml version="1.0" encoding="utf-8"?>
<d:multistatus xmlns:d="DAV:" xmlns:cal="urn:ietf:params:xml:ns:caldav">
 <d:response>
  <d:href>/cal/</d:href>
  <d:propstat><d:prop><d:resourcetype><d:collection/><cal:calendar/></d:resourcetype></d:prop>
  <d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 </d:response>
 <d:response>
  <d:href>/cal/a%20b.ics</d:href>
  <d:propstat><d:prop><d:getetag>&quot;e1&quot;</d:getetag><cal:calendar-data>{ESCAPED}</cal:calendar-data><d:resourcetype/></d:prop>
  <d:status>HTTP/1.1 200 OK</d:status></d:propstat>
  <d:propstat><d:prop><d:getcontenttype/></d:prop><d:status>HTTP/1.1 404 Not Found</d:status></d:propstat>
 </d:response>
 <d:response><d:href>/cal/c.ics</d:href><d:propstat><d:prop><cal:calendar-data><![CDATA[{ICS}]]></cal:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
 <d:propstat><d:prop><d:getetag>"e2"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
 <d:response><d:href>/cal/gone.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
</d:multistatus>
""",
    "query-addressbook": """<multistatus xmlns="DAV:"><response><href>http://127.0.0.1:1/cal/x.vcf</href><propstat><prop><getetag>"1"</getetag><getcontenttype>text/vcard; charset=utf-8</getcontenttype><address-data xmlns="urn:ietf:params:xml:ns:carddav">BEGIN:VCARD&#13;
VERSION:3.0&#13;
UID:x&#13;
FN:X&#13;
END:VCARD&#13;
</address-data></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>""",
    "query-withheld": """<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/x.ics</d:href>
        <d:propstat><d:prop><d:getetag>"1"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat>
        <d:propstat><d:prop><c:calendar-data/></d:prop><d:status>HTTP/1.1 403 Forbidden</d:status></d:propstat></d:response></d:multistatus>""",
    "query-prefixes": """<x:multistatus xmlns:x="DAV:"><x:response xmlns:y="urn:ietf:params:xml:ns:carddav"><x:href>/cal/x.vcf</x:href><x:propstat><x:prop><x:getetag>"1"</x:getetag><y:address-data>DATA</y:address-data></x:prop><x:status>HTTP/1.1 200 OK</x:status></x:propstat></x:response></x:multistatus>""",
    # crates/dav/src/collection.rs: sync-collection, truncated (RFC 6578 3.6) and complete.
    "sync-truncated": """<?xml version="1.0" encoding="utf-8" ?>
<D:multistatus xmlns:D="DAV:">
  <D:response>
    <D:href>/cal/a.ics</D:href>
    <D:propstat><D:prop><D:getetag>"1"</D:getetag></D:prop><D:status>HTTP/1.1 200 OK</D:status></D:propstat>
  </D:response>
  <D:response>
    <D:href>/cal/b.ics</D:href>
    <D:status>HTTP/1.1 404 Not Found</D:status>
  </D:response>
  <D:response>
    <D:href>/cal/</D:href>
    <D:status>HTTP/1.1 507 Insufficient Storage</D:status>
    <D:error><D:number-of-matches-within-limits/></D:error>
  </D:response>
  <D:sync-token>http://example.com/ns/sync/1233</D:sync-token>
</D:multistatus>""",
    "sync-complete": """<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav">
  <d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:getetag>"c"</d:getetag><d:resourcetype><d:collection/><c:calendar/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/cal/a%20b.ics</d:href><d:propstat><d:prop><d:getetag>"2"</d:getetag></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/cal/sub/</d:href><d:propstat><d:prop><d:resourcetype><d:collection/></d:resourcetype></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>
  <d:response><d:href>/elsewhere/x.ics</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response>
  <d:sync-token>
    tok-2
  </d:sync-token>
</d:multistatus>""",
    # crates/dav/src/discovery.rs: home-set listings of SOGo and Radicale.
    "listing-sogo": """<?xml version="1.0" encoding="utf-8"?>
<D:multistatus xmlns:D="DAV:" xmlns:b="urn:ietf:params:xml:ns:caldav" xmlns:a="http://apple.com/ns/ical/"><D:response><D:href>/SOGo/dav/alice/Calendar/</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop><D:resourcetype><D:collection/></D:resourcetype><D:displayname>Calendar</D:displayname></D:prop></D:propstat></D:response>
<D:response><D:href>/SOGo/dav/alice/Calendar/personal/</D:href><D:propstat><D:status>HTTP/1.1 200 OK</D:status><D:prop><D:resourcetype><D:collection/><calendar xmlns="urn:ietf:params:xml:ns:caldav"/></D:resourcetype><D:displayname>Personal Calendar</D:displayname><a:calendar-color>#AAAAAAFF</a:calendar-color><n1:supported-calendar-component-set xmlns:n1="urn:ietf:params:xml:ns:caldav"><n1:comp name="VEVENT"/><n1:comp name="VTODO"/></n1:supported-calendar-component-set><D:current-user-privilege-set><D:privilege><D:read/></D:privilege><D:privilege><D:write/></D:privilege></D:current-user-privilege-set><D:supported-report-set><D:supported-report><D:report><D:sync-collection/></D:report></D:supported-report></D:supported-report-set></D:prop></D:propstat></D:response></D:multistatus>""",
    "listing-radicale": """<?xml version='1.0' encoding='utf-8'?>
<multistatus xmlns="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:ICAL="http://apple.com/ns/ical/"><response><href>/alice/</href><propstat><prop><resourcetype><principal /><collection /></resourcetype></prop><status>HTTP/1.1 200 OK</status></propstat></response><response><href>/alice/contacts%20book/</href><propstat><prop><resourcetype><CR:addressbook /><collection /></resourcetype><displayname>Contacts</displayname><current-user-privilege-set><privilege><read /></privilege></current-user-privilege-set></prop><status>HTTP/1.1 200 OK</status></propstat><propstat><prop><ICAL:calendar-color /><C:supported-calendar-component-set /></prop><status>HTTP/1.1 404 Not Found</status></propstat></response><response><href>/alice/todo/</href><propstat><prop><resourcetype><C:calendar /><collection /></resourcetype><C:supported-calendar-component-set><C:comp name="VTODO" /></C:supported-calendar-component-set></prop><status>HTTP/1.1 200 OK</status></propstat></response></multistatus>""",
    # What libdav parses: collection properties, principal and home sets, multiget.
    "properties": """<?xml version="1.0"?><d:multistatus xmlns:d="DAV:" xmlns:cs="http://calendarserver.org/ns/" xmlns:ic="http://apple.com/ns/ical/"><d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:displayname>Work</d:displayname><ic:calendar-color>#ff0000</ic:calendar-color><cs:getctag>"ctag-1"</cs:getctag><d:sync-token>http://radicale.org/ns/sync/abc</d:sync-token></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>""",
    "principal": """<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav" xmlns:cr="urn:ietf:params:xml:ns:carddav"><d:response><d:href>/cal/</d:href><d:propstat><d:prop><d:current-user-principal><d:href>/alice/</d:href></d:current-user-principal><c:calendar-home-set><d:href>/alice/calendars/</d:href></c:calendar-home-set><cr:addressbook-home-set><d:href>http://127.0.0.1:1/alice/books/</d:href></cr:addressbook-home-set></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>""",
    "multiget": f"""<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/a.ics</d:href><d:propstat><d:prop><d:getetag>"9"</d:getetag><c:calendar-data>{ESCAPED}</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response><d:response><d:href>/cal/b.vcf</d:href><d:status>HTTP/1.1 404 Not Found</d:status></d:response></d:multistatus>""",
}


def multistatus():
    variants = [(0, 0), (1, 7), (2, 1), (4, 0), (8, 64), (0x0D, 3)]
    for i, (name, answer) in enumerate(sorted(ANSWERS.items())):
        flags, cut = variants[i % len(variants)]
        write("multistatus", name, bytes([flags, cut]) + answer.encode("utf-8"))
    # Not UTF-8 inside one item, then a good one (crates/dav/src/query.rs).
    bad = (b'\x00\x05<d:multistatus xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:response><d:href>/cal/x.ics</d:href><d:propstat><d:prop><d:getetag>"1"</d:getetag><c:calendar-data>caf\xe9</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response>'
           b'<d:response><d:href>/cal/y.ics</d:href><d:propstat><d:prop><d:getetag>"2"</d:getetag><c:calendar-data>ok\x01</c:calendar-data></d:prop><d:status>HTTP/1.1 200 OK</d:status></d:propstat></d:response></d:multistatus>')
    write("multistatus", "not-utf8", bad)


# --- item: .ics and .vcf -----------------------------------------------------------------

HEAD = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync//tests//EN\r\n"
TESTKIT = {
    # crates/testkit/src/items.rs, with the dates it would use on 2026-11-24.
    "event.ics": HEAD + "BEGIN:VEVENT\r\nUID:e1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261125T100000Z\r\nDTEND:20261125T110000Z\r\nSUMMARY:Event\r\nLAST-MODIFIED:20261120T101010Z\r\nCATEGORIES:Work,Home\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "weekly.ics": HEAD + "BEGIN:VEVENT\r\nUID:w1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20261103T080000Z\r\nDTEND:20261103T090000Z\r\nRRULE:FREQ=WEEKLY;UNTIL=20270101T000000Z\r\nSUMMARY:Weekly w1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "recurring.ics": HEAD + "BEGIN:VTIMEZONE\r\nTZID:Europe/Vienna\r\n"
    "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\nDTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\nDTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nUID:r1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;TZID=Europe/Vienna:20261103T090000\r\n"
    "DTEND;TZID=Europe/Vienna:20261103T093000\r\nRRULE:FREQ=WEEKLY;COUNT=10\r\nEXDATE;TZID=Europe/Vienna:20261117T090000\r\nSUMMARY:Series\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:r1\r\nDTSTAMP:20260101T000000Z\r\nRECURRENCE-ID;TZID=Europe/Vienna:20261110T090000\r\n"
    "DTSTART;TZID=Europe/Vienna:20261110T100000\r\nDTEND;TZID=Europe/Vienna:20261110T103000\r\n"
    "SUMMARY:Series (moved)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "all-day.ics": HEAD + "BEGIN:VEVENT\r\nUID:d1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261224\r\nDURATION:P1D\r\nRRULE:FREQ=YEARLY\r\nSUMMARY:All day\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
    "task.ics": HEAD + "BEGIN:VTODO\r\nUID:t1\r\nDTSTAMP:20260101T000000Z\r\nDUE:20261130T170000Z\r\nSUMMARY:Task\r\nSTATUS:NEEDS-ACTION\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
    "journal.ics": HEAD + "BEGIN:VJOURNAL\r\nUID:j1\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261101\r\nSUMMARY:Note\r\nDESCRIPTION:Folded line that goes on\r\n  and on\\, with escapes\\n\r\nEND:VJOURNAL\r\nEND:VCALENDAR\r\n",
    "vcard3.vcf": "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:c3\r\nFN:Anna Test\r\nN:Test;Anna;;;\r\nEMAIL;TYPE=INTERNET,WORK:c3@example.org\r\nTEL;TYPE=CELL:+43 1 234567\r\nCATEGORIES:Friends\r\nEND:VCARD\r\n",
    "vcard4.vcf": "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:urn:uuid:c4\r\nFN:Bert Test\r\nN:Test;Bert;;;\r\nEMAIL;TYPE=work:c4@example.org\r\nREV:20260101T000000Z\r\nEND:VCARD\r\n",
}


def items():
    for name, text in TESTKIT.items():
        write("item", name, text)
    # bench/generate.py: a few of its events (time zones, series with overrides,
    # alarms, attendees, long folded text) and contacts (3.0, 4.0, one with a photo).
    with tempfile.TemporaryDirectory() as tmp:
        gen = os.path.join(ROOT, "bench", "generate.py")
        subprocess.run([sys.executable, gen, "events", "40", os.path.join(tmp, "e")], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, gen, "contacts", "20", os.path.join(tmp, "c")], check=True, stdout=subprocess.DEVNULL)
        events = sorted(glob.glob(os.path.join(tmp, "e", "*")), key=os.path.getsize)
        contacts = sorted(glob.glob(os.path.join(tmp, "c", "*")), key=os.path.getsize)
        picked = events[::5] + [events[-1]] + contacts[::6] + [contacts[-1]]
        for i, path in enumerate(picked):
            with open(path, "rb") as f:
                write("item", f"bench-{i:02}{os.path.splitext(path)[1]}", f.read())


# --- config: README.md's examples ----------------------------------------------------------

CONFIGS = {
    "quick-start.toml": """[profiles.personal]
content = "events"
conflicts = "keep-both"
local = { type = "vdir", path = "~/calendars/personal" }
server = { type = "vdir", path = "/media/backup/davsync/personal" }
""",
    "full.toml": """[general]
data_dir = "~/.local/share/davsync"

[profiles.work]
content = "events"
mode = "two-way"
conflicts = "automatic"
max_delete = 50
category = "Work"
category_include_uncategorized = true
chunk_size = 100
max_item_size_mib = 10
concurrency = 4
time_range = { past_days = 60, future_days = 365 }
local = { type = "vdir", path = "~/calendars/work" }
server = { type = "caldav", url = "https://dav.example.org/alice/work/", username = "alice", password_command = "pass show dav/alice", timeout_seconds = 90, retries = 3, proxy = "http://proxy.example.org:3128", proxy_username = "bob", proxy_password_env = "PROXY_PW", tls_fingerprint = "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89" }

[profiles.contacts]
content = "contacts"
mode = "to-local"
local = { type = "vdir", path = "contacts" }

[profiles.contacts.server]
type = "carddav"
url = "http://127.0.0.1:5232/alice/contacts/"
username = "alice"
password_keyring = true
tls_insecure = false
close_connection = true
preemptive_auth = false
force_basic_auth = true
accept_invalid_xml_chars = true
lenient_headers = true

[profiles.todo]
content = "tasks"
mode = "to-server-merge"
conflicts = "local-wins"
time_range = false
category = "Errands"
category_negate = true
local = { type = "vdir", path = "/home/alice/tasks" }
server = { type = "caldav", url = "https://dav.example.org/alice/tasks/", password_env = "DAV_PW", tls_ca_file = "ca.pem", tls_client_cert = "me.pem", tls_client_key = "me.key" }
""",
    "daemon.toml": """[general]
max_parallel = 2
lock_wait_seconds = 30
log_file = "~/.local/state/davsync/davsync.log"
log_level = "debug"
offline_tolerance = 5
interval = "15m"
watch = false
reports = "all"
report_retention_days = 7
trash_retention_days = 0

[profiles.quiet]
content = "events"
inactive = true
interval = "off"
full_listing_interval = "12h"
local = { type = "vdir", path = "cal" }
server = { type = "caldav", url = "https://dav.example.org/cal/", connect_timeout_seconds = 5 }
""",
    "mapping.toml": """[profiles.work]
content = "events"
schedule_agent_client = true
sogo_no_notifications = true
map_attendees = false
organizer_sent_by = "mailto:assistant@example.org"
class_public_omit = true
class_private_as_confidential = true
private_events = "busy"
description = "drop"
html_description = "text"
local = { type = "vdir", path = "cal" }
server = { type = "caldav", url = "https://dav.example.org/SOGo/dav/alice/Calendar/work/" }

[[profiles.work.property_map]]
from = "X-MOZ-LASTACK"
to = "X-OTHER-LASTACK"
direction = "to_server"

[[profiles.work.property_map]]
set = "X-SYNCED-BY"
value = "davsync"

[[profiles.work.property_map]]
drop = "X-MOZ-SNOOZE-TIME"
direction = "both"
""",
    "bad-key.toml": """[profiles.x]
content = "events"
max_delete = 500
local = { type = "vdir", path = "a", url = "http://x/" }
server = { type = "webdav", path = "b" }
""",
}


def configs():
    for name, text in CONFIGS.items():
        write("config", name, text)


if __name__ == "__main__":
    shutil.rmtree(os.path.join(HERE, "corpus"), ignore_errors=True)
    multistatus()
    items()
    configs()
