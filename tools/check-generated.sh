#!/usr/bin/env bash
# Fails when the committed generated code differs from what tools/generate.sh makes of Protos/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
"$root/tools/generate.sh" "$fresh"
status=0
for dir in Sources/CBatonProtos Sources/BatonProtos/Generated tools/codegen/Sources/CBatonCodegenDescriptor \
    tools/examples/python/generated; do
    # __pycache__: bytecode Python may write beside the generated modules it imports.
    if ! diff -r -x __pycache__ "$root/$dir" "$fresh/$dir" >"$fresh/diff.txt"; then
        echo "generated code in $dir is stale; run tools/generate.sh and commit:" >&2
        head -40 "$fresh/diff.txt" >&2
        status=1
    fi
done
[ "$status" -eq 0 ] && echo "generated code is up to date"
exit "$status"
