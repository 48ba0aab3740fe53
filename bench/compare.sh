#!/usr/bin/env bash
# bench/compare.sh: Meridian against NSD, Knot, gdnsd and a no-logic floor responder, same data,
# same load, one table. Usage: bash bench/compare.sh [--record] [--quick] [--no-scale] [--no-dnsperf]
#
# Every server runs on 127.0.0.1 on its own high port, pinned to core 0 with one worker thread;
# meridian-loadgen runs pinned to core 1. Each (server, workload) gets a 5 s window at a fixed
# rate (the same for all, so CPU per query compares like for like) and a 5 s peak search; then
# scale.sh. --record puts the tables at the top of bench/RESULTS.md. Everything runs inside a
# private network namespace when `unshare` allows it, so no packet can leave loopback. Every
# process started is stopped by PID on exit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

command_line="bash bench/compare.sh"
for arg in "$@"; do [ "$arg" = --inside-netns ] || command_line+=" $arg"; done
record=""
quick=""
scale=yes
dnsperf_check=yes
for arg in "$@"; do
  case $arg in
    --record) record=yes ;;
    --quick) quick=yes ;;
    --no-scale) scale="" ;;
    --no-dnsperf) dnsperf_check="" ;;
    --inside-netns) ;;
    -h|--help) sed -n "2,10p" "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $arg (see --help)" ;;
  esac
done

# Install and build outside the namespace (apt needs the network); then re-run inside one.
if [[ " $* " != *" --inside-netns "* ]]; then
  [ "$(nproc)" -ge 2 ] || die "needs 2 cores (server on one, load generator on the other)"
  install_peers
  log "building in $build_dir"
  build_tools
  enter_private_netns "$0" "$@"
  log "warning: no private network namespace (unshare); running on the host's loopback"
fi

rate=${BENCH_RATE:-100000}        # the fixed-rate window, queries/s, for every server alike
tcp_rate=${BENCH_TCP_RATE:-50000}
duration=5
peak_budget=5
if [ -n "$quick" ]; then duration=1; peak_budget=2; fi

geo_db=$(bench_geo_db)

make_work_dir bench

# ---------------------------------------------------------------------------------------------
port_floor=15300 port_meridian=15301 port_knot=15302 port_nsd=15303 port_gdnsd=15304
write_bench_data "$work" "$port_meridian" "$geo_db"   # zones, queries, Meridian's config (lib.sh)
mkdir -p "$work/knot/db" "$work/knot/run" "$work/nsd" "$work/gdnsd/zones" "$work/gdnsd/run" "$work/gdnsd/state"
{ zone_head; echo "geo 30 DYNA geoip!geo"; echo "fo 30 DYNA metafo!fo"; } > "$work/gdnsd/zones/bench.test"

cat > "$work/knot/knot.conf" <<EOF
server:
    rundir: "$work/knot/run"
    listen: 127.0.0.1@$port_knot
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
database:
    storage: "$work/knot/db"
log:
  - target: stderr
    any: warning
template:
  - id: default
    storage: "$work/zones"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: bench.test
    file: bench.test.zone
EOF

cat > "$work/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$port_nsd
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$work/zones"
    zonelistfile: "$work/nsd/zone.list"
    xfrdfile: "$work/nsd/xfrd.state"
    xfrdir: "$work/nsd"
    pidfile: "$work/nsd/nsd.pid"
    verbosity: 0
    # NSD rate-limits answers by default (rrl-ratelimit: 200 per second per source): off.
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: bench.test
    zonefile: bench.test.zone
EOF

