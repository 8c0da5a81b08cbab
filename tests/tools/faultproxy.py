#!/usr/bin/env python3
"""A faulty HTTP/1.1 reverse proxy for fault-injection tests (standard library only).

    tests/tools/faultproxy.py --upstream http://127.0.0.1:PORT --port-file FILE [options]

Listens on 127.0.0.1 (--port, or a free port; written to --port-file once it listens) and forwards each
request to the upstream server, except that, per request and at the rates given (drawn from a
seeded random generator, so a run can be repeated):

  --drop R        the connection is closed before the request reaches the server
  --drop-after R  the request reaches the server and is carried out, then the connection is
                  closed before the answer: the client cannot know it happened
  --error R       the proxy answers 500 or 503 (with `Retry-After: 0` or 1) itself
  --delay R       the request waits 0.1 to --max-delay seconds before it is forwarded
  --truncate R    the answer's head and half its body are sent, then the connection is closed

Two deviations from the protocol, on every answer, for tests of lenient reading:

  --form-feed     a form feed (invalid in XML 1.0) before the last closing tag of XML answers
  --bad-header    a header line with a space before its colon (`X-Lenient : yes`)

And a server that lies about its ETags:

  --lie-etags     every ETag the server gives (the `ETag` header, `getetag` in XML answers)
                  becomes the same "lie", and `If-Match` is taken away from requests (so the
                  server does what is asked, as a server whose ETags always match would)

And a server that truncates its sync-collection answers (RFC 6578 §3.6):

  --sync-page N   a sync-collection answer of more than N changes is cut to N (sorted by
                  href), with a 507 for the collection itself and a token of the proxy's
                  own; asked with that token, the proxy asks the server with the token the
                  client first gave and answers the next N, and so on; the last page
                  carries the server's own token. Logged as `sync-page REPORT <path>`
                  per cut answer. (Nothing may change on the server between the pages.)
  --page-delay S  each cut answer waits S seconds before it is sent (a kill test's window)

And a server that gives at most so many items in a query's answer (RFC 4918 §9.1, RFC 4791 §7.8):

  --query-limit N a calendar-query / addressbook-query answer of more than N items is cut to
                  its first N, with a 507 for the collection itself (as a server says that it
                  gave fewer items than match). Logged as `query-limit REPORT <path>`.

And for tests of what runs at once:

  --hold S        every request waits S seconds before it is forwarded
  --trace         each request is logged when it comes (`begin <requests in flight> <method>
                  <path>`) and when its answer has gone (`end <method> <path>`)

Each fault is logged as one line to --log (`<fault> <method> <path>`), so that a test can check
that faults really happened. Requests may be kept alive; each is forwarded on a connection of
its own (with `Connection: close` to the upstream), and the answer goes back with its
`Content-Length`. Request bodies must have a `Content-Length` (chunked requests are refused
with 411); answer bodies may be chunked or end at close.
"""

import argparse
import asyncio
import os
import random
import re
import sys
import urllib.parse

FAULTS = ("drop", "drop_after", "error", "delay", "truncate")
MAX_HEAD = 64 * 1024
LIE = '"lie"'
# <getetag>…</getetag> with any namespace prefix (or none), the value quoted or escaped.
# The sync token of a request or an answer, and the <response> blocks of a multistatus.
SYNC_TOKEN = re.compile(rb"(<(?:[A-Za-z][\w.-]*:)?sync-token(?:\s[^>]*)?>)([^<]*)(</(?:[A-Za-z][\w.-]*:)?sync-token>)")
RESPONSE = re.compile(rb"<((?:[A-Za-z][\w.-]*:)?)response[\s>].*?</\1response>", re.S)
HREF = re.compile(rb"<(?:[A-Za-z][\w.-]*:)?href(?:\s[^>]*)?>([^<]*)<")
GETETAG = re.compile(rb"(<(?:[A-Za-z][\w.-]*:)?getetag(?:\s[^>]*)?>)[^<]*(</(?:[A-Za-z][\w.-]*:)?getetag>)")


