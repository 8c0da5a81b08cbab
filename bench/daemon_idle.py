#!/usr/bin/env python3
"""What an idle `davsync daemon` costs: N profiles, each with a calendar of its own on one
server (a running Radicale), synced at a short interval with nothing to do. Reports the
daemon's CPU time and peak memory over the measured span, and the requests per cycle (the
server requests of each idle run, from the daemon's log file).

    bench/daemon_idle.py --server-env DIR/radicale/env [--profiles 20] [--interval 10s]
                         [--seconds 120] [--davsync target/release/davsync] [--out FILE.md]

DIR/radicale/env is what `tests/servers/start.sh radicale DIR/radicale` writes. The
measure is scaled down (the issue asks for 10 idle minutes at the default interval of 30
minutes, which is one cycle): a short interval makes many cycles in little time, so the
cost per cycle and per idle minute can be read off.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import davclient  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def read_env(path):
    env = {}
    with open(path) as f:
        for line in f:
            if "=" in line:
                k, v = line.strip().split("=", 1)
                env[k] = v.strip('"')
    return env


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15 (1-based) of the whole line.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def memory_kib(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(("VmRSS:", "VmHWM:")):
                k, v = line.split(":")
                out[k] = int(v.split()[0])  # kB
    return out


RUN_LINE = re.compile(
    r"(?:(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z)?.*"
    r"daemon: (p\d+): (\w+); local \+(\d+) ~(\d+) -(\d+), "
    r"server \+(\d+) ~(\d+) -(\d+); requests (\d+)"
)


def parse_runs(log):
    """(profile, result, server requests, writes, when it ended in seconds or None) of each run
    in the daemon's log files."""
    runs = []
    logs_dir = os.path.dirname(log)
    if not os.path.isdir(logs_dir):
        return runs
    for name in sorted(os.listdir(logs_dir)):
        with open(os.path.join(logs_dir, name)) as f:
            for line in f:
                m = RUN_LINE.match(line)
                if m:
                    ended = None
                    if m.group(1):
                        ended = time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
                        ended += float(m.group(2) or 0)
                    writes = sum(int(m.group(k)) for k in range(5, 11))
                    runs.append((m.group(3), m.group(4), int(m.group(11)), writes, ended))
    return runs


def count_runs(log):
    return len(parse_runs(log))


def seconds(duration):
    """`10s`, `5m`, `1h` in seconds."""
    return float(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[duration[-1]]


def cycles(times, interval_s):
    """The run ends grouped into cycles (a gap of more than half the interval starts a new
    one): (runs, seconds from the first end to the last) of each."""
    out = []
    for t in times:
        if out and t - out[-1][-1] <= interval_s / 2:
            out[-1].append(t)
        else:
            out.append([t])
    return [(len(c), c[-1] - c[0]) for c in out]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--server-env", required=True)
    ap.add_argument("--profiles", type=int, default=20)
    ap.add_argument("--interval", default="10s")
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--items", type=int, default=10, help="events per calendar (uploaded by the first run)")
    ap.add_argument("--davsync", default="target/release/davsync")
    ap.add_argument("--out")
    args = ap.parse_args()
    env = read_env(args.server_env)
    base, user, password = env["DAV_BASE_URL"], env["DAV_USER"], env["DAV_PASSWORD"]
    client = davclient.Client(base, user, password)
    root = tempfile.mkdtemp(prefix="davsync-idle-")
    try:
        profiles = []
        run_id = uuid.uuid4().hex[:8]
        for i in range(args.profiles):
            path = f"/{user}/idle-{run_id}-{i}/"
            davclient.make_collection(client, path, "events")
            folder = os.path.join(root, f"p{i}")
            os.makedirs(folder)
            # A few events each: an empty collection would be a first sync every time.
            for j in range(args.items):
                uid = f"idle-{i}-{j}"
                with open(os.path.join(folder, f"{uid}.ics"), "w", newline="") as f:
                    f.write(
                        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//davsync bench//EN\r\n"
                        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20260101T000000Z\r\n"
                        "DTSTART:20261215T090000Z\r\nDTEND:20261215T100000Z\r\n"
                        f"SUMMARY:Idle {j}\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
                    )
            profiles.append(
                f'[profiles.p{i}]\ncontent = "events"\ninterval = "{args.interval}"\n'
                f'local = {{ type = "vdir", path = "{folder}" }}\n'
                f'server = {{ type = "caldav", url = "{base.rstrip("/")}{path}", '
                f'username = "{user}", password_env = "IDLE_PASSWORD" }}\n'
            )
        log = os.path.join(root, "logs", "daemon.log")
        config = os.path.join(root, "config.toml")
        with open(config, "w") as f:
            f.write(f'[general]\nmax_parallel = 4\nlog_file = "{log}"\nlog_level = "info"\n\n')
            f.write("\n".join(profiles))
        daemon = subprocess.Popen(
            [args.davsync, "--config", config, "--data-dir", os.path.join(root, "data"), "daemon"],
            env={**os.environ, "IDLE_PASSWORD": password},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        # The first runs (uploads) are left out.
        time.sleep(10)
        first = count_runs(log)
        cpu0, t0 = cpu_seconds(daemon.pid), time.monotonic()
        time.sleep(args.seconds)
        cpu1, t1 = cpu_seconds(daemon.pid), time.monotonic()
        mem = memory_kib(daemon.pid)
        daemon.terminate()
        daemon.wait(timeout=60)
        runs = parse_runs(log)[first:]
        # Whole cycles only: the first (uploads) and a cut one at the end are left out.
        ends = sorted(r[4] for r in parse_runs(log) if r[4] is not None)
        spans = [c for c in cycles(ends, seconds(args.interval))[1:] if c[0] == args.profiles]
        idle = [r for r in runs if r[1] == "ok" and r[3] == 0]
        requests = sorted({r[2] for r in idle})
        span = t1 - t0
        lines = [
            f"# davsync daemon, {args.profiles} idle profiles (one calendar each on Radicale), interval {args.interval}",
            "",
            f"- {args.items} events per calendar, uploaded by the first runs, which are left out",
            f"- measured span: {span:.0f} s; runs in it: {len(runs)} ({len(idle)} ok with nothing "
            f"written, {len(runs) - len(idle)} other)",
            f"- CPU time of the daemon over the span: {cpu1 - cpu0:.2f} s "
            f"({100 * (cpu1 - cpu0) / span:.2f} % of one core); per run: "
            f"{1000 * (cpu1 - cpu0) / max(1, len(runs)):.1f} ms",
            f"- memory: VmRSS {mem.get('VmRSS', 0) / 1024:.1f} MiB, peak VmHWM {mem.get('VmHWM', 0) / 1024:.1f} MiB",
            f"- server requests per idle run (per collection and cycle): {requests}",
            f"- each later cycle of all {args.profiles} profiles (max_parallel 4): their runs ended within "
            + (", ".join(f"{span:.3f}" for _, span in spans) or "(no whole cycle)") + " s "
            "(the first run's end to the last's; the schedule spreads profiles apart on purpose, "
            "up to a tenth of the interval each run, so the spread grows from cycle to cycle)",
            f"- command: bench/daemon_idle.py --profiles {args.profiles} --interval {args.interval} --seconds {args.seconds} --davsync {args.davsync}",
        ]
        text = "\n".join(lines) + "\n"
        print(text)
        if args.out:
            with open(args.out, "w") as f:
                f.write(text)
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
