#!/usr/bin/env bash
# Installs dependencies, builds Meridian and serves the bundled example on 127.0.0.1:5300.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)" --target meridian
# The example serves loopback from this checkout: as root (a fresh machine's first login) it
# stays root, since an account to drop to could not read the checkout under /root.
allow_root=()
[ "$(id -u)" -ne 0 ] || allow_root=(--allow-root)
exec build/meridian serve --config examples/meridian.yaml "${allow_root[@]}"
