#!/usr/bin/env bash
# Batch benchmark of the real binary on loopback: a server and a swarm JVM of BATCH_AGENTS real agents
# (AgentVerticles, see bench/fleet.sh), each serving its own copy of nothing but the same FILE_MIB file. One batch per
# concurrency (default 20 50 100) pulls the file from every agent, after a warm-up batch at the first concurrency.
#
#   total time   the batch's createdAt to finishedAt, as the server stamps them (its members recorded, all pulled and
#                verified)
#   aggregate    BATCH_AGENTS x FILE_MIB over that time, in MB/s (10^6 bytes)
#   most at once the most members running at one instant, from the member jobs' startedAt/finishedAt: the batch's cap
#   peak heap    the server JVM's heap in use, sampled every 100 ms during the batch (jstat)
#
# Every copy is checked with sha256sum and deleted before the next batch; every wait is bounded.
# Usage: bench/batch.sh [CONCURRENCY ...]
# Environment: BATCH_AGENTS (200), FILE_MIB (10), SERVER_HEAP (2g: a member holds up to CHUNK_WINDOW chunks of 1 MiB in
# flight, 100 members up to 1.6 GiB), SWARM_HEAP (4g: the agents hold their windows in direct buffers, limited to the heap size), BENCH_PORT (18094, and the next one).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/silentmode.jar ] || mvn -B -q package -DskipTests
PORT="${BENCH_PORT:-18094}"
API="http://127.0.0.1:$((PORT + 1))"
N="${BATCH_AGENTS:-200}"
MIB="${FILE_MIB:-10}"
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
LOGGING=-Djava.util.logging.config.file=bench/logging.properties
COUNTS=("$@")
[ ${#COUNTS[@]} -gt 0 ] || COUNTS=(20 50 100)

fail() { echo "FAILED: $*" >&2; exit 1; }

head -c $((MIB * 1024 * 1024)) /dev/urandom > "$WORK/served.bin"
EXPECTED=$(sha256sum < "$WORK/served.bin" | cut -c1-64)
ulimit -Sn 4096 2>/dev/null || true

java -Xmx"${SERVER_HEAP:-2g}" "$LOGGING" -jar target/silentmode.jar server --host 127.0.0.1 --ws-port "$PORT" \
  --port "$((PORT + 1))" --data-dir "$WORK/data" --download-dir "$WORK/downloads" --api-rate-limit 0 \
  --max-active-pulls 128 --max-agent-connections-per-address 100000 > "$WORK/server.log" 2>&1 &
SERVER=$!
PIDS+=("$SERVER")
for _ in $(seq 600); do curl -sf "$API/api/v1/health" > /dev/null 2>&1 && break; sleep 0.1; done
curl -sf "$API/api/v1/health" > /dev/null || fail "the server did not come up: $(tail -5 "$WORK/server.log")"
# The first start wrote the admin token and the enrollment token: the API calls carry the one, the agents enroll
# with the other (their keys stay in the swarm's memory).
for _ in $(seq 100); do [ -s "$WORK/data/admin.token" ] && [ -s "$WORK/data/enrollment-token" ] && break; sleep 0.1; done
CURL=(curl -sf -H "Authorization: Bearer $(cat "$WORK/data/admin.token")")

java -Xmx"${SWARM_HEAP:-4g}" "$LOGGING" -jar target/silentmode.jar swarm --count "$N" --serving "$N" \
  --file "$WORK/served.bin" --prehash-delay 1000 --id-prefix b- --server "ws://127.0.0.1:$PORT" --duration 3600 \
  --enrollment-token "$(cat "$WORK/data/enrollment-token")" \
  > "$WORK/swarm.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 3000); do grep -q "hashed ahead $N\$" "$WORK/swarm.log" && break; sleep 0.1; done
grep -q "hashed ahead $N\$" "$WORK/swarm.log" || fail "the agents did not connect and hash: $(tail -2 "$WORK/swarm.log")"
IDS=$(seq 0 $((N - 1)) | sed 's/^/b-/' | jq -R . | jq -sc .)

: > "$WORK/heap"
jstat -gc "$SERVER" 100 >> "$WORK/heap" 2>/dev/null &
PIDS+=($!)

# One batch at concurrency $1; prints "seconds MB/s most-at-once peak-heap-MiB" or fails.
batch() {
  local from id b status
  from=$(wc -l < "$WORK/heap")
  id=$("${CURL[@]}" -X POST "$API/api/v1/batches" -H 'Content-Type: application/json' \
    -d "{\"clientIds\":$IDS,\"concurrency\":$1}" | jq -r .batchId)
  [ -n "$id" ] && [ "$id" != null ] || fail "the batch was refused"
  for _ in $(seq 6000); do
    b=$("${CURL[@]}" "$API/api/v1/batches/$id")
    [ "$(jq -r .finishedAt <<< "$b")" != null ] && break
    sleep 0.1
  done
  status=$(jq -r .status <<< "$b")
  [ "$status" = completed ] || fail "batch $id ended $status: $(jq -c .counts <<< "$b"), members' errors: $("${CURL[@]}" \
    "$API/api/v1/downloads?batchId=$id&status=failed&limit=500" | jq -c '[.items[].error.code] | group_by(.) | map({(.[0]): length}) | add')
    $("${CURL[@]}" "$API/api/v1/downloads?batchId=$id&status=failed&limit=1" | jq -r '.items[0].error.message')
    $(grep -v '^INFO' "$WORK/server.log" | tail -5)"
  local jobs
  jobs=$("${CURL[@]}" "$API/api/v1/downloads?batchId=$id&limit=500")
  [ "$(jq '.items | length' <<< "$jobs")" = "$N" ] || fail "batch $id has not $N member jobs"
  while read -r path; do
    [ "$(sha256sum < "$path" | cut -c1-64)" = "$EXPECTED" ] || fail "the copy $path differs"
    rm -f "$path"
  done < <(jq -r '.items[].file.path' <<< "$jobs")
  local most secs
  printf '%s' "$jobs" > "$WORK/jobs.json"
  printf '%s' "$b" > "$WORK/batch.json"
  # the most members running at once, over [startedAt, finishedAt) of each; and the batch's total time
  read -r most secs < <(python3 -c '
import json, sys
from datetime import datetime
at = lambda s: datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
jobs, batch = json.load(open(sys.argv[1]))["items"], json.load(open(sys.argv[2]))
edges = sorted([(at(j["startedAt"]), 1) for j in jobs] + [(at(j["finishedAt"]), -1) for j in jobs])
now = most = 0
for _, step in edges:
    now += step
    most = max(most, now)
print(most, at(batch["finishedAt"]) - at(batch["createdAt"]))' "$WORK/jobs.json" "$WORK/batch.json")
  sleep 0.3
  local heap
  heap=$(awk -v from="$from" 'NR > from && $1 ~ /^[0-9.]+$/ { v = $3 + $4 + $6 + $8; if (v > m) m = v } END { printf "%.0f", m / 1024 }' "$WORK/heap")
  awk -v s="$secs" -v n="$N" -v mib="$MIB" -v most="$most" -v heap="$heap" \
    'BEGIN { printf "%.2f %.0f %d %d\n", s, n * mib * 1.048576 / s, most, heap }'
}

echo "== batch of $N agents x $MIB MiB: server -Xmx${SERVER_HEAP:-2g}, MAX_ACTIVE_PULLS 128, warm-up at concurrency ${COUNTS[0]}"
batch "${COUNTS[0]}" > /dev/null
printf '  %11s %12s %12s %13s %14s\n' concurrency "total time" aggregate "most at once" "peak heap MiB"
for c in "${COUNTS[@]}"; do
  result=$(batch "$c") || exit 1
  read -r secs rate most heap <<< "$result"
  printf '  %11d %10s s %7s MB/s %13d %14s\n' "$c" "$secs" "$rate" "$most" "$heap"
done
