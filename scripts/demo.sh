#!/usr/bin/env bash
# make demo: a 3-node Vigil cluster on this machine (loopback ports), one clusterd per node, each with its own
# state folder under $DEMO_DIR; creates a group of a "VIP" and a service, waits until both run, prints
# `pcs status`. The cluster keeps running: `make demo-stop` (scripts/demo.sh stop) stops it cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release}
DEMO_DIR=${DEMO_DIR:-/tmp/vigil-demo}
BASE_PORT=${BASE_PORT:-15411}
NODES=(node1 node2 node3)

stop_cluster() {
  local pids=()
  for n in "${NODES[@]}"; do
    if [ -f "$DEMO_DIR/$n/clusterd.pid" ]; then
      pid=$(cat "$DEMO_DIR/$n/clusterd.pid")
      if kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid"; pids+=("$pid"); fi
      rm -f "$DEMO_DIR/$n/clusterd.pid"
    fi
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && { echo "clusterd $pid did not stop in 30 s; killing it"; kill -KILL "$pid"; }
  done
  # Services started by the agents of this demo only (pid files in the demo's own folders).
  for f in "$DEMO_DIR"/node*/agents/run/*.pid; do
    [ -f "$f" ] && pid=$(cat "$f") && [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null || true
  done
  echo "demo cluster stopped (state kept in $DEMO_DIR; remove it for a fresh start)"
}

if [ "${1:-}" = stop ]; then stop_cluster; exit 0; fi

for b in clusterd pcs; do
  [ -x "$BIN/$b" ] || { echo "error: $BIN/$b is missing: run 'make build' first" >&2; exit 1; }
done
for a in /usr/lib/ocf/resource.d/heartbeat/Dummy /usr/lib/ocf/resource.d/heartbeat/anything; do
  [ -x "$a" ] || { echo "error: $a is missing: install resource-agents (make deps)" >&2; exit 1; }
done
if [ -f "$DEMO_DIR/node1/clusterd.pid" ] && kill -0 "$(cat "$DEMO_DIR/node1/clusterd.pid")" 2>/dev/null; then
  echo "error: the demo cluster is already running; 'make demo-stop' first" >&2
  exit 1
fi
rm -rf "$DEMO_DIR"
mkdir -p "$DEMO_DIR"
{
  echo "totem {"; echo "    version: 2"; echo "    cluster_name: vigil-demo"; echo "    transport: knet"
  echo "    token: 400"; echo "}"; echo "nodelist {"
  for i in 1 2 3; do
    echo "    node {"; echo "        ring0_addr: 127.0.0.1"; echo "        name: node$i"; echo "        nodeid: $i"
    echo "        vigil_port: $((BASE_PORT + i - 1))"; echo "    }"
  done
  echo "}"; echo "quorum {"; echo "    provider: corosync_votequorum"; echo "}"
} > "$DEMO_DIR/corosync.conf"
head -c 256 /dev/urandom > "$DEMO_DIR/authkey"
chmod 600 "$DEMO_DIR/authkey"

for n in "${NODES[@]}"; do
  mkdir -p "$DEMO_DIR/$n"
  "$BIN/clusterd" --corosync-conf "$DEMO_DIR/corosync.conf" --authkey "$DEMO_DIR/authkey" \
    --state-dir "$DEMO_DIR/$n" --node "$n" --socket "$DEMO_DIR/$n/clusterd.sock" --private-agent-dirs \
    > "$DEMO_DIR/$n/clusterd.log" 2>&1 &
  echo $! > "$DEMO_DIR/$n/clusterd.pid"
done
echo "started clusterd on node1 node2 node3 (state in $DEMO_DIR/nodeN, logs in $DEMO_DIR/nodeN/clusterd.log)"

export VIGIL_SOCKET="$DEMO_DIR/node1/clusterd.sock"
pcs() { "$BIN/pcs" "$@"; }
for _ in $(seq 1 100); do
  pcs status 2>/dev/null | grep -q "partition with quorum" && break
  sleep 0.2
done
pcs status | grep -q "partition with quorum" || { echo "error: no quorate DC after 20 s; see the logs" >&2; exit 1; }

echo "+ pcs property set stonith-enabled=false"
pcs property set stonith-enabled=false
echo "+ pcs resource create VIP ocf:heartbeat:Dummy op monitor interval=5s --group web"
pcs resource create VIP ocf:heartbeat:Dummy op monitor interval=5s --group web
echo "+ pcs resource create service ocf:heartbeat:anything binfile=/bin/sleep cmdline_options=infinity op monitor interval=5s --group web"
pcs resource create service ocf:heartbeat:anything binfile=/bin/sleep cmdline_options=infinity \
  op monitor interval=5s --group web
for _ in $(seq 1 150); do
  [ "$(pcs status resources | grep -c 'Started')" -ge 2 ] && break
  sleep 0.2
done
echo
echo "+ pcs status"
pcs status
echo
echo "The cluster keeps running. Try: VIGIL_SOCKET=$DEMO_DIR/node2/clusterd.sock $BIN/pcs node standby node1"
echo "Stop it with: make demo-stop"
