#!/usr/bin/env bash
# Print the URL of a PostgreSQL server for the tests: $LABTRACK_TEST_DATABASE_URL, else the one
# on 127.0.0.1:5432 (user postgres, database test), else one installed from Debian and started here.
set -euo pipefail
if [ -n "${LABTRACK_TEST_DATABASE_URL:-}" ]; then
  echo "$LABTRACK_TEST_DATABASE_URL"; exit 0
fi
URL="postgresql://postgres@127.0.0.1:5432/test"
answers() { command -v psql >/dev/null 2>&1 && psql "$URL" -qtAc "select 1" >/dev/null 2>&1; }
if answers; then echo "$URL"; exit 0; fi
{
  if ! command -v pg_ctlcluster >/dev/null 2>&1; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    pg_createcluster "$version" main >/dev/null
  fi
  conf=/etc/postgresql/$version/main
  # trust on loopback only, for the throw-away CI cluster
  if ! grep -q "labtrack-ci" "$conf/pg_hba.conf"; then
    sed -i '1i host all all 127.0.0.1/32 trust # labtrack-ci\nlocal all all trust # labtrack-ci' "$conf/pg_hba.conf"
  fi
  sed -i "s/^#\?listen_addresses.*/listen_addresses = '127.0.0.1'/" "$conf/postgresql.conf"
  pg_ctlcluster --skip-systemctl-redirect "$version" main restart || pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 >/dev/null 2>&1 && break; sleep 1; done
  psql -h 127.0.0.1 -U postgres -qtAc "select 1 from pg_database where datname='test'" | grep -q 1 \
    || psql -h 127.0.0.1 -U postgres -qc "create database test"
} >&2
answers || { echo "PostgreSQL did not come up on 127.0.0.1:5432" >&2; exit 1; }
echo "$URL"
