#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). Creates the database owner APP_DB_USER, which compose's
# `migrate` service logs in as: it owns the gatehouse database (so migrations can create and
# alter its tables), and it is not a superuser, cannot create databases or roles, and cannot
# replicate. Then the three app roles the apps log in as (app-roles.sh).
# The superuser (POSTGRES_USER, password POSTGRES_PASSWORD) is for operators only.
set -eu

: "${APP_DB_USER:?APP_DB_USER is required (the database owner)}"
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is required (the database owner password)}"
: "${POSTGRES_DB:?POSTGRES_DB is required}"

# The passwords were checked before setup began (entrypoint.sh runs check-db-secrets.sh on every
# start, before the image's entrypoint): a bad one never gets this far.

# Values go in as psql variables read from the environment with \getenv (:'x' quotes a
# literal, :"x" an identifier): never spliced into SQL text, never on a command line.
psql -v ON_ERROR_STOP=1 --no-psqlrc \
  --username "${POSTGRES_USER:-postgres}" --dbname "$POSTGRES_DB" <<'SQL'
\getenv app_user APP_DB_USER
\getenv app_db POSTGRES_DB
\getenv app_password APP_DB_PASSWORD
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password'
  NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER DATABASE :"app_db" OWNER TO :"app_user";
-- Since PostgreSQL 15 the public schema belongs to pg_database_owner: the new owner may create
-- tables there and nobody else may.
REVOKE ALL ON DATABASE :"app_db" FROM PUBLIC;
GRANT CONNECT, TEMPORARY ON DATABASE :"app_db" TO :"app_user";
SQL

echo "init-app-role: role \"$APP_DB_USER\" owns database \"$POSTGRES_DB\""

# The roles the apps log in as (the owner above may not create roles, so the superuser does).
# Mounted at /gatehouse by docker-compose.yml.
sh "${GATEHOUSE_SCRIPTS:-/gatehouse}/app-roles.sh"
