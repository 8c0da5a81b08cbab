#!/usr/bin/env python3
"""davsync benchmark: davsync against vdirsyncer and the floor, on a local Radicale.

Run it through bench/run.sh (which installs Radicale, vdirsyncer and GNU time and builds
davsync first). See bench/README.md for what is measured and how.
"""

import argparse
import datetime
import json
import os
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # no __pycache__ in bench/
import davclient as dc  # noqa: E402
import generate as gen  # noqa: E402

USER = "alice"
PASSWORD = "alice-secret-pw"
RADICALE_DEFAULT_LIMIT = 10000
TOOLS = ("floor", "davsync", "baseline", "vdirsyncer")
DEFAULT_TOOLS = ("floor", "davsync", "vdirsyncer")  # + baseline when --baseline is given
DAVSYNC_TOOLS = ("davsync", "baseline")  # the two davsync binaries: --davsync and --baseline
ROW = {"davsync": "davsync", "baseline": "davsync (baseline)", "vdirsyncer": "vdirsyncer"}
LARGE = 20000  # blocks from this size on use --repeat-large
# The reference rows (e): the items and a sync token, then the files durable once per chunk.
REFERENCE_E = (
    ("reference (e1) sync-collection with data + files, durable per chunk", "download-sync-write"),
    ("reference (e2) query + token PROPFIND + files, durable per chunk", "download-query-token-write"),
)
# The reference whose copy (and last token) the floor's later scenarios use.
LATER_FLOOR = "download-query-token-write"
PROFILE_ITEMS = 10  # events in each collection of the many-profiles scenario

SCENARIOS = [
    ("download", "Initial download into an empty folder"),
    ("nochange", "Second run, nothing changed"),
    ("server1", "1 % of the items changed on the server"),
    ("local1", "1 % of the items changed locally"),
    ("upload", "Initial upload into an empty collection"),
]


# Starts Radicale with the internal option _filesystem_fsync = False (a config file may not set
# options starting with "_"): for the setup instance only.
NOFSYNC_LAUNCHER = """
import sys
from radicale import config
import radicale.__main__ as main
_load = config.load
def load(*args, **kwargs):
    c = _load(*args, **kwargs)
    c.update({"storage": {"_filesystem_fsync": "False"}}, "bench setup: no fsync", privileged=True)
    return c
config.load = load
sys.argv[0] = "radicale"
main.run()
"""


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


# ---------------------------------------------------------------------------------------------
# Radicale


