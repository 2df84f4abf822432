#!/usr/bin/env bash
# The RPC load benchmark: the C client of tools/benchmarks/rpc-load (written from
# Protos/PROTOCOL.md alone) against the real batond, next to a raw C echo of the same payload
# over a Unix socket (the floor), measured the same way in the same run.
#
#   tools/benchmarks/rpc-load.sh [--runs N] [--seconds D] [--connections C] [--in-flight K] [--perf]
#
# Builds batond in release, compiles the client with cc -O2, starts batond
# (--enable-test-service) and the floor server on sockets in a temporary folder, runs each mode
# N times (default 3) and prints one table of medians:
#   sequential, pinned   one call at a time; client and server (all its threads) on CPU 0
#   sequential           one call at a time, unpinned
#   1 x K                one connection, K calls in flight (pipelined stream ids), unpinned
#   C x K                C connections, K calls in flight on each, unpinned
# Server CPU per call is utime + stime of the server process (/proc/PID/stat) over the measured
# seconds divided by the calls answered; client CPU per call is the client's own.
# --perf also records a cpu-clock profile of batond for 5 s of the 1 x K mode and prints its
# top symbols. The machine is shared: the load average is printed with the figures.
set -euo pipefail

runs=3 seconds=3 connections=4 in_flight=32 profile=0
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs="$2"; shift 2 ;;
        --seconds) seconds="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --in-flight) in_flight="$2"; shift 2 ;;
        --perf) profile=1; shift ;;
        *) echo "usage: $0 [--runs N] [--seconds D] [--connections C] [--in-flight K] [--perf]" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
swift build -c release --product batond >&2
batond="$(swift build -c release --show-bin-path)/batond"

work="$(mktemp -d /tmp/rpc-load.XXXXXX)"
batond_pid="" floor_pid=""
cleanup() {
    local pid
    for pid in $batond_pid $floor_pid; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    rm -rf "$work"
}
trap cleanup EXIT

cc -O2 -Wall -o "$work/rpc-load" tools/benchmarks/rpc-load/rpc_load.c -lpthread

"$batond" --socket "$work/batond.sock" --data-dir "$work/data" --enable-test-service --log-level warning \
    2>"$work/batond.log" &
batond_pid=$!
"$work/rpc-load" floor-server "$work/floor.sock" &
floor_pid=$!
for _ in $(seq 100); do
    [ -S "$work/batond.sock" ] && [ -S "$work/floor.sock" ] && break
    sleep 0.1
done
[ -S "$work/batond.sock" ] || { cat "$work/batond.log" >&2; echo "batond did not start" >&2; exit 1; }

every_cpu="0-$(($(nproc) - 1))"
# Pins every thread of a server (batond's event loops and its Swift concurrency pool) to $2.
place_server() { taskset -a -p -c "$2" "$1" >/dev/null; }

# run WIRE PID SOCKET CONNECTIONS IN_FLIGHT CPU(empty: unpinned) -> one key=value line
measure() {
    local wire="$1" pid="$2" socket="$3" conns="$4" k="$5" cpu="$6"
    local client=("$work/rpc-load" run --socket "$socket" --server-pid "$pid" --wire "$wire"
        --connections "$conns" --in-flight "$k" --seconds "$seconds")
    if [ -n "$cpu" ]; then
        place_server "$pid" "$cpu"
        taskset -c "$cpu" "${client[@]}"
    else
        place_server "$pid" "$every_cpu"
        "${client[@]}"
    fi
}

# A first pass lets batond start the threads it will use, so that pinning reaches all of them.
"$work/rpc-load" run --socket "$work/batond.sock" --server-pid "$batond_pid" --connections "$connections" \
    --in-flight "$in_flight" --seconds 1 >/dev/null

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
results="$work/results"
for run in $(seq "$runs"); do
    for mode in "sequential, pinned|1|1|0" "sequential|1|1|" "1 x $in_flight|1|$in_flight|" \
        "$connections x $in_flight|$connections|$in_flight|"; do
        IFS='|' read -r name conns k cpu <<<"$mode"
        echo "run $run: $name" >&2
        echo "run=$run mode=$name|$(measure floor "$floor_pid" "$work/floor.sock" "$conns" "$k" "$cpu")" >>"$results"
        echo "run=$run mode=$name|$(measure baton "$batond_pid" "$work/batond.sock" "$conns" "$k" "$cpu")" >>"$results"
    done
