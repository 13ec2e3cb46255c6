#!/bin/sh
# Runs once, when the postgres container initialises an empty data directory
# (/docker-entrypoint-initdb.d). Creates the application role Gatehouse connects as: it can
# log in and owns the gatehouse database (so migrations can create and alter its tables), and
# it is not a superuser, cannot create databases or roles, and cannot replicate.
# The superuser (POSTGRES_USER, password POSTGRES_PASSWORD) is for operators only.
set -eu

: "${APP_DB_USER:?APP_DB_USER is required (the role in DATABASE_URL)}"
: "${APP_DB_PASSWORD:?APP_DB_PASSWORD is required (the password in DATABASE_URL)}"
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
-- The per-app roles the migrations grant to (the owner above may not create roles). Without a
-- login for now: the apps still connect as the owner in compose (docs/upgrading.md).
DO $$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['gatehouse_gateway', 'gatehouse_proxy_worker', 'gatehouse_audit'] LOOP
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) THEN
      BEGIN
        EXECUTE format('CREATE ROLE %I NOLOGIN', r);
      EXCEPTION WHEN duplicate_object OR unique_violation THEN
        NULL;
      END;
    END IF;
  END LOOP;
END $$;
SQL

echo "init-app-role: role \"$APP_DB_USER\" owns database \"$POSTGRES_DB\""