class Proxy:
    def __init__(self, args):
        self.args = args
        self.rng = random.Random(args.seed)
        up = urllib.parse.urlsplit(args.upstream)
        if up.scheme != "http" or not up.hostname:
            raise SystemExit(f"faultproxy: --upstream must be http://host:port, not {args.upstream!r}")
        self.host, self.port = up.hostname, up.port or 80
        self.log = open(args.log, "a", buffering=1) if args.log else None
        self.counts = {f: 0 for f in FAULTS}
        self.requests = 0
        self.in_flight = 0
        # The proxy's page tokens: token -> (the token the client first gave, offset).
        self.pages = {}

    def draw(self):
        """The fault for the next request, or None."""
        x = self.rng.random()
        for fault in FAULTS:
            rate = getattr(self.args, fault)
            if x < rate:
                return fault
            x -= rate
        return None

    def record(self, fault, method, target):
        self.counts[fault] += 1
        if self.log:
            self.log.write(f"{fault} {method} {target}\n")

    async def serve(self, reader, writer):
        if self.log:
            self.log.write("connection - -\n")
        try:
            while True:
                request = await read_request(reader)
                if request is None:
                    break
                keep = await self.handle(request, writer)
                if not keep:
                    break
        except (ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass
        finally:
            writer.close()

    async def handle(self, request, writer):
        method, target = request[0], request[1]
        self.in_flight += 1
        if self.args.trace:
            self.log_line(f"begin {self.in_flight} {method} {target}")
        try:
            if self.args.hold:
                await asyncio.sleep(self.args.hold)
            return await self.handle_faults(request, writer)
        finally:
            self.in_flight -= 1
            if self.args.trace:
                self.log_line(f"end {method} {target}")

    async def handle_faults(self, request, writer):
        method, target, version, headers, body = request
        self.requests += 1
        fault = self.draw()
        if fault == "drop":
            self.record(fault, method, target)
            return False
        if fault == "error":
            self.record(fault, method, target)
            status = self.rng.choice((500, 503))
            reason = "Internal Server Error" if status == 500 else "Service Unavailable"
            text = b"injected fault\n"
            writer.write(
                f"HTTP/1.1 {status} {reason}\r\nContent-Type: text/plain\r\n"
                f"Retry-After: {self.rng.choice((0, 1))}\r\nContent-Length: {len(text)}\r\n\r\n".encode()
                + text
            )
            await writer.drain()
            return True
        if fault == "delay":
            self.record(fault, method, target)
            await asyncio.sleep(self.rng.uniform(0.1, self.args.max_delay))
        paged = self.args.sync_page > 0 and method == "REPORT" and b"sync-collection" in body
        offset = 0
        if paged:
            found = SYNC_TOKEN.search(body)
            asked = found.group(2) if found else b""
            if asked.decode("utf-8", "replace") in self.pages:
                first, offset = self.pages[asked.decode()]
                body = body[: found.start(2)] + first + body[found.end(2):]
                headers = [(k, str(len(body)) if k == "content-length" else v) for k, v in headers]
            else:
                first = asked
        try:
            head, answer = await self.forward(method, target, headers, body)
        except (OSError, asyncio.IncompleteReadError, ValueError) as e:
            msg = f"upstream failed: {e}\n".encode()
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: %d\r\n\r\n" % len(msg) + msg)
            await writer.drain()
            return False
        if paged and b" 207 " in head.split(b"\r\n", 1)[0]:
            head, answer = await self.page(method, target, head, answer, first, offset)
        queried = (self.args.query_limit > 0 and method == "REPORT"
                   and re.search(rb"(calendar|addressbook)-query", body[:400]) is not None)
        if queried and b" 207 " in head.split(b"\r\n", 1)[0]:
            head, answer = self.limit(method, target, head, answer)
        if fault == "drop_after":
            self.record(fault, method, target)
            return False
        if fault == "truncate":
            self.record(fault, method, target)
            writer.write(head + answer[: len(answer) // 2])
            await writer.drain()
            return False
        writer.write(head + answer)
        await writer.drain()
        return not any(k == "connection" and v.lower() == "close" for k, v in headers)

    async def page(self, method, target, head, answer, first, offset):
        """A sync-collection answer cut to the page at `offset` (see --sync-page)."""
        blocks = list(RESPONSE.finditer(answer))
        size = self.args.sync_page
        if offset == 0 and len(blocks) <= size or not blocks:
            return head, answer
        prefix = blocks[0].group(1)
        ordered = sorted(blocks, key=lambda b: (HREF.search(b.group(0)) or b).group(0))
        chosen = [b.group(0) for b in ordered[offset:offset + size]]
        lead, rest = answer[: blocks[0].start()], answer[blocks[-1].end():]
        if offset + size < len(blocks):
            token = f"http://faultproxy.invalid/page/{len(self.pages) + 1}"
            self.pages[token] = (first, offset + size)
            p = prefix.decode()
            path = urllib.parse.urlsplit(target).path
            chosen.append(
                f"<{p}response><{p}href>{path}</{p}href>"
                f"<{p}status>HTTP/1.1 507 Insufficient Storage</{p}status></{p}response>".encode()
            )
            ours = lambda m: m.group(1) + token.encode() + m.group(3)
            if SYNC_TOKEN.search(rest):
                rest = SYNC_TOKEN.sub(ours, rest, count=1)
            else:
                lead = SYNC_TOKEN.sub(ours, lead, count=1)
            self.log_line(f"sync-page {method} {target}")
            if self.args.page_delay:
                await asyncio.sleep(self.args.page_delay)
        answer = lead + b"".join(chosen) + rest
        head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(answer), head)
        return head, answer

    def limit(self, method, target, head, answer):
        """A query's answer cut to its first items (see --query-limit)."""
        blocks = list(RESPONSE.finditer(answer))
        if len(blocks) <= self.args.query_limit:
            return head, answer
        p = blocks[0].group(1).decode()
        path = urllib.parse.urlsplit(target).path
        kept = [b.group(0) for b in blocks[:self.args.query_limit]]
        kept.append(
            f"<{p}response><{p}href>{path}</{p}href>"
            f"<{p}status>HTTP/1.1 507 Insufficient Storage</{p}status>"
            f"<{p}error><{p}number-of-matches-within-limits/></{p}error></{p}response>".encode()
        )
        answer = answer[: blocks[0].start()] + b"".join(kept) + answer[blocks[-1].end():]
        head = re.sub(rb"Content-Length: \d+", b"Content-Length: %d" % len(answer), head)
        self.log_line(f"query-limit {method} {target}")
        return head, answer

    def log_line(self, line):
        if self.log:
            self.log.write(line + "\n")

    async def forward(self, method, target, headers, body):
        reader, writer = await asyncio.open_connection(self.host, self.port)
        try:
            lines = [f"{method} {target} HTTP/1.1"]
            for name, value in headers:
                if name in ("connection", "keep-alive", "proxy-connection"):
                    continue
                if self.args.lie_etags and name == "if-match":
                    continue
                lines.append(f"{name}: {value}")
            lines.append("Connection: close")
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            status_line, resp_headers = await read_head(reader)
            if status_line is None:
                raise ValueError("no answer")
            code = int(status_line.split()[1])
            answer = await read_body(reader, resp_headers, method, code, until_close=True)
        finally:
            writer.close()
        # (HTTP/1.1 to the client whatever the upstream spoke: the connection is kept.)
        out = ["HTTP/1.1 " + status_line.split(" ", 1)[1]]
        for name, value in resp_headers:
            if name in ("connection", "keep-alive", "transfer-encoding", "content-length"):
                continue
            if self.args.lie_etags and name == "etag":
                value = LIE
            out.append(f"{name}: {value}")
        if self.args.lie_etags:
            answer = GETETAG.sub(rb"\1&quot;lie&quot;\2", answer)
        if self.args.form_feed and b"xml" in dict(resp_headers).get("content-type", "").encode():
            at = answer.rfind(b"</")
            if at >= 0:
                answer = answer[:at] + b"\x0c" + answer[at:]
        if self.args.bad_header:
            out.append("X-Lenient : yes")
        out.append(f"Content-Length: {len(answer)}")
        return ("\r\n".join(out) + "\r\n\r\n").encode("latin-1"), answer


async def read_head(reader):
    """Reads a start line and headers; (None, None) at a clean end of the connection."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as e:
        if not e.partial.strip():
            return None, None
        raise
    except asyncio.LimitOverrunError:
        raise ValueError("head too large")
    if len(raw) > MAX_HEAD:
        raise ValueError("head too large")
    text = raw.decode("latin-1").split("\r\n")
    headers = []
    for line in text[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return text[0], headers


async def read_request(reader):
    start, headers = await read_head(reader)
    if start is None:
        return None
    method, target, version = start.split(" ", 2)
    if any(k == "transfer-encoding" for k, _ in headers):
        raise ValueError("chunked request bodies are not supported")
    length = int(next((v for k, v in headers if k == "content-length"), "0"))
    body = await reader.readexactly(length) if length else b""
    return method, target, version, headers, body


async def read_body(reader, headers, method, code, until_close):
    if method == "HEAD" or code in (204, 304) or 100 <= code < 200:
        return b""
    te = next((v for k, v in headers if k == "transfer-encoding"), "")
    if "chunked" in te.lower():
        parts = []
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # (no trailers expected)
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        return b"".join(parts)
    length = next((v for k, v in headers if k == "content-length"), None)
    if length is not None:
        return await reader.readexactly(int(length))
    return await reader.read() if until_close else b""


async def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--upstream", required=True, help="http://host:port of the real server")
    ap.add_argument("--port-file", required=True, help="where to write the port once listening")
    ap.add_argument("--port", type=int, default=0,
                    help="the port to listen on (default: a free one); for a server stopped and started again")
    ap.add_argument("--log", help="file to append one line per injected fault to")
    ap.add_argument("--seed", type=int, default=1)
    for fault in FAULTS:
        ap.add_argument("--" + fault.replace("_", "-"), type=float, default=0.0, metavar="R",
                        help=f"share of requests that get the fault '{fault}' (0 to 1)")
    ap.add_argument("--max-delay", type=float, default=1.0, help="longest delay in seconds (default 1)")
    ap.add_argument("--form-feed", action="store_true", help="a form feed in every XML answer")
    ap.add_argument("--bad-header", action="store_true", help="a malformed header line in every answer")
    ap.add_argument("--lie-etags", action="store_true", help="one ETag for everything; If-Match dropped")
    ap.add_argument("--hold", type=float, default=0.0, metavar="S",
                    help="every request waits S seconds before it is forwarded")
    ap.add_argument("--trace", action="store_true",
                    help="log `begin <in flight> <method> <path>` and `end <method> <path>` per request")
    ap.add_argument("--sync-page", type=int, default=0, metavar="N",
                    help="sync-collection answers cut to N changes per page (507, then a token of the proxy's)")
    ap.add_argument("--page-delay", type=float, default=0.0, metavar="S",
                    help="each cut sync-collection answer waits S seconds")
    ap.add_argument("--query-limit", type=int, default=0, metavar="N",
                    help="query answers cut to their first N items, with a 507 for the collection")
    args = ap.parse_args()
    if sum(getattr(args, f) for f in FAULTS) > 1:
        ap.error("the rates add up to more than 1")
    proxy = Proxy(args)
    server = await asyncio.start_server(proxy.serve, "127.0.0.1", args.port, limit=MAX_HEAD * 2)
    port = server.sockets[0].getsockname()[1]
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{port}\n")
    os.replace(tmp, args.port_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
