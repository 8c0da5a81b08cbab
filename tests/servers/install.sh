#!/usr/bin/env bash
# Installs what the real DAV test servers need (see README.md beside this file).
#
#   tests/servers/install.sh [radicale|radicale-tls|xandikos|sogo|davical|cyrus|sabredav|tinyproxy|clients ...]  (all when none named)
#
# Idempotent: a second run finds everything in place and does nothing (well under a second).
#  - apt packages: only the missing ones are installed; `apt-get update` runs only then. A
#    temporary /usr/sbin/policy-rc.d (exit 101) keeps package scripts from starting system
#    services; it is removed (or the one that was there restored) afterwards, even on failure.
#  - Python packages: pinned versions in one venv at
#    ${DAVSYNC_SERVERS_VENV:-$HOME/.cache/davsync/servers-venv}.
#  - `clients`: the calendar and contact programs that read davsync's folders in the tests (khal, khard,
#    todoman) and an independent iCalendar reader (icalendar + recurring-ical-events),
#    pinned, in a venv of their own (their dependencies would clash with the servers'):
#    ${DAVSYNC_CLIENTS_VENV:-$HOME/.cache/davsync/clients-venv}.
set -euo pipefail

RADICALE_VERSION=3.9.0
XANDIKOS_VERSION=0.4.10
CLIENT_PINS=(khal==0.14.1 todoman==4.7.0 khard==0.20.1 icalendar==7.3.2 recurring-ical-events==3.8.2)

VENV="${DAVSYNC_SERVERS_VENV:-$HOME/.cache/davsync/servers-venv}"
CLIENTS_VENV="${DAVSYNC_CLIENTS_VENV:-$HOME/.cache/davsync/clients-venv}"
PYTHON="${PYTHON:-python3}"

log() { printf 'install.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$#" -eq 0 ]; then
  set -- radicale radicale-tls xandikos sogo davical cyrus sabredav tinyproxy clients
fi

# curl: start.sh polls with it; procps: pgrep, for start.sh and stop.sh.
# zsh, man-db and systemd: not for a server, but the CLI tests check the zsh completion
# script (zsh -n), render the man pages (man -l) and check the unit of `davsync service
# install` (systemd-analyze verify, which needs no running systemd); they fail without them.
# strace: the durability test records the system calls of a run.
apt_wanted=(curl ca-certificates procps zsh man-db systemd strace)
py_wanted=()
clients=false
for server in "$@"; do
  case "$server" in
    radicale | radicale-small) py_wanted+=("radicale==$RADICALE_VERSION") ;;
    # openssl makes the test CA and certificates.
    radicale-tls) py_wanted+=("radicale==$RADICALE_VERSION"); apt_wanted+=(openssl) ;;
    # sabre/dav 1.8 (Digest authentication), served by PHP's own web server.
    sabredav) apt_wanted+=(php-cli php-sqlite3 php-sabre-dav) ;;
    tinyproxy) apt_wanted+=(tinyproxy) ;;
    clients) clients=true ;;
    xandikos) py_wanted+=("xandikos==$XANDIKOS_VERSION") ;;
    # sogo's package pulls in memcached, gnustep and sope; postgresql is only "suggested".
    sogo) apt_wanted+=(sogo postgresql memcached) ;;
    # DAViCal 1.1 served by `php -S`. php-cgi comes first: apt then takes it for the `php`
    # dependency of davical (php8.2 wants libapache2-mod-php | php-fpm | php-cgi) instead of
    # pulling in Apache's module. PostgreSQL is only "recommended" by davical.
    davical) apt_wanted+=(php-cgi php-cli php-pgsql php-xml postgresql davical) ;;
    # Cyrus IMAP 3.6 with its CalDAV/CardDAV module; sasl2-bin has saslpasswd2 (sasldb).
    # (cyrus-common pulls in an MTA, exim4 by default: policy-rc.d keeps it from starting.)
    cyrus) apt_wanted+=(cyrus-imapd cyrus-caldav sasl2-bin libsasl2-modules) ;;
    *) die "unknown server '$server' (expected radicale, radicale-small, radicale-tls, xandikos, sogo, davical, cyrus, sabredav, tinyproxy or clients)" ;;
  esac
