#!/usr/bin/env bash
# The performance targets (issue 7) in one run: our release build against the old
# Python service (../shared/peers/fastapi-seed) on the same data and machine, and the
# CSV report against `sqlite3 -csv` on the same file. Prints one table at the end:
# target, our figure, the baseline, the ratio, the goal.
#
# Usage: scripts/bench.sh        (env: DURATION=10 seconds per load run, KEEP=1 keeps
#                                 the work directory, OLD_SERVICE=path to the old one)
# Needs wrk, curl, sqlite3 and python3 (`apt-get install wrk sqlite3`).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OLD=${OLD_SERVICE:-$ROOT/../shared/peers/fastapi-seed}
DURATION=${DURATION:-10}
for tool in wrk curl sqlite3 python3; do
    command -v "$tool" >/dev/null || { echo "bench: needs $tool" >&2; exit 1; }
done

echo "== building both sides"
cargo build --release --quiet
BIN=$ROOT/target/release/log-sentinel
if [ ! -x "$OLD/.venv/bin/uvicorn" ]; then
    python3 -m venv "$OLD/.venv"
    "$OLD/.venv/bin/pip" install -q -r "$OLD/requirements-measured.txt"
fi

WORK=$(mktemp -d)
GROUPS_TO_KILL=()
cleanup() {
    for g in "${GROUPS_TO_KILL[@]}"; do kill -TERM -- "-$g" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [ -n "${KEEP:-}" ] && echo "work directory kept: $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT

TABLE=()
row() { # target, ours, baseline, ratio, goal
    TABLE+=("$1|$2|$3|$4|$5")
    echo "   $1: ours $2, baseline $3, ratio $4 (goal $5)"
}
div() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f MB", k / 1024 }'; }
kb_of() { awk -v f="$2" '$1 == f":" {print $2}' "/proc/$1/status"; } # pid, VmRSS|VmHWM
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Runs a command in its own process group (uvicorn forks workers), remembered for
# cleanup. Sets LAST_PID.
spawn() {
    setsid "$@" &
    LAST_PID=$!
    GROUPS_TO_KILL+=("$LAST_PID")
}
stop() { kill -TERM -- "-$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
wait_up() { until curl -sf -o /dev/null "$1/status"; do :; done; }

# Starts our server on a database file and port; sets OURS_PID and STARTUP_MS
# (process start to the first successful /status).
start_ours() {
    local t0
    t0=$(now_ms)
    spawn env DATABASE_URL="sqlite://$1" RUST_LOG=warn "$BIN" serve --port "$2" \
        >"$WORK/ours-$2.log" 2>&1
    OURS_PID=$LAST_PID
    wait_up "http://127.0.0.1:$2"
    STARTUP_MS=$(($(now_ms) - t0))
}
start_old() { # workers, port; sets OLD_PID and STARTUP_MS
    local t0
    t0=$(now_ms)
    spawn env -C "$OLD" DATABASE_URL="sqlite:///$WORK/old.db" .venv/bin/uvicorn app.main:app \
        --port "$2" --workers "$1" --log-level warning >"$WORK/old-$1.log" 2>&1
    OLD_PID=$LAST_PID
    wait_up "http://127.0.0.1:$2"
    STARTUP_MS=$(($(now_ms) - t0))
}
tree_kb() { # pid, VmRSS|VmHWM: summed over the process and its children (uvicorn workers)
    local total=0 p
    for p in $1 $(pgrep -P "$1" || true); do total=$((total + $(kb_of "$p" "$2"))); done
    echo "$total"
}
reset_peak() { # pid: VmHWM restarts from the current RSS, for the process and its children
    local p
    for p in $1 $(pgrep -P "$1" || true); do echo 5 >"/proc/$p/clear_refs"; done
}
# Downloads the CSV report once; sets CSV_MS and CSV_GROWTH_KB (peak RSS above the
# RSS before the download, over the server's process tree).
download() { # server pid, base url, output file
    local before t0
    curl -s -o /dev/null "$2/status"
    reset_peak "$1"
    before=$(tree_kb "$1" VmRSS)
    t0=$(now_ms)
    curl -s -o "$3" "$2/report/csv"
    CSV_MS=$(($(now_ms) - t0))
    CSV_GROWTH_KB=$(($(tree_kb "$1" VmHWM) - before))
}

# wrk for DURATION seconds; sets RPS, P99_MS and ERRORS (non-2xx + socket errors).
load() { # connections, url, [lua script]
    local out
    out=$(wrk -t2 -c"$1" -d"${DURATION}s" --timeout 30s --latency ${3:+-s "$3"} "$2")
    RPS=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
    P99_MS=$(awk '$1 == "99%" {v=$2; u=v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
        printf "%.1f", v * (u == "us" ? 0.001 : u == "s" ? 1000 : u == "m" ? 60000 : 1)}' <<<"$out")
    ERRORS=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/[^0-9 ]/, " "); n += $1 + $2 + $3 + $4} END {print n + 0}' <<<"$out")
}
post_script() { # name, content type, body file -> lua script path
    {
        echo 'wrk.method = "POST"'
        echo "wrk.headers[\"Content-Type\"] = \"$2\""
        echo "wrk.body = [==[$(cat "$3")]==]"
    } >"$WORK/$1.lua"
    echo "$WORK/$1.lua"
}
gql() { # name, query -> lua script path
    python3 -c 'import json,sys; print(json.dumps({"query": sys.argv[1]}))' "$2" >"$WORK/$1.json"
    post_script "$1" application/json "$WORK/$1.json"
}

