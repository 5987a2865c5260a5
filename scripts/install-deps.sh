#!/usr/bin/env bash
# Installs every Debian 12 package vtpm-attest needs to build, test and run its demo.
# Idempotent; uses sudo only when not root.
set -euo pipefail
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libtss2-dev swtpm swtpm-tools tpm2-tools
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libboost-program-options-dev libboost-dev libre2-dev libssl-dev openssl
  libsqlite3-dev sqlite3 libpq-dev postgresql postgresql-client
  libcurl4-openssl-dev curl libgoogle-perftools-dev python3
  libgtest-dev libgmock-dev libbenchmark-dev
  clang libclang-rt-14-dev efitools
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update
  $SUDO apt-get install -y --no-install-recommends "${missing[@]}"
fi
