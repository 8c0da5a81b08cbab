#!/usr/bin/env bash
# Starts one real DAV server on 127.0.0.1 with all its state in STATE_DIR (see README.md).
#
#   tests/servers/start.sh radicale|radicale-small|radicale-tls|xandikos|sogo|davical|cyrus|sabredav|tinyproxy STATE_DIR
#
# Waits until the server answers DAV requests for alice, makes sure alice's calendar and
# address book exist, writes STATE_DIR/env (KEY=value lines, shell-sourceable) and prints it.
# On failure: prints the server's logs to stderr, stops whatever it started, exits non-zero.
# Stop with tests/servers/stop.sh STATE_DIR. Run tests/servers/install.sh first.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VENV="${DAVSYNC_SERVERS_VENV:-$HOME/.cache/davsync/servers-venv}"
TIMEOUT="${DAVSYNC_SERVER_START_TIMEOUT:-60}"
DAV_USER=alice
DAV_PASSWORD=alice-secret-pw

log() { printf 'start.sh: %s\n' "$*" >&2; }

if [ "$#" -ne 2 ]; then
  echo "usage: $0 radicale|radicale-small|radicale-tls|xandikos|sogo|davical|cyrus|sabredav|tinyproxy STATE_DIR" >&2
  exit 2
fi
NAME="$1"
case "$NAME" in
  radicale | radicale-small | radicale-tls | xandikos | sogo | davical | cyrus | sabredav | tinyproxy) ;;
  *) log "unknown server '$NAME' (expected radicale, radicale-small, radicale-tls, xandikos, sogo, davical, cyrus, sabredav or tinyproxy)"; exit 2 ;;
