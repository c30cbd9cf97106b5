#!/usr/bin/env bash
# Throughput and memory benchmark of the real binary on loopback: a server and an agent in their own JVMs, pulls
# started and followed through the REST API. The agent serves one file: a generated 1 GiB one, then a generated
# 100 MiB one put in its place, then the 1 GiB one again.
#
#   warm-up     WARMUP pulls of the 1 GiB file first: the first is that of freshly started JVMs (the agent hashes
#               the file too), the rest let the JIT settle, as in a server and agents that have been up a while.
#               A chunk is one call through the chunk path, a GiB only 1024 of them, so C2 is still compiling
#               (and taking a core's time from the pull) through the fifth GiB or so, and quiet by the eighth.
#   new file    the first pull of a new version of the file, asked for the moment the version is in place: the agent
#               hashes it (whole file and chunks) before its DOWNLOAD_ACK.
#   same file   the same version again, SAME times: the agent reuses the digests it kept.
#   hashed ahead  another new version, pulled once the agent has hashed it by itself (PREHASH_DELAY, here 1 s, after
#               it last changed): how a pull goes when the file was put there before the operator asked for it.
#
# Time is the server's, from asking the agent to the verified file under its final name. CPU is the server
# process's user + system time during the pull (/proc/<pid>/stat), per GiB pulled. Memory is the server JVM's,
# sampled every 100 ms during each pull: peak RSS and peak heap in use. Each copy is checked with sha256sum.
# TLS=1 runs it all twice, plain and then with TLS on both ports (server --self-signed, the agent on wss:// pinning the
# certificate's fingerprint, curl on https:// with the certificate as its CA), each with fresh JVMs, says which TLS
# engine the server took (its "TLS by ..." start line), and ends with the throughput of each pull side by side.
# Usage: bench/run.sh [extra server flags, e.g. --chunk-window 32]
# Environment: TLS (unset: plain only), SERVER_HEAP (default 256m), WARMUP (default 8), SAME (default 3), BENCH_PORT (default 18080, and the
# next one), SERVER_JAVA_OPTS (more JVM options for the server, e.g. a flight recording:
# SERVER_JAVA_OPTS=-XX:StartFlightRecording=filename=/tmp/server.jfr,settings=profile,dumponexit=true), CPU_BY_THREAD=1 (after
# each pull, the server's CPU per GiB by thread group, user and system: event loops, chunk checks, workers, GC, JIT).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/silentmode.jar ] || mvn -B -q package -DskipTests
PORT="${BENCH_PORT:-18080}"
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
JAVA_OPTS=(-Dlogback.configurationFile=bench/logback.xml)

echo "Generating 100 MiB and 1 GiB of random data in $WORK"
SERVED="$WORK/file_to_download.txt"
head -c $((1024 * 1024 * 1024)) /dev/urandom > "$WORK/1024.bin"
head -c $((100 * 1024 * 1024)) /dev/urandom > "$WORK/100.bin"

