#!/usr/bin/env python3
"""The floor: what a minimal client (Python's http.client, standard library only) needs to get
the same work done by the server. run.py starts one process per measurement under
/usr/bin/time -v and reads one JSON line from stdout:
{"seconds": S, "items": N, "requests": R, "bytes": B, "token": T}.
`seconds` is measured inside the process, from the first request to the last byte of the last
answer (no interpreter start-up, nothing written to disk: the floor is the server's part).

    floor.py download-seq   URL KIND [--batch 100]       (a) PROPFIND Depth 1, multigets in order
    floor.py download-par   URL KIND [--batch 100] [--inflight 4]   (b) the same, 4 in flight
    floor.py download-query URL KIND                     (c) one calendar-/addressbook-query
    floor.py download-query-write URL KIND DIR           (d) (c), then every item written to a file
                                 in DIR as davsync writes one: temporary file, fsync, link to its
                                 name; the folder synced once per 100 (a reference, not a floor:
                                 it shows what the disk adds to the server's part)
    floor.py download-sync-write URL KIND DIR [--chunk 100]
                                 (e1) one sync-collection from the empty token asking for the data
                                 (items and token in one request), then the items written to DIR
                                 as files made durable once per chunk: each chunk's files written
                                 (temporary file, rename, no fsync each), then syncfs(2) once (an
                                 fsync of each file where there is no syncfs) and the folder synced
    floor.py download-query-token-write URL KIND DIR [--chunk 100]
                                 (e2) one calendar-/addressbook-query, a PROPFIND for the sync
                                 token, then the files as in (e1)
    floor.py nochange-sync  URL --token T                one sync-collection with the last token
    floor.py nochange-ctag  URL                          one PROPFIND Depth 0 for getctag
    floor.py changes        URL KIND --token T           sync-collection, then multiget of what changed
    floor.py upload         URL KIND DIR [--inflight 4] [--names FILE]   PUT If-None-Match: *
    floor.py push           URL KIND DIR --token T [--names FILE] [--inflight 4]
                                 sync-collection (is the server unchanged?), then PUT the files

KIND is events or contacts. The user and password come from DAV_USER and DAV_PASSWORD.
"""

import argparse
import concurrent.futures
import html
import json
import os
import re
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True  # no __pycache__ in bench/
import davclient as dc  # noqa: E402


def batches(seq, n):
    return [seq[i:i + n] for i in range(0, len(seq), n)]


def count_items(data):
    return data.count(b"<D:response>") + data.count(b"<response>") + data.count(b"<ns0:response>")


ITEM_DATA = re.compile(rb"<(?:[\w.-]+:)?(?:calendar|address)-data[^>]*>(.*?)</(?:[\w.-]+:)?(?:calendar|address)-data>",
                       re.S)


