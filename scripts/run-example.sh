#!/usr/bin/env bash
# Installs dependencies, builds Meridian and serves the bundled example on 127.0.0.1:5300.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)" --target meridian
exec build/meridian serve --config examples/meridian.yaml
