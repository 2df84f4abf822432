#!/usr/bin/env bash
# The PostgreSQL benchmark: two batonds sharing one throwaway PostgreSQL cluster (fsync on, Unix
# socket only), driven over their sockets by tools/benchmarks/postgres-benchmark, next to the
# server's raw commit rate measured in the same run: pgbench committing one single-row INSERT
# per transaction on as many connections as there are callers.
#
#   tools/benchmarks/postgres-transfer.sh [--seconds D] [--callers C]
#
# Builds batond and the client in release, makes the cluster in a temporary folder (as the
# postgres user when run as root: the server refuses root), and prints:
#   transfers     C callers (default 16) in aggregate, half on each batond, each moving a chat of
#                 its own between two reps of its own (TransferChat, DIRECT) for D seconds
#                 (default 5): transfers/s, p50 and p99 of a call, and the ratio to the raw rate
#   availability  QueryAvailability for a 10-rep team over 31 days, each rep with 200 meetings
#                 booked in the range: p50 and p99
# The machine is shared: the load average is printed with the figures.
set -euo pipefail

seconds=5 callers=16
while [ $# -gt 0 ]; do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --callers) callers="$2"; shift 2 ;;
        *) echo "usage: $0 [--seconds D] [--callers C]" >&2; exit 2 ;;
    esac
done

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
swift build -c release --product batond >&2
swift build -c release --product baton-postgres-benchmark >&2
bin="$(swift build -c release --show-bin-path)"
pgbin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
[ -x "$pgbin/initdb" ] || { echo "PostgreSQL is not installed; run tools/bootstrap.sh" >&2; exit 1; }

# A short path: the server's socket path must fit in 107 bytes.
work="$(mktemp -d /tmp/pgbench.XXXXXX)"
as_server=()
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$work"
    as_server=(runuser -u postgres --)
fi
pids=()
cleanup() {
    local pid
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    "${as_server[@]}" "$pgbin/pg_ctl" stop -m immediate -D "$work/data" >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap cleanup EXIT

"${as_server[@]}" "$pgbin/initdb" -D "$work/data" -U postgres --auth=trust --no-sync >/dev/null
"${as_server[@]}" "$pgbin/pg_ctl" start -w -D "$work/data" -l "$work/server.log" \
    -o "-k $work -c listen_addresses='' -c fsync=on -c max_connections=200" >/dev/null
"$pgbin/createdb" -h "$work" -U postgres baton
"$pgbin/psql" -X -q -h "$work" -U postgres -d baton -c "CREATE TABLE raw_commits (id bigserial PRIMARY KEY, value int)"
echo "INSERT INTO raw_commits (value) VALUES (1);" >"$work/insert.sql"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "raw: pgbench, $callers connections, $seconds s" >&2
raw_tps="$("$pgbin/pgbench" -n -h "$work" -U postgres -c "$callers" -j 2 -T "$seconds" -f "$work/insert.sql" baton |
    sed -n 's/^tps = \([0-9.]*\) (without initial connection time)$/\1/p')"

url="postgres://postgres@localhost/baton?host=$work"
sockets=""
for host in 1 2; do
    "$bin/batond" --socket "$work/batond-$host.sock" --postgres-url "$url" --log-level warning \
        2>"$work/batond-$host.log" &
    pids+=($!)
    sockets="$sockets${sockets:+,}$work/batond-$host.sock"
done
for _ in $(seq 100); do
    [ -S "$work/batond-1.sock" ] && [ -S "$work/batond-2.sock" ] && break
    sleep 0.1
done
[ -S "$work/batond-2.sock" ] || { cat "$work"/batond-*.log >&2; echo "batond did not start" >&2; exit 1; }

echo "batonds: $callers callers, $seconds s; then availability" >&2
"$bin/baton-postgres-benchmark" --sockets "$sockets" --callers "$callers" --seconds "$seconds" >"$work/results"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$work/results" "$raw_tps" "$load_before" "$load_after" <<'PY'
import sys
path, raw_tps, load_before, load_after = sys.argv[1:]
rows = {}
for line in open(path):
    name, *fields = line.split()
    rows[name] = dict(field.split("=") for field in fields)
transfers, availability = rows["transfers"], rows["availability"]
raw = float(raw_tps)
rate = float(transfers["per_s"])
print(f"PostgreSQL, fsync on, Unix socket; load average {load_before} before, {load_after} after\n")
print("| measurement | rate | p50 | p99 | vs raw commits |")
print("| --- | ---: | ---: | ---: | ---: |")
print(f"| raw single-row INSERT + COMMIT, pgbench, {transfers['callers']} connections | {raw:,.0f}/s | | | 1.00x |")
print(f"| TransferChat, {transfers['callers']} callers over {transfers['batonds']} batonds | {rate:,.0f}/s"
      f" | {int(transfers['p50_us']) / 1000:.2f} ms | {int(transfers['p99_us']) / 1000:.2f} ms | {rate / raw:.2f}x |")
print(f"| QueryAvailability, 10 reps, 31 days, {availability['meetings']} meetings, {availability['slots']} slots"
      f" | | {int(availability['p50_us']) / 1000:.2f} ms | {int(availability['p99_us']) / 1000:.2f} ms | |")
print(f"\nTargets (issue 11): >= 2,000 transfers/s in aggregate: {rate:,.0f} ({'met' if rate >= 2000 else 'NOT met'}); "
      f"QueryAvailability p50 < 5 ms: {int(availability['p50_us']) / 1000:.2f} ms "
      f"({'met' if int(availability['p50_us']) < 5000 else 'NOT met'})")
PY
