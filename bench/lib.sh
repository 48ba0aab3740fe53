# bench/lib.sh: shell helpers the bench scripts share: build, install peers, start and stop
# servers by PID, wait for readiness, wait for a quiet machine. Sourced, not run.
# shellcheck shell=bash

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root_dir=$(dirname "$bench_dir")
build_dir=${BENCH_BUILD_DIR:-$root_dir/build-bench}
# BENCH_MERIDIAN=/path/to/meridian benchmarks that binary instead of building one.
meridian_bin=${BENCH_MERIDIAN:-$build_dir/meridian}
server_core=${BENCH_SERVER_CORE:-0}
loadgen_core=${BENCH_LOADGEN_CORE:-1}
kernel_hz=$( (grep -h '^CONFIG_HZ=' "/boot/config-$(uname -r)" 2>/dev/null || echo CONFIG_HZ=250) | head -1 | cut -d= -f2)

# Benchmark processes run at a high priority (root only) so other jobs on a shared machine
# disturb them less; BENCH_NICE=0 turns that off.
bench_nice=${BENCH_NICE:--19}
[ "$(id -u)" -eq 0 ] || bench_nice=0

# "${pin[@]}" CORE COMMAND...: run COMMAND on one core, at the benchmark's priority. An array,
# not a function, so that `&` gives the PID of COMMAND itself (nice and taskset exec it).
pin=(nice -n "$bench_nice" taskset -c)
# BENCH_RT=1 (root, a machine of your own): real-time priority instead, so no other task
# preempts the server or the generator. On a shared machine it starves other jobs.
if [ "${BENCH_RT:-0}" = 1 ] && [ "$(id -u)" -eq 0 ]; then pin=(chrt -f 1 taskset -c); fi

log() { echo "bench: $*" >&2; }
die() { echo "bench: error: $*" >&2; exit 1; }

# Every process we start is recorded here and stopped by PID on exit.
started_pids=()

