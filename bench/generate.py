#!/usr/bin/env python3
"""Deterministic, realistic benchmark data for davsync: events (.ics) and contacts (.vcf).

    bench/generate.py events   N DIR [--seed S] [--anchor YYYY-MM-DD]
    bench/generate.py contacts M DIR [--seed S]
    bench/generate.py upload   DIR URL [--user U] [--password-env VAR] [--concurrency 4]

`events` writes N files, one VCALENDAR each: events in Europe/Vienna and America/New_York (with
their VTIMEZONE), in UTC, and all-day; 15 % recurring (daily, weekly, monthly, yearly; counted,
until-bounded or endless) with 1 to 3 overridden instances (RECURRENCE-ID, in the same
resource) and sometimes EXDATEs; alarms; organizer and attendees; locations, categories, and
descriptions from none to a few KB (non-ASCII text, escaped commas and line breaks), all
folded at 75 octets with CRLF line ends.

`contacts` writes M vCards, half 3.0 and half 4.0: names, e-mails, phones, addresses,
organisations, birthdays, notes, and for about 10 % a PHOTO: a real baseline JPEG or PNG of a
few KB (made here with the standard library), inline base64 (3.0: ENCODING=b; 4.0: data: URI).

`upload` PUTs every file of DIR (If-None-Match: *) into the collection URL, `--concurrency` at a
time (Python threads, standard library only).

The same seed (default 1) and anchor date (default 2026-11-01) give byte-identical files.
The file name is the href on the server: the UID plus .ics/.vcf (the UUID part for urn:uuid:
UIDs). Only the standard library is used; the module is also imported by run.py (mutate()).
"""

import argparse
import base64
import datetime as dt
import math
import os
import random
import struct
import sys
import time
import unicodedata
import uuid
import zlib

CRLF = "\r\n"

# ---------------------------------------------------------------------------------------------
# iCalendar / vCard text helpers


def fold(line):
    """Folds one content line at 75 octets (RFC 5545 3.1), never inside a UTF-8 sequence."""
    raw = line.encode("utf-8")
    if len(raw) <= 75:
        return line
    out = []
    start = 0
    limit = 75
    while start < len(raw):
        end = min(start + limit, len(raw))
        while end < len(raw) and (raw[end] & 0xC0) == 0x80:
            end -= 1  # do not cut a multi-byte character
        out.append(raw[start:end].decode("utf-8"))
        start = end
        limit = 74  # continuation lines start with a space
    return (CRLF + " ").join(out)


