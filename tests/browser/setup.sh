#!/usr/bin/env bash
# Installs what tests/api/browser.rs drives: playwright-core (from package-lock.json;
# it uses Debian's /usr/bin/chromium, never downloads a browser) and GraphiQL's
# assets in graphiql-assets/ (scripts/graphiql-assets.sh, from the npm registry).
# Chromium itself is a system package: `apt-get install -y chromium`.
# Idempotent and quiet: reinstalls only when the lock file or the pinned versions changed.
set -euo pipefail
cd "$(dirname "$0")"

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi

../../scripts/graphiql-assets.sh graphiql-assets >/dev/null