done

# ---------------------------------------------------------------- apt
is_installed() {
  [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

apt_missing=()
for pkg in "${apt_wanted[@]}"; do
  is_installed "$pkg" || apt_missing+=("$pkg")
done

# A venv needs python3-venv (ensurepip) on a Debian python; pyenv/other pythons have it built in.
if { [ "${#py_wanted[@]}" -gt 0 ] && [ ! -x "$VENV/bin/python" ]; } ||
  { $clients && [ ! -x "$CLIENTS_VENV/bin/python" ]; }; then
  if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then
    py_minor="$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
    is_installed "python$py_minor-venv" || apt_missing+=("python$py_minor-venv")
  fi
fi

POLICY=/usr/sbin/policy-rc.d
POLICY_BACKUP=""
restore_policy() {
  if [ -n "$POLICY_BACKUP" ] && [ -e "$POLICY_BACKUP" ]; then
    mv -f "$POLICY_BACKUP" "$POLICY"
  else
    rm -f "$POLICY"
  fi
}

if [ "${#apt_missing[@]}" -gt 0 ]; then
  [ "$(id -u)" -eq 0 ] || die "missing apt packages (${apt_missing[*]}) and not root: run as root"
  log "apt: installing ${apt_missing[*]}"
  if [ -e "$POLICY" ]; then
    POLICY_BACKUP="$(mktemp /usr/sbin/.policy-rc.d.davsync.XXXXXX)"
    cp -p "$POLICY" "$POLICY_BACKUP"
  fi
  trap restore_policy EXIT
  trap 'restore_policy; exit 130' INT TERM
  printf '#!/bin/sh\n# temporary, from davsync tests/servers/install.sh\nexit 101\n' >"$POLICY"
  chmod 755 "$POLICY"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${apt_missing[@]}" >/dev/null
  restore_policy
  trap - EXIT INT TERM
fi

# ---------------------------------------------------------------- python venv
if [ "${#py_wanted[@]}" -gt 0 ]; then
  # Which of the wanted name==version pins are not installed in the venv yet?
  py_missing=()
  if [ -x "$VENV/bin/python" ]; then
    mapfile -t py_missing < <("$VENV/bin/python" - "${py_wanted[@]}" <<'EOF'
import sys
from importlib import metadata
for spec in sys.argv[1:]:
    name, version = spec.split("==")
    try:
        if metadata.version(name) == version:
            continue
    except metadata.PackageNotFoundError:
        pass
    print(spec)
EOF
)
  else
    log "venv: creating $VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
    py_missing=("${py_wanted[@]}")
  fi
  if [ "${#py_missing[@]}" -gt 0 ]; then
    log "pip: installing ${py_missing[*]} into $VENV"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check "${py_missing[@]}"
  fi
fi

# ---------------------------------------------------------------- clients venv
if $clients; then
  if [ ! -x "$CLIENTS_VENV/bin/python" ]; then
    log "venv: creating $CLIENTS_VENV"
    mkdir -p "$(dirname "$CLIENTS_VENV")"
    "$PYTHON" -m venv "$CLIENTS_VENV"
  fi
  if ! "$CLIENTS_VENV/bin/python" - "${CLIENT_PINS[@]}" <<'EOF'
import sys
from importlib import metadata
try:
    sys.exit(any(metadata.version(n) != v for n, v in (s.split("==") for s in sys.argv[1:])))
except metadata.PackageNotFoundError:
    sys.exit(1)
EOF
  then
    log "pip: installing ${CLIENT_PINS[*]} into $CLIENTS_VENV"
    "$CLIENTS_VENV/bin/python" -m pip install -q --disable-pip-version-check "${CLIENT_PINS[@]}"
  fi
fi

log "ok: $*"
