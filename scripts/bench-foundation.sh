#!/usr/bin/env bash
# Read-path figures for the README: seed speed, /logs and GraphQL pages at depth 0 and
# 900,000 (cursor vs skip), and the CSV report of 1,000,000 rows with the server's RSS.
# Usage: scripts/bench-foundation.sh [path/to/log-sentinel]   (needs wrk, curl, python3)
set -euo pipefail
BIN=${1:-target/release/log-sentinel}
WORK=$(mktemp -d)
PORT=${PORT:-18000}
BASE=http://127.0.0.1:$PORT
export DATABASE_URL="sqlite://$WORK/bench.db" RUST_LOG=warn
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== seed 1,000,000 logs"
/usr/bin/time -f "seed: %e s wall, %M KB peak RSS" "$BIN" seed --logs 1000000 --alerts 1000 --seed 1

"$BIN" serve --port "$PORT" & SERVER=$!
until curl -sf "$BASE/status" >/dev/null; do sleep 0.1; done
rss() { awk '/VmRSS|VmHWM/ {printf "%s %s MB  ", $1, int($2/1024)}' /proc/$SERVER/status; echo; }
echo "== server idle: $(rss)"

gql_post() { # name, json body -> a wrk lua script
    cat > "$WORK/$1.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$2]]
LUA
}
CURSOR=$(curl -s "$BASE/graphql" -H 'content-type: application/json' \
    -d '{"query":"{ logs(first: 1, skip: 899999) { pageInfo { endCursor } } }"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["logs"]["pageInfo"]["endCursor"])')
FIELDS='nodes { id timestamp level message source attributes }'
gql_post first   "{\"query\":\"{ logs(first: 100) { $FIELDS } }\"}"
gql_post cursor  "{\"query\":\"{ logs(first: 100, after: \\\"$CURSOR\\\") { $FIELDS } }\"}"
gql_post skip    "{\"query\":\"{ logs(first: 100, skip: 900000) { $FIELDS } }\"}"

run() { # label, wrk args...
    local label=$1; shift
    wrk -t2 -c16 -d5s --latency "$@" 2>&1 |
        awk -v l="$label" '/Requests\/sec/ {rps=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {printf "%-44s %9s req/s  p50 %8s  p99 %8s\n", l, rps, p50, p99}'
}
echo "== pages of 100 (wrk -t2 -c16 -d5s)"
run "REST /logs?limit=100 (depth 0)"            "$BASE/logs?limit=100"
run "REST /logs?skip=900000&limit=100"          "$BASE/logs?skip=900000&limit=100"
run "GraphQL logs(first:100) (depth 0)"         -s "$WORK/first.lua"  "$BASE/graphql"
run "GraphQL logs(first:100, after: cursor@900k)" -s "$WORK/cursor.lua" "$BASE/graphql"
run "GraphQL logs(first:100, skip:900000)"      -s "$WORK/skip.lua"   "$BASE/graphql"

echo "== /report/csv, 1,000,000 rows"
before=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$SERVER/status)
curl -s -o "$WORK/report.csv" -w "download: %{time_total} s, %{size_download} bytes\n" "$BASE/report/csv"
echo "rows: $(($(wc -l < "$WORK/report.csv") - 1)) (lines; messages have no newlines)"
echo "server RSS before: ${before} MB, after: $(rss)"
echo "== sqlite3 -csv on the same file, for scale"
if command -v sqlite3 >/dev/null; then
    /usr/bin/time -f "sqlite3 -csv: %e s" sqlite3 -csv "$WORK/bench.db" \
        "select id,timestamp,level,message from log_entries order by timestamp,id" > /dev/null
fi
