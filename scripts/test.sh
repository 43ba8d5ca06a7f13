#!/usr/bin/env bash
# The whole test suite. As root on Debian/Ubuntu it first installs what the server- and
# browser-backed tests need (PostgreSQL + PostGIS, Chromium) and starts PostgreSQL.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "== installing system packages (PostgreSQL + PostGIS, Chromium, CJK font)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends postgresql postgresql-postgis \
    chromium chromium-driver fonts-wqy-microhei python3-venv >/dev/null
  bash scripts/start-postgis.sh
  export GISAUDIT_TEST_POSTGIS_URL=${GISAUDIT_TEST_POSTGIS_URL:-postgresql+psycopg://gisaudit:gisaudit@127.0.0.1:5432/gisaudit_test}
fi
source scripts/_venv.sh "[dev,postgis,distributed]"
echo "== lint (ruff)"
.venv/bin/ruff check .
echo "== running the tests"
exec .venv/bin/python -m pytest "$@"
