#!/usr/bin/env bash
# A PostgreSQL server for the tests, from Debian's packages: a fresh cluster under
# ${DAICHO_PG_DIR:-/tmp/daicho-postgres}, owned by the `postgres` user (the server refuses to run as
# root), listening on 127.0.0.1:${DAICHO_PG_PORT:-55432} only, with trust authentication for these
# local test connections and durability off (fsync) for speed: a test server, never a ledger's.
#
#   scripts/postgres.sh start   starts it unless it runs; prints its URL
#   scripts/postgres.sh url     prints its URL
#   scripts/postgres.sh stop    stops it and removes the cluster
set -euo pipefail

dir="${DAICHO_PG_DIR:-/tmp/daicho-postgres}"
port="${DAICHO_PG_PORT:-55432}"
url="postgresql://postgres@127.0.0.1:$port/postgres"
bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"

if [ -z "$bin" ]; then
  echo "postgres.sh: Debian's postgresql is not installed (scripts/install-deps.sh installs it)" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "postgres.sh: must run as root (it runs the server as the postgres user)" >&2
  exit 1
fi

running() {
  [ -f "$dir/data/postmaster.pid" ] && runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

case "${1:-}" in
  start)
    # Several test processes may ask at once: one starts it, the others wait and reuse it (the
    # server must not inherit the lock: it is closed for pg_ctl).
    exec 9>"/tmp/daicho-postgres-$port.lock"
    flock 9
    if ! running; then
      rm -rf "$dir"
      mkdir -p "$dir"
      chown postgres: "$dir"
      chmod 700 "$dir"
      runuser -u postgres -- "$bin/initdb" -D "$dir/data" -U postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
      runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null 9>&- || { cat "$dir/server.log" >&2; exit 1; }
    fi
    echo "$url"
    ;;
  url)
    echo "$url"
    ;;
  stop)
    if running; then
      runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: scripts/postgres.sh start|url|stop" >&2
    exit 2
    ;;
esac
