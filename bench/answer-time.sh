#!/usr/bin/env bash
# bench/answer-time.sh: Meridian's DNS work per query, in-process (no sockets, no kernel): the
# benchmark data of compare.sh fed to the responder by meridian-answer-time, one line per workload.
# Usage: bash bench/answer-time.sh [--seconds S]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=bench/lib.sh
source "$here/lib.sh"

seconds=2
while [ $# -gt 0 ]; do
  case $1 in
    --seconds) seconds=$2; shift ;;
    -h|--help) sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option $1" ;;
  esac
  shift
done

if [ ! -f "$build_dir/CMakeCache.txt" ]; then
  cmake -S "$root_dir" -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build_dir" -j2 --target meridian-answer-time > "$build_dir/answer-time-build.log" 2>&1 \
  || die "build failed: see $build_dir/answer-time-build.log"

geo_db=$(bench_geo_db)
make_work_dir answer-time
write_bench_data "$work" 15399 "$geo_db"

run() {
  local name=$1; shift
  printf '%-10s ' "$name"
  "${pin[@]}" "$server_core" "$build_dir/meridian-answer-time" --config "$work/meridian/meridian.yaml" \
    --seconds "$seconds" ${ANSWER_TIME_ARGS:-} "$@"
}
run static --queries "$work/queries/static.txt"
run nxdomain --queries "$work/queries/nxdomain.txt"
run geo-ecs --queries "$work/queries/geo.txt" --geo-db "$geo_db"
run failover --queries "$work/queries/failover.txt"
