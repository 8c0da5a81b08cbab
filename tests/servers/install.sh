#!/usr/bin/env bash
# Installs what the real DAV test servers need (see README.md beside this file).
#
#   tests/servers/install.sh [radicale|radicale-tls|xandikos|sogo|sabredav|tinyproxy ...]  (all when none named)
#
# Idempotent: a second run finds everything in place and does nothing (well under a second).
#  - apt packages: only the missing ones are installed; `apt-get update` runs only then. A
#    temporary /usr/sbin/policy-rc.d (exit 101) keeps package scripts from starting system
#    services; it is removed (or the one that was there restored) afterwards, even on failure.
#  - Python packages: pinned versions in one venv at
#    ${DAVSYNC_SERVERS_VENV:-$HOME/.cache/davsync/servers-venv}.
set -euo pipefail

RADICALE_VERSION=3.9.0
XANDIKOS_VERSION=0.4.10

VENV="${DAVSYNC_SERVERS_VENV:-$HOME/.cache/davsync/servers-venv}"
PYTHON="${PYTHON:-python3}"

log() { printf 'install.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

if [ "$#" -eq 0 ]; then
  set -- radicale radicale-tls xandikos sogo sabredav tinyproxy
fi

# curl: start.sh polls with it; procps: pgrep, for start.sh and stop.sh.
# zsh, man-db and systemd: not for a server, but the CLI tests check the zsh completion
# script (zsh -n), render the man pages (man -l) and check the unit of `davsync service
# install` (systemd-analyze verify, which needs no running systemd); they fail without them.
apt_wanted=(curl ca-certificates procps zsh man-db systemd)
py_wanted=()
for server in "$@"; do
  case "$server" in
    radicale | radicale-small) py_wanted+=("radicale==$RADICALE_VERSION") ;;
    # openssl makes the test CA and certificates.
    radicale-tls) py_wanted+=("radicale==$RADICALE_VERSION"); apt_wanted+=(openssl) ;;
    # sabre/dav 1.8 (Digest authentication), served by PHP's own web server.
    sabredav) apt_wanted+=(php-cli php-sqlite3 php-sabre-dav) ;;
    tinyproxy) apt_wanted+=(tinyproxy) ;;
    xandikos) py_wanted+=("xandikos==$XANDIKOS_VERSION") ;;
    # sogo's package pulls in memcached, gnustep and sope; postgresql is only "suggested".
    sogo) apt_wanted+=(sogo postgresql memcached) ;;
    *) die "unknown server '$server' (expected radicale, radicale-small, radicale-tls, xandikos, sogo, sabredav or tinyproxy)" ;;
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
if [ "${#py_wanted[@]}" -gt 0 ] && [ ! -x "$VENV/bin/python" ]; then
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

log "ok: $*"