def esc(text):
    """TEXT value escaping (RFC 5545 3.3.11 / RFC 6350 3.4)."""
    return (text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def lines_to_text(lines):
    return "".join(fold(l) + CRLF for l in lines)


# ---------------------------------------------------------------------------------------------
# Vocabulary

FIRST = ["Anna", "Lukas", "Sophie", "Maximilian", "Emma", "Jakob", "Lena", "Tobias", "Marie",
         "Felix", "Hannah", "Paul", "Laura", "Jonas", "Julia", "David", "Sarah", "Michael",
         "Emily", "James", "Olivia", "William", "Ava", "Noah", "Isabella", "Liam", "Mia",
         "Ethan", "Chloé", "Zoë", "Jürgen", "Björn", "Renée", "José", "Søren", "Łukasz",
         "Ana-María", "Jean-Luc", "Grüße", "Oğuz"]
LAST = ["Müller", "Gruber", "Huber", "Wagner", "Pichler", "Steiner", "Moser", "Mayer",
        "Hofer", "Leitner", "Berger", "Fuchs", "Eder", "Fischer", "Schmid", "Smith",
        "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
        "Martinez", "O'Brien", "van der Berg", "Nguyễn", "Kowalski", "Øvergaard", "Dvořák"]
DOMAINS = ["example.org", "example.com", "mail.example.net", "corp.example.at", "uni.example.edu"]
TOPICS = ["Team meeting", "Jour fixe", "Sprint planning", "Zahnarzt", "Dentist", "Yoga",
          "Lunch with {p}", "Call with {p}", "Project review", "Budget 2027", "Elternabend",
          "Flight VIE → JFK", "Geburtstag {p}", "Quarterly report", "1:1 {p}", "Workshop: CalDAV",
          "Kino", "Tennis", "Board meeting", "Interview", "Retro", "Release party", "Steuerberater",
          "Car service", "Concert", "Yoga", "Standup", "Deadline: proposal", "Hackathon",
          "Weihnachtsfeier", "Thanksgiving dinner", "Doctor's appointment"]
PLACES = ["Room 4.12", "Stephansplatz 1, 1010 Wien", "Zoom", "Café Central", "Büro",
          "350 5th Ave, New York, NY 10118", "Conference room B", "Online (Teams)",
          "Hauptbahnhof, Gleis 7", "Home", "Museumsquartier", ""]
CATS = ["Work", "Home", "Family", "Travel", "Health", "Sport", "Private", "Important"]
WORDS = ("the of and to in is for on with as at by from this that be are project agenda "
         "bitte Unterlagen mitbringen Besprechung Tagesordnung Protokoll Präsentation Kosten "
         "Zeitplan next steps review open questions budget timeline delivery décision réunion "
         "ünterwegs Straße Größe naïve façade — – “quoted” ‘single’ €100 10% a/b c;d e,f").split()


def sentence(rng, n):
    words = [rng.choice(WORDS) for _ in range(n)]
    s = " ".join(words)
    return s[:1].upper() + s[1:] + "."


def description(rng):
    r = rng.random()
    if r < 0.30:
        return None
    if r < 0.70:
        return sentence(rng, rng.randint(3, 15))
    if r < 0.90:
        return "\n".join(sentence(rng, rng.randint(8, 20)) for _ in range(rng.randint(2, 5)))
    # long: meeting notes, a few KB
    paras = []
    for _ in range(rng.randint(8, 30)):
        paras.append("- " + sentence(rng, rng.randint(6, 25)))
    return "Agenda:\n" + "\n".join(paras) + "\n\nhttps://example.org/meeting/" + str(rng.getrandbits(32))


def person(rng):
    f, l = rng.choice(FIRST), rng.choice(LAST)
    local = unicodedata.normalize("NFKD", f + "." + l).lower()
    local = "".join(c for c in local if c.isascii() and (c.isalnum() or c == ".")) or "user"
    return f, l, f"{local}@{rng.choice(DOMAINS)}"


def make_uid(rng, suffix=True):
    u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if rng.random() < 0.3:
        u = u.upper()
    if suffix and rng.random() < 0.4:
        u += "@" + rng.choice(DOMAINS)
    return u


# ---------------------------------------------------------------------------------------------
# Events

VTIMEZONES = {
    "Europe/Vienna": [
        "BEGIN:VTIMEZONE", "TZID:Europe/Vienna", "X-LIC-LOCATION:Europe/Vienna",
        "BEGIN:DAYLIGHT", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0200", "TZNAME:CEST",
        "DTSTART:19700329T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", "END:DAYLIGHT",
        "BEGIN:STANDARD", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "TZNAME:CET",
        "DTSTART:19701025T030000", "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU", "END:STANDARD",
        "END:VTIMEZONE"],
    "America/New_York": [
        "BEGIN:VTIMEZONE", "TZID:America/New_York", "X-LIC-LOCATION:America/New_York",
        "BEGIN:DAYLIGHT", "TZOFFSETFROM:-0500", "TZOFFSETTO:-0400", "TZNAME:EDT",
        "DTSTART:19700308T020000", "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU", "END:DAYLIGHT",
        "BEGIN:STANDARD", "TZOFFSETFROM:-0400", "TZOFFSETTO:-0500", "TZNAME:EST",
        "DTSTART:19701101T020000", "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU", "END:STANDARD",
        "END:VTIMEZONE"],
}


def fmt_dt(d):
    return d.strftime("%Y%m%dT%H%M%S")


def fmt_date(d):
    return d.strftime("%Y%m%d")


def add_months(d, k):
    m = d.month - 1 + k
    return d.replace(year=d.year + m // 12, month=m % 12 + 1)


def dt_prop(name, value, kind, tzid):
    """DTSTART/DTEND/RECURRENCE-ID/EXDATE line for a date, a local time in tzid, or UTC."""
    if kind == "date":
        return f"{name};VALUE=DATE:{fmt_date(value)}"
    if kind == "utc":
        return f"{name}:{fmt_dt(value)}Z"
    return f"{name};TZID={tzid}:{fmt_dt(value)}"


def alarms(rng):
    out = []
    for _ in range(1 if rng.random() < 0.8 else 2):
        trig = rng.choice(["-PT5M", "-PT10M", "-PT15M", "-PT30M", "-PT1H", "-P1D", "PT0S"])
        action = "DISPLAY" if rng.random() < 0.85 else "AUDIO"
        out += ["BEGIN:VALARM", f"ACTION:{action}", f"TRIGGER:{trig}"]
        if action == "DISPLAY":
            out.append("DESCRIPTION:Reminder")
        out.append("END:VALARM")
    return out


def make_event(rng, anchor, stamp):
    """Returns (uid, text) of one VCALENDAR resource."""
    uid = make_uid(rng)
    r = rng.random()
    if r < 0.45:
        kind, tzid = "tz", "Europe/Vienna"
    elif r < 0.70:
        kind, tzid = "tz", "America/New_York"
    elif r < 0.85:
        kind, tzid = "utc", None
    else:
        kind, tzid = "date", None

    day = anchor + dt.timedelta(days=rng.randint(-730, 365))
    if kind == "date":
        start = day
        end = start + dt.timedelta(days=rng.choice([1, 1, 1, 2, 3, 7]))
    else:
        start = dt.datetime(day.year, day.month, day.day, rng.randint(7, 20), rng.choice([0, 0, 15, 30, 45]))
        end = start + dt.timedelta(minutes=rng.choice([15, 30, 45, 60, 60, 90, 120, 240]))

    org = person(rng) if rng.random() < 0.3 else None
    topic = rng.choice(TOPICS).format(p=rng.choice(FIRST))
    desc = description(rng)
    created = stamp - dt.timedelta(days=rng.randint(1, 900), seconds=rng.randint(0, 86399))
    modified = created + dt.timedelta(days=rng.randint(0, 30), seconds=rng.randint(0, 86399))

    def common(summary, seq):
        out = [f"UID:{uid}", f"DTSTAMP:{fmt_dt(stamp)}Z", f"CREATED:{fmt_dt(created)}Z",
               f"LAST-MODIFIED:{fmt_dt(modified)}Z", f"SEQUENCE:{seq}", f"SUMMARY:{esc(summary)}"]
        return out

    body = common(topic, 0)
    body += [dt_prop("DTSTART", start, kind, tzid), dt_prop("DTEND", end, kind, tzid)]
    if kind == "date":
        body.append("TRANSP:TRANSPARENT")
    place = rng.choice(PLACES)
    if place:
        body.append(f"LOCATION:{esc(place)}")
    if desc:
        body.append(f"DESCRIPTION:{esc(desc)}")
    if rng.random() < 0.4:
        body.append("CATEGORIES:" + ",".join(esc(c) for c in rng.sample(CATS, rng.randint(1, 2))))
    if rng.random() < 0.1:
        body.append("CLASS:PRIVATE")
    if rng.random() < 0.2:
        body.append("STATUS:" + rng.choice(["CONFIRMED", "TENTATIVE"]))
    attendee_lines = []
    if org:
        body.append(f"ORGANIZER;CN={org[0]} {org[1]}:mailto:{org[2]}".replace('"', ""))
        for _ in range(rng.randint(1, 8)):
            f, l, mail = person(rng)
            ps = rng.choice(["ACCEPTED", "NEEDS-ACTION", "DECLINED", "TENTATIVE"])
            role = "REQ-PARTICIPANT" if rng.random() < 0.8 else "OPT-PARTICIPANT"
            attendee_lines.append(
                f'ATTENDEE;CN="{f} {l}";CUTYPE=INDIVIDUAL;ROLE={role};PARTSTAT={ps};RSVP=TRUE:mailto:{mail}')
        body += attendee_lines

    overrides = []
    if rng.random() < 0.15:
        freq = rng.choice(["DAILY", "WEEKLY", "WEEKLY", "WEEKLY", "MONTHLY", "YEARLY"])
        interval = rng.choice([1, 1, 1, 2])
        if freq in ("MONTHLY", "YEARLY") and start.day > 28:
            shift = dt.timedelta(days=start.day - 28)
            start, end = start - shift, end - shift
            body = [l for l in body if not l.startswith(("DTSTART", "DTEND"))]
            body += [dt_prop("DTSTART", start, kind, tzid), dt_prop("DTEND", end, kind, tzid)]
        count = rng.choice([None, 5, 10, 20, 52, 100])
        rule = f"RRULE:FREQ={freq}"
        if interval > 1:
            rule += f";INTERVAL={interval}"
        if count:
            rule += f";COUNT={count}"
        elif rng.random() < 0.4:
            until = start + dt.timedelta(days=rng.randint(60, 700))
            rule += ";UNTIL=" + (fmt_date(until) if kind == "date" else fmt_dt(until) + "Z")
        body.append(rule)

        def occurrence(k):
            if freq == "DAILY":
                return start + dt.timedelta(days=k * interval)
            if freq == "WEEKLY":
                return start + dt.timedelta(days=7 * k * interval)
            if freq == "MONTHLY":
                return add_months(start, k * interval)
            return start.replace(year=start.year + k * interval)

        limit = (count or 12) - 1
        ks = sorted(rng.sample(range(1, max(2, limit)), min(rng.randint(1, 3), max(1, limit - 1))))
        if rng.random() < 0.3 and len(ks) > 1:
            body.append(dt_prop("EXDATE", occurrence(ks.pop()), kind, tzid))
        for k in ks:
            rid = occurrence(k)
            if kind == "date":
                moved = rid + dt.timedelta(days=1)
                moved_end = moved + (end - start)
            else:
                moved = rid + dt.timedelta(hours=rng.choice([1, 2, -1, 24]))
                moved_end = moved + (end - start)
            ov = common(topic + rng.choice(["", " (moved)", " – verschoben", " (room change)"]), 1)
            ov += [dt_prop("RECURRENCE-ID", rid, kind, tzid),
                   dt_prop("DTSTART", moved, kind, tzid), dt_prop("DTEND", moved_end, kind, tzid)]
            if place:
                ov.append(f"LOCATION:{esc(rng.choice(PLACES) or place)}")
            if org:
                ov.append(f"ORGANIZER;CN={org[0]} {org[1]}:mailto:{org[2]}")
                ov += attendee_lines
            overrides.append(ov)

    has_alarm = rng.random() < 0.5
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//davsync//bench generator 1//EN",
             "CALSCALE:GREGORIAN"]
    if kind == "tz":
        lines += VTIMEZONES[tzid]
    lines += ["BEGIN:VEVENT"] + body + (alarms(rng) if has_alarm else []) + ["END:VEVENT"]
    for ov in overrides:
        lines += ["BEGIN:VEVENT"] + ov + (alarms(rng) if has_alarm else []) + ["END:VEVENT"]
    lines.append("END:VCALENDAR")
    return uid, lines_to_text(lines)


# ---------------------------------------------------------------------------------------------
# Photos: real, small images made with the standard library


def png_bytes(rng, w=40, h=40):
    rows = bytearray()
    c0 = [rng.randint(0, 255) for _ in range(3)]
    c1 = [rng.randint(0, 255) for _ in range(3)]
    for y in range(h):
        rows.append(0)
        for x in range(w):
            t = (x + y) / (w + h)
            for ch in range(3):
                v = int(c0[ch] * (1 - t) + c1[ch] * t) + rng.randint(-40, 40)
                rows.append(max(0, min(255, v)))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes(rows), 9)) + chunk(b"IEND", b""))