class Radicale:
    """The benchmark's own Radicale (bench/radicale.conf.in), from the tests' venv."""

    def __init__(self, work, python, max_occurrence, name="radicale", fsync=True):
        self.dir = os.path.join(work, "radicale")
        self.python = python
        self.max_occurrence = max_occurrence
        self.name = name
        self.fsync = fsync
        self.proc = None
        self.log_path = os.path.join(self.dir, f"{name}.log")
        self.offset = 0

    def start(self):
        os.makedirs(os.path.join(self.dir, "collections"), exist_ok=True)
        with open(os.path.join(self.dir, "users"), "w") as f:
            f.write(f"{USER}:{PASSWORD}\n")
        self.port = free_port()
        with open(os.path.join(HERE, "radicale.conf.in")) as f:
            conf = f.read()
        conf = (conf.replace("@PORT@", str(self.port)).replace("@DIR@", self.dir)
                .replace("@MAX_OCCURRENCE@", str(self.max_occurrence)))
        conf_path = os.path.join(self.dir, f"{self.name}.conf")
        with open(conf_path, "w") as f:
            f.write(conf)
        self.logf = open(self.log_path, "ab")
        if self.fsync:
            cmd = [self.python, "-m", "radicale", "--config", conf_path]
        else:
            cmd = [self.python, "-c", NOFSYNC_LAUNCHER, "--config", conf_path]
        self.proc = subprocess.Popen(cmd,
                                     stdin=subprocess.DEVNULL, stdout=self.logf, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{self.port}/"
        # Setting up: Radicale's first sync token of 100,000 events takes it
        # more than the client's default 600 s.
        self.client = dc.Client(self.base, USER, PASSWORD, timeout=3600)
        deadline = time.time() + 60
        while True:
            if self.proc.poll() is not None:
                raise SystemExit(f"Radicale exited at start; see {self.log_path}")
            try:
                st, _, _ = self.client.request("PROPFIND", f"/{USER}/", None, {"Depth": "0"}, ok=None)
                if st == 207:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise SystemExit(f"Radicale did not answer in 60 s; see {self.log_path}")
            time.sleep(0.2)
        self.client.close()
        self.version = subprocess.run([self.python, "-c", "import radicale; print(radicale.VERSION)"],
                                      capture_output=True, text=True).stdout.strip()

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def mark(self):
        """Starts counting requests (from Radicale's log: one INFO line per request)."""
        self.offset = os.path.getsize(self.log_path)

    def requests_since_mark(self):
        with open(self.log_path, "rb") as f:
            f.seek(self.offset)
            data = f.read()
        return len(re.findall(rb"\] \[INFO\] [A-Z]+ request for '", data))

    def url(self, name):
        return f"{self.base}{USER}/{name}/"

    def fs_path(self, name):
        return os.path.join(self.dir, "collections", "collection-root", USER, name)


# ---------------------------------------------------------------------------------------------
# Running one measured command


def run_measured(cmd, env, timeout):
    """Runs cmd under GNU time -v. Returns dict(seconds, rss_mib, cpu_s, rc, out, err); cpu_s is the
    process's user + system CPU time (its children included), less sensitive than the wall time to
    what else runs on the machine."""
    full = ["/usr/bin/time", "-v"] + cmd
    t0 = time.perf_counter()
    try:
        p = subprocess.run(full, env=env, capture_output=True, timeout=timeout)
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as e:
        rc, out, err = "timeout", e.stdout or b"", e.stderr or b""
    seconds = time.perf_counter() - t0
    err = err.decode("utf-8", "replace")
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
    rss = int(m.group(1)) / 1024 if m else None
    ut = re.search(r"User time \(seconds\): ([\d.]+)", err)
    st = re.search(r"System time \(seconds\): ([\d.]+)", err)
    cpu = float(ut.group(1)) + float(st.group(1)) if ut and st else None
    # drop GNU time's own report from the error text
    err = err.split("\tCommand being timed:")[0]
    err = "\n".join(l for l in err.splitlines() if not l.startswith("Command exited with non-zero status"))
    return {"seconds": seconds, "rss_mib": rss, "cpu_s": cpu, "rc": rc, "out": out.decode("utf-8", "replace"), "err": err}


def last_lines(text, n=2, width=240):
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    return " / ".join(lines[-n:])[:width]


class Harness:
    def __init__(self, args):
        self.a = args
        self.work = args.work
        self.trashed = 0
        self.deleted_at = None  # when empty_trash last deleted (time.monotonic())
        self.env = dict(os.environ, DAV_USER=USER, DAV_PASSWORD=PASSWORD, PYTHONDONTWRITEBYTECODE="1")
        # results[(kind, n, scenario)] = {row label: [measurement, ...]}
        self.results = {}
        self.notes = {}  # (kind, n, scenario) -> [str]
        self.sizes = {}  # (kind, n) -> dict
        self.repeats = {}  # (kind, n) -> repeats used
        self.done_uploads = {}  # (kind, size) -> (kind, n) whose table has it
        self.started = datetime.datetime.now(datetime.timezone.utc)
        self.t_start = time.time()
        self.finished = False

    # -- bookkeeping
    def record(self, key, row, m):
        self.results.setdefault(key, {}).setdefault(row, []).append(m)
        ok = m.get("ok")
        log(f"  {key[0]} {key[1]} {key[2]:8s} {row:38s} "
            f"{'%.3f s' % m['seconds'] if ok else 'FAILED'}  req={m.get('requests')}  "
            f"rss={m.get('rss_mib') and round(m['rss_mib'], 1)}  {m.get('note', '')}")

    def note(self, key, text):
        lst = self.notes.setdefault(key, [])
        if text not in lst:
            lst.append(text)

    # -- the three clients
    def page_in(self, url=None, folder=None):
        """Reads the files a measured run will read, unmeasured: the collection's folder in
        Radicale's storage (its cache and history included) and the tool's own folder, so that
        every run starts with them in the page cache. Without it a copy that another row had just
        read was in the cache and the others partly not: at 100,000 events Radicale answered one
        no-change sync-collection in 35.6 s with a cold cache and in 6.8 s with a warm one, and
        the rows of earlier runs swung between 9.8 s and 21.1 s with the order of the tools."""
        paths = []
        if url:
            paths.append(self.rad.fs_path(url.rstrip("/").rsplit("/", 1)[-1]))
        if folder:
            paths.append(folder)
        for path in paths:
            for root, _dirs, files in os.walk(path):
                for name in files:
                    try:
                        with open(os.path.join(root, name), "rb") as f:
                            while f.read(1 << 20):
                                pass
                    except OSError:
                        pass

    def floor(self, key, row, mode, url, kind, extra=(), data_dir=None):
        cmd = [sys.executable, os.path.join(HERE, "floor.py"), mode, url, kind]
        if data_dir:
            cmd.append(data_dir)
        cmd += list(extra)
        self.page_in(url, data_dir)
        self.rad.mark()
        r = run_measured(cmd, self.env, self.a.timeout)
        reqs = self.rad.requests_since_mark()
        m = {"rss_mib": r["rss_mib"], "requests": reqs, "ok": r["rc"] == 0}
        if r["rc"] == 0:
            out = json.loads(r["out"].strip().splitlines()[-1])
            m["seconds"] = out["seconds"]
            m["token"] = out["token"]
            m["items"] = out["items"]
        else:
            m["seconds"] = r["seconds"]
            m["error"] = f"exit {r['rc']}: {last_lines(r['err'])}"
        self.record(key, row, m)
        return m

    def davsync(self, key, inst, expect=None, tool="davsync", row=None):
        """Runs one of the two davsync binaries: tool "davsync" (--davsync) or "baseline" (--baseline);
        the profiles inst["profiles"] (default: all) of inst["config"]."""
        binary = self.a.baseline if tool == "baseline" else self.a.davsync
        cmd = [binary, "--config", inst["config"], "sync", "--json"] + inst.get("profiles", [])
        self.page_in(inst.get("url"), inst.get("base"))
        self.rad.mark()
        r = run_measured(cmd, self.env, self.a.timeout)
        reqs = self.rad.requests_since_mark()
        m = {"seconds": r["seconds"], "rss_mib": r["rss_mib"], "cpu_s": r["cpu_s"], "requests": reqs,
             "ok": r["rc"] == 0}
        try:
            doc = json.loads(r["out"])
            if len(doc["reports"]) > 1:
                m["profiles"] = len(doc["reports"])
                m["ok"] = m["ok"] and doc.get("ok", False)
            rep = doc["reports"][0]
            m["counts"] = {"local": rep.get("local"), "server": rep.get("server")}
            own = None
            for each in doc["reports"]:
                asked = each.get("requests")
                if isinstance(asked, list):
                    own = (own or 0) + sum(x for x in asked if isinstance(x, int))
                elif isinstance(asked, dict):
                    own = (own or 0) + sum(x for x in asked.values() if isinstance(x, int))
            if own is not None:
                m["own_requests"] = own
            if rep.get("errors"):
                m["ok"] = False
                m["error"] = "; ".join(e.get("message", "") for e in rep["errors"][:2])[:240]
        except (ValueError, KeyError, IndexError):
            pass
        if not m["ok"] and "error" not in m:
            m["error"] = f"exit {r['rc']}: {last_lines(r['err'])}"
        if m["ok"] and expect:
            side, field, n = expect
            got = (m.get("counts") or {}).get(side, {}) or {}
            if got.get(field) != n:
                m["note"] = f"expected {side} {field} {n}, got {got}"
                self.note(key, f"{ROW[tool]}: {m['note']}")
        self.record(key, row or ROW[tool], m)
        return m

    def vdirsyncer(self, key, inst):
        cmd = [self.a.vdirsyncer, "-c", inst["config"], "sync"]
        self.page_in(inst.get("url"), inst.get("base"))
        self.rad.mark()
        r = run_measured(cmd, self.env, self.a.timeout)
        reqs = self.rad.requests_since_mark()
        m = {"seconds": r["seconds"], "rss_mib": r["rss_mib"], "cpu_s": r["cpu_s"], "requests": reqs,
             "ok": r["rc"] == 0}
        if not m["ok"]:
            text = r["err"] + r["out"]
            hit = re.search(r"(\d{3}), message='([^']*)'", text)
            m["error"] = (f"exit {r['rc']}: HTTP {hit.group(1)} {hit.group(2)}" if hit
                          else f"exit {r['rc']}: {last_lines(text)}")
        self.record(key, "vdirsyncer", m)
        return m

    def skipped(self, key, tools, insts):
        for t, inst in insts.items():
            if t in tools and not inst:
                self.note(key, f"{ROW[t]}: not run (its initial download failed)")

    @staticmethod
    def order(tools, r):
        """The tools in the order of repeat r: as given, turned by r places, so that each runs
        first, second, ... in turn (with as many repeats as tools, each once in each place), so
        that whatever a run leaves behind for the next favours no tool. (With a fixed order,
        vdirsyncer always ran last and (e) right before davsync; in all six pairs of two
        50,000-event runs, whichever davsync binary ran first was the faster, by 0.5-2.3 s.)"""
        ts = list(tools)
        k = r % len(ts) if ts else 0
        return ts[k:] + ts[:k]

    # -- scratch folders
    def discard(self, path):
        """Moves a folder out of the way; it is deleted between blocks (empty_trash).

        Deleting thousands of files right before a measured run would slow that run down:
        ext4 without a journal (as on the machine these results come from) skips the inodes
        of files deleted in the last minute, and in the last 6 minutes while their inode
        table is not yet written back, when it allocates new ones (`recently_deleted`),
        at a cost that grows with their number."""
        if not os.path.exists(path):
            return
        trash = os.path.join(self.work, "trash")
        os.makedirs(trash, exist_ok=True)
        self.trashed += 1
        os.rename(path, os.path.join(trash, str(self.trashed)))

    def empty_trash(self):
        """Deletes what was discarded and writes the deletions back; the next block's runs
        wait for them to age (`let_deletions_age`)."""
        trash = os.path.join(self.work, "trash")
        if not os.path.exists(trash):
            return
        shutil.rmtree(trash, ignore_errors=True)
        os.sync()
        self.deleted_at = time.monotonic()

    def let_deletions_age(self):
        """Waits, before a block's measured runs, until the last deletion is past ext4's
        window for inodes deleted and written back (60 s, `RECENTCY_MIN`): 10,000 files
        made 6 s after 10,000 others were deleted took 5.4 s against 4.0-4.4 s into a fresh
        folder; made 61 s after, 4.0 s. The block's setup runs meanwhile."""
        if self.deleted_at is not None:
            time.sleep(max(0.0, self.deleted_at + 61 - time.monotonic()))
            self.deleted_at = None

    # -- tool instances (a local folder + state per tool and collection)
    def new_davsync(self, name, kind, url, tool="davsync"):
        base = os.path.join(self.work, tool, name)
        self.discard(base)
        local = os.path.join(base, "local")
        os.makedirs(local)
        cfg = os.path.join(base, "config.toml")
        with open(cfg, "w") as f:
            f.write(f'[general]\ndata_dir = "{base}/state"\n\n[profiles.bench]\n'
                    # Every item, as vdirsyncer syncs (no time range).
                    f'content = "{kind}"\n{"time_range = false" if kind == "events" else ""}\n'
                    f'local = {{ type = "vdir", path = "{local}" }}\n'
                    f'server = {{ type = "{"caldav" if kind == "events" else "carddav"}", url = "{url}", '
                    # Radicale needs about 2 minutes to begin answering a first read of
                    # 100,000 events: more than the default timeout of 90 s.
                    f'username = "{USER}", password_env = "DAV_PASSWORD", timeout_seconds = 3600 }}\n')
        return {"base": base, "local": local, "config": cfg, "ext": ".ics" if kind == "events" else ".vcf",
                "url": url}

    def new_vdirsyncer(self, name, kind, url):
        base = os.path.join(self.work, "vdirsyncer", name)
        self.discard(base)
        local = os.path.join(base, "local")
        os.makedirs(local)
        os.makedirs(os.path.join(base, "status"))
        ext = ".ics" if kind == "events" else ".vcf"
        cfg = os.path.join(base, "config")
        with open(cfg, "w") as f:
            f.write(f'[general]\nstatus_path = "{base}/status/"\n\n'
                    '[pair bench]\na = "bench_local"\nb = "bench_remote"\ncollections = null\n\n'
                    f'[storage bench_local]\ntype = "filesystem"\npath = "{local}/"\nfileext = "{ext}"\n\n'
                    f'[storage bench_remote]\ntype = "{"caldav" if kind == "events" else "carddav"}"\n'
                    f'url = "{url}"\nusername = "{USER}"\npassword = "{PASSWORD}"\n')
        inst = {"base": base, "local": local, "config": cfg, "ext": ext, "url": url}
        # discover once (not timed, its requests not counted): with collections = null it only
        # records the pair
        subprocess.run([self.a.vdirsyncer, "-c", cfg, "discover"], env=self.env, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=300)
        return inst

    @staticmethod
    def count_files(inst):
        return sum(1 for n in os.listdir(inst["local"]) if n.endswith(inst["ext"]))

    # -- server-side setup (never timed)
    def make_filled_collection(self, name, kind, data_dir, seed=None):
        client = self.setup.client
        dc.make_collection(client, f"/{USER}/{name}/", kind, name)
        dst = self.rad.fs_path(name)
        if seed:
            src = self.rad.fs_path(seed)
            for entry in os.listdir(src):
                if entry == ".Radicale.props":
                    continue
                s = os.path.join(src, entry)
                if os.path.isdir(s):
                    shutil.copytree(s, os.path.join(dst, entry))
                else:
                    shutil.copy2(s, os.path.join(dst, entry))
        else:
            for n in os.listdir(data_dir):
                shutil.copy2(os.path.join(data_dir, n), os.path.join(dst, n))

    def warm(self, name, kind):
        """Builds Radicale's item and sync-token caches of a collection filled on disk."""
        client = self.setup.client
        path = f"/{USER}/{name}/"
        dc.sync_collection(client, path, "")
        self.read_once(path, kind, dc.propfind_hrefs(client, path))

    def read_once(self, path, kind, hrefs):
        """Reads `hrefs` through the setup instance (multigets of 500), which builds Radicale's
        item cache of them."""
        for i in range(0, len(hrefs), 500):
            dc.report(self.setup.client, path, dc.multiget_body(kind, hrefs[i:i + 500]))

    def put_changes(self, name, kind, items):
        """The server-side changes of the 1 % scenario (never timed). `--server-changes files`
        (the default) writes them into the collection's folder (a temporary file, then a rename,
        as Radicale stores them) and reads them once through the setup instance (a multiget),
        which caches them as a PUT would: Radicale takes about 0.6 s for each PUT into a
        collection of 100,000 events, 10 minutes for the 1,000 changes of each tool's copy.
        `put` sends them as PUTs."""
        path = f"/{USER}/{name}/"
        if self.a.server_changes == "put":
            dc.put_items(self.setup.client, path, kind, items, concurrency=4, create=False)
            return
        folder = self.rad.fs_path(name)
        for nm, body in items:
            target = os.path.join(folder, nm)
            if not os.path.exists(target):
                raise SystemExit(f"setup: {target} is not in the collection")
            tmp = os.path.join(folder, f".bench-{nm}.tmp")
            with open(tmp, "wb") as f:
                f.write(body)
            os.replace(tmp, target)
        self.read_once(path, kind, [path + urllib.parse.quote(nm) for nm, _ in items])

    def delete_collection(self, name):
        self.setup.client.request("DELETE", f"/{USER}/{name}/", ok=None)

    # -- many profiles, nothing to do
    def run_profiles_block(self, count):
        """`count` idle profiles in one `davsync sync` (up to max_parallel at once) against one idle
        profile alone and the same profiles one at a time (max_parallel = 1)."""
        a = self.a
        key = ("profiles", count, "idle")
        tools = [t for t in a.tools if t in DAVSYNC_TOOLS]
        if not tools:
            return
        log(f"== {count} profiles")
        data_dir = os.path.join(self.work, "data", f"profiles-{count}")
        gen.generate_events(PROFILE_ITEMS, data_dir, a.seed)
        names = [f"prof{i:02}" for i in range(count)]
        for nm in names:
            self.make_filled_collection(nm, "events", data_dir)
            self.warm(nm, "events")
        configs = {}
        for t in tools:
            base = os.path.join(self.work, t, "profiles")
            self.discard(base)
            os.makedirs(base)
            body = ""
            for nm in names:
                local = os.path.join(base, nm)
                os.makedirs(local)
                body += (f'[profiles.{nm}]\ncontent = "events"\ntime_range = false\n'
                         f'local = {{ type = "vdir", path = "{local}" }}\n'
                         f'server = {{ type = "caldav", url = "{self.rad.url(nm)}", username = "{USER}", '
                         'password_env = "DAV_PASSWORD" }\n\n')
            for parallel in (1, 4):
                cfg = os.path.join(base, f"config-{parallel}.toml")
                with open(cfg, "w") as f:
                    f.write(f'[general]\ndata_dir = "{base}/state"\nmax_parallel = {parallel}\n\n{body}')
                configs[(t, parallel)] = cfg
            # the first runs (downloads), not timed
            r = subprocess.run([a.baseline if t == "baseline" else a.davsync, "--config", configs[(t, 4)], "sync",
                                "--quiet"], env=self.env, capture_output=True, timeout=a.timeout)
            if r.returncode != 0:
                self.note(key, f"{ROW[t]}: the first runs failed: {last_lines(r.stdout.decode() + r.stderr.decode())}")
                return
        self.sizes[key[:2]] = {"bytes": 0, "vevents": PROFILE_ITEMS}
        self.repeats[key[:2]] = a.repeat
        for r in range(a.repeat):
            if "floor" in a.tools:
                token, _, _ = dc.sync_collection(self.setup.client, f"/{USER}/{names[0]}/", "")
                self.floor(key, "floor one sync-collection with the last token", "nochange-sync",
                           self.rad.url(names[0]), "events", ["--token", token])
            for t in self.order(tools, r):
                one = {"config": configs[(t, 4)], "profiles": [names[0]]}
                self.davsync(key, one, tool=t, row=f"{ROW[t]}: one idle profile")
                self.davsync(key, {"config": configs[(t, 4)]}, tool=t,
                             row=f"{ROW[t]}: {count} idle profiles, max_parallel = 4")
                self.davsync(key, {"config": configs[(t, 1)]}, tool=t,
                             row=f"{ROW[t]}: {count} idle profiles, max_parallel = 1")
        for t in tools:
            sums = {row: self.summarize(ms) for row, ms in self.results.get(key, {}).items()}
            one = sums.get(f"{ROW[t]}: one idle profile", {}).get("median")
            many = sums.get(f"{ROW[t]}: {count} idle profiles, max_parallel = 4", {}).get("median")
            if one and many:
                target = 2 * one + 0.05 * count
                self.note(key, f"{ROW[t]}: {count} profiles at max_parallel = 4 took {many:.3f} s; the target "
                               f"(2 × one idle profile + 50 ms per profile) is {target:.3f} s: "
                               f"{'met' if many <= target else 'missed'} ({many / target:.2f} of it)")
        self.note(key, f"{count} profiles, each its own collection of {PROFILE_ITEMS} events and its own folder, "
                       "all downloaded before; every run finds nothing to do")
        self.write()
        for nm in names:
            self.delete_collection(nm)
        self.discard(data_dir)
        for t in tools:
            self.discard(os.path.join(self.work, t, "profiles"))
        self.empty_trash()

    # -- one content kind at one size
    def run_block(self, kind, n):
        a = self.a
        K = a.repeat_large if (n >= LARGE and a.repeat_large) else a.repeat
        self.repeats[(kind, n)] = K
        tools = a.tools
        log(f"== {kind} N={n}")
        data_dir = os.path.join(self.work, "data", f"{kind}-{n}")
        t0 = time.time()
        if kind == "events":
            names = gen.generate_events(n, data_dir, a.seed)
        else:
            names = gen.generate_contacts(n, data_dir, a.seed)
        names.sort()
        texts = {}

        def original(nm):
            if nm not in texts:
                with open(os.path.join(data_dir, nm), encoding="utf-8", newline="") as f:
                    texts[nm] = f.read()
            return texts[nm]

        size = sum(os.path.getsize(os.path.join(data_dir, x)) for x in names)
        vevents = 0
        if kind == "events":
            for x in names:
                vevents += original(x).count("BEGIN:VEVENT")
            texts.clear()
        self.sizes[(kind, n)] = {"bytes": size, "vevents": vevents}
        log(f"   generated {n} {kind} ({size / 1e6:.1f} MB{', %d VEVENTs' % vevents if vevents else ''})"
            f" in {time.time() - t0:.1f} s")

        # --- server collections: a seed filled on disk and warmed, one copy per tool
        t0 = time.time()
        seed = f"seed-{kind}-{n}"
        self.make_filled_collection(seed, kind, data_dir)
        self.warm(seed, kind)
        coll = {}
        for t in tools:
            coll[t] = f"{t}-{kind}-{n}"
            self.make_filled_collection(coll[t], kind, data_dir, seed=seed)
        # (e1) and (e2) each read a copy of their own, as fresh as each client's: on the floor's
        # copy, which (a) to (d) have read just before, Radicale answers them from a warm cache
        # (at 100,000 events a token PROPFIND took 7.6 s there and 36.7 s on a fresh copy).
        ref_coll = {}
        ref_token = None  # (e2)'s token from its last download
        if "floor" in tools:
            for _, mode in REFERENCE_E:
                ref_coll[mode] = f"{mode}-{kind}-{n}"
                self.make_filled_collection(ref_coll[mode], kind, data_dir, seed=seed)
        log(f"   collections ready in {time.time() - t0:.1f} s")
        self.let_deletions_age()

        over_limit = (kind == "events" and vevents > RADICALE_DEFAULT_LIMIT)
        limit_note = (f"one REPORT holding all {vevents} VEVENTs: more than Radicale's default "
                      f"limit of {RADICALE_DEFAULT_LIMIT}")

        # --- initial download
        key = (kind, n, "download")
        # one instance (folder + state) per client that is not the floor; None after a failed download
        insts = {t: None for t in tools if t != "floor"}
        for r in range(K):
            for t in self.order(tools, r):
                if t == "floor":
                    url = self.rad.url(coll["floor"])
                    self.floor(key, "floor (a) PROPFIND + multiget ×100, sequential", "download-seq", url, kind)
                    self.floor(key, "floor (b) PROPFIND + multiget ×100, 4 in flight", "download-par", url, kind)
                    m = self.floor(key, f"floor (c) one {'calendar' if kind == 'events' else 'addressbook'}-query",
                                   "download-query", url, kind)
                    if over_limit and a.radicale_limit == "raised":
                        self.note(key, f"floor (c): {limit_note} (HTTP 400 on a default Radicale; raised here)")
                    folder = os.path.join(self.work, "reference-d")
                    self.discard(folder)
                    os.makedirs(folder)
                    self.floor(key, "reference (d) = (c) + files written, fsync each", "download-query-write",
                               url, kind, data_dir=folder)
                    self.note(key, "reference (d) is no floor: (c), then each item written to a file as davsync "
                                   "writes one (temporary file, fsync, link; the folder synced every 100 files); "
                                   "it shows what the disk adds")
                    self.discard(folder)
                    for label, mode in REFERENCE_E:
                        folder = os.path.join(self.work, "reference-e")
                        self.discard(folder)
                        os.makedirs(folder)
                        m = self.floor(key, label, mode, self.rad.url(ref_coll[mode]), kind, data_dir=folder)
                        if mode == LATER_FLOOR and m["ok"]:
                            ref_token = m["token"]
                        self.discard(folder)
                    self.note(key, "reference (e) is the honest floor of a client that keeps the files and syncs "
                                   "incrementally later: the cheaper of (e1) and (e2), the items and a sync token "
                                   "fetched, then each item written to a file (unnamed, then linked to its name, where "
                                   "Linux allows; else a temporary file and a rename) and each "
                                   "chunk of 100 made durable at once (syncfs, then the folder), as davsync does; "
                                   "each on a copy of its own that no one read before its first run, as each "
                                   "client's copy")
                elif t in DAVSYNC_TOOLS:
                    inst = self.new_davsync(f"{kind}-{n}", kind, self.rad.url(coll[t]), tool=t)
                    m = self.davsync(key, inst, expect=("local", "created", n), tool=t)
                    if m["ok"] and self.count_files(inst) != n:
                        self.note(key, f"{ROW[t]}: {self.count_files(inst)} files in the folder, expected {n}")
                    insts[t] = inst if m["ok"] else None
                else:
                    inst = self.new_vdirsyncer(f"{kind}-{n}", kind, self.rad.url(coll["vdirsyncer"]))
                    m = self.vdirsyncer(key, inst)
                    if m["ok"] and self.count_files(inst) != n:
                        self.note(key, f"vdirsyncer: {self.count_files(inst)} files in the folder, expected {n}")
                    insts[t] = inst if m["ok"] else None
                    if over_limit and a.radicale_limit == "raised":
                        self.note(key, f"vdirsyncer: {limit_note} (HTTP 400 on a default Radicale; raised here)")
        # The floor's later scenarios read (e2)'s copy from the token of its last download: a
        # copy read as often as each client's (the floor's own was read by (a) to (d) once per
        # repeat, and a sync-collection from the empty token for a token would read it again
        # right before the no-change row: at 100,000 events Radicale answered the floor's
        # no-change request in 9.8 s there and davsync's in 21.1 s on davsync's copy).
        if "floor" in tools:
            self.delete_collection(coll["floor"])
            coll["floor"] = ref_coll.pop(LATER_FLOOR)
        for name in ref_coll.values():
            self.delete_collection(name)
        self.write()

        def run_client(key, t, expect):
            if t in DAVSYNC_TOOLS:
                return self.davsync(key, insts[t], expect=expect, tool=t)
            return self.vdirsyncer(key, insts[t])

        # --- no change
        key = (kind, n, "nochange")
        token = None
        if "floor" in tools:
            token = ref_token or dc.sync_collection(self.setup.client, f"/{USER}/{coll['floor']}/", "")[0]
        for r in range(K):
            for t in self.order(tools, r):
                if t == "floor":
                    url = self.rad.url(coll["floor"])
                    self.floor(key, "floor sync-collection with the last token", "nochange-sync", url, kind,
                               ["--token", token])
                    self.floor(key, "floor PROPFIND Depth 0 getctag", "nochange-ctag", url, kind)
                elif insts[t]:
                    run_client(key, t, ("local", "updated", 0))
        self.skipped(key, tools, insts)
        self.write()

        per = max(1, n // 100)  # items changed in the 1 % scenarios

        # --- 1 % changed on the server (different items each repeat)
        if "server1" in a.scenarios:
            key = (kind, n, "server1")
            for r in range(K):
                off = (r * 37 + 1) % 100
                chosen = names[off::100][:per] or names[:1]
                tag = f"[srv{r}]"
                items = [(nm, gen.mutate(original(nm), tag).encode("utf-8")) for nm in chosen]
                for t in tools:
                    if t == "floor" or insts[t]:
                        self.put_changes(coll[t], kind, items)
                for t in self.order(tools, r):
                    if t == "floor":
                        m = self.floor(key, "floor sync-collection + multiget of the changes", "changes",
                                       self.rad.url(coll["floor"]), kind, ["--token", token])
                        if m["ok"]:
                            token = m["token"]
                    elif insts[t]:
                        run_client(key, t, ("local", "updated", len(chosen)))
            self.skipped(key, tools, insts)
            self.note(key, f"{per} items changed on the server before each run")
            self.write()

        # --- 1 % changed locally
        if "local1" in a.scenarios:
            key = (kind, n, "local1")
            for r in range(K):
                off = (r * 37 + 51) % 100
                tag = f"[loc{r}]"
                for t in self.order(tools, r):
                    if t == "floor":
                        chosen = names[off::100][:per] or names[:1]
                        tmp = os.path.join(self.work, "floor-local", f"{kind}-{n}-{r}")
                        os.makedirs(tmp, exist_ok=True)
                        for nm in chosen:
                            with open(os.path.join(tmp, nm), "w", encoding="utf-8", newline="") as f:
                                f.write(gen.mutate(original(nm), tag))
                        m = self.floor(key, "floor sync-collection + PUT of the changes, 4 in flight", "push",
                                       self.rad.url(coll["floor"]), kind, ["--token", token], data_dir=tmp)
                        if m["ok"]:
                            token, _, _ = dc.sync_collection(self.setup.client, f"/{USER}/{coll['floor']}/", "")
                        continue
                    inst = insts[t]
                    if not inst:
                        continue
                    # the tool's own files, changed right before its run
                    files = sorted(x for x in os.listdir(inst["local"]) if x.endswith(inst["ext"]))
                    chosen = files[off::100][:per] or files[:1]
                    for nm in chosen:
                        p = os.path.join(inst["local"], nm)
                        with open(p, encoding="utf-8", newline="") as f:
                            text = f.read()
                        with open(p, "w", encoding="utf-8", newline="") as f:
                            f.write(gen.mutate(text, tag))
                    run_client(key, t, ("server", "updated", len(chosen)))
            self.skipped(key, tools, insts)
            self.note(key, f"{per} local files changed before each run")
            self.write()
            texts.clear()

        # --- initial upload (Radicale's PUT of a new item costs O(items in the collection))
        if "upload" in a.scenarios:
            u = min(n, a.upload_max)
            key = (kind, n, "upload")
            if (kind, u) in self.done_uploads:
                self.note(key, f"same as the upload of {u} {kind} in the table for N = {self.done_uploads[(kind, u)][1]}")
            else:
                self.done_uploads[(kind, u)] = (kind, n)
                up_names = names[:u]
                up_dir = os.path.join(self.work, "data", f"{kind}-{n}-upload-{u}")
                os.makedirs(up_dir, exist_ok=True)
                for nm in up_names:
                    shutil.copy2(os.path.join(data_dir, nm), os.path.join(up_dir, nm))
                if u < n:
                    self.note(key, f"only the first {u} of the {n} items are uploaded (--upload-max {a.upload_max}): "
                                   "Radicale checks every item of the collection for a UID clash on each new "
                                   "item, so an upload costs O(N²) on Radicale")
                for r in range(K):
                    for t in self.order(tools, r):
                        cname = f"up-{t}-{kind}-{u}-{r}"
                        dc.make_collection(self.setup.client, f"/{USER}/{cname}/", kind, cname)
                        url = self.rad.url(cname)
                        if t == "floor":
                            self.floor(key, "floor PUT If-None-Match: *, 4 in flight", "upload", url, kind,
                                       data_dir=up_dir)
                        elif t in DAVSYNC_TOOLS:
                            inst = self.new_davsync(f"up-{kind}-{u}", kind, url, tool=t)
                            for nm in up_names:
                                shutil.copy2(os.path.join(up_dir, nm), os.path.join(inst["local"], nm))
                            self.davsync(key, inst, expect=("server", "created", u), tool=t)
                        else:
                            inst = self.new_vdirsyncer(f"up-{kind}-{u}", kind, url)
                            for nm in up_names:
                                shutil.copy2(os.path.join(up_dir, nm), os.path.join(inst["local"], nm))
                            self.vdirsyncer(key, inst)
                        self.delete_collection(cname)
                self.discard(up_dir)
                self.note(key, f"{u} items")
            self.write()

        # free the disk for the next block
        for t in tools:
            self.delete_collection(coll[t])
        self.delete_collection(seed)
        self.discard(data_dir)
        for sub in ("floor-local",) + TOOLS:
            self.discard(os.path.join(self.work, sub))
        self.empty_trash()

        # -- report
    def machine(self):
        cpu = "?"
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
        mem = "?"
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
        return {"nproc": os.cpu_count(), "cpu": cpu, "mem": mem, "kernel": platform.release(),
                "disk": self.disk()}

    def disk(self):
        """The device and file system the folders and Radicale's storage are on (from df -T), and
        whether the kernel takes the device for a spinning one (its rotational flag)."""
        try:
            os.makedirs(self.work, exist_ok=True)
            line = subprocess.run(["df", "-T", self.work], capture_output=True, text=True,
                                  timeout=30).stdout.strip().splitlines()[-1].split()
        except (OSError, IndexError, subprocess.SubprocessError):
            return "?"
        device, fstype = line[0], line[1]
        kind = ""
        base = os.path.basename(device)
        for name in (base, base.rstrip("0123456789"), re.sub(r"p\d+$", "", base)):
            try:
                with open(f"/sys/block/{name}/queue/rotational") as f:
                    # (a virtual disk often says 1 whatever is below it)
                    kind = f", the kernel's rotational flag {f.read().strip()}"
                break
            except OSError:
                continue
        return f"{device} ({fstype}{kind}), mounted at {line[-1]}"

    def versions(self):
        def out(cmd):
            try:
                return subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, timeout=60).stdout.strip()
            except OSError:
                return "?"
        if self.a.davsync_rev:
            built = self.a.davsync_rev
        else:
            commit = out(["git", "rev-parse", "--short=12", "HEAD"])
            dirty = out(["git", "status", "--porcelain", "--untracked-files=no"])
            built = f"git {commit}" + (" + uncommitted changes in the work tree" if dirty else "")
        v = {
            "davsync": f"{out([self.a.davsync, '--version'])}, {built}",
            "davsync_binary": self.a.davsync,
            "vdirsyncer": (out([self.a.vdirsyncer, "--version"]) if "vdirsyncer" in self.a.tools
                           else "not run"),
            "radicale": getattr(self.rad, "version", "?"),
            "python": platform.python_version(),
        }
        if "baseline" in self.a.tools:
            v["davsync_baseline"] = (f"{out([self.a.baseline, '--version'])}, "
                                     f"{self.a.baseline_rev or 'built from an unstated revision'}")
            v["davsync_baseline_binary"] = self.a.baseline
        return v

    def write(self):
        a = self.a
        L = []
        L.append("# davsync benchmark results\n")
        if not self.finished:
            L.append(f"**Run in progress** (started {self.started:%Y-%m-%d %H:%M} UTC); the tables "
                     "below hold what is measured so far.\n")
        m = self.machine()
        v = self.vers
        L.append(f"- date: {self.started:%Y-%m-%d %H:%M} UTC; duration of the whole run: "
                 f"{(time.time() - self.t_start) / 60:.1f} min")
        L.append(f"- command: `{a.cmdline}`")
        L.append(f"- machine: {m['nproc']} cores ({m['cpu']}), {m['mem']} memory, Linux {m['kernel']}")
        L.append(f"- disk: the folders, the status databases and Radicale's storage on {m['disk']}")
        L.append(f"- davsync: {v['davsync']} (`{v['davsync_binary']}`)")
        if "davsync_baseline" in v:
            L.append(f"- davsync (baseline): {v['davsync_baseline']} (`{v['davsync_baseline_binary']}`); "
                     "the tools take turns at running first (their order turned by one place every repeat)")
        L.append(f"- tools: {', '.join(ROW.get(t, t) for t in a.tools)}; scenarios: "
                 f"{', '.join(k for k, _ in SCENARIOS if k in a.scenarios or k in ('download', 'nochange'))}")
        L.append(f"- vdirsyncer: {v['vdirsyncer']}; Radicale {v['radicale']}; Python {v['python']}")
        limit = (f"raised to {a.max_occurrence}" if a.radicale_limit == "raised"
                 else f"Radicale's default ({RADICALE_DEFAULT_LIMIT})")
        L.append(f"- Radicale: bench/radicale.conf.in, `max_expand_occurrence` (most VEVENTs in one "
                 f"REPORT answer) {limit}, `max_content_length` 1 GB, info log (one line per request)")
        large = (f"; {a.repeat_large} from N = {LARGE:,} on" if a.repeat_large and a.repeat_large != a.repeat else "")
        L.append(f"- repeats: {a.repeat}{large} (median shown, every run in the notes); seed {a.seed}")
        L.append("")
        L.append("Columns: **median s** is the wall time of the whole process for davsync and vdirsyncer "
                 "(start to exit), and the time from the first request to the last byte for the floor; "
                 "**ratio to floor** divides by the best floor row of the table; **ratio to vdirsyncer** "
                 "divides by vdirsyncer's median (below 1: faster than vdirsyncer); **requests** are "
                 "counted in Radicale's log, the same way for all three (davsync's own count from "
                 "`sync --json` in the notes); **peak RSS** is GNU time's maximum resident set size"
                 + ("; **ratio to baseline** divides by the median of davsync (baseline)" if "baseline" in a.tools
                    else "") + ".\n")
        blocks = []
        for kind, ns in (("events", a.events), ("contacts", a.contacts)):
            for n in ns:
                blocks.append((kind, n))
        if any(t in a.tools for t in ("floor", "vdirsyncer")):
            L.extend(self.summary(blocks))
        if "baseline" in a.tools:
            L.extend(self.comparison_md(blocks))
        for kind, n in blocks:
            if not any(k[:2] == (kind, n) for k in self.results) and not any(k[:2] == (kind, n) for k in self.notes):
                continue
            sz = self.sizes.get((kind, n), {})
            extra = f", {sz['vevents']} VEVENTs" if sz.get("vevents") else ""
            K = self.repeats.get((kind, n), a.repeat)
            L.append(f"## {n:,} {kind} ({sz.get('bytes', 0) / 1e6:.1f} MB{extra}; {K} run{'s' if K > 1 else ''} each)\n")
            for scen, title in SCENARIOS:
                key = (kind, n, scen)
                rows = self.results.get(key, {})
                notes = self.notes.get(key, [])
                if not rows and not notes:
                    continue
                L.append(f"### {title} ({n:,} {kind})\n")
                if rows:
                    L.extend(self.table(rows))
                    if notes:
                        L.append("")
                for t in notes:
                    L.append(f"- {t}")
                L.append("")
        for key in [k for k in self.results if k[0] == "profiles"]:
            L.append(f"## {key[1]} idle profiles in one `davsync sync` ({self.repeats.get(key[:2], a.repeat)} "
                     f"run{'s' if self.repeats.get(key[:2], a.repeat) > 1 else ''} each)\n")
            L.extend(self.table(self.results[key]))
            L.append("")
            for t in self.notes.get(key, []):
                L.append(f"- {t}")
            L.append("")
        with open(a.out, "w") as f:
            f.write("\n".join(L).rstrip() + "\n")
        raw = {"started": f"{self.started:%Y-%m-%dT%H:%M:%SZ}", "command": a.cmdline, "machine": m,
               "versions": v, "finished": self.finished, "sizes": [
                   {"kind": k[0], "n": k[1], **val} for k, val in self.sizes.items()],
               "results": [{"kind": k[0], "n": k[1], "scenario": k[2], "rows": {
                   row: [{x: y for x, y in mm.items() if x != "token"} for mm in ms]
                   for row, ms in rows.items()}, "notes": self.notes.get(k, [])}
                   for k, rows in self.results.items()]}
        if "baseline" in a.tools:
            raw["baseline_comparison"] = self.comparison()
        with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
            json.dump(raw, f, indent=1, ensure_ascii=False)

    def summary(self, blocks):
        """One line per size and scenario: davsync against the best floor and vdirsyncer."""
        out = ["## Summary\n",
               "davsync and vdirsyncer against the best floor of each table below (median seconds; "
               "÷: ratio of the medians; requests and peak RSS of davsync / vdirsyncer).\n",
               "| data | scenario | floor s | davsync s | vdirsyncer s | davsync ÷ floor | davsync ÷ vdirsyncer "
               "| davsync ÷ reference (e) | requests (floor / davsync / vdirsyncer) "
               "| peak RSS MiB (davsync / vdirsyncer) |",
               "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        titles = dict(SCENARIOS)
        short = {"download": "download", "nochange": "no change", "server1": "1 % changed on server",
                 "local1": "1 % changed locally", "upload": "upload"}
        any_row = False
        for kind, n in blocks:
            for scen in titles:
                rows = self.results.get((kind, n, scen))
                if not rows:
                    continue
                sums = {row: self.summarize(ms) for row, ms in rows.items()}
                floors = [(s_["median"], s_.get("requests")) for row, s_ in sums.items()
                          if row.startswith("floor") and "median" in s_]
                best = min(floors) if floors else None
                refs_e = [s_["median"] for row, s_ in sums.items()
                          if row.startswith("reference (e") and "median" in s_]
                ref_e = min(refs_e) if refs_e else None
                d = sums.get("davsync", {})
                vd = sums.get("vdirsyncer", {})

                def sec(x):
                    if not x:
                        return "–"
                    return f"{x['median']:.3f}" if "median" in x else "FAILED"

                def ratio(x, y):
                    return f"{x['median'] / y:.2f}" if x and "median" in x and y else "–"

                def req(x):
                    return "–" if x is None else f"{x:,.0f}"

                def rss(x):
                    return f"{x['rss']:.0f}" if x and x.get("rss") else "–"

                label = f"{n:,} {kind}"
                if scen == "upload":
                    m_ = re.search(r"^(\d+) items$", "\n".join(self.notes.get((kind, n, scen), [])), re.M)
                    if m_ and int(m_.group(1)) != n:
                        label = f"{int(m_.group(1)):,} {kind}"
                out.append(
                    f"| {label} | {short[scen]} | {f'{best[0]:.3f}' if best else '–'} | {sec(d)} | {sec(vd)} "
                    f"| {ratio(d, best[0] if best else None)} | {ratio(d, vd.get('median'))} "
                    f"| {ratio(d, ref_e)} "
                    f"| {req(best[1] if best else None)} / {req(d.get('requests'))} / {req(vd.get('requests'))} "
                    f"| {rss(d)} / {rss(vd)} |")
                any_row = True
        out.append("")
        return out if any_row else []

    def comparison(self, blocks=None):
        """davsync against davsync (baseline), per size and scenario measured by both."""
        keys = ([(kind, n, scen) for kind, n in blocks for scen, _ in SCENARIOS] if blocks
                else list(self.results))
        out = []
        for key in keys:
            rows = self.results.get(key, {})
            if ROW["davsync"] not in rows or ROW["baseline"] not in rows:
                continue
            new, base = self.summarize(rows[ROW["davsync"]]), self.summarize(rows[ROW["baseline"]])
            c = {"kind": key[0], "n": key[1], "scenario": key[2]}
            for name, s_ in (("new", new), ("baseline", base)):
                c[name] = {"median_s": s_.get("median"), "runs_s": s_["runs"], "requests": s_.get("requests"),
                           "own_requests": s_.get("own"), "peak_rss_mib": s_.get("rss"), "cpu_median_s": s_.get("cpu"),
                           "failed_runs": s_["n"] - s_["good"]}
            c["time_ratio"] = (new["median"] / base["median"]
                               if new.get("median") and base.get("median") else None)
            c["rss_ratio"] = new["rss"] / base["rss"] if new.get("rss") and base.get("rss") else None
            c["cpu_ratio"] = new["cpu"] / base["cpu"] if new.get("cpu") and base.get("cpu") else None
            out.append(c)
        return out

    def comparison_md(self, blocks):
        cs = self.comparison(blocks)
        if not cs:
            return []
        short = {"download": "download", "nochange": "no change", "server1": "1 % changed on server",
                 "local1": "1 % changed locally", "upload": "upload"}
        out = ["## davsync against davsync (baseline)\n",
               "Both binaries in the same run, against their own copies of the same collection, one after "
               "the other in every repeat (the tools' order turned by one place every repeat). ÷: davsync's median "
               "divided by the baseline's (above 1: the new binary is slower; peak RSS: the largest of the "
               "runs, and its ratio; CPU: the median of the process's user + system time, which depends less "
               "than the wall time on what else runs on the machine).\n",
               "| data | scenario | baseline s | davsync s | davsync ÷ baseline | runs (baseline; davsync) "
               "| requests (baseline / davsync) | peak RSS MiB (baseline / davsync) | RSS ÷ "
               "| CPU s (baseline / davsync) | CPU ÷ |",
               "|---|---|---:|---:|---:|---|---:|---:|---:|---:|---:|"]

        def f(x, fmt):
            return "–" if x is None else format(x, fmt)

        for c in cs:
            b, d = c["baseline"], c["new"]
            label = f"{c['n']:,} {c['kind']}"
            if c["scenario"] == "upload":
                m_ = re.search(r"^(\d+) items$", "\n".join(self.notes.get((c["kind"], c["n"], "upload"), [])), re.M)
                if m_ and int(m_.group(1)) != c["n"]:
                    label = f"{int(m_.group(1)):,} {c['kind']}"
            out.append(f"| {label} | {short[c['scenario']]} | {f(b['median_s'], '.3f')} "
                       f"| {f(d['median_s'], '.3f')} | {f(c['time_ratio'], '.3f')} | {b['runs_s']}; {d['runs_s']} "
                       f"| {f(b['requests'], ',.0f')} / {f(d['requests'], ',.0f')} "
                       f"| {f(b['peak_rss_mib'], '.1f')} / {f(d['peak_rss_mib'], '.1f')} | {f(c['rss_ratio'], '.3f')} "
                       f"| {f(b.get('cpu_median_s'), '.2f')} / {f(d.get('cpu_median_s'), '.2f')} "
                       f"| {f(c.get('cpu_ratio'), '.3f')} |")
        out.append("")
        return out

    @staticmethod
    def summarize(ms):
        good = [m for m in ms if m.get("ok")]
        s = {"n": len(ms), "good": len(good)}
        rq = [m["requests"] for m in (good or ms) if m.get("requests") is not None]
        s["requests"] = statistics.median(rq) if rq else None
        if good:
            s["median"] = statistics.median(m["seconds"] for m in good)
            own = [m["own_requests"] for m in good if m.get("own_requests") is not None]
            s["own"] = statistics.median(own) if own else None
            cpu = [m["cpu_s"] for m in good if m.get("cpu_s") is not None]
            s["cpu"] = statistics.median(cpu) if cpu else None
        rss = [m["rss_mib"] for m in ms if m.get("rss_mib")]
        s["rss"] = max(rss) if rss else None
        s["runs"] = ", ".join(f"{m['seconds']:.3f}" if m.get("ok") else "failed" for m in ms)
        errs = [m["error"] for m in ms if m.get("error")]
        s["error"] = errs[0] if errs else None
        return s

    def table(self, rows):
        sums = {row: self.summarize(ms) for row, ms in rows.items()}
        floors = [s["median"] for row, s in sums.items() if row.startswith("floor") and "median" in s]
        best = min(floors) if floors else None
        vd = sums.get("vdirsyncer", {}).get("median")
        bl = sums.get(ROW["baseline"], {}).get("median")
        with_bl = ROW["baseline"] in sums
        out = ["| tool | median s | ratio to floor | ratio to vdirsyncer |" + (" ratio to baseline |" if with_bl else "")
               + " requests | peak RSS MiB | notes |",
               "|---|---:|---:|---:|" + ("---:|" if with_bl else "") + "---:|---:|---|"]

        def fmt_req(x):
            return "–" if x is None else f"{x:,.0f}"

        for row, s in sums.items():
            notes = []
            if "median" in s:
                med = f"{s['median']:.3f}"
                rf = f"{s['median'] / best:.2f}" if best else "–"
                rv = f"{s['median'] / vd:.2f}" if vd else "–"
                rb = f"{s['median'] / bl:.3f}" if bl else "–"
                if row.startswith("floor") and best is not None and s["median"] == best and len(floors) > 1:
                    notes.append("best floor")
            else:
                med, rf, rv, rb = "**FAILED**", "–", "–", "–"
            if s["good"] < s["n"]:
                notes.append(f"{s['n'] - s['good']} of {s['n']} runs failed")
            if s.get("error"):
                notes.append(s["error"].replace("|", "\\|"))
            if s.get("own") is not None:
                notes.append(f"own count {s['own']:,.0f}")
            if s["n"] > 1:
                notes.append(f"runs {s['runs']}")
            rss = f"{s['rss']:.0f}" if s.get("rss") else "–"
            out.append(f"| {row} | {med} | {rf} | {rv} |" + (f" {rb} |" if with_bl else "")
                       + f" {fmt_req(s.get('requests'))} | {rss} | {'; '.join(notes)} |")
        return out

    # -- main
    def run(self):
        a = self.a
        if os.path.exists(self.work):
            shutil.rmtree(self.work)
            os.sync()
            time.sleep(6)
        os.makedirs(self.work)
        self.rad = Radicale(self.work, a.radicale_python, a.max_occurrence if a.radicale_limit == "raised"
                            else RADICALE_DEFAULT_LIMIT)
        # a second Radicale on the same folder, without fsync, for the untimed setup
        self.setup = Radicale(self.work, a.radicale_python, a.max_occurrence, "setup", fsync=False)
        try:
            self.rad.start()
            self.setup.start()
            log(f"Radicale {self.rad.version} on {self.rad.base}, setup instance on {self.setup.base} "
                f"(state in {self.rad.dir})")
            self.vers = self.versions()
            blocks = [(kind, n) for kind, ns in (("events", a.events), ("contacts", a.contacts)) for n in ns]
            # the small blocks first, so that a long run has them early
            blocks.sort(key=lambda b: b[1] >= LARGE)
            for kind, n in blocks:
                self.run_block(kind, n)
            if a.profiles:
                self.run_profiles_block(a.profiles)
            self.finished = True
        finally:
            for srv in (self.rad, self.setup):
                srv.stop()
            if hasattr(self, "vers"):
                self.write()
            if not a.keep:
                shutil.rmtree(self.work, ignore_errors=True)
        log(f"done in {(time.time() - self.t_start) / 60:.1f} min; results in {a.out}")


def int_list(s):
    return [n for n in (int(x.replace("_", "")) for x in s.split(",") if x.strip()) if n > 0] if s else []


def main():
    ap = argparse.ArgumentParser(description="davsync benchmark (see bench/README.md)")
    ap.add_argument("--quick", action="store_true",
                    help="smoke run: events 200,1000, contacts 200, 1 repeat, uploads of at most 200")
    ap.add_argument("--events", help="event counts, comma-separated (default 1000,10000,50000)")
    ap.add_argument("--contacts", help="contact counts, comma-separated (default 10000)")
    ap.add_argument("--repeat", type=int, help="runs per measurement (default 3; --quick: 1)")
    ap.add_argument("--repeat-large", type=int, help=f"runs per measurement from N = {LARGE:,} on (default: --repeat)")
    ap.add_argument("--upload-max", type=int, help="items in the upload scenario at most (default 1000; --quick: 200)")
    ap.add_argument("--tools", help="clients to measure, a subset of floor,davsync,baseline,vdirsyncer "
                                     "(default floor,davsync,vdirsyncer, and baseline when --baseline is given)")
    ap.add_argument("--scenarios", default=",".join(k for k, _ in SCENARIOS),
                    help="subset of download,nochange,server1,local1,upload; the download and the "
                         "no-change run always run (the others start from them)")
    ap.add_argument("--server-changes", choices=("files", "put"), default="files",
                    help="how the untimed setup makes the 1 %% server-side changes: written into "
                         "Radicale's folder and read once (files, default), or PUT (put)")
    ap.add_argument("--radicale-limit", choices=("raised", "default"), default="raised",
                    help="Radicale's max_expand_occurrence: raised (default) or Radicale's own 10000")
    ap.add_argument("--max-occurrence", type=int, default=100_000_000, help=argparse.SUPPRESS)
    ap.add_argument("--profiles", type=int,
                    help="the many-profiles scenario: that many idle profiles in one sync (default 50; "
                         "--quick: 10; 0: none)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=int, default=3600, help="seconds one measured run may take")
    ap.add_argument("--work", default=os.environ.get("BENCH_WORK", "/tmp/davsync-bench"),
                    help="scratch folder (deleted at the start and, without --keep, at the end)")
    ap.add_argument("--keep", action="store_true", help="keep the scratch folder")
    ap.add_argument("--out", default=os.path.join(HERE, "results.md"))
    ap.add_argument("--davsync", default=os.environ.get("DAVSYNC_BIN", os.path.join(REPO, "target", "release", "davsync")),
                    help="the davsync binary (env DAVSYNC_BIN; default target/release/davsync)")
    ap.add_argument("--baseline", default=os.environ.get("DAVSYNC_BASELINE_BIN") or None,
                    help="a second davsync binary measured beside the first, as the tool 'baseline', shown as "
                         "'davsync (baseline)' (env DAVSYNC_BASELINE_BIN)")
    ap.add_argument("--davsync-rev", default=os.environ.get("DAVSYNC_REV"),
                    help="what --davsync was built from, for the results (env DAVSYNC_REV; default: git HEAD "
                         "of this checkout)")
    ap.add_argument("--baseline-rev", default=os.environ.get("DAVSYNC_BASELINE_REV"),
                    help="what --baseline was built from, for the results (env DAVSYNC_BASELINE_REV)")
    venv = os.environ.get("BENCH_VENV", os.path.expanduser("~/.cache/davsync/bench-venv"))
    ap.add_argument("--vdirsyncer", default=os.path.join(venv, "bin", "vdirsyncer"))
    sv = os.environ.get("DAVSYNC_SERVERS_VENV", os.path.expanduser("~/.cache/davsync/servers-venv"))
    ap.add_argument("--radicale-python", default=os.path.join(sv, "bin", "python"))
    a = ap.parse_args()
    if a.quick:
        a.events = int_list(a.events) if a.events else [200, 1000]
        a.contacts = int_list(a.contacts) if a.contacts else [200]
        a.repeat = a.repeat or 1
        a.upload_max = a.upload_max or 200
        a.profiles = 10 if a.profiles is None else a.profiles
    else:
        a.events = int_list(a.events) if a.events is not None else [1000, 10000, 50000]
        a.contacts = int_list(a.contacts) if a.contacts is not None else [10000]
        a.repeat = a.repeat or 3
        a.upload_max = a.upload_max or 1000
        a.profiles = 50 if a.profiles is None else a.profiles
    if a.tools is None:
        a.tools = ",".join(TOOLS if a.baseline else DEFAULT_TOOLS)
    a.tools = [t for t in a.tools.split(",") if t]
    a.scenarios = [x for x in a.scenarios.split(",") if x]
    for x in a.scenarios:
        if x not in dict(SCENARIOS):
            ap.error(f"unknown scenario {x}")
    for t in a.tools:
        if t not in TOOLS:
            ap.error(f"unknown tool {t}")
    if "baseline" in a.tools and not a.baseline:
        ap.error("the tool baseline needs --baseline PATH (or DAVSYNC_BASELINE_BIN)")
    if a.baseline:
        a.baseline = os.path.abspath(a.baseline)
    # the environment variables that choose what is measured, in front of the command line
    env_set = [f"{k}={shlex.quote(os.environ[k])}" for k in
               ("BENCH_NO_BUILD", "DAVSYNC_BIN", "DAVSYNC_BASELINE_BIN", "DAVSYNC_REV", "DAVSYNC_BASELINE_REV")
               if os.environ.get(k)]
    a.cmdline = " ".join(env_set + [os.environ.get("BENCH_ENTRY") or shlex.quote(sys.argv[0])]
                         + [shlex.quote(x) for x in sys.argv[1:]])
    a.davsync = os.path.abspath(a.davsync)
    a.out = os.path.abspath(a.out)
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    check_space(a)
    Harness(a).run()


def check_space(a):
    """Refuses to start on a file system too small for the largest block: its collections in
    Radicale (the seed and a copy for the floor and for each client, each item with its item
    cache and its token history; (e1) and (e2) have one each while the downloads run) and every
    folder written (the references' and each client's)
    hold about this many small files, a block of 4 KiB each. Two runs of 100,000 events stopped
    half-way on an 8 GB file system, after 30 minutes of setting up."""
    largest = max([*a.events, *a.contacts, 0])
    clients = sum(1 for t in a.tools if t != "floor")
    files = largest * (3 * (4 + clients) + 3 + clients) * 13 // 10
    need = files * 4096
    os.makedirs(a.work, exist_ok=True)
    st = os.statvfs(a.work)
    free = st.f_bavail * st.f_frsize
    # (Some file systems have no fixed number of inodes and say 0.)
    short_of_inodes = st.f_files > 0 and st.f_favail < files
    if free < need or short_of_inodes:
        raise SystemExit(
            f"bench: {a.work} has {free / 2**30:.1f} GiB and {st.f_favail:,} inodes free; "
            f"{largest:,} items with the tools {','.join(a.tools)} need about "
            f"{need / 2**30:.1f} GiB and {files:,} inodes (Radicale's copies with their caches, "
            "and each tool's folder); choose another --work or a larger file system")


if __name__ == "__main__":
    main()
