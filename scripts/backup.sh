#!/bin/sh
# Gatehouse database backup: pg_dump (custom format, compressed) of DATABASE_URL into
#   <dir>/<database>-<UTC timestamp>.dump
# readable by its owner only. The URL and its password are never printed or put on a command
# line (the password goes to pg_dump as PGPASSWORD).
#
#   DATABASE_URL=postgres://... scripts/backup.sh /var/backups/gatehouse
#
# Exit status: 0 with the file's path on stdout; non-zero (and no file left behind) on failure.
set -eu
umask 077

usage() {
  echo "usage: DATABASE_URL=postgres://... $0 <backup-dir>" >&2
  exit 64
}

[ $# -eq 1 ] || usage
case "$1" in -h | --help) usage ;; esac
dir=$1
[ -n "${DATABASE_URL:-}" ] || {
  echo "$0: DATABASE_URL is not set" >&2
  exit 64
}

. "$(dirname "$0")/pg-url.sh"
pg_url_split "$DATABASE_URL"

mkdir -p "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=$(printf '%s' "${PG_URL_DB:-database}" | tr -c 'A-Za-z0-9_.-' '_')
file="$dir/$name-$stamp.dump"
partial="$file.partial"
trap 'rm -f "$partial"' EXIT INT TERM

echo "backing up database \"${PG_URL_DB:-}\" on $PG_URL_HOST" >&2
# --no-owner/--no-privileges keep the dump restorable as whichever role owns the target.
pg_dump --format=custom --compress=6 --no-owner --no-privileges \
  --file="$partial" --dbname="$PG_URL_SAFE"
# A dump that pg_restore cannot list is no backup.
pg_restore --list "$partial" >/dev/null
mv "$partial" "$file"
trap - EXIT INT TERM

size=$(wc -c <"$file" | tr -d ' ')
echo "backup written: $file ($size bytes)" >&2
printf '%s\n' "$file"
