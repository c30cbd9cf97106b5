#!/usr/bin/env bash
# A cluster of three real server processes with one real PostgreSQL, and AGENTS (10) real agent processes, on
# loopback. It measures, with every copy checked against its source with sha256sum:
#   1. one node: every agent dials node 1 first; a pull from each, all at once, asked through node 1: aggregate MB/s;
#   2. three nodes: the agents spread over the nodes (each lists all three in SERVER_WS_URL, its own first); a pull
#      from each, asked through every node in turn: aggregate MB/s;
#   3. a node killed: the same pulls again, and node 1 gets SIGKILL once its pulls are about a third done. Its agents
#      dial the next node, the others claim node 1's jobs from PostgreSQL, the pulls resume from the shared part
#      files. It prints the jobs completed, failed and lost (asked for, then found on no node), whether every file is
#      byte-identical, the time until every agent is connected again, and the part files left.
# Environment: AGENTS (10), SIZE_MIB (64, per agent), SERVER_HEAP (512m), BENCH_PORT (19100: API ports from it,
# agents' ports from +10, Hazelcast from +20, event bus from +30).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/silentmode.jar ] || mvn -B -q package -DskipTests
AGENTS="${AGENTS:-10}"
SIZE_MIB="${SIZE_MIB:-64}"
BASE="${BENCH_PORT:-19100}"
WORK="$(mktemp -d)"
chmod 755 "$WORK"
PIDS=()
PG_UP=
LOGGING=-Dlogback.configurationFile=bench/logback.xml
say() { printf '%s\n' "$*"; }
fail() { say "FAILED: $*"; exit 1; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
cleanup() {
  kill -9 "${PIDS[@]}" 2>/dev/null || true
  wait 2>/dev/null || true
  [ -n "$PG_UP" ] && as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -m immediate stop > /dev/null 2>&1 || true
  [ -n "${KEEP:-}" ] && echo "kept $WORK" || rm -rf "$WORK"
}
trap cleanup EXIT
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

# ---- PostgreSQL: Debian's binaries, a temp data directory, a free loopback port ----
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
PGPORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
mkdir -p "$WORK/pg" && [ "$(id -u)" = 0 ] && chown postgres "$WORK/pg"
as_postgres "$PGBIN/initdb" -D "$WORK/pg" -U silentmode --auth=trust > "$WORK/initdb.log" 2>&1
as_postgres "$PGBIN/pg_ctl" -D "$WORK/pg" -l "$WORK/pg/server.log" -w \
  -o "-p $PGPORT -k $WORK/pg -c listen_addresses=127.0.0.1 -c fsync=on" start > /dev/null
PG_UP=1
as_postgres "$PGBIN/psql" -h 127.0.0.1 -p "$PGPORT" -U silentmode -d postgres -qc "CREATE DATABASE silentmode" > /dev/null
DB="postgresql://silentmode@127.0.0.1:$PGPORT/silentmode"

# ---- three servers: one shared DOWNLOAD_DIR, a DATA_DIR each ----
api() { echo "http://127.0.0.1:$((BASE + $1))"; }
ws() { echo "ws://127.0.0.1:$((BASE + 10 + $1))"; }
MEMBERS="127.0.0.1:$((BASE + 21)),127.0.0.1:$((BASE + 22)),127.0.0.1:$((BASE + 23))"
declare -A SERVER
start_server() { # n
  local n="$1"
  java -Xmx"${SERVER_HEAP:-512m}" "$LOGGING" -jar target/silentmode.jar server --host 127.0.0.1 \
    --port "$((BASE + n))" --ws-port "$((BASE + 10 + n))" --data-dir "$WORK/data-$n" --download-dir "$WORK/downloads" \
    --database-url "$DB" --cluster --node-name "n$n" --cluster-host 127.0.0.1 --cluster-port "$((BASE + 20 + n))" \
    --cluster-bus-port "$((BASE + 30 + n))" --cluster-members "$MEMBERS" --api-rate-limit 0 \
    --max-agent-connections-per-address 1000 >> "$WORK/server-$n.log" 2>&1 &
  SERVER[$n]=$!
  PIDS+=("$!")
}
await_ready() { # n
  for _ in $(seq 900); do curl -sf "$(api "$1")/api/v1/health/ready" > /dev/null 2>&1 && return; sleep 0.1; done
  fail "node $1 not ready in 90 s: $(tail -5 "$WORK/server-$1.log")"
}
start_server 1
await_ready 1
# One enrollment token for the cluster: node 1's, copied to the others before they start (docs/OPERATIONS.md §9).
for n in 2 3; do mkdir -p "$WORK/data-$n"; cp -p "$WORK/data-1/enrollment-token" "$WORK/data-$n/"; done
start_server 2
start_server 3
await_ready 2
await_ready 3
TOKEN="$(cat "$WORK/data-1/admin.token")"
AUTH=(-H "Authorization: Bearer $TOKEN")
say "cluster: $(curl -sf "$(api 2)/api/v1/health/ready" | json '[c for c in d["checks"] if c["id"]=="cluster"][0]["data"]["members"]'), PostgreSQL on $PGPORT"

# ---- agents: their own JVMs, a file of SIZE_MIB each ----
for i in $(seq "$AGENTS"); do head -c "$((SIZE_MIB * 1024 * 1024))" /dev/urandom > "$WORK/src-$i.bin"; done
declare -A AGENT
start_agents() { # first: the node every agent lists first, or "spread"
  for i in $(seq "$AGENTS"); do
    local first=$(( $1 == 0 ? (i - 1) % 3 + 1 : $1 ))
    local urls
    urls="$(ws "$first"),$(ws $(( first % 3 + 1 ))),$(ws $(( (first + 1) % 3 + 1 )))"
    ENROLLMENT_TOKEN="$(cat "$WORK/data-1/enrollment-token")" AGENT_STATE_FILE="$WORK/agent-$i.state.json" AGENT_ALLOW_ROOT=true \
      java -Xmx64m "$LOGGING" -jar target/silentmode.jar agent --id "shop-$i" --server "$urls" --file "$WORK/src-$i.bin" \
      --reconnect-interval 200 --prehash-delay 500 >> "$WORK/agent-$i.log" 2>&1 &
    AGENT[$i]=$!
    PIDS+=("$!")
  done
}
stop_agents() { for i in $(seq "$AGENTS"); do kill "${AGENT[$i]}" 2>/dev/null || true; done; sleep 2; }
connected() { # via node n: how many agents are connected, and how many of them not on node $2
  curl -sf "${AUTH[@]}" "$(api "$1")/api/v1/clients?connected=true&limit=500" \
    | json "'%d %d' % (len(d['items']), len([c for c in d['items'] if c.get('node') != 'n$2']))" 2>/dev/null || echo "0 0"
}
await_agents() { # via node n
  for _ in $(seq 600); do [ "$(connected "$1" 0 | cut -d' ' -f1)" = "$AGENTS" ] && return; sleep 0.1; done
  fail "not every agent connected: $(connected "$1" 0)"
}

declare -A JOB
start_pulls() { # through: a node number, or 0 for every node in turn
  for i in $(seq "$AGENTS"); do
    local via=$(( $1 == 0 ? (i - 1) % 3 + 1 : $1 ))
    JOB[$i]=$(curl -sf "${AUTH[@]}" -H 'Content-Type: application/json' -d "{\"clientId\":\"shop-$i\"}" \
      "$(api "$via")/api/v1/downloads" | json 'd["requestId"]')
  done
}
job() { curl -s "${AUTH[@]}" "$(api "$1")/api/v1/downloads/$2"; }
await_pulls() { # via node n; prints completed failed lost, and checks every completed copy
  local completed=0 failed=0 lost=0 identical=0
  for i in $(seq "$AGENTS"); do
    local status=""
    for _ in $(seq 3000); do
      status=$(job "$1" "${JOB[$i]}" | json 'd.get("status", d.get("code"))' 2>/dev/null || echo none)
      case "$status" in completed|failed|cancelled) break ;; esac
      sleep 0.1
    done
    case "$status" in
      completed)
        completed=$((completed + 1))
        local path
        path=$(job "$1" "${JOB[$i]}" | json 'd["file"]["path"]')
        [ "$(sha256sum < "$path" | cut -d' ' -f1)" = "$(sha256sum < "$WORK/src-$i.bin" | cut -d' ' -f1)" ] && identical=$((identical + 1)) ;;
      failed|cancelled) failed=$((failed + 1)) ;;
      *) lost=$((lost + 1)) ;;
    esac
  done
  echo "$completed $failed $lost $identical"
}
rate() { python3 -c "print(f'{$1 * $SIZE_MIB * 1.048576 / $2:.0f}')"; }
now() { date +%s.%N; }

