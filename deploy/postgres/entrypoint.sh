#!/bin/sh
# The postgres service's entrypoint: check the database's secrets first (check-db-secrets.sh),
# then hand over to the image's own entrypoint with the same arguments.
set -eu
sh "$(dirname "$0")/check-db-secrets.sh"
exec docker-entrypoint.sh "$@"
