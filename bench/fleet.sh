#!/usr/bin/env bash
# Fleet benchmarks of the real binary on loopback: the server, the agents and the load generator each in their own
# JVM. The load generator is the jar's hidden `swarm` subcommand: many agents from one JVM, speaking the real
# protocol (simulated agents that register and answer PINGs; with --serving, real AgentVerticles serving a file).
#
#   bench/fleet.sh idle [N ...]       (default 1000 5000 20000) per N: server heap and RSS per connected agent
#                                     (after a GC), time for N agents dialing at once to be connected, server CPU over
#                                     IDLE_SECONDS of heartbeats, a PULL_MIB pull from a real agent (own JVM) with and
#                                     without the swarm connected, and the reconnect storm after a server restart.
#   bench/fleet.sh pulls [K ...]      (default 1 10 50) K pulls of PULL_MIB at once from K distinct real agents
#                                     (AgentVerticles in the swarm JVM): aggregate MB/s, slowest pull, peak heap and RSS.
#   bench/fleet.sh footprint          the agent JVM with the launcher's options (agent/silentmode-agent) against the
#                                     JVM's defaults: idle RSS, RSS during FOOTPRINT_MIB pulls, and their throughput.
#
# Every agent enrolls as an operator's would (the server's token; the swarm's keys stay in its memory), so a first
# dial-in includes enrollment and every later one a proof (docs/PROTOCOL.md 4a).
# Every copy is checked with sha256sum; every wait is bounded; everything listens on and dials 127.0.0.0/8 only.
# Environment: SERVER_HEAP (idle: 1g; pulls: 2g, as 50 pulls hold 50 windows of chunks, 800 MiB; footprint: 256m), HEARTBEAT (idle: HEARTBEAT_INTERVAL in ms, 5000),
# IDLE_SECONDS (60, after WARM_SECONDS, 30, of heartbeats to warm the JIT), RECONNECT (the swarm's first reconnect delay, 1000), PULL_MIB (100), PULL_REPEAT (3),
# FOOTPRINT_MIB (1024), SWARM_HEAP (2g), BENCH_PORT (18090, and the next one).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/silentmode.jar ] || mvn -B -q package -DskipTests
SCENARIO="${1:-}"
shift || true
PORT="${BENCH_PORT:-18090}"
API="http://127.0.0.1:$((PORT + 1))"
WS="ws://127.0.0.1:$PORT"
WORK="$(mktemp -d)"
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
LOGGING=-Dlogback.configurationFile=bench/logback.xml
PULL_MIB="${PULL_MIB:-100}"
TICK=$(getconf CLK_TCK)

say() { printf '%s\n' "$*"; }
# Agents (the swarm's too) enroll with the server's token, keep their key in $WORK, and may run as root here.
export AGENT_ALLOW_ROOT=true AGENT_STATE_FILE="$WORK/agent.state.json"
enrollment_token() { ENROLLMENT_TOKEN=$(cat "$WORK/data/enrollment-token"); export ENROLLMENT_TOKEN; }
fail() { say "FAILED: $*"; exit 1; }

# Each connection is a file descriptor in the server and in the swarm. Only the soft limit is raised (-S), so that a
# later, larger N can still raise it: a plain `ulimit -n` lowers the hard limit too.
need_fds() {
  ulimit -Sn "$1" 2>/dev/null || ulimit -Sn "$(ulimit -Hn)"
  [ "$(ulimit -Sn)" -ge "$1" ] || fail "need $1 open files, the hard limit allows $(ulimit -Hn) (raise it: root with CAP_SYS_RESOURCE, or limits.conf)"
}

