"""A minimal WebDAV/CalDAV/CardDAV client on Python's standard library (http.client).

Used by the benchmark's floor client (floor.py), the uploader (generate.py upload) and the
harness (run.py) to make and fill collections. One persistent connection per thread
(keep-alive where the server allows it; Radicale answers HTTP/1.0 and closes after each
response, and http.client then reconnects by itself).
"""

import base64
import concurrent.futures
import http.client
import re
import threading
import urllib.parse
from xml.sax.saxutils import escape

CALDAV_NS = "urn:ietf:params:xml:ns:caldav"
CARDDAV_NS = "urn:ietf:params:xml:ns:carddav"


class DavError(Exception):
    def __init__(self, method, path, status, body):
        super().__init__(f"{method} {path}: HTTP {status}: {body[:300]!r}")
        self.status = status


class Client:
    """A tiny DAV client bound to one server (scheme, host, port) and one user."""

    def __init__(self, base_url, user=None, password=None, timeout=600):
        u = urllib.parse.urlsplit(base_url)
        self.scheme = u.scheme
        self.host = u.hostname
        self.port = u.port or (443 if u.scheme == "https" else 80)
        self.timeout = timeout
        self.headers = {"User-Agent": "davsync-bench-floor"}
        if user is not None:
            token = base64.b64encode(f"{user}:{password or ''}".encode()).decode()
            self.headers["Authorization"] = "Basic " + token
        self._local = threading.local()

    def _conn(self):
        c = getattr(self._local, "conn", None)
        if c is None:
            cls = http.client.HTTPSConnection if self.scheme == "https" else http.client.HTTPConnection
            c = cls(self.host, self.port, timeout=self.timeout)
            self._local.conn = c
        return c

    def request(self, method, path, body=None, headers=None, ok=(200, 201, 204, 207)):
        """Sends one request; returns (status, headers dict, body bytes). Raises DavError on a
        status outside `ok` (pass ok=None to accept any)."""
        h = dict(self.headers)
        if headers:
            h.update(headers)
        if isinstance(body, str):
            body = body.encode("utf-8")
        for attempt in (0, 1):
            c = self._conn()
            try:
                c.request(method, path, body=body, headers=h)
                r = c.getresponse()
                data = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # A kept-alive connection closed by the server between two requests.
                c.close()
                self._local.conn = None
                if attempt:
                    raise
            except BaseException:
                c.close()
                self._local.conn = None
                raise
        if r.will_close:
            c.close()
        if ok is not None and r.status not in ok:
            raise DavError(method, path, r.status, data)
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data

    def close(self):
        c = getattr(self._local, "conn", None)
        if c is not None:
            c.close()
            self._local.conn = None


def path_of(url):
    """The path part of a URL (what goes on the request line)."""
    return urllib.parse.urlsplit(url).path


HREF_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?href>([^<]*)</(?:[A-Za-z0-9_]+:)?href>")
SYNC_TOKEN_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?sync-token>([^<]*)</(?:[A-Za-z0-9_]+:)?sync-token>")
CTAG_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?getctag>([^<]*)</(?:[A-Za-z0-9_]+:)?getctag>")
RESPONSE_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?response>(.*?)</(?:[A-Za-z0-9_]+:)?response>", re.S)
STATUS_RE = re.compile(rb"<(?:[A-Za-z0-9_]+:)?status>HTTP/1\.[01] (\d+)")


def is_calendar(kind):
    return kind in ("events", "calendar", "ics")


