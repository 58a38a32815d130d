#!/usr/bin/env bash
# Back up the Meldpunt database: a compressed custom-format dump (pg_dump -Fc) of DATABASE_URL.
#
#   DATABASE_URL=postgres://user@host:5432/meldpunt scripts/backup.sh [FILE]
#
# FILE defaults to ./meldpunt-YYYYmmdd-HHMMSS.dump. The dump is consistent (one snapshot) and is
# written to FILE.partial first, then renamed, so FILE is either complete or absent. It holds
# personal data: store it encrypted, with the same access rules as the database.
set -euo pipefail
umask 077

: "${DATABASE_URL:?Set DATABASE_URL to the database to back up (postgres://...)}"
target="${1:-meldpunt-$(date +%Y%m%d-%H%M%S).dump}"
url="${DATABASE_URL/#postgres:\/\//postgresql://}"

pg_dump --format=custom --compress=6 --no-owner --no-privileges --file="$target.partial" \
  --dbname="$url"
pg_restore --list "$target.partial" >/dev/null  # the archive is readable
mv "$target.partial" "$target"
echo "$target"
