#!/usr/bin/env bash
# Install what the tests need (PostgreSQL and Chromium from Debian, Python packages into .venv)
# and run the whole suite: import-layer contracts, then pytest (unit, PostgreSQL, AppTest, browser).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${need_apt[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  # Debian's own python3 needs the python3-venv package for `-m venv` (ensurepip).
  "$PY" -m venv .venv 2>/dev/null || { rm -rf .venv; apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && "$PY" -m venv .venv; }
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c constraints.txt -e '.[test]'

export PATH="$PWD/.venv/bin:$PATH"
echo "== import-layer contracts (lint-imports)"
lint-imports
echo "== undefined and unused names (ruff)"
ruff check --quiet .
echo "== pytest"
exec python -m pytest -n 2 --dist loadgroup "$@"