{
  cat <<EOF
options => {
  listen => [ 127.0.0.1 ]
  dns_port => $port_gdnsd
  udp_threads => 1
  tcp_threads => 1
  run_dir => $work/gdnsd/run
  state_dir => $work/gdnsd/state
}
plugins => {
  geoip => {
    maps => {
      bench => {
        geoip2_db => $geo_db
        datacenters => [ world $(for cc in "${!country_answer[@]}"; do printf '%s ' "${cc,,}"; done)]
        # gdnsd's map is continent -> country; each country is listed under every continent so
        # that only the country decides, as in Meridian's config.
        map => {
          default => [ world ]
EOF
  for continent in AF AN AS EU NA OC SA; do
    printf '          %s => {' "$continent"
    for cc in "${!country_answer[@]}"; do printf ' %s => [ %s ]' "$cc" "${cc,,}"; done
    echo ' }'
  done
  cat <<EOF
        }
      }
    }
    resources => {
      geo => {
        map => bench
        service_types => up
        dcmap => {
          world => $world_answer
EOF
  for cc in "${!country_answer[@]}"; do echo "          ${cc,,} => ${country_answer[$cc]}"; done
  cat <<EOF
        }
      }
    }
  }
  metafo => {
    resources => {
      fo => {
        datacenters => [ primary, secondary ]
        service_types => up
        dcmap => { primary => 192.0.2.21, secondary => 192.0.2.22 }
      }
    }
  }
}
EOF
} > "$work/gdnsd/config"

# ---------------------------------------------------------------------------------------------
server_pid=""
start_server() {  # NAME PORT: start it pinned to the server core; wait until it answers
  local name=$1 port=$2 logfile="$work/$1.log"
  case $name in
    floor) "${pin[@]}" "$server_core" "$build_dir/meridian-floor" --listen "127.0.0.1:$port" 2>"$logfile" & ;;
    meridian) "${pin[@]}" "$server_core" "$meridian_bin" serve --config "$work/meridian/meridian.yaml" --control 127.0.0.1:0 \
                2>"$logfile" & ;;
    knot) "${pin[@]}" "$server_core" knotd -c "$work/knot/knot.conf" 2>"$logfile" & ;;
    nsd) "${pin[@]}" "$server_core" nsd -d -c "$work/nsd/nsd.conf" >"$logfile" 2>&1 & ;;
    gdnsd) "${pin[@]}" "$server_core" gdnsd -c "$work/gdnsd" start 2>"$logfile" & ;;
  esac
  server_pid=$!
  started_pids+=("$server_pid")
  if ! wait_dns "$port" 30; then
    cat "$logfile" >&2
    die "$name did not answer on 127.0.0.1:$port"
  fi
}

stop_server() {
  stop_pid "$server_pid"
  local remaining=()
  for pid in "${started_pids[@]}"; do [ "$pid" != "$server_pid" ] && remaining+=("$pid"); done
  started_pids=("${remaining[@]}")
}

results="$work/results.tsv"
: > "$results"
run_load() {  # SERVER WORKLOAD ANSWERS_AS PORT LOADGEN-ARGS...
  local server=$1 workload=$2 answers_as=$3 port=$4
  shift 4
  local line
  log "$server / $workload"
  echo "== $server / $workload" >> "$work/loadgen.log"
  line=$("${pin[@]}" "$loadgen_core" "$build_dir/meridian-loadgen" --server "127.0.0.1:$port" \
           --server-pid "$server_pid" --server-core "$server_core" --self-core "$loadgen_core" \
           --kernel-hz "$kernel_hz" --duration "$duration" --peak-budget "$peak_budget" "$@" \
           2>>"$work/loadgen.log" | grep '^result ') || line="result failed=1"
  printf '%s\t%s\t%s\t%s\n' "$server" "$workload" "$answers_as" "$line" >> "$results"
}

run_workloads() {  # SERVER PORT
  local server=$1 port=$2 check=() geo_queries=geo.txt geo_as=geo fo_as=priority
  case $server in
    floor) check=(--no-check); geo_as="echo"; fo_as="echo" ;;
    knot|nsd) geo_queries=geo-static.txt; geo_as=static; fo_as=static ;;
    gdnsd) geo_as=geoip; fo_as=metafo ;;
  esac
  local static_as="zone" nx_as="zone"
  [ "$server" = floor ] && static_as="echo" && nx_as="echo"
  run_load "$server" static "$static_as" "$port" --queries "$work/queries/static.txt" --rate "$rate" "${check[@]}"
  run_load "$server" nxdomain "$nx_as" "$port" --queries "$work/queries/nxdomain.txt" --rate "$rate" "${check[@]}"
  run_load "$server" geo-ecs "$geo_as" "$port" --queries "$work/queries/$geo_queries" --rate "$rate" \
    --geo-db "$geo_db" --geo-answers "$geo_answers" "${check[@]}"
  run_load "$server" failover "$fo_as" "$port" --queries "$work/queries/failover.txt" --rate "$rate" "${check[@]}"
  run_load "$server" tcp "$static_as" "$port" --queries "$work/queries/static.txt" --rate "$tcp_rate" --tcp \
    "${check[@]}"
}

