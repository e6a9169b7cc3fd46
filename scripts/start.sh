#!/usr/bin/env bash
# Install Kuntamittari into .venv and start the dashboard on the embedded default database
# (a SQLite file under var/, created and filled with the bundled THL Sotkanet data on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c constraints.txt -e .
exec .venv/bin/kuntamittari serve "$@"
