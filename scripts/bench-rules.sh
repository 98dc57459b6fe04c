#!/usr/bin/env bash
# What alert rules cost ingest: the same NDJSON load as scripts/bench-ingest.sh (8
# clients x 50 requests x 1,000 lines) into a fresh SQLite database, first with no
# rules at all, then with 20 active rules (levels, sources, regexes, thresholds),
# alternating ROUNDS times so both sides see the same machine.
# Usage: scripts/bench-rules.sh   (ROUNDS=3 by default)
set -euo pipefail
cargo build --release --quiet --bin log-sentinel --example ingest_bench
BIN=target/release/log-sentinel
WORK=$(mktemp -d)
PORT=${PORT:-18002}
ROUNDS=${ROUNDS:-3}
SERVER=
trap 'kill $SERVER 2>/dev/null || true; rm -rf "$WORK"' EXIT

serve() { # database url
    DATABASE_URL=$1 RUST_LOG=warn "$BIN" serve --port "$PORT" & SERVER=$!
    until curl -sf "http://127.0.0.1:$PORT/status" >/dev/null; do sleep 0.1; done
}

graphql() { # query
    curl -sf "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
        --data "$(jq -cn --arg q "$1" '{query: $q}')" >/dev/null
}

rules() { # none | twenty
    # The seeded `errors` rule goes in both cases, so "none" really is none.
    graphql 'mutation { deleteAlertRule(id: "1") { id } }'
    [ "$1" = none ] && return
    for i in 0 1 2 3 4; do
        # Per service: any warning raises at once.
        graphql "mutation { createAlertRule(input: {name: \"warn svc-$i\", minLevel: \"WARNING\", source: \"svc-$i\"}) { id } }"
        # Server errors on orders, five within a minute.
        graphql "mutation { createAlertRule(input: {name: \"5xx $i\", minLevel: \"ERROR\", pattern: \"orders/[0-9]+ 5[0-9][0-9]\", threshold: 5}) { id } }"
        # Slow requests: a regex over every INFO line, a hundred within a minute.
        graphql "mutation { createAlertRule(input: {name: \"slow $i\", minLevel: \"INFO\", pattern: \"in 2[0-4]$i[0-9]ms\", threshold: 100}) { id } }"
        # One order range on one service, any level.
        graphql "mutation { createAlertRule(input: {name: \"orders $i\", minLevel: \"DEBUG\", source: \"svc-$i\", pattern: \"orders/$i[0-9]{3} \", threshold: 10, windowSeconds: 300}) { id } }"
    done
}

run() { # none | twenty
    rm -f "$WORK/server.db"*
    serve "sqlite://$WORK/server.db"
    rules "$1"
    printf '%-7s ' "$1"
    curl -sf "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
        --data '{"query":"{ alertRules { name } }"}' | jq -r '"rules=\(.data.alertRules | length)"' | tr '\n' ' '
    target/release/examples/ingest_bench --base-url "http://127.0.0.1:$PORT" --clients 8 --requests 50 --batch 1000
    curl -sf "http://127.0.0.1:$PORT/graphql" -H 'content-type: application/json' \
        --data '{"query":"{ alerts(first: 1) { totalCount } }"}' | jq -r '"        alerts raised: \(.data.alerts.totalCount)"'
    kill $SERVER; wait $SERVER 2>/dev/null || true
}

for _ in $(seq "$ROUNDS"); do
    run none
    run twenty
done
