#!/usr/bin/env bash
# Installs the Debian packages Baton builds and tests with (Swift itself is assumed present).
#   libprotobuf-c-dev    the protobuf-c runtime Baton links against
#   protobuf-c-compiler  protoc-c, for tools/generate.sh
#   protobuf-compiler    protoc, for the descriptor set and the tests' independent encoder
#   libprotobuf-dev      google/protobuf/*.proto (timestamp, descriptor)
#   pkg-config           how SwiftPM finds libprotobuf-c
#   libsqlite3-dev       SQLite, for the GRDB store
#   jq                   the README walkthrough pipes rpc-cli's JSON through it (and its test runs it)
#   postgresql           the server the PostgreSQL tests and tools/benchmarks/postgres-transfer.sh
#                        run: they make throwaway clusters of their own with its initdb, so a
#                        cluster the package may start for itself is neither needed nor touched
#                        (pgbench, for the benchmark, and the btree_gist extension ship in it)
# and, from PyPI, the pinned protobuf runtime of the Python example client (tools/examples/python),
# which the tests run.
set -euo pipefail
missing=()
for package in libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev pkg-config libsqlite3-dev jq postgresql; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
# Into the python3 first on PATH: the tests run the example with `/usr/bin/env python3`. pip does
# nothing (and says nothing) when the pinned version is already installed.
# A Debian python3 refuses system-wide installs (PEP 668); then it goes into the user's site.
requirements="$(dirname "$0")/examples/python/requirements.txt"
python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore -r "$requirements" 2>/dev/null \
    || python3 -m pip install --quiet --disable-pip-version-check --user --break-system-packages -r "$requirements"
