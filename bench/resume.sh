#!/usr/bin/env bash
# Resume benchmark of the real binary on loopback: a server and an agent in their own JVMs, pulls of a generated
# 1 GiB file started and followed through the REST API. Three measured runs, after WARMUP uninterrupted pulls that let
# the JIT settle (a GiB is only 1024 chunks):
#
#   uninterrupted  the baseline.
#   agent killed   the agent gets SIGKILL once the job reports half the bytes done, and is started again at once: the
#                  job pauses (AGENT_DISCONNECTED) and resumes when the new agent registers. The new agent is a cold
#                  JVM that has not hashed the file yet; the resumed pull waits for that, as a real restart would.
#   server killed  the same with the server (SIGKILL, then started again on the same DATA_DIR and DOWNLOAD_DIR and
#                  ports); the agent dials again by itself (RECONNECT_INTERVAL 100 ms, doubling). The new server is a
#                  cold JVM.
#
# Per run: the wall time from the POST to the poll (every 50 ms) that sees the job completed, the MB/s that makes,
# where the kill landed, how long the pull stood still (from the kill until bytesDone passed its value at the kill),
# and the job's own figures bytesResent and resumes. Every copy is checked with sha256sum. Builds nothing: it wants
# target/silentmode.jar (mvn -B -q package -DskipTests).
# Usage: bench/resume.sh [extra server flags, e.g. --chunk-window 32]
# Environment: SIZE_MIB (default 1024), WARMUP (default 3), SERVER_HEAP (default 256m), BENCH_PORT (default 18085,
# and the next one).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/silentmode.jar ] || { echo "target/silentmode.jar is missing: mvn -B -q package -DskipTests"; exit 1; }
PORT="${BENCH_PORT:-18085}"
API="http://127.0.0.1:$((PORT + 1))"
SIZE_MIB="${SIZE_MIB:-1024}"
SIZE=$((SIZE_MIB * 1024 * 1024))
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
LOGGING=-Dlogback.configurationFile=bench/logback.xml
SERVER_FLAGS=("$@")
SERVED="$WORK/file_to_download.txt"

# Agents (the swarm's too) enroll with the server's token, keep their key in $WORK, and may run as root here.
export AGENT_ALLOW_ROOT=true AGENT_STATE_FILE="$WORK/agent.state.json"
enrollment_token() { ENROLLMENT_TOKEN=$(cat "$WORK/data/enrollment-token"); export ENROLLMENT_TOKEN; }
fail() { echo "FAILED: $*"; exit 1; }
now() { date +%s.%N; }

start_server() {
  java -Xmx"${SERVER_HEAP:-256m}" "$LOGGING" -jar target/silentmode.jar server --host 127.0.0.1 --ws-port "$PORT" \
    --port "$((PORT + 1))" --data-dir "$WORK/data" --download-dir "$WORK/downloads" "${SERVER_FLAGS[@]}" \
    >> "$WORK/server.log" 2>&1 &
  SERVER=$!
  PIDS+=("$SERVER")
  for _ in $(seq 600); do curl -sf "$API/api/v1/health/ready" > /dev/null 2>&1 && { enrollment_token; return; }; sleep 0.1; done
  fail "the server was not ready in 60 s: $(tail -5 "$WORK/server.log")"
}

start_agent() {
  java "$LOGGING" -jar target/silentmode.jar agent --id bench-agent --server "ws://127.0.0.1:$PORT" --file "$SERVED" \
    --reconnect-interval 100 --prehash-delay 1000 >> "$WORK/agent.log" 2>&1 &
  AGENT=$!
  PIDS+=("$AGENT")
}

crash() { kill -9 "$1"; wait "$1" 2>/dev/null || true; }

# Fields of a job's JSON: num NAME JSON, str NAME JSON.
num() { grep -o "\"$1\":[0-9]*" <<< "$2" | head -1 | cut -d: -f2; }
str() { grep -o "\"$1\":\"[^\"]*\"" <<< "$2" | head -1 | cut -d'"' -f4; }
job() { curl -sf "$API/api/v1/downloads/$1" || echo '{"status":"unreachable"}'; }

start_pull() {
  curl -sf -X POST "$API/api/v1/downloads" -H 'Content-Type: application/json' -d '{"clientId":"bench-agent"}' \
    | grep -o '"requestId":"[^"]*"' | cut -d'"' -f4
}