# Starts a server and an agent, plain or with TLS ($1), and waits until the agent is connected. Sets SERVER, API, CURL
# and the PIDS of the processes, for stop().
start() {
  local ws=ws tls=() trust=()
  API="http://127.0.0.1:$((PORT + 1))"
  CURL=(curl -sf)
  rm -rf "$WORK/data" "$WORK/downloads" "$WORK/rss.log" "$WORK/heap.log"
  [ "$1" = tls ] && tls=(--self-signed)
  # shellcheck disable=SC2086 # SERVER_JAVA_OPTS holds several options
  java -Xmx"${SERVER_HEAP:-256m}" ${SERVER_JAVA_OPTS:-} "${JAVA_OPTS[@]}" -jar target/silentmode.jar server --host 127.0.0.1 \
    --ws-port "$PORT" --port "$((PORT + 1))" --data-dir "$WORK/data" --download-dir "$WORK/downloads" "${tls[@]}" \
    "${SERVER_FLAGS[@]}" > "$WORK/server.log" 2>&1 &
  SERVER=$!
  PIDS=("$SERVER")
  if [ "$1" = tls ]; then
    local fingerprint=""
    for _ in $(seq 120); do
      fingerprint=$(grep -o 'fingerprint [0-9A-F:]*' "$WORK/server.log" | cut -d' ' -f2) && [ -n "$fingerprint" ] && break
      sleep 0.25
    done
    [ -n "$fingerprint" ] || { cat "$WORK/server.log"; exit 1; }
    ws=wss
    API="https://127.0.0.1:$((PORT + 1))"
    CURL+=(--cacert "$WORK/data/tls-self-signed.crt")
    trust=(--server-fingerprint "$fingerprint")
  fi
  # A first start writes an admin token (docs/OPERATIONS.md); the pulls below are made with it.
  for _ in $(seq 120); do [ -s "$WORK/data/admin.token" ] && break; sleep 0.25; done
  CURL+=(-H "Authorization: Bearer $(cat "$WORK/data/admin.token")")
  for _ in $(seq 240); do [ -s "$WORK/data/enrollment-token" ] && break; sleep 0.25; done
  # The agent enrolls with the new server's token; its key is kept in $WORK, and it may run as root here.
  rm -f "$WORK/agent.state.json"
  ENROLLMENT_TOKEN=$(cat "$WORK/data/enrollment-token") AGENT_STATE_FILE="$WORK/agent.state.json" AGENT_ALLOW_ROOT=true \
  java "${JAVA_OPTS[@]}" -jar target/silentmode.jar agent --id bench-agent --server "$ws://127.0.0.1:$PORT" "${trust[@]}" \
    --file "$SERVED" --reconnect-interval 100 --prehash-delay 1000 > "$WORK/agent.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 60); do
    "${CURL[@]}" "$API/api/v1/clients/bench-agent" 2>/dev/null | grep -q '"connected":true' && break
    sleep 0.5
  done

  # Server memory, sampled in the background: resident set from /proc, heap in use from jstat (KiB).
  touch "$WORK/rss.log" "$WORK/heap.log"
  (while kill -0 "$SERVER" 2>/dev/null; do awk '/^VmRSS/ {print $2}' "/proc/$SERVER/status"; sleep 0.1; done) \
    > "$WORK/rss.log" 2>/dev/null &
  PIDS+=($!)
  jstat -gc "$SERVER" 100 > "$WORK/heap.log" 2>/dev/null &
  PIDS+=($!)
}

stop() {
  echo
  echo "Server: -Xmx${SERVER_HEAP:-256m}, peak RSS over the run $(awk '/^VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$SERVER/status")"
  kill "${PIDS[@]}" 2>/dev/null
  wait 2>/dev/null || true
  PIDS=()
}
SERVER_FLAGS=("$@")

# max of column-derived values over lines from+1..end of a sample file
peak() { awk -v from="$2" -v kind="$3" 'NR > from && $1 ~ /^[0-9.]+$/ {
  v = kind == "heap" ? $3 + $4 + $6 + $8 : $1; if (v > m) m = v } END { printf "%.0f", m / 1024 }' "$1"; }

# This VM's speed drifts by a quarter over minutes: one core's SHA-256 rate, before and after, says how fast it was.
sha_rate() { { openssl speed -seconds 1 -bytes 16384 -evp sha256 2>/dev/null || true; } | awk '/^sha256/ {printf "%.0f", $2 / 1000}'; }
RATE_BEFORE=$(sha_rate)
# ... and so does the share of the CPU the hypervisor takes (steal time, the 8th field of /proc/stat's cpu line).
read -r -a CPU_BEFORE < /proc/stat

# A pull through the REST API with curl, polled every 100 ms: a CLI JVM starting beside the pull would take CPU
# from it, and the measure is the transfer, not the client.
TICKS=$(getconf CLK_TCK)
cpu() { awk -v t="$TICKS" '{ print ($14 + $15) / t }' "/proc/$SERVER/stat"; }
# Each server thread's name (digits dropped, so that a pool is one group), user and system ticks.
threads() { for task in /proc/"$SERVER"/task/*; do
  printf '%s %s %s\n' "${task##*/}" "$(tr -d '0-9#' < "$task/comm" | tr ' ' _)" "$(sed 's/^.*) //' "$task/stat" | cut -d' ' -f12,13)"