def propfind_hrefs(client, coll_path):
    """PROPFIND Depth 1 for getetag: the hrefs of the collection's members (not the collection)."""
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:resourcetype/></D:prop></D:propfind>')
    _, _, data = client.request("PROPFIND", coll_path, body,
                                {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    hrefs = []
    coll_norm = urllib.parse.unquote(coll_path).rstrip("/")
    for m in HREF_RE.finditer(data):
        h = m.group(1).decode()
        if urllib.parse.unquote(h).rstrip("/") != coll_norm:
            hrefs.append(h)
    return hrefs


def multiget_body(kind, hrefs):
    if is_calendar(kind):
        head = ('<?xml version="1.0" encoding="utf-8"?>'
                f'<C:calendar-multiget xmlns:D="DAV:" xmlns:C="{CALDAV_NS}">'
                '<D:prop><D:getetag/><C:calendar-data/></D:prop>')
        tail = "</C:calendar-multiget>"
    else:
        head = ('<?xml version="1.0" encoding="utf-8"?>'
                f'<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="{CARDDAV_NS}">'
                '<D:prop><D:getetag/><CR:address-data/></D:prop>')
        tail = "</CR:addressbook-multiget>"
    return head + "".join(f"<D:href>{escape(h)}</D:href>" for h in hrefs) + tail


def query_body(kind):
    """calendar-query (all VEVENTs) / addressbook-query (all cards) returning the data."""
    if is_calendar(kind):
        return ('<?xml version="1.0" encoding="utf-8"?>'
                f'<C:calendar-query xmlns:D="DAV:" xmlns:C="{CALDAV_NS}">'
                '<D:prop><D:getetag/><C:calendar-data/></D:prop>'
                '<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/>'
                '</C:comp-filter></C:filter></C:calendar-query>')
    return ('<?xml version="1.0" encoding="utf-8"?>'
            f'<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="{CARDDAV_NS}">'
            '<D:prop><D:getetag/><CR:address-data/></D:prop>'
            '</CR:addressbook-query>')


def report(client, coll_path, body):
    _, _, data = client.request("REPORT", coll_path, body,
                                {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"})
    return data


def sync_collection(client, coll_path, token=""):
    """sync-collection REPORT (RFC 6578) asking for getetag; returns (token, changed hrefs, raw)."""
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<D:sync-collection xmlns:D="DAV:">'
            f'<D:sync-token>{escape(token)}</D:sync-token><D:sync-level>1</D:sync-level>'
            '<D:prop><D:getetag/></D:prop></D:sync-collection>')
    data = report(client, coll_path, body)
    m = SYNC_TOKEN_RE.search(data)
    new_token = m.group(1).decode() if m else ""
    changed = []
    for r in RESPONSE_RE.finditer(data):
        block = r.group(1)
        h = HREF_RE.search(block)
        st = STATUS_RE.search(block)
        if h and not (st and st.group(1) == b"404"):
            changed.append(h.group(1).decode())
    return new_token, changed, data


def sync_collection_with_data(client, coll_path, kind):
    """sync-collection REPORT from the empty token asking for the items' data too (the first
    read in one request); returns (token, raw answer)."""
    data_prop = "<C:calendar-data/>" if is_calendar(kind) else "<CR:address-data/>"
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            f'<D:sync-collection xmlns:D="DAV:" xmlns:C="{CALDAV_NS}" xmlns:CR="{CARDDAV_NS}">'
            '<D:sync-token/><D:sync-level>1</D:sync-level>'
            f'<D:prop><D:getetag/>{data_prop}</D:prop></D:sync-collection>')
    data = report(client, coll_path, body)
    m = SYNC_TOKEN_RE.search(data)
    return (m.group(1).decode() if m else ""), data


def sync_token(client, coll_path):
    """PROPFIND Depth 0 for the collection's sync-token."""
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<D:propfind xmlns:D="DAV:"><D:prop><D:sync-token/></D:prop></D:propfind>')
    _, _, data = client.request("PROPFIND", coll_path, body,
                                {"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
    m = SYNC_TOKEN_RE.search(data)
    return m.group(1).decode() if m else ""


def getctag(client, coll_path):
    body = ('<?xml version="1.0" encoding="utf-8"?>'
            '<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/">'
            '<D:prop><CS:getctag/><D:sync-token/></D:prop></D:propfind>')
    _, _, data = client.request("PROPFIND", coll_path, body,
                                {"Depth": "0", "Content-Type": "application/xml; charset=utf-8"})
    m = CTAG_RE.search(data)
    return m.group(1).decode() if m else ""


def make_collection(client, coll_path, kind, displayname="bench"):
    """MKCALENDAR (VEVENT, VTODO) or extended MKCOL (address book)."""
    if is_calendar(kind):
        body = ('<?xml version="1.0" encoding="utf-8"?>'
                f'<C:mkcalendar xmlns:D="DAV:" xmlns:C="{CALDAV_NS}"><D:set><D:prop>'
                f'<D:displayname>{escape(displayname)}</D:displayname>'
                '<C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/>'
                '</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>')
        client.request("MKCALENDAR", coll_path, body, {"Content-Type": "application/xml; charset=utf-8"})
    else:
        body = ('<?xml version="1.0" encoding="utf-8"?>'
                f'<D:mkcol xmlns:D="DAV:" xmlns:CR="{CARDDAV_NS}"><D:set><D:prop>'
                '<D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>'
                f'<D:displayname>{escape(displayname)}</D:displayname>'
                '</D:prop></D:set></D:mkcol>')
        client.request("MKCOL", coll_path, body, {"Content-Type": "application/xml; charset=utf-8"})


def content_type(kind):
    return "text/calendar; charset=utf-8" if is_calendar(kind) else "text/vcard; charset=utf-8"


def put_items(client, coll_path, kind, items, concurrency=4, create=True):
    """PUTs (name, bytes) pairs into the collection, `concurrency` at a time.

    create=True sends If-None-Match: * (new items); otherwise the item is overwritten.
    Returns the number of requests sent."""
    ctype = content_type(kind)
    base = coll_path if coll_path.endswith("/") else coll_path + "/"

    def one(item):
        name, data = item
        h = {"Content-Type": ctype}
        if create:
            h["If-None-Match"] = "*"
        client.request("PUT", base + urllib.parse.quote(name), data, h)

    if concurrency <= 1:
        for it in items:
            one(it)
    else:
        with concurrent.futures.ThreadPoolExecutor(concurrency) as ex:
            for _ in ex.map(one, items):
                pass
    return len(items)
