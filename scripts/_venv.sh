# Shared by demo.sh and test.sh: make (or reuse) the project's virtualenv in .venv and install.
# Usage: source scripts/_venv.sh "EXTRAS"   (EXTRAS e.g. "" or "[dev,postgis,distributed]")
set -euo pipefail
PY=${PYTHON:-python3}
if ! "$PY" -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
  echo "需要 Python 3.11 或更高版本（当前：$("$PY" --version 2>&1)）。" >&2; exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$PY" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -q && apt-get install -y -q python3-venv
      "$PY" -m venv .venv
    else
      echo "无法创建虚拟环境：请先安装 python3-venv（sudo apt-get install python3-venv）。" >&2; exit 1
    fi
  fi
fi
echo "正在安装 gisaudit 及其依赖（首次约需几分钟；日志 .venv/install.log）……"
if ! { .venv/bin/python -m pip install -q --upgrade pip &&
       .venv/bin/python -m pip install -q -e ".${1:-}"; } >.venv/install.log 2>&1; then
  tail -n 40 .venv/install.log >&2
  echo "安装失败，完整日志见 .venv/install.log。" >&2
  exit 1
fi
