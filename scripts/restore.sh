#!/usr/bin/env bash
# Restore a dump made by scripts/backup.sh into an EMPTY database.
#
#   DATABASE_URL=postgres://user@host:5432/meldpunt_restored scripts/restore.sh FILE
#
# Refuses a database that already has tables, so it can never be pointed at the live database
# by mistake; create the target first (createdb meldpunt_restored). Runs in one transaction:
# either everything is restored or nothing.
set -euo pipefail

: "${DATABASE_URL:?Set DATABASE_URL to the empty database to restore into (postgres://...)}"
dump="${1:?Usage: scripts/restore.sh FILE}"
url="${DATABASE_URL/#postgres:\/\//postgresql://}"

[ -r "$dump" ] || { echo "restore: cannot read $dump" >&2; exit 1; }
tables=$(psql --no-psqlrc --tuples-only --no-align --dbname="$url" --command \
  "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")
if [ "$tables" != "0" ]; then
  echo "restore: the target database is not empty ($tables tables); refusing" >&2
  exit 1
fi
pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname="$url" \
  "$dump"
echo "restored $dump"
