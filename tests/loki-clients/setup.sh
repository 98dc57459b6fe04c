#!/usr/bin/env bash
# Installs the real Loki clients that tests/api/loki_clients.rs drives: npm's
# winston-loki and pino-loki (from package-lock.json) and PyPI's python-logging-loki
# (in .venv). Idempotent and quiet: reinstalls only when a lock file changed.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
    python3 -m venv .venv
fi
if [ ! -f .venv/.installed ] || [ requirements.txt -nt .venv/.installed ]; then
    .venv/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
    touch .venv/.installed
fi
