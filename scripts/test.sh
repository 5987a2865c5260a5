#!/usr/bin/env bash
# Sets up a new Debian 12 machine, builds everything with warnings as
# errors, and runs the whole test suite (real swtpm, tpm2-tools, gRPC over
# loopback TLS, SQLite), then prints ctest's summary.
#
# First, the libFuzzer targets are built with clang and every corpus
# (seeds and past crashes) is replayed as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1

echo "== fuzz corpora (clang, libFuzzer, ASan/UBSan)"
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVTPM_BUILD_FUZZERS=ON \
  -DVTPM_BUILD_BENCHMARKS=OFF >/dev/null
ninja -C build-fuzz -j2 vtpm_fuzzers
ctest --test-dir build-fuzz -L fuzz --output-on-failure

echo "== build (g++, -Werror) and the test suite"
./scripts/build.sh -DVTPM_WERROR=ON
cd build
ctest -j2 --output-on-failure --timeout 600
