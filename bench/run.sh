#!/usr/bin/env bash
# Throughput and memory benchmark: pulls a generated 100 MiB and 1 GiB file through a real server and agent
# on loopback and prints seconds, MB/s, peak heap and peak RSS. Memory must not grow with the file size.
# Usage: bench/run.sh [extra demo flags, e.g. --chunk-window 16]
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f target/silentmode.jar ] || mvn -B -q package -DskipTests
for size in 100 1024; do
  echo "== ${size} MiB"
  java -Xmx512m -Djava.util.logging.config.file=bench/logging.properties \
    -jar target/silentmode.jar demo --size-mib "$size" --cleanup "$@" 2>/dev/null
done
