#!/usr/bin/env bash
# A private DNS server on 127.0.0.1 for the discovery tests: dnsmasq with the SRV and TXT
# records a test needs, on a free port, no system service, stopped by PID.
#
#   tests/servers/dns.sh start STATE_DIR [dnsmasq options...]
#       installs dnsmasq (Debian package dnsmasq-base, which has no service) if missing,
#       starts it on 127.0.0.1 (UDP and TCP, a free port) with the options given, e.g.
#         --local=/example.test/
#         --srv-host=_caldav._tcp.example.test,localhost,5232,10,0
#         --txt-record=_caldav._tcp.example.test,path=/alice/
#       waits until it runs, writes STATE_DIR/env (DNS_SERVER=127.0.0.1:PORT, DNS_PID=PID)
#       and prints it. Its log is STATE_DIR/dnsmasq.log.
#   tests/servers/dns.sh stop STATE_DIR
#       stops it (SIGTERM, SIGKILL after 2 s); a second call is a no-op.
#   tests/servers/dns.sh install
#       only installs dnsmasq.
#
# The resolver of davsync is pointed at it with DAVSYNC_DNS_SERVER=127.0.0.1:PORT.
set -euo pipefail

log() { echo "dns.sh: $*" >&2; }

install_dnsmasq() {
  command -v dnsmasq >/dev/null && return 0
  [ "$(id -u)" -eq 0 ] || { log "dnsmasq is missing and installing it needs root (apt)"; return 1; }
  log "installing dnsmasq-base with apt"
  local apt=(apt-get -o DPkg::Lock::Timeout=300 -y -qq --no-install-recommends)
  # Try without `apt-get update` first: the lists are usually there.
  if ! DEBIAN_FRONTEND=noninteractive "${apt[@]}" install dnsmasq-base >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq
    DEBIAN_FRONTEND=noninteractive "${apt[@]}" install dnsmasq-base >/dev/null
  fi
  command -v dnsmasq >/dev/null || { log "dnsmasq still missing after apt-get install dnsmasq-base"; return 1; }
}

# A port free for both UDP and TCP on 127.0.0.1.
free_port() {
  python3 - <<'EOF'
import socket
for _ in range(50):
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    t.bind(("127.0.0.1", 0))
    port = t.getsockname()[1]
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        u.bind(("127.0.0.1", port))
    except OSError:
        t.close()
        continue
    u.close()
    t.close()
    print(port)
    break
EOF
}

cmd="${1:-}"
case "$cmd" in
  install)
    install_dnsmasq
    ;;
  start)
    [ $# -ge 2 ] || { log "usage: dns.sh start STATE_DIR [dnsmasq options...]"; exit 2; }
    dir="$2"
    shift 2
    mkdir -p "$dir"
    dir="$(cd "$dir" && pwd)"
    if [ -f "$dir/env" ]; then
      old_pid="$(sed -n 's/^DNS_PID=//p' "$dir/env")"
      if [ -n "$old_pid" ] && [ "$(cat "/proc/$old_pid/comm" 2>/dev/null)" = dnsmasq ]; then
        log "a dnsmasq started into $dir still runs (pid $old_pid)"
        exit 1
      fi
    fi
    install_dnsmasq
    port="$(free_port)"
    [ -n "$port" ] || { log "no free port"; exit 1; }
    : >"$dir/dnsmasq.log"
    # --conf-file=/dev/null: ignore /etc/dnsmasq.conf; --no-resolv/--no-hosts: answer only
    # from the options given; --bind-interfaces: only 127.0.0.1; no DHCP, no pid file in /run.
    dnsmasq --keep-in-foreground --conf-file=/dev/null --log-facility=- --log-queries \
      --port="$port" --listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
      --no-poll --pid-file="$dir/dnsmasq.pid" "$@" </dev/null >>"$dir/dnsmasq.log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + 10))
    until grep -q "started, version" "$dir/dnsmasq.log" 2>/dev/null; do
      if ! kill -0 "$pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
        log "dnsmasq did not start; its log:"
        cat "$dir/dnsmasq.log" >&2
        kill "$pid" 2>/dev/null || true
        exit 1
      fi
      sleep 0.05
    done
    printf 'DNS_SERVER=127.0.0.1:%s\nDNS_PID=%s\n' "$port" "$pid" >"$dir/env"
    cat "$dir/env"
    ;;
  stop)
    [ $# -eq 2 ] || { log "usage: dns.sh stop STATE_DIR"; exit 2; }
    dir="$2"
    [ -f "$dir/env" ] || exit 0
    pid="$(sed -n 's/^DNS_PID=//p' "$dir/env")"
    [ -n "$pid" ] || exit 0
    # Only a process that still is dnsmasq (never a re-used PID).
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dnsmasq ] || exit 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 40); do
      [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = dnsmasq ] || exit 0
      grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && exit 0
      sleep 0.05
    done
    kill -KILL "$pid" 2>/dev/null || true
    ;;
  *)
    log "usage: dns.sh install | start STATE_DIR [dnsmasq options...] | stop STATE_DIR"
    exit 2
    ;;
esac
