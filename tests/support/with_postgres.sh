#!/bin/sh
# Runs a command against a private, throw-away PostgreSQL instance:
#   with_postgres.sh <command> [args...]
# initdb + pg_ctl in a temporary directory (data and Unix socket there, no TCP listener), the
# command runs with GEOPLEX_CATALOG_STORE set to a libpq conninfo, then the server is stopped
# and the directory deleted. Without PostgreSQL binaries: exit 77 (CTest "skipped") unless
# CI=true, where that is a failure. PostgreSQL refuses to run as root: as uid 0 the server runs
# as the "postgres" user through runuser.
set -u
PGBIN=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && PGBIN="$d"
done
if [ -z "$PGBIN" ] && command -v initdb >/dev/null 2>&1; then PGBIN=$(dirname "$(command -v initdb)"); fi
if [ -z "$PGBIN" ]; then
  echo "with_postgres: no PostgreSQL server binaries (initdb, pg_ctl)" >&2
  [ "${CI:-}" = "true" ] && exit 1
  exit 77
fi

tmp=$(mktemp -d /tmp/geoplex-pg.XXXXXX) || exit 1
RUN=""
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    echo "with_postgres: running as root and no 'postgres' user to run the server" >&2
    [ "${CI:-}" = "true" ] && exit 1
    exit 77
  fi
  chown postgres "$tmp"
  RUN="runuser -u postgres --"
fi
cleanup() {
  $RUN "$PGBIN/pg_ctl" -D "$tmp/data" -m immediate -w stop >/dev/null 2>&1
  rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

if ! $RUN "$PGBIN/initdb" -D "$tmp/data" -U postgres --auth=trust --locale=C -E UTF8 >"$tmp/initdb.log" 2>&1; then
  cat "$tmp/initdb.log" >&2
  exit 1
fi
if ! $RUN "$PGBIN/pg_ctl" -D "$tmp/data" -l "$tmp/server.log" -w \
    -o "-c listen_addresses='' -k $tmp -c fsync=off -c max_connections=60" start >/dev/null; then
  cat "$tmp/server.log" >&2
  exit 1
fi
if ! $RUN "$PGBIN/createdb" -h "$tmp" -U postgres catalog; then
  cat "$tmp/server.log" >&2
  exit 1
fi

GEOPLEX_CATALOG_STORE="host=$tmp user=postgres dbname=catalog" "$@"
rc=$?
exit $rc