start_server() { # heap, extra server flags... (every agent here comes from 127.0.0.1: no per-address limits)
  local heap="$1"
  shift
  java -Xmx"$heap" "$LOGGING" -jar target/silentmode.jar server --host 127.0.0.1 --ws-port "$PORT" \
    --port "$((PORT + 1))" --data-dir "$WORK/data" --download-dir "$WORK/downloads" \
    --max-agent-connections-per-address 100000 --api-rate-limit 0 "$@" >> "$WORK/server.log" 2>&1 &
  SERVER=$!
  PIDS+=("$SERVER")
  for _ in $(seq 600); do curl -sf "$API/api/v1/health" > /dev/null 2>&1 && { enrollment_token; return; }; sleep 0.1; done
  fail "the server did not come up in 60 s: $(tail -5 "$WORK/server.log")"
}

stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# Agents connected now, from the server's own gauge.
connected() { curl -sf "$API/metrics" | awk '/^silentmode_agents_connected / {printf "%d", $2}'; }

# Waits until N agents are connected, at most $2 seconds; prints the seconds it took.
await_connected() {
  local start=$(date +%s.%N) n
  while n=$(connected || echo 0); [ "${n:-0}" -lt "$1" ]; do
    [ "$(echo "$(date +%s.%N) - $start > $2" | bc)" = 1 ] && fail "only $n of $1 agents connected after $2 s"
    sleep 0.1
  done
  echo "$(date +%s.%N) - $start" | bc
}