_ZIGZAG = [0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41,
           34, 27, 20, 13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30,
           37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63]
_QUANT = [16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40,
          57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35,
          55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112,
          100, 103, 99]
_DC_BITS = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
_DC_VALS = list(range(12))
_AC_BITS = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D]
_AC_VALS = bytes.fromhex(
    "01020300041105122131410613516107227114328191a1082342b1c11552d1f0"
    "2433627282090a161718191a25262728292a3435363738393a434445464748494a"
    "535455565758595a636465666768696a737475767778797a838485868788898a"
    "92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6"
    "c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9fa")


def _huff(bits, vals):
    table, code, k = {}, 0, 0
    for length in range(1, 17):
        for _ in range(bits[length - 1]):
            table[vals[k]] = (code, length)
            code += 1
            k += 1
        code <<= 1
    return table


_DCT = [[(math.sqrt(0.5) if u == 0 else 1.0) * 0.5 * math.cos((2 * x + 1) * u * math.pi / 16)
         for x in range(8)] for u in range(8)]


def jpeg_bytes(rng, w=80, h=80):
    """A baseline, grayscale JPEG (JFIF) of a noisy gradient, encoded here."""
    a, b = rng.randint(30, 220), rng.randint(30, 220)
    pix = [[max(0, min(255, int(a + (b - a) * (x + y) / (w + h)) + rng.randint(-35, 35)))
            for x in range(w)] for y in range(h)]
    dc_t, ac_t = _huff(_DC_BITS, _DC_VALS), _huff(_AC_BITS, _AC_VALS)
    quant = [max(1, v // 3) for v in _QUANT]  # about quality 85
    out, acc, nbits = bytearray(), 0, 0

    def put(code, length):
        nonlocal acc, nbits
        acc = (acc << length) | code
        nbits += length
        while nbits >= 8:
            nbits -= 8
            byte = (acc >> nbits) & 0xFF
            out.append(byte)
            if byte == 0xFF:
                out.append(0)
        acc &= (1 << nbits) - 1

    def magnitude(v):
        size = abs(v).bit_length()
        return size, (v if v >= 0 else v + (1 << size) - 1)

    prev_dc = 0
    for by in range(0, h, 8):
        for bx in range(0, w, 8):
            blk = [[pix[by + y][bx + x] - 128 for x in range(8)] for y in range(8)]
            tmp = [[sum(_DCT[u][x] * blk[y][x] for x in range(8)) for u in range(8)] for y in range(8)]
            coef = [sum(_DCT[v][y] * tmp[y][u] for y in range(8)) for v in range(8) for u in range(8)]
            q = [int(round(coef[i] / quant[i])) for i in range(64)]
            zz = [q[i] for i in _ZIGZAG]
            diff = zz[0] - prev_dc
            prev_dc = zz[0]
            size, bits = magnitude(diff)
            put(*dc_t[size])
            if size:
                put(bits, size)
            run = 0
            for v in zz[1:]:
                if v == 0:
                    run += 1
                    continue
                while run > 15:
                    put(*ac_t[0xF0])
                    run -= 16
                size, bits = magnitude(v)
                put(*ac_t[(run << 4) | size])
                put(bits, size)
                run = 0
            if run:
                put(*ac_t[0x00])
    if nbits:
        put((1 << (8 - nbits)) - 1, 8 - nbits)

    def seg(marker, data):
        return bytes([0xFF, marker]) + struct.pack(">H", len(data) + 2) + data

    head = b"\xff\xd8" + seg(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
    head += seg(0xDB, b"\x00" + bytes(quant[i] for i in _ZIGZAG))
    head += seg(0xC0, struct.pack(">BHHB", 8, h, w, 1) + b"\x01\x11\x00")
    head += seg(0xC4, b"\x00" + bytes(_DC_BITS) + bytes(_DC_VALS))
    head += seg(0xC4, b"\x10" + bytes(_AC_BITS) + _AC_VALS)
    head += seg(0xDA, b"\x01\x01\x00\x00\x3f\x00")
    return head + bytes(out) + b"\xff\xd9"


# ---------------------------------------------------------------------------------------------
# Contacts


def make_contact(rng, photos, stamp):
    v4 = rng.random() < 0.5
    u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    uid = ("urn:uuid:" + u) if v4 and rng.random() < 0.5 else u
    f, l, mail = person(rng)
    rev = stamp - dt.timedelta(days=rng.randint(0, 1500), seconds=rng.randint(0, 86399))
    lines = ["BEGIN:VCARD", "VERSION:" + ("4.0" if v4 else "3.0"),
             "PRODID:-//davsync//bench generator 1//EN", f"UID:{uid}",
             f"FN:{esc(f + ' ' + l)}", f"N:{esc(l)};{esc(f)};;;"]
    if v4:
        lines.append("KIND:individual")
    for i in range(rng.choice([0, 1, 1, 1, 2, 3])):
        t = ["home", "work", "other"][i % 3]
        addr = mail if i == 0 else f"{f[0].lower()}{i}@{rng.choice(DOMAINS)}"
        addr = "".join(c for c in addr if c.isascii())
        lines.append(f"EMAIL;TYPE={t}:{addr}" if v4 else f"EMAIL;TYPE=INTERNET,{t.upper()}:{addr}")
    for i in range(rng.choice([0, 1, 1, 2, 3])):
        t = ["cell", "home", "work"][i % 3]
        num = f"+{rng.choice(['43', '1', '49'])} {rng.randint(100, 999)} {rng.randint(1000000, 9999999)}"
        lines.append(f"TEL;VALUE=uri;TYPE={t}:tel:{num.replace(' ', '-')}" if v4 else f"TEL;TYPE={t.upper()}:{num}")
    if rng.random() < 0.4:
        city = rng.choice(["Wien", "Graz", "New York", "Berlin", "Zürich"])
        street = f"{rng.choice(['Hauptstraße', 'Main St', 'Ringstraße', 'Broadway'])} {rng.randint(1, 200)}"
        lines.append(f"ADR;TYPE={'home' if v4 else 'HOME'}:;;{esc(street)};{esc(city)};;{rng.randint(1000, 99999)};"
                     f"{esc(rng.choice(['Austria', 'USA', 'Germany', 'Switzerland']))}")
    if rng.random() < 0.5:
        lines.append(f"ORG:{esc(rng.choice(['ACME Corp', 'Universität Wien', 'Example GmbH', 'Foo & Bar LLC']))}")
        if rng.random() < 0.5:
            lines.append(f"TITLE:{esc(rng.choice(['Engineer', 'Geschäftsführerin', 'CTO', 'Consultant']))}")
    if rng.random() < 0.3:
        b = dt.date(rng.randint(1940, 2010), rng.randint(1, 12), rng.randint(1, 28))
        lines.append("BDAY:" + (b.strftime("%Y%m%d") if v4 else b.isoformat()))
    if rng.random() < 0.25:
        lines.append("NOTE:" + esc(sentence(rng, rng.randint(4, 60))))
    if rng.random() < 0.3:
        lines.append("CATEGORIES:" + ",".join(rng.sample(["friends", "family", "work", "vip"], rng.randint(1, 2))))
    if rng.random() < 0.10:
        mime, data = rng.choice(photos)
        b64 = base64.b64encode(data).decode()
        if v4:
            lines.append(f"PHOTO:data:image/{mime};base64,{b64}")
        else:
            lines.append(f"PHOTO;ENCODING=b;TYPE={mime.upper()}:{b64}")
    lines.append("REV:" + (rev.strftime("%Y%m%dT%H%M%SZ") if v4 else rev.strftime("%Y-%m-%dT%H:%M:%SZ")))
    lines.append("END:VCARD")
    return uid, lines_to_text(lines)


# ---------------------------------------------------------------------------------------------


def file_name(uid, ext):
    if uid.startswith("urn:uuid:"):
        uid = uid[len("urn:uuid:"):]
    return uid + ext


def write_atomic(path, text):
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write(text)


def generate_events(n, out_dir, seed=1, anchor=dt.date(2026, 11, 1)):
    rng = random.Random(f"events-{seed}")
    stamp = dt.datetime(anchor.year, anchor.month, anchor.day, 12, 0, 0)
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for _ in range(n):
        uid, text = make_event(rng, anchor, stamp)
        name = file_name(uid, ".ics")
        write_atomic(os.path.join(out_dir, name), text)
        names.append(name)
    return names


def generate_contacts(m, out_dir, seed=1, anchor=dt.date(2026, 11, 1)):
    rng = random.Random(f"contacts-{seed}")
    prng = random.Random(f"photos-{seed}")
    photos = [("jpeg", jpeg_bytes(prng)) for _ in range(12)] + [("png", png_bytes(prng)) for _ in range(12)]
    stamp = dt.datetime(anchor.year, anchor.month, anchor.day, 12, 0, 0)
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for _ in range(m):
        uid, text = make_contact(rng, photos, stamp)
        name = file_name(uid, ".vcf")
        write_atomic(os.path.join(out_dir, name), text)
        names.append(name)
    return names


def mutate(text, tag):
    """A real content change: inserts `tag` at the start of the first SUMMARY (events) or FN
    (contacts) value. Works on any serialization (a server's re-sorted one too)."""
    out = []
    done = False
    for line in text.splitlines(keepends=True):
        if not done:
            upper = line.upper()
            if upper.startswith(("SUMMARY:", "SUMMARY;", "FN:", "FN;")):
                i = line.index(":")
                line = line[:i + 1] + tag + " " + line[i + 1:]
                done = True
        out.append(line)
    if not done:
        raise ValueError("no SUMMARY or FN to change")
    return "".join(out)


def upload_dir(src_dir, coll_url, user, password, concurrency=4, create=True):
    import davclient
    kind = "events" if any(n.endswith(".ics") for n in os.listdir(src_dir)) else "contacts"
    items = []
    for name in sorted(os.listdir(src_dir)):
        if name.endswith((".ics", ".vcf")):
            with open(os.path.join(src_dir, name), "rb") as f:
                items.append((name, f.read()))
    client = davclient.Client(coll_url, user, password)
    return davclient.put_items(client, davclient.path_of(coll_url), kind, items, concurrency, create)


def main():
    sys.dont_write_bytecode = True  # no __pycache__ in bench/
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("events", "contacts"):
        p = sub.add_parser(name)
        p.add_argument("count", type=int)
        p.add_argument("dir")
        p.add_argument("--seed", type=int, default=1)
        p.add_argument("--anchor", default="2026-11-01", help="the date events are spread around")
    p = sub.add_parser("upload")
    p.add_argument("dir")
    p.add_argument("url")
    p.add_argument("--user", default=os.environ.get("DAV_USER"))
    p.add_argument("--password-env", default="DAV_PASSWORD")
    p.add_argument("--concurrency", type=int, default=4)
    a = ap.parse_args()
    t0 = time.perf_counter()
    if a.cmd in ("events", "contacts"):
        anchor = dt.date.fromisoformat(a.anchor)
        gen = generate_events if a.cmd == "events" else generate_contacts
        names = gen(a.count, a.dir, a.seed, anchor)
        size = sum(os.path.getsize(os.path.join(a.dir, n)) for n in names)
        print(f"{len(names)} {a.cmd} in {a.dir}: {size / 1e6:.1f} MB, {time.perf_counter() - t0:.1f} s")
    else:
        n = upload_dir(a.dir, a.url, a.user, os.environ.get(a.password_env), a.concurrency)
        print(f"uploaded {n} items to {a.url} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