esac
mkdir -p "$2"
STATE_DIR="$(cd "$2" && pwd)"
case "$STATE_DIR" in
  *[[:space:]\"\$\`\\]*) log "STATE_DIR must not contain spaces, quotes, \$, \` or \\: $STATE_DIR"; exit 2 ;;
esac
ENV_FILE="$STATE_DIR/env"
PIDS_FILE="$STATE_DIR/pids"

# Refuse to start twice into one state dir while something from the last start still runs
# (a zombie, whose parent may never reap it, counts as gone).
if [ -s "$PIDS_FILE" ]; then
  while read -r pid start _label; do
    stat="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null || true)"
    if [ -n "$stat" ] && [ "$(echo "$stat" | cut -d' ' -f1)" != Z ] &&
      [ "$(echo "$stat" | cut -d' ' -f20)" = "$start" ]; then
      log "$STATE_DIR is in use (pid $pid still runs): run stop.sh on it first"
      exit 1
    fi
  done <"$PIDS_FILE"
fi
rm -f "$ENV_FILE" "$PIDS_FILE"

PIDS=()
LOGS=()
STARTED_OK=""
# curl options (a CA file, a client certificate, Digest), extra env lines, and whether the
# thing started is not a DAV server (its env file then holds the extra lines only).
CURL_OPTS=()
EXTRA_ENV=()
NOT_DAV=""

# Records a started process: "PID STARTTIME LABEL" in STATE_DIR/pids (stop.sh checks the start
# time so that it never kills a process that merely re-uses a PID).
record_pid() {
  local pid="$1" label="$2" start
  # (A process that has already died is recorded with start time 0; stop.sh skips it.)
  start="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f20 || true)"
  start="${start:-0}"
  printf '%s %s %s\n' "$pid" "$start" "$label" >>"$PIDS_FILE"
  PIDS+=("$pid")
}

on_exit() {
  local rc=$?
  if [ -z "$STARTED_OK" ]; then
    [ "$rc" -ne 0 ] || rc=1
    log "$NAME failed to start"
    local f
    for f in "${LOGS[@]}"; do
      if [ -f "$f" ]; then
        printf '==== %s (last 200 lines)\n' "$f" >&2
        tail -n 200 "$f" >&2 || true
      fi
    done
    "$HERE/stop.sh" "$STATE_DIR" >&2 || true
    rm -f "$ENV_FILE"
  fi
  exit "$rc"
}
trap on_exit EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# dav_status METHOD URL [curl args...] -> prints the HTTP status code (000 when no answer)
dav_status() {
  local method="$1" url="$2"
  shift 2
  curl -s -o /dev/null -w '%{http_code}' --max-time 10 -u "$DAV_USER:$DAV_PASSWORD" \
    ${CURL_OPTS[@]+"${CURL_OPTS[@]}"} -X "$method" "$@" "$url" || true
}

# wait_for URL PID...: polls PROPFIND Depth 0 as alice until 207, while all PIDs live.
wait_for() {
  local url="$1" deadline code pid
  shift
  deadline=$((SECONDS + TIMEOUT))
  while :; do
    code="$(dav_status PROPFIND "$url" -H 'Depth: 0')"
    [ "$code" != 207 ] || return 0
    for pid in "$@"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        log "process $pid exited while waiting for $url"
        return 1
      fi
    done
    if [ "$SECONDS" -ge "$deadline" ]; then
      log "timeout after ${TIMEOUT}s waiting for $url (last status $code)"
      return 1
    fi
    sleep 0.2
  done
}

# ensure_collection KIND URL: makes a calendar (VEVENT+VTODO) or address book at URL unless one
# is there already.
ensure_collection() {
  local kind="$1" url="$2" code
  code="$(dav_status PROPFIND "$url" -H 'Depth: 0')"
  [ "$code" != 207 ] || return 0
  if [ "$kind" = calendar ]; then
    code="$(dav_status MKCALENDAR "$url" -H 'Content-Type: application/xml; charset=utf-8' \
      --data-binary '<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>Calendar</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/><C:comp name="VTODO"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>')"
  else
    code="$(dav_status MKCOL "$url" -H 'Content-Type: application/xml; charset=utf-8' \
      --data-binary '<?xml version="1.0" encoding="utf-8"?>
<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">
  <D:set><D:prop>
    <D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype>
    <D:displayname>Contacts</D:displayname>
  </D:prop></D:set>
</D:mkcol>')"
  fi
  case "$code" in
    200 | 201) ;;
    *) log "could not create $kind at $url (status $code)"; return 1 ;;
  esac
}

# ------------------------------------------------------------------------------------------
# run_radicale DIR PORT [SERVER_CONF_LINES]: starts one Radicale with its state in DIR.
run_radicale() {
  local dir="$1" port="$2" extra="${3:-}"
  mkdir -p "$dir/collections"
  printf '%s:%s\n' "$DAV_USER" "$DAV_PASSWORD" >"$dir/users"
  cat >"$dir/radicale.conf" <<EOF
[server]
hosts = 127.0.0.1:$port
$extra

[auth]
type = htpasswd
htpasswd_filename = $dir/users
htpasswd_encryption = plain
# no 1 s pause after a wrong password: tests of 401 stay fast
delay = 0

[rights]
type = owner_only

[storage]
filesystem_folder = $dir/collections

[reporting]
# Radicale refuses (400) a REPORT whose answer would hold more VEVENTs than this.
max_expand_occurrence = ${REPORT_LIMIT:-10000}

[logging]
level = info
EOF
  LOGS+=("$dir/radicale.log")
  "$VENV/bin/python" -m radicale --config "$dir/radicale.conf" </dev/null >"$dir/radicale.log" 2>&1 &
  record_pid "$!" radicale
}

# radicale_urls: the URLs of a started Radicale at BASE_URL, once it answers, with alice's
# two collections made.
radicale_urls() {
  PRINCIPAL_URL="${BASE_URL}alice/"
  CALENDAR_URL="${BASE_URL}alice/calendar/"
  ADDRESSBOOK_URL="${BASE_URL}alice/contacts/"
  wait_for "$PRINCIPAL_URL" "${PIDS[@]}"
  ensure_collection calendar "$CALENDAR_URL"
  ensure_collection addressbook "$ADDRESSBOOK_URL"
}

start_radicale() {
  local port
  [ -x "$VENV/bin/python" ] || { log "no venv at $VENV: run tests/servers/install.sh radicale"; return 1; }
  port="$(free_port)"
  run_radicale "$STATE_DIR" "$port"
  BASE_URL="http://127.0.0.1:$port/"
  radicale_urls
}

# make_certificates DIR: a test CA, a server certificate for 127.0.0.1 and localhost and a
# client certificate, both signed by it, and a second CA that signed nothing (openssl).
make_certificates() {
  local dir="$1" name
  mkdir -p "$dir"
  for name in ca other-ca; do
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=davsync test $name" \
      -keyout "$dir/$name.key" -out "$dir/$name.pem" 2>/dev/null
  done
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$dir/server.ext"
  printf 'extendedKeyUsage=clientAuth\n' >"$dir/client.ext"
  for name in server client; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=davsync test $name" \
      -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
    openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
      -CAcreateserial -days 3650 -extfile "$dir/$name.ext" -out "$dir/$name.pem" 2>/dev/null
  done
  chmod 600 "$dir"/*.key
}

# Radicale over HTTPS with a certificate of a test CA, twice: one instance that asks for no
# client certificate, one that requires a client certificate of that CA. For the TLS tests.
start_radicale_tls() {
  local port mport tls="$STATE_DIR/tls"
  [ -x "$VENV/bin/python" ] || { log "no venv at $VENV: run tests/servers/install.sh radicale"; return 1; }
  command -v openssl >/dev/null || { log "no openssl: run tests/servers/install.sh radicale-tls"; return 1; }
  [ -s "$tls/server.pem" ] || make_certificates "$tls"
  port="$(free_port)"
  mport="$(free_port)"
  local conf="ssl = True
certificate = $tls/server.pem
key = $tls/server.key"
  run_radicale "$STATE_DIR/plain" "$port" "$conf"
  run_radicale "$STATE_DIR/mutual" "$mport" "$conf
certificate_authority = $tls/ca.pem"
  CURL_OPTS=(--cacert "$tls/ca.pem")
  BASE_URL="https://127.0.0.1:$port/"
  radicale_urls
  CURL_OPTS=(--cacert "$tls/ca.pem" --cert "$tls/client.pem" --key "$tls/client.key")
  local mutual="https://127.0.0.1:$mport/"
  wait_for "${mutual}alice/" "${PIDS[@]}"
  ensure_collection calendar "${mutual}alice/calendar/"
  EXTRA_ENV=(
    "DAV_CA_FILE=$tls/ca.pem"
    "DAV_OTHER_CA_FILE=$tls/other-ca.pem"
    "DAV_CERT_SHA256=$(openssl x509 -in "$tls/server.pem" -outform DER | sha256sum | cut -d' ' -f1)"
    "DAV_MTLS_CALENDAR_URL=${mutual}alice/calendar/"
    "DAV_CLIENT_CERT=$tls/client.pem"
    "DAV_CLIENT_KEY=$tls/client.key"
  )
}

# ------------------------------------------------------------------------------------------
start_xandikos() {
  local port dir="$STATE_DIR"
  [ -x "$VENV/bin/xandikos" ] || { log "no xandikos in $VENV: run tests/servers/install.sh xandikos"; return 1; }
  port="$(free_port)"
  mkdir -p "$dir/data" "$dir/xandikos-state"
  LOGS+=("$dir/xandikos.log")
  # `serve` has no authentication: it ignores the Basic credentials that clients send.
  "$VENV/bin/xandikos" serve -d "$dir/data" --defaults --current-user-principal /alice/ \
    --state-dir "$dir/xandikos-state" --no-detect-systemd -l 127.0.0.1 -p "$port" \
    </dev/null >"$dir/xandikos.log" 2>&1 &
  record_pid "$!" xandikos

  BASE_URL="http://127.0.0.1:$port/"
  PRINCIPAL_URL="${BASE_URL}alice/"
  CALENDAR_URL="${BASE_URL}alice/calendars/calendar/"
  ADDRESSBOOK_URL="${BASE_URL}alice/contacts/addressbook/"
  wait_for "$PRINCIPAL_URL" "${PIDS[@]}"
  ensure_collection calendar "$CALENDAR_URL"
  ensure_collection addressbook "$ADDRESSBOOK_URL"
}

# ------------------------------------------------------------------------------------------
# For the servers that run as a user of their own (SOGo, DAViCal's PostgreSQL, Cyrus).

# own_dir USER GROUP DIR: makes DIR (below STATE_DIR) belong to USER, who runs the server's
# processes (as root; postgres, initdb and sogod refuse to run as root, Cyrus would switch to
# its user by itself), and
# lets USER reach it: STATE_DIR and any parent folder that is closed to USER (e.g. the 0700
# temporary folder of a test) get o+x (traverse, not list). Sets RUN_AS, the command prefix
# that runs as USER (empty when not root: everything then runs as the caller).
own_dir() {
  local user="$1" group="$2" dir="$3" d
  RUN_AS=()
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    RUN_AS=(setpriv --reuid="$user" --regid="$group" --init-groups --)
    chown "$user:$group" "$dir"
    d="$STATE_DIR"
    while [ "$d" != / ]; do
      if ! "${RUN_AS[@]}" test -x "$d"; then
        [ "$d" = "$STATE_DIR" ] || log "letting user $user traverse $d (chmod o+x)"
        chmod o+x "$d"
      fi
      d="$(dirname "$d")"
    done
    if ! "${RUN_AS[@]}" test -w "$dir"; then
      log "user $user cannot write $dir (is a parent folder closed to other users?)"
      return 1
    fi
  fi
  chmod 700 "$dir"
}

# pg_bin: prints the newest PostgreSQL server bin folder (empty when there is none).
pg_bin() {
  find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -n 1
}

# start_postgres DIR SUPERUSER: a private PostgreSQL cluster in DIR/pgdata (initdb with that
# superuser name on the first start), TCP on 127.0.0.1 only on a free port, no unix socket,
# trust auth, fsync off; runs as RUN_AS (see own_dir), which must own DIR. Its data folder
# goes to STATE_DIR/pg_data_dir for stop.sh. Sets PG_PORT and PSQL (psql as SUPERUSER).
start_postgres() {
  local dir="$1" superuser="$2" bin pid
  bin="$(pg_bin)"
  local sh=(${RUN_AS[@]+"${RUN_AS[@]}"} env HOME="$dir" LC_ALL=C)
  PG_PORT="$(free_port)"
  LOGS+=("$dir/postgres.log")
  echo "$dir/pgdata" >"$STATE_DIR/pg_data_dir"
  if [ ! -f "$dir/pgdata/PG_VERSION" ]; then
    "${sh[@]}" "$bin/initdb" -D "$dir/pgdata" -U "$superuser" -A trust -E UTF8 --no-sync \
      >"$dir/initdb.log" 2>&1 || { LOGS+=("$dir/initdb.log"); return 1; }
  fi
  "${sh[@]}" "$bin/pg_ctl" -D "$dir/pgdata" -l "$dir/postgres.log" -w -t "$TIMEOUT" \
    -o "-h 127.0.0.1 -p $PG_PORT -c unix_socket_directories= -c fsync=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=40" \
    start >/dev/null
  pid="$(head -n 1 "$dir/pgdata/postmaster.pid")"
  record_pid "$pid" postgres
  PSQL=("${sh[@]}" "$bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U "$superuser")
}

# ------------------------------------------------------------------------------------------
# SOGo: sogod (as user sogo) + a private PostgreSQL cluster + a private memcached, all under
# STATE_DIR/sogo, which belongs to the user that runs them.
start_sogo() {
  local dir="$STATE_DIR/sogo" pg_port mc_port port pid db_url deadline
  command -v sogod >/dev/null || { log "no sogod: run tests/servers/install.sh sogo"; return 1; }
  [ -x "$(pg_bin)/initdb" ] || { log "no PostgreSQL server binaries: run tests/servers/install.sh sogo"; return 1; }
  command -v memcached >/dev/null || { log "no memcached: run tests/servers/install.sh sogo"; return 1; }

  own_dir sogo sogo "$dir"
  # Everything below runs as (and is created by) that user.
  local sh=(${RUN_AS[@]+"${RUN_AS[@]}"} env HOME="$dir" LC_ALL=C)

  # --- PostgreSQL (its superuser is named sogo)
  start_postgres "$dir" sogo
  pg_port="$PG_PORT"
  local psql=("${PSQL[@]}")
  mc_port="$(free_port)"
  port="$(free_port)"

  if [ "$("${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'sogo'")" != 1 ]; then
    "${psql[@]}" -d postgres -c 'CREATE DATABASE sogo'
  fi
  # On a restart into the same STATE_DIR, PostgreSQL has a new port: SOGo keeps the URL (with
  # the port) of each folder's tables in sogo_folder_info, so point those at the new port.
  "${psql[@]}" -d sogo <<EOF
SET client_min_messages = warning;
DO \$\$
BEGIN
  IF to_regclass('sogo_folder_info') IS NOT NULL THEN
    UPDATE sogo_folder_info SET
      c_location = regexp_replace(c_location, '@127\.0\.0\.1:[0-9]+/', '@127.0.0.1:$pg_port/'),
      c_quick_location = regexp_replace(c_quick_location, '@127\.0\.0\.1:[0-9]+/', '@127.0.0.1:$pg_port/'),
      c_acl_location = regexp_replace(c_acl_location, '@127\.0\.0\.1:[0-9]+/', '@127.0.0.1:$pg_port/');
  END IF;
END
\$\$;
CREATE TABLE IF NOT EXISTS sogo_users (
  c_uid VARCHAR(128) PRIMARY KEY,
  c_name VARCHAR(128) NOT NULL,
  c_password VARCHAR(128) NOT NULL,
  c_cn VARCHAR(128),
  mail VARCHAR(128)
);
INSERT INTO sogo_users (c_uid, c_name, c_password, c_cn, mail)
VALUES ('$DAV_USER', '$DAV_USER', md5('$DAV_PASSWORD'), 'Alice Example', 'alice@example.org')
ON CONFLICT (c_uid) DO UPDATE SET c_password = EXCLUDED.c_password;
EOF

  # --- memcached
  LOGS+=("$dir/memcached.log")
  "${sh[@]}" memcached -l 127.0.0.1 -p "$mc_port" -U 0 -m 32 </dev/null >"$dir/memcached.log" 2>&1 &
  record_pid "$!" memcached

  # --- sogod: GNUstep defaults (domain "sogod") in $dir/GNUstep/Defaults/sogod.plist; they win
  # over /etc/sogo/sogo.conf. Four workers and a listen queue of 64: each worker answers one
  # request at a time, and with two of them and SOPE's default queue of 5, tests running side
  # by side (each sending up to four requests at once) on a busy 2-core CI machine saw their
  # connections time out for 45 s ("No child available to handle incoming request!").
  db_url="postgresql://sogo:sogo@127.0.0.1:$pg_port/sogo"
  "${sh[@]}" mkdir -p "$dir/GNUstep/Defaults"
  sed "s|^GNUSTEP_USER_DEFAULTS_DIR=.*|GNUSTEP_USER_DEFAULTS_DIR=$dir/GNUstep/Defaults|" \
    /etc/GNUstep/GNUstep.conf | "${sh[@]}" tee "$dir/GNUstep.conf" >/dev/null
  "${sh[@]}" tee "$dir/GNUstep/Defaults/sogod.plist" >/dev/null <<EOF
{
  WOPort = "127.0.0.1:$port";
  WOWorkersCount = 4;
  WOListenQueueSize = 64;
  WOLogFile = "$dir/sogod.log";
  WOPidFile = "$dir/sogod.pid";
  SOGoProfileURL = "$db_url/sogo_user_profile";
  OCSFolderInfoURL = "$db_url/sogo_folder_info";
  OCSSessionsFolderURL = "$db_url/sogo_sessions_folder";
  OCSEMailAlarmsFolderURL = "$db_url/sogo_alarms_folder";
  SOGoMemcachedHost = "127.0.0.1:$mc_port";
  SOGoTimeZone = UTC;
  SOGoLanguage = English;
  SOGoMailDomain = example.org;
  SOGoAppointmentSendEMailNotifications = NO;
  SOGoUserSources = (
    {
      type = sql;
      id = users;
      viewURL = "$db_url/sogo_users";
      canAuthenticate = YES;
      isAddressBook = NO;
      userPasswordAlgorithm = md5;
    }
  );
}
EOF
  LOGS+=("$dir/sogod.log" "$dir/sogod.out")
  "${sh[@]}" GNUSTEP_CONFIG_FILE="$dir/GNUstep.conf" sogod -WONoDetach YES \
    </dev/null >"$dir/sogod.out" 2>&1 &
  record_pid "$!" sogod
  local sogod_pid="$!"

  BASE_URL="http://127.0.0.1:$port/"
  PRINCIPAL_URL="${BASE_URL}SOGo/dav/alice/"
  CALENDAR_URL="${BASE_URL}SOGo/dav/alice/Calendar/personal/"
  ADDRESSBOOK_URL="${BASE_URL}SOGo/dav/alice/Contacts/personal/"
  wait_for "$PRINCIPAL_URL" "${PIDS[@]}"
  # The personal calendar and address book are made on first access.
  deadline=$((SECONDS + TIMEOUT))
  while [ "$(dav_status PROPFIND "$CALENDAR_URL" -H 'Depth: 0')" != 207 ] ||
    [ "$(dav_status PROPFIND "$ADDRESSBOOK_URL" -H 'Depth: 0')" != 207 ]; do
    [ "$SECONDS" -lt "$deadline" ] || { log "timeout waiting for alice's SOGo collections"; return 1; }
    sleep 0.5
  done
  # Its prefork workers ignore SIGTERM: list them too, so that stop.sh can kill them.
  for pid in $(pgrep -P "$sogod_pid" || true); do
    record_pid "$pid" sogod-worker
  done
}

# ------------------------------------------------------------------------------------------
# DAViCal 1.1 (Debian's, PHP) served by `php -S` with a router file + a private PostgreSQL
# cluster (run as user postgres), all under STATE_DIR/davical. DAViCal reads its settings from
# the package's /etc/davical/config.php (untouched: `dbname=davical user=davical_app`, no host
# or port); PGHOST and PGPORT in the environment of `php -S` point libpq at the private cluster.
DAVICAL=/usr/share/davical
start_davical() {
  local dir="$STATE_DIR/davical" port have
  command -v php >/dev/null && [ -f "$DAVICAL/htdocs/caldav.php" ] && [ -x "$DAVICAL/dba/create-database.sh" ] ||
    { log "no php or DAViCal: run tests/servers/install.sh davical"; return 1; }
  php -r 'exit(extension_loaded("pdo_pgsql") ? 0 : 1);' ||
    { log "php has no pdo_pgsql: run tests/servers/install.sh davical"; return 1; }
  [ -x "$(pg_bin)/initdb" ] || { log "no PostgreSQL server binaries: run tests/servers/install.sh davical"; return 1; }

  own_dir postgres postgres "$dir"
  start_postgres "$dir" postgres
  local pgenv=(env PGHOST=127.0.0.1 PGPORT="$PG_PORT")

  # The database, made by DAViCal's own script (roles davical_dba and davical_app, the schema,
  # the base data with the user admin). A database left half-made by an interrupted first start
  # (no admin user yet) is made again.
  have="$("${PSQL[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'davical'")"
  if [ "$have" = 1 ]; then
    local complete
    complete="$("${PSQL[@]}" -d davical -tAc "SELECT to_regclass('public.usr') IS NOT NULL")"
    if [ "$complete" = t ]; then
      complete="$("${PSQL[@]}" -d davical -tAc "SELECT EXISTS (SELECT 1 FROM usr WHERE user_no = 1)")"
    fi
    if [ "$complete" != t ]; then
      log "DAViCal's database is incomplete (interrupted first start?): making it again"
      "${PSQL[@]}" -d postgres -c 'DROP DATABASE davical'
      have=""
    fi
  fi
  if [ "$have" != 1 ]; then
    LOGS+=("$dir/create-database.log")
    # (as root, which only talks to PostgreSQL over TCP as its superuser postgres)
    "${pgenv[@]}" PGUSER=postgres TMPDIR="$dir" DBAOPTS="--dbhost 127.0.0.1 --dbport $PG_PORT" \
      "$DAVICAL/dba/create-database.sh" davical admin-secret-pw </dev/null >"$dir/create-database.log" 2>&1 ||
      { log "DAViCal's create-database.sh failed"; return 1; }
  fi
  # alice: the password in `usr` with `**` in front is plain text; the principal as DAViCal's
  # own sign-up makes it. Her collections are made below with MKCALENDAR and extended MKCOL
  # (DAViCal makes a user's home collections only when its admin pages or an external
  # authentication make the user).
  "${PSQL[@]}" -d davical <<EOF
SET client_min_messages = warning;
INSERT INTO usr (active, email_ok, updated, username, password, fullname, email)
SELECT TRUE, current_date, current_date, '$DAV_USER', '**$DAV_PASSWORD', 'Alice Example', 'alice@example.org'
WHERE NOT EXISTS (SELECT 1 FROM usr WHERE lower(username) = '$DAV_USER');
UPDATE usr SET password = '**$DAV_PASSWORD', active = TRUE
WHERE lower(username) = '$DAV_USER' AND password IS DISTINCT FROM '**$DAV_PASSWORD';
INSERT INTO principal (type_id, user_no, displayname, default_privileges)
SELECT 1, u.user_no, u.fullname, privilege_to_bits(ARRAY['read-free-busy', 'schedule-deliver'])
FROM usr u WHERE lower(u.username) = '$DAV_USER'
AND NOT EXISTS (SELECT 1 FROM principal p WHERE p.user_no = u.user_no);
EOF

  # `php -S` runs DAViCal's htdocs from that folder (its includes are relative); the router
  # hands /.well-known/* to caldav.php (which redirects caldav and carddav to /caldav.php/)
  # and everything else to the file it names (/caldav.php/alice/… with PATH_INFO).
  cat >"$dir/router.php" <<'EOF'
<?php
// Written by tests/servers/start.sh: the router of `php -S` for DAViCal.
$path = parse_url($_SERVER['REQUEST_URI'], PHP_URL_PATH);
if (is_string($path) && preg_match('{^/\.well-known/}', $path)) {
    $_SERVER['SCRIPT_NAME'] = '/caldav.php';
    $_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/caldav.php';
    $_SERVER['PHP_SELF'] = '/caldav.php' . $path;
    $_SERVER['PATH_INFO'] = $path;
    require $_SERVER['DOCUMENT_ROOT'] . '/caldav.php';
    return true;
}
return false;
EOF
  port="$(free_port)"
  LOGS+=("$dir/php.log")
  # Four workers: davsync sends up to four requests at once.
  (cd "$DAVICAL/htdocs" && exec "${pgenv[@]}" PHP_CLI_SERVER_WORKERS=4 \
    php -S "127.0.0.1:$port" -t "$DAVICAL/htdocs" "$dir/router.php") \
    </dev/null >"$dir/php.log" 2>&1 &
  record_pid "$!" php

  BASE_URL="http://127.0.0.1:$port/"
  PRINCIPAL_URL="${BASE_URL}caldav.php/$DAV_USER/"
  CALENDAR_URL="${PRINCIPAL_URL}calendar/"
  ADDRESSBOOK_URL="${PRINCIPAL_URL}addresses/"
  wait_for "$PRINCIPAL_URL" "${PIDS[@]}"
  ensure_collection calendar "$CALENDAR_URL"
  ensure_collection addressbook "$ADDRESSBOOK_URL"

  # Shared calendars (for discover): bob made alice his calendar read proxy, carol her write
  # proxy (a grant on the principal, as DAViCal's admin pages make it); each has a calendar
  # `shared`. On every start, so that a state folder made before this was added gets them.
  local who
  for who in bob carol; do
    "${PSQL[@]}" -d davical <<EOF
SET client_min_messages = warning;
INSERT INTO usr (active, email_ok, updated, username, password, fullname, email)
SELECT TRUE, current_date, current_date, '$who', '**$who-secret-pw', initcap('$who'), '$who@example.org'
WHERE NOT EXISTS (SELECT 1 FROM usr WHERE lower(username) = '$who');
INSERT INTO principal (type_id, user_no, displayname, default_privileges)
SELECT 1, u.user_no, u.fullname, privilege_to_bits(ARRAY['schedule-deliver'])
FROM usr u WHERE lower(u.username) = '$who'
AND NOT EXISTS (SELECT 1 FROM principal p WHERE p.user_no = u.user_no);
INSERT INTO grants (by_principal, to_principal, privileges, is_group)
SELECT b.principal_id, a.principal_id,
       privilege_to_bits(CASE WHEN '$who' = 'carol' THEN ARRAY['read', 'write'] ELSE ARRAY['read'] END), FALSE
FROM principal b JOIN usr ub ON ub.user_no = b.user_no, principal a JOIN usr ua ON ua.user_no = a.user_no
WHERE lower(ub.username) = '$who' AND lower(ua.username) = '$DAV_USER'
AND NOT EXISTS (SELECT 1 FROM grants g WHERE g.by_principal = b.principal_id AND g.to_principal = a.principal_id);
EOF
    (DAV_USER="$who" DAV_PASSWORD="$who-secret-pw" ensure_collection calendar "${BASE_URL}caldav.php/$who/shared/") ||
      return 1
  done
  EXTRA_ENV=(
    "DAV_SHARED_READ_URL=${BASE_URL}caldav.php/bob/shared/"
    "DAV_SHARED_WRITE_URL=${BASE_URL}caldav.php/carol/shared/"
  )
}

# ------------------------------------------------------------------------------------------
# Cyrus IMAP 3.6 (Debian's) with its CalDAV/CardDAV module: `master` (as user cyrus) with a
# private imapd.conf and cyrus.conf under STATE_DIR/cyrus, services `http` and `imap` on free
# loopback ports, alice in a private sasldb. Every service command names the imapd.conf:
# master does not hand its -C on, and a service without it would use /etc/imapd.conf and the
# system's /var/lib/cyrus.
CYRUS_BIN=/usr/lib/cyrus/bin
start_cyrus() {
  local dir="$STATE_DIR/cyrus" http_port imap_port master deadline conf
  [ -x "$CYRUS_BIN/master" ] && [ -x "$CYRUS_BIN/httpd" ] && [ -x "$CYRUS_BIN/imapd" ] ||
    { log "no Cyrus (master, httpd, imapd): run tests/servers/install.sh cyrus"; return 1; }
  command -v saslpasswd2 >/dev/null || { log "no saslpasswd2: run tests/servers/install.sh cyrus"; return 1; }

  own_dir cyrus mail "$dir"
  local sh=(${RUN_AS[@]+"${RUN_AS[@]}"} env HOME="$dir" LC_ALL=C)
  "${sh[@]}" mkdir -p "$dir/conf/socket" "$dir/conf/proc" "$dir/conf/lock" "$dir/spool" "$dir/sieve"
  http_port="$(free_port)"
  imap_port="$(free_port)"
  conf="$dir/imapd.conf"
  "${sh[@]}" tee "$conf" >/dev/null <<EOF
# Written by tests/servers/start.sh: one Cyrus of the davsync tests, all its state in $dir.
configdirectory: $dir/conf
defaultpartition: default
partition-default: $dir/spool
sievedir: $dir/sieve
proc_path: $dir/conf/proc
mboxname_lockpath: $dir/conf/lock
lmtpsocket: $dir/conf/socket/lmtp
idlesocket: $dir/conf/socket/idle
notifysocket: $dir/conf/socket/notify
hashimapspool: false
servername: localhost
syslog_prefix: davsync-cyrus
# IMAP LOGIN and HTTP Basic without TLS, checked against the sasldb below.
allowplaintext: yes
sasl_pwcheck_method: auxprop
sasl_auxprop_plugin: sasldb
sasl_sasldb_path: $dir/sasldb2
# A user's mailbox (and so their DAV home) is made at their first IMAP login.
autocreate_quota: 0
autocreate_users: anyone
httpmodules: caldav carddav
EOF
  "${sh[@]}" tee "$dir/cyrus.conf" >/dev/null <<EOF
# Written by tests/servers/start.sh.
START {
  recover cmd="ctl_cyrusdb -C $conf -r"
}
SERVICES {
  imap cmd="imapd -C $conf" listen="127.0.0.1:$imap_port" prefork=0
  http cmd="httpd -C $conf" listen="127.0.0.1:$http_port" prefork=0
}
EVENTS {
  checkpoint cmd="ctl_cyrusdb -C $conf -c" period=30
}
EOF
  printf '%s' "$DAV_PASSWORD" |
    "${sh[@]}" saslpasswd2 -p -c -f "$dir/sasldb2" -u localhost "$DAV_USER"

  # Cyrus logs to syslog (lost on a machine without /dev/log); master.log has only what the
  # processes write to stderr.
  LOGS+=("$dir/master.log")
  "${sh[@]}" "$CYRUS_BIN/master" -C "$conf" -M "$dir/cyrus.conf" -p "$dir/master.pid" -D \
    </dev/null >"$dir/master.log" 2>&1 &
  master="$!"
  record_pid "$master" cyrus-master

  # One IMAP login (curl logs in and lists the mailboxes) makes alice's mailbox; before it,
  # every DAV request of hers gets 500.
  deadline=$((SECONDS + TIMEOUT))
  until curl -s -o /dev/null --max-time 10 -u "$DAV_USER:$DAV_PASSWORD" "imap://127.0.0.1:$imap_port/"; do
    kill -0 "$master" 2>/dev/null || { log "Cyrus's master exited"; return 1; }
    [ "$SECONDS" -lt "$deadline" ] || { log "timeout waiting for an IMAP login to Cyrus"; return 1; }
    sleep 0.2
  done

  BASE_URL="http://127.0.0.1:$http_port/"
  PRINCIPAL_URL="${BASE_URL}dav/principals/user/$DAV_USER/"
  # Cyrus makes these two on the first DAV access (caldav_create_default, carddav's Default).
  CALENDAR_URL="${BASE_URL}dav/calendars/user/$DAV_USER/Default/"
  ADDRESSBOOK_URL="${BASE_URL}dav/addressbooks/user/$DAV_USER/Default/"
  wait_for "$PRINCIPAL_URL" "${PIDS[@]}"
  ensure_collection calendar "$CALENDAR_URL"
  ensure_collection addressbook "$ADDRESSBOOK_URL"
}

# sabre/dav 1.8 (Debian's php-sabre-dav, the 2013 branch) with its stock PDO backends on SQLite,
# served by `php -S`: the one test server that speaks HTTP Digest only (and has no
# sync-collection: getctag only).
start_sabredav() {
  local port dir="$STATE_DIR" sql=/usr/share/doc/php-sabre-dav/examples/sql
  command -v php >/dev/null && [ -f /usr/share/php/Sabre/autoload.php ] ||
    { log "no php or sabre/dav: run tests/servers/install.sh sabredav"; return 1; }
  port="$(free_port)"
  if [ ! -s "$dir/db.sqlite" ]; then
    DB="$dir/db.sqlite" SQL="$sql" USER_NAME="$DAV_USER" USER_PASSWORD="$DAV_PASSWORD" php -r '
      $pdo = new PDO("sqlite:" . getenv("DB"));
      $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
      foreach (["principals", "users", "calendars", "addressbooks", "locks"] as $t) {
        $pdo->exec(file_get_contents(getenv("SQL") . "/sqlite.$t.sql"));
      }
      $u = getenv("USER_NAME");
      $pdo->prepare("INSERT INTO users (username, digesta1) VALUES (?, ?)")
          ->execute([$u, md5($u . ":SabreDAV:" . getenv("USER_PASSWORD"))]);
      foreach (["", "/calendar-proxy-read", "/calendar-proxy-write"] as $p) {
        $pdo->prepare("INSERT INTO principals (uri, email, displayname) VALUES (?, ?, ?)")
            ->execute(["principals/$u$p", $p ? null : "$u@example.org", $p ? null : $u]);
      }
      $pdo->prepare("INSERT INTO calendars (principaluri, displayname, uri, ctag, components)
                     VALUES (?, ?, ?, 1, ?)")->execute(["principals/$u", "Calendar", "calendar", "VEVENT,VTODO"]);
      $pdo->prepare("INSERT INTO addressbooks (principaluri, displayname, uri, ctag)
                     VALUES (?, ?, ?, 1)")->execute(["principals/$u", "Contacts", "contacts"]);
    ' || { log "cannot make the sabre/dav database"; return 1; }
  fi
  # A calendar alice may read but not change (for `davsync check`): `admin`'s calendar
  # `shared`, alice a member of admin's calendar-proxy-read group. On every start, so that a
  # state folder made before this was added gets it too.
  DB="$dir/db.sqlite" USER_NAME="$DAV_USER" php -r '
    $pdo = new PDO("sqlite:" . getenv("DB"));
    $pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
    $pdo->exec("INSERT INTO calendars (principaluri, displayname, uri, ctag, components)
                SELECT \x27principals/admin\x27, \x27Shared\x27, \x27shared\x27, 1, \x27VEVENT,VTODO\x27
                WHERE NOT EXISTS (SELECT 1 FROM calendars
                                  WHERE principaluri = \x27principals/admin\x27 AND uri = \x27shared\x27)");
    $pdo->prepare("INSERT OR IGNORE INTO groupmembers (principal_id, member_id)
                   SELECT g.id, m.id FROM principals g, principals m
                   WHERE g.uri = \x27principals/admin/calendar-proxy-read\x27 AND m.uri = ?")
        ->execute(["principals/" . getenv("USER_NAME")]);
  ' || { log "cannot make the read-only calendar of sabre/dav"; return 1; }
  cat >"$dir/server.php" <<EOF
<?php
// Written by tests/servers/start.sh: sabre/dav's stock groupware server (Digest authentication).
date_default_timezone_set('UTC');
require_once 'Sabre/autoload.php';
\$pdo = new PDO('sqlite:$dir/db.sqlite');
\$pdo->setAttribute(PDO::ATTR_ERRMODE, PDO::ERRMODE_EXCEPTION);
\$principals = new Sabre\\DAVACL\\PrincipalBackend\\PDO(\$pdo);
\$server = new Sabre\\DAV\\Server([
    new Sabre\\CalDAV\\Principal\\Collection(\$principals),
    new Sabre\\CalDAV\\CalendarRootNode(\$principals, new Sabre\\CalDAV\\Backend\\PDO(\$pdo)),
    new Sabre\\CardDAV\\AddressBookRoot(\$principals, new Sabre\\CardDAV\\Backend\\PDO(\$pdo)),
]);
\$server->setBaseUri('/');
\$server->addPlugin(new Sabre\\DAV\\Auth\\Plugin(new Sabre\\DAV\\Auth\\Backend\\PDO(\$pdo), 'SabreDAV'));
\$server->addPlugin(new Sabre\\CalDAV\\Plugin());
\$server->addPlugin(new Sabre\\CardDAV\\Plugin());
\$server->addPlugin(new Sabre\\DAVACL\\Plugin());
\$server->exec();
EOF
  LOGS+=("$dir/php.log")
  # Four workers: davsync sends up to four requests at once.
  (cd "$dir" && PHP_CLI_SERVER_WORKERS=4 exec php -S "127.0.0.1:$port" server.php) \
    </dev/null >"$dir/php.log" 2>&1 &
  record_pid "$!" php
  CURL_OPTS=(--digest)
  BASE_URL="http://127.0.0.1:$port/"
  PRINCIPAL_URL="${BASE_URL}principals/alice/"
  CALENDAR_URL="${BASE_URL}calendars/alice/calendar/"
  ADDRESSBOOK_URL="${BASE_URL}addressbooks/alice/contacts/"
  wait_for "$CALENDAR_URL" "${PIDS[@]}"
  wait_for "$ADDRESSBOOK_URL" "${PIDS[@]}"
  EXTRA_ENV=(
    "DAV_READONLY_CALENDAR_URL=${BASE_URL}calendars/admin/shared/"
    "DAV_SHARED_READ_URL=${BASE_URL}calendars/admin/shared/"
  )
}

# tinyproxy (Debian's), twice: an open proxy, and one that asks for a user name and password.
# Not a DAV server: its env file names the proxies (PROXY_URL, PROXY_AUTH_URL, …) and their logs.
start_tinyproxy() {
  local port aport name dir="$STATE_DIR"
  command -v tinyproxy >/dev/null || { log "no tinyproxy: run tests/servers/install.sh tinyproxy"; return 1; }
  port="$(free_port)"
  aport="$(free_port)"
  for name in open auth; do
    local p="$port" extra=""
    if [ "$name" = auth ]; then
      p="$aport"
      extra="BasicAuth proxyuser proxy-secret-pw"
    fi
    cat >"$dir/$name.conf" <<EOF
Port $p
Listen 127.0.0.1
Timeout 120
LogFile "$dir/$name.log"
LogLevel Connect
MaxClients 50
Allow 127.0.0.1
DisableViaHeader Yes
$extra
EOF
    : >"$dir/$name.log"
    chmod 666 "$dir/$name.log"
    LOGS+=("$dir/$name.log" "$dir/$name.out")
    tinyproxy -d -c "$dir/$name.conf" </dev/null >"$dir/$name.out" 2>&1 &
    record_pid "$!" "tinyproxy-$name"
  done
  local deadline=$((SECONDS + TIMEOUT))
  for p in "$port" "$aport"; do
    until curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$p/" 2>/dev/null ||
      [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$p/" || true)" != 000 ]; do
      [ "$SECONDS" -lt "$deadline" ] || { log "timeout waiting for tinyproxy on port $p"; return 1; }
      sleep 0.2
    done
  done
  NOT_DAV=1
  EXTRA_ENV=(
    "PROXY_URL=http://127.0.0.1:$port"
    "PROXY_LOG=$dir/open.log"
    "PROXY_AUTH_URL=http://127.0.0.1:$aport"
    "PROXY_AUTH_LOG=$dir/auth.log"
    "PROXY_USER=proxyuser"
    "PROXY_PASSWORD=proxy-secret-pw"
  )
}

# Radicale with a tiny limit of VEVENTs per REPORT answer (50 instead of 10,000): the
# tests of what davsync does when a server refuses to hand over a collection in one answer.
start_radicale_small() { REPORT_LIMIT=50 start_radicale; }

"start_${NAME//-/_}"

{
  if [ -n "$NOT_DAV" ]; then
    printf 'SERVICE=%s\n' "$NAME"
    printf 'DAV_PIDS="%s"\n' "${PIDS[*]}"
    printf 'DAV_STATE_DIR=%s\n' "$STATE_DIR"
  else
  printf 'DAV_SERVER=%s\n' "$NAME"
  printf 'DAV_BASE_URL=%s\n' "$BASE_URL"
  printf 'DAV_USER=%s\n' "$DAV_USER"
  printf 'DAV_PASSWORD=%s\n' "$DAV_PASSWORD"
  printf 'DAV_CALENDAR_URL=%s\n' "$CALENDAR_URL"
  printf 'DAV_ADDRESSBOOK_URL=%s\n' "$ADDRESSBOOK_URL"
  printf 'DAV_PRINCIPAL_URL=%s\n' "$PRINCIPAL_URL"
  printf 'DAV_PIDS="%s"\n' "${PIDS[*]}"
  printf 'DAV_STATE_DIR=%s\n' "$STATE_DIR"
  fi
  for line in ${EXTRA_ENV[@]+"${EXTRA_ENV[@]}"}; do
    printf '%s\n' "$line"
  done
} >"$ENV_FILE.tmp"
mv "$ENV_FILE.tmp" "$ENV_FILE"
STARTED_OK=1
cat "$ENV_FILE"