done 2>/dev/null; }
by_thread() { # snapshot before, snapshot after, MiB
  awk -v t="$TICKS" -v s="$3" 'NR == FNR { u[$1] = $3; y[$1] = $4; next }
    { du[$2] += $3 - u[$1]; dy[$2] += $4 - y[$1] }
    END { for (g in du) if (du[g] + dy[g] > 0) printf "    %-16s user %5.2f  system %5.2f s/GiB\n", g, du[g] / t * 1024 / s, dy[g] / t * 1024 / s }' \
    "$1" "$2" | sort -k3 -rn
}
pull() { # label, size in MiB
  local rss0 heap0 cpu0 cpu1 id job secs stored rate
  rss0=$(wc -l < "$WORK/rss.log"); heap0=$(wc -l < "$WORK/heap.log"); cpu0=$(cpu)
  [ -z "${CPU_BY_THREAD:-}" ] || threads > "$WORK/threads.before"
  id=$("${CURL[@]}" -X POST "$API/api/v1/downloads" -H 'Content-Type: application/json' \
    -d '{"clientId":"bench-agent"}' | grep -o '"requestId":"[^"]*"' | cut -d'"' -f4)
  while job=$("${CURL[@]}" "$API/api/v1/downloads/$id"); grep -q '"status":"\(queued\|in_progress\)"' <<< "$job"; do
    sleep 0.1
  done
  cpu1=$(cpu)
  [ -z "${CPU_BY_THREAD:-}" ] || threads > "$WORK/threads.after"
  grep -q '"status":"completed"' <<< "$job" || { echo "$job"; exit 1; }
  field() { grep -o "\"$1\":\"[^\"]*\"" <<< "$job" | head -1 | cut -d'"' -f4; }
  secs=$(echo "$(date -d "$(field finishedAt)" +%s.%N) - $(date -d "$(field startedAt)" +%s.%N)" | bc)
  stored=$(field path)
  [ "$(sha256sum < "$stored" | cut -c1-64)" = "$(sha256sum < "$SERVED" | cut -c1-64)" ] \
    || { echo "the copy $stored differs from $SERVED"; exit 1; }
  rm -f "$stored"
  rate=$(awk -v s="$2" -v t="$secs" 'BEGIN {printf "%.0f", s * 1048576 / 1e6 / t}')
  printf '%s MiB\t%s\t%s\n' "$2" "$1" "$rate" >> "$WORK/rates.$MODE"
  printf '%-10s %-12s %7.2fs %8s MB/s %12.2f %14s %13s\n' "$2 MiB" "$1" "$secs" "$rate" \
    "$(awk -v a="$cpu0" -v b="$cpu1" -v s="$2" 'BEGIN {print (b - a) * 1024 / s}')" \
    "$(peak "$WORK/rss.log" "$rss0" rss)" "$(peak "$WORK/heap.log" "$heap0" heap)"
  [ -z "${CPU_BY_THREAD:-}" ] || by_thread "$WORK/threads.before" "$WORK/threads.after" "$2"
}

# A new version of the served file, the same bytes under a new inode: the agent's kept digests no longer hold.
new_version() { cp "$WORK/$1.bin" "$SERVED.new" && mv "$SERVED.new" "$SERVED"; }
hashed_ahead() { grep -c 'ahead of a pull' "$WORK/agent.log" || true; }

MODES=(plain)
[ -z "${TLS:-}" ] || MODES+=(tls)
for MODE in "${MODES[@]}"; do
  cp "$WORK/1024.bin" "$SERVED"
  start "$MODE"
  [ "$MODE" != tls ] || { echo; grep -o 'TLS by .*' "$WORK/server.log" || true; } # which engine, as the server says
  printf '\n%s (SHA-256 on one core now: %s MB/s)\n%-10s %-12s %8s %10s %12s %14s %13s\n' \
    "$( [ "$MODE" = tls ] && echo "With TLS, wss:// and https://" || echo "Plain, ws:// and http://")" "$(sha_rate)" \
    file pull time throughput "CPU s/GiB" "peak RSS MiB" "peak heap MiB"
  for i in $(seq "${WARMUP:-8}"); do pull "warm-up $i" 1024; done
  for size in 100 1024; do
    new_version "$size"
    pull "new file" "$size"
    for i in $(seq "${SAME:-3}"); do pull "same file" "$size"; done
    before=$(hashed_ahead)
    new_version "$size"
    for _ in $(seq 600); do [ "$(hashed_ahead)" -gt "$before" ] && break; sleep 0.1; done
    pull "hashed ahead" "$size"
  done
  stop
done
if [ -n "${TLS:-}" ]; then
  printf '\nThroughput, plain against TLS (MB/s):\n%-10s %-12s %8s %8s %8s\n' file pull plain TLS "TLS %"
  paste "$WORK/rates.plain" "$WORK/rates.tls" | awk -F'\t' '{ printf "%-10s %-12s %8s %8s %7.0f%%\n", $1, $2, $3, $6, 100 * $6 / $3 }'
fi
read -r -a CPU_AFTER < /proc/stat
awk -v a="${CPU_BEFORE[*]}" -v b="${CPU_AFTER[*]}" 'BEGIN { n = split(a, x); split(b, y); for (i = 2; i <= n; i++) t += y[i] - x[i]
  printf "CPU time taken by the hypervisor (steal) during the pulls: %.0f %%\n", 100 * (y[9] - x[9]) / t }'
echo "SHA-256 on one core (OpenSSL): ${RATE_BEFORE:-n/a} MB/s before the pulls, $(sha_rate) MB/s after"
