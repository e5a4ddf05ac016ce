#!/usr/bin/env bash
# Make sure the tests can reach and start PostgreSQL.
# Most tests use, in order: PLANOCR_TEST_DATABASE_URL, a server on 127.0.0.1:5432
# with trust auth, or a throwaway cluster made with initdb (testkit/postgres.py).
# The fault tests always run a private cluster they can stop and restart, so the
# server binaries (initdb, pg_ctl) must be installed too; install them when missing.
set -euo pipefail
if command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing PostgreSQL server binaries for the tests" >&2
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  exit 0
fi
echo "PostgreSQL server binaries (initdb, pg_ctl) not found: install postgresql" >&2
exit 1
