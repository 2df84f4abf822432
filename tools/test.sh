#!/usr/bin/env bash
# The whole test suite: generated code must match Protos/, then every Swift test.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/check-generated.sh
swift test "$@"
