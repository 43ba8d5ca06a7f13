#!/usr/bin/env bash
# The main job: virtualenv + install + `gisaudit demo` (sample package for all 10 districts,
# evaluation of every tenure). Extra arguments go to `gisaudit demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/_venv.sh ""
exec .venv/bin/gisaudit demo "$@"
