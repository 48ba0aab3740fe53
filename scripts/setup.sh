#!/usr/bin/env bash
# Installs every Debian package Meridian's build, tests and examples need (Debian 12).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  libldns-dev ldnsutils libuv1-dev libc-ares-dev libmaxminddb-dev mmdb-bin
  libfmt-dev libspdlog-dev doctest-dev libyaml-cpp-dev libcli11-dev
  libcurl4-openssl-dev nlohmann-json3-dev libcpp-httplib-dev
  dnsutils knot-dnsutils
)

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
