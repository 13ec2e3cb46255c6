#!/bin/sh
# The database's secrets, checked before Postgres sets anything up: the same rules the apps apply
# to theirs (no placeholder, at least 32 characters, one secret per purpose). Run by entrypoint.sh
# on every start, before the image's own entrypoint, so a bad password stops the first start
# before a data directory exists, and an operator can fix .env.production and start again
# instead of being left with a half-initialised volume. Names the variable, never its value.
set -eu

: "${APP_DB_USER:?APP_DB_USER is required (the database owner)}"
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is required (the database owner password)}"
: "${POSTGRES_PASSWORD:?POSTGRES_PASSWORD is required}"
: "${GATEWAY_DB_PASSWORD:?GATEWAY_DB_PASSWORD is required (the gateway role)}"
: "${PROXY_WORKER_DB_PASSWORD:?PROXY_WORKER_DB_PASSWORD is required (the proxy-worker role)}"
: "${AUDIT_DB_PASSWORD:?AUDIT_DB_PASSWORD is required (the audit app role)}"

value=
a=
b=
PASSWORDS="POSTGRES_PASSWORD APP_DB_PASSWORD GATEWAY_DB_PASSWORD PROXY_WORKER_DB_PASSWORD AUDIT_DB_PASSWORD"

# The same rule the apps apply to their secrets: no placeholder, at least 32 characters.
for name in $PASSWORDS; do
  eval "value=\${$name:-}"
  case "$value" in
    change-me* | your-* | example*)
      echo "check-db-secrets: $name is a placeholder; generate one with: openssl rand -hex 32" >&2
      exit 1
      ;;
  esac
  if [ "${#value}" -lt 32 ]; then
    echo "check-db-secrets: $name is shorter than 32 characters; generate one with: openssl rand -hex 32" >&2
    exit 1
  fi
done
if [ "$APP_DB_USER" = "${POSTGRES_USER:-postgres}" ]; then
  echo "check-db-secrets: APP_DB_USER must differ from the superuser POSTGRES_USER" >&2
  exit 1
fi
case "$APP_DB_USER" in gatehouse_gateway | gatehouse_proxy_worker | gatehouse_audit)
  echo "check-db-secrets: APP_DB_USER must not be one of the app roles" >&2
  exit 1
  ;;
esac
# One password per role: a shared one would let one app log in as another.
for name in $PASSWORDS; do
  for other in $PASSWORDS; do
    [ "$name" = "$other" ] && break
    eval "a=\${$name} b=\${$other}"
    if [ "$a" = "$b" ]; then
      echo "check-db-secrets: $name must differ from $other" >&2
      exit 1
    fi
  done
done

