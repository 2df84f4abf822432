#!/usr/bin/env bash
# Runs the RPC benchmark twice: unpinned (client and server threads may land on different
# CPUs: a cross-CPU wake-up per hop) and pinned to one CPU (taskset -c 0). Compare each Baton
# figure only with the floor printed beside it.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release --product baton-rpc-benchmark >&2
binary=.build/release/baton-rpc-benchmark
echo "== unpinned"
"$binary" "$@"
echo "== pinned to CPU 0"
taskset -c 0 "$binary" "$@"
