#!/usr/bin/env bash
# bench/alloc-count.sh: heap allocations per query on Meridian's query path. Runs Meridian under
# an LD_PRELOAD malloc counter (bench/alloc-count/, built here with cc), sends N queries of each
# workload and prints allocations per answered query, after subtracting what an idle server
# allocates over the same time. Usage: bash bench/alloc-count.sh [--queries N]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

count=50000
inside=""
while [ $# -gt 0 ]; do
  case $1 in
    --queries) count=$2; shift ;;
    --inside-netns) inside=yes ;;
    -h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

if [ -z "$inside" ]; then
  build_tools
  enter_private_netns "$0" --queries "$count"
fi

geo_db=$(bench_geo_db)
port=15320
rate=20000
seconds=$(awk -v n="$count" -v r="$rate" 'BEGIN {printf "%.2f", n / r}')
make_work_dir alloc

cc -O2 -shared -fPIC -o "$work/malloc_count.so" "$here/alloc-count/malloc_count.c" || die "cc failed"
write_bench_data "$work" "$port" "$geo_db"

export MALLOC_COUNT_OUT="$work/count.txt"
LD_PRELOAD="$work/malloc_count.so" "${pin[@]}" "$server_core" "$meridian_bin" serve \
  --config "$work/meridian/meridian.yaml" 2>"$work/meridian.log" &
pid=$!
started_pids+=("$pid")
wait_log "$work/meridian.log" 'server: ready' 30 || die "meridian did not start: $(tail -3 "$work/meridian.log")"

# snapshot: the counter's "allocations" after asking the server to write it out.
snapshot() {
  rm -f "$MALLOC_COUNT_OUT"
  kill -USR2 "$pid"
  for _ in $(seq 100); do
    [ -s "$MALLOC_COUNT_OUT" ] && break
    sleep 0.01
  done
  sed -n 's/^allocations=\([0-9]*\) frees=\([0-9]*\) bytes=\([0-9]*\)$/\1 \3/p' "$MALLOC_COUNT_OUT"
}

load() {  # LOADGEN-ARGS...: sends $count queries at $rate/s; prints the answered count
  local result
  result=$("${pin[@]}" "$loadgen_core" "$build_dir/meridian-loadgen" --server "127.0.0.1:$port" --warmup 0 \
             --rate "$rate" --duration "$seconds" --peak-budget 0 "$@" 2>>"$work/loadgen.log" | grep '^result ')
  echo $(( $(sed -n 's/.* right=\([0-9]*\).*/\1/p' <<<"$result") + $(sed -n 's/.* wrong=\([0-9]*\).*/\1/p' <<<"$result") ))
}

# Warm up every path once, so first-use allocations (caches, buffers) are not counted.
for workload in static nxdomain failover; do load --queries "$work/queries/$workload.txt" >/dev/null; done
load --queries "$work/queries/geo.txt" --geo-db "$geo_db" --geo-answers "$geo_answers" >/dev/null
load --queries "$work/queries/static.txt" --tcp >/dev/null

read -r idle_before _ < <(snapshot)
sleep "$seconds"
read -r idle_after _ < <(snapshot)
idle=$((idle_after - idle_before))

echo "Allocations per query (Meridian, $count queries per workload at ${rate}/s; an idle server allocated $idle times over the same ${seconds} s, subtracted):"
echo
echo "| Workload | Answered | Allocations | Per query | Bytes per query |"
echo "|---|---:|---:|---:|---:|"
measure() {  # TITLE LOADGEN-ARGS...
  local title=$1 answered before after bytes_before bytes_after
  shift
  read -r before bytes_before < <(snapshot)
  answered=$(load "$@")
  read -r after bytes_after < <(snapshot)
  local allocations=$((after - before - idle))
  [ $allocations -lt 0 ] && allocations=0
  awk -v t="$title" -v n="$answered" -v a="$allocations" -v b="$((bytes_after - bytes_before))" \
    'BEGIN { printf "| %s | %d | %d | %.2f | %.0f |\n", t, n, a, (n ? a / n : 0), (n ? b / n : 0) }'
}
measure "(a) static A, UDP" --queries "$work/queries/static.txt"
measure "(b) NXDOMAIN, UDP" --queries "$work/queries/nxdomain.txt"
measure "(c) geo + ECS, UDP" --queries "$work/queries/geo.txt" --geo-db "$geo_db" --geo-answers "$geo_answers"
measure "(d) priority/failover, UDP" --queries "$work/queries/failover.txt"
measure "(e) static A, TCP" --queries "$work/queries/static.txt" --tcp