done
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$results" "$runs" "$load_before" "$load_after" "$in_flight" "$connections" <<'EOF'
import statistics, sys
path, runs, load_before, load_after, k, c = sys.argv[1:]
rows = {}
for line in open(path):
    head, figures = line.rstrip("\n").split("|", 1)
    run, mode = head.split(" ", 1)
    fields = dict(item.split("=") for item in figures.split())
    rows.setdefault(mode[len("mode="):], {}).setdefault(fields["wire"], []).append(
        {key: float(value) for key, value in fields.items() if key != "wire"})

def median(mode, wire, key):
    return statistics.median(row[key] for row in rows[mode][wire])

def median_ratio(mode, key):
    return statistics.median(b[key] / f[key] for b, f in zip(rows[mode]["baton"], rows[mode]["floor"]) if f[key])

print(f"RPC load, 64-byte TestService/Unary echo, medians of {runs} runs; "
      f"load average {load_before} before, {load_after} after\n")
print("| mode | server | calls/s | p50 | p99 | server CPU/call | client CPU/call | p50 vs floor | server CPU vs floor |")
print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for mode in rows:
    for wire, label in (("floor", "raw C floor"), ("baton", "batond")):
        ratios = ("", "")
        if wire == "baton":
            ratios = (f"{median_ratio(mode, 'p50_us'):.2f}x", f"{median_ratio(mode, 'server_cpu_us'):.1f}x")
        print(f"| {mode} | {label} | {median(mode, wire, 'calls_per_s'):,.0f} | {median(mode, wire, 'p50_us'):.1f} us"
              f" | {median(mode, wire, 'p99_us'):.1f} us | {median(mode, wire, 'server_cpu_us'):.2f} us"
              f" | {median(mode, wire, 'client_cpu_us'):.2f} us | {ratios[0]} | {ratios[1]} |")
failures = sum(row["failures"] for wires in rows.values() for runs_ in wires.values() for row in runs_)
print(f"\nTargets (issue 12): server CPU per call at 1 x 32 <= 3 us: "
      f"{median(f'1 x {k}', 'baton', 'server_cpu_us'):.2f} us; "
      f">= 300,000 calls/s at 4 x 32: {median(f'{c} x {k}', 'baton', 'calls_per_s'):,.0f}; "
      f"sequential pinned p50 <= 1.8x floor: {median_ratio('sequential, pinned', 'p50_us'):.2f}x")
if failures:
    print(f"{failures:.0f} calls failed (see stderr)")
EOF

if [ "$profile" = 1 ]; then
    place_server "$batond_pid" "$every_cpu"
    "$work/rpc-load" run --socket "$work/batond.sock" --server-pid "$batond_pid" --in-flight "$in_flight" \
        --seconds 7 --warmup 0 >/dev/null &
    client_pid=$!
    sleep 1
    perf record -q -g -e cpu-clock -p "$batond_pid" -o "$work/perf.data" -- sleep 5 2>/dev/null
    wait "$client_pid"
    echo
    top_symbols() {
        perf report -i "$work/perf.data" --stdio "$1" --sort symbol -g none --percent-limit 0.7 2>/dev/null |
            grep -v -e '^#' -e '^$' | swift demangle --simplified | cut -c1-150 | sed -n "1,$2{s/ *$//;p}"
    }
    echo "cpu-clock profile of batond, 1 x $in_flight, 5 s; self time, top symbols:"
    top_symbols --no-children 30
    echo
    echo "the same profile, time including callees:"
    top_symbols --children 45
fi
