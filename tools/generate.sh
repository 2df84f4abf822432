#!/usr/bin/env bash
# Regenerates everything generated from Protos/, idempotently:
#   Sources/CBatonProtos/                      protoc-c output + the descriptor index (C)
#   Sources/BatonProtos/Generated/             Swift values, conversions and schema tables
#   tools/codegen/Sources/CBatonCodegenDescriptor/  protoc-c output for descriptor.proto
#   tools/examples/python/generated/           protoc --python_out, for the Python example client
# Usage: tools/generate.sh [OUTPUT_ROOT]
# OUTPUT_ROOT defaults to the repository; tools/check-generated.sh passes a scratch folder and
# compares. Needs protoc-c (protobuf-c-compiler), protoc (protobuf-compiler) and Swift.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

protos=$(cd "$root/Protos" && find . -name '*.proto' | sed 's|^\./||' | LC_ALL=C sort)
wkt=google/protobuf/timestamp.proto

# Moves protoc-c output from $1 into a C target at $2: headers under include/, sources beside.
place_c_output() {
    local from=$1 target=$2 file
    rm -rf "$target"
    mkdir -p "$target/include"
    (cd "$from" && find . -name '*.pb-c.[ch]' | sed 's|^\./||' | LC_ALL=C sort) | while read -r file; do
        case "$file" in
            *.h) mkdir -p "$target/include/$(dirname "$file")" && cp "$from/$file" "$target/include/$file" ;;
            *.c) mkdir -p "$target/$(dirname "$file")" && cp "$from/$file" "$target/$file" ;;
        esac
    done
}

# 1. protoc-c for the schema (and the one well-known type it imports).
mkdir -p "$scratch/c"
# shellcheck disable=SC2086
protoc-c --c_out="$scratch/c" -I"$root/Protos" -I/usr/include $protos $wkt
place_c_output "$scratch/c" "$out/Sources/CBatonProtos"

# 2. protoc-c for descriptor.proto, which the generator itself decodes with.
mkdir -p "$scratch/descriptor"
protoc-c --c_out="$scratch/descriptor" -I/usr/include google/protobuf/descriptor.proto
codegen_c="$out/tools/codegen/Sources/CBatonCodegenDescriptor"
place_c_output "$scratch/descriptor" "$codegen_c"
printf '%s\n' "// Written by tools/generate.sh." 'module CBatonCodegenDescriptor {' \
    '    header "google/protobuf/descriptor.pb-c.h"' '    export *' '}' >"$codegen_c/include/module.modulemap"

# 3. The FileDescriptorSet (with imports and comments) that the Swift generator reads.
# shellcheck disable=SC2086
protoc -I"$root/Protos" -I/usr/include --include_imports --include_source_info \
    --descriptor_set_out="$scratch/schema.pb" $protos

# 4. Swift values and the C descriptor index.
swift build --package-path "$root/tools/codegen" --product baton-codegen -q >&2
codegen="$(swift build --package-path "$root/tools/codegen" --show-bin-path)/baton-codegen"
rm -rf "$out/Sources/BatonProtos/Generated"
"$codegen" "$scratch/schema.pb" "$out/Sources/CBatonProtos/include" "$out/Sources/CBatonProtos" \
    "$out/Sources/BatonProtos/Generated"

# 5. Python classes for the example client (tools/examples/python). The well-known types it
# imports come with PyPI's protobuf package, so only Protos/ is compiled. protoc writes imports
# rooted at Protos/ ("from baton.v1 import common_pb2"): the client puts generated/ on sys.path.
python_out="$out/tools/examples/python/generated"
rm -rf "$python_out"
mkdir -p "$python_out"
# shellcheck disable=SC2086
protoc -I"$root/Protos" -I/usr/include --python_out="$python_out" $protos
