#!/usr/bin/env bash
# Install Kuntamittari into .venv and start the dashboard on the embedded default database
# (a SQLite file under var/, created and filled with the bundled THL Sotkanet data on first start).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  # Debian's own python3 needs the python3-venv package for `-m venv` (ensurepip).
  "$PY" -m venv .venv 2>/dev/null || { rm -rf .venv; apt-get update -qq && \
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null && "$PY" -m venv .venv; }
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -c constraints.txt -e .
# On your own machine (the server listens on 127.0.0.1 only) every page is open without sign-in.
# On a shared server set KUNTAMITTARI_AUTH_MODE=local (users from `kuntamittari add-user`) or oidc.
export KUNTAMITTARI_AUTH_MODE="${KUNTAMITTARI_AUTH_MODE:-none}"
echo "Kuntamittari: http://localhost:8501 (auth mode: $KUNTAMITTARI_AUTH_MODE; first start loads the bundled data)"
exec .venv/bin/kuntamittari serve "$@"
