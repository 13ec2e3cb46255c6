#!/bin/sh
# `npm run services`: Postgres and Redis for development. With Docker, starts
# docker-compose.dev.yml and waits until both are healthy; without it, prints how to install them
# with this machine's package manager.
set -eu
cd "$(dirname "$0")/.."

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  exec docker compose -f docker-compose.dev.yml up -d --wait
fi

echo "Docker is not available here; install Postgres and Redis with the package manager instead:" >&2
if command -v apt-get >/dev/null 2>&1; then
  echo "  sudo apt-get install -y postgresql redis-server" >&2
  echo "  sudo service postgresql start && sudo service redis-server start" >&2
  echo "  then let loopback connections in without a password (README, first paragraphs)" >&2
elif command -v brew >/dev/null 2>&1; then
  echo "  brew install postgresql@16 redis" >&2
  echo "  brew services start postgresql@16 && brew services start redis" >&2
else
  echo "  install PostgreSQL (14 or newer) and Redis (6.2 or newer), listening on 127.0.0.1" >&2
fi
exit 69