# ---- 1. one node ----
start_agents 1
await_agents 1
sleep 3 # the agents hash their files ahead (PREHASH_DELAY), as they would have long before a pull
t0=$(now); start_pulls 1; read -r c f l same < <(await_pulls 1); t1=$(now)
ONE=$(rate "$c" "$(python3 -c "print($t1 - $t0)")")
say "1. one node: $c/$AGENTS completed ($same identical), $(printf '%.1f' "$(python3 -c "print($t1 - $t0)")") s, $ONE MB/s aggregate"
stop_agents

# ---- 2. three nodes ----
start_agents 0
await_agents 2
sleep 3
t0=$(now); start_pulls 0; read -r c f l same < <(await_pulls 3); t1=$(now)
THREE=$(rate "$c" "$(python3 -c "print($t1 - $t0)")")
say "2. three nodes: $c/$AGENTS completed ($same identical), $(printf '%.1f' "$(python3 -c "print($t1 - $t0)")") s, $THREE MB/s aggregate ($(python3 -c "print(f'{$THREE / max($ONE, 1):.2f}')")x one node)"

# ---- 3. node 1 killed mid-pull ----
t0=$(now); start_pulls 0
target=$((SIZE_MIB * 1024 * 1024 / 3))
for _ in $(seq 3000); do
  done_bytes=$(job 1 "${JOB[1]}" | json 'd.get("bytesDone") or 0' 2>/dev/null || echo 0)
  [ "$done_bytes" -ge "$target" ] && break
  sleep 0.05
done
kill -9 "${SERVER[1]}"
killed=$(now)
for _ in $(seq 1200); do
  read -r total away < <(connected 2 1)
  [ "$total" = "$AGENTS" ] && [ "$away" = "$AGENTS" ] && break
  sleep 0.1
done
rehomed=$(now)
read -r c f l same < <(await_pulls 2); t1=$(now)
parts=$(find "$WORK/downloads" -name '.*.part' -o -name '.*.sums' | wc -l)
say "3. node 1 killed (SIGKILL) at a third of its first pull: $c completed, $f failed, $l lost of $AGENTS;" \
  "$same byte-identical; agents connected again $(printf '%.1f' "$(python3 -c "print($rehomed - $killed)")") s after the kill;" \
  "all done $(printf '%.1f' "$(python3 -c "print($t1 - $t0)")") s after the start; $parts part files left"
[ "$c" = "$AGENTS" ] && [ "$same" = "$AGENTS" ] && [ "$l" = 0 ] || fail "a job was lost, failed or not identical"
