#!/usr/bin/env bash
# The gateway's own WebSocket frame path against Vert.x's stock one, in the same run: two servers on loopback, one
# reading frames with UnmaskingFrameDecoder and MessageAssembler (custom), one with Vert.x's binaryMessageHandler
# and textMessageHandler on Netty's frame decoder (stock, -Dsilentmode.ws-path=stock), each with its own agent
# serving the same 1 GiB file. After WARMUP pulls on each, ROUNDS rounds pull 1 GiB once from each, the order
# swapped every round, so that a machine whose speed drifts slows both alike. Per pull it prints the server's time,
# MB/s and its CPU seconds (user + system, from /proc/<pid>/stat) for that pull; then the medians.
# Usage: bench/ws-path.sh [extra server flags]
# Environment: SERVER_HEAP (default 256m), WARMUP (default 6), ROUNDS (default 5), SIZE_MIB (default 1024),
# BENCH_PORT (default 18180, and the next three).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/silentmode.jar ] || mvn -B -q package -DskipTests
PORT="${BENCH_PORT:-18180}"
SIZE="${SIZE_MIB:-1024}"
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null; wait 2>/dev/null; rm -rf "$WORK"' EXIT
JAVA_OPTS=(-Djava.util.logging.config.file=bench/logging.properties)
TICKS=$(getconf CLK_TCK)

echo "Load before: $(uptime)"
head -c $((SIZE * 1024 * 1024)) /dev/urandom > "$WORK/file_to_download.txt"
declare -A SERVER API
start() { # path name, ws port
  local ws=$2 api=$(($2 + 1))
  java -Xmx"${SERVER_HEAP:-256m}" -Dsilentmode.ws-path="$1" "${JAVA_OPTS[@]}" -jar target/silentmode.jar server \
    --host 127.0.0.1 --ws-port "$ws" --port "$api" --data-dir "$WORK/$1/data" --download-dir "$WORK/$1/downloads" \
    "${@:3}" > "$WORK/$1.server.log" 2>&1 &
  SERVER[$1]=$!
  PIDS+=($!)
  API[$1]="http://127.0.0.1:$api"
  java "${JAVA_OPTS[@]}" -jar target/silentmode.jar agent --id "agent-$1" --server "ws://127.0.0.1:$ws" \
    --file "$WORK/file_to_download.txt" --prehash-delay 0 > "$WORK/$1.agent.log" 2>&1 &
  PIDS+=($!)
}
start custom "$PORT" "$@"
start stock "$((PORT + 2))" "$@"
for path in custom stock; do
  for _ in $(seq 120); do
    curl -sf "${API[$path]}/api/v1/clients/agent-$path" 2>/dev/null | grep -q '"connected":true' && break
    sleep 0.5
  done
done
EXPECTED=$(sha256sum < "$WORK/file_to_download.txt" | cut -c1-64)

cpu() { awk -v t="$TICKS" '{ print ($14 + $15) / t }' "/proc/$1/stat"; }
pull() { # path, label
  local api=${API[$1]} id job secs stored cpu0 cpu1
  cpu0=$(cpu "${SERVER[$1]}")
  id=$(curl -sf -X POST "$api/api/v1/downloads" -H 'Content-Type: application/json' \
    -d "{\"clientId\":\"agent-$1\"}" | grep -o '"requestId":"[^"]*"' | cut -d'"' -f4)
  while job=$(curl -sf "$api/api/v1/downloads/$id"); grep -q '"status":"\(queued\|in_progress\)"' <<< "$job"; do
    sleep 0.1
  done
  cpu1=$(cpu "${SERVER[$1]}")
  grep -q '"status":"completed"' <<< "$job" || { echo "$job"; exit 1; }
  field() { grep -o "\"$1\":\"[^\"]*\"" <<< "$job" | head -1 | cut -d'"' -f4; }
  secs=$(echo "$(date -d "$(field finishedAt)" +%s.%N) - $(date -d "$(field startedAt)" +%s.%N)" | bc)
  stored=$(field path)
  [ "$(sha256sum < "$stored" | cut -c1-64)" = "$EXPECTED" ] || { echo "the copy $stored is wrong"; exit 1; }
  rm -f "$stored"
  printf '%-7s %-9s %7.2fs %6.0f MB/s %6.2f s CPU/GiB\n' "$1" "$2" "$secs" \
    "$(awk -v s="$SIZE" -v t="$secs" 'BEGIN {print s * 1048576 / 1e6 / t}')" \
    "$(awk -v a="$cpu0" -v b="$cpu1" -v s="$SIZE" 'BEGIN {print (b - a) * 1024 / s}')" | tee -a "$WORK/rows"
}

read -r -a CPU_BEFORE < /proc/stat
for i in $(seq "${WARMUP:-6}"); do pull custom warm-up > /dev/null; pull stock warm-up > /dev/null; done
: > "$WORK/rows"
for round in $(seq "${ROUNDS:-5}"); do
  if ((round % 2)); then pull custom "round $round"; pull stock "round $round"
  else pull stock "round $round"; pull custom "round $round"; fi
done
echo
median() { sort -n | awk '{ v[NR] = $1 } END { printf "%s (%s-%s)", v[int((NR + 1) / 2)], v[1], v[NR] }'; }
for path in custom stock; do
  echo "$path: median $(awk -v p="$path" '$1 == p { print $5 }' "$WORK/rows" | median) MB/s," \
    "$(awk -v p="$path" '$1 == p { print $7 }' "$WORK/rows" | median) s CPU/GiB"
done
read -r -a CPU_AFTER < /proc/stat
awk -v a="${CPU_BEFORE[*]}" -v b="${CPU_AFTER[*]}" 'BEGIN { n = split(a, x); split(b, y); for (i = 2; i <= n; i++) t += y[i] - x[i]
  printf "CPU time taken by the hypervisor (steal): %.0f %%\n", 100 * (y[9] - x[9]) / t }'
echo "Load after: $(uptime)"