def write_items(data, folder, ext):
    """Writes every item of a query answer to `folder` durably; returns how many."""
    n = 0
    for i, m in enumerate(ITEM_DATA.finditer(data)):
        body = html.unescape(m.group(1).decode("utf-8")).encode("utf-8")
        tmp = os.path.join(folder, f".tmp{i}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, body)
        os.fsync(fd)
        os.close(fd)
        os.link(tmp, os.path.join(folder, f"{i}{ext}"))
        os.unlink(tmp)
        n += 1
        if n % 100 == 0:
            dfd = os.open(folder, os.O_RDONLY)
            os.fsync(dfd)
            os.close(dfd)
    dfd = os.open(folder, os.O_RDONLY)
    os.fsync(dfd)
    os.close(dfd)
    return n


def _syncfs():
    """syncfs(2) of libc, or None where there is none."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.syncfs
    except (OSError, AttributeError):
        return None


SYNCFS = _syncfs()


def write_unnamed(folder, final, body):
    """Writes a new file with no name (Linux's O_TMPFILE), then links it as `final`, as davsync
    writes a new file where it can: one change of the folder instead of a temporary name and a
    rename. False where that cannot be done (the caller writes and renames)."""
    if not hasattr(os, "O_TMPFILE"):
        return False
    try:
        fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600)
    except OSError:
        return False
    try:
        os.write(fd, body)
        os.link(f"/proc/self/fd/{fd}", final, follow_symlinks=True)
        return True
    except OSError:
        return False
    finally:
        os.close(fd)


def write_items_per_chunk(data, folder, ext, chunk):
    """Writes every item of an answer to `folder`, durable once per `chunk` files (as davsync
    does from issue 17 on), each new file written unnamed and then linked where the system
    allows (as davsync does from stop 31 on); returns how many."""
    pending = []

    def durable():
        dfd = os.open(folder, os.O_RDONLY)
        try:
            if SYNCFS is None or SYNCFS(dfd) != 0:
                for path in pending:
                    fd = os.open(path, os.O_RDONLY)
                    os.fsync(fd)
                    os.close(fd)
            os.fsync(dfd)
        finally:
            os.close(dfd)
        pending.clear()

    n = 0
    for i, m in enumerate(ITEM_DATA.finditer(data)):
        body = html.unescape(m.group(1).decode("utf-8")).encode("utf-8")
        final = os.path.join(folder, f"{i}{ext}")
        if not write_unnamed(folder, final, body):
            tmp = os.path.join(folder, f".tmp{i}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            os.write(fd, body)
            os.close(fd)
            os.rename(tmp, final)
        pending.append(final)
        n += 1
        if n % chunk == 0:
            durable()
    durable()
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode")
    ap.add_argument("url")
    ap.add_argument("kind", nargs="?", default="events")
    ap.add_argument("dir", nargs="?")
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--inflight", type=int, default=4)
    ap.add_argument("--token", default="")
    ap.add_argument("--chunk", type=int, default=100, help="files made durable at once in (e1), (e2)")
    ap.add_argument("--names", help="file with the names (one a line) of DIR's files to send")
    a = ap.parse_args()

    client = dc.Client(a.url, os.environ.get("DAV_USER"), os.environ.get("DAV_PASSWORD"))
    path = dc.path_of(a.url)
    requests = 0
    nbytes = 0
    items = 0
    token = ""

    files = []
    if a.dir and not a.mode.endswith("-write"):
        names = (open(a.names).read().split() if a.names else
                 sorted(n for n in os.listdir(a.dir) if n.endswith((".ics", ".vcf"))))
        for n in names:
            with open(os.path.join(a.dir, n), "rb") as f:
                files.append((n, f.read()))

    t0 = time.perf_counter()
    if a.mode in ("download-seq", "download-par"):
        hrefs = dc.propfind_hrefs(client, path)
        requests += 1
        groups = batches(hrefs, a.batch)

        def fetch(group):
            data = dc.report(client, path, dc.multiget_body(a.kind, group))
            n = count_items(data)
            if n != len(group):
                raise SystemExit(f"multiget returned {n} of {len(group)} items")
            return n, len(data)

        if a.mode == "download-seq":
            results = [fetch(g) for g in groups]
        else:
            with concurrent.futures.ThreadPoolExecutor(a.inflight) as ex:
                results = list(ex.map(fetch, groups))
        requests += len(groups)
        items = sum(r[0] for r in results)
        nbytes = sum(r[1] for r in results)
    elif a.mode == "download-query":
        data = dc.report(client, path, dc.query_body(a.kind))
        requests = 1
        items = count_items(data)
        nbytes = len(data)
    elif a.mode == "download-query-write":
        data = dc.report(client, path, dc.query_body(a.kind))
        requests = 1
        nbytes = len(data)
        items = write_items(data, a.dir, ".ics" if a.kind == "events" else ".vcf")
    elif a.mode == "download-sync-write":
        token, data = dc.sync_collection_with_data(client, path, a.kind)
        requests = 1
        nbytes = len(data)
        items = write_items_per_chunk(data, a.dir, ".ics" if a.kind == "events" else ".vcf", a.chunk)
    elif a.mode == "download-query-token-write":
        data = dc.report(client, path, dc.query_body(a.kind))
        token = dc.sync_token(client, path)
        requests = 2
        nbytes = len(data)
        items = write_items_per_chunk(data, a.dir, ".ics" if a.kind == "events" else ".vcf", a.chunk)
    elif a.mode == "nochange-sync":
        token, changed, data = dc.sync_collection(client, path, a.token)
        requests = 1
        items = len(changed)
        nbytes = len(data)
    elif a.mode == "nochange-ctag":
        token = dc.getctag(client, path)
        requests = 1
    elif a.mode == "changes":
        token, changed, data = dc.sync_collection(client, path, a.token)
        requests = 1
        nbytes = len(data)
        for group in batches(changed, a.batch):
            data = dc.report(client, path, dc.multiget_body(a.kind, group))
            requests += 1
            items += count_items(data)
            nbytes += len(data)
    elif a.mode == "upload":
        requests = dc.put_items(client, path, a.kind, files, a.inflight, create=True)
        items = requests
    elif a.mode == "push":
        token, changed, data = dc.sync_collection(client, path, a.token)
        requests = 1 + dc.put_items(client, path, a.kind, files, a.inflight, create=False)
        items = len(files)
    else:
        raise SystemExit(f"unknown mode {a.mode}")
    seconds = time.perf_counter() - t0
    print(json.dumps({"seconds": seconds, "items": items, "requests": requests,
                      "bytes": nbytes, "token": token}))


if __name__ == "__main__":
    main()