echo "== data: 100,000 logs from the old service's seeder, copied into our schema"
(cd "$OLD" && .venv/bin/python seed_db.py --db "$WORK/old.db" --logs 100000 --fresh >/dev/null)
DATABASE_URL="sqlite://$WORK/ours.db" "$BIN" migrate up >/dev/null
# SQLAlchemy stores `YYYY-MM-DD HH:MM:SS[.ffffff]`; ours is microseconds since the epoch.
sqlite3 "$WORK/ours.db" "ATTACH '$WORK/old.db' AS old;
    INSERT INTO log_entries (id, timestamp, level, message)
    SELECT id, CAST(strftime('%s', timestamp) AS INTEGER) * 1000000
               + CAST(substr(timestamp || '.000000', 21, 6) AS INTEGER), level, message
    FROM old.log_entries;"
echo "   old: $(sqlite3 "$WORK/old.db" 'select count(*) from log_entries') rows," \
    "ours: $(sqlite3 "$WORK/ours.db" 'select count(*) from log_entries') rows"

echo "== 1. GET /logs?limit=100, $DURATION s at 64 connections"
best_old=0
for workers in 1 2; do
    start_old "$workers" 18100
    old_start_ms=$STARTUP_MS
    [ "$workers" = 1 ] && old_idle_kb=$(tree_kb "$OLD_PID" VmRSS)
    load 64 "http://127.0.0.1:18100/logs?limit=100"
    echo "   old service, $workers worker(s): $RPS req/s, p99 $P99_MS ms, $ERRORS errors"
    if [ "$RPS" -gt "$best_old" ]; then best_old=$RPS; best_old_p99=$P99_MS; fi
    [ "$workers" = 1 ] && {
        load 64 "http://127.0.0.1:18100/logs?skip=90000&limit=100"
        old_skip=$RPS
        echo "   old service, 1 worker, /logs?skip=90000: $RPS req/s, $ERRORS errors"
        download "$OLD_PID" http://127.0.0.1:18100 "$WORK/old.csv"
        old_csv_ms=$CSV_MS
        old_csv_growth=$CSV_GROWTH_KB
    }
    stop "$OLD_PID"
done

start_ours "$WORK/ours.db" 18000
stop "$OURS_PID"
start_ours "$WORK/ours.db" 18000 # the second start: an existing, migrated database
ours_start_ms=$STARTUP_MS
ours_idle_kb=$(kb_of "$OURS_PID" VmRSS)
BASE=http://127.0.0.1:18000
load 64 "$BASE/logs?limit=100"
rest_rps=$RPS
row "1. /logs?limit=100 c64 req/s (old: best of 1, 2 workers)" "$RPS" "$best_old" "$(div "$RPS" "$best_old")" ">= 30"
row "1. /logs?limit=100 c64 p99 ms" "$P99_MS" "$best_old_p99" "-" "< 20 ms"
[ "$ERRORS" = 0 ] || echo "   !! $ERRORS errors"

echo "== 2. GraphQL logs(first: 100), the same six fields"
FIELDS='id timestamp level message source attributes'
load 64 "$BASE/graphql" "$(gql first "{ logs(first: 100) { nodes { $FIELDS } } }")"
row "2. GraphQL logs(first:100) c64 req/s (baseline: our REST)" "$RPS" "$rest_rps" "$(div "$RPS" "$rest_rps")" ">= 0.7"

load 64 "$BASE/logs?skip=90000&limit=100"
if [ "$old_skip" -gt 0 ]; then
    row "   /logs?skip=90000&limit=100 c64 req/s (100k rows)" "$RPS" "$old_skip" "$(div "$RPS" "$old_skip")" "-"
else # the old service's pool stalls: nothing completes within the run
    row "   /logs?skip=90000&limit=100 c64 req/s (100k rows)" "$RPS" "0 (stalled)" "-" "-"
fi

echo "== 5. memory and start-up (100,000 logs)"
row "5. idle RSS after start (old: 1 worker)" "$(mb "$ours_idle_kb")" "$(mb "$old_idle_kb")" "$(div "$ours_idle_kb" "$old_idle_kb")" "< 30 MB"
row "5. start to first /status, existing db, ms" "$ours_start_ms" "$old_start_ms" "$(div "$ours_start_ms" "$old_start_ms")" "< 100 ms"

echo "== 6. mixed: 8 clients POST NDJSON (100 logs each) while 56 read /logs?limit=100"
load 56 "$BASE/logs?limit=100"
solo=$RPS
python3 - "$WORK/batch.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(100):
        f.write(json.dumps({"level": "INFO", "source": "bench", "message": f"mixed load line {i} user=alice took 12ms"}) + "\n")
