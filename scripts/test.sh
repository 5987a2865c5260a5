#!/usr/bin/env bash
# Sets up a new Debian 12 machine, builds everything with warnings as
# errors, and runs the whole test suite (real swtpm, tpm2-tools, gRPC over
# loopback TLS, SQLite). Prints ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
./scripts/build.sh -DVTPM_WERROR=ON
cd build
ctest -j2 --output-on-failure --timeout 600
