#!/bin/sh
# Gatehouse database restore: replaces the contents of DATABASE_URL with a backup made by
# scripts/backup.sh (pg_restore --clean --if-exists --no-owner, in one transaction: on any
# error nothing changes). Asks for the database name as confirmation unless --yes is given.
# The URL and its password are never printed or put on a command line.
#
#   DATABASE_URL=postgres://... scripts/restore.sh [--yes] <file.dump>
#
# Stop the apps first (docker compose stop gateway proxy-worker audit) so nothing writes
# while the tables are replaced.
set -eu

usage() {
  echo "usage: DATABASE_URL=postgres://... $0 [--yes] <backup-file>" >&2
  exit 64
}

yes=""
file=""
for arg in "$@"; do
  case "$arg" in
    --yes | -y) yes=1 ;;
    -h | --help) usage ;;
    -*) usage ;;
    *)
      [ -z "$file" ] || usage
      file=$arg
      ;;
  esac
done
[ -n "$file" ] || usage
[ -n "${DATABASE_URL:-}" ] || {
  echo "$0: DATABASE_URL is not set" >&2
  exit 64
}
[ -r "$file" ] || {
  echo "$0: cannot read $file" >&2
  exit 66
}

. "$(dirname "$0")/pg-url.sh"
pg_url_split "$DATABASE_URL"

# Refuse anything that is not a readable custom-format dump before touching the database.
pg_restore --list "$file" >/dev/null || {
  echo "$0: $file is not a pg_dump custom-format archive" >&2
  exit 65
}

if [ -z "$yes" ]; then
  echo "This replaces every table of database \"$PG_URL_DB\" on $PG_URL_HOST with the contents of" >&2
  echo "  $file" >&2
  printf 'Type the database name to continue: ' >&2
  answer=""
  read -r answer || true
  if [ "$answer" != "$PG_URL_DB" ]; then
    echo "$0: not confirmed; nothing was changed" >&2
    exit 1
  fi
fi

echo "restoring database \"$PG_URL_DB\" on $PG_URL_HOST" >&2
pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --exit-on-error --dbname="$PG_URL_SAFE" "$file"
echo "restore complete" >&2
