#!/usr/bin/env bash
# Installs the Debian packages Baton builds and tests with (Swift itself is assumed present).
#   libprotobuf-c-dev    the protobuf-c runtime Baton links against
#   protobuf-c-compiler  protoc-c, for tools/generate.sh
#   protobuf-compiler    protoc, for the descriptor set and the tests' independent encoder
#   libprotobuf-dev      google/protobuf/*.proto (timestamp, descriptor)
#   pkg-config           how SwiftPM finds libprotobuf-c
#   libsqlite3-dev       SQLite, for the GRDB store
set -euo pipefail
missing=()
for package in libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev pkg-config libsqlite3-dev; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update
    $sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