# Polls the job until half its bytes are done (at most 10 min); sets KILLED_AT to its bytesDone then.
await_halfway() {
  local j
  for _ in $(seq 12000); do
    j=$(job "$1")
    KILLED_AT=$(num bytesDone "$j")
    [ "${KILLED_AT:-0}" -ge $((SIZE / 2)) ] && return
    grep -q '"status":"\(queued\|in_progress\)"' <<< "$j" || fail "the pull ended before halfway: $j"
    sleep 0.05
  done
  fail "the pull did not reach halfway in 10 min"
}

# After an agent's kill: polls the job until the server has paused it; KILLED_AT becomes its bytesDone then, which
# counts the chunks that were still arriving when the agent died.
await_paused() {
  local j
  for _ in $(seq 1200); do
    j=$(job "$1")
    grep -q '"status":"paused"' <<< "$j" && { KILLED_AT=$(num bytesDone "$j"); return; }
    sleep 0.05
  done
  fail "the pull did not pause within 60 s of the agent's kill: $j"
}

# Polls the job to its end (at most 10 min); sets JOB, and MOVED: the first poll at which a running job's bytesDone
# had passed KILLED_AT again (a restarted server first reads back what it had recorded).
await_end() {
  local b
  MOVED=""
  for _ in $(seq 12000); do
    JOB=$(job "$1")
    b=$(num bytesDone "$JOB")
    [ -n "$MOVED" ] || [ -z "$KILLED_AT" ] || ! grep -q '"status":"in_progress"' <<< "$JOB" \
      || [ "${b:-0}" -le "$KILLED_AT" ] || MOVED=$(now)
    grep -q '"status":"\(completed\|failed\|cancelled\)"' <<< "$JOB" && return
    sleep 0.05
  done
  fail "the pull did not end in 10 min: $JOB"
}

# One pull: label, then what to do halfway ("" for nothing). Prints a row.
run() {
  local label="$1" interrupt="$2" started killed="" stored stalled="-" at="-"
  KILLED_AT=""
  started=$(now)
  ID=$(start_pull)
  [ -n "$ID" ] || fail "no pull started: $(tail -3 "$WORK/server.log")"
  if [ -n "$interrupt" ]; then
    await_halfway "$ID"
    killed=$(now)
    "$interrupt"
  fi
  await_end "$ID"
  local ended
  ended=$(now)
  grep -q '"status":"completed"' <<< "$JOB" || fail "$label: $JOB"
  stored=$(str path "$JOB")
  [ "$(sha256sum < "$stored" | cut -c1-64)" = "$EXPECTED" ] || fail "$label: the copy $stored differs"
  rm -f "$stored"
  if [ -n "$killed" ]; then
    at=$(awk -v b="$KILLED_AT" -v s="$SIZE" 'BEGIN {printf "%.0f %%", 100 * b / s}')
    [ -z "$MOVED" ] || stalled=$(awk -v a="$killed" -v b="$MOVED" 'BEGIN {printf "%.2f s", b - a}')
  fi
  [ -z "$3" ] || printf '%-15s %8.2f s %7.0f MB/s %9s %11s %14s %8s\n' "$label" "$(echo "$ended - $started" | bc)" \
    "$(awk -v s="$SIZE" -v t="$(echo "$ended - $started" | bc)" 'BEGIN {print s / 1e6 / t}')" "$at" "$stalled" \
    "$(num bytesResent "$JOB")" "$(num resumes "$JOB")"
}

restart_agent() { crash "$AGENT"; await_paused "$ID"; start_agent; }
restart_server() { crash "$SERVER"; start_server; }

echo "Generating $SIZE_MIB MiB of random data in $WORK"
head -c "$SIZE" /dev/urandom > "$SERVED"
EXPECTED=$(sha256sum < "$SERVED" | cut -c1-64)
start_server
start_agent
for _ in $(seq 600); do grep -q 'ahead of a pull' "$WORK/agent.log" && break; sleep 0.1; done

for i in $(seq "${WARMUP:-3}"); do run "warm-up $i" "" ""; done
printf '\n%-15s %10s %12s %9s %11s %14s %8s\n' run total throughput "killed at" stalled bytesResent resumes
run uninterrupted "" row
run "agent killed" restart_agent row
run "server killed" restart_server row