PY
ingest_lua=$(post_script ingest application/x-ndjson "$WORK/batch.ndjson")
wrk -t1 -c8 -d"${DURATION}s" --timeout 30s -s "$ingest_lua" "$BASE/logs" >"$WORK/ingest.out" &
ingest=$!
load 56 "$BASE/logs?limit=100"
wait "$ingest"
ingest_rps=$(awk '/^Requests\/sec/ {printf "%.0f", $2}' "$WORK/ingest.out")
ingest_errors=$(awk '/Non-2xx/ {n += $NF} /Socket errors/ {gsub(/[^0-9 ]/, " "); n += $1 + $2 + $3 + $4} END {print n + 0}' "$WORK/ingest.out")
locked=$(grep -c "database is locked" "$WORK/ours-18000.log" || true)
row "6. reads under ingest req/s (baseline: reads alone)" "$RPS" "$solo" "$(div "$RPS" "$solo")" ">= 0.5"
echo "   ingest meanwhile: $((ingest_rps * 100)) logs/s; errors: reads $ERRORS, ingest $ingest_errors; 'database is locked': $locked"
row "6. errors during mixed load (reads+ingest, locked)" "$((ERRORS + ingest_errors + locked))" "-" "-" "0"

echo "   /report/csv of 100,000 rows for the old service's figure"
download "$OURS_PID" "$BASE" "$WORK/ours.csv"
row "   /report/csv 100k rows, ms" "$CSV_MS" "$old_csv_ms" "$(div "$CSV_MS" "$old_csv_ms")" "-"
row "   /report/csv 100k rows, peak RSS growth" "$(mb "$CSV_GROWTH_KB")" "$(mb "$old_csv_growth")" "-" "-"
stop "$OURS_PID"

echo "== 3, 4. 1,000,000 logs"
DATABASE_URL="sqlite://$WORK/big.db" "$BIN" seed --logs 1000000 --alerts 0 --seed 7 >/dev/null
start_ours "$WORK/big.db" 18001
BIG=http://127.0.0.1:18001
cursor=$(curl -s "$BIG/graphql" -H 'content-type: application/json' \
    -d '{"query":"{ logs(first: 1, skip: 899999) { pageInfo { endCursor } } }"}' |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["logs"]["pageInfo"]["endCursor"])')
load 64 "$BIG/graphql" "$(gql page1 "{ logs(first: 100) { nodes { $FIELDS } } }")"
page1=$RPS
load 64 "$BIG/graphql" "$(gql deep "{ logs(first: 100, after: \"$cursor\") { nodes { $FIELDS } } }")"
row "3. cursor page at 900,000: cost vs page 1" "$RPS req/s" "$page1 req/s" "$(div "$page1" "$RPS")" "<= 2"
load 64 "$BIG/logs?skip=900000&limit=100"
row "   /logs?skip=900000: cost vs page 1 (why cursors)" "$RPS req/s" "$page1 req/s" "$(div "$page1" "$RPS")" "-"
stop "$OURS_PID"

QUERY="select id,timestamp,level,message from log_entries order by timestamp,id"
t0=$(now_ms)
sqlite3 -csv "$WORK/big.db" "$QUERY" >/dev/null
sqlite_ms=$(($(now_ms) - t0))
sqlite_rows_s=$((1000000 * 1000 / sqlite_ms))
start_ours "$WORK/big.db" 18001
download "$OURS_PID" "$BIG" "$WORK/big.csv"
lines=$(($(wc -l <"$WORK/big.csv") - 1))
rows_s=$((lines * 1000 / CSV_MS))
row "4. /report/csv 1M rows/s (baseline: sqlite3 -csv)" "$rows_s" "$sqlite_rows_s" "$(div "$rows_s" "$sqlite_rows_s")" ">= 0.5"
row "4. peak RSS growth, one download ($lines rows)" "$(mb "$CSV_GROWTH_KB")" "-" "-" "< 30 MB"
reset_peak "$OURS_PID"
before=$(kb_of "$OURS_PID" VmRSS)
t0=$(now_ms)
downloads=()
for _ in $(seq 1 10); do
    curl -s -o /dev/null "$BIG/report/csv" &
    downloads+=($!)
done
wait "${downloads[@]}"
ten_ms=$(($(now_ms) - t0))
row "4. peak RSS growth, ten at once (${ten_ms} ms)" "$(mb $(($(kb_of "$OURS_PID" VmHWM) - before)))" "-" "-" "< 30 MB"
stop "$OURS_PID"

echo
echo "== $(date -u +%Y-%m-%d), $(nproc) cores, load generator on the same machine"
printf '%-58s | %14s | %14s | %12s | %s\n' target ours baseline ratio goal
for line in "${TABLE[@]}"; do
    IFS='|' read -r t o b r g <<<"$line"
    printf '%-58s | %14s | %14s | %12s | %s\n' "$t" "$o" "$b" "$r" "$g"
done
