#!/usr/bin/env bash
# nginx -t on silentmode.conf outside compose: the node host names become 127.0.0.1 (nginx resolves upstream hosts
# when it reads the file) in a copy under a temporary prefix, wrapped in a minimal nginx.conf. Run by .ci/run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/logs"
sed -E 's/\bnode[0-9]+:/127.0.0.1:/' "$here/silentmode.conf" > "$tmp/silentmode.conf"
cat > "$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $tmp/body;
    proxy_temp_path $tmp/proxy;
    include $tmp/silentmode.conf;
}
CONF
nginx -t -q -p "$tmp" -c "$tmp/nginx.conf"
echo "deploy/nginx/silentmode.conf: nginx -t ok"
