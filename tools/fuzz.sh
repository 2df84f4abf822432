#!/usr/bin/env bash
# Builds Baton's libFuzzer targets (tools/fuzz, a package of its own) and runs each for a given
# time on a copy of its seed corpus (tools/fuzz/corpus/TARGET). Fails when any target finds a
# crash (or a timeout or out-of-memory), printing the saved input's path.
# Usage: tools/fuzz.sh [--seconds N] [--keep-going] [target...]
#   targets: frames codec requests connection (default: all)
#   --keep-going: run on after a crash (libFuzzer's fork mode), to collect every crash of a run
# Inputs, logs and the grown corpus go to tools/fuzz/.artifacts/ (not in git).
# Replay a saved input: tools/fuzz/.build/release/fuzz-TARGET PATH
set -euo pipefail
cd "$(dirname "$0")/fuzz"

seconds=60
targets=()
keep_going=()
while (($#)); do
    case "$1" in
        --seconds) seconds=$2; shift 2 ;;
        --keep-going) keep_going=(-fork=1 -ignore_crashes=1 -ignore_ooms=1 -ignore_timeouts=1); shift ;;
        -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 64 ;;
        *) targets+=("$1"); shift ;;
    esac
done
((${#targets[@]})) || targets=(frames codec requests connection)

flags=(-c release -Xswiftc -sanitize=fuzzer)
swift build "${flags[@]}"
bin=$(swift build "${flags[@]}" --show-bin-path)

# libFuzzer saves the input of a crash only when the Swift runtime leaves the signal to it.
export SWIFT_BACKTRACE=enable=no
artifacts=$PWD/.artifacts/$(date +%Y%m%d-%H%M%S)
mkdir -p "$artifacts"
failed=0
for target in "${targets[@]}"; do
    [[ -x "$bin/fuzz-$target" ]] || { echo "fuzz.sh: no target $target" >&2; exit 64; }
    # A copy, so that what the run adds stays out of git.
    corpus=$artifacts/corpus-$target
    mkdir -p "$corpus"
    cp corpus/"$target"/* "$corpus"/
    # Inputs that once crashed batond: replayed first by every run, so a fix cannot regress.
    for input in regressions/"$target"-*; do [[ -e "$input" ]] && cp "$input" "$corpus"/; done
    log=$artifacts/$target.log
    echo "fuzz.sh: $target for ${seconds}s (log: $log)"
    status=0
    # The value profile steers mutations toward the operands of comparisons, such as the
    # range checks in front of integer conversions.
    "$bin/fuzz-$target" -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -print_final_stats=1 \
        -use_value_profile=1 -dict=corpus/baton.dict -artifact_prefix="$artifacts/$target-" \
        ${keep_going[@]+"${keep_going[@]}"} "$corpus" >"$log" 2>&1 || status=$?
    grep -E '^#[0-9]+[[:space:]]+(INITED|DONE)' "$log" | sed "s/^/  $target: /" || true
    grep -E '^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)' "$log" | sed "s/^/  $target: /" || true
    found=$(find "$artifacts" -maxdepth 1 -name "$target-*" | wc -l)
    if ((status != 0 || found > 0)); then
        failed=1
        echo "fuzz.sh: $target FAILED (exit $status):" >&2
        grep -E -A40 '^==[0-9]+== ERROR|deadly signal|Fatal error|Precondition failed|ERROR: libFuzzer' "$log" | head -60 >&2 || tail -40 "$log" >&2
        for input in "$artifacts/$target-"*; do
            [[ -e "$input" ]] && echo "fuzz.sh: crashing input: $input (replay: $bin/fuzz-$target $input)" >&2
        done
    fi
done
exit $failed