dnsperf_results="$work/dnsperf.tsv"
: > "$dnsperf_results"
run_dnsperf() {  # SERVER PORT: dnsperf's own figure for the static workload, as a cross-check
  local qps
  qps=$("${pin[@]}" "$loadgen_core" dnsperf -s 127.0.0.1 -p "$2" -d "$work/queries/dnsperf.txt" -l 3 -t 1 -c 8 \
          -q 500 -e 2>/dev/null | awk '/Queries per second/ {print $4}') || qps=""
  printf '%s\t%s\n' "$1" "${qps:-n/a}" >> "$dnsperf_results"
}

wait_quiet 30
started=$SECONDS
log "server on core $server_core, meridian-loadgen on core $loadgen_core; fixed window ${rate}/s (TCP ${tcp_rate}/s) for ${duration}s, peak search ${peak_budget}s"
for server in ${BENCH_SERVERS:-floor meridian knot nsd gdnsd}; do
  port_var=port_$server
  start_server "$server" "${!port_var}"
  run_workloads "$server" "${!port_var}"
  [ -n "$dnsperf_check" ] && run_dnsperf "$server" "${!port_var}"
  stop_server
done
elapsed=$((SECONDS - started))

# ---------------------------------------------------------------------------------------------
cpu_model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
  echo "## $(date -u '+%Y-%m-%d %H:%M UTC'): \`$command_line\`"
  echo
  echo "Machine: $(nproc) cores, $cpu_model, kernel $(uname -r) (HZ=$kernel_hz); Meridian at $(git -C "$root_dir" rev-parse --short HEAD 2>/dev/null || echo '?') plus the work tree."
  echo "Servers pinned to core $server_core, one worker thread each (NSD server-count 1, Knot udp/tcp-workers 1,"
  echo "gdnsd udp/tcp_threads 1, Meridian workers 1); meridian-loadgen pinned to core $loadgen_core. Fixed window:"
  echo "${rate} q/s UDP, ${tcp_rate} q/s TCP, ${duration} s; then a ${peak_budget} s peak search. GeoIP: $(basename "$geo_db") for"
  echo "Meridian, gdnsd and the ECS client spread. Run took ${elapsed} s."
  echo
  python3 "$here/render_table.py" "$results" "$dnsperf_results" "$work/loadgen.log"
} > "$work/section.md"

if [ -n "$scale" ]; then
  log "scale runs"
  if bash "$here/scale.sh" --inside-netns --duration "$duration" --peak-budget "$peak_budget" > "$work/scale.md"; then
    { echo; cat "$work/scale.md"; } >> "$work/section.md"
  else
    log "warning: scale runs failed"
  fi
fi

# The generator's step-by-step log outlives the run, for a look at why a figure came out as it did.
cp "$work/loadgen.log" "$build_dir/bench-loadgen.log" 2>/dev/null && log "step log: $build_dir/bench-loadgen.log"
cat "$work/section.md"
if [ -n "$record" ]; then
  python3 - "$here/RESULTS.md" "$work/section.md" <<'EOF'
import sys
path, section = sys.argv[1], open(sys.argv[2]).read()
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Benchmark results\n\nNewest first. Each section is one run of `bash bench/compare.sh --record`.\n\n"
marker = "\n## "
head, sep, rest = text.partition(marker)
open(path, "w").write(head.rstrip("\n") + "\n\n" + section.rstrip("\n") + "\n" + (marker + rest if sep else ""))
EOF
  log "recorded in bench/RESULTS.md"
fi
