#!/usr/bin/env bash
# Ingest throughput for the README: NDJSON, 1,000-line batches, 8 concurrent clients,
# into SQLite (and PostgreSQL when PG_URL is set), beside a bare rusqlite loop inserting
# the same rows into the same schema in 1,000-row transactions.
# Usage: scripts/bench-ingest.sh        (builds the release binary and examples)
set -euo pipefail
cargo build --release --quiet --bin log-sentinel --example ingest_bench --example rusqlite_baseline
BIN=target/release/log-sentinel
WORK=$(mktemp -d)
PORT=${PORT:-18001}
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

serve() { # database url
    DATABASE_URL=$1 RUST_LOG=warn "$BIN" serve --port "$PORT" & SERVER=$!
    until curl -sf "http://127.0.0.1:$PORT/status" >/dev/null; do sleep 0.1; done
}

echo "== bare rusqlite loop (same rows, 1,000-row transactions)"
target/release/examples/rusqlite_baseline --rows 400000 --path "$WORK/baseline.db"

echo "== log-sentinel on SQLite: 8 clients x 50 requests x 1,000 NDJSON lines"
serve "sqlite://$WORK/server.db"
target/release/examples/ingest_bench --base-url "http://127.0.0.1:$PORT" --clients 8 --requests 50 --batch 1000
kill $SERVER; wait $SERVER 2>/dev/null || true

if [ -n "${PG_URL:-}" ]; then
    echo "== log-sentinel on PostgreSQL ($PG_URL)"
    serve "$PG_URL"
    target/release/examples/ingest_bench --base-url "http://127.0.0.1:$PORT" --clients 8 --requests 50 --batch 1000
    kill $SERVER; wait $SERVER 2>/dev/null || true
fi
