#!/usr/bin/env bash
# Make sure the tests can reach or start a PostgreSQL server.
# The tests use, in order: PLANOCR_TEST_DATABASE_URL, a server on 127.0.0.1:5432
# with trust auth, or a throwaway cluster made with initdb (tests/support/postgres.py).
# This script only installs the server binaries when none of those can work.
set -euo pipefail
if [ -n "${PLANOCR_TEST_DATABASE_URL:-}" ]; then exit 0; fi
if command -v pg_isready >/dev/null && pg_isready -q -h 127.0.0.1 -p 5432; then exit 0; fi
if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing PostgreSQL server binaries for the tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
echo "no PostgreSQL found: set PLANOCR_TEST_DATABASE_URL, run one on 127.0.0.1:5432, or install postgresql" >&2
exit 1
