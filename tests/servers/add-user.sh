#!/usr/bin/env bash
# Adds a user to a running test server, so that a test can have an account of its own.
#
#   tests/servers/add-user.sh STATE_DIR USER PASSWORD
#
# For `cyrus` and `sogo`. Cyrus refuses a UID that another calendar of the same user holds
# (403 unique-scheduling-object-resource), so tests that use the same UIDs in their own
# collections at the same time need accounts of their own there: the user is put into the
# server's private sasldb and logs in over IMAP once (which makes the mailbox, and so the DAV
# home with its Default calendar and address book). SOGo keeps all of a user's calendar
# colours in one settings record that each PROPPATCH reads and writes back whole, so colours
# set at the same time by tests sharing a user undo each other: the user is put into SOGo's
# SQL user table, and its personal calendar and address book made by a first PROPFIND.
# Prints the user's principal URL.
set -euo pipefail

[ "$#" -eq 3 ] || { echo "usage: $0 STATE_DIR USER PASSWORD" >&2; exit 2; }
STATE_DIR="$1" NEW_USER="$2" NEW_PASSWORD="$3"
case "$NEW_USER" in
  *[!a-z0-9]*|"") echo "add-user.sh: user names are lower-case letters and digits" >&2; exit 2 ;;
esac
env_file="$STATE_DIR/env"
[ -f "$env_file" ] || { echo "add-user.sh: no $env_file: is the server running?" >&2; exit 1; }
server=$(sed -n 's/^DAV_SERVER=//p' "$env_file")
base=$(sed -n 's/^DAV_BASE_URL=//p' "$env_file")

case "$server" in
  cyrus)
    dir="$STATE_DIR/cyrus"
    imap_port=$(sed -n 's/.*imap cmd=.*listen="127\.0\.0\.1:\([0-9]*\)".*/\1/p' "$dir/cyrus.conf")
    [ -n "$imap_port" ] || { echo "add-user.sh: no IMAP port in $dir/cyrus.conf" >&2; exit 1; }
    run_as=()
    [ "$(id -u)" -eq 0 ] && run_as=(setpriv --reuid=cyrus --regid=mail --init-groups --)
    # Serialised: saslpasswd2 rewrites the database.
    exec 9>"$dir/add-user.lock"
    flock 9
    printf '%s' "$NEW_PASSWORD" |
      ${run_as[@]+"${run_as[@]}"} env HOME="$dir" saslpasswd2 -p -c -f "$dir/sasldb2" -u localhost "$NEW_USER"
    flock -u 9
    for _ in $(seq 1 50); do
      if curl -s -o /dev/null --max-time 10 -u "$NEW_USER:$NEW_PASSWORD" "imap://127.0.0.1:$imap_port/"; then
        echo "${base}dav/principals/user/$NEW_USER/"
        exit 0
      fi
      sleep 0.2
    done
    echo "add-user.sh: $NEW_USER cannot log in over IMAP" >&2
    exit 1
    ;;
  sogo)
    # A row in the SQL user table that sogod authenticates against (md5 passwords), then one
    # PROPFIND of each personal collection, which SOGo makes on first access.
    dir="$STATE_DIR/sogo"
    pg_port=$(sed -n 's|.*postgresql://sogo:sogo@127\.0\.0\.1:\([0-9]*\)/.*|\1|p' \
      "$dir/GNUstep/Defaults/sogod.plist" | head -n 1)
    [ -n "$pg_port" ] || { echo "add-user.sh: no PostgreSQL port in $dir/GNUstep/Defaults/sogod.plist" >&2; exit 1; }
    psql=$(find /usr/lib/postgresql -mindepth 3 -maxdepth 3 -path '*/bin/psql' 2>/dev/null | sort -V | tail -n 1)
    [ -n "$psql" ] || psql=psql
    "$psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U sogo -d sogo \
      -v uid="$NEW_USER" -v pw="$NEW_PASSWORD" -v mail="$NEW_USER@example.org" <<'SQL'
INSERT INTO sogo_users (c_uid, c_name, c_password, c_cn, mail)
VALUES (:'uid', :'uid', md5(:'pw'), :'uid', :'mail')
ON CONFLICT (c_uid) DO UPDATE SET c_password = EXCLUDED.c_password;
SQL
    principal="${base}SOGo/dav/$NEW_USER/"
    for collection in Calendar/personal/ Contacts/personal/; do
      for attempt in $(seq 1 50); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -u "$NEW_USER:$NEW_PASSWORD" \
          -X PROPFIND -H 'Depth: 0' "$principal$collection" || true)
        [ "$code" = 207 ] && break
        [ "$attempt" -lt 50 ] || { echo "add-user.sh: $NEW_USER's $collection answers $code" >&2; exit 1; }
        sleep 0.2
      done
    done
    echo "$principal"
    exit 0
    ;;
  *)
    echo "add-user.sh: $server has no users added by this script" >&2
    exit 1
    ;;
esac