# The PID and its descendants (NSD forks its workers), read from /proc.
pid_tree() {
  local list=("$1") i=0
  while [ $i -lt ${#list[@]} ]; do
    local parent=${list[$i]}
    for stat in /proc/[0-9]*/stat; do
      local fields
      fields=$(cat "$stat" 2>/dev/null) || continue
      fields=${fields##*) }
      set -- $fields
      [ "${2:-}" = "$parent" ] && list+=("$(basename "$(dirname "$stat")")")
    done
    i=$((i + 1))
  done
  echo "${list[@]}"
}

# Stops one process and whatever it forked: SIGTERM, up to 5 s, then SIGKILL.
stop_pid() {
  local pid=$1 tree
  kill -0 "$pid" 2>/dev/null || return 0
  tree=$(pid_tree "$pid")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  for p in $tree; do kill -KILL "$p" 2>/dev/null || true; done
  wait "$pid" 2>/dev/null || true
}

stop_all() {
  local pid
  for pid in "${started_pids[@]}"; do stop_pid "$pid"; done
  started_pids=()
}

# build_tools: the server and the two bench tools, RelWithDebInfo, in $build_dir.
# Runs the calling script again inside a private network namespace that has only loopback,
# when allowed (root and unshare), so no packet can leave the machine. Call it as
# `enter_private_netns "$0" ARGS...`; the re-run gets ARGS plus --inside-netns. Returns (and the
# script goes on, on the host's loopback) when a namespace cannot be made.
enter_private_netns() {
  if [ "$(id -u)" -eq 0 ] && unshare --net true 2>/dev/null; then
    exec unshare --net bash -c 'ip link set lo up && exec bash "$0" "$@"' "$@" --inside-netns
  fi
}

# The GeoIP database Meridian, gdnsd and the ECS client spread use (BENCH_GEO_DB overrides),
# as an absolute path: the servers run from other directories.
bench_geo_db() {
  local db=${BENCH_GEO_DB:-$root_dir/tests/fixtures/geo-testdata/maxmind-test-data/GeoIP2-City-Test.mmdb}
  [ -f "$db" ] || die "no GeoIP database at $db (set BENCH_GEO_DB)"
  echo "$(cd "$(dirname "$db")" && pwd)/$(basename "$db")"
}

# Sets $work to a fresh scratch directory; on exit, every process the run started is stopped
# by its PID and the directory removed.
make_work_dir() {  # NAME
  work=$(mktemp -d "/tmp/meridian-$1.XXXXXX")
  trap 'stop_all; rm -rf "$work"' EXIT
  trap 'exit 130' INT TERM
}

build_tools() {
  local targets=(meridian-loadgen meridian-floor)
  [ -n "${BENCH_MERIDIAN:-}" ] || targets+=(meridian)
  if [ ! -f "$build_dir/CMakeCache.txt" ]; then
    cmake -S "$root_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  fi
  cmake --build "$build_dir" -j2 --target "${targets[@]}" > "$build_dir/bench-build.log" 2>&1 \
    || { tail -20 "$build_dir/bench-build.log" >&2; die "build failed: cmake --build $build_dir (log: $build_dir/bench-build.log)"; }
  [ -x "$meridian_bin" ] || die "no meridian binary at $meridian_bin"
}

# install_peers: Debian's dnsperf, gdnsd, knot and nsd, with service start-up blocked while
# apt installs them (policy-rc.d), so no packaged daemon starts on port 53 behind our back.
install_peers() {
  local missing=()
  command -v dnsperf >/dev/null || missing+=(dnsperf)
  command -v gdnsd >/dev/null || [ -x /usr/sbin/gdnsd ] || missing+=(gdnsd)
  command -v knotd >/dev/null || [ -x /usr/sbin/knotd ] || missing+=(knot)
  command -v nsd >/dev/null || [ -x /usr/sbin/nsd ] || missing+=(nsd)
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo=sudo
  log "installing ${missing[*]} with apt-get"
  local policy=/usr/sbin/policy-rc.d placed=""
  if [ ! -e $policy ]; then
    printf '#!/bin/sh\n# bench/lib.sh: no service starts while the benchmark installs its peers\nexit 101\n' \
      | $sudo tee $policy >/dev/null
    $sudo chmod 755 $policy
    placed=yes
  fi
  if ! apt-cache policy nsd 2>/dev/null | grep -q Candidate: || \
     apt-cache policy nsd 2>/dev/null | grep -q 'Candidate: (none)'; then
    $sudo apt-get update -qq
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [ -n "$placed" ] && $sudo rm -f $policy
  # Belt and braces: a packaged daemon that started anyway is stopped, by its PID only.
  local pid
  for pid in $(pgrep -x nsd; pgrep -x knotd; pgrep -x gdnsd); do
    if ! printf '%s\n' "${started_pids[@]}" | grep -qx "$pid"; then
      log "stopping packaged daemon pid=$pid ($(cat /proc/$pid/comm 2>/dev/null))"
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  command -v systemctl >/dev/null && $sudo systemctl disable --now nsd knot gdnsd >/dev/null 2>&1 || true
  return 0
}

# wait_quiet SECONDS: wait until the cores are idle (less than 10% busy over half a second)
# so another job on the machine does not skew the figures; go on with a warning otherwise.
wait_quiet() {
  local deadline=$((SECONDS + ${1:-30})) busy
  while :; do
    busy=$(python3 - <<'EOF'
import time
def read():
    with open('/proc/stat') as f:
        line = f.readline().split()[1:]
    values = list(map(int, line))
    return sum(values) - values[3] - values[4], sum(values)
b0, t0 = read(); time.sleep(0.5); b1, t1 = read()
print(int(100 * (b1 - b0) / max(1, t1 - t0)))
EOF
)
    [ "$busy" -lt 10 ] && return 0
    if [ $SECONDS -ge $deadline ]; then
      log "warning: the machine is ${busy}% busy with other work; figures may be skewed"
      return 0
    fi
    sleep 1
  done
}

# wait_dns PORT SECONDS: poll 127.0.0.1:PORT with a DNS query over UDP until something answers.
wait_dns() {
  python3 - "$1" "${2:-20}" <<'EOF'
import socket, sys, time
port, limit = int(sys.argv[1]), float(sys.argv[2])
query = bytes.fromhex('beef00000001000000000000') + b'\x05bench\x04test\x00\x00\x06\x00\x01'
deadline = time.monotonic() + limit
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(0.1)
while time.monotonic() < deadline:
    try:
        s.sendto(query, ('127.0.0.1', port))
        data = s.recv(4096)
        if data[:2] == b'\xbe\xef':
            sys.exit(0)
    except OSError:
        time.sleep(0.05)
sys.exit(1)
EOF
}

# wait_log FILE PATTERN SECONDS: wait until FILE has a line matching PATTERN.
wait_log() {
  local deadline=$((SECONDS + ${3:-20}))
  until grep -q "$2" "$1" 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.02
  done
}

# rss_kib PID: resident memory of the process and its children, KiB.
rss_kib() {
  local total=0 pid value
  for pid in $(pid_tree "$1"); do
    value=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    total=$((total + ${value:-0}))
  done
  echo $total
}

# ---------------------------------------------------------------------------------------------
# Equivalent data for every server: one zone, bench.test, with a static name, 1,000 filler
# names, a geo-routed name and a priority/failover name. Countries map to answers the same way
# in Meridian (geographic) and gdnsd (plugin_geoip); Knot and NSD serve both names statically.
declare -A country_answer=([GB]=192.0.2.11 [DE]=192.0.2.12 [FR]=192.0.2.13 [SE]=192.0.2.14
                           [RU]=192.0.2.15 [JP]=192.0.2.16 [KR]=192.0.2.17 [US]=192.0.2.18)
world_answer=192.0.2.10
geo_answers="*=$world_answer"
for cc in "${!country_answer[@]}"; do geo_answers+=",$cc=${country_answer[$cc]}"; done

zone_head() {
  cat <<'EOF'
$ORIGIN bench.test.
$TTL 3600
@       IN SOA  ns1.bench.test. hostmaster.bench.test. 1 7200 3600 1209600 300
        IN NS   ns1
        IN NS   ns2
ns1     IN A    192.0.2.53
ns2     IN A    198.51.100.53
www     IN A    192.0.2.1
EOF
  for i in $(seq 1 1000); do printf 'host-%04d IN A 198.51.100.%d\n' "$i" $((i % 250 + 1)); done
}

# write_bench_data DIR MERIDIAN_PORT GEO_DB: DIR/zones (static names for Knot and NSD),
# DIR/queries (one file per workload, for meridian-loadgen) and DIR/meridian (config + zone).
write_bench_data() {
  local work=$1 port=$2 geo_db=$3 cc
  mkdir -p "$work/zones" "$work/meridian" "$work/queries"
  { zone_head; echo "geo 30 IN A $world_answer"; echo "fo 30 IN A 192.0.2.21"; } > "$work/zones/bench.test.zone"
  zone_head > "$work/meridian/bench.test.zone"

  echo "www.bench.test A NOERROR 192.0.2.1" > "$work/queries/static.txt"
  for i in $(seq 0 999); do printf 'nx-%04d.bench.test A NXDOMAIN -\n' "$i"; done > "$work/queries/nxdomain.txt"
  echo "geo.bench.test A NOERROR geo" > "$work/queries/geo.txt"
  echo "geo.bench.test A NOERROR $world_answer" > "$work/queries/geo-static.txt"
  echo "fo.bench.test A NOERROR 192.0.2.21" > "$work/queries/failover.txt"
  echo "www.bench.test A" > "$work/queries/dnsperf.txt"

  {
    cat <<EOF
server:
  listen: ["127.0.0.1:$port"]
  workers: 1
  allow_root: true  # a bench on loopback runs as whoever starts it, root on CI machines
# Every query comes from loopback: whitelisted, so never limited and never charged to a bucket
# (what a whitelisted answer still costs is measured). BENCH_RRL_ENABLED=false leaves rate
# limiting out, to measure what it costs.
rrl:
  enabled: ${BENCH_RRL_ENABLED:-true}
  whitelist: [127.0.0.0/8, "::1/128"]
geo:
  databases: ["$geo_db"]
zones:
  - origin: bench.test
    file: bench.test.zone
profiles:
  - name: geo
    fqdn: geo.bench.test
    method: geographic
    ttl: 30
    monitor: {protocol: none}
    endpoints:
      - {name: world, target: $world_answer, geo: [WORLD]}
EOF
    for cc in "${!country_answer[@]}"; do
      echo "      - {name: ${cc,,}, target: ${country_answer[$cc]}, geo: [$cc]}"
    done
    cat <<EOF
  - name: fo
    fqdn: fo.bench.test
    method: priority
    ttl: 30
    monitor: {protocol: none}
    endpoints:
      - {name: primary, target: 192.0.2.21, priority: 1}
      - {name: secondary, target: 192.0.2.22, priority: 2}
EOF
  } > "$work/meridian/meridian.yaml"
}
