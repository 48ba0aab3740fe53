#!/usr/bin/env bash
# Installs what is missing, builds Meridian and runs every test (unit and system) through ctest.
# MERIDIAN_SANITIZE=1 builds into build-asan with AddressSanitizer and UBSan instead.
set -euo pipefail
cd "$(dirname "$0")/.."
# What the build and the tests need, installed if missing (quick when everything is there).
bash scripts/setup.sh
if [ "${MERIDIAN_SANITIZE:-0}" = 1 ]; then
  build=build-asan
  options=(-DCMAKE_BUILD_TYPE=Debug -DMERIDIAN_SANITIZE=ON)
else
  build=build
  options=(-DCMAKE_BUILD_TYPE=RelWithDebInfo)
fi
cmake -S . -B "$build" "${options[@]}"
cmake --build "$build" -j"$(nproc)"
ctest --test-dir "$build" --output-on-failure --timeout 600