# Heap in use after a full GC (MiB, from jstat: survivors, eden and old generation) and the resident set (MiB).
heap_after_gc() { jcmd "$1" GC.run > /dev/null; jstat -gc "$1" | awk 'NR == 2 {printf "%.1f", ($3 + $4 + $6 + $8) / 1024}'; }
rss() { awk '/^VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$1/status"; }
cpu_seconds() { awk -v t="$TICK" '{print ($14 + $15) / t}' "/proc/$1/stat"; }

# Samples a process's RSS and heap in use every 100 ms into $WORK/<pid>.rss and .heap; peaks read with peak().
sample() {
  (while kill -0 "$1" 2>/dev/null; do awk '/^VmRSS/ {print $2}' "/proc/$1/status"; sleep 0.1; done) \
    > "$WORK/$1.rss" 2>/dev/null &
  PIDS+=($!)
  jstat -gc "$1" 100 > "$WORK/$1.heap" 2>/dev/null &
  PIDS+=($!)
}
# Peak (MiB) of a sample file from line $3 on: kind rss or heap.
peak() { awk -v from="$3" -v kind="$2" 'NR > from && $1 ~ /^[0-9.]+$/ {
  v = kind == "heap" ? $3 + $4 + $6 + $8 : $1; if (v > m) m = v } END { printf "%.0f", m / 1024 }' "$WORK/$1.$2"; }

generate() { head -c $(($2 * 1024 * 1024)) /dev/urandom > "$1"; }

# Starts a pull of the agent's file over the REST API; prints its requestId.
start_pull() {
  curl -sf -X POST "$API/api/v1/downloads" -H 'Content-Type: application/json' -d "{\"clientId\":\"$1\"}" \
    | grep -o '"requestId":"[^"]*"' | cut -d'"' -f4
}

# Polls a pull to its end (at most 10 min), checks its copy against $2 with sha256sum and deletes it; prints
# "<startedAt epoch> <finishedAt epoch> <status>".
finish_pull() {
  local job field
  for _ in $(seq 6000); do
    job=$(curl -sf "$API/api/v1/downloads/$1") || job='{"status":"unreachable"}'
    grep -q '"status":"\(queued\|in_progress\)"' <<< "$job" || break
    sleep 0.1
  done
  field() { grep -o "\"$1\":\"[^\"]*\"" <<< "$job" | head -1 | cut -d'"' -f4; }
  if ! grep -q '"status":"completed"' <<< "$job"; then
    echo "0 0 failed"
    say "pull $1: $job" >&2
    return
  fi
  local stored expected
  stored=$(field path)
  expected=$(sha256sum < "$2" | cut -c1-64)
  [ "$(sha256sum < "$stored" | cut -c1-64)" = "$expected" ] || fail "the copy $stored differs from $2"
  rm -f "$stored"
  echo "$(date -d "$(field startedAt)" +%s.%N) $(date -d "$(field finishedAt)" +%s.%N) completed"
}

# One pull from an agent; prints "seconds MB/s".
timed_pull() { # clientId, served file, MiB
  local r
  r=$(finish_pull "$(start_pull "$1")" "$2")
  [ "${r##* }" = completed ] || fail "pull from $1 did not complete"
  awk -v s="$3" '{t = $2 - $1; printf "%.2f %.0f\n", t, s * 1.048576 / t}' <<< "$r"
}

start_swarm() { # count, extra swarm flags...
  local count="$1"
  shift
  java -Xmx"${SWARM_HEAP:-2g}" "$LOGGING" -jar target/silentmode.jar swarm --count "$count" --server "$WS" \
    --reconnect-interval "${RECONNECT:-1000}" --duration 3600 "$@" > "$WORK/swarm.log" 2>&1 &
  SWARM=$!
  PIDS+=("$SWARM")
}

# Waits (at most 10 min) for the swarm's serving agents to have hashed their file ahead of a pull.
await_hashed_ahead() {
  for _ in $(seq 6000); do
    grep -q "hashed ahead $1\$" "$WORK/swarm.log" && return
    sleep 0.1
  done
  fail "the swarm's agents did not hash their file ahead: $(tail -2 "$WORK/swarm.log")"
}

# A real agent in its own JVM, serving $1, started by the command after it (which ends where `agent` would go);
# waits until it has hashed the file ahead of a pull.
start_agent() { # file, command...
  local file="$1"
  shift
  : > "$WORK/agent.log"
  "$@" --id real-agent --server "$WS" --file "$file" --reconnect-interval 100 --prehash-delay 1000 \
    >> "$WORK/agent.log" 2>&1 &
  AGENT=$!
  PIDS+=("$AGENT")
  for _ in $(seq 6000); do grep -q 'ahead of a pull' "$WORK/agent.log" && return; sleep 0.1; done
  fail "the agent did not hash its file: $(tail -3 "$WORK/agent.log")"
}

# The real agent's pulls: PULL_REPEAT rows after a warm-up of two.
agent_pulls() { # label, file
  for i in 1 2; do timed_pull real-agent "$2" "$PULL_MIB" > /dev/null; done
  for i in $(seq "${PULL_REPEAT:-3}"); do
    read -r secs rate < <(timed_pull real-agent "$2" "$PULL_MIB")
    printf '  %-28s %4s MiB %7.2f s %6.0f MB/s\n' "$1" "$PULL_MIB" "$secs" "$rate"
  done
}

idle() {
  local counts=("$@")
  [ ${#counts[@]} -gt 0 ] || counts=(1000 5000 20000)
  local heartbeat="${HEARTBEAT:-5000}" seconds="${IDLE_SECONDS:-60}"
  generate "$WORK/served.bin" "$PULL_MIB"
  for n in "${counts[@]}"; do
    need_fds $((n + 1024))
    rm -rf "$WORK/data" "$WORK/downloads"
    : > "$WORK/server.log"
    say "== $n idle agents: server -Xmx${SERVER_HEAP:-1g}, HEARTBEAT_INTERVAL $heartbeat ms, swarm reconnect interval ${RECONNECT:-1000} ms"
    start_server "${SERVER_HEAP:-1g}" --heartbeat-interval "$heartbeat"
    local heap0 rss0 heap1 rss1 dial storm cpu0 cpu1 pongs0 pongs1
    heap0=$(heap_after_gc "$SERVER"); rss0=$(rss "$SERVER")
    start_agent "$WORK/served.bin" java -Xmx128m "$LOGGING" -jar target/silentmode.jar agent
    start_swarm "$n"
    dial=$(await_connected $((n + 1)) 600)
    sleep 5
    heap1=$(heap_after_gc "$SERVER"); rss1=$(rss "$SERVER")
    printf '  %-28s %.1f s after the swarm JVM started (%s)\n' "$n agents connected" "$dial" \
      "$(grep -o 'registered [0-9.]* s after dialing' "$WORK/swarm.log" || echo 'swarm: not all registered')"
    printf '  %-28s %s MiB -> %s MiB after GC: %.1f KiB per agent\n' "server heap" "$heap0" "$heap1" \
      "$(echo "($heap1 - $heap0) * 1024 / $n" | bc -l)"
    printf '  %-28s %s MiB -> %s MiB: %.1f KiB per agent\n' "server RSS" "$rss0" "$rss1" \
      "$(echo "($rss1 - $rss0) * 1024 / $n" | bc -l)"
    # The JIT compiles the heartbeat path only after many heartbeats; a server runs for weeks, so measure it warm.
    sleep "${WARM_SECONDS:-30}"
    cpu0=$(cpu_seconds "$SERVER"); pongs0=$(grep -o 'pongs [0-9]*' "$WORK/swarm.log" | tail -1 | cut -d' ' -f2)
    sleep "$seconds"
    cpu1=$(cpu_seconds "$SERVER"); pongs1=$(grep -o 'pongs [0-9]*' "$WORK/swarm.log" | tail -1 | cut -d' ' -f2)
    printf '  %-28s %.2f s of CPU in %d s (%.1f %% of a core), %d PONGs: %.0f us per heartbeat\n' "server at rest" \
      "$(echo "$cpu1 - $cpu0" | bc)" "$seconds" "$(echo "100 * ($cpu1 - $cpu0) / $seconds" | bc -l)" \
      "$((pongs1 - pongs0))" "$(echo "($cpu1 - $cpu0) * 1000000 / ($pongs1 - $pongs0 + 1)" | bc -l)"
    agent_pulls "pull, $n agents connected" "$WORK/served.bin"
    # The reconnect storm: the server goes away and comes back; every agent dials again, with its backoff.
    stop "$SERVER"
    local restarted=$(date +%s.%N)
    start_server "${SERVER_HEAP:-1g}" --heartbeat-interval "$heartbeat"
    local up=$(echo "$(date +%s.%N) - $restarted" | bc)
    storm=$(await_connected $((n + 1)) 600)
    printf '  %-28s %.1f s after the server was up again (it took %.1f s to start); swarm reconnects: %s\n' \
      "reconnect storm" "$storm" "$up" "$(grep -o 'reconnects [0-9]*' "$WORK/swarm.log" | tail -1 | cut -d' ' -f2)"
    printf '  %-28s %s MiB after GC, RSS %s MiB, peak RSS %s\n' "server after the storm" "$(heap_after_gc "$SERVER")" \
      "$(rss "$SERVER")" "$(awk '/^VmHWM/ {printf "%.0f MiB", $2 / 1024}' "/proc/$SERVER/status")"
    # The same pulls once the swarm has gone.
    stop "$SWARM"
    for _ in $(seq 600); do [ "$(connected)" = 1 ] && break; sleep 0.1; done
    agent_pulls "pull, no swarm" "$WORK/served.bin"
    stop "$AGENT"; stop "$SERVER"
  done
}

pulls() {
  local counts=("$@")
  [ ${#counts[@]} -gt 0 ] || counts=(1 10 50)
  generate "$WORK/served.bin" "$PULL_MIB"
  need_fds 1024
  say "== concurrent pulls of $PULL_MIB MiB from distinct agents: server -Xmx${SERVER_HEAP:-2g}"
  printf '  %5s %10s %11s %12s %8s %14s %14s\n' pulls aggregate "vs single" "slowest pull" failed "peak heap MiB" "peak RSS MiB"
  local single=""
  for k in "${counts[@]}"; do
    rm -rf "$WORK/data" "$WORK/downloads"
    : > "$WORK/server.log"
    start_server "${SERVER_HEAP:-2g}"
    # Real agents, all in the swarm's JVM: K JVMs would take the memory and CPU the measure is about.
    start_swarm "$k" --serving "$k" --file "$WORK/served.bin" --prehash-delay 1000 --id-prefix p-
    await_connected "$k" 120 > /dev/null
    await_hashed_ahead "$k"
    sample "$SERVER"
    local round result
    for round in warm-up measured; do
      local rss_from heap_from ids=() posts=() i
      rss_from=$(wc -l < "$WORK/$SERVER.rss"); heap_from=$(wc -l < "$WORK/$SERVER.heap")
      # All K asked for at once: the POSTs run side by side.
      for i in $(seq 0 $((k - 1))); do start_pull "p-$i" > "$WORK/id.$i" & posts+=($!); done
      wait "${posts[@]}"
      for i in $(seq 0 $((k - 1))); do ids+=("$(cat "$WORK/id.$i")"); done
      result=$(for id in "${ids[@]}"; do finish_pull "$id" "$WORK/served.bin"; done)
      [ "$round" = measured ] || continue
      local failed rate slowest
      failed=$(grep -vc ' completed$' <<< "$result" || true)
      read -r rate slowest < <(awk -v s="$PULL_MIB" -v k="$k" '$3 == "completed" {
        if (first == "" || $1 < first) first = $1; if ($2 > last) last = $2; if ($2 - $1 > slow) slow = $2 - $1; n++ }
        END { printf "%.0f %.2f\n", n * s * 1.048576 / (last - first), slow }' <<< "$result")
      [ -n "$single" ] || single="$rate"
      sleep 0.3 # the last samples
      printf '  %5d %5s MB/s %10.0f %% %10s s %8d %14s %14s\n' "$k" "$rate" "$(echo "100 * $rate / $single" | bc -l)" \
        "$slowest" "$failed" "$(peak "$SERVER" heap "$heap_from")" "$(peak "$SERVER" rss "$rss_from")"
    done
    stop "$SWARM"; stop "$SERVER"
  done
  say "  (aggregate: K x $PULL_MIB MiB over first start to last finish; 'vs single': against the first row)"
}

footprint() {
  local size="${FOOTPRINT_MIB:-1024}"
  generate "$WORK/served.bin" "$size"
  start_server "${SERVER_HEAP:-256m}"
  local launcher
  launcher=$(sed -n 's/^DEFAULT_JAVA_OPTS="\(.*\)"$/\1/p' agent/silentmode-agent)
  say "== agent footprint: $size MiB pulls, server -Xmx${SERVER_HEAP:-256m}"
  printf '  %-10s %13s %17s %17s %12s\n' options "idle RSS MiB" "peak RSS in pull" "idle after pulls" throughput
  local label opts=()
  for label in defaults launcher; do
    # The launcher itself, as installed, with its options or with the JVM's own (JAVA_OPTS set replaces them).
    if [ "$label" = defaults ]; then opts=(JAVA_OPTS=-XX:+UseG1GC); else opts=(); fi
    start_agent "$WORK/served.bin" env SILENTMODE_JAR=target/silentmode.jar "${opts[@]}" agent/silentmode-agent
    await_connected 1 30 > /dev/null
    sleep 5
    local idle0 rates=()
    idle0=$(rss "$AGENT")
    sample "$AGENT"
    for i in $(seq "${PULL_REPEAT:-3}"); do rates+=("$(timed_pull real-agent "$WORK/served.bin" "$size" | cut -d' ' -f2)"); done
    sleep 5
    printf '  %-10s %13s %17s %17s %12s\n' "$label" "$idle0" "$(peak "$AGENT" rss 0)" "$(rss "$AGENT")" \
      "$(IFS=/; echo "${rates[*]}") MB/s"
    stop "$AGENT"
  done
  say "  defaults: the JVM's own (G1, heap up to a quarter of RAM); launcher: $launcher"
  stop "$SERVER"
}

case "$SCENARIO" in
  idle | pulls | footprint) "$SCENARIO" "$@" ;;
  *) say "usage: bench/fleet.sh idle [N ...] | pulls [K ...] | footprint"; exit 2 ;;
esac
