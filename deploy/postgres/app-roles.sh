#!/bin/sh
# The app roles' logins: gatehouse_gateway, gatehouse_proxy_worker and gatehouse_audit, each
# with its password from .env.postgres. Idempotent: creates a missing role, and (re)sets the
# password and the attributes of an existing one. Runs as the superuser over the container's
# socket: at first start (init-app-role.sh), and by hand after an upgrade that introduced the
# roles or after changing a password:
#   docker compose exec postgres sh /gatehouse/app-roles.sh
# What each role may do is granted by the migrations (gatehouse_grant_app_roles()), not here.
set -eu

: "${GATEWAY_DB_PASSWORD:?GATEWAY_DB_PASSWORD is required}"
: "${PROXY_WORKER_DB_PASSWORD:?PROXY_WORKER_DB_PASSWORD is required}"
: "${AUDIT_DB_PASSWORD:?AUDIT_DB_PASSWORD is required}"

# Passwords go in as psql variables read from the environment (\getenv): never spliced into SQL
# text by the shell, never on a command line. \gexec creates only the roles that are missing.
psql -v ON_ERROR_STOP=1 --no-psqlrc --quiet \
  --username "${POSTGRES_USER:-postgres}" --dbname "${POSTGRES_DB:-postgres}" <<'SQL'
\getenv gateway_password GATEWAY_DB_PASSWORD
\getenv worker_password PROXY_WORKER_DB_PASSWORD
\getenv audit_password AUDIT_DB_PASSWORD
SELECT format('CREATE ROLE %I', r)
  FROM unnest(ARRAY['gatehouse_gateway', 'gatehouse_proxy_worker', 'gatehouse_audit']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec
ALTER ROLE gatehouse_gateway LOGIN PASSWORD :'gateway_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE gatehouse_proxy_worker LOGIN PASSWORD :'worker_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE gatehouse_audit LOGIN PASSWORD :'audit_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
SQL

echo "app-roles: gatehouse_gateway, gatehouse_proxy_worker and gatehouse_audit can log in"
