#!/usr/bin/env bash
# Adds a user to a running test server, so that a test can have an account of its own.
#
#   tests/servers/add-user.sh STATE_DIR USER PASSWORD
#
# Only for `cyrus` (for now): Cyrus refuses a UID that another calendar of the same user
# holds (403 unique-scheduling-object-resource), so tests that use the same UIDs in their
# own collections at the same time need accounts of their own there. The user is put into
# the server's private sasldb and logs in over IMAP once (which makes the mailbox, and so
# the DAV home with its Default calendar and address book). Prints the user's principal URL.
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
  *)
    echo "add-user.sh: $server has no users added by this script" >&2
    exit 1
    ;;
esac
