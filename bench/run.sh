#!/usr/bin/env bash
# Throughput and memory benchmark: the server (in `demo --external-agent`) pulls a generated 100 MiB and 1 GiB
# file from an agent running in its own JVM on loopback, and prints seconds, MB/s, and the server JVM's peak
# heap and peak RSS. Memory must not grow with the file size.
# Usage: bench/run.sh [extra server flags, e.g. --chunk-window 16]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/silentmode.jar ] || mvn -B -q package -DskipTests
PORT="${BENCH_PORT:-18080}"
WORK="$(mktemp -d)"
AGENT_PID=""
trap '[ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
LOGGING="-Djava.util.logging.config.file=bench/logging.properties"

for size in 100 1024; do
  echo "== ${size} MiB"
  head -c "$((size * 1024 * 1024))" /dev/urandom > "$WORK/file_to_download.txt"
  java -Xmx256m "$LOGGING" -jar target/silentmode.jar agent --id bench-agent \
    --server "ws://127.0.0.1:$PORT" --file "$WORK/file_to_download.txt" --reconnect-interval 100 2>/dev/null &
  AGENT_PID=$!
  java -Xmx${SERVER_HEAP:-64m} "$LOGGING" -jar target/silentmode.jar demo --external-agent bench-agent --ws-port "$PORT" \
    --host 127.0.0.1 --cleanup "$@" 2>/dev/null
  echo "Source   $(sha256sum "$WORK/file_to_download.txt" | cut -c1-64) (sha256sum of the agent's file)"
  kill "$AGENT_PID"; wait "$AGENT_PID" 2>/dev/null || true; AGENT_PID=""
done
