#!/usr/bin/env bash
# bench/profile.sh: where Meridian's CPU goes under one workload: perf samples the server (all
# threads, user and kernel, software clock at 4 kHz: no PMU needed) while meridian-loadgen sends a
# fixed rate, then prints the user/kernel split and the top functions.
# Usage: bash bench/profile.sh [static|nxdomain|geo-ecs|failover|tcp] [--rate Q] [--seconds S]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

workload=static
rate=50000
seconds=5
inside=""
while [ $# -gt 0 ]; do
  case $1 in
    static|nxdomain|geo-ecs|failover|tcp) workload=$1 ;;
    --rate) rate=$2; shift ;;
    --seconds) seconds=$2; shift ;;
    --inside-netns) inside=yes ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done
command -v perf >/dev/null || die "needs perf (apt-get install linux-perf)"

if [ -z "$inside" ]; then
  build_tools
  enter_private_netns "$0" "$workload" --rate "$rate" --seconds "$seconds"
fi

geo_db=$(bench_geo_db)
port=15330
make_work_dir profile

write_bench_data "$work" "$port" "$geo_db"
"${pin[@]}" "$server_core" "$meridian_bin" serve --config "$work/meridian/meridian.yaml" --control 127.0.0.1:0 2>"$work/meridian.log" &
pid=$!
started_pids+=("$pid")
wait_log "$work/meridian.log" 'server: ready' 30 || die "meridian did not start"

args=(--queries "$work/queries/static.txt")
case $workload in
  nxdomain) args=(--queries "$work/queries/nxdomain.txt") ;;
  geo-ecs) args=(--queries "$work/queries/geo.txt" --geo-db "$geo_db" --geo-answers "$geo_answers") ;;
  failover) args=(--queries "$work/queries/failover.txt") ;;
  tcp) args=(--queries "$work/queries/static.txt" --tcp) ;;
esac

perf record -q -e cpu-clock -F 4000 -g -p "$pid" -o "$work/perf.data" -- sleep "$((seconds + 1))" 2>/dev/null &
perf_pid=$!
started_pids+=("$perf_pid")
"${pin[@]}" "$loadgen_core" "$build_dir/meridian-loadgen" --server "127.0.0.1:$port" --rate "$rate" \
  --duration "$seconds" --peak-budget 0 --server-pid "$pid" "${args[@]}" 2>/dev/null | grep '^result ' >&2
wait "$perf_pid" || true

echo "Meridian, workload $workload at ${rate}/s for ${seconds} s: samples by binary ([kernel.kallsyms] is the kernel)"
perf report -i "$work/perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -E '^ +[0-9]' || true
echo
echo "Top functions (self time, all threads):"
perf report -i "$work/perf.data" --no-children --sort sym --stdio -g none 2>/dev/null \
  | grep -E '^ +[0-9]' | head -40
