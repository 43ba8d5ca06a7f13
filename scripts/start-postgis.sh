#!/usr/bin/env bash
# Start the local PostgreSQL cluster and make a PostGIS-enabled test database (idempotent, root).
set -euo pipefail
ver=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h 2>/dev/null | grep -q .; then
  pg_createcluster "$ver" main >/dev/null
fi
pg_ctlcluster "$ver" main start 2>/dev/null || true
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='gisaudit'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE gisaudit LOGIN SUPERUSER PASSWORD 'gisaudit'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='gisaudit_test'\"" | grep -q 1 ||
  su postgres -c "createdb -O gisaudit gisaudit_test"
su postgres -c "psql -q -d gisaudit_test -c 'CREATE EXTENSION IF NOT EXISTS postgis'"
echo "PostGIS ready: postgresql://gisaudit@127.0.0.1:5432/gisaudit_test"
